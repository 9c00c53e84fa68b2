"""Auto Scaling's rules as pure functions: AZ balance, the default termination
policy, and the wording of scaling-activity records.

Sources:
- https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-termination-policies.html
- https://docs.aws.amazon.com/autoscaling/ec2/userguide/auto-scaling-benefits.html (AZ balance)
- https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-verify-scaling-activity.html (Description/Cause)
"""
from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Iterable

__all__ = ["iso_z", "pick_launch_az", "pick_victim", "cause_sentence", "launch_cause", "terminate_cause", "HEALTH_CAUSES",
           "refresh_launch_cause", "refresh_terminate_cause"]


def iso_z(epoch: float) -> str:
    """The timestamp style of Cause texts: ``2021-01-11T00:35:52Z``."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def pick_launch_az(zones: list[str], member_zones: Iterable[str]) -> str:
    """Launch into the AZ with the fewest instances (ties: the group's AZ order), keeping the group balanced."""
    counts = Counter(member_zones)
    return min(zones, key=lambda z: (counts.get(z, 0), zones.index(z)))


def pick_victim(members: list[Any], now: float, rng: random.Random, policies: list[str] | None = None) -> Any | None:
    """Choose the instance to terminate on scale-in.

    ``members`` have ``availability_zone``, ``protected``, ``launch_time`` (epoch) and
    ``template_rank`` (lower = older launch configuration/template). AZ balance comes
    first: the AZ with the most instances that has an unprotected one. Then the
    policies in order (``Default`` = oldest launch template/configuration, then the one
    closest to the next instance hour, then random).
    """
    candidates = [m for m in members if not m.protected]
    if not candidates:
        return None
    counts = Counter(m.availability_zone for m in members)
    zone = max({m.availability_zone for m in candidates}, key=lambda z: (counts[z], z))
    pool = [m for m in candidates if m.availability_zone == zone]
    for policy in (policies or ["Default"]):
        pool = _apply_policy(policy, pool, now)
        if len(pool) == 1:
            return pool[0]
    return rng.choice(sorted(pool, key=lambda m: m.instance_id))


def _apply_policy(policy: str, pool: list[Any], now: float) -> list[Any]:
    def keep_min(key):
        best = min(key(m) for m in pool)
        return [m for m in pool if key(m) == best]

    to_next_hour = lambda m: round(3600 - ((now - m.launch_time) % 3600), 3)  # noqa: E731
    if policy == "Default":
        pool = keep_min(lambda m: m.template_rank)
        return keep_min(to_next_hour) if len(pool) > 1 else pool
    if policy in ("OldestLaunchTemplate", "OldestLaunchConfiguration", "AllocationStrategy"):
        return keep_min(lambda m: m.template_rank)
    if policy == "ClosestToNextInstanceHour":
        return keep_min(to_next_hour)
    if policy == "OldestInstance":
        return keep_min(lambda m: m.launch_time)
    if policy == "NewestInstance":
        return keep_min(lambda m: -m.launch_time)
    return pool


def cause_sentence(now: float, text: str, old: int, new: int) -> str:
    """First sentence of a Cause: ``At <t> <text> changing the desired capacity from <old> to <new>.``

    ``text`` may already start with ``At <time>`` and/or contain the "changing ..." part.
    """
    text = text.strip().rstrip(".")
    if not text.startswith("At "):
        text = f"At {iso_z(now)} {text}"
    if "changing the desired capacity" not in text:
        text += f" changing the desired capacity from {old} to {new}"
    return text + "."


def launch_cause(prefix: str | None, now: float, old: int, new: int) -> str:
    """AWS joins sentences with two spaces."""
    s = f"At {iso_z(now)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from {old} to {new}."
    return f"{prefix}  {s}" if prefix else s


def refresh_launch_cause(now: float) -> str:
    """An instance refresh's launch (UNCONFIRMED by AWS's docs; see :mod:`awslab.sim.instance_refresh`)."""
    return f"At {iso_z(now)} an instance was launched in response to an instance refresh."


def refresh_terminate_cause(now: float, instance_id: str) -> str:
    """An instance refresh's termination (UNCONFIRMED by AWS's docs; see :mod:`awslab.sim.instance_refresh`)."""
    t = iso_z(now)
    return (f"At {t} an instance was taken out of service in response to an instance refresh.  At {t} instance "
            f"{instance_id} was selected for termination.")


def terminate_cause(prefix: str | None, now: float, old: int, new: int, instance_id: str) -> str:
    t = iso_z(now)
    s = (f"At {t} an instance was taken out of service in response to a difference between desired and actual "
         f"capacity, shrinking the capacity from {old} to {new}.  At {t} instance {instance_id} was selected for termination.")
    return f"{prefix}  {s}" if prefix else s


#: Cause texts for health replacements, keyed by what found the instance unhealthy (aws-semantics §4.1:
#: https://docs.aws.amazon.com/autoscaling/ec2/userguide/ts-as-healthchecks.html).
HEALTH_CAUSES = {
    "ELB": "an instance was taken out of service in response to an ELB system health check failure.",
    "EC2": "an instance was taken out of service in response to an EC2 health check that indicated it had been terminated or stopped.",
    "EC2_STATUS": "an instance was taken out of service in response to an EC2 instance status check failure.",
    # UNCONFIRMED wording for set-instance-health (seen in the wild, not in the docs compiled in aws-semantics.md).
    "USER": "an instance was taken out of service in response to a user health-check.",
}

"""Instance warm-up, as EC2 Auto Scaling applies it to step and target-tracking policies.

Which number applies (PutScalingPolicy API reference, ``EstimatedInstanceWarmup``:
https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutScalingPolicy.html, and
https://docs.aws.amazon.com/autoscaling/ec2/userguide/consolidated-view-of-warm-up-and-cooldown-settings.html):

* an instance launched because a step or target-tracking policy scaled out warms up for that
  policy's ``EstimatedInstanceWarmup``; unset, for the group's ``DefaultInstanceWarmup``; and only
  when both are unset, for the group's ``DefaultCooldown``;
* any other instance (the group's first ones, replacements, manual or scheduled changes) warms up
  for ``DefaultInstanceWarmup``. Without it, "the default cooldown might be applied when instances
  launch, and dynamic scaling scale-in activities will be blocked until the default cooldown period
  ends", while "each instance starts contributing usage data to the aggregated metrics as soon as
  the instance reaches the InService state"
  (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-default-instance-warmup.html).

The warm-up runs from the moment the instance enters ``InService``; a ``Pending`` instance is
warming too. What warming changes (same page, and the step-scaling page
https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html#as-step-scaling-warmup):

* on scale-out, warming instances count as part of the current capacity, so repeated alarm breaches
  in the same step range lead to one scaling activity;
* their metrics are left out of the group's aggregate (the ``AutoScalingGroupName`` dimension);
* scale-in waits until they finish.

Simple scaling uses cooldowns, not warm-up (:class:`~.adjustments.SimpleScalingGate`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .adjustments import DEFAULT_COOLDOWN_S

__all__ = ["Warmup", "WarmupTracker", "effective_warmup", "launching_policy"]

#: The Cause of a launch that a policy started: "... triggered policy <name> changing the desired capacity ..."
_POLICY_IN_CAUSE = re.compile(r"triggered policy (?P<policy>.+?) changing the desired capacity")
#: Policy types whose launches use the policy's own warm-up.
WARMUP_POLICY_TYPES = ("StepScaling", "TargetTrackingScaling")


def _seconds(value: Any) -> int | None:
    """A warm-up setting as seconds, or None when unset (DefaultInstanceWarmup -1 turns it off)."""
    if value is None or value == "":
        return None
    seconds = int(value)
    return None if seconds < 0 else seconds


def effective_warmup(estimated_instance_warmup: Any, default_instance_warmup: Any, default_cooldown: Any) -> int:
    """A step/target-tracking policy's warm-up: its own, else the group's DefaultInstanceWarmup, else DefaultCooldown.

    >>> effective_warmup(None, None, 300), effective_warmup(None, 120, 300), effective_warmup(600, 120, 300)
    (300, 120, 600)
    """
    for value in (estimated_instance_warmup, default_instance_warmup):
        seconds = _seconds(value)
        if seconds is not None:
            return seconds
    cooldown = _seconds(default_cooldown)
    return DEFAULT_COOLDOWN_S if cooldown is None else cooldown


def launching_policy(cause: str) -> str | None:
    """The policy named in a launch activity's Cause, if a policy's scale-out started it."""
    m = _POLICY_IN_CAUSE.search(cause or "")
    return m["policy"] if m else None


@dataclass(frozen=True)
class Warmup:
    """One instance's warm-up: which policy launched it and the two windows that follow ``InService``."""

    instance_id: str
    launched_by: str | None  # a step/target-tracking policy, or None
    in_service_at: float | None  # None: still Pending
    seconds: float  # counts as warming (capacity on scale-out, blocks scale-in) this long
    metrics_after_s: float  # joins the group's aggregated metrics this long after InService

    def warming(self, now: float) -> bool:
        return self.in_service_at is None or now < self.in_service_at + self.seconds

    def in_aggregate(self, now: float) -> bool:
        return self.in_service_at is not None and now >= self.in_service_at + self.metrics_after_s


class WarmupTracker:
    """Remembers when each Auto Scaling instance went InService and which policy launched it.

    It listens to the simulator's ``asg_instance`` events; the launching policy is read from the
    launch activity's Cause, the same record ``describe-scaling-activities`` shows.
    """

    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self._in_service: dict[str, tuple[float, str | None]] = {}  # instance id -> (InService at, policy)

    def reset(self) -> None:
        self._in_service.clear()

    def on_asg_instance(self, group_name: str, instance_id: str, lifecycle_state: str, **_: Any) -> None:
        if lifecycle_state == "InService":
            self._in_service[instance_id] = (self.sim.now, self._launched_by(group_name, instance_id))
        elif not lifecycle_state.startswith(("Pending", "InService")):
            self._in_service.pop(instance_id, None)

    def _launched_by(self, group_name: str, instance_id: str) -> str | None:
        wanted = f"Launching a new EC2 instance: {instance_id}"
        for activity in self.sim.autoscaling.activities_of(group_name):  # newest first: found at once
            if activity.description == wanted:
                return launching_policy(activity.cause)
        return None

    def of(self, view: Any, instance: Any) -> Warmup:
        """The warm-up of ``instance`` (an InstanceView) in the group ``view`` (a GroupView)."""
        iid = instance.instance_id
        at, policy_name = self._in_service.get(iid, (None, None))
        if at is None and not instance.lifecycle_state.startswith("Pending"):
            at = -float("inf")  # InService before we could see it (e.g. attached): warm already
        policy = self._policy(view.name, policy_name)
        if policy is not None:
            w = effective_warmup(policy.estimated_instance_warmup, view.default_instance_warmup, view.default_cooldown)
            return Warmup(iid, policy.name, at, w, w)
        diw = _seconds(view.default_instance_warmup)
        if diw is not None:
            return Warmup(iid, None, at, diw, diw)
        return Warmup(iid, None, at, effective_warmup(None, None, view.default_cooldown), 0)

    def _policy(self, group_name: str, policy_name: str | None) -> Any:
        if policy_name is None:
            return None
        gs = getattr(self.sim.autoscaling, "groups", {}).get(group_name)
        policy = gs.group.autoscaling_backend.policies.get(policy_name) if gs is not None else None
        if policy is None or policy.auto_scaling_group_name != group_name:
            return None  # deleted since: the group's own settings apply
        return policy if policy.policy_type in WARMUP_POLICY_TYPES else None

    def warming(self, view: Any) -> list[str]:
        """Instances of the group still warming up (Pending, or InService for less than their warm-up)."""
        now = self.sim.now
        return [i.instance_id for i in view.instances if i.lifecycle_state.startswith(("Pending", "InService"))
                and self.of(view, i).warming(now)]

    def in_aggregate(self, view: Any, instance: Any) -> bool:
        """Does this InService instance's usage data count in the group's aggregated metrics now?"""
        return instance.lifecycle_state == "InService" and self.of(view, instance).in_aggregate(self.sim.now)

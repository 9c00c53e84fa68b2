"""Scaling-activity Cause text, worded like AWS's.

Patterns from https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-verify-scaling-activity.html
(aws-semantics §4.3); the scale-out-by-alarm wording is derived from them.
"""
from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["aws_time", "alarm_cause", "scheduled_cause"]


def aws_time(epoch: float) -> str:
    """``2026-11-26T22:10:00Z``: the time stamp in activity causes."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def alarm_cause(at: float, alarm_name: str, policy_name: str, old: int, new: int, state: str = "ALARM") -> str:
    """``At … a monitor alarm … in state ALARM triggered policy … changing the desired capacity from 2 to 4.``"""
    return (f"At {aws_time(at)} a monitor alarm {alarm_name} in state {state} triggered policy "
            f"{policy_name} changing the desired capacity from {old} to {new}.")


def scheduled_cause(at: float, min_size: int, max_size: int, desired: int, old: int) -> str:
    """A scheduled action's cause (the "update of AutoScalingGroup constraints" wording)."""
    return (f"At {aws_time(at)} a scheduled action update of AutoScalingGroup constraints to "
            f"min: {min_size}, max: {max_size}, desired: {desired} changing the desired capacity "
            f"from {old} to {desired}.")

"""Step and simple scaling: how an alarm's breach becomes a new desired capacity.

Sources: https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html
(step bounds, rounding, MinAdjustmentMagnitude) and
https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scaling-cooldowns.html
(simple scaling waits for the activity, then the cooldown).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

__all__ = [
    "ADJUSTMENT_TYPES", "DEFAULT_COOLDOWN_S", "StepAdjustment", "select_step", "validate_steps",
    "rounded_change", "apply_adjustment", "clamp", "step_scale_out_desired", "SimpleScalingGate",
]

ADJUSTMENT_TYPES = ("ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity")
#: DefaultCooldown of a group, used by simple scaling (300 s).
#: https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scaling-cooldowns.html
DEFAULT_COOLDOWN_S = 300


@dataclass(frozen=True)
class StepAdjustment:
    """One step: bounds are relative to the alarm threshold; ``None`` is infinity."""

    scaling_adjustment: int
    metric_interval_lower_bound: float | None = None
    metric_interval_upper_bound: float | None = None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> "StepAdjustment":
        lo, hi = d.get("MetricIntervalLowerBound"), d.get("MetricIntervalUpperBound")
        return cls(int(d["ScalingAdjustment"]), None if lo is None else float(lo),
                   None if hi is None else float(hi))

    def contains(self, breach: float, above: bool) -> bool:
        """Above the threshold the lower end is inclusive; below it the upper end is."""
        lo = -math.inf if self.metric_interval_lower_bound is None else self.metric_interval_lower_bound
        hi = math.inf if self.metric_interval_upper_bound is None else self.metric_interval_upper_bound
        return lo <= breach < hi if above else lo < breach <= hi


def validate_steps(steps: Sequence[StepAdjustment]) -> None:
    """AWS's rules: no overlaps, no gaps, at most one open lower and one open upper end."""
    if sum(s.metric_interval_lower_bound is None for s in steps) > 1:
        raise ValueError("Only one step may have a null MetricIntervalLowerBound.")
    if sum(s.metric_interval_upper_bound is None for s in steps) > 1:
        raise ValueError("Only one step may have a null MetricIntervalUpperBound.")
    ordered = sorted(steps, key=lambda s: -math.inf if s.metric_interval_lower_bound is None
                     else s.metric_interval_lower_bound)
    for a, b in zip(ordered, ordered[1:]):
        if a.metric_interval_upper_bound != b.metric_interval_lower_bound:
            raise ValueError(f"Step ranges must not overlap or leave gaps: {a} then {b}.")


def select_step(steps: Iterable[StepAdjustment], breach: float, above: bool | None = None) -> StepAdjustment | None:
    """The step for ``breach = metric - threshold`` (``above``: the alarm is a greater-than alarm)."""
    above = breach >= 0 if above is None else above
    return next((s for s in steps if s.contains(breach, above)), None)


def rounded_change(current: int, percent: float) -> int:
    """PercentChangeInCapacity rounding: >1 down, (0,1) -> 1, (-1,0) -> -1, < -1 up.

    Docs' examples: 30 % of 11 = 3.3 -> +3; -10 % of 14 = -1.4 -> -1.
    """
    v = current * percent / 100.0
    if v > 1:
        return math.floor(v)
    if 0 < v < 1:
        return 1
    if -1 < v < 0:
        return -1
    return math.ceil(v) if v < -1 else int(v)


def apply_adjustment(current: int, adjustment_type: str, adjustment: float,
                     min_adjustment_magnitude: int | None = None) -> int:
    """The desired capacity an adjustment asks for, before min/max clamping."""
    if adjustment_type == "ExactCapacity":
        return int(adjustment)
    if adjustment_type == "ChangeInCapacity":
        return current + int(adjustment)
    if adjustment_type != "PercentChangeInCapacity":
        raise ValueError(f"AdjustmentType must be one of {ADJUSTMENT_TYPES}, not {adjustment_type!r}")
    change = rounded_change(current, adjustment)
    if min_adjustment_magnitude and 0 < abs(change) < min_adjustment_magnitude:
        change = int(math.copysign(min_adjustment_magnitude, change))
    return current + change


def clamp(desired: int, min_size: int, max_size: int) -> int:
    return max(min_size, min(max_size, desired))


def step_scale_out_desired(desired: int, warming: int, adjustment_type: str, adjustment: float,
                           min_adjustment_magnitude: int | None = None) -> int:
    """Step scale-out while instances warm up: warming ones count toward the new capacity.

    AWS's example: 10 in service + 2 warming after a +2 step; a +3 step then
    goes to 13, not 15, so repeated breaches don't stack.
    """
    base = desired - warming
    return max(desired, apply_adjustment(base, adjustment_type, adjustment, min_adjustment_magnitude))


@dataclass
class SimpleScalingGate:
    """Simple scaling: after an activity, wait for it to finish and then the cooldown."""

    cooldown_s: float = DEFAULT_COOLDOWN_S
    busy_until: float | None = None  # None: ready; inf: the activity is still running

    def ready(self, now: float) -> bool:
        return self.busy_until is None or now >= self.busy_until

    def activity_started(self) -> None:
        self.busy_until = math.inf

    def activity_finished(self, at: float) -> None:
        self.busy_until = at + self.cooldown_s

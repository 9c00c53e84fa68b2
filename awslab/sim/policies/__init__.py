"""The four EC2 Auto Scaling policy types, as pure decisions the simulator executes.

* :mod:`.target_tracking`: the two managed alarms, proportional scale-out, conservative scale-in.
* :mod:`.adjustments`: step scaling (bounds relative to the threshold, AWS's rounding)
  and simple scaling (activity, then cooldown).
* :mod:`.scheduled`: cron Recurrence in UTC or a time zone.
* :mod:`.causes`: the scaling-activity Cause text.
"""
from __future__ import annotations

from .adjustments import (SimpleScalingGate, StepAdjustment, apply_adjustment, clamp, rounded_change,
                          select_step, step_scale_out_desired, validate_steps)
from .causes import alarm_cause, aws_time, scheduled_cause
from .scheduled import Cron, ScheduledActionSpec, next_run
from .target_tracking import alarm_definitions, combine, scale_in_desired, scale_out_desired, tracked_metric

__all__ = [
    "SimpleScalingGate", "StepAdjustment", "apply_adjustment", "clamp", "rounded_change", "select_step",
    "step_scale_out_desired", "validate_steps", "alarm_cause", "aws_time", "scheduled_cause", "Cron",
    "ScheduledActionSpec", "next_run", "alarm_definitions", "combine", "scale_in_desired",
    "scale_out_desired", "tracked_metric",
]

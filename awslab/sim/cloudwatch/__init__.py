"""The simulator's CloudWatch: alarm evaluation (pure, :mod:`.alarms`) and, inside the
embedded cloud, the subsystem that samples instances, publishes metrics when CloudWatch would
deliver them and evaluates every alarm each minute (:mod:`.publisher`)."""
from __future__ import annotations

from .alarms import (ALARM, INSUFFICIENT_DATA, OK, AlarmEvaluation, AlarmSpec, PeriodValue, Sample,
                     evaluate, period_values, statistic_of, statistic_of_samples)

__all__ = ["ALARM", "INSUFFICIENT_DATA", "OK", "AlarmEvaluation", "AlarmSpec", "PeriodValue", "Sample",
           "evaluate", "period_values", "statistic_of", "statistic_of_samples"]

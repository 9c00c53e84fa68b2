"""The simulator's CloudWatch: alarm evaluation (pure, :mod:`.alarms`) and, inside the
embedded cloud, the subsystem that publishes metrics and evaluates every alarm each minute."""
from __future__ import annotations

from .alarms import (ALARM, INSUFFICIENT_DATA, OK, AlarmEvaluation, AlarmSpec, PeriodValue, Sample,
                     evaluate, period_values, statistic_of)

__all__ = ["ALARM", "INSUFFICIENT_DATA", "OK", "AlarmEvaluation", "AlarmSpec", "PeriodValue", "Sample",
           "evaluate", "period_values", "statistic_of"]

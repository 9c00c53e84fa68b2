"""CloudWatch metric alarms: how one evaluation turns datapoints into a state.

An alarm watches one metric. Every minute CloudWatch cuts the recent past
into periods of ``Period`` seconds, takes the statistic of each, and asks:
did at least ``DatapointsToAlarm`` (M) of the last ``EvaluationPeriods`` (N)
cross the threshold? Source for everything here:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html

This module is pure: :func:`evaluate` takes the alarm's settings, the raw
samples and the time, and returns the new state, AWS's reason text and the
actions to run. The simulator's CloudWatch subsystem calls it each minute.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

__all__ = [
    "OK", "ALARM", "INSUFFICIENT_DATA", "STATES", "TREAT_MISSING_DATA", "COMPARISONS",
    "EVALUATION_RANGE_EXTRA", "Sample", "AlarmSpec", "PeriodValue", "AlarmEvaluation",
    "period_values", "evaluate", "statistic_of", "statistic_of_samples", "is_autoscaling_action",
]

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
STATES = (OK, ALARM, INSUFFICIENT_DATA)
#: TreatMissingData values; ``missing`` is the default.
TREAT_MISSING_DATA = ("missing", "notBreaching", "breaching", "ignore")
#: ComparisonOperator -> the words AWS puts in the reason text.
COMPARISONS = {
    "GreaterThanThreshold": "greater than",
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}
#: CloudWatch fetches more periods than N (the "evaluation range"); the docs'
#: example is N=3 -> 5 datapoints. The rule for other N is not published:
#: UNCONFIRMED, we always fetch N + 2.
EVALUATION_RANGE_EXTRA = 2


@dataclass(frozen=True)
class Sample:
    """What one datapoint put into a metric at ``timestamp`` (epoch seconds) holds.

    A raw value is ``Sample(t, value)``: one sample. A statistic set (PutMetricData
    ``StatisticValues``, or an EC2 basic-monitoring datapoint made of five one-minute
    samples) is :meth:`statistic_set`: ``value`` is then its mean and ``count`` its
    SampleCount, so Sum, Minimum, Maximum and SampleCount stay exact when periods combine them.
    """

    timestamp: float
    value: float
    count: float = 1.0
    minimum: float | None = None
    maximum: float | None = None

    @classmethod
    def statistic_set(cls, timestamp: float, total: float, count: float, minimum: float,
                      maximum: float) -> "Sample":
        return cls(timestamp, total / count if count else 0.0, float(count), float(minimum), float(maximum))

    @property
    def total(self) -> float:
        """The Sum this datapoint contributes."""
        return self.value * self.count

    @property
    def low(self) -> float:
        return self.value if self.minimum is None else self.minimum

    @property
    def high(self) -> float:
        return self.value if self.maximum is None else self.maximum


@dataclass(frozen=True)
class AlarmSpec:
    """The settings of a metric alarm, named as in PutMetricAlarm."""

    alarm_name: str
    threshold: float
    comparison_operator: str = "GreaterThanThreshold"
    period: int = 60
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    statistic: str = "Average"
    treat_missing_data: str = "missing"
    alarm_actions: tuple[str, ...] = ()
    ok_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()
    actions_enabled: bool = True
    namespace: str = ""
    metric_name: str = ""
    dimensions: tuple[tuple[str, str], ...] = ()

    @property
    def m(self) -> int:
        """DatapointsToAlarm; it defaults to EvaluationPeriods."""
        return self.datapoints_to_alarm or self.evaluation_periods

    def actions_for(self, state: str) -> tuple[str, ...]:
        return {ALARM: self.alarm_actions, OK: self.ok_actions,
                INSUFFICIENT_DATA: self.insufficient_data_actions}[state]

    def breaches(self, value: float) -> bool:
        op, t = self.comparison_operator, self.threshold
        return {"GreaterThanThreshold": value > t, "GreaterThanOrEqualToThreshold": value >= t,
                "LessThanThreshold": value < t, "LessThanOrEqualToThreshold": value <= t}[op]

    @classmethod
    def from_moto(cls, alarm: Any) -> "AlarmSpec":
        """The spec of a moto ``Alarm`` model."""
        return cls(
            alarm_name=alarm.name, threshold=float(alarm.threshold),
            comparison_operator=alarm.comparison_operator, period=int(alarm.period or 60),
            evaluation_periods=int(alarm.evaluation_periods or 1),
            datapoints_to_alarm=int(alarm.datapoints_to_alarm) if alarm.datapoints_to_alarm else None,
            statistic=alarm.statistic or alarm.extended_statistic or "Average",
            treat_missing_data=alarm.treat_missing_data or "missing",
            alarm_actions=tuple(alarm.alarm_actions or ()), ok_actions=tuple(alarm.ok_actions or ()),
            insufficient_data_actions=tuple(alarm.insufficient_data_actions or ()),
            actions_enabled=bool(alarm.actions_enabled), namespace=alarm.namespace or "",
            metric_name=alarm.metric_name or "",
            dimensions=tuple((d.name, d.value) for d in alarm.dimensions),
        )


@dataclass(frozen=True)
class PeriodValue:
    """The statistic of one period ``[start, start + period)``, or None when no data came."""

    start: float
    value: float | None
    sample_count: float = 0


@dataclass(frozen=True)
class AlarmEvaluation:
    """The result of one evaluation: the state, AWS's reason text and JSON, and actions to run."""

    state: str
    previous_state: str
    reason: str
    reason_data: str
    actions: tuple[str, ...] = ()
    evaluated: tuple[PeriodValue, ...] = field(default_factory=tuple)

    @property
    def changed(self) -> bool:
        return self.state != self.previous_state


def statistic_of(values: Sequence[float], statistic: str) -> float:
    """Average, Sum, Minimum, Maximum, SampleCount or a percentile like ``p95``."""
    if statistic == "Average":
        return sum(values) / len(values)
    if statistic == "Sum":
        return float(sum(values))
    if statistic == "Minimum":
        return float(min(values))
    if statistic == "Maximum":
        return float(max(values))
    if statistic == "SampleCount":
        return float(len(values))
    if statistic.startswith("p"):
        ordered = sorted(values)
        rank = max(0, math.ceil(float(statistic[1:]) / 100 * len(ordered)) - 1)
        return float(ordered[rank])
    raise ValueError(f"unknown statistic {statistic!r}")


def statistic_of_samples(samples: Sequence[Sample], statistic: str) -> float:
    """The statistic of the datapoints in one period, statistic sets included (Average = Sum / SampleCount)."""
    if statistic == "Average":
        return sum(s.total for s in samples) / sum(s.count for s in samples)
    if statistic == "Sum":
        return float(sum(s.total for s in samples))
    if statistic == "Minimum":
        return float(min(s.low for s in samples))
    if statistic == "Maximum":
        return float(max(s.high for s in samples))
    if statistic == "SampleCount":
        return float(sum(s.count for s in samples))
    return statistic_of([s.value for s in samples], statistic)


def period_values(samples: Iterable[Sample], statistic: str, period: int, end: float,
                  count: int) -> list[PeriodValue]:
    """The last ``count`` periods ending at ``end``, newest first (a sliding window)."""
    buckets: list[list[Sample]] = [[] for _ in range(count)]
    start = end - count * period
    for s in samples:
        if start <= s.timestamp < end:
            buckets[int((end - s.timestamp - 1e-9) // period)].append(s)
    return [PeriodValue(end - (k + 1) * period, statistic_of_samples(b, statistic) if b else None,
                        sum(s.count for s in b)) for k, b in enumerate(buckets)]


def is_autoscaling_action(arn: str) -> bool:
    """Auto Scaling policy ARNs repeat every minute while the alarm stays in the state."""
    return arn.startswith("arn:aws:autoscaling:") or ":autoscaling:" in arn.split("/")[0]


def evaluate(spec: AlarmSpec, samples: Iterable[Sample], now: float, current_state: str,
             in_flight_periods: int = 0) -> AlarmEvaluation:
    """Evaluate ``spec`` at ``now`` over ``samples``, as CloudWatch does each minute.

    * Fetch the evaluation range (N + :data:`EVALUATION_RANGE_EXTRA` periods, plus
      ``in_flight_periods``: the newest periods whose datapoints are still being delivered).
    * With at least N real datapoints, judge the newest N real ones (missing ones are skipped).
    * With fewer, fill the gaps as ``TreatMissingData`` says; with ``missing`` or
      ``ignore`` the alarm only moves when the real points already decide it
      (the "premature ALARM" guard), and all-missing gives INSUFFICIENT_DATA
      (``missing``) or keeps the state (``ignore``).
    """
    n = spec.evaluation_periods
    end = math.floor(now / 60) * 60
    window = period_values(samples, spec.statistic, spec.period, end, n + EVALUATION_RANGE_EXTRA + in_flight_periods)
    real = [p for p in window if p.value is not None]
    if len(real) >= n:
        state, points = _judge(spec, real[:n]), real[:n]
        reason = _threshold_reason(spec, points, state, current_state)
    else:
        state, points, reason = _judge_missing(spec, window[:n], real, current_state)
    return AlarmEvaluation(state, current_state, reason, _reason_data(spec, points, now, end, state),
                           _actions(spec, state, current_state), tuple(points))


def _judge(spec: AlarmSpec, points: Sequence[PeriodValue]) -> str:
    breaching = sum(1 for p in points if spec.breaches(p.value))
    return ALARM if breaching >= spec.m else OK


def _judge_missing(spec: AlarmSpec, window: list[PeriodValue], real: list[PeriodValue],
                   current: str) -> tuple[str, list[PeriodValue], str]:
    n, m, treat = spec.evaluation_periods, spec.m, spec.treat_missing_data
    fill = n - len(real)
    if treat in ("breaching", "notBreaching"):
        bad = sum(1 for p in real if spec.breaches(p.value)) + (fill if treat == "breaching" else 0)
        state = ALARM if bad >= m else OK
        if not real:
            word = "Breaching" if treat == "breaching" else "NonBreaching"
            return state, [], (f"Threshold Crossed: no datapoints were received for {_n(n, 'period')} and "
                               f"{_n(n, 'missing datapoint')} {_were(n)} treated as [{word}].")
        return state, real, _threshold_reason(spec, real, state, current, n)
    if not real:
        if treat == "ignore":
            return current, [], "Unchecked: missing data is ignored; the alarm keeps its state."
        return INSUFFICIENT_DATA, [], f"Insufficient Data: {_n(n, 'datapoint')} {_were(n)} unknown."
    bad = sum(1 for p in real if spec.breaches(p.value))
    good = len(real) - bad
    if bad >= m:
        return ALARM, real, _threshold_reason(spec, real, ALARM, current, n)
    if good > n - m:  # ALARM is already impossible, whatever the gaps hold
        return OK, real, _threshold_reason(spec, real, OK, current, n)
    return current, real, f"Insufficient Data: {_n(fill, 'datapoint')} {_were(fill)} unknown."


def _threshold_reason(spec: AlarmSpec, points: Sequence[PeriodValue], state: str, previous: str,
                      n: int | None = None) -> str:
    """AWS's text, e.g. ``Threshold Crossed: 3 out of the last 3 datapoints [...] were greater than ...``."""
    n = n or spec.evaluation_periods
    words = COMPARISONS[spec.comparison_operator]
    if state == ALARM:
        chosen = [p for p in points if spec.breaches(p.value)]
        need, transition = spec.m, f"{_from(previous)} -> ALARM"
    else:
        chosen = [p for p in points if not spec.breaches(p.value)]
        words = "not " + words
        need, transition = n - spec.m + 1, f"{_from(previous, ALARM)} -> OK"
    listed = ", ".join(f"{p.value!r} ({_short(p.start)})" for p in chosen)
    return (f"Threshold Crossed: {len(chosen)} out of the last {n} datapoints [{listed}] "
            f"{'was' if len(chosen) == 1 else 'were'} {words} the threshold ({float(spec.threshold)!r}) "
            f"(minimum {_n(need, 'datapoint')} for {transition} transition).")


def _reason_data(spec: AlarmSpec, points: Sequence[PeriodValue], now: float, end: float, state: str) -> str:
    """``StateReasonData`` JSON in AWS's shape (version 1.0)."""
    data: dict[str, Any] = {
        "version": "1.0", "queryDate": _iso(now),
        "startDate": _iso(end - spec.evaluation_periods * spec.period),
        "statistic": spec.statistic, "period": spec.period,
        "recentDatapoints": [p.value for p in reversed(points)], "threshold": float(spec.threshold),
        "evaluatedDatapoints": [{"timestamp": _iso(p.start), "sampleCount": float(p.sample_count),
                                 "value": p.value} for p in points],
    }
    return json.dumps(data)


def _actions(spec: AlarmSpec, state: str, previous: str) -> tuple[str, ...]:
    """Actions fire on a change; Auto Scaling actions also repeat each minute in the state."""
    if not spec.actions_enabled:
        return ()
    arns = spec.actions_for(state)
    return arns if state != previous else tuple(a for a in arns if is_autoscaling_action(a))


def _from(previous: str, default: str = OK) -> str:
    return previous if previous in (OK, ALARM) else default


def _n(k: int, noun: str) -> str:
    return f"{k} {noun}{'' if k == 1 else 's'}"


def _were(k: int) -> str:
    return "was" if k == 1 else "were"


def _short(epoch: float) -> str:
    """AWS's datapoint stamp in reason text: ``dd/mm/yy HH:MM:SS`` UTC."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%d/%m/%y %H:%M:%S")


def _iso(epoch: float) -> str:
    dt = datetime.fromtimestamp(epoch, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"

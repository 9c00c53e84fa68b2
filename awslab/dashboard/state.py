"""What the dashboard shows, as a pure function of what the standard AWS APIs answered.

:func:`dashboard_state` takes the answers of one refresh (:class:`ApiAnswers`: ``describe-auto-scaling-groups``,
``describe-target-health``, ``describe-alarms``, ``describe-alarm-history``, ``GetMetricData``, the drill's
story) and the previous state, and returns a :class:`DashboardState`. Nothing here calls AWS, so a test feeds
it recorded answers; :mod:`awslab.dashboard.collect` makes the calls, :mod:`awslab.dashboard.charts` draws.

The desired / in-service / healthy counts are sampled from the describe calls at each refresh (they need no
``EnableMetricsCollection``), so their history is carried from one state to the next, bounded to the window.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from .metrics import MetricSeries

__all__ = ["ApiAnswers", "DashboardState", "InstanceRow", "AlarmLine", "AlarmBand", "Counts", "DrillView",
           "dashboard_state", "WINDOW_S"]

#: How much simulated time the charts show: 30 minutes (about 30 s of wall time at 60x).
WINDOW_S = 1800.0
#: The longest story the timeline keeps (the newest lines).
STORY_LINES = 18
#: Instance states that count as leaving or gone (AWS's lifecycle states).
_STAYING = ("InService", "Pending", "Pending:Wait", "Pending:Proceed")


@dataclass(frozen=True)
class InstanceRow:
    """One member of the group: where it runs, its lifecycle state and what the target group thinks of it."""

    instance_id: str
    availability_zone: str
    lifecycle_state: str
    health_status: str
    target_state: str  # healthy, unhealthy, initial, draining, unused, or "" when not registered
    reason: str = ""


@dataclass(frozen=True)
class AlarmLine:
    """An alarm on the group's CPU: its threshold is drawn on the CPU chart."""

    alarm_name: str
    threshold: float
    comparison: str
    state: str


@dataclass(frozen=True)
class AlarmBand:
    """``alarm_name`` was in ``state`` from ``start`` to ``end`` (epoch seconds, simulated time)."""

    alarm_name: str
    state: str
    start: float
    end: float


@dataclass(frozen=True)
class Counts:
    """The group's capacity, sampled at each refresh: parallel tuples, oldest first."""

    times: tuple[float, ...] = ()
    desired: tuple[int, ...] = ()
    in_service: tuple[int, ...] = ()
    healthy: tuple[int, ...] = ()

    def add(self, now: float, desired: int, in_service: int, healthy: int, since: float) -> "Counts":
        """These counts with one more sample at ``now``, those before ``since`` dropped."""
        keep = [i for i, t in enumerate(self.times) if since <= t < now]
        columns = (self.times, self.desired, self.in_service, self.healthy)
        kept = [tuple(col[i] for i in keep) for col in columns]
        return Counts(*(col + (value,) for col, value in zip(kept, (now, desired, in_service, healthy))))


@dataclass(frozen=True)
class DrillView:
    """The running drill: its registry key and title, and each milestone with whether it is reached."""

    key: str
    title: str
    milestones: tuple[tuple[str, bool], ...] = ()


@dataclass
class ApiAnswers:
    """One refresh's answers, as boto3 returns them (``group`` is a ``describe-auto-scaling-groups`` item)."""

    now: float
    group: dict | None
    target_health: dict[str, list[dict]] = field(default_factory=dict)  # target group ARN -> descriptions
    alarms: list[dict] = field(default_factory=list)  # describe-alarms MetricAlarms (every one; filtered here)
    alarm_history: list[dict] = field(default_factory=list)  # describe-alarm-history AlarmHistoryItems
    metric_data: list[dict] = field(default_factory=list)  # GetMetricData MetricDataResults
    story: Iterable[Any] = ()  # the drill's StoryLines
    drill: DrillView | None = None


@dataclass(frozen=True)
class DashboardState:
    """Everything one frame of the dashboard shows."""

    now: float
    group_name: str = ""
    desired: int = 0
    in_service: int = 0
    healthy: int = 0
    instances: tuple[InstanceRow, ...] = ()
    counts: Counts = Counts()
    cpu_group: MetricSeries = MetricSeries("cpu_group", (), ())
    cpu_instances: tuple[MetricSeries, ...] = ()
    alarm_lines: tuple[AlarmLine, ...] = ()
    alarm_bands: tuple[AlarmBand, ...] = ()
    requests: MetricSeries = MetricSeries("requests", (), ())
    elb_5xx: MetricSeries = MetricSeries("elb5xx", (), ())
    target_5xx: MetricSeries = MetricSeries("target5xx", (), ())
    p50: MetricSeries = MetricSeries("p50", (), ())
    p99: MetricSeries = MetricSeries("p99", (), ())
    story: tuple[Any, ...] = ()
    drill: DrillView | None = None

    @property
    def window(self) -> tuple[float, float]:
        return self.now - WINDOW_S, self.now

    def zones(self) -> dict[str, int]:
        """Healthy InService targets per Availability Zone."""
        out: dict[str, int] = {}
        for row in self.instances:
            out.setdefault(row.availability_zone, 0)
            if row.lifecycle_state == "InService" and row.target_state == "healthy":
                out[row.availability_zone] += 1
        return out


def _epoch(t: Any) -> float:
    if isinstance(t, datetime):
        return t.timestamp()
    if isinstance(t, str):
        return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
    return float(t)


def _series(results: dict[str, dict], qid: str) -> MetricSeries:
    r = results.get(qid) or {}
    points = sorted(zip((_epoch(t) for t in r.get("Timestamps", [])), r.get("Values", [])))
    return MetricSeries(qid, tuple(t for t, _v in points), tuple(float(v) for _t, v in points))


def _combined(results: dict[str, dict], prefix: str, name: str, combine=lambda a, b: a + b) -> MetricSeries:
    """The series whose Id starts with ``prefix``, combined per timestamp: added up by default (counts over
    several load balancers or target groups); ``combine=max`` for latency percentiles, which do not add."""
    merged: dict[float, float] = {}
    for qid in results:
        if qid.startswith(prefix):
            s = _series(results, qid)
            for t, v in zip(s.times, s.values):
                merged[t] = combine(merged[t], v) if t in merged else v
    times = tuple(sorted(merged))
    return MetricSeries(name, times, tuple(merged[t] for t in times))


def _instances(group: dict, target_health: dict[str, list[dict]]) -> tuple[InstanceRow, ...]:
    health = {d["Target"]["Id"]: d["TargetHealth"] for arn in sorted(target_health) for d in target_health[arn]}
    rows = [InstanceRow(i["InstanceId"], i.get("AvailabilityZone", ""), i.get("LifecycleState", ""),
                        i.get("HealthStatus", ""), health.get(i["InstanceId"], {}).get("State", ""),
                        health.get(i["InstanceId"], {}).get("Reason", ""))
            for i in group.get("Instances", [])]
    return tuple(sorted(rows, key=lambda r: (r.availability_zone, r.instance_id)))


def _cpu_alarms(alarms: list[dict], group: str) -> list[dict]:
    """The alarms that watch the group's average CPUUtilization (the ones whose threshold is on the CPU chart)."""
    return [a for a in alarms if a.get("MetricName") == "CPUUtilization" and a.get("Namespace") == "AWS/EC2"
            and {"Name": "AutoScalingGroupName", "Value": group} in a.get("Dimensions", [])]


def _group_alarms(alarms: list[dict], group: dict) -> list[dict]:
    """Alarms about the group, its target groups or their load balancers (by their dimensions)."""
    from .metrics import dimension_of_arn

    mine = {group["AutoScalingGroupName"]} | {dimension_of_arn(a) for a in group.get("TargetGroupARNs", [])}
    return [a for a in alarms if any(d.get("Value") in mine for d in a.get("Dimensions", []))]


def _bands(alarms: list[dict], history: list[dict], since: float, now: float) -> tuple[AlarmBand, ...]:
    """Each alarm's states over ``[since, now]`` from its StateUpdate history items (oldest first)."""
    bands: list[AlarmBand] = []
    for a in sorted(alarms, key=lambda a: a["AlarmName"]):
        changes = sorted((_epoch(h["Timestamp"]), json.loads(h.get("HistoryData") or "{}"))
                         for h in history if h.get("AlarmName") == a["AlarmName"]
                         and h.get("HistoryItemType") == "StateUpdate")
        state = changes[0][1].get("oldState", {}).get("stateValue") if changes else a.get("StateValue")
        start = since
        for when, data in changes:
            if when > since:
                bands.append(AlarmBand(a["AlarmName"], state or "INSUFFICIENT_DATA", start, min(when, now)))
                start = when
            state = data.get("newState", {}).get("stateValue", state)
        bands.append(AlarmBand(a["AlarmName"], a.get("StateValue") or state or "INSUFFICIENT_DATA", start, now))
    return tuple(b for b in bands if b.end > b.start)


def dashboard_state(answers: ApiAnswers, previous: DashboardState | None = None) -> DashboardState:
    """The frame for ``answers``, carrying the capacity counts' history from ``previous`` (pure)."""
    now, group = answers.now, answers.group
    since = now - WINDOW_S
    story = tuple(answers.story)
    if len(story) > STORY_LINES:  # what the drill did first, then the newest lines
        story = story[:1] + story[-(STORY_LINES - 1):]
    if group is None:
        return DashboardState(now, story=story, drill=answers.drill)
    rows = _instances(group, answers.target_health)
    in_service = sum(r.lifecycle_state == "InService" for r in rows)
    healthy = sum(r.lifecycle_state == "InService" and r.target_state == "healthy" for r in rows)
    counts = (previous.counts if previous is not None and previous.group_name == group["AutoScalingGroupName"]
              else Counts()).add(now, group["DesiredCapacity"], in_service, healthy, since)
    results = {r["Id"]: r for r in answers.metric_data}
    alarms = _group_alarms(answers.alarms, group)
    cpu_alarms = _cpu_alarms(alarms, group["AutoScalingGroupName"])
    cpu = tuple(_series(results, qid) for qid in sorted(results) if qid.startswith("cpu_i"))
    return DashboardState(
        now, group["AutoScalingGroupName"], group["DesiredCapacity"], in_service, healthy, rows, counts,
        _series(results, "cpu_group"), tuple(s for s in cpu if s.times),
        tuple(AlarmLine(a["AlarmName"], float(a["Threshold"]), a.get("ComparisonOperator", ""), a.get("StateValue", ""))
              for a in sorted(cpu_alarms, key=lambda a: a["AlarmName"]) if a.get("Threshold") is not None),
        _bands(alarms, answers.alarm_history, since, now),
        _combined(results, "requests_", "requests"), _combined(results, "elb5xx_", "elb5xx"),
        _combined(results, "target5xx_", "target5xx"), _combined(results, "p50_", "p50", max),
        _combined(results, "p99_", "p99", max),
        story, answers.drill)

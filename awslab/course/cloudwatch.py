"""CloudWatch as a lab measures it: when a datapoint arrives, when an alarm fired and on which datapoints.

Everything is read through CloudWatch's own API (``get-metric-statistics``,
``describe-alarms``, ``describe-alarm-history``), so the same cells measure
the embedded cloud and a real account. Two things only the embedded cloud can
say, and says through its control API: how long it holds a datapoint back
(:func:`delivery_delay`), and its clock, which :func:`wait_for_datapoint`
steps so that a measurement does not depend on how busy the computer is.

AWS: "Amazon CloudWatch data for a new EC2 instance typically becomes available within one minute of
the end of the first period of time requested (the aggregation period)"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ec2-metricscollected.html).
"""
from __future__ import annotations

import html
import json
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..i18n import _
from .tables import Table

__all__ = ["AWS_STATED_DELAY_S", "delivery_delay", "Arrival", "wait_for_datapoint", "AlarmChange", "alarm_change",
           "alarm_table", "group_cpu", "surge_minutes"]

#: AWS's own statement: a datapoint is available "within one minute of the end of the ... period".
AWS_STATED_DELAY_S = 60.0


def _simulator(lab: Any):
    from ..drills.simulator import simulator

    return simulator(lab)


def delivery_delay(lab: Any) -> float:
    """Seconds after its period ends that a datapoint becomes readable: the value the embedded cloud uses
    (``AWSLAB_METRIC_DELAY_S``); elsewhere AWS's stated bound, one minute (about two are commonly observed)."""
    sim = _simulator(lab)
    return sim.metric_delivery_delay() if sim is not None else AWS_STATED_DELAY_S


def _cpu_points(lab: Any, group: str, start: datetime, end: datetime, period: int = 60) -> list[dict]:
    return lab.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/EC2", MetricName="CPUUtilization", Statistics=["Average"], Period=period,
        Dimensions=[{"Name": "AutoScalingGroupName", "Value": group}], StartTime=start, EndTime=end)["Datapoints"]


def group_cpu(lab: Any, group: str, minutes: int = 10) -> Table:
    """The group's average CPUUtilization, one row per minute, as ``get-metric-statistics`` returns it now."""
    from .watch import cloud_now

    now = datetime.fromtimestamp(cloud_now(lab), timezone.utc)
    points = sorted(_cpu_points(lab, group, now - timedelta(minutes=minutes), now), key=lambda p: p["Timestamp"])
    return Table([_("minute (UTC)"), _("Average CPUUtilization (%)")],
                 [[p["Timestamp"].strftime("%H:%M"), round(p["Average"], 1)] for p in points],
                 _("{group}: AWS/EC2 CPUUtilization, AutoScalingGroupName dimension, 60 s periods").format(group=group))


@dataclass(repr=False)
class Arrival:
    """A period's datapoint, and how long after its period ended CloudWatch had it."""

    period_start: datetime
    period_s: int
    seconds_after_period: float
    value: float | None

    def text(self) -> str:
        if self.value is None:
            return _("The datapoint of {start} (UTC) had not arrived {s:.0f} s after its period ended.").format(
                start=self.period_start.strftime("%H:%M"), s=self.seconds_after_period)
        return _("The datapoint of {start}-{end} (UTC), Average {value:.1f} %, became readable {s:.0f} s after its "
                 "period ended.").format(start=self.period_start.strftime("%H:%M"),
                                          end=(self.period_start + timedelta(seconds=self.period_s)).strftime("%H:%M"),
                                          value=self.value, s=self.seconds_after_period)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.value is not None else "#b42318"
        return f"<div style='border-left:4px solid {colour};padding:4px 10px'>{html.escape(self.text())}</div>"


def wait_for_datapoint(lab: Any, group: str, period: int = 60, step_s: float = 5.0,
                       timeout_s: float = 600.0) -> Arrival:
    """Read the group's CPU every ``step_s`` seconds until the datapoint of the period now in progress is there.

    On the embedded cloud the clock is held still and stepped ``step_s`` at a time, so the measurement is
    the same on a busy laptop and a quiet one; elsewhere the cell waits in real time (up to ``timeout_s``).
    """
    sim = _simulator(lab)
    clock = sim.now if sim is not None else time.time

    def wait(seconds: float) -> None:
        sim.advance(seconds) if sim is not None else time.sleep(seconds)

    def points(start: float, span: float) -> list[dict]:
        first = datetime.fromtimestamp(start, timezone.utc)
        return _cpu_points(lab, group, first, first + timedelta(seconds=span), period)

    if sim is not None:
        sim.pause()
    try:
        # A new group's instances are left out of its average while they warm up: until one counts, there is
        # no datapoint at all. Wait for the metric to exist first, then time the period in progress.
        began = clock()
        while not points(clock() - 5 * period, 5 * period) and clock() - began < timeout_s:
            wait(period / 2)
        now = clock()
        start = math.floor(now / period) * period
        end = start + period
        wait(end - now)
        while True:
            found = [p for p in points(start, period) if p["Timestamp"].timestamp() == start]
            waited = clock() - end
            if found or waited > timeout_s:
                return Arrival(datetime.fromtimestamp(start, timezone.utc), period, waited,
                               found[0]["Average"] if found else None)
            wait(step_s)
    finally:
        if sim is not None:
            sim.resume()


@dataclass(repr=False)
class AlarmChange:
    """An alarm's state change as ``describe-alarm-history`` records it, timed from ``since``."""

    alarm: str
    state: str
    at: datetime | None
    seconds: float | None
    reason: str = ""
    datapoints: list[tuple[datetime, float]] = field(default_factory=list)  # the ones it evaluated, oldest first

    @property
    def first_datapoint(self) -> datetime | None:
        return self.datapoints[0][0] if self.datapoints else None

    def text(self) -> str:
        from ..drills.story import short_name

        if self.at is None:
            return _("{alarm} has not gone to {state}.").format(alarm=short_name(self.alarm), state=self.state)
        since = self.at - timedelta(seconds=self.seconds or 0)
        return _("{alarm} went to {state} at {at} (UTC), {s:.0f} s after {since}. {reason}").format(
            alarm=short_name(self.alarm), state=self.state, at=self.at.strftime("%H:%M:%S"), s=self.seconds,
            since=since.strftime("%H:%M:%S"), reason=self.reason)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.at is not None else "#b42318"
        return f"<div style='border-left:4px solid {colour};padding:4px 10px'>{html.escape(self.text())}</div>"


def alarm_change(lab: Any, alarm_name: str, state: str, since: datetime) -> AlarmChange:
    """The first change of ``alarm_name`` to ``state`` at or after ``since``, from ``describe-alarm-history``."""
    cw = lab.client("cloudwatch")
    items = cw.describe_alarm_history(AlarmName=alarm_name, HistoryItemType="StateUpdate", ScanBy="TimestampAscending",
                                      StartDate=since)["AlarmHistoryItems"]
    for item in sorted(items, key=lambda i: i["Timestamp"]):
        data = json.loads(item.get("HistoryData") or "{}")
        new = data.get("newState", {})
        if new.get("stateValue") != state or item["Timestamp"] < since:
            continue
        evaluated = (new.get("stateReasonData") or {}).get("evaluatedDatapoints", [])
        points = sorted((_iso(p["timestamp"]), float(p["value"])) for p in evaluated if "value" in p)
        return AlarmChange(alarm_name, state, item["Timestamp"], (item["Timestamp"] - since).total_seconds(),
                           new.get("stateReason", ""), points)
    return AlarmChange(alarm_name, state, None, None)


def _iso(text: str) -> datetime:
    """CloudWatch's ``2026-11-30T04:55:00.000+0000``."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def alarm_table(lab: Any, names: list[str]) -> Table:
    """The alarms as ``describe-alarms`` shows them: what they watch, when they fire, their state."""
    from ..drills.story import short_name

    ops = {"GreaterThanThreshold": ">", "GreaterThanOrEqualToThreshold": "≥", "LessThanThreshold": "<",
           "LessThanOrEqualToThreshold": "≤"}
    found = lab.client("cloudwatch").describe_alarms(AlarmNames=list(names))["MetricAlarms"] if names else []
    rows = [[short_name(a["AlarmName"]), f"{a['MetricName']} ({a.get('Statistic', '')})",
             f"{ops.get(a['ComparisonOperator'], a['ComparisonOperator'])} {a['Threshold']:g}",
             _("{m} of {n} × {period} s").format(m=a.get("DatapointsToAlarm") or a["EvaluationPeriods"],
                                                  n=a["EvaluationPeriods"], period=a["Period"]),
             a["StateValue"]] for a in sorted(found, key=lambda a: a["AlarmName"])]
    return Table([_("alarm"), _("metric"), _("fires when"), _("datapoints"), _("state")], rows)


def surge_minutes(lab: Any, group: str, start: datetime, end: datetime) -> Table:
    """Minute by minute, what CloudWatch recorded: the group's CPU and servers in service, and what the ALB saw.

    One ``get-metric-data`` call: AWS/EC2 CPUUtilization (Average) and AWS/AutoScaling GroupInServiceInstances
    for the group; AWS/ApplicationELB RequestCount and HTTPCode_ELB_5XX_Count (Sum) for its load balancer.
    """
    elb = lab.client("elbv2")
    g = lab.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
    tgs = elb.describe_target_groups(TargetGroupArns=g["TargetGroupARNs"][:1])["TargetGroups"] if g["TargetGroupARNs"] else []
    lbs = tgs[0].get("LoadBalancerArns", []) if tgs else []
    by_group = [{"Name": "AutoScalingGroupName", "Value": group}]
    queries = [("cpu", "AWS/EC2", "CPUUtilization", by_group, "Average"),
               ("inservice", "AWS/AutoScaling", "GroupInServiceInstances", by_group, "Average")]
    if lbs:
        by_lb = [{"Name": "LoadBalancer", "Value": lbs[0].split(":loadbalancer/", 1)[1]}]
        queries += [("requests", "AWS/ApplicationELB", "RequestCount", by_lb, "Sum"),
                    ("errors", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", by_lb, "Sum")]
    answer = lab.client("cloudwatch").get_metric_data(StartTime=start, EndTime=end, MetricDataQueries=[
        {"Id": qid, "MetricStat": {"Metric": {"Namespace": ns, "MetricName": name, "Dimensions": dims},
                                   "Period": 60, "Stat": stat}} for qid, ns, name, dims, stat in queries])
    series = {r["Id"]: dict(zip(r["Timestamps"], r["Values"])) for r in answer["MetricDataResults"]}
    minutes = sorted(set().union(*(s.keys() for s in series.values()))) if series else []
    rows = [[m.strftime("%H:%M"), _round(series.get("cpu", {}).get(m), 1), _round(series.get("inservice", {}).get(m), 0),
             _round(series.get("requests", {}).get(m, 0 if lbs else None), 0),
             _round(series.get("errors", {}).get(m, 0 if lbs else None), 0)] for m in minutes]
    return Table([_("minute (UTC)"), _("CPU (%)"), _("in service"), _("requests"), _("ALB 5xx")], rows,
                 _("What CloudWatch recorded for {group}, one row per minute").format(group=group))


def _round(value: float | None, digits: int) -> float | int | None:
    if value is None:
        return None
    return round(value, digits) if digits else int(round(value))

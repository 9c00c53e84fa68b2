"""One refresh's AWS calls: the probes whose answers :func:`awslab.dashboard.state.dashboard_state` turns into a frame.

Read-only, and only standard APIs (so the dashboard reads a real account the same way): about six calls a
refresh, each paginated where AWS pages: ``describe-auto-scaling-groups``, ``describe-target-groups``,
``describe-target-health`` per target group, ``describe-alarms``, ``describe-alarm-history`` and one
``GetMetricData``. The simulator is read only for its clock (AWS's own time is the wall clock).
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from .. import config
from ..lab import Lab
from .metrics import queries_for, read_metric_data
from .state import WINDOW_S, ApiAnswers, DrillView

__all__ = ["lab_group", "collect"]


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[dict]:
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]


def lab_group(lab: Lab) -> dict | None:
    """The lab's Auto Scaling group (tagged ``awslab:lab=<name>``), the first by name, or None."""
    groups = _pages(lab.client("autoscaling"), "describe_auto_scaling_groups", "AutoScalingGroups")
    mine = [g for g in groups if any(t["Key"] == config.LAB_TAG and t["Value"] == lab.name for t in g.get("Tags", []))]
    return min(mine, key=lambda g: g["AutoScalingGroupName"]) if mine else None


def _load_balancers(lab: Lab, tg_arns: list[str]) -> dict[str, list[str]]:
    if not tg_arns:
        return {}
    tgs = lab.client("elbv2").describe_target_groups(TargetGroupArns=tg_arns)["TargetGroups"]
    return {t["TargetGroupArn"]: list(t.get("LoadBalancerArns", [])) for t in tgs}


def collect(lab: Lab, now: float | None = None, drill: Any = None, drill_key: str = "",
            drill_title: str = "") -> ApiAnswers:
    """Every answer one frame needs, at ``now`` (epoch seconds; the simulated clock's, or the wall clock's)."""
    now = time.time() if now is None else now
    group = lab_group(lab)
    answers = ApiAnswers(now, group, drill=_drill_view(drill, drill_key, drill_title))
    if drill is not None:
        answers.story = tuple(drill.story())
    if group is None:
        return answers
    elb, cw = lab.client("elbv2"), lab.client("cloudwatch")
    tg_arns = list(group.get("TargetGroupARNs", []))
    answers.target_health = {arn: elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
                             for arn in tg_arns}
    answers.alarms = _pages(cw, "describe_alarms", "MetricAlarms")
    start, end = (datetime.fromtimestamp(t, timezone.utc) for t in (now - WINDOW_S, now))
    answers.alarm_history = _pages(cw, "describe_alarm_history", "AlarmHistoryItems", HistoryItemType="StateUpdate",
                                   StartDate=start, EndDate=end)
    ids = [i["InstanceId"] for i in group.get("Instances", [])]
    queries = queries_for(group["AutoScalingGroupName"], ids, _load_balancers(lab, tg_arns))
    answers.metric_data = read_metric_data(cw, queries, start, end)
    return answers


def _drill_view(drill: Any, key: str, title: str) -> DrillView | None:
    """The drill's milestones, each with whether its ``status()`` (standard APIs) says it is reached."""
    if drill is None:
        return None
    milestones = tuple(getattr(drill, "milestones", ()))
    status = drill.status() if milestones else None
    return DrillView(key, title, tuple((m, bool(status is not None and status.reached(m))) for m in milestones))

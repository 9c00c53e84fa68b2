"""Target tracking: keep a metric near a target by owning two CloudWatch alarms.

Source: https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html
(aws-semantics §5.1). The policy creates ``TargetTracking-<asg>-AlarmHigh-<uuid>``
(3 of 3 one-minute points above the target) and ``…-AlarmLow-<uuid>`` (15 of 15
below a scale-in threshold a bit under the target). Scale-out is proportional
to metric/target and rounds up; scale-in is conservative and never pushes the
metric above the target.
"""
from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any, Sequence

__all__ = [
    "PREDEFINED_METRICS", "HIGH_DATAPOINTS", "LOW_DATAPOINTS", "SCALE_IN_FACTOR",
    "DETAILED_PERIOD_S", "BASIC_PERIOD_S", "TrackedMetric", "tracked_metric", "alarm_definitions",
    "scale_out_desired", "scale_in_desired", "combine",
]

#: AlarmHigh needs 3 of 3 points, AlarmLow 15 of 15 [OBS, aws-samples/amazon-aurora-labs-for-mysql#3].
HIGH_DATAPOINTS = 3
LOW_DATAPOINTS = 15
#: AlarmLow's threshold = target x this. AWS says only "sufficiently below the target
#: value (usually more than 10 % lower)": UNCONFIRMED exact factor.
SCALE_IN_FACTOR = 0.9
#: Alarm period: 60 s with 1-minute metrics; with EC2 basic monitoring the metric
#: only has 5-minute points, so the alarms run on 300 s (about 15 min to scale out,
#: 75 min to scale in: https://cloudandclear.uk/aws-auto-scaling-assumptions-production/).
DETAILED_PERIOD_S = 60
BASIC_PERIOD_S = 300

#: PredefinedMetricType -> (Namespace, MetricName, Statistic).
PREDEFINED_METRICS = {
    "ASGAverageCPUUtilization": ("AWS/EC2", "CPUUtilization", "Average"),
    "ASGAverageNetworkIn": ("AWS/EC2", "NetworkIn", "Average"),
    "ASGAverageNetworkOut": ("AWS/EC2", "NetworkOut", "Average"),
    "ALBRequestCountPerTarget": ("AWS/ApplicationELB", "RequestCountPerTarget", "Sum"),
}


@dataclass(frozen=True)
class TrackedMetric:
    """The metric a target-tracking policy follows, as its alarms name it."""

    namespace: str
    metric_name: str
    statistic: str
    dimensions: tuple[tuple[str, str], ...]

    def api_dimensions(self) -> list[dict[str, str]]:
        return [{"Name": n, "Value": v} for n, v in self.dimensions]


def tracked_metric(group_name: str, config: dict[str, Any]) -> TrackedMetric:
    """The metric of a ``TargetTrackingConfiguration`` (predefined or customized)."""
    predefined = config.get("PredefinedMetricSpecification")
    if predefined:
        kind = predefined["PredefinedMetricType"]
        ns, name, stat = PREDEFINED_METRICS[kind]
        if kind == "ALBRequestCountPerTarget":
            label = predefined.get("ResourceLabel", "")
            # app/<alb>/<id>/targetgroup/<tg>/<id> -> TargetGroup=targetgroup/<tg>/<id>
            tg = label[label.index("targetgroup/"):] if "targetgroup/" in label else label
            return TrackedMetric(ns, name, stat, (("TargetGroup", tg),))
        return TrackedMetric(ns, name, stat, (("AutoScalingGroupName", group_name),))
    custom = config.get("CustomizedMetricSpecification") or {}
    dims = tuple((d["Name"], d["Value"]) for d in custom.get("Dimensions", []))
    return TrackedMetric(custom.get("Namespace", ""), custom.get("MetricName", ""),
                         custom.get("Statistic", "Average"), dims)


def alarm_definitions(group_name: str, policy_arn: str, config: dict[str, Any],
                      period: int = DETAILED_PERIOD_S, suffix: str | None = None) -> list[dict[str, Any]]:
    """PutMetricAlarm arguments for the policy's AlarmHigh and (unless DisableScaleIn) AlarmLow."""
    metric = tracked_metric(group_name, config)
    target = float(config["TargetValue"])
    common = dict(Namespace=metric.namespace, MetricName=metric.metric_name, Statistic=metric.statistic,
                  Dimensions=metric.api_dimensions(), Period=period, AlarmActions=[policy_arn],
                  AlarmDescription=f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {policy_arn}.")
    high = dict(common, AlarmName=f"TargetTracking-{group_name}-AlarmHigh-{suffix or uuid.uuid4()}",
                ComparisonOperator="GreaterThanThreshold", Threshold=target,
                EvaluationPeriods=HIGH_DATAPOINTS, DatapointsToAlarm=HIGH_DATAPOINTS)
    alarms = [high]
    if not config.get("DisableScaleIn"):
        alarms.append(dict(common, AlarmName=f"TargetTracking-{group_name}-AlarmLow-{suffix or uuid.uuid4()}",
                           ComparisonOperator="LessThanThreshold", Threshold=round(target * SCALE_IN_FACTOR, 6),
                           EvaluationPeriods=LOW_DATAPOINTS, DatapointsToAlarm=LOW_DATAPOINTS))
    return alarms


def scale_out_desired(desired: int, counted: int, metric: float, target: float) -> int:
    """Proportional scale-out, rounded up: ``ceil(counted x metric / target)``.

    ``counted`` is the number of instances behind the metric (warming ones are
    left out of the aggregate); warming ones still count toward ``desired``, so
    the result never drops below it and repeated breaches don't stack.
    """
    if target <= 0 or counted <= 0:
        return desired
    return max(desired, math.ceil(round(counted * metric / target, 9)))


def scale_in_desired(desired: int, metric: float, target: float, warming: int = 0) -> int:
    """Conservative scale-in: the fewest instances that keep the metric at or under the target.

    Nothing happens while instances warm up (scale-in is blocked during warmup).
    """
    if warming or target <= 0 or desired <= 0:
        return desired
    keep = max(1, math.ceil(round(desired * metric / target, 9)))
    return min(desired, keep)


def combine(desired: int, proposals: Sequence[int | None], scale_in_votes: Sequence[bool]) -> int:
    """Several policies: scale out if any asks (the largest wins); scale in only if all agree.

    ``proposals`` are each policy's wanted capacity (None: no opinion);
    ``scale_in_votes`` says, for every policy with scale-in enabled, whether it wants to scale in.
    """
    wanted = [p for p in proposals if p is not None]
    if any(p > desired for p in wanted):
        return max(wanted)
    if wanted and scale_in_votes and all(scale_in_votes):
        return max(wanted)
    return desired

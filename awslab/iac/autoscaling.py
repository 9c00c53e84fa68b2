"""The Auto Scaling group and how it scales, as CloudFormation: the group, its scaling policies (target
tracking, step, simple), the CloudWatch alarms that drive step and simple scaling, and its scheduled actions.

A target tracking policy's own alarms (``TargetTracking-...``) are left out: AWS creates them with the policy.
``AWS::AutoScaling::ScalingPolicy`` takes no name, so CloudFormation names the policies itself.
"""
from __future__ import annotations

from typing import Any

from ..layers.autoscaling import describe_autoscaling
from ..layers.scaling import describe_scaling
from .template import GetAtt, Ref, Sub, Template, logical_id

__all__ = ["export_autoscaling"]

POLICY_KEYS = ("PolicyType", "AdjustmentType", "MetricAggregationType", "EstimatedInstanceWarmup")
ALARM_KEYS = ("AlarmDescription", "Namespace", "MetricName", "Statistic", "Period", "EvaluationPeriods", "Threshold",
              "ComparisonOperator", "TreatMissingData", "DatapointsToAlarm")


def export_autoscaling(lab: Any, t: Template) -> None:
    for group in describe_autoscaling(lab)["auto_scaling_groups"]:
        if group.get("Status") == "Delete in progress":
            continue
        _group(t, group)
        found = describe_scaling(lab, group["AutoScalingGroupName"])
        for policy in found["policies"]:
            _policy(t, policy)
        for alarm in found["alarms"]:
            if not alarm["AlarmName"].startswith("TargetTracking-"):
                _alarm(lab, t, alarm)
        for action in found["scheduled_actions"]:
            _scheduled(t, action)


def _group(t: Template, g: dict) -> None:
    lt = g.get("LaunchTemplate") or {}
    template = t.ref(lt.get("LaunchTemplateId"))
    version = GetAtt(template.name, "LatestVersionNumber") if isinstance(template, Ref) else lt.get("Version")
    metrics = [{"Granularity": m.get("Granularity", "1Minute")} for m in g.get("EnabledMetrics", [])[:1]]
    t.add("AppAutoScalingGroup", "AWS::AutoScaling::AutoScalingGroup", {
        "AutoScalingGroupName": t.named(g["AutoScalingGroupName"]),
        "LaunchTemplate": {"LaunchTemplateId": template, "Version": version} if lt else None,
        "MinSize": str(g["MinSize"]), "MaxSize": str(g["MaxSize"]), "DesiredCapacity": str(g["DesiredCapacity"]),
        "VPCZoneIdentifier": [t.ref(s) for s in g.get("VPCZoneIdentifier", "").split(",") if s],
        "TargetGroupARNs": [t.ref(a) for a in g.get("TargetGroupARNs", [])],
        "HealthCheckType": g.get("HealthCheckType"), "HealthCheckGracePeriod": g.get("HealthCheckGracePeriod"),
        "DefaultInstanceWarmup": g.get("DefaultInstanceWarmup"), "Cooldown": str(g.get("DefaultCooldown", 300)),
        "MetricsCollection": metrics, "Tags": t.tags(g.get("Tags"), propagate=False)},
        (g["AutoScalingGroupName"], g.get("AutoScalingGroupARN", "")))


def _policy(t: Template, p: dict) -> None:
    kind = {"TargetTrackingScaling": "TargetTracking", "StepScaling": "Step", "SimpleScaling": "Simple"}.get(p["PolicyType"], "")
    props: dict[str, Any] = {"AutoScalingGroupName": t.ref(p["AutoScalingGroupName"]),
                             **{k: p[k] for k in POLICY_KEYS if p.get(k) is not None}}
    if p["PolicyType"] == "SimpleScaling":
        props.update(ScalingAdjustment=p.get("ScalingAdjustment"), Cooldown=_str(p.get("Cooldown")))
    if p.get("StepAdjustments"):
        props["StepAdjustments"] = p["StepAdjustments"]
    if p.get("TargetTrackingConfiguration"):
        props["TargetTrackingConfiguration"] = _tracking(t, p["TargetTrackingConfiguration"])
    short = p["PolicyName"][len(t.lab) + 1:] if p["PolicyName"].startswith(t.lab + "-") else p["PolicyName"]
    t.add(logical_id(short or kind) + "Policy", "AWS::AutoScaling::ScalingPolicy", props, (p["PolicyARN"],))


def _tracking(t: Template, config: dict) -> dict:
    config = dict(config)
    metric = dict(config.get("PredefinedMetricSpecification") or {})
    if metric.get("ResourceLabel"):  # app/<alb>/<id>/targetgroup/<tg>/<id>: both halves from the template's own
        alb, tg = next(iter(_resources(t, "LoadBalancer")), None), next(iter(_resources(t, "TargetGroup")), None)
        if alb and tg:
            metric["ResourceLabel"] = Sub(f"${{{alb}.LoadBalancerFullName}}/${{{tg}.TargetGroupFullName}}")
        config["PredefinedMetricSpecification"] = metric
    return config


def _resources(t: Template, kind: str) -> list[str]:
    return [name for name, r in t.resources.items() if r["Type"] == f"AWS::ElasticLoadBalancingV2::{kind}"]


def _alarm(lab: Any, t: Template, a: dict) -> None:
    tags = lab.client("cloudwatch").list_tags_for_resource(ResourceARN=a["AlarmArn"]).get("Tags", [])
    props: dict[str, Any] = {"AlarmName": t.named(a["AlarmName"]), **{k: a[k] for k in ALARM_KEYS if a.get(k) is not None},
                             "Dimensions": [{"Name": d["Name"], "Value": t.ref(d["Value"])} for d in a.get("Dimensions", [])],
                             "AlarmActions": [t.ref(x) for x in a.get("AlarmActions", [])], "Tags": t.tags(tags)}
    if isinstance(props.get("AlarmDescription"), str):
        props["AlarmDescription"] = props["AlarmDescription"].split(" -> ")[0]  # the built policy's id stays behind
    short = a["AlarmName"][len(t.lab) + 1:] if a["AlarmName"].startswith(t.lab + "-") else a["AlarmName"]
    t.add(logical_id(short.replace("asg-", ""), "alarm"), "AWS::CloudWatch::Alarm", props)


def _scheduled(t: Template, a: dict) -> None:
    short = a["ScheduledActionName"][len(t.lab) + 1:] if a["ScheduledActionName"].startswith(t.lab + "-") else a["ScheduledActionName"]
    t.add(logical_id(short, "scheduled", "action"), "AWS::AutoScaling::ScheduledAction", {
        "AutoScalingGroupName": t.ref(a["AutoScalingGroupName"]), "Recurrence": a.get("Recurrence"),
        "MinSize": a.get("MinSize"), "MaxSize": a.get("MaxSize"), "DesiredCapacity": a.get("DesiredCapacity"),
        "TimeZone": a.get("TimeZone")})


def _str(value: Any) -> str | None:
    return None if value is None else str(value)

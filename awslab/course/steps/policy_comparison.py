"""Lab 15's catch-up steps: the scheduled action, the fast step policy and its alarm, target tracking at 50 %.

Each runs only when its task's check does not pass, so a student's own (passing) settings stay as they are.
"""
from __future__ import annotations

from typing import Any

from ..prepare import step

__all__: list[str] = []


def _passes(task_id: str, lab: Any) -> bool:
    from ...checks.registry import run_check

    return run_check(task_id, lab).passed


@step("15.1")
def _before_lunch(lab: Any, resources: dict) -> dict:
    from ...checks.policy_comparison import names, the_group
    from ...drills.policy_setups import SURGE_ZONE

    g = the_group(lab)
    if not _passes("15.1", lab):
        lab.client("autoscaling").put_scheduled_update_group_action(
            AutoScalingGroupName=g["AutoScalingGroupName"], ScheduledActionName=names(lab)["action"],
            Recurrence="50 11 * * 1-5", TimeZone=SURGE_ZONE, MinSize=g["MaxSize"], DesiredCapacity=g["MaxSize"])
    return {"action": names(lab)["action"]}


@step("15.2")
def _fast_step(lab: Any, resources: dict) -> dict:
    from ...checks.policy_comparison import FAST_PERIODS, names, the_group

    group, n = the_group(lab)["AutoScalingGroupName"], names(lab)
    if not _passes("15.2", lab):
        arn = lab.client("autoscaling").put_scaling_policy(
            AutoScalingGroupName=group, PolicyName=n["step"], PolicyType="StepScaling",
            AdjustmentType="ChangeInCapacity", StepAdjustments=[
                {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 1},
                {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 3}])["PolicyARN"]
        lab.client("cloudwatch").put_metric_alarm(
            AlarmName=n["alarm"], Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average", Period=60,
            EvaluationPeriods=FAST_PERIODS, Threshold=70.0, ComparisonOperator="GreaterThanOrEqualToThreshold",
            Dimensions=[{"Name": "AutoScalingGroupName", "Value": group}], AlarmActions=[arn])
    return {"policy": n["step"], "alarm": n["alarm"]}


@step("15.3")
def _target(lab: Any, resources: dict) -> dict:
    from ...checks.policy_comparison import TARGET, names, the_group

    group, name = the_group(lab)["AutoScalingGroupName"], names(lab)["target_tracking"]
    if not _passes("15.3", lab):
        lab.client("autoscaling").put_scaling_policy(
            AutoScalingGroupName=group, PolicyName=name, PolicyType="TargetTrackingScaling",
            TargetTrackingConfiguration={"TargetValue": TARGET, "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ASGAverageCPUUtilization"}})
    return {"policy": name}

"""The policy comparison: real runs (moto + the simulator, virtual time), and the order AWS's rules fix.

Every window is derived from the settings each run's own APIs return (DescribeAlarms' Period and
DatapointsToAlarm, DescribePolicies' Cooldown) and the delivery delay the runs used.
"""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from awslab import ValidationError
from awslab.config import LAB_TAG
from awslab.drills import DrillError, compare_policies, policy_comparison
from awslab.drills.registry import DRILLS
from awslab.drills.policy_setups import lab_settings
from awslab.sim.whatif import REGION

REACTIVE = ("target_tracking", "step", "simple")


@pytest.fixture(scope="module")
def seed():
    return compare_policies()


def _earliest(outcome, delay: float) -> tuple[float, int]:
    """(earliest scale-out its alarms allow after a surge that saturates at once, the first alarm's Period)."""
    first = min(outcome.alarms, key=lambda a: a.earliest_alarm_s(delay))
    return first.earliest_alarm_s(delay), first.period_s


def test_no_policy_fails_most_and_costs_least(seed):
    none = seed.outcome("none")
    others = [o for o in seed.outcomes if o.kind != "none"]
    assert all(none.error_percent > o.error_percent for o in others)
    assert all(none.instance_hours < o.instance_hours for o in others)
    assert none.first_scale_out_s is None and none.max_capacity == seed.settings.min_size


def test_a_schedule_before_the_surge_scales_out_first_and_fails_least(seed):
    sched = seed.outcome("scheduled")
    others = [o for o in seed.outcomes if o.kind != "scheduled"]
    assert sched.first_scale_out_s is not None and sched.first_scale_out_s <= 0
    assert all(o.first_scale_out_s is None or sched.first_scale_out_s < o.first_scale_out_s for o in others)
    assert all(sched.errors < o.errors for o in others)


@pytest.mark.parametrize("kind", REACTIVE)
def test_a_reactive_policy_scales_out_no_earlier_than_its_alarm_allows(seed, kind):
    o = seed.outcome(kind)
    earliest, period = _earliest(o, seed.delivery_delay_s)
    assert earliest <= o.first_alarm_s <= o.first_scale_out_s < earliest + period


def test_target_tracking_waits_for_its_alarm_high_three_datapoints(seed):
    """AlarmHigh: 3 datapoints of 60 s (target-tracking-scaling-policy-overview.html), read back from its run."""
    tt = seed.outcome("target_tracking")
    (high,) = tt.alarms
    assert "AlarmHigh" in high.name and (high.period_s, high.datapoints_to_alarm) == (60, 3)
    assert tt.first_scale_out_s >= 3 * 60 + seed.delivery_delay_s
    assert tt.first_scale_out_s > seed.outcome("step").first_scale_out_s  # the seed's step alarm wants 2 of 2


def test_simple_scaling_waits_its_cooldown_between_steps_and_step_scaling_does_not(seed):
    simple, step = seed.outcome("simple"), seed.outcome("step")
    assert simple.cooldown_s == seed.settings.cooldown_s and len(simple.gaps_s) >= 2
    assert all(gap >= simple.cooldown_s for gap in simple.gaps_s)
    assert step.gaps_s and min(step.gaps_s) < simple.cooldown_s


def test_the_table_is_tidy_and_the_charts_have_a_line_per_setup(seed):
    table = seed.table()
    assert [row[0] for row in table.rows] == [o.label for o in seed.outcomes] and len(table.columns) == 7
    assert all(isinstance(v, (int, float)) for row in seed.rows() for v in row[3:])
    assert "<table" in seed._repr_html_() and "p95" in table.text()
    figures = seed.charts()
    assert len(figures) == 3
    for fig in figures:
        assert len(fig.data) == 5 and fig.layout.width == 900 and fig.layout.font.size >= 14


class StubLab:
    """What lab_settings needs of a Lab: its name and clients (here on moto)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def client(self, service):
        return boto3.client(service, region_name=REGION)


@pytest.fixture(scope="module")
def own():
    """The settings of a group with policies of its own, read in moto; the runs then happen outside that mock."""
    from awslab.cloud import moto_ext
    from awslab.sim.core import Simulator

    with mock_aws():
        Simulator(mode="virtual").install()  # the embedded cloud's moto (DefaultInstanceWarmup, PolicyARN, ...)
        try:
            return _own_lab()
        finally:
            moto_ext.uninstall()


def _own_lab():
    """A group of its own (t3.small, 1/1/5, warm-up 60 s) and its policies, read back with lab_settings."""
    lab = StubLab("pc-test")
    ec2, asg, cw = lab.client("ec2"), lab.client("autoscaling"), lab.client("cloudwatch")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    ec2.create_launch_template(LaunchTemplateName="pc-lt", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.small"})
    asg.create_auto_scaling_group(AutoScalingGroupName="pc-asg", MinSize=1, MaxSize=5, DesiredCapacity=1,
                                  LaunchTemplate={"LaunchTemplateName": "pc-lt"}, VPCZoneIdentifier=subnet,
                                  DefaultInstanceWarmup=60, Tags=[{"Key": LAB_TAG, "Value": lab.name}])
    _own_policies(asg, cw)
    return lab_settings(lab)


def _own_policies(asg, cw) -> None:
    asg.put_scaling_policy(AutoScalingGroupName="pc-asg", PolicyName="pc-tt", PolicyType="TargetTrackingScaling",
                           TargetTrackingConfiguration={"TargetValue": 50.0, "PredefinedMetricSpecification": {
                               "PredefinedMetricType": "ASGAverageCPUUtilization"}})
    asg.put_scaling_policy(AutoScalingGroupName="pc-asg", PolicyName="pc-step", PolicyType="StepScaling",
                           AdjustmentType="ChangeInCapacity", StepAdjustments=[
                               {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 1},
                               {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 3}])
    asg.put_scaling_policy(AutoScalingGroupName="pc-asg", PolicyName="pc-simple", PolicyType="SimpleScaling",
                           AdjustmentType="ChangeInCapacity", ScalingAdjustment=1, Cooldown=120)
    step, simple = (asg.describe_policies(AutoScalingGroupName="pc-asg", PolicyNames=[name])["ScalingPolicies"][0][
        "PolicyARN"] for name in ("pc-step", "pc-simple"))
    for name, arn, periods in (("pc-step-high", step, 1), ("pc-simple-high", simple, 3)):
        cw.put_metric_alarm(AlarmName=name, Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
                            Period=60, EvaluationPeriods=periods, Threshold=60.0,
                            ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[arn],
                            Dimensions=[{"Name": "AutoScalingGroupName", "Value": "pc-asg"}])
    asg.put_scheduled_update_group_action(AutoScalingGroupName="pc-asg", ScheduledActionName="pc-before-lunch",
                                          Recurrence="50 11 * * 1-5", TimeZone="Asia/Seoul", MinSize=5,
                                          DesiredCapacity=5)


def test_with_a_lab_the_settings_are_its_own_group_and_policies(own):
    assert (own.source, own.instance_type, own.min_size, own.desired, own.max_size, own.warmup_s) == (
        "pc-test", "t3.small", 1, 1, 5, 60)
    assert own.target_value == 50.0 and not own.notes
    assert [p["PolicyName"] for p in own.step[0]] == ["pc-step"] and own.step[1][0]["EvaluationPeriods"] == 1
    assert own.schedule == ((-600.0, {"MinSize": 5, "DesiredCapacity": 5}),)


def test_the_runs_follow_the_labs_own_alarms_cooldown_and_schedule(own):
    result = compare_policies(settings=own, kinds=("target_tracking", "step", "simple", "scheduled"))
    step, simple, sched = (result.outcome(k) for k in ("step", "simple", "scheduled"))
    delay = result.delivery_delay_s
    assert step.first_scale_out_s == 60 * 1 + delay and simple.first_scale_out_s == 60 * 3 + delay
    assert simple.cooldown_s == 120 and simple.gaps_s and all(gap >= 120 for gap in simple.gaps_s)
    assert -600 <= sched.first_scale_out_s <= -600 + 120  # a scheduled action runs up to 2 minutes late
    assert "50" in result.outcome("target_tracking").label


def test_the_drill_runs_in_the_background_reports_progress_and_touches_nothing():
    assert DRILLS["policy_comparison"].start is not None
    drill = policy_comparison(kinds=("none", "scheduled"), after_surge_s=300)
    assert drill.milestones == ("running", "done")
    status = drill.wait_until("done", timeout_s=60)
    assert status.reached("running") and status.finished == status.total == 2 and status.progress == 1.0
    story = drill.story()
    line = story.first(event="desired_capacity_changed")
    assert line is not None and line.offset_s < 0 and "scheduled action" in line.text
    assert drill.reset() is None
    with pytest.raises(ValidationError):
        drill.wait_until("scaled_out")


def test_the_drill_refuses_a_lab_without_a_group():
    with mock_aws():
        with pytest.raises(DrillError, match="no Auto Scaling group"):
            policy_comparison(StubLab("pc-empty"))
    with pytest.raises(ValidationError):
        compare_policies(users=(1000, 100))

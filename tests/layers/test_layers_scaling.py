"""The scaling layer: target tracking, step (with its alarms), simple (with its alarm and cooldown), scheduled actions."""
import subprocess
import uuid
from types import SimpleNamespace

import pytest

from awslab import Lab, ValidationError
from awslab.layers.autoscaling import AutoScalingSpec, build_auto_scaling_group
from awslab.layers.compute import build_launch_template
from awslab.layers.keys import create_key_pair
from awslab.layers.loadbalancing import build_load_balancer
from awslab.layers.network import build_network
from awslab.layers.scaling import Schedule, ScalingSpec, Step, build_scaling_policies, describe_scaling
from awslab.layers.security import build_security


@pytest.fixture(scope="module")
def base(cloud_url):
    """One lab's stack up to the load balancer, shared: each test gets its own Auto Scaling group."""
    lab = Lab(name="t" + uuid.uuid4().hex[:8], backend="embedded", endpoint_url=cloud_url)
    net = build_network(lab)
    sec = build_security(lab, net)
    lt = build_launch_template(lab, sec, create_key_pair(lab))
    lb = build_load_balancer(lab, net, sec)
    base = SimpleNamespace(lab=lab, network=net, launch_template=lt, load_balancer=lb)
    base.untouched = new_group(base)  # the group the validation tests must leave alone
    return base


def new_group(base):
    # No instances: policies and alarms don't need them, and the simulated cloud stays light.
    spec = AutoScalingSpec(name="asg-" + uuid.uuid4().hex[:8], min_size=0, desired_capacity=0, group_metrics=False)
    return build_auto_scaling_group(base.lab, base.network, base.launch_template, base.load_balancer, spec)


def _by_name(items, key):
    return {i[key]: i for i in items}


def test_all_four_kinds_with_their_alarms_and_schedules(base):
    lab, group = base.lab, new_group(base)
    result = build_scaling_policies(lab, group, base.load_balancer)
    found = describe_scaling(lab, group.name)
    policies = _by_name(found["policies"], "PolicyName")
    assert {n: p["PolicyARN"] for n, p in policies.items()} == result.policy_arns and len(policies) == 4
    tt = policies[f"{lab.name}-target-tracking"]
    assert tt["PolicyType"] == "TargetTrackingScaling" and tt["TargetTrackingConfiguration"]["TargetValue"] == 70.0
    assert tt["TargetTrackingConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ASGAverageCPUUtilization"
    out = policies[f"{lab.name}-step-scale-out"]
    assert [(s.get("MetricIntervalLowerBound"), s.get("MetricIntervalUpperBound"), s["ScalingAdjustment"]) for s in out["StepAdjustments"]] \
        == [(0.0, 20.0, 1), (20.0, None, 2)]
    simple = policies[f"{lab.name}-simple-scale-out"]
    assert (simple["PolicyType"], simple["ScalingAdjustment"], simple["Cooldown"]) == ("SimpleScaling", 1, 300)
    alarms = _by_name(lab.client("cloudwatch").describe_alarms(AlarmNames=result.alarm_names)["MetricAlarms"], "AlarmName")
    expected = {f"{group.name}-cpu-high-step": (60.0, "GreaterThanOrEqualToThreshold", out["PolicyARN"]),
                f"{group.name}-cpu-low-step": (30.0, "LessThanOrEqualToThreshold", policies[f"{lab.name}-step-scale-in"]["PolicyARN"]),
                f"{group.name}-cpu-high-simple": (80.0, "GreaterThanOrEqualToThreshold", simple["PolicyARN"])}
    for name, (threshold, op, arn) in expected.items():
        a = alarms[name]
        assert (a["Namespace"], a["MetricName"], a["Statistic"], a["Period"], a["EvaluationPeriods"]) == ("AWS/EC2", "CPUUtilization", "Average", 60, 2)
        assert a["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": group.name}]
        assert (a["Threshold"], a["ComparisonOperator"], a["AlarmActions"]) == (threshold, op, [arn])
        tags = {t["Key"]: t["Value"] for t in lab.client("cloudwatch").list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"]}
        assert tags["awslab:lab"] == lab.name
    tt_alarms = sorted(a["AlarmName"] for a in tt.get("Alarms", []))
    assert sorted(result.target_tracking_alarm_names) == tt_alarms and set(result.alarm_names) == set(expected) | set(tt_alarms)
    scheduled = _by_name(found["scheduled_actions"], "ScheduledActionName")
    morning = scheduled[f"{lab.name}-weekday-morning"]
    assert (morning["Recurrence"], morning["MinSize"], morning["DesiredCapacity"]) == ("0 9 * * 1-5", 4, 4)
    assert morning["TimeZone"] == "Asia/Seoul"
    assert sorted(result.scheduled_action_names) == sorted(scheduled)


def test_second_run_creates_nothing_and_changes_update_in_place(base):
    lab, group = base.lab, new_group(base)
    first = build_scaling_policies(lab, group, base.load_balancer)
    second = build_scaling_policies(lab, group, base.load_balancer)
    assert len(first.created) == 4 + 3 + 2 and second.created == []
    assert second.policy_arns == first.policy_arns and second.alarm_names == first.alarm_names
    third = build_scaling_policies(lab, group, base.load_balancer, ScalingSpec(target_value=50.0, step_out_threshold=65.0))
    policies = _by_name(describe_scaling(lab, group.name)["policies"], "PolicyName")
    alarm = lab.client("cloudwatch").describe_alarms(AlarmNames=[f"{group.name}-cpu-high-step"])["MetricAlarms"][0]
    assert third.created == [] and policies[f"{lab.name}-target-tracking"]["TargetTrackingConfiguration"]["TargetValue"] == 50.0
    assert alarm["Threshold"] == 65.0


def test_production_choice_target_tracking_alone(base):
    lab, group = base.lab, new_group(base)
    result = build_scaling_policies(lab, group, base.load_balancer, ScalingSpec(kinds=("target_tracking",)))
    found = describe_scaling(lab, group.name)
    assert [p["PolicyType"] for p in found["policies"]] == ["TargetTrackingScaling"] and result.scheduled_action_names == []
    assert found["scheduled_actions"] == [] and {a["AlarmName"] for a in found["alarms"]} == set(result.target_tracking_alarm_names)


def test_request_count_per_target_names_the_alb_and_target_group(base):
    lab, group = base.lab, new_group(base)
    build_scaling_policies(lab, group, base.load_balancer, ScalingSpec(kinds=("target_tracking",), target_metric="ALBRequestCountPerTarget",
                                                                        target_value=100.0))
    policy = describe_scaling(lab, group.name)["policies"][0]
    label = policy["TargetTrackingConfiguration"]["PredefinedMetricSpecification"]["ResourceLabel"]
    lb_name, tg_name = base.load_balancer.load_balancer_name, base.load_balancer.target_group_name
    assert label.startswith(f"app/{lb_name}/") and f"/targetgroup/{tg_name}/" in label and len(label.split("/")) == 6


def test_cli_log_wires_alarms_to_policies_through_variables(base):
    lab, group = base.lab, new_group(base)
    build_scaling_policies(lab, group, base.load_balancer)
    script = lab.cli_log().script()
    assert "STEP_OUT_ARN=$(aws autoscaling put-scaling-policy" in script and "--alarm-actions $STEP_OUT_ARN" in script
    assert "--step-adjustments MetricIntervalLowerBound=0,MetricIntervalUpperBound=20,ScalingAdjustment=1" in script
    assert '--recurrence "0 9 * * 1-5" --min-size 4 --desired-capacity 4 --time-zone Asia/Seoul' in script
    subprocess.run(["bash", "-n"], input=script.encode(), check=True)


@pytest.mark.parametrize("field,kwargs,rule", [
    ("kinds", {"kinds": ("target_tracking", "bogus")}, "one of"),
    ("target_value", {"target_value": 0}, "above 0"),
    ("target_value", {"target_value": 101.0}, "at most 100"),
    ("target_metric", {"target_metric": "CPU"}, "one of"),
    ("step_out", {"step_out": [Step(0, 10, 1), Step(20, None, 2)]}, "overlap or leave gaps"),
    ("step_out", {"step_out": [Step(0, 30, 1), Step(20, None, 2)]}, "overlap or leave gaps"),
    ("step_out", {"step_out": [Step(0, None, 1), Step(10, None, 2)]}, "only one step may have a null lower bound, and only one a null upper"),
    ("step_out", {"step_out": [Step(-10, None, 1)]}, "bounds are 0 or more"),
    ("step_in", {"step_in": [Step(None, 0, 1)]}, "below 0"),
    ("step_in", {"step_in": []}, "at least one step"),
    ("step_adjustment_type", {"step_adjustment_type": "Bogus"}, "ChangeInCapacity"),
    ("step_in_threshold", {"step_in_threshold": 70.0}, "the two alarms fight"),
    ("simple_threshold", {"simple_threshold": 120}, "0-100"),
    ("alarm_period", {"alarm_period": 45}, "multiple of 60"),
    ("schedules[0].recurrence", {"schedules": [Schedule("x", "0 0 * *", min_size=2)]}, "5 fields"),
    ("schedules[0].recurrence", {"schedules": [Schedule("x", "61 0 * * *", min_size=2)]}, "0-59"),
    ("schedules[0].desired_capacity", {"schedules": [Schedule("x", "0 0 * * *", desired_capacity=10)]}, "min_size <= desired_capacity <= max_size"),
    ("schedules[0].time_zone", {"schedules": [Schedule("x", "0 0 * * *", min_size=2, time_zone="Mars/Olympus")]}, "IANA"),
    ("schedules[0]", {"schedules": [Schedule("x", "0 0 * * *")]}, "at least one of"),
])
def test_scaling_rejects_bad_input_before_creating_anything(base, field, kwargs, rule):
    with pytest.raises(ValidationError) as e:
        build_scaling_policies(base.lab, base.untouched, base.load_balancer, ScalingSpec(**kwargs))
    assert e.value.field == field and rule in str(e.value) and "How to fix" in str(e.value)
    assert all(v == [] for v in describe_scaling(base.lab, base.untouched.name).values())


def test_request_count_target_needs_the_load_balancer(base):
    with pytest.raises(ValidationError) as e:
        build_scaling_policies(base.lab, base.untouched, None, ScalingSpec(target_metric="ALBRequestCountPerTarget", target_value=100.0))
    assert e.value.field == "target_metric" and describe_scaling(base.lab, base.untouched.name)["policies"] == []

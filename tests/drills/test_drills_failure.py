"""The instance-failure drill on the embedded cloud: AWS's timeline, observed through the standard APIs."""
from __future__ import annotations

import uuid

import pytest

from awslab import Lab, ValidationError
from awslab.drills import DrillError, fail_instance

from ..conftest import control
from ..topology.stack import build_stack, wait_healthy


def _healthy(lab: Lab, tg_arn: str) -> set[str]:
    th = lab.client("elbv2").describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return {d["Target"]["Id"] for d in th if d["TargetHealth"]["State"] == "healthy"}


def _stack(cloud_url: str, desired: int = 2):
    lab = Lab(name="d" + uuid.uuid4().hex[:8], endpoint_url=cloud_url)
    st = build_stack(lab, desired=desired, database=False)
    wait_healthy(lab, cloud_url, st.tg_arn, desired)  # boot, then one passing check each: bounded
    return lab, st


@pytest.fixture(scope="module")
def healthy_stack(cloud_url):
    lab, st = _stack(cloud_url)
    yield lab, st
    lab.teardown()


def test_a_crashed_app_is_marked_unhealthy_on_aws_time_then_replaced(healthy_stack):
    lab, st = healthy_stack
    tg = lab.client("elbv2").describe_target_groups(TargetGroupArns=[st.tg_arn])["TargetGroups"][0]
    interval, threshold, timeout = tg["HealthCheckIntervalSeconds"], tg["UnhealthyThresholdCount"], tg["HealthCheckTimeoutSeconds"]
    drill = fail_instance(lab, kind="crash")
    assert drill.auto_scaling_group == st.asg_name and drill.health_check_type == "ELB"

    status = drill.wait_until("unhealthy", fast_forward=True, step_s=5, timeout_s=60)
    assert status.victim_target in ("unhealthy", "draining") and status.victim_reason.startswith("Target.")
    went = drill.story().first("-> unhealthy")
    assert went is not None and went.resource == drill.instance_id
    # `threshold` failed checks in a row, one every `interval` s (the first may come at once): AWS's window
    assert interval * (threshold - 1) <= went.offset_s <= interval * threshold + timeout + 5, went

    status = drill.wait_until("recovered", fast_forward=True, step_s=15, timeout_s=120)
    assert status.replaced and status.replacements and status.healthy_targets >= status.desired
    assert drill.instance_id not in _healthy(lab, st.tg_arn)
    story = drill.story()
    unhealthy, terminating = story.first("-> unhealthy"), story.first(f"Terminating EC2 instance: {drill.instance_id}")
    launching = story.first("Launching a new EC2 instance")
    assert unhealthy and terminating and launching
    assert unhealthy.offset_s <= terminating.offset_s <= launching.offset_s
    assert "health check" in terminating.detail  # the cause, as describe-scaling-activities gives it
    # the same story through the standard API
    activities = lab.client("autoscaling").describe_scaling_activities(AutoScalingGroupName=st.asg_name)["Activities"]
    assert any(drill.instance_id in a["Description"] and "health check" in a.get("Cause", "") for a in activities)
    assert "after" in story._repr_html_() and str(story).count("\n") + 1 == len(story)


def test_bad_input_is_refused_before_anything_breaks(healthy_stack, cloud_url):
    lab, _ = healthy_stack
    before = control(cloud_url, "GET", "faults")
    with pytest.raises(ValidationError) as e:
        fail_instance(lab, kind="explode")
    assert e.value.field == "kind" and "crash" in str(e.value)
    with pytest.raises(ValidationError) as e:
        fail_instance(lab, instance_id="i-0123456789abcdef0")
    assert e.value.field == "instance_id"
    assert control(cloud_url, "GET", "faults") == before


def test_a_lab_without_an_auto_scaling_group_is_told_to_build_first(lab):
    with pytest.raises(DrillError) as e:
        fail_instance(lab)
    assert "lab.build()" in str(e.value)


def test_with_ec2_health_checks_the_broken_app_is_never_replaced_and_the_drill_says_why(cloud_url):
    lab, st = _stack(cloud_url, desired=1)
    try:
        lab.client("autoscaling").update_auto_scaling_group(AutoScalingGroupName=st.asg_name, HealthCheckType="EC2")
        drill = fail_instance(lab, kind="unhealthy")
        drill.wait_until("unhealthy", fast_forward=True, step_s=10, timeout_s=60)  # the ALB still sees it...
        with pytest.raises(DrillError) as e:
            drill.wait_until("replaced", fast_forward=True, step_s=60, timeout_s=8)  # ...Auto Scaling never does
        assert "HealthCheckType=ELB" in str(e.value)
        drill.repair()
    finally:
        lab.teardown()


def test_the_failure_drill_follows_the_drill_contract_and_reset_repairs_the_app(healthy_stack, cloud_url):
    from awslab.drills.registry import Drill

    lab, _ = healthy_stack
    drill = fail_instance(lab, kind="unhealthy")
    assert isinstance(drill, Drill) and drill.milestones == ("unhealthy", "replaced", "recovered")
    assert drill.instance_id in control(cloud_url, "GET", "faults")
    drill.reset()
    assert drill.instance_id not in control(cloud_url, "GET", "faults"), "the app answers again"

"""The bad-deploy drill on the embedded cloud: an instance refresh to a release that fails /health, failing and
rolling back on AWS's time; observed through the standard APIs; reset leaves the lab as it was."""
from __future__ import annotations

import base64
import uuid

import pytest

from awslab import Lab, ValidationError
from awslab.drills import GOOD_RELEASE, DrillError, bad_deploy, reset_bad_deploy
from awslab.drills.registry import DRILLS, Drill
from awslab.sim.asg_health import ASG_HEALTH_SWEEP_S
from awslab.webapp import user_data

from ..conftest import control
from ..topology.stack import build_stack


def _healthy(lab: Lab, tg_arn: str) -> set[str]:
    th = lab.client("elbv2").describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return {d["Target"]["Id"] for d in th if d["TargetHealth"]["State"] == "healthy"}


def _group(lab: Lab, name: str) -> dict:
    return lab.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]


def _versions(lab: Lab, template_id: str) -> list[int]:
    got = lab.client("ec2").describe_launch_template_versions(LaunchTemplateId=template_id)["LaunchTemplateVersions"]
    return sorted(v["VersionNumber"] for v in got)


@pytest.fixture(scope="module")
def app_stack(cloud_url):
    """The test stack, its launch template given the lab's web app as user data (version 2, the default)."""
    lab = Lab(name="b" + uuid.uuid4().hex[:8], endpoint_url=cloud_url)
    st = build_stack(lab, desired=2, database=False)
    ec2 = lab.client("ec2")
    lt_id = _group(lab, st.asg_name)["LaunchTemplate"]["LaunchTemplateId"]
    ec2.create_launch_template_version(LaunchTemplateId=lt_id, SourceVersion="1", LaunchTemplateData={
        "UserData": base64.b64encode(user_data(80).encode()).decode()})
    ec2.modify_launch_template(LaunchTemplateId=lt_id, DefaultVersion="2")
    for iid in [i["InstanceId"] for i in _group(lab, st.asg_name)["Instances"]]:  # run version 2 everywhere
        lab.client("autoscaling").terminate_instance_in_auto_scaling_group(InstanceId=iid,
                                                                         ShouldDecrementDesiredCapacity=False)
    for _ in range(60):
        group = _group(lab, st.asg_name)
        on_2 = [i for i in group["Instances"]
                if i["LifecycleState"] == "InService" and i["LaunchTemplate"]["Version"] == "2"]
        if len(on_2) == 2 and {i["InstanceId"] for i in on_2} <= _healthy(lab, st.tg_arn):
            break
        control(cloud_url, "POST", "clock/advance", {"seconds": 30})
    else:
        raise AssertionError("the stack never ran version 2 healthy")
    yield lab, st, lt_id
    lab.teardown()


def test_refuses_clearly_and_creates_nothing(app_stack, lab):
    stack_lab, st, lt_id = app_stack
    with pytest.raises(DrillError) as e:
        bad_deploy(lab)  # a lab with no group
    assert "lab.build()" in str(e.value)
    for bad in ({"min_healthy_percentage": 101}, {"checkpoint_percentages": (100, 50)}, {"checkpoint_delay": -1}):
        with pytest.raises(ValidationError):
            bad_deploy(stack_lab, **bad)
    asg = stack_lab.client("autoscaling")
    asg.update_auto_scaling_group(AutoScalingGroupName=st.asg_name, HealthCheckType="EC2")
    try:
        with pytest.raises(DrillError) as e:
            bad_deploy(stack_lab)
        assert "--health-check-type ELB" in str(e.value) and "EC2 health checks" in str(e.value)
    finally:
        asg.update_auto_scaling_group(AutoScalingGroupName=st.asg_name, HealthCheckType="ELB")
    assert _versions(stack_lab, lt_id) == [1, 2]
    assert asg.describe_instance_refreshes(AutoScalingGroupName=st.asg_name)["InstanceRefreshes"] == []


def test_a_bad_release_fails_its_health_checks_and_rolls_back_then_reset_restores_the_lab(app_stack):
    lab, st, lt_id = app_stack
    group = _group(lab, st.asg_name)
    tg = lab.client("elbv2").describe_target_groups(TargetGroupArns=[st.tg_arn])["TargetGroups"][0]
    grace = group["HealthCheckGracePeriod"]
    interval, threshold, timeout = (tg["HealthCheckIntervalSeconds"], tg["UnhealthyThresholdCount"],
                                    tg["HealthCheckTimeoutSeconds"])
    drill = DRILLS["bad_deploy"].start(lab, min_healthy_percentage=50, checkpoint_delay=600)
    assert isinstance(drill, Drill) and drill.milestones == ("replacing", "failed_health_checks", "rolled_back")
    assert (drill.old_version, drill.new_version) == (2, 3)
    assert _group(lab, st.asg_name)["LaunchTemplate"]["Version"] == "2"  # pinned: AutoRollback needs a number
    refresh = lab.client("autoscaling").describe_instance_refreshes(AutoScalingGroupName=st.asg_name)[
        "InstanceRefreshes"][0]
    assert refresh["Preferences"]["AutoRollback"] and refresh["Preferences"]["CheckpointPercentages"] == [50, 100]

    status = drill.wait_until("replacing", fast_forward=True, step_s=5, timeout_s=60)
    assert status.versions.get("v3", 0) >= 1
    status = drill.wait_until("failed_health_checks", fast_forward=True, step_s=15, timeout_s=120)
    status = drill.wait_until("rolled_back", fast_forward=True, step_s=15, timeout_s=180)
    assert status.refresh_status == "RollbackSuccessful" and status.versions == {"v2": 2} and status.rollback_reason
    story = drill.story()
    in_service = story.first("InService", event="lifecycle_changed")
    failed = story.first("RollbackInProgress", event="instance_refresh_status")
    assert in_service and failed, str(story)
    # Auto Scaling takes the new instance out once its grace period is over and its target is unhealthy
    # (threshold failed checks, one per interval), at its next health sweep.
    waited = failed.offset_s - in_service.offset_s
    assert grace <= waited <= max(grace, interval * threshold + timeout + 5) + ASG_HEALTH_SWEEP_S + 10, str(story)
    assert any("in response to an instance refresh" in line.detail for line in story)  # the activities' Cause
    assert story.first("RollbackSuccessful") is not None

    drill.reset(fast_forward=True)
    group = _group(lab, st.asg_name)
    assert group["LaunchTemplate"]["Version"] == "$Latest"  # as the stack named it
    assert _versions(lab, lt_id) == [1, 2] and not any(t["Key"].startswith("awslab:bad-deploy") for t in group["Tags"])
    assert reset_bad_deploy(lab) == []  # nothing left to undo


def test_a_good_release_goes_out_everywhere_and_reset_brings_the_old_one_back(app_stack):
    lab, st, lt_id = app_stack
    drill = bad_deploy(lab, min_healthy_percentage=50, checkpoint_percentages=(), app_config=GOOD_RELEASE)
    floor = 1  # ceil(2 x 50 %)
    while True:
        status = drill.status()
        assert status.healthy_targets >= floor, status
        if status.refresh_status in ("Successful", "Failed", "RollbackSuccessful"):
            break
        control(lab.endpoint_url, "POST", "clock/advance", {"seconds": 10})
    new = str(drill.new_version)  # 4 after the first test's 3 was deleted: EC2 never reuses a version number
    assert status.refresh_status == "Successful" and status.versions == {f"v{new}": 2}
    assert _group(lab, st.asg_name)["LaunchTemplate"]["Version"] == new
    drill.reset(fast_forward=True)
    assert _group(lab, st.asg_name)["LaunchTemplate"]["Version"] == "$Latest" and _versions(lab, lt_id) == [1, 2]

"""Instance refresh in virtual time: batches under MinHealthyPercentage, warm-up, checkpoints, a bad release that
fails its health checks and is rolled back, and the API's validation and errors.

The windows are derived from the resources' own settings (warm-up, health check interval x threshold, grace period)
and the simulator's published constants, never hard-coded.
"""
from __future__ import annotations

import base64
import math

import pytest
from botocore.exceptions import ClientError

from awslab.sim.asg_health import ASG_HEALTH_SWEEP_S
from awslab.sim.ec2 import APP_START_S, PENDING_TO_RUNNING_S
from awslab.sim.elb_health import REGISTRATION_S
from awslab.sim.instance_refresh import REFRESH_CHECK_S
from awslab.webapp import user_data, with_app_config

GOOD = '{"release": "2.0.0"}'
BAD = '{"release": "2.0.1", "greeting": "Hello",}'  # a trailing comma: the app can't read its settings
INTERVAL, HEALTHY, UNHEALTHY, TIMEOUT = 10, 2, 2, 5
#: Launch -> the target's first passing check, at most (boot, app start, registration, one interval).
TO_HEALTHY = PENDING_TO_RUNNING_S[1] + APP_START_S[1] + REGISTRATION_S + INTERVAL
DONE = ("Successful", "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed")


def _version(w, app_config: str | None = None) -> int:
    script = user_data(80) if app_config is None else with_app_config(user_data(80), app_config)
    got = w.ec2.create_launch_template_version(LaunchTemplateName="web-lt", SourceVersion="1", LaunchTemplateData={
        "UserData": base64.b64encode(script.encode()).decode()})
    return got["LaunchTemplateVersion"]["VersionNumber"]


def _stack(w, desired=4, grace=60, warmup=30, version="2"):
    """A group of ``desired`` healthy instances on launch template version 2 (the app, no release settings)."""
    w.network()
    tg = w.target_group(interval=INTERVAL, timeout=TIMEOUT, healthy=HEALTHY, unhealthy=UNHEALTHY)
    assert _version(w) == 2
    kw = {} if warmup is None else {"DefaultInstanceWarmup": warmup}
    w.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web-asg", MinSize=1, MaxSize=10, DesiredCapacity=desired,
        LaunchTemplate={"LaunchTemplateName": "web-lt", "Version": version},
        VPCZoneIdentifier=",".join(w.subnets.values()), TargetGroupARNs=[tg], HealthCheckType="ELB",
        HealthCheckGracePeriod=grace, **kw)
    w.run_until(lambda: _ready_count(w, tg) == desired, limit=600)
    return tg


def _ready_count(w, tg) -> int:
    """InService, Healthy in the group and healthy in the target group: what MinHealthyPercentage protects."""
    health = w.health(tg)
    return sum(1 for i in w.group()["Instances"] if i["LifecycleState"] == "InService"
               and i["HealthStatus"] == "Healthy" and health.get(i["InstanceId"], ("",))[0] == "healthy")


def _refresh(w, version: int | None, **prefs) -> str:
    kw = {"DesiredConfiguration": {"LaunchTemplate": {"LaunchTemplateName": "web-lt", "Version": str(version)}}} \
        if version is not None else {}
    return w.autoscaling.start_instance_refresh(AutoScalingGroupName="web-asg", Preferences=prefs, **kw)[
        "InstanceRefreshId"]


def _describe(w) -> dict:
    return w.autoscaling.describe_instance_refreshes(AutoScalingGroupName="web-asg")["InstanceRefreshes"][0]


def _versions(w) -> list[str]:
    return sorted(i["LaunchTemplate"]["Version"] for i in w.group()["Instances"] if i["LifecycleState"] == "InService")


def _refresh_activities(w, verb: str) -> list[dict]:
    return [a for a in w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web-asg")["Activities"]
            if a["Description"].startswith(verb) and "in response to an instance refresh" in a["Cause"]]


@pytest.mark.parametrize("min_healthy", [50, 90])
def test_a_good_deploy_replaces_every_instance_and_never_breaks_the_minimum_healthy(world, min_healthy):
    w, desired, warmup = world, 4, 120  # longer than the grace period (60 s): the warm-up, not the grace, paces it
    tg = _stack(w, desired=desired, warmup=warmup)
    good = _version(w, GOOD)
    t0 = w.now
    _refresh(w, good, MinHealthyPercentage=min_healthy)
    floor = math.ceil(desired * min_healthy / 100)
    batch = max(1, desired - floor)  # AWS replaces at least one instance at a time
    seen = set()
    while _describe(w)["Status"] not in DONE:
        assert w.now - t0 < 3600, _describe(w)
        w.advance(5)
        assert _ready_count(w, tg) >= min(floor, desired - batch), "the minimum healthy percentage was broken"
        seen.add(_describe(w)["Status"])
    r = _describe(w)
    assert r["Status"] == "Successful" and {"InProgress"} <= seen
    assert (r["PercentageComplete"], r["InstancesToUpdate"]) == (100, 0) and r["EndTime"] >= r["StartTime"]
    assert _versions(w) == [str(good)] * desired  # every instance replaced ...
    assert w.group()["LaunchTemplate"]["Version"] == str(good)  # ... and the group now launches the new version
    assert len(_refresh_activities(w, "Terminating")) == desired == len(_refresh_activities(w, "Launching"))
    # ceil(desired / batch) rounds, each at least the warm-up long, at most launch -> healthy + warm-up + 2 looks.
    rounds = math.ceil(desired / batch)
    took = (r["EndTime"] - r["StartTime"]).total_seconds()
    assert rounds * warmup <= took <= rounds * (TO_HEALTHY + warmup + 2 * REFRESH_CHECK_S) + REFRESH_CHECK_S


def test_a_bad_release_fails_its_health_checks_and_auto_rollback_restores_the_old_version(world):
    w, desired, grace = world, 4, 60
    tg = _stack(w, desired=desired, grace=grace)
    bad = _version(w, BAD)
    _refresh(w, bad, MinHealthyPercentage=50, AutoRollback=True, CheckpointPercentages=[50, 100],
             CheckpointDelay=300)
    w.run_until(lambda: _describe(w)["Status"] != "Pending" and _refresh_activities(w, "Launching"), limit=60)
    first = _refresh_activities(w, "Launching")[-1]["Description"].split(": ")[1]
    w.run_until(lambda: w.group()["Instances"] and any(
        i["InstanceId"] == first and i["LifecycleState"] == "InService" for i in w.group()["Instances"]), limit=60)
    in_service = w.now
    w.run_until(lambda: _describe(w)["Status"] == "RollbackInProgress", limit=1200, step=1)
    failed = w.now - in_service
    # Auto Scaling takes it out once the grace period is over and the target is unhealthy (interval x threshold
    # after registration), at its next health sweep.
    assert grace <= failed <= max(grace, REGISTRATION_S + INTERVAL * UNHEALTHY + TIMEOUT) + ASG_HEALTH_SWEEP_S + 1
    assert w.health(tg).get(first, ("unhealthy",))[0] in ("unhealthy", "draining")
    r = _describe(w)
    assert r["RollbackDetails"]["RollbackReason"] and "health checks" in r["StatusReason"]
    assert r["RollbackDetails"]["PercentageCompleteOnRollback"] == 0
    w.run_until(lambda: _describe(w)["Status"] in DONE, limit=1800, step=5)
    r = _describe(w)
    assert r["Status"] == "RollbackSuccessful" and r["PercentageComplete"] == 0
    w.run_until(lambda: _ready_count(w, tg) == desired, limit=600)
    assert _versions(w) == ["2"] * desired and w.group()["LaunchTemplate"]["Version"] == "2"


def test_without_auto_rollback_the_refresh_fails_and_the_group_keeps_its_template(world):
    w = world
    tg = _stack(w, desired=2)
    bad = _version(w, BAD)
    _refresh(w, bad, MinHealthyPercentage=50)
    w.run_until(lambda: _describe(w)["Status"] in DONE, limit=1200, step=5)
    r = _describe(w)
    assert r["Status"] == "Failed" and "failed its health checks" in r["StatusReason"] and "RollbackDetails" not in r
    assert r["PercentageComplete"] < 100 and r["InstancesToUpdate"] > 0
    assert w.group()["LaunchTemplate"]["Version"] == "2"
    w.run_until(lambda: _ready_count(w, tg) == 2, limit=900)  # Auto Scaling's own replacements use version 2
    assert _versions(w) == ["2", "2"]


def test_a_checkpoint_pauses_in_progress_for_the_checkpoint_delay(world):
    w, delay = world, 600
    _stack(w, desired=4)
    good = _version(w, GOOD)
    _refresh(w, good, MinHealthyPercentage=50, CheckpointPercentages=[50, 100], CheckpointDelay=delay)
    w.run_until(lambda: "checkpoint" in (_describe(w).get("StatusReason") or ""), limit=900, step=1)
    reached, r = w.now, _describe(w)
    assert (r["Status"], r["PercentageComplete"], r["InstancesToUpdate"]) == ("InProgress", 50, 2)
    w.run_until(lambda: len(_refresh_activities(w, "Terminating")) > 2, limit=delay + 60, step=1)
    assert delay <= w.now - reached <= delay + REFRESH_CHECK_S
    w.run_until(lambda: _describe(w)["Status"] in DONE, limit=900, step=5)
    assert _describe(w)["Status"] == "Successful"


def test_skip_matching_replaces_nothing_that_already_matches(world):
    w = world
    _stack(w, desired=2)
    before = sorted(i["InstanceId"] for i in w.group()["Instances"])
    _refresh(w, 2, SkipMatching=True)
    w.run_until(lambda: _describe(w)["Status"] in DONE, limit=60)
    r = _describe(w)
    assert (r["Status"], r["PercentageComplete"], r["InstancesToUpdate"]) == ("Successful", 100, 0)
    assert sorted(i["InstanceId"] for i in w.group()["Instances"]) == before


def test_instance_warmup_defaults_to_the_grace_period_without_a_default_instance_warmup(world):
    w, grace = world, 90
    _stack(w, desired=1, grace=grace, warmup=None)
    _refresh(w, _version(w, GOOD))
    w.run_until(lambda: _describe(w)["Status"] in DONE, limit=900, step=1)
    r = _describe(w)
    launched = _refresh_activities(w, "Launching")[0]
    took = (r["EndTime"] - launched["EndTime"]).total_seconds()  # from InService to "updated"
    assert grace <= took <= grace + INTERVAL + REGISTRATION_S + REFRESH_CHECK_S


def _code(fn, **kw) -> str:
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return e.value.response["Error"]["Code"]


def test_the_api_validates_like_aws_and_answers_its_error_codes(world):
    w = world
    _stack(w, desired=2)
    start, asg = w.autoscaling.start_instance_refresh, "web-asg"
    lt = {"LaunchTemplate": {"LaunchTemplateName": "web-lt", "Version": "2"}}
    assert _code(w.autoscaling.cancel_instance_refresh, AutoScalingGroupName=asg) == "ActiveInstanceRefreshNotFound"
    assert _code(w.autoscaling.rollback_instance_refresh, AutoScalingGroupName=asg) == "ActiveInstanceRefreshNotFound"
    for prefs in ({"MinHealthyPercentage": 101}, {"CheckpointDelay": 60}, {"CheckpointPercentages": [50, 20]},
                  {"MaxHealthyPercentage": 150}, {"BakeTime": 172801}):
        assert _code(start, AutoScalingGroupName=asg, Preferences=prefs) == "ValidationError", prefs
    assert _code(start, AutoScalingGroupName=asg, Preferences={"AutoRollback": True}) == "ValidationError"
    assert _code(start, AutoScalingGroupName="no-such-asg") == "ValidationError"
    assert _code(start, AutoScalingGroupName=asg, DesiredConfiguration={
        "LaunchTemplate": {"LaunchTemplateName": "web-lt", "Version": "9"}}) == "ValidationError"
    first = start(AutoScalingGroupName=asg, DesiredConfiguration=lt)["InstanceRefreshId"]
    assert _code(start, AutoScalingGroupName=asg) == "InstanceRefreshInProgress"
    assert w.autoscaling.cancel_instance_refresh(AutoScalingGroupName=asg)["InstanceRefreshId"] == first
    assert _describe(w)["Status"] == "Cancelling"
    w.run_until(lambda: _describe(w)["Status"] == "Cancelled", limit=120)
    plain = start(AutoScalingGroupName=asg)["InstanceRefreshId"]  # no desired configuration: no rollback possible
    assert _code(w.autoscaling.rollback_instance_refresh, AutoScalingGroupName=asg) == "IrreversibleInstanceRefresh"
    listed = w.autoscaling.describe_instance_refreshes(AutoScalingGroupName=asg, MaxRecords=1)
    assert [r["InstanceRefreshId"] for r in listed["InstanceRefreshes"]] == [plain] and listed["NextToken"]
    too_many = {"AutoScalingGroupName": asg, "MaxRecords": 101}
    assert _code(w.autoscaling.describe_instance_refreshes, **too_many) == "ValidationError"


def test_auto_rollback_needs_a_numbered_version_on_the_group(world):
    w = world
    _stack(w, desired=1, version="$Default")
    assert _code(w.autoscaling.start_instance_refresh, AutoScalingGroupName="web-asg", DesiredConfiguration={
        "LaunchTemplate": {"LaunchTemplateName": "web-lt", "Version": "2"}},
        Preferences={"AutoRollback": True}) == "ValidationError"


def test_a_manual_rollback_replaces_what_was_deployed(world):
    w = world
    tg = _stack(w, desired=2)
    _refresh(w, _version(w, GOOD), MinHealthyPercentage=50, CheckpointPercentages=[50, 100], CheckpointDelay=3600)
    w.run_until(lambda: _describe(w)["PercentageComplete"] == 50, limit=600, step=5)
    w.autoscaling.rollback_instance_refresh(AutoScalingGroupName="web-asg")
    r = _describe(w)
    assert r["Status"] == "RollbackInProgress" and r["RollbackDetails"]["PercentageCompleteOnRollback"] == 50
    w.run_until(lambda: _describe(w)["Status"] in DONE, limit=900, step=5)
    assert _describe(w)["Status"] == "RollbackSuccessful"
    w.run_until(lambda: _ready_count(w, tg) == 2, limit=600)
    assert _versions(w) == ["2", "2"] and w.group()["LaunchTemplate"]["Version"] == "2"

"""The health-check tuning drill, run on the embedded cloud in simulated time: every figure is measured."""
from __future__ import annotations

import pytest

from awslab import ValidationError
from awslab.drills import (AGGRESSIVE, SEED, TUNED, DrillError, HealthCheckSetting, detection_window,
                           health_check_tuning, reset_health_check_tuning)
from awslab.drills.health_check_results import measure_row
from awslab.drills.health_check_setup import DRILL_KEY, DRILL_TAG
from awslab.drills.registry import DRILLS

from ..conftest import control
from .test_drills_failure import _stack


def _drill_groups(lab) -> list[str]:
    elb = lab.client("elbv2")
    arns = [g["TargetGroupArn"] for g in elb.describe_target_groups()["TargetGroups"]]
    tagged = [d for i in range(0, len(arns), 20) for d in elb.describe_tags(ResourceArns=arns[i:i + 20])["TagDescriptions"]]
    return [d["ResourceArn"] for d in tagged if {"Key": DRILL_TAG, "Value": DRILL_KEY} in d["Tags"]
            and {"Key": "awslab:lab", "Value": lab.name} in d["Tags"]]


@pytest.fixture(scope="module")
def tuned_run(cloud_url):
    """One drill, seed vs aggressive vs tuned, measured over a simulated hour (about 20 s of wall time)."""
    lab, st = _stack(cloud_url)
    drill = DRILLS["health_check_tuning"].start(lab, fast_forward=True)
    drill.wait_until("detected", fast_forward=True, timeout_s=120)
    drill.wait_until("measured", fast_forward=True, timeout_s=240)
    yield lab, st, drill, drill.result()
    drill.reset()
    lab.teardown()


def test_each_setting_detects_a_crash_inside_the_window_its_settings_predict(tuned_run):
    lab, _st, drill, result = tuned_run
    elb = lab.client("elbv2")
    for row, arn in zip(result.rows, drill._setup.target_group_arns):
        tg = elb.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]  # the settings as AWS holds them
        assert tg["HealthCheckIntervalSeconds"] == row.setting.health_check_interval_seconds
        low, high = detection_window(tg)
        assert row.detection_s is not None and low <= row.detection_s <= high, (row.setting.name, row.detection_s)
        assert row.inside_window
        health = {d["Target"]["Id"]: d["TargetHealth"] for d in elb.describe_target_health(TargetGroupArn=arn)[
            "TargetHealthDescriptions"]}
        assert health[drill.crashed_instance]["State"] == "unhealthy"
        assert health[drill.crashed_instance]["Reason"] == "Target.FailedHealthChecks"
    assert result.row("aggressive").detection_s < result.row("tuned").detection_s < result.row("seed").detection_s


def test_the_aggressive_setting_takes_a_slow_but_working_server_out_more_often_than_the_seed(tuned_run):
    _lab, _st, _drill, result = tuned_run
    seed, aggressive, tuned = result.row("seed"), result.row("aggressive"), result.row("tuned")
    assert result.span_s == pytest.approx(3600, abs=1)
    # 3.5-6.0 s answers: a 5 s timeout fails 2 checks in 5 (the seed needs 3 in a row), a 4 s one 4 in 5 (2 in a row)
    assert aggressive.false_alarms > seed.false_alarms
    assert aggressive.false_alarms > 1  # it flaps: out, back in after two passing checks, out again
    assert aggressive.out_of_service_s > seed.out_of_service_s
    assert tuned.false_alarms == 0 and tuned.out_of_service_s == 0  # an 8 s timeout is above the app's slowest answer
    text = str(result)
    assert "seed" in text and "60-95 s" in text and "false alarms per hour" in text
    fig = result.figure()
    assert fig.layout.height == 420 and len(fig.data) == 4
    assert [a.text for a in fig.layout.annotations] == ["Crash detected after (s)", "False alarms per hour",
                                                        "Out of service (min)"]
    assert list(fig.data[1].x) == ["seed", "aggressive", "tuned"]


def test_the_story_tells_each_groups_verdicts_and_the_faults(tuned_run):
    _lab, _st, drill, _result = tuned_run
    story = drill.story()
    assert story.first("the web app is broken: crash", resource=drill.crashed_instance)
    assert story.first("-> unhealthy (Target.FailedHealthChecks)", resource=drill.crashed_instance)
    assert story.first("-> unhealthy (Target.Timeout)", resource=drill.slow_instance)


def test_reset_removes_what_the_drill_made_and_clears_its_faults(cloud_url):
    lab, _st = _stack(cloud_url)
    try:
        drill = health_check_tuning(lab, settings=(SEED, TUNED), span_s=600, fast_forward=True)
        assert len(_drill_groups(lab)) == 2
        faults = control(cloud_url, "GET", "faults")
        assert {drill.crashed_instance, drill.slow_instance} <= set(faults)
        rules_before = _rules(lab, drill)
        assert len(rules_before) == 2
        reset_health_check_tuning(lab)  # as a fresh kernel would: by the tags, not the object
        assert _drill_groups(lab) == [] and _rules(lab, drill) == []
        assert not {drill.crashed_instance, drill.slow_instance} & set(control(cloud_url, "GET", "faults"))
        states = {i["InstanceId"]: i["State"]["Name"] for r in lab.client("ec2").describe_instances(
            InstanceIds=[drill.crashed_instance, drill.slow_instance])["Reservations"] for i in r["Instances"]}
        assert set(states.values()) <= {"shutting-down", "terminated"}
        drill.reset()  # twice: nothing left, nothing fails
    finally:
        lab.teardown()


def _rules(lab, drill) -> list[str]:
    elb = lab.client("elbv2")
    lbs = elb.describe_load_balancers()["LoadBalancers"]
    return [r["RuleArn"] for lb in lbs if lb["LoadBalancerName"] == lab.resource_name("alb")
            for li in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
            for r in elb.describe_rules(ListenerArn=li["ListenerArn"])["Rules"]
            if "health-check-tuning" in str(r.get("Conditions"))]


@pytest.mark.parametrize("bad, field", [
    (HealthCheckSetting("x", 4, 2, 2, 2), "health_check_interval_seconds"),  # AWS: 5-300
    (HealthCheckSetting("x", 301, 5, 2, 2), "health_check_interval_seconds"),
    (HealthCheckSetting("x", 10, 1, 2, 2), "health_check_timeout_seconds"),  # AWS: 2-120
    (HealthCheckSetting("x", 300, 121, 2, 2), "health_check_timeout_seconds"),
    (HealthCheckSetting("x", 10, 10, 2, 2), "health_check_timeout_seconds"),  # must be below the interval
    (HealthCheckSetting("x", 10, 5, 1, 2), "healthy_threshold_count"),  # AWS: 2-10
    (HealthCheckSetting("x", 10, 5, 2, 11), "unhealthy_threshold_count"),
])
def test_settings_outside_aws_limits_are_refused_before_anything_is_created(lab, bad, field):
    with pytest.raises(ValidationError) as e:
        health_check_tuning(lab, settings=(SEED, bad))
    assert e.value.field == field and e.value.fix
    assert _drill_groups(lab) == []


def test_a_lab_without_a_stack_is_told_to_build_first(lab):
    with pytest.raises(DrillError) as e:
        health_check_tuning(lab)
    assert "lab.build()" in e.value.fix
    with pytest.raises(ValidationError):
        health_check_tuning(lab, settings=(SEED, SEED))  # two settings with one name


def _event(t, iid, arn, previous, state):
    return {"time": t, "event": "target_health_changed", "resource": iid,
            "details": {"target_group_arn": arn, "previous": previous, "state": state}}


def test_a_row_counts_false_alarms_and_time_out_of_service_from_the_timeline():
    events = [_event(40, "i-c", "tg", "healthy", "unhealthy"), _event(100, "i-s", "tg", "healthy", "unhealthy"),
              _event(160, "i-s", "tg", "unhealthy", "healthy"), _event(3500, "i-s", "tg", "healthy", "unhealthy"),
              _event(50, "i-s", "other", "healthy", "unhealthy")]
    row = measure_row(SEED, "tg", events, "i-c", "i-s", 10, 3610, (60, 95))
    assert row.detection_s == 30 and not row.inside_window
    assert row.false_alarms == 2 and row.out_of_service_s == 60 + 110
    assert row.false_alarms_per_hour == 2.0

"""The surge drill on the embedded cloud: the seed's 100 -> 1000 users against the lab's real scaling layer."""
from __future__ import annotations

import uuid

import pytest

from awslab import Lab, ValidationError
from awslab.drills import DrillError, surge
from awslab.drills.story import short_name

from ..conftest import control


@pytest.fixture(scope="module")
def built(cloud_url):
    lab = Lab(name="s" + uuid.uuid4().hex[:8], endpoint_url=cloud_url)
    stack = lab.build()  # every layer, with the seed's four kinds of scaling policy
    tg = stack.loadbalancing.target_group_arn
    elbv2 = lab.client("elbv2")
    for _ in range(40):  # bounded: boot, then the healthy threshold
        states = [d["TargetHealth"]["State"] for d in elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]]
        if states and all(s == "healthy" for s in states):
            break
        control(cloud_url, "POST", "clock/advance", {"seconds": 30})
    yield lab, stack
    control(cloud_url, "DELETE", "load")
    lab.teardown()


def test_the_seed_surge_fires_a_scale_out_alarm_on_time_and_the_group_scales_out_then_in(built):
    lab, stack = built
    s = surge(lab, users=(100, 1000), ramp_s=60)
    first = s.status()
    assert first.desired == first.initial_desired and first.scale_out_alarms

    status = s.wait_until("alarm", fast_forward=True, step_s=10, timeout_s=90)
    fired = [a for a in status.scale_out_alarms if status.alarms[a] == "ALARM"]
    alarm = lab.client("cloudwatch").describe_alarms(AlarmNames=fired[:1])["MetricAlarms"][0]
    period, needed = alarm["Period"], alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"]
    line = next(line for line in s.story() if line.resource == short_name(alarm["AlarmName"]) and line.text.endswith("-> ALARM"))
    # `needed` breaching periods of `period` s: not before the last of them closes, and not long after the ramp
    assert period * (needed - 1) <= line.offset_s <= period * (needed + 1) + 60 + 10, line

    status = s.wait_until("scaled_out", fast_forward=True, step_s=30, timeout_s=120)
    assert status.desired > status.initial_desired and status.healthy_targets >= status.desired
    story = s.story()
    policy = story.first("policy ")
    launch = story.first("Launching a new EC2 instance")
    assert policy and launch and line.offset_s <= policy.offset_s <= launch.offset_s
    activities = lab.client("autoscaling").describe_scaling_activities(AutoScalingGroupName=s.auto_scaling_group)["Activities"]
    assert any("Launching" in a["Description"] and "alarm" in a.get("Cause", "").lower() for a in activities)

    with pytest.raises(ValidationError):
        s.wait_until("scaled_in")  # the users haven't left yet
    s.stop()
    status = s.wait_until("scaled_in", fast_forward=True, step_s=60, timeout_s=120)
    assert status.desired < status.peak_desired and status.cpu_percent is not None and status.cpu_percent < 50


def test_surge_input_and_preconditions_are_checked(built, lab):
    with pytest.raises(ValidationError) as e:
        surge(built[0], users=(100,))
    assert e.value.field == "users"
    with pytest.raises(DrillError) as e:
        surge(lab)  # a lab with nothing built
    assert "lab.build()" in str(e.value)
    # Without a simulator the surge is real requests to the lab's ALB, confirmed first: test_drills_surge_load.py.


def test_a_surge_on_the_minute_fires_the_first_alarm_when_its_last_datapoint_has_arrived(built):
    """Users arriving on a whole minute make that minute the first breaching datapoint: the first scale-out
    alarm then fires Period x DatapointsToAlarm + the cloud's delivery delay later, at the next evaluation."""
    from awslab.course.cloudwatch import alarm_change
    from awslab.drills.simulator import simulator

    lab, stack = built
    delay = simulator(lab).metric_delivery_delay()
    assert delay == 60.0  # AWS's stated "within one minute", the default without AWSLAB_METRIC_DELAY_S
    s = surge(lab, users=(100, 1000), ramp_s=0, on_the_minute=True)
    try:
        assert s.users_arrive.second == 0 and s.users_arrive.timestamp() >= s._t0
        status = s.wait_until("alarm", fast_forward=True, step_s=10, timeout_s=90)
        fired = sorted(a for a in status.scale_out_alarms if status.alarms[a] == "ALARM")
        alarm = lab.client("cloudwatch").describe_alarms(AlarmNames=fired[:1])["MetricAlarms"][0]
        change = alarm_change(lab, alarm["AlarmName"], "ALARM", s.users_arrive)
        when = alarm["Period"] * (alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"]) + delay
        assert when <= change.seconds < when + 60, change
        assert change.first_datapoint == s.users_arrive and all(v > alarm["Threshold"] for _, v in change.datapoints)
        s.stop(on_the_minute=True)
        assert s.users_leave.second == 0 and s.users_leave >= s.users_arrive
    finally:
        # Leave the group as the surge found it: a policy may have scaled it out, up to MaxSize on a busy machine,
        # and the next test's surge must have room to scale.
        s.reset()


def test_a_surge_at_a_given_moment_starts_then_and_never_in_the_past(built):
    from datetime import datetime, timedelta, timezone

    from awslab.drills.simulator import simulator

    lab, stack = built
    now = datetime.fromtimestamp(simulator(lab).now(), timezone.utc)
    at = now.replace(second=0, microsecond=0) + timedelta(minutes=3)
    try:
        s = surge(lab, users=(100, 1000), ramp_s=0, at=at)
        assert s.users_arrive == at
        with pytest.raises(ValidationError) as e:
            surge(lab, at=now - timedelta(minutes=1))
        assert e.value.field == "at"
    finally:
        control(lab.endpoint_url, "DELETE", "load")


def test_reset_sends_the_users_away_and_the_desired_capacity_back(built, cloud_url):
    from awslab.drills.registry import Drill

    lab, _stack = built
    s = surge(lab, users=(100, 1000), ramp_s=60)
    assert isinstance(s, Drill) and s.milestones == ("alarm", "scaling", "scaled_out", "scaled_in")
    s.wait_until("scaling", fast_forward=True, step_s=30, timeout_s=120)
    assert s.status().desired > s.status().initial_desired
    s.reset()
    group = lab.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[s.auto_scaling_group])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == s.status().initial_desired, "set-desired-capacity back to where it was"
    assert control(cloud_url, "GET", "load") == {"shape": None}, "the simulated users are gone"

"""Scaling-policy decisions: step selection, rounding, target tracking math, cooldown gate, cron."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from awslab.sim.policies import (Cron, ScheduledActionSpec, SimpleScalingGate, StepAdjustment, alarm_cause,
                                 alarm_definitions, apply_adjustment, combine, next_run, rounded_change,
                                 scale_in_desired, scale_out_desired, scheduled_cause, select_step,
                                 step_scale_out_desired, validate_steps)
from awslab.sim.policies import target_tracking as tt

UTC = timezone.utc
# AWS's doc example: threshold 60; +10 % at 60-70, +20 % at 70-80, +30 % at 80+ (relative: 0-10, 10-20, 20+)
UP = [StepAdjustment(1, 0, 10), StepAdjustment(2, 10, 20), StepAdjustment(3, 20, None)]
# below a threshold of 40: -1 at 30-40, -2 below 30 (relative: -10..0, ..-10)
DOWN = [StepAdjustment(-1, -10, 0), StepAdjustment(-2, None, -10)]


@pytest.mark.parametrize("metric,expected", [(60, 1), (65, 1), (69.99, 1), (70, 2), (79, 2), (80, 3), (250, 3)])
def test_step_selection_above_threshold_lower_inclusive(metric, expected):
    assert select_step(UP, metric - 60, above=True).scaling_adjustment == expected


@pytest.mark.parametrize("metric,expected", [(40, -1), (35, -1), (30.1, -1), (30, -2), (0, -2)])
def test_step_selection_below_threshold_upper_inclusive(metric, expected):
    assert select_step(DOWN, metric - 40, above=False).scaling_adjustment == expected


def test_no_step_matches_outside_the_ranges_and_validation_rejects_gaps():
    assert select_step(UP, -5, above=True) is None
    validate_steps(UP)
    validate_steps(DOWN)
    with pytest.raises(ValueError, match="gaps"):
        validate_steps([StepAdjustment(1, 0, 10), StepAdjustment(2, 15, None)])
    with pytest.raises(ValueError, match="null MetricIntervalUpperBound"):
        validate_steps([StepAdjustment(1, 0, None), StepAdjustment(2, 10, None)])


def test_aws_rounding_examples():
    assert rounded_change(11, 30) == 3      # 3.3 -> 3
    assert rounded_change(14, -10) == -1    # -1.4 -> -1
    assert rounded_change(2, 10) == 1       # 0.2 -> 1
    assert rounded_change(5, -10) == -1     # -0.5 -> -1
    assert rounded_change(10, -25) == -2    # -2.5 -> -2 (rounds toward zero)


def test_adjustment_types_and_min_adjustment_magnitude():
    assert apply_adjustment(4, "ChangeInCapacity", 2) == 6
    assert apply_adjustment(4, "ExactCapacity", 7) == 7
    assert apply_adjustment(11, "PercentChangeInCapacity", 30) == 14
    assert apply_adjustment(4, "PercentChangeInCapacity", 25, min_adjustment_magnitude=2) == 6
    with pytest.raises(ValueError):
        apply_adjustment(4, "Bogus", 1)


def test_step_scale_out_counts_warming_instances():
    # AWS's example: 10 + 2 warming after a +2 step; a +3 breach then goes to 13, not 15
    assert step_scale_out_desired(12, 2, "ChangeInCapacity", 3) == 13
    assert step_scale_out_desired(12, 2, "ChangeInCapacity", 2) == 12  # same step does not stack
    assert step_scale_out_desired(10, 0, "ChangeInCapacity", 2) == 12


def test_target_tracking_alarms_have_aws_shape():
    arn = "arn:aws:autoscaling:ap-northeast-2:123456789012:scalingPolicy:u:autoScalingGroupName/web:policyName/cpu70"
    high, low = alarm_definitions("web", arn, {"TargetValue": 70.0, "PredefinedMetricSpecification":
                                               {"PredefinedMetricType": "ASGAverageCPUUtilization"}})
    assert high["AlarmName"].startswith("TargetTracking-web-AlarmHigh-")
    assert (high["EvaluationPeriods"], high["DatapointsToAlarm"], high["Threshold"]) == (3, 3, 70.0)
    assert high["ComparisonOperator"] == "GreaterThanThreshold" and high["Period"] == 60
    assert high["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "web"}]
    assert low["AlarmName"].startswith("TargetTracking-web-AlarmLow-")
    assert (low["EvaluationPeriods"], low["Threshold"]) == (15, 70.0 * tt.SCALE_IN_FACTOR)
    assert low["ComparisonOperator"] == "LessThanThreshold" and low["AlarmActions"] == [arn]
    only = alarm_definitions("web", arn, {"TargetValue": 70.0, "DisableScaleIn": True,
                                          "PredefinedMetricSpecification": {"PredefinedMetricType":
                                                                            "ASGAverageCPUUtilization"}})
    assert len(only) == 1


def test_alb_request_count_per_target_uses_the_target_group_dimension():
    label = "app/my-alb/778d41231b141a0f/targetgroup/my-alb-target-group/943f017f100becff"
    (high, _) = alarm_definitions("web", "arn", {"TargetValue": 1000, "PredefinedMetricSpecification": {
        "PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": label}})
    assert high["Namespace"] == "AWS/ApplicationELB" and high["Statistic"] == "Sum"
    assert high["Dimensions"] == [{"Name": "TargetGroup", "Value": "targetgroup/my-alb-target-group/943f017f100becff"}]


def test_target_tracking_capacity_math():
    assert scale_out_desired(2, 2, 140.0, 70.0) == 4           # proportional
    assert scale_out_desired(2, 2, 71.0, 70.0) == 3            # 2.03 rounds up
    assert scale_out_desired(4, 2, 140.0, 70.0) == 4           # warming instances count: no stacking
    assert scale_in_desired(6, 20.0, 70.0) == 2                # keeps the metric <= target
    assert scale_in_desired(6, 60.0, 70.0) == 6                # removing one would exceed the target
    assert scale_in_desired(6, 20.0, 70.0, warming=1) == 6     # blocked during warmup


def test_several_policies_out_if_any_in_only_if_all():
    assert combine(4, [6, None], [False]) == 6
    assert combine(4, [3, 2], [True, False]) == 4
    assert combine(4, [3, 2], [True, True]) == 3


def test_simple_scaling_gate_waits_for_activity_then_cooldown():
    gate = SimpleScalingGate(cooldown_s=300)
    assert gate.ready(0)
    gate.activity_started()
    assert not gate.ready(10_000)
    gate.activity_finished(100)
    assert not gate.ready(399) and gate.ready(400)


def test_cron_parsing():
    c = Cron.parse("30 6 * * 2")
    assert c.next_after(datetime(2026, 11, 26, tzinfo=UTC)) == datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
    assert Cron.parse("*/15 9-17 * * MON-FRI").next_after(datetime(2026, 11, 28, 12, tzinfo=UTC)) == \
        datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Saturday -> Monday 09:00
    assert Cron.parse("0 0 1,15 * *").next_after(datetime(2026, 11, 2, tzinfo=UTC)).day == 15
    with pytest.raises(ValueError):
        Cron.parse("61 * * * *")
    with pytest.raises(ValueError):
        Cron.parse("* * *")


def test_cron_in_a_time_zone_follows_daylight_saving():
    c = Cron.parse("0 9 * * *")
    seoul = c.next_after(datetime(2026, 11, 25, 23, tzinfo=UTC), "Asia/Seoul")
    assert seoul == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 09:00 KST = 00:00 UTC
    # New York: 09:00 is 13:00 UTC in summer (EDT) and 14:00 UTC in winter (EST)
    summer = c.next_after(datetime(2026, 7, 1, tzinfo=UTC), "America/New_York")
    winter = c.next_after(datetime(2026, 12, 1, tzinfo=UTC), "America/New_York")
    assert (summer.hour, winter.hour) == (13, 14)
    # 02:30 doesn't exist on 2026-03-08 in New York: it runs the next day
    skipped = Cron.parse("30 2 * * *").next_after(datetime(2026, 3, 8, 5, tzinfo=UTC), "America/New_York")
    assert skipped == datetime(2026, 3, 9, 6, 30, tzinfo=UTC)


def test_scheduled_action_start_end_and_one_time():
    start = datetime(2026, 11, 27, tzinfo=UTC)
    once = ScheduledActionSpec("once", "web", desired_capacity=4, start_time=start)
    assert next_run(once, start.replace(day=26)) == start and next_run(once, start) is None
    rec = ScheduledActionSpec("daily", "web", min_size=2, recurrence="0 8 * * *", start_time=start,
                              end_time=datetime(2026, 11, 28, 9, tzinfo=UTC))
    assert next_run(rec, datetime(2026, 11, 20, tzinfo=UTC)) == datetime(2026, 11, 27, 8, tzinfo=UTC)
    assert next_run(rec, datetime(2026, 11, 28, 8, tzinfo=UTC)) is None


def test_cause_texts():
    at = datetime(2026, 11, 26, 22, 10, tzinfo=UTC).timestamp()
    assert alarm_cause(at, "TargetTracking-my-asg-AlarmHigh-1", "my-policy", 2, 4) == (
        "At 2026-11-26T22:10:00Z a monitor alarm TargetTracking-my-asg-AlarmHigh-1 in state ALARM "
        "triggered policy my-policy changing the desired capacity from 2 to 4.")
    assert "constraints to min: 1, max: 5, desired: 3 changing the desired capacity from 0 to 3." in \
        scheduled_cause(at, 1, 5, 3, 0)

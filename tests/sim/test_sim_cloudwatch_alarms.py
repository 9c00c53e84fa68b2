"""Alarm evaluation: M of N, TreatMissingData, AWS's reason text and when actions fire."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from awslab.sim.cloudwatch import ALARM, INSUFFICIENT_DATA, OK, AlarmSpec, Sample, evaluate, period_values

T = datetime(2022, 11, 8, 11, 26, tzinfo=timezone.utc).timestamp()  # an evaluation minute
ASG_ARN = "arn:aws:autoscaling:ap-northeast-2:123456789012:scalingPolicy:x:autoScalingGroupName/g:policyName/p"
SNS_ARN = "arn:aws:sns:ap-northeast-2:123456789012:topic"


def minutes(*values):
    """Samples for the minutes before T, newest first; None = no data that minute."""
    return [Sample(T - 60 * (k + 1) + 30, v) for k, v in enumerate(values) if v is not None]


def spec(**kw):
    base = dict(alarm_name="cpu-high", threshold=70.0, comparison_operator="GreaterThanThreshold",
                period=60, evaluation_periods=3)
    return AlarmSpec(**{**base, **kw})


def test_reason_text_and_reason_data_look_like_aws():
    e = evaluate(spec(threshold=0.0, datapoints_to_alarm=1), minutes(20000.0, 20000.0, 20000.0), T + 5, OK)
    assert e.state == ALARM and e.changed
    assert e.reason == ("Threshold Crossed: 3 out of the last 3 datapoints [20000.0 (08/11/22 11:25:00), "
                        "20000.0 (08/11/22 11:24:00), 20000.0 (08/11/22 11:23:00)] were greater than the "
                        "threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).")
    data = json.loads(e.reason_data)
    assert data["version"] == "1.0" and data["period"] == 60 and data["threshold"] == 0.0
    assert data["recentDatapoints"] == [20000.0] * 3
    assert data["evaluatedDatapoints"][0] == {"timestamp": "2022-11-08T11:25:00.000+0000",
                                              "sampleCount": 1.0, "value": 20000.0}


def test_ok_reason_says_not_and_singular():
    e = evaluate(spec(evaluation_periods=1), minutes(10.0), T, ALARM)
    assert e.state == OK
    assert e.reason.startswith("Threshold Crossed: 1 out of the last 1 datapoints [10.0 (08/11/22 11:25:00)] "
                               "was not greater than the threshold (70.0)")
    assert "for ALARM -> OK transition" in e.reason


@pytest.mark.parametrize("values,m,expected", [
    ((80, 80, 80), 3, ALARM), ((80, 60, 80), 3, OK), ((80, 60, 80), 2, ALARM),
    ((60, 60, 80), 2, OK), ((70, 70, 70), 1, OK),  # equal is not greater
])
def test_m_out_of_n(values, m, expected):
    assert evaluate(spec(datapoints_to_alarm=m), minutes(*values), T, OK).state == expected


def test_operators():
    low = spec(comparison_operator="LessThanThreshold", threshold=63.0, evaluation_periods=1)
    assert evaluate(low, minutes(50.0), T, OK).state == ALARM
    geq = spec(comparison_operator="GreaterThanOrEqualToThreshold", evaluation_periods=1)
    assert evaluate(geq, minutes(70.0), T, OK).state == ALARM
    assert "greater than or equal to" in evaluate(geq, minutes(70.0), T, OK).reason


def test_statistic_and_sliding_periods():
    samples = [Sample(T - 10, 1.0), Sample(T - 20, 3.0), Sample(T - 70, 5.0)]
    assert [p.value for p in period_values(samples, "Average", 60, T, 2)] == [2.0, 5.0]
    assert [p.value for p in period_values(samples, "Sum", 60, T, 2)] == [4.0, 5.0]
    # Period 300 is a sliding window evaluated every minute, and the evaluation range
    # (N + 2 periods) keeps a lone 5-minute point in play until it is 15 minutes old
    five = [Sample(T - 240, 90.0)]
    s = spec(period=300, evaluation_periods=1)
    assert [evaluate(s, five, T + 60 * k, OK).state for k in (0, 1, 5, 10)] == [ALARM] * 4
    assert evaluate(s, five, T + 60 * 12, ALARM).state == INSUFFICIENT_DATA


@pytest.mark.parametrize("treat,current,expected", [
    ("missing", OK, INSUFFICIENT_DATA), ("ignore", ALARM, ALARM), ("ignore", OK, OK),
    ("breaching", OK, ALARM), ("notBreaching", ALARM, OK),
])
def test_all_missing(treat, current, expected):
    e = evaluate(spec(treat_missing_data=treat), [], T, current)
    assert e.state == expected


def test_all_missing_reason_texts():
    assert evaluate(spec(), [], T, OK).reason == "Insufficient Data: 3 datapoints were unknown."
    assert evaluate(spec(treat_missing_data="breaching"), [], T, OK).reason == (
        "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints "
        "were treated as [Breaching].")


def test_enough_real_points_in_the_evaluation_range_skip_the_gaps():
    # N=3, range 5: the newest 3 real points decide, whatever TreatMissingData says
    for treat in ("missing", "notBreaching", "breaching", "ignore"):
        assert evaluate(spec(treat_missing_data=treat), minutes(80, None, 80, 80), T, OK).state == ALARM


def test_few_points_are_filled_as_treat_missing_data_says():
    one_high = minutes(None, 80)
    assert evaluate(spec(treat_missing_data="breaching"), one_high, T, OK).state == ALARM
    assert evaluate(spec(treat_missing_data="notBreaching"), one_high, T, ALARM).state == OK
    # missing: one breaching point of a 3-of-3 alarm does not alarm prematurely
    assert evaluate(spec(), one_high, T, INSUFFICIENT_DATA).state == INSUFFICIENT_DATA
    assert evaluate(spec(), one_high, T, OK).state == OK
    # ...but one good point already rules ALARM out
    assert evaluate(spec(), minutes(10), T, INSUFFICIENT_DATA).state == OK


def test_actions_fire_on_change_and_autoscaling_actions_repeat_every_minute():
    s = spec(evaluation_periods=1, alarm_actions=(ASG_ARN, SNS_ARN), ok_actions=(SNS_ARN,))
    first = evaluate(s, minutes(90), T, OK)
    assert first.actions == (ASG_ARN, SNS_ARN)
    again = evaluate(s, minutes(90), T, ALARM)
    assert not again.changed and again.actions == (ASG_ARN,)
    assert evaluate(s, minutes(10), T, OK).actions == ()
    assert evaluate(s, minutes(10), T, ALARM).actions == (SNS_ARN,)
    off = spec(evaluation_periods=1, alarm_actions=(ASG_ARN,), actions_enabled=False)
    assert evaluate(off, minutes(90), T, OK).actions == ()


def test_periods_still_in_flight_widen_the_evaluation_range():
    """With datapoints arriving three minutes late, the newest three periods are empty when CloudWatch evaluates:
    the range reaches back past them, so 3 of 3 is judged on the three newest delivered points."""
    late = minutes(None, None, None, 80.0, 90.0, 85.0)
    assert evaluate(spec(), late, T + 5, OK).state == OK  # N + 2 periods hold only two points: no decision
    e = evaluate(spec(), late, T + 5, OK, in_flight_periods=3)
    assert e.state == ALARM and [p.value for p in e.evaluated] == [80.0, 90.0, 85.0]

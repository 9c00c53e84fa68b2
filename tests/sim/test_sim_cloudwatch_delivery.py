"""Datapoints arrive when AWS would deliver them (issue 11 §2), in virtual time.

AWS: EC2 data "typically becomes available within one minute of the end of the ... aggregation
period". Until then a datapoint is nowhere: GetMetricStatistics, GetMetricData and ListMetrics don't
show it and an alarm can't evaluate it. The delay is a setting (``CloudWatchSim.delivery_delay_s``,
``AWSLAB_METRIC_DELAY_S``) with AWS's one minute as the default.
"""
from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest

from awslab.errors import ValidationError
from awslab.sim import load
from awslab.sim.cloudwatch.delivery import DEFAULT_DELIVERY_DELAY_S, ENV_DELAY, delivery_delay_from_env
from tests.sim.test_sim_scenarios_scaling import stack

REGION = "ap-northeast-2"
GROUP = [{"Name": "AutoScalingGroupName", "Value": "web"}]


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def visible(minute: float) -> dict[str, bool]:
    """Is the group's CPU datapoint of the minute starting at ``minute`` readable, per API?"""
    cw = boto3.client("cloudwatch", region_name=REGION)
    stats = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUUtilization", Dimensions=GROUP,
                                     StartTime=_utc(minute), EndTime=_utc(minute + 60), Period=60,
                                     Statistics=["Average"])["Datapoints"]
    data = cw.get_metric_data(StartTime=_utc(minute), EndTime=_utc(minute + 60), MetricDataQueries=[{
        "Id": "cpu", "MetricStat": {"Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
                                               "Dimensions": GROUP}, "Period": 60, "Stat": "Average"}}])
    return {"GetMetricStatistics": bool(stats), "GetMetricData": bool(data["MetricDataResults"][0]["Values"])}


def test_the_default_delay_is_awss_one_minute(world, monkeypatch):
    monkeypatch.delenv(ENV_DELAY, raising=False)
    assert DEFAULT_DELIVERY_DELAY_S == 60
    from awslab.sim.cloudwatch.publisher import CloudWatchSim

    assert CloudWatchSim().delivery_delay_s == 60


@pytest.mark.parametrize("delay", [60, 120, 90])
def test_a_datapoint_is_readable_only_once_delivered_by_every_api(world, delay):
    w = world
    w.sim.cloudwatch.delivery_delay_s = delay
    stack(w, "web")
    w.advance(60 - w.now % 60)
    m = w.now  # the minute [m, m + 60) ends at m + 60 and arrives at m + 60 + delay
    w.advance(60 + delay - 10)
    assert visible(m) == {"GetMetricStatistics": False, "GetMetricData": False}
    w.advance(10)
    assert visible(m) == {"GetMetricStatistics": True, "GetMetricData": True}


def test_list_metrics_shows_a_new_metric_only_after_its_first_datapoint_arrives(world):
    w = world
    w.sim.cloudwatch.delivery_delay_s = 120
    stack(w, "web")
    tg = w.elbv2.describe_target_groups()["TargetGroups"][0]["TargetGroupArn"]
    w.advance(60 - w.now % 60)
    w.sim.cloudwatch.set_load({tg: load.steady(10)})  # ALB metrics exist only once requests flow
    cw = boto3.client("cloudwatch", region_name=REGION)
    w.advance(60 + 110)
    assert cw.list_metrics(Namespace="AWS/ApplicationELB")["Metrics"] == []
    w.advance(10)
    assert {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/ApplicationELB")["Metrics"]} >= {"RequestCount"}


@pytest.mark.parametrize("delay", [0, 60, 90, 120, 180])
def test_an_alarm_evaluates_what_has_arrived(world, delay):
    """A 1-of-1 alarm on the group's CPU: the first loaded minute [m, m + 60) breaches. CloudWatch evaluates
    every minute, so the alarm goes to ALARM at the first whole minute at or after m + 60 + delay."""
    w = world
    w.sim.cloudwatch.delivery_delay_s = delay
    stack(w, "web")
    cw = boto3.client("cloudwatch", region_name=REGION)
    cw.put_metric_alarm(AlarmName="cpu50", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
                        Dimensions=GROUP, Period=60, EvaluationPeriods=1, Threshold=50.0,
                        ComparisonOperator="GreaterThanThreshold")
    w.advance(60 - w.now % 60)
    m = w.now
    w.sim.cloudwatch.set_load(load.steady(400))
    w.advance(60 + delay + 60)
    changes = [e for e in w.sim.timeline.query(event="alarm_state_changed", resource="cpu50")
               if e.details["state"] == "ALARM"]
    expected = m + 60 + -(-delay // 60) * 60
    assert [e.time for e in changes] == [expected]


def test_the_delay_setting_from_the_environment(monkeypatch):
    monkeypatch.setenv(ENV_DELAY, "120")
    assert delivery_delay_from_env() == 120
    monkeypatch.setenv(ENV_DELAY, "")
    assert delivery_delay_from_env() == DEFAULT_DELIVERY_DELAY_S
    for bad in ("soon", "-5", "nan", "1e9"):
        monkeypatch.setenv(ENV_DELAY, bad)
        with pytest.raises(ValidationError) as e:
            delivery_delay_from_env()
        assert ENV_DELAY in str(e.value) and "How to fix" in str(e.value)

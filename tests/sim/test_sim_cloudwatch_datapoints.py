"""A datapoint is the statistic of its period (issue 11 §1), in virtual time.

AWS: CPUUtilization is the share of CPU time an instance used; each datapoint "covers the next
minute of activity from the start time" (detailed monitoring) or the next 5 minutes (basic, a
statistic set of five one-minute samples on Nitro instances such as t3). So a minute's value is the
time-weighted mean of the CPU over that minute, whatever second the load changed at, and Sum,
Minimum, Maximum and SampleCount agree with it, per instance and for the group's aggregate.
Expected values come from the load model (``load.instance_load``) weighted by seconds.
"""
from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest

from awslab.sim import load
from tests.sim.test_sim_scenarios_scaling import stack

REGION = "ap-northeast-2"
STATS = ["Average", "Sum", "Minimum", "Maximum", "SampleCount"]


def cpu(rps: float, burn: float = 0.0) -> float:
    return load.instance_load("t3.micro", rps, cpu_burn_percent=burn).cpu_percent


def weighted(pieces) -> float:
    """The time-weighted mean of ``(seconds, cpu)`` pieces of one minute."""
    assert sum(s for s, _ in pieces) == 60
    return sum(s * c for s, c in pieces) / 60


def changes_at(points):
    """A load shape: ``points`` = [(second, req/s), ...], each holding until the next."""
    def shape(t: float) -> float:
        current = 0.0
        for at, rps in points:
            if t >= at:
                current = rps
        return current
    return shape


def stats(dims, start: float, end: float, period: int = 60) -> list[dict]:
    cw = boto3.client("cloudwatch", region_name=REGION)
    out = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUUtilization", Dimensions=dims,
                                   StartTime=datetime.fromtimestamp(start, timezone.utc),
                                   EndTime=datetime.fromtimestamp(end, timezone.utc), Period=period, Statistics=STATS)
    return sorted(out["Datapoints"], key=lambda p: p["Timestamp"])


def metric_data(dims, start: float, end: float, stat: str, period: int = 60) -> list[float]:
    cw = boto3.client("cloudwatch", region_name=REGION)
    out = cw.get_metric_data(StartTime=datetime.fromtimestamp(start, timezone.utc),
                             EndTime=datetime.fromtimestamp(end, timezone.utc), MetricDataQueries=[{
                                 "Id": "cpu", "MetricStat": {"Metric": {"Namespace": "AWS/EC2",
                                                                         "MetricName": "CPUUtilization",
                                                                         "Dimensions": dims},
                                                              "Period": period, "Stat": stat}}])
    return out["MetricDataResults"][0]["Values"]


def consistent(p: dict) -> bool:
    return (abs(p["Sum"] - p["Average"] * p["SampleCount"]) < 1e-6
            and p["Minimum"] - 1e-9 <= p["Average"] <= p["Maximum"] + 1e-9)


@pytest.fixture
def two(world):
    """The seed-like stack (detailed monitoring, 2 t3.micro), the clock on a whole minute, no delivery delay."""
    world.sim.cloudwatch.delivery_delay_s = 0
    stack(world, "web")
    world.advance(60 - world.now % 60)
    return world


def test_load_changing_at_seconds_5_30_55_gives_the_time_weighted_minute(two):
    """Total load 0 -> 100 req/s at second 5 -> 20 at 30 -> 200 at 55 (each t3.micro gets half); a cpu_burn
    of 50 % starts on one instance at second 30. Each instance's minute is its own time-weighted CPU."""
    w = two
    m = w.now
    a, b = (i["InstanceId"] for i in w.group("web")["Instances"])
    w.sim.cloudwatch.set_load(changes_at([(5, 100), (30, 20), (55, 200)]))
    w.advance(30)
    w.sim.ec2.inject_fault(a, "cpu_burn", percent=50)
    w.advance(31)
    expected = {a: weighted([(5, cpu(0)), (25, cpu(50)), (25, cpu(10, 50)), (5, cpu(100, 50))]),
                b: weighted([(5, cpu(0)), (25, cpu(50)), (25, cpu(10)), (5, cpu(100))])}
    for iid, value in expected.items():
        (p,) = stats([{"Name": "InstanceId", "Value": iid}], m, m + 60)
        assert p["SampleCount"] == 1 and abs(p["Average"] - value) < 1e-6 and consistent(p)
        assert p["Minimum"] == p["Maximum"] == p["Sum"] == p["Average"]  # one sample: all the same
    (g,) = stats([{"Name": "AutoScalingGroupName", "Value": "web"}], m, m + 60)
    assert g["SampleCount"] == 2 and consistent(g)
    assert abs(g["Average"] - sum(expected.values()) / 2) < 1e-6
    assert abs(g["Minimum"] - min(expected.values())) < 1e-6 and abs(g["Maximum"] - max(expected.values())) < 1e-6
    group_dims = [{"Name": "AutoScalingGroupName", "Value": "web"}]
    for stat in STATS:  # GetMetricData computes the same statistics over the same samples
        assert metric_data(group_dims, m, m + 60, stat) == pytest.approx([g[stat]])


@pytest.mark.parametrize("second", [5, 30, 55])
def test_a_load_starting_late_in_the_minute_counts_for_its_seconds_only(two, second):
    """A step to 200 req/s per instance (100 % CPU) at second ``second``: the minute shows
    (second x idle + (60 - second) x 100) / 60, not a reading of the minute's last seconds."""
    w = two
    m = w.now
    w.advance(second)
    w.sim.cloudwatch.set_load(load.steady(400))
    w.advance(60 - second + 1)
    (g,) = stats([{"Name": "AutoScalingGroupName", "Value": "web"}], m, m + 60)
    assert abs(g["Average"] - weighted([(second, cpu(0)), (60 - second, 100.0)])) < 1e-6
    assert consistent(g) and g["SampleCount"] == 2


def test_an_alarm_does_not_fire_a_minute_early_on_a_late_start(two):
    """Before issue 11 a load starting at second 55 gave 68.7 % for that minute and this 1-of-1 alarm on
    50 % went to ALARM a minute early. The minute's real value is about 10 %: the alarm waits for the next one."""
    w = two
    cw = boto3.client("cloudwatch", region_name=REGION)
    cw.put_metric_alarm(AlarmName="cpu50", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
                        Dimensions=[{"Name": "AutoScalingGroupName", "Value": "web"}], Period=60, EvaluationPeriods=1,
                        Threshold=50.0, ComparisonOperator="GreaterThanThreshold")
    m = w.now
    w.advance(55)
    w.sim.cloudwatch.set_load(load.steady(400))
    w.advance(5)  # the minute that held 5 s of load is evaluated now
    assert cw.describe_alarms(AlarmNames=["cpu50"])["MetricAlarms"][0]["StateValue"] == "OK"
    w.advance(60)  # the first whole loaded minute
    alarm = cw.describe_alarms(AlarmNames=["cpu50"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateTransitionedTimestamp"].timestamp() == m + 120


def test_basic_monitoring_publishes_a_five_sample_statistic_set(world):
    """Basic monitoring (the launch template's default): one datapoint per 5 minutes per instance, whose
    SampleCount is 5 and whose Minimum/Maximum are those of the five one-minute samples."""
    w = world
    w.sim.cloudwatch.delivery_delay_s = 0
    stack(w, "slow", monitoring=False)
    w.advance(300 - w.now % 300)
    start = w.now
    # minute 0 idle; minute 1 from second 30: 100 req/s total; minute 2: 20 req/s from second 5; minute 3 from
    # second 55: 200 req/s; minute 4: 200 req/s all minute
    w.sim.cloudwatch.set_load(changes_at([(90, 100), (125, 20), (235, 200)]))
    w.advance(301)
    minutes = [weighted([(60, cpu(0))]), weighted([(30, cpu(0)), (30, cpu(50))]),
               weighted([(5, cpu(50)), (55, cpu(10))]), weighted([(55, cpu(10)), (5, cpu(100))]), cpu(100)]
    iid = w.group("slow")["Instances"][0]["InstanceId"]
    (p,) = stats([{"Name": "InstanceId", "Value": iid}], start, start + 300, period=300)
    assert p["SampleCount"] == 5 and consistent(p)
    assert abs(p["Average"] - sum(minutes) / 5) < 1e-6
    assert abs(p["Minimum"] - min(minutes)) < 1e-6 and abs(p["Maximum"] - max(minutes)) < 1e-6
    (g,) = stats([{"Name": "AutoScalingGroupName", "Value": "slow"}], start, start + 300, period=300)
    assert g["SampleCount"] == 10 and abs(g["Average"] - sum(minutes) / 5) < 1e-6 and consistent(g)


@pytest.mark.parametrize("replace", ["another shape", "no load"])
def test_a_load_replaced_mid_slice_keeps_the_old_load_until_the_change(two, replace):
    """400 req/s from the minute's start, replaced at second 35 (inside a 10-second slice): the minute is 35 s of
    the old load and 25 s of the new. Before, the slice's first 5 s were counted as no load at all, a dip that
    could make a scale-in alarm's minute breach while the users were still there."""
    w = two
    m = w.now
    w.sim.cloudwatch.set_load(load.steady(400))
    w.advance(35)
    w.sim.cloudwatch.set_load(load.steady(100) if replace == "another shape" else None)
    w.advance(26)
    (g,) = stats([{"Name": "AutoScalingGroupName", "Value": "web"}], m, m + 60)
    after = cpu(50) if replace == "another shape" else cpu(0)
    assert abs(g["Average"] - weighted([(35, 100.0), (25, after)])) < 1e-6

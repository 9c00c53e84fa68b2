"""The CloudWatch part of the moto extension, seen through plain boto3: alarm state and history,
and the alarms a target-tracking policy owns."""
from __future__ import annotations

import json
import uuid

import boto3

from tests.conftest import control

REGION = "ap-northeast-2"
CPU = {"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}}


def _alarm(cw, name, **kw):
    cw.put_metric_alarm(AlarmName=name, Namespace="Lab", MetricName="Queue", Statistic="Average", Period=60,
                        EvaluationPeriods=1, Threshold=10.0, ComparisonOperator="GreaterThanThreshold", **kw)


def test_alarm_starts_insufficient_data_and_history_records_every_change(world):
    cw = boto3.client("cloudwatch", region_name=REGION)
    _alarm(cw, "queue-high")
    a = cw.describe_alarms(AlarmNames=["queue-high"])["MetricAlarms"][0]
    assert (a["StateValue"], a["StateReason"]) == ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")
    assert a["StateUpdatedTimestamp"].timestamp() == world.sim.now_datetime().replace(microsecond=0).timestamp()
    cw.set_alarm_state(AlarmName="queue-high", StateValue="ALARM", StateReason="testing")
    _alarm(cw, "queue-high", TreatMissingData="ignore")  # an update keeps the state
    assert cw.describe_alarms(AlarmNames=["queue-high"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    world.advance(120)  # evaluated each minute; no data + ignore -> stays ALARM
    assert cw.describe_alarms(AlarmNames=["queue-high"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    items = cw.describe_alarm_history(AlarmName="queue-high")["AlarmHistoryItems"]
    assert [i["HistoryItemType"] for i in items] == ["ConfigurationUpdate", "StateUpdate", "ConfigurationUpdate"]
    assert items[1]["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    data = json.loads(items[1]["HistoryData"])
    assert data["oldState"]["stateValue"] == "INSUFFICIENT_DATA" and data["newState"]["stateReason"] == "testing"
    assert items[2]["HistorySummary"] == 'Alarm "queue-high" created'
    oldest = cw.describe_alarm_history(AlarmName="queue-high", ScanBy="TimestampAscending", MaxRecords=1)
    assert oldest["AlarmHistoryItems"][0]["HistorySummary"] == 'Alarm "queue-high" created' and oldest["NextToken"]
    only = cw.describe_alarm_history(AlarmName="queue-high", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert len(only) == 1


def test_missing_data_alarm_goes_insufficient_then_ok_with_data(world):
    cw = boto3.client("cloudwatch", region_name=REGION)
    _alarm(cw, "queue")
    cw.set_alarm_state(AlarmName="queue", StateValue="OK", StateReason="manual")
    world.advance(61)
    a = cw.describe_alarms(AlarmNames=["queue"])["MetricAlarms"][0]
    assert (a["StateValue"], a["StateReason"]) == ("INSUFFICIENT_DATA", "Insufficient Data: 1 datapoint was unknown.")


def test_target_tracking_policy_owns_two_alarms(world):
    w = world
    w.network()
    w.asg(name="tt", desired=1, min_size=1, max_size=4)
    cw = boto3.client("cloudwatch", region_name=REGION)
    out = w.autoscaling.put_scaling_policy(AutoScalingGroupName="tt", PolicyName="cpu50",
                                           PolicyType="TargetTrackingScaling",
                                           TargetTrackingConfiguration={**CPU, "TargetValue": 50.0})
    assert out["PolicyARN"].endswith(":autoScalingGroupName/tt:policyName/cpu50")
    names = [a["AlarmName"] for a in out["Alarms"]]
    alarms = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    high = next(a for n, a in alarms.items() if "-AlarmHigh-" in n)
    low = next(a for n, a in alarms.items() if "-AlarmLow-" in n)
    uuid.UUID(high["AlarmName"].split("-AlarmHigh-")[1])
    assert (high["EvaluationPeriods"], high["DatapointsToAlarm"], high["Threshold"]) == (3, 3, 50.0)
    assert (low["EvaluationPeriods"], low["DatapointsToAlarm"], low["Threshold"]) == (15, 15, 45.0)
    assert high["AlarmActions"] == [out["PolicyARN"]] and high["Period"] == 300  # the LT has basic monitoring
    assert high["AlarmDescription"].startswith("DO NOT EDIT OR DELETE.")
    described = w.autoscaling.describe_policies(AutoScalingGroupName="tt")["ScalingPolicies"][0]
    assert sorted(a["AlarmName"] for a in described["Alarms"]) == sorted(names)
    # replacing it with DisableScaleIn keeps only a new AlarmHigh; deleting it deletes its alarms
    again = w.autoscaling.put_scaling_policy(AutoScalingGroupName="tt", PolicyName="cpu50",
                                             PolicyType="TargetTrackingScaling",
                                             TargetTrackingConfiguration={**CPU, "TargetValue": 50.0,
                                                                          "DisableScaleIn": True})
    assert len(again["Alarms"]) == 1 and not cw.describe_alarms(AlarmNames=names)["MetricAlarms"]
    w.autoscaling.delete_policy(AutoScalingGroupName="tt", PolicyName="cpu50")
    assert not cw.describe_alarms(AlarmNamePrefix="TargetTracking-tt-")["MetricAlarms"]


def test_embedded_cloud_serves_alarm_history(lab, cloud_url):
    """The same extension inside the real cloud process, over HTTP."""
    cw = lab.client("cloudwatch")
    name = lab.resource_name("alarm") if hasattr(lab, "resource_name") else f"{lab.name}-alarm"
    _alarm(cw, name, TreatMissingData="ignore")  # the realtime clock evaluates it every 3 s of wall time
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="over HTTP")
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] == "ALARM"
    items = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert items[0]["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    clock = control(cloud_url, "GET", "clock")
    assert abs(items[0]["Timestamp"].timestamp() - clock["now"]) < 120  # stamped in simulated time


def test_load_control_route_sets_and_clears_the_shape(cloud_url):
    assert control(cloud_url, "POST", "load", {"shape": "steady", "rps": 25})["shape"] == "steady"
    assert control(cloud_url, "GET", "load")["rps"] == 25
    assert control(cloud_url, "DELETE", "load") == {"shape": None}
    import urllib.error

    import pytest

    with pytest.raises(urllib.error.HTTPError):
        control(cloud_url, "POST", "load", {"shape": "tsunami"})

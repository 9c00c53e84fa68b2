"""CloudWatch keeps data as long as AWS does, and no longer (issue 11 §8, the metric and alarm-history stores).

AWS: 1-minute datapoints are available for 15 days, 5-minute for 63 days, 1-hour for 455 days; older
data is aggregated into the coarser resolution. Alarm history is kept for 30 days. So a long
simulation holds a bounded store.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest

from awslab.sim.cloudwatch.store import DAY_S, Retention, datum_parts, epoch_of, raw_datum

NOW = 1_796_000_000.0 - 1_796_000_000.0 % 3600  # a whole hour
REGION = "ap-northeast-2"


def minutes(start: float, count: int, value=lambda k: float(k % 7), name="Queue") -> list:
    return [raw_datum("Lab", name, value(k), [("Queue", "orders")], start + 60 * k, "Count") for k in range(count)]


def totals(store) -> tuple[float, float]:
    parts = [datum_parts(md) for md in store]
    return sum(p[0] for p in parts), sum(p[1] for p in parts)


def test_one_minute_data_older_than_15_days_becomes_5_minute_sets():
    store = minutes(NOW - 20 * DAY_S, 20 * 1440)
    before = totals(store)
    Retention().apply(store, NOW)
    stamps = [epoch_of(md.timestamp) for md in store]
    old = [md for md, t in zip(store, stamps) if t < NOW - 15 * DAY_S]
    new = [md for md, t in zip(store, stamps) if t >= NOW - 15 * DAY_S]
    assert len(new) == 15 * 1440 and all(getattr(md, "value", None) is not None for md in new)
    assert len(old) == 5 * 288 and all(md.sample_count == 5 for md in old)  # one set per 5 minutes
    assert {int(epoch_of(md.timestamp)) % 300 for md in old} == {0}
    assert totals(store) == pytest.approx(before)  # Sum and SampleCount survive the roll-up
    first = minutes(NOW - 20 * DAY_S, 5)
    assert (old[0].min, old[0].max, old[0].sum) == (min(m.value for m in first), max(m.value for m in first),
                                                     sum(m.value for m in first))


def test_older_data_becomes_hourly_then_disappears_after_455_days():
    store = minutes(NOW - 500 * DAY_S, 60 * 24, name="Old") + minutes(NOW - 70 * DAY_S, 60, name="Hourly")
    retention = Retention()
    retention.apply(store, NOW - 30 * DAY_S)  # first as it aged: everything to 5-minute sets
    retention.apply(store, NOW)
    assert {md.name for md in store} == {"Hourly"}  # the 500-day-old day is gone
    assert len(store) == 1 and store[0].sample_count == 60 and int(epoch_of(store[0].timestamp)) % 3600 == 0


def test_a_long_stream_stays_bounded():
    """Twenty simulated days of one metric, swept hourly as the simulator does: at most 15 days of
    1-minute points plus 5-minute sets for the rest, and each sweep touches only what it rolls up."""
    store, retention = [], Retention()
    start = NOW - 20 * DAY_S
    for hour in range(20 * 24):
        store.extend(minutes(start + hour * 3600, 60))
        retention.apply(store, start + (hour + 1) * 3600)
    raw = sum(1 for md in store if getattr(md, "value", None) is not None)
    assert raw <= 15 * 1440 + 60 and len(store) <= 15 * 1440 + 5 * 288 + 60 + 12


def test_the_simulator_rolls_up_its_store_and_keeps_alarms_right(world):
    """Datapoints put two weeks in the past (the oldest PutMetricData accepts) are 5-minute sets two days later,
    while an alarm on fresh data keeps evaluating it."""
    w = world
    cw = boto3.client("cloudwatch", region_name=REGION)
    old = w.sim.now - 14 * DAY_S
    old -= old % 300
    for k in range(10):
        cw.put_metric_data(Namespace="Lab", MetricData=[{"MetricName": "Queue", "Value": float(k), "Unit": "Count",
                                                         "Timestamp": datetime.fromtimestamp(old + 60 * k, timezone.utc),
                                                         "Dimensions": [{"Name": "Queue", "Value": "orders"}]}])
    cw.put_metric_alarm(AlarmName="fresh", Namespace="Lab", MetricName="Fresh", Statistic="Maximum", Period=60,
                        EvaluationPeriods=1, Threshold=5.0, ComparisonOperator="GreaterThanThreshold")
    w.advance(2 * DAY_S)
    cw.put_metric_data(Namespace="Lab", MetricData=[{"MetricName": "Fresh", "Value": 9.0}])
    w.advance(120)
    assert cw.describe_alarms(AlarmNames=["fresh"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    got = cw.get_metric_statistics(Namespace="Lab", MetricName="Queue", Dimensions=[{"Name": "Queue", "Value": "orders"}],
                                   StartTime=datetime.fromtimestamp(old, timezone.utc),
                                   EndTime=datetime.fromtimestamp(old + 600, timezone.utc), Period=60,
                                   Statistics=["SampleCount", "Sum", "Maximum"])["Datapoints"]
    assert sorted((p["Timestamp"].timestamp() - old, p["SampleCount"], p["Sum"]) for p in got) == [
        (0, 5, 0 + 1 + 2 + 3 + 4), (300, 5, 5 + 6 + 7 + 8 + 9)]  # 1-minute resolution is gone, the data is not


def test_alarm_history_is_kept_30_days(world):
    from awslab.cloud.moto_ext.cloudwatch import history_of, record_state, sim_time

    cw = boto3.client("cloudwatch", region_name=REGION)
    cw.put_metric_alarm(AlarmName="a", Namespace="Lab", MetricName="Q", Statistic="Average", Period=60,
                        EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    alarm = next(iter(w_alarms(w=world)))
    now = sim_time()
    record_state(alarm, "ALARM", "then", "{}", now - timedelta(days=31))
    record_state(alarm, "OK", "later", "{}", now - timedelta(days=29))
    shown = cw.describe_alarm_history(AlarmName="a", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [json_reason(i) for i in shown] == ["later"]  # the 31-day-old change is no longer shown
    record_state(alarm, "ALARM", "now", "{}", now)
    kept = [i["Timestamp"] for i in history_of(alarm)]
    assert min(kept) >= now - timedelta(days=30)  # ... and no longer held


def w_alarms(w):
    from moto.cloudwatch.models import cloudwatch_backends

    return cloudwatch_backends["123456789012"][REGION].alarms.values()


def json_reason(item) -> str:
    import json

    return json.loads(item["HistoryData"])["newState"]["stateReason"]

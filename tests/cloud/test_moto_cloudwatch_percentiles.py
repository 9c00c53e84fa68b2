"""Percentile statistics (p50, p99) in GetMetricData, as CloudWatch computes them from published values.

moto 5.2.5 answered a percentile Stat with a 500 (it computed None and failed to serialise it).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import boto3
import pytest


@pytest.fixture
def cw(cloud_url):
    return boto3.client("cloudwatch", endpoint_url=cloud_url, region_name="ap-northeast-2",
                        aws_access_key_id="test", aws_secret_access_key="test")


def _query(cw, name: str, stat: str, at: datetime) -> list[float]:
    answer = cw.get_metric_data(StartTime=at - timedelta(minutes=1), EndTime=at + timedelta(minutes=2),
                                MetricDataQueries=[{"Id": "q", "MetricStat": {"Metric": {
                                    "Namespace": "Test/Percentiles", "MetricName": name,
                                    "Dimensions": [{"Name": "Case", "Value": "one"}]}, "Period": 60, "Stat": stat}}])
    return answer["MetricDataResults"][0]["Values"]


def _at() -> datetime:
    return (datetime.now(timezone.utc) - timedelta(hours=2)).replace(second=0, microsecond=0)


def test_percentiles_of_values_with_counts(cw):
    name, at = "m" + uuid.uuid4().hex[:8], _at()
    cw.put_metric_data(Namespace="Test/Percentiles", MetricData=[{
        "MetricName": name, "Dimensions": [{"Name": "Case", "Value": "one"}], "Timestamp": at + timedelta(seconds=5),
        "Values": [0.1, 0.2, 5.0], "Counts": [90, 9, 1]}])
    assert _query(cw, name, "p50", at) == [0.1]
    assert _query(cw, name, "p90", at) == [0.1]
    assert _query(cw, name, "p99", at) == [0.2]
    assert _query(cw, name, "p100", at) == [5.0]
    assert _query(cw, name, "Average", at) == [pytest.approx((9 + 1.8 + 5) / 100)]


def test_a_statistic_set_gives_a_percentile_only_when_its_values_are_known(cw):
    known, summarised, at = "k" + uuid.uuid4().hex[:8], "s" + uuid.uuid4().hex[:8], _at()
    dims = [{"Name": "Case", "Value": "one"}]
    cw.put_metric_data(Namespace="Test/Percentiles", MetricData=[
        {"MetricName": known, "Dimensions": dims, "Timestamp": at + timedelta(seconds=5),
         "StatisticValues": {"SampleCount": 4, "Sum": 2.0, "Minimum": 0.5, "Maximum": 0.5}},
        {"MetricName": summarised, "Dimensions": dims, "Timestamp": at + timedelta(seconds=5),
         "StatisticValues": {"SampleCount": 4, "Sum": 2.0, "Minimum": 0.1, "Maximum": 0.9}}])
    assert _query(cw, known, "p99", at) == [0.5]
    assert _query(cw, summarised, "p99", at) == [], "no datapoint: CloudWatch cannot rank summarised values"
    assert _query(cw, summarised, "Average", at) == [0.5], "the other statistics are unchanged"

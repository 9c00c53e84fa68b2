"""GetMetricData finds a metric whatever the order of its dimensions, as AWS does (a metric's dimensions are a set).

https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from awslab.cloud.moto_ext import cloudwatch as patch

LB = {"Name": "LoadBalancer", "Value": "app/awslab-alb/50dc6c495c0c9188"}
TG = {"Name": "TargetGroup", "Value": "targetgroup/awslab-tg/73e2d6bc24d8a067"}


@pytest.fixture
def cw(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "ap-northeast-2"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    patch.install()
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="ap-northeast-2")


def test_get_metric_data_matches_dimensions_in_any_order(cw):
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    cw.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
        {"MetricName": "RequestCount", "Dimensions": [LB, TG], "Value": 10, "Timestamp": now, "Unit": "Count"}])
    for dims in ([LB, TG], [TG, LB]):
        got = cw.get_metric_data(MetricDataQueries=[{"Id": "r", "MetricStat": {"Metric": {
            "Namespace": "AWS/ApplicationELB", "MetricName": "RequestCount", "Dimensions": dims},
            "Period": 60, "Stat": "Sum"}}], StartTime=now - timedelta(minutes=2), EndTime=now + timedelta(minutes=2))
        assert got["MetricDataResults"][0]["Values"] == [10.0], dims

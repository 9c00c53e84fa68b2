"""Labs 10 and 11's checks name the likely mistake, with AWS's rule and the fix (not just "wrong").

The checks read only AWS APIs, so moto serves them here; the load balancer and distribution they look up are
given directly (those lookups have their own tests through the labs' verify runs).
"""
from __future__ import annotations

import gzip
import json

import boto3
import pytest
from moto import mock_aws

from awslab.checks import edge, observability
from awslab.checks.registry import Unmet, run_check

REGION = "ap-northeast-2"
ALB_ZONE, ALB_DNS = "ZWKZPGTI48KDX", "awslab-alb-1.ap-northeast-2.elb.amazonaws.com"
ALB_ARN = f"arn:aws:elasticloadbalancing:{REGION}:123456789012:loadbalancer/app/awslab-alb/50dc6c495c0c9188"


class _Lab:
    name, region, backend, endpoint_url = "awslab", REGION, "embedded", None

    def client(self, service):
        return boto3.client(service, region_name=REGION)

    def tags(self, name, layer):
        return [{"Key": "Name", "Value": name}, {"Key": "awslab:lab", "Value": self.name},
                {"Key": "awslab:layer", "Value": layer}]


@pytest.fixture
def lab(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(observability, "the_alb", lambda lab: {"LoadBalancerArn": ALB_ARN,
                                                               "LoadBalancerName": "awslab-alb"})
    with mock_aws():
        yield _Lab()


def _alias(zone, dns, health):
    return {"Type": "A", "AliasTarget": {"HostedZoneId": zone, "DNSName": dns, "EvaluateTargetHealth": health}}


def _unmet(fn, *args) -> Unmet:
    with pytest.raises(Unmet) as e:
        fn(*args)
    return e.value


def test_a_cname_is_told_why_an_alias_is_better():
    cname = {"Type": "CNAME", "ResourceRecords": [{"Value": ALB_DNS}]}
    e = _unmet(edge._check_alias, "api.example.com", [cname], ALB_DNS, ALB_ZONE, True, "the load balancer")
    assert "is a CNAME" in e.message and "alias" in e.message and ALB_ZONE in e.fix


def test_an_alias_with_the_hosted_zones_own_id_is_told_to_use_the_targets_zone():
    e = _unmet(edge._check_alias, "api.example.com", [_alias("Z0MYZONE", ALB_DNS, True)], ALB_DNS, ALB_ZONE, True,
               "the load balancer")
    assert "Z0MYZONE" in e.message and ALB_ZONE in e.message and ALB_ZONE in e.fix


def test_an_alias_without_target_health_is_named():
    e = _unmet(edge._check_alias, "api.example.com", [_alias(ALB_ZONE, ALB_DNS + ".", False)], ALB_DNS, ALB_ZONE,
               True, "the load balancer")
    assert "EvaluateTargetHealth" in e.message


def test_the_right_alias_passes():
    edge._check_alias("api.example.com", [_alias(ALB_ZONE, ALB_DNS + ".", True)], ALB_DNS, ALB_ZONE, True, "x")


def _log_bucket(lab, policy=None):
    s3, (bucket, _account) = lab.client("s3"), observability.log_bucket(lab)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": lab.tags(bucket, "loadbalancing")})
    if policy is not None:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return bucket


def test_a_log_bucket_that_admits_your_own_account_names_elbs_account(lab):
    bucket, account = observability.log_bucket(lab)
    _log_bucket(lab, {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/alb/AWSLogs/{account}/*"}]})
    verdict = run_check("11.1", lab)
    assert not verdict.passed
    assert "600734575887" in verdict.message and "not your account" in verdict.message


def test_the_log_bucket_with_the_regions_policy_passes(lab):
    bucket, account = observability.log_bucket(lab)
    _log_bucket(lab, observability.delivery_policy(lab, bucket, account))
    observability._check_log_bucket(lab)  # raises Unmet if anything is missing


def _alarm(lab, **changes):
    dims = {"TargetGroup": "targetgroup/awslab-tg/73e2d6bc24d8a067", "LoadBalancer": "app/awslab-alb/50dc6c495c0c9188"}
    args = dict(AlarmName="awslab-unhealthy-hosts", Namespace="AWS/ApplicationELB", MetricName="UnHealthyHostCount",
                Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()], Statistic="Minimum", Period=60,
                EvaluationPeriods=2, DatapointsToAlarm=2, Threshold=1,
                ComparisonOperator="GreaterThanOrEqualToThreshold", Tags=lab.tags("awslab-unhealthy-hosts", "scaling"))
    args.update(changes)
    lab.client("cloudwatch").put_metric_alarm(**args)
    return dims


@pytest.mark.parametrize("changes, words", [
    ({"Statistic": "Maximum"}, ["Maximum", "every node"]),
    ({"Threshold": 2}, ["at least 1", "GreaterThanOrEqualToThreshold"]),
    ({"Period": 300}, ["300", "60 s"]),
    ({"MetricName": "HealthyHostCount"}, ["HealthyHostCount", "UnHealthyHostCount"]),
])
def test_an_alarm_that_is_not_the_lab_s_says_which_setting(lab, monkeypatch, changes, words):
    dims = _alarm(lab, **changes)
    monkeypatch.setattr(observability, "_dimensions", lambda lab: dims)
    verdict = run_check("11.3", lab)
    assert not verdict.passed and all(w in verdict.message for w in words), verdict.message


def test_the_lab_s_alarm_passes(lab, monkeypatch):
    dims = _alarm(lab)
    monkeypatch.setattr(observability, "_dimensions", lambda lab: dims)
    assert run_check("11.3", lab).passed


def test_requests_in_the_log_wait_for_a_file_that_holds_one(lab, monkeypatch):
    monkeypatch.setattr(observability, "the_alb", lambda lab: {"LoadBalancerArn": ALB_ARN, "DNSName": ALB_DNS})
    bucket, account = observability.log_bucket(lab)
    _log_bucket(lab)
    s3, where = lab.client("s3"), f"alb/AWSLogs/{account}/elasticloadbalancing/{REGION}/2026/11/30/"
    name = f"{account}_elasticloadbalancing_{REGION}_app.awslab-alb.50dc6c495c0c9188_20261130T0610Z_010.000.001.5_x.log.gz"
    s3.put_object(Bucket=bucket, Key=f"alb/AWSLogs/{account}/ELBAccessLogTestFile", Body=b"test")
    s3.put_object(Bucket=bucket, Key=where + name, Body=gzip.compress(b""))  # a node with no requests
    verdict = run_check("11.2", lab)
    assert not verdict.passed and "5-minute window" in verdict.message and ALB_DNS in verdict.fix
    line = 'http 2026-11-30T06:09:20.822405Z app/awslab-alb/50dc 127.0.0.1:1 10.0.12.4:80 0.001 0.014 0.000 200 200 1 2 "GET http://x:80/ HTTP/1.1" "curl" - - arn'
    s3.put_object(Bucket=bucket, Key=where + name.replace("_x.", "_y."), Body=gzip.compress(line.encode()))
    verdict = run_check("11.2", lab)
    assert verdict.passed and "1 request line" in verdict.message
    assert observability.window_end(where + name) == 1796019000.0  # 2026-11-30T06:10Z

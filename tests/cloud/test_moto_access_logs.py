"""Turning on an ALB's access logs checks the bucket policy and writes AWS's test file, as AWS does.

https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
"""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from awslab.cloud.moto_ext import access_logs as patch
from awslab.dataplane import logdelivery

REGION, ACCOUNT, BUCKET = "ap-northeast-2", "123456789012", "alb-logs-test"
ELB_SEOUL = "600734575887"


@pytest.fixture
def lb(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    patch.install()
    with mock_aws():
        ec2, elb, s3 = (boto3.client(n, region_name=REGION) for n in ("ec2", "elbv2", "s3"))
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")[
            "Subnet"]["SubnetId"] for i, az in ((1, "a"), (2, "c"))]
        arn = elb.create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield elb, s3, arn


def _enable(elb, arn, bucket=BUCKET, prefix="alb"):
    attrs = [{"Key": "access_logs.s3.enabled", "Value": "true"}, {"Key": "access_logs.s3.bucket", "Value": bucket},
             {"Key": "access_logs.s3.prefix", "Value": prefix}]
    return elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=attrs)


def _policy(principal, resource=f"arn:aws:s3:::{BUCKET}/alb/AWSLogs/{ACCOUNT}/*", effect="Allow"):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": effect, "Principal": principal, "Action": "s3:PutObject", "Resource": resource}]})


def _enabled(elb, arn) -> bool:
    attrs = elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    return {a["Key"]: a["Value"] for a in attrs}.get("access_logs.s3.enabled") == "true"


def test_a_bucket_without_the_policy_is_refused_with_aws_words(lb):
    elb, s3, arn = lb
    with pytest.raises(ClientError) as e:
        _enable(elb, arn)
    assert e.value.response["Error"]["Code"] == "InvalidConfigurationRequest"
    assert e.value.response["Error"]["Message"] == f"Access Denied for bucket: {BUCKET}. Please check S3bucket permission"
    assert not _enabled(elb, arn)


def test_the_wrong_principal_or_prefix_is_refused(lb):
    elb, s3, arn = lb
    for policy in (_policy({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),            # your account, not ELB's
                   _policy({"AWS": f"arn:aws:iam::{ELB_SEOUL}:root"}, f"arn:aws:s3:::{BUCKET}/logs/*"),  # other prefix
                   _policy({"Service": logdelivery.LOG_DELIVERY_SERVICE})):           # Seoul is older than August 2022
        s3.put_bucket_policy(Bucket=BUCKET, Policy=policy)
        with pytest.raises(ClientError):
            _enable(elb, arn)
    assert not _enabled(elb, arn)


def test_the_regions_elb_account_may_deliver_and_gets_the_test_file(lb):
    elb, s3, arn = lb
    s3.put_bucket_policy(Bucket=BUCKET, Policy=_policy({"AWS": f"arn:aws:iam::{ELB_SEOUL}:root"}))
    _enable(elb, arn)
    assert _enabled(elb, arn)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [f"alb/AWSLogs/{ACCOUNT}/ELBAccessLogTestFile"]


def test_enabling_without_a_bucket_is_a_validation_error(lb):
    elb, _s3, arn = lb
    with pytest.raises(ClientError) as e:
        _enable(elb, arn, bucket="")
    assert e.value.response["Error"]["Code"] == "ValidationError"


def test_turning_logs_off_needs_no_policy(lb):
    elb, _s3, arn = lb
    elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{"Key": "access_logs.s3.enabled",
                                                                           "Value": "false"}])
    assert not _enabled(elb, arn)


def test_the_policy_rules_deny_wins_and_newer_regions_use_the_service():
    lb_arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/web/1"
    allow = json.loads(_policy({"AWS": ELB_SEOUL}))
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    assert logdelivery.log_delivery_allowed(json.dumps(allow), BUCKET, "alb", ACCOUNT, REGION, lb_arn)
    allow["Statement"].append(deny)
    assert not logdelivery.log_delivery_allowed(json.dumps(allow), BUCKET, "alb", ACCOUNT, REGION, lb_arn)
    jakarta = _policy({"Service": logdelivery.LOG_DELIVERY_SERVICE})
    assert logdelivery.log_delivery_allowed(jakarta, BUCKET, "alb", ACCOUNT, "ap-southeast-3", lb_arn)
    scoped = json.loads(jakarta)
    scoped["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceAccount": "999999999999"}}
    assert not logdelivery.log_delivery_allowed(json.dumps(scoped), BUCKET, "alb", ACCOUNT, "ap-southeast-3", lb_arn)

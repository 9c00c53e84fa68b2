"""awslab.cloud.changes: reads are told apart from changes by the action's name, and the data plane
re-reads the APIs after a change instead of on a timer."""
from __future__ import annotations

import time

import boto3
import pytest

from awslab.cloud import changes

from ..conftest import control
from ..dataplane.test_dataplane_service import start_cloud, stop_cloud, wait_for


@pytest.mark.parametrize("action", ["DescribeInstances", "ListBuckets", "GetMetricData", "HeadObject", "DescribeTargetHealth"])
def test_reads_are_read_only(action):
    assert changes.is_read_only(action)


@pytest.mark.parametrize("action", ["RunInstances", "CreateSecurityGroup", "ModifyTargetGroupAttributes", "SetDesiredCapacity",
                                    "PutMetricAlarm", "AuthorizeSecurityGroupIngress", "DeleteVpc", ""])
def test_changes_are_not(action):
    assert not changes.is_read_only(action)


def test_record_counts_per_service_and_tells_listeners():
    heard = []
    changes.on_change(lambda service, action: heard.append((service, action)))
    ec2, total = changes.generation("ec2"), changes.generation()
    changes.record("ec2", "CreateVpc")
    changes.record("*", "Reset")
    assert (changes.generation("ec2"), changes.generation()) == (ec2 + 1, total + 2)
    assert heard[-2:] == [("ec2", "CreateVpc"), ("*", "Reset")]


def _reads(url: str) -> int:
    return control(url, "GET", "dataplane")["api_reads"]


def test_the_data_plane_reads_the_apis_after_a_change_not_on_a_timer(tmp_path):
    proc, url = start_cloud(tmp_path)
    try:
        ec2 = boto3.client("ec2", endpoint_url=url, region_name="ap-northeast-2",
                           aws_access_key_id="test", aws_secret_access_key="test")
        first = wait_for(lambda: _reads(url), 10)
        for _ in range(20):  # reads change nothing...
            ec2.describe_vpcs()
            ec2.describe_instances()
        time.sleep(4)  # ...and neither does time: the old reader re-read every 1-3 s
        assert _reads(url) == first
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)
        wait_for(lambda: _reads(url) > first, 5)  # a change is mirrored within a fraction of a second
        settled = _reads(url)
        time.sleep(1.5)
        assert _reads(url) <= settled + 1  # one burst of changes, one or two reads; then quiet again
    finally:
        stop_cloud(proc)

"""Any standard client works against the embedded cloud unchanged."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from tests.conftest import control, free_port

BIN = Path(sys.executable).parent
CREDS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "ap-northeast-2"}


def test_boto3_with_endpoint_url_serves_every_lab_service(cloud_url):
    calls = {"ec2": "describe_availability_zones", "elbv2": "describe_load_balancers", "autoscaling": "describe_auto_scaling_groups",
             "cloudwatch": "describe_alarms", "logs": "describe_log_groups", "s3": "list_buckets", "rds": "describe_db_instances",
             "route53": "list_hosted_zones", "cloudfront": "list_distributions", "iam": "list_roles", "sts": "get_caller_identity",
             "resourcegroupstaggingapi": "get_resources", "cloudformation": "list_stacks", "secretsmanager": "list_secrets"}
    for service, op in calls.items():
        client = boto3.client(service, endpoint_url=cloud_url, region_name="ap-northeast-2", aws_access_key_id="test", aws_secret_access_key="test")
        assert getattr(client, op)()["ResponseMetadata"]["HTTPStatusCode"] == 200, service


def test_default_region_is_seoul_and_has_its_azs(cloud_url):
    assert control(cloud_url, "GET", "health")["region"] == "ap-northeast-2"
    ec2 = boto3.client("ec2", endpoint_url=cloud_url, region_name="ap-northeast-2", aws_access_key_id="test", aws_secret_access_key="test")
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    assert {"ap-northeast-2a", "ap-northeast-2b"} <= set(zones)


def test_aws_endpoint_url_environment_variable(cloud_url):
    env = dict(os.environ, AWS_ENDPOINT_URL=cloud_url, **CREDS)
    code = "import boto3; print(boto3.client('sts').get_caller_identity()['Account'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().isdigit()


def test_aws_cli_with_endpoint_url(cloud_url):
    env = dict(os.environ, **CREDS)
    out = subprocess.run([str(BIN / "aws"), "--endpoint-url", cloud_url, "ec2", "describe-availability-zones", "--output", "json"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "ap-northeast-2a" in json.loads(out.stdout)["AvailabilityZones"][0]["ZoneName"][:16]


def test_awslocal(cloud_url):
    host = cloud_url.removeprefix("http://")
    env = dict(os.environ, LOCALSTACK_HOST=host, **CREDS)
    env.pop("AWS_ENDPOINT_URL", None)
    out = subprocess.run([str(BIN / "awslocal"), "sts", "get-caller-identity"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Account" in out.stdout


def test_localstack_client(cloud_url, monkeypatch):
    import localstack_client.session

    monkeypatch.setenv("LOCALSTACK_HOST", cloud_url.removeprefix("http://"))
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    session = localstack_client.session.Session(region_name="ap-northeast-2")
    assert session.client("ec2").describe_vpcs()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_region_can_be_changed(awslab_home):
    port = free_port()
    env = dict(os.environ, AWSLAB_HOME=awslab_home, AWSLAB_REGION="us-east-1")
    proc = subprocess.Popen([sys.executable, "-m", "awslab", "cloud", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                assert control(url, "GET", "health")["region"] == "us-east-1"
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("cloud did not start")
    finally:
        proc.terminate()
        proc.wait(10)


def test_cloud_starts_in_under_two_seconds_and_stops_clean(awslab_home):
    """The issue's promise: the cloud answers within 2 s; stopping leaves no process and no open port."""
    import socket

    from awslab.cloud import start_cloud, stop_cloud

    port = free_port()
    t0 = time.monotonic()
    status = start_cloud(port)
    elapsed = time.monotonic() - t0
    pid = status.pid
    stopped = stop_cloud(port)  # first: a slow start must not leave the cloud running
    assert status.running
    # 2 s on an idle machine (see docs/benchmarks.md); the test allows for a busy CI box.
    assert elapsed < 6, f"cloud took {elapsed:.2f} s to answer"
    assert stopped
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

"""Fuzz: malformed requests to every API the cloud serves and every control route; no 5xx, and the cloud stays healthy.

The strategies are in tests/cloud/fuzzing.py (bench/bench_robustness.py runs more of them and counts them).
The examples are derandomized, so the suite runs the same requests every time; the bench draws new ones.
The only 5xx allowed is ``501 NotImplemented`` for what moto lacks and AWS has, which the answer says.
"""
from __future__ import annotations

import json
from urllib.parse import urlparse

import boto3
import pytest
from hypothesis import HealthCheck, given, settings

from awslab.cloud.client import ControlClient
from tests.cloud.fuzzing import CONTROL_FIELDS, SERVICES, Probe, control_probe, service_probe
from tests.conftest import control

#: Examples per API: 14 APIs and the control API stay well inside a minute on a busy machine.
EXAMPLES = 25
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


def acceptable(status: int, body: bytes) -> bool:
    return status < 500 or (status == 501 and b"NotImplemented" in body)


@pytest.mark.parametrize("api", SERVICES)
def test_malformed_requests_to_each_api_get_no_5xx(scratch_cloud, api):
    port = urlparse(scratch_cloud).port

    @FUZZ
    @given(service_probe(api))
    def probe(request: Probe) -> None:
        status, content_type, body = request.send(port)
        assert acceptable(status, body), f"{status} for {request}: {body[:300]!r}"
        assert b"<!doctype html>" not in body.lower()[:100]

    probe()


def test_malformed_requests_to_every_control_route_get_no_5xx(scratch_cloud):
    port = urlparse(scratch_cloud).port
    routes = control(scratch_cloud, "GET", "health")["routes"]
    token = ControlClient(scratch_cloud).headers()  # past the guard: the fuzz is for the routes themselves

    @settings(FUZZ, max_examples=EXAMPLES * 3)
    @given(control_probe(routes, CONTROL_FIELDS))
    def probe(request: Probe) -> None:
        status, content_type, body = request.send(port, extra=token)
        assert status != 401, body
        assert status < 500, f"{status} for {request}: {body[:300]!r}"
        assert content_type == "application/json" and json.loads(body) is not None

    try:
        probe()
    finally:  # the fuzz may have set a realtime clock or a load: give the cloud back as it was
        control(scratch_cloud, "POST", "clock", {"mode": "virtual", "paused": False})
        control(scratch_cloud, "DELETE", "load")


def test_the_cloud_is_healthy_after_the_fuzz(scratch_cloud):
    assert control(scratch_cloud, "GET", "health")["status"] == "running"
    assert control(scratch_cloud, "GET", "clock")["mode"] == "virtual"
    ec2 = boto3.client("ec2", endpoint_url=scratch_cloud, region_name="ap-northeast-2", aws_access_key_id="t",
                       aws_secret_access_key="t")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    assert vpc in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]

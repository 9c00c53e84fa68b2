"""moto's own reset route (``POST /moto-api/reset``, which moto's test suite calls before every test) resets the
whole cloud, as ``POST /_awslab/reset`` does: moto's models AND the simulator's state."""
from __future__ import annotations

import json
import urllib.request

import boto3
import pytest

from tests.conftest import control, spawn_cloud, stop_spawned

REGION = "ap-northeast-2"


@pytest.fixture
def own_cloud(tmp_path):
    """A cloud of its own: resetting the session's cloud would wipe other tests' resources."""
    proc, url = spawn_cloud(str(tmp_path), AWSLAB_SIM_MODE="virtual")
    try:
        yield url
    finally:
        stop_spawned(proc)


def _client(url, service):
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test")


def _group(url) -> None:
    ec2, asg = _client(url, "ec2"), _client(url, "autoscaling")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    ec2.create_launch_template(LaunchTemplateName="web-lt", LaunchTemplateData={"ImageId": "ami-12c6146b"})
    asg.create_auto_scaling_group(AutoScalingGroupName="web-asg", MinSize=2, MaxSize=4, DesiredCapacity=2,
                                  LaunchTemplate={"LaunchTemplateName": "web-lt"}, VPCZoneIdentifier=subnet)


def _instances(url) -> list[str]:
    pages = _client(url, "ec2").get_paginator("describe_instances").paginate()
    return [i["InstanceId"] for page in pages for r in page["Reservations"] for i in r["Instances"]]


@pytest.mark.parametrize("route", ["/moto-api/reset", "/_awslab/reset"])
def test_reset_forgets_the_simulator_too(own_cloud, route):
    _group(own_cloud)
    control(own_cloud, "POST", "clock/advance", {"seconds": 60})
    assert len(_instances(own_cloud)) == 2 and control(own_cloud, "GET", "timeline")
    if route.startswith("/moto-api"):  # moto's own route: no token, as moto's test suite calls it
        with urllib.request.urlopen(urllib.request.Request(own_cloud + route, data=b"", method="POST"), timeout=30) as r:
            answer = json.loads(r.read())
    else:
        answer = control(own_cloud, "POST", "reset")
    assert answer == ({"status": "ok"} if route.startswith("/moto-api") else {"reset": True})  # as each route answers
    assert _instances(own_cloud) == [] and control(own_cloud, "GET", "timeline") == []
    control(own_cloud, "POST", "clock/advance", {"seconds": 900})
    # A simulator that still knew the group would launch its instances into the new, empty account.
    assert _instances(own_cloud) == [] and control(own_cloud, "GET", "timeline") == []
    assert _client(own_cloud, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"] == []


def test_moto_s_reset_route_still_refuses_a_get(own_cloud):
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(own_cloud + "/moto-api/reset", timeout=30)
    assert e.value.code == 400

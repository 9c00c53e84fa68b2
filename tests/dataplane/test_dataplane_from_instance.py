"""curl on an instance (POST /_awslab/dataplane/request), in a real embedded cloud: its own app, another
instance through the security groups, and the instance metadata service with the template's IMDSv2 setting."""
from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import boto3
import pytest

from ..conftest import control
from .test_dataplane_service import REGION, start_cloud, stop_cloud, wait_for

SCRIPT = "#!/bin/bash\n# the lab's user data\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    proc, url = start_cloud(tmp_path_factory.mktemp("from-instance"))
    try:
        yield url, _build(url)
    finally:
        stop_cloud(proc)


def _build(url: str) -> dict:
    ec2 = boto3.client("ec2", endpoint_url=url, region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
    vpc = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.41.11.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    alb = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    app = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": alb}]}])
    data = {"ImageId": "ami-12c6146b", "InstanceType": "t3.micro", "SecurityGroupIds": [app],
            "UserData": base64.b64encode(SCRIPT.encode()).decode()}
    lt = ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData=data)["LaunchTemplate"]["LaunchTemplateId"]
    ec2.create_launch_template_version(LaunchTemplateId=lt, SourceVersion="1",
                                       LaunchTemplateData={"MetadataOptions": {"HttpTokens": "required"}})
    ids = [ec2.run_instances(LaunchTemplate={"LaunchTemplateId": lt, "Version": v}, SubnetId=subnet, MinCount=1,
                             MaxCount=1)["Instances"][0]["InstanceId"] for v in ("1", "2")]
    ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    ips = {i["InstanceId"]: i["PrivateIpAddress"] for r in ec2.describe_instances(InstanceIds=ids)["Reservations"]
           for i in r["Instances"]}
    for iid in ids:  # the app starts some seconds of AWS time after "running"
        wait_for(lambda iid=iid: request(url, iid, "http://localhost/health").get("status") == 200, 60, 0.3)
    return {"ec2": ec2, "v1": ids[0], "v2": ids[1], "ips": ips, "app": app}


def request(url: str, instance_id: str, target: str, **body) -> dict:
    return control(url, "POST", "dataplane/request", {"instance_id": instance_id, "url": target, **body})


def test_an_instance_reaches_its_own_app_although_its_group_admits_only_the_alb(world):
    url, w = world
    got = request(url, w["v1"], "http://localhost/")
    assert got["status"] == 200 and got["body"].startswith(f"Hello from {w['v1']} in {REGION}a")


def test_another_instance_is_reached_only_if_its_security_group_says_so(world):
    url, w = world
    denied = request(url, w["v1"], f"http://{w['ips'][w['v2']]}/")
    assert denied["status"] is None and denied["error"] == "timeout"
    assert "security-group" in denied["detail"] and "app" in denied["detail"]
    w["ec2"].authorize_security_group_ingress(GroupId=w["app"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": w["app"]}]}])
    try:
        got = wait_for(lambda: (r := request(url, w["v1"], f"http://{w['ips'][w['v2']]}/"))["status"] == 200 and r, 10)
        assert got["body"].startswith(f"Hello from {w['v2']}")
    finally:
        w["ec2"].revoke_security_group_ingress(GroupId=w["app"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": w["app"]}]}])


def test_the_metadata_service_follows_each_instances_httptokens(world):
    url, w = world
    imds = "http://169.254.169.254/latest"
    v1 = request(url, w["v1"], f"{imds}/meta-data/instance-id")
    assert (v1["status"], v1["body"]) == (200, w["v1"]), "version 1 leaves tokens optional: IMDSv1 works"
    assert request(url, w["v2"], f"{imds}/meta-data/instance-id")["status"] == 401, "version 2 requires a token"
    token = request(url, w["v2"], f"{imds}/api/token", method="PUT", headers="X-aws-ec2-metadata-token-ttl-seconds: 21600")
    assert token["status"] == 200
    got = request(url, w["v2"], f"{imds}/user-data", headers=f"X-aws-ec2-metadata-token: {token['body']}")
    assert (got["status"], got["body"]) == (200, SCRIPT)


@pytest.mark.parametrize("target,status,words", [("http://example.com/", 400, "not reachable"),
                                                 ("https://localhost/", 400, "http://")])
def test_what_the_lab_cannot_reach_is_refused_with_a_reason(world, target, status, words):
    url, w = world
    with pytest.raises(urllib.error.HTTPError) as e:
        request(url, w["v1"], target)
    assert e.value.code == status and words in json.loads(e.value.read())["error"]


def test_an_unknown_instance_is_404(world):
    url, _ = world
    with pytest.raises(urllib.error.HTTPError) as e:
        request(url, "i-0123456789abcdef0", "http://localhost/")
    assert e.value.code == 404

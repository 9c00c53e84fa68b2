"""A long advance through the real embedded cloud process: the AWS APIs keep answering during it, it
runs as a job that can be read and stopped, and a realtime cloud with its data plane comes out of a
simulated day without health-check churn."""
from __future__ import annotations

import json
import threading
import time
import urllib.error

import boto3
import pytest

from tests.conftest import control, spawn_cloud, stop_spawned

REGION = "ap-northeast-2"
DAY = 86400


@pytest.fixture(scope="module")
def own_cloud(tmp_path_factory):
    """A cloud of this module's own (a long advance moves its clock days ahead of the session's cloud)."""
    proc, url = spawn_cloud(str(tmp_path_factory.mktemp("advance-home")))
    yield url
    stop_spawned(proc)


def _control(url: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """(HTTP status, JSON answer) of a control route, errors included."""
    try:
        return 200, control(url, method, path, body)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _wait_done(url: str, job: dict, timeout: float = 600) -> dict:
    """Poll GET /_awslab/clock/advance until the job is no longer running."""
    deadline = time.monotonic() + timeout
    while job["state"] == "running":
        assert time.monotonic() < deadline, f"the advance is still running: {job}"
        time.sleep(0.1)
        job = _control(url, "GET", "clock/advance")[1]["advance"]
    return job


def _client(url: str, service: str):
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test")


def _small_group(url: str, name: str, cidr: str) -> tuple[str, str]:
    """Two AZs, a target group behind an ALB, a 2-instance group with ELB health checks."""
    ec2, elbv2, asg = (_client(url, s) for s in ("ec2", "elbv2", "autoscaling"))
    vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.{i}.0/24",
                                 AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"] for i, az in enumerate("ac")]
    tg = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckPath="/health")[
        "TargetGroups"][0]["TargetGroupArn"]
    lb = elbv2.create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    ec2.create_launch_template(LaunchTemplateName=name,
                               LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
    asg.create_auto_scaling_group(AutoScalingGroupName=name, MinSize=2, MaxSize=4, DesiredCapacity=2,
                                  LaunchTemplate={"LaunchTemplateName": name}, VPCZoneIdentifier=",".join(subnets),
                                  TargetGroupARNs=[tg], HealthCheckType="ELB", HealthCheckGracePeriod=60)
    return name, tg


def test_a_long_advance_is_a_job_the_cloud_keeps_answering_during(own_cloud):
    url = own_cloud
    _control(url, "POST", "clock", {"mode": "virtual"})
    _small_group(url, "job-asg", "10.41")
    ec2 = _client(url, "ec2")
    status, started = _control(url, "POST", "clock/advance", {"seconds": 30 * DAY, "wait": False})
    assert status == 200 and started["advance"]["state"] == "running"
    answered_during = 0
    for _ in range(3):
        ec2.describe_vpcs()
        job = _control(url, "GET", "clock/advance")[1]["advance"]
        answered_during += job["state"] == "running"
    assert answered_during == 3, "DescribeVpcs answered while the advance was running"
    status, busy = _control(url, "POST", "clock/advance", {"seconds": 60})
    assert status == 409 and "another clock advance is running" in busy["error"]
    assert "DELETE /_awslab/clock/advance" in busy["error"]
    job = _wait_done(url, _control(url, "DELETE", "clock/advance")[1]["advance"])
    assert job["state"] == "stopped" and 0 < job["progress"] < 1 and job["events"] > 0
    status, done = _control(url, "POST", "clock/advance", {"seconds": 120})
    assert status == 200 and done["advance"]["state"] == "done" and done["advance"]["done_seconds"] == 120
    assert _control(url, "POST", "clock/advance", {"seconds": 60, "wait": "no"})[0] == 400


def test_a_realtime_cloud_with_its_data_plane_comes_out_of_a_simulated_day_without_churn(own_cloud):
    """The issue's failure: real HTTP health checks could not keep up with a jump, so new instances failed
    them and were replaced again and again. Here one instance is replaced during the day, as AWS would."""
    url = own_cloud
    _control(url, "POST", "clock", {"mode": "virtual"})
    name, tg = _small_group(url, "day-asg", "10.42")
    _control(url, "POST", "clock/advance", {"seconds": 600})
    # Realtime (real HTTP health checks through the data plane), paused: only the advance moves time.
    _control(url, "POST", "clock", {"mode": "realtime", "paused": True})
    asg, ec2 = _client(url, "autoscaling"), _client(url, "ec2")
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    assert {i["LifecycleState"] for i in group["Instances"]} == {"InService"}
    ec2.terminate_instances(InstanceIds=[group["Instances"][0]["InstanceId"]])  # replaced during the day
    since = _control(url, "GET", "clock")[1]["now"]
    calls, stop = [], threading.Event()

    def poll():
        while not stop.is_set():
            ec2.describe_vpcs()
            calls.append(time.monotonic())
            time.sleep(0.02)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    t0 = time.monotonic()
    job = _wait_done(url, _control(url, "POST", "clock/advance", {"seconds": DAY, "wait": False})[1]["advance"])
    t1 = time.monotonic()
    stop.set()
    poller.join()
    assert job["state"] == "done"
    assert sum(t0 < c < t1 for c in calls) >= 3, "DescribeVpcs was answered during the advance"
    timeline = _control(url, "GET", f"timeline?since={since}&component=autoscaling&limit=100000")[1]
    assert not [e for e in timeline if e["event"] == "instance_unhealthy" and e["details"].get("source") == "ELB"]
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    assert [i["LifecycleState"] for i in group["Instances"]] == ["InService", "InService"]
    launches = [a for a in asg.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]
                if a["Description"].startswith("Launching a new EC2 instance")]
    assert len(launches) == 3 and all(a["StatusCode"] == "Successful" for a in launches)
    health = _client(url, "elbv2").describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    states = sorted(h["TargetHealth"]["State"] for h in health)
    assert [s for s in states if s != "draining"] == ["healthy", "healthy"]

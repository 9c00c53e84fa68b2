"""End to end through the real embedded cloud process and plain boto3: the control API switches
the clock to virtual mode, and the standard AWS APIs show the simulator's truth."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import boto3
import pytest

from tests.conftest import control

REGION = "ap-northeast-2"


@pytest.fixture
def virtual_cloud(cloud_url):
    before = control(cloud_url, "GET", "clock")
    control(cloud_url, "POST", "clock", {"mode": "virtual"})
    try:
        yield cloud_url
    finally:
        control(cloud_url, "POST", "clock", {"mode": before["mode"], "speed": before["speed"], "paused": before["paused"]})


def _client(url, svc):
    return boto3.client(svc, endpoint_url=url, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")


def test_asg_behind_target_group_through_boto3_and_control_api(virtual_cloud):
    url, sfx = virtual_cloud, uuid.uuid4().hex[:6]
    ec2, elbv2, asg = (_client(url, s) for s in ("ec2", "elbv2", "autoscaling"))
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
               for i, az in enumerate("ac")]
    tg = elbv2.create_target_group(Name=f"e2e-{sfx}", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckPath="/health",
                                   HealthCheckIntervalSeconds=30, HealthCheckTimeoutSeconds=5, HealthyThresholdCount=2,
                                   UnhealthyThresholdCount=3)["TargetGroups"][0]["TargetGroupArn"]
    lb = elbv2.create_load_balancer(Name=f"e2e-{sfx}", Subnets=subnets)["LoadBalancers"][0]  # a used group is checked
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    ec2.create_launch_template(LaunchTemplateName=f"e2e-{sfx}", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
    name = f"e2e-{sfx}"
    asg.create_auto_scaling_group(AutoScalingGroupName=name, MinSize=2, MaxSize=4, DesiredCapacity=2,
                                  LaunchTemplate={"LaunchTemplateName": f"e2e-{sfx}"}, VPCZoneIdentifier=",".join(subnets),
                                  TargetGroupARNs=[tg], HealthCheckType="ELB", HealthCheckGracePeriod=60)
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    assert [i["LifecycleState"] for i in group["Instances"]] == ["Pending", "Pending"]
    assert sorted(i["AvailabilityZone"] for i in group["Instances"]) == [f"{REGION}a", f"{REGION}c"]
    created = control(url, "GET", "clock")["now"]

    control(url, "POST", "clock/advance", {"seconds": 120})
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    assert {i["LifecycleState"] for i in group["Instances"]} == {"InService"}
    health = elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    assert [h["TargetHealth"]["State"] for h in health] == ["healthy", "healthy"]
    ids = [i["InstanceId"] for i in group["Instances"]]
    inst = ec2.describe_instances(InstanceIds=ids)["Reservations"][0]["Instances"][0]
    assert abs(inst["LaunchTime"].timestamp() - created) < 2  # stamped by the simulated clock
    assert control(url, "GET", "clock")["now"] > datetime.now(timezone.utc).timestamp() + 100  # which ran ahead of the wall
    statuses = ec2.describe_instance_status(InstanceIds=ids)["InstanceStatuses"]
    assert {s["InstanceState"]["Name"] for s in statuses} == {"running"}

    control(url, "POST", "faults", {"instance_id": ids[0], "kind": "unhealthy"})
    assert control(url, "GET", "faults")[ids[0]]["kind"] == "unhealthy"
    control(url, "POST", "clock/advance", {"seconds": 160})
    health = {h["Target"]["Id"]: h["TargetHealth"] for h in elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]}
    assert health[ids[0]]["State"] == "draining"
    acts = asg.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]
    assert acts[1]["Description"] == f"Terminating EC2 instance: {ids[0]}"
    assert acts[1]["Cause"].endswith("an instance was taken out of service in response to an ELB system health check failure.")
    assert acts[0]["Description"].startswith("Launching a new EC2 instance: ") and acts[0]["StatusCode"] in ("PreInService", "Successful")

    timeline = control(url, "GET", f"timeline?since={created}&component=elb")
    assert any(e["event"] == "target_health_changed" and e["resource"] == ids[0] and e["details"]["state"] == "unhealthy"
               for e in timeline)
    assert all(e["iso"].endswith("Z") for e in timeline)
    control(url, "DELETE", "faults", {"instance_id": ids[0]})
    asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)


def test_clock_control_routes(virtual_cloud):
    url = virtual_cloud
    c0 = control(url, "GET", "clock")
    assert c0["mode"] == "virtual"
    c1 = control(url, "POST", "clock/advance", {"seconds": 90})
    assert c1["now"] == pytest.approx(c0["now"] + 90)
    c2 = control(url, "POST", "clock", {"speed": 50})
    assert c2["speed"] == 50.0
    assert control(url, "POST", "clock/pause")["paused"] is True
    assert control(url, "POST", "clock/resume")["paused"] is False


def test_two_labs_with_the_same_vpc_range_never_share_a_private_ip(cloud_url):
    """AWS keeps VPCs apart; on one machine each instance listens on a loopback address made
    from its private IP, so the embedded cloud gives every instance a private IP of its own."""
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=cloud_url, region_name="ap-northeast-2", aws_access_key_id="test", aws_secret_access_key="test")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ips = []
    for _ in range(3):
        vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.11.0/24", AvailabilityZone="ap-northeast-2a")["Subnet"]["SubnetId"]
        run = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=2, MaxCount=2, SubnetId=subnet)
        ips += [i["PrivateIpAddress"] for i in run["Instances"]]
    assert len(set(ips)) == len(ips) == 6
    assert all(ip.startswith("10.77.11.") for ip in ips)

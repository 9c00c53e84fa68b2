"""An Auto Scaling group's instances report the launch template version each was launched from, as AWS does.

https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Instance.html: LaunchTemplate, "the launch template for
the instance". A new default version changes what the group launches next, not what its running instances run.
"""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from awslab.cloud import moto_ext
from awslab.cloud.moto_ext import autoscaling as patch

REGION = "ap-northeast-2"


@pytest.fixture
def clients(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(moto_ext, "SIM", None)  # moto's own synchronous launches: no simulator in this test
    patch.install()
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION), boto3.client("autoscaling", region_name=REGION)


def test_running_instances_keep_the_version_they_were_launched_from(clients):
    ec2, asg = clients
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.11.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    lt = ec2.create_launch_template(LaunchTemplateName="web-lt", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})["LaunchTemplate"]["LaunchTemplateId"]
    asg.create_auto_scaling_group(AutoScalingGroupName="web", MinSize=1, MaxSize=2, DesiredCapacity=1,
                                  LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Default"}, VPCZoneIdentifier=subnet)
    ec2.create_launch_template_version(LaunchTemplateId=lt, SourceVersion="1", LaunchTemplateData={"InstanceType": "t3.small"})
    ec2.modify_launch_template(LaunchTemplateId=lt, DefaultVersion="2")
    asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=2)
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    versions = sorted(i["LaunchTemplate"]["Version"] for i in group["Instances"])
    assert versions == ["1", "2"], group["Instances"]
    assert group["LaunchTemplate"]["Version"] == "$Default"
    described = asg.describe_auto_scaling_instances()["AutoScalingInstances"]
    assert sorted(i["LaunchTemplate"]["Version"] for i in described) == ["1", "2"]


def test_scale_in_picks_the_instance_on_the_oldest_template_version(clients):
    """The default termination policy prefers the oldest launch template version in the AZ it scales in
    (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-termination-policies.html)."""
    import random

    from moto.autoscaling.models import autoscaling_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    from awslab.sim.asg_model import Member
    from awslab.sim.asg_rules import pick_victim

    test_running_instances_keep_the_version_they_were_launched_from(clients)
    group = autoscaling_backends[DEFAULT_ACCOUNT_ID][REGION].autoscaling_groups["web"]
    members = [Member(state, launch_time=0.0) for state in group.instance_states]
    ranks = {m.instance_id: m.template_rank for m in members}
    assert sorted(ranks.values()) == [(1, 1), (1, 2)]
    victim = pick_victim(members, now=1800.0, rng=random.Random(0))
    assert victim.template_rank == (1, 1)

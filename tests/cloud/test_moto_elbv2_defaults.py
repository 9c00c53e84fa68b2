"""Load balancer defaults moto 5.2.5 lacks: an ALB made without groups is in its VPC's default group, and
ModifyTargetGroup checks the health check's timeout against its interval as CreateTargetGroup does."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.cloud.test_moto_security_groups import REGION, ec2  # noqa: F401  (the ec2 fixture: moto with the patches)


def test_an_alb_made_without_groups_is_in_its_vpcs_default_group_and_one_with_groups_keeps_them(ec2):
    """An ALB created without SecurityGroups is associated with the VPC's default security group
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/elb-vpc-security-groups.html), so it can reach
    instances that are in the default group too. moto 5.2.5 left it in no group at all."""
    from awslab.cloud.moto_ext import elbv2 as elbv2_patch

    elbv2_patch.install()
    elb = boto3.client("elbv2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"][
        "SubnetId"] for i, az in ((1, "a"), (2, "c"))]
    default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                    {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    bare = elb.create_load_balancer(Name="bare", Subnets=subnets)["LoadBalancers"][0]
    assert bare["SecurityGroups"] == [default["GroupId"]]
    web = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    chosen = elb.create_load_balancer(Name="chosen", Subnets=subnets, SecurityGroups=[web])["LoadBalancers"][0]
    assert chosen["SecurityGroups"] == [web]
    described = {lb["LoadBalancerName"]: lb["SecurityGroups"] for lb in elb.describe_load_balancers()["LoadBalancers"]}
    assert described == {"bare": [default["GroupId"]], "chosen": [web]}


def test_modify_target_group_refuses_a_timeout_not_below_the_interval_and_changes_nothing(ec2):
    """AWS: "Health check interval must be greater than the timeout" (ValidationError) on ModifyTargetGroup as on
    CreateTargetGroup; moto 5.2.5 checked only the create. A valid change still goes through."""
    from awslab.cloud.moto_ext import elbv2 as elbv2_patch

    elbv2_patch.install()
    elb = boto3.client("elbv2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckIntervalSeconds=30,
                                 HealthCheckTimeoutSeconds=5)["TargetGroups"][0]["TargetGroupArn"]
    for change in ({"HealthCheckTimeoutSeconds": 30}, {"HealthCheckIntervalSeconds": 5},
                   {"HealthCheckIntervalSeconds": 10, "HealthCheckTimeoutSeconds": 12}):
        with pytest.raises(ClientError) as e:
            elb.modify_target_group(TargetGroupArn=tg, **change)
        assert e.value.response["Error"]["Code"] == "ValidationError"
        assert "must be smaller than the interval" in e.value.response["Error"]["Message"]
    now = elb.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]
    assert (now["HealthCheckIntervalSeconds"], now["HealthCheckTimeoutSeconds"]) == (30, 5)
    elb.modify_target_group(TargetGroupArn=tg, HealthCheckIntervalSeconds=10, HealthCheckTimeoutSeconds=8)
    now = elb.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]
    assert (now["HealthCheckIntervalSeconds"], now["HealthCheckTimeoutSeconds"]) == (10, 8)

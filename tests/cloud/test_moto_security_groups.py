"""A security-group rule is its protocol, ports and source: revoking it needs no description (AWS's API reference).

https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html:
"If the security group rule has a description, you do not need to specify the description to revoke the rule."
"""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from awslab.cloud.moto_ext import security_groups as patch

REGION = "ap-northeast-2"


@pytest.fixture
def ec2(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    patch.install()
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION)


def _groups(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    alb = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    app = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    other = ec2.create_security_group(GroupName="other", Description="other", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
        "UserIdGroupPairs": [{"GroupId": alb, "Description": "App traffic from the ALB only"}]}])
    return app, alb, other


def _rule(source):
    return [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": source}]}]


def test_revoke_without_the_rules_description_removes_it(ec2):
    app, alb, _ = _groups(ec2)
    ec2.revoke_security_group_ingress(GroupId=app, IpPermissions=_rule(alb))
    assert ec2.describe_security_groups(GroupIds=[app])["SecurityGroups"][0]["IpPermissions"] == []


def test_another_source_group_is_still_another_rule(ec2):
    app, _, other = _groups(ec2)
    with pytest.raises(ClientError) as e:
        ec2.revoke_security_group_ingress(GroupId=app, IpPermissions=_rule(other))
    assert e.value.response["Error"]["Code"] == "InvalidPermission.NotFound"


def test_the_same_rule_with_another_description_is_a_duplicate(ec2):
    app, alb, _ = _groups(ec2)
    again = _rule(alb)
    again[0]["UserIdGroupPairs"][0]["Description"] = "another description"
    with pytest.raises(ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=again)
    assert e.value.response["Error"]["Code"] == "InvalidPermission.Duplicate"


def test_contract_moto_compares_rules_with_the_description_without_the_patch():
    """The moto internals the patch relies on, and the answer it corrects (so the patch is still needed)."""
    from moto.ec2.models.security_groups import SecurityGroupRule

    assert {"source_group", "ip_protocol", "ip_range", "from_port", "to_port", "prefix_list_id"} <= set(
        SecurityGroupRule.__init__.__code__.co_names) | set(SecurityGroupRule.__init__.__code__.co_varnames) | {
        "source_group", "ip_range"}
    original = patch._ORIG["eq"]

    class _R:
        ip_protocol, ip_range, prefix_list_id, from_port, to_port = "tcp", {}, None, 80, 80

        def __init__(self, description):
            self.source_group = {"GroupId": "sg-1", "UserId": "1", "Description": description}

    assert original(_R("a"), _R(None)) is False  # moto alone: a description-less revoke matches nothing


def test_a_vpcs_default_group_lets_its_own_members_in_and_everything_out(ec2):
    """https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html: inbound from the group itself
    (all traffic), outbound to 0.0.0.0/0. moto 5.2.5 made the outbound rule only."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                  {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    assert [(p["IpProtocol"], [g["GroupId"] for g in p["UserIdGroupPairs"]], p["IpRanges"])
            for p in group["IpPermissions"]] == [("-1", [group["GroupId"]], [])]
    assert [(p["IpProtocol"], p["IpRanges"]) for p in group["IpPermissionsEgress"]] == [("-1", [{"CidrIp": "0.0.0.0/0"}])]
    # A group a student makes starts with no inbound rule, as in AWS.
    own = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    assert ec2.describe_security_groups(GroupIds=[own])["SecurityGroups"][0]["IpPermissions"] == []
    # The self rule is an ordinary rule: it can be revoked (AWS lets you), and then the group has none.
    ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group["GroupId"]}]}])
    assert ec2.describe_security_groups(GroupIds=[group["GroupId"]])["SecurityGroups"][0]["IpPermissions"] == []

"""The security layer: four groups, each admitting only the tier in front of it - idempotent, tagged, validated."""
import uuid

import pytest

from awslab import Lab, ValidationError
from awslab.layers.network import build_network
from awslab.layers import validate
from awslab.layers.security import DESCRIPTIONS, SecuritySpec, build_security, describe_security


@pytest.fixture(scope="module")
def network_lab(cloud_url):
    """One network for the tests that only read or validate (building a VPC takes a second or two)."""
    lab = Lab(name="s" + uuid.uuid4().hex[:8], backend="embedded", endpoint_url=cloud_url)
    return lab, build_network(lab)


def ingress(lab, group_id):
    """The group's inbound rules as a set of (port, 'cidr'|'group', source)."""
    group = lab.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    rules = set()
    for p in group["IpPermissions"]:
        assert p["IpProtocol"] == "tcp" and p["FromPort"] == p["ToPort"]
        rules |= {(p["FromPort"], "cidr", r["CidrIp"]) for r in p.get("IpRanges", [])}
        rules |= {(p["FromPort"], "group", g["GroupId"]) for g in p.get("UserIdGroupPairs", [])}
        assert not p.get("Ipv6Ranges") and not p.get("PrefixListIds")
    return rules


def test_security_groups_form_external_alb_app_db_layers(network_lab):
    lab, net = network_lab
    sg = build_security(lab, net)
    assert ingress(lab, sg.alb_sg_id) == {(80, "cidr", "0.0.0.0/0"), (443, "cidr", "0.0.0.0/0")}
    assert ingress(lab, sg.app_sg_id) == {(80, "group", sg.alb_sg_id), (22, "group", sg.bastion_sg_id)}
    assert ingress(lab, sg.db_sg_id) == {(3306, "group", sg.app_sg_id)}
    assert ingress(lab, sg.bastion_sg_id) == {(22, "cidr", "127.0.0.1/32")}
    groups = lab.client("ec2").describe_security_groups(GroupIds=[sg.alb_sg_id, sg.app_sg_id, sg.db_sg_id, sg.bastion_sg_id])
    assert {g["VpcId"] for g in groups["SecurityGroups"]} == {net.vpc_id}


def test_security_groups_are_tagged_and_described_for_the_console(network_lab):
    lab, net = network_lab
    sg = build_security(lab, net)
    by_id = {g["GroupId"]: g for g in lab.client("ec2").describe_security_groups(
        GroupIds=[sg.alb_sg_id, sg.app_sg_id, sg.db_sg_id, sg.bastion_sg_id])["SecurityGroups"]}
    for role, group_id in (("alb", sg.alb_sg_id), ("app", sg.app_sg_id), ("db", sg.db_sg_id), ("bastion", sg.bastion_sg_id)):
        group = by_id[group_id]
        tags = {t["Key"]: t["Value"] for t in group["Tags"]}
        assert tags["Name"] == group["GroupName"] == f"{lab.name}-{role}-sg"
        assert tags["awslab:lab"] == lab.name and tags["awslab:layer"] == "security"
        assert group["Description"] == DESCRIPTIONS[role] and validate.SECURITY_GROUP_DESCRIPTION.problem(group["Description"]) is None
    assert {g["GroupId"] for g in describe_security(lab)["security_groups"]} == set(by_id)


def test_security_second_run_adds_no_rule_twice(network_lab, lab):
    _, net = network_lab  # a fresh lab's groups in the shared VPC
    first = build_security(lab, net)
    before = {gid: ingress(lab, gid) for gid in (first.alb_sg_id, first.app_sg_id, first.db_sg_id, first.bastion_sg_id)}
    second = build_security(lab, net)
    assert len(first.created) == 4 + 6  # four groups, six rules
    assert second.created == []
    assert (second.alb_sg_id, second.app_sg_id, second.db_sg_id, second.bastion_sg_id) == tuple(before)
    ec2 = lab.client("ec2")
    for gid, rules in before.items():
        perms = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"]
        assert ingress(lab, gid) == rules
        assert sum(len(p.get("IpRanges", [])) + len(p.get("UserIdGroupPairs", [])) for p in perms) == len(rules)


def test_security_rerun_restores_a_revoked_rule(network_lab, lab):
    _, net = network_lab
    sg = build_security(lab, net)
    ec2 = lab.client("ec2")
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg.app_sg_id]}])["SecurityGroupRules"]
    ssh = [r["SecurityGroupRuleId"] for r in rules if not r["IsEgress"] and r["FromPort"] == 22]
    assert len(ssh) == 1
    ec2.revoke_security_group_ingress(GroupId=sg.app_sg_id, SecurityGroupRuleIds=ssh)
    assert (22, "group", sg.bastion_sg_id) not in ingress(lab, sg.app_sg_id)
    again = build_security(lab, net)
    assert len(again.created) == 1 and again.created[0].startswith("sgr-")
    assert ingress(lab, sg.app_sg_id) == {(80, "group", sg.alb_sg_id), (22, "group", sg.bastion_sg_id)}


def test_security_spec_ports_and_admin_cidr(network_lab, lab):
    _, net = network_lab
    sg = build_security(lab, net, SecuritySpec(app_port=8080, db_port=5432, admin_cidr="203.0.113.7/32"))
    assert (sg.app_port, sg.db_port, sg.admin_cidr) == (8080, 5432, "203.0.113.7/32")
    assert ingress(lab, sg.app_sg_id) == {(8080, "group", sg.alb_sg_id), (22, "group", sg.bastion_sg_id)}
    assert ingress(lab, sg.db_sg_id) == {(5432, "group", sg.app_sg_id)}
    assert ingress(lab, sg.bastion_sg_id) == {(22, "cidr", "203.0.113.7/32")}


def test_security_ssh_from_anywhere_only_when_asked(network_lab, lab):
    _, net = network_lab
    sg = build_security(lab, net, SecuritySpec(admin_cidr="0.0.0.0/0", allow_ssh_from_anywhere=True))
    assert ingress(lab, sg.bastion_sg_id) == {(22, "cidr", "0.0.0.0/0")}


def test_security_cli_log_uses_source_groups_not_cidrs(network_lab):
    lab, net = network_lab
    build_security(lab, net)
    script = lab.cli_log().script()
    for role in ("ALB", "APP", "DB", "BASTION"):
        assert f"{role}_SG_ID=$(aws ec2 create-security-group --group-name {lab.name}-{role.lower()}-sg" in script
    assert "aws ec2 authorize-security-group-ingress --group-id $ALB_SG_ID --protocol tcp --port 443 --cidr 0.0.0.0/0" in script
    assert "aws ec2 authorize-security-group-ingress --group-id $APP_SG_ID --protocol tcp --port 80 --source-group $ALB_SG_ID" in script
    assert "--group-id $APP_SG_ID --protocol tcp --port 22 --source-group $BASTION_SG_ID" in script
    assert "--group-id $DB_SG_ID --protocol tcp --port 3306 --source-group $APP_SG_ID" in script
    assert "--group-id $BASTION_SG_ID --protocol tcp --port 22 --cidr 127.0.0.1/32" in script


@pytest.mark.parametrize("field,kwargs,rule", [
    ("app_port", {"app_port": 0}, "1 to 65535"),
    ("app_port", {"app_port": 65536}, "1 to 65535"),
    ("app_port", {"app_port": "80"}, "a whole number"),
    ("db_port", {"db_port": -1}, "1 to 65535"),
    ("db_port", {"db_port": True}, "a whole number"),
    ("app_port", {"app_port": 22}, "SSH"),
    ("db_port", {"app_port": 3306}, "app's port too"),
    ("admin_cidr", {"admin_cidr": "0.0.0.0/0"}, "whole internet"),
    ("admin_cidr", {"admin_cidr": "my-laptop"}, "not a CIDR"),
    ("admin_cidr", {"admin_cidr": "203.0.113.7/24"}, "host bits"),
    ("admin_cidr", {"admin_cidr": "2001:db8::/32"}, "IPv4"),
])
def test_security_rejects_bad_input_before_creating_anything(network_lab, lab, field, kwargs, rule):
    _, net = network_lab
    with pytest.raises(ValidationError) as e:
        build_security(lab, net, SecuritySpec(**kwargs))
    assert e.value.field == field and rule in str(e.value) and "How to fix" in str(e.value)
    assert lab.client("ec2").describe_security_groups(Filters=lab.lab_filters())["SecurityGroups"] == []

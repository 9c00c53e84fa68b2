"""Expiry tags on everything a lab creates on a (mocked) real account; sweep across two regions; the reminder."""
from __future__ import annotations

import datetime as dt

import boto3
import pytest

from awslab import config
from awslab.guardrails.expiry import CREATED_TAG, EXPIRES_TAG, parse_time
from awslab.guardrails.sweep import reminder, sweep
from awslab.lab import Lab

from .conftest import vpcs


def _tags(items) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def test_every_resource_the_build_creates_carries_the_expiry(account, monkeypatch):
    monkeypatch.setenv("AWSLAB_EXPIRY_HOURS", "3")
    lab = Lab(backend="aws")
    stack = lab.build(confirm=True)
    tagged = boto3.client("resourcegroupstaggingapi", region_name=lab.region).get_resources(
        TagFilters=[{"Key": config.LAB_TAG, "Values": [lab.name]}])["ResourceTagMappingList"]
    assert len(tagged) >= 10  # what moto's tagging API lists; each service is asked below as well
    missing = [r["ResourceARN"] for r in tagged if EXPIRES_TAG not in _tags(r["Tags"])]
    assert missing == []
    ec2 = boto3.client("ec2", region_name=lab.region)
    for kind, key, items in [("instance", "Tags", [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]),
                             ("volume", "Tags", [v for v in ec2.describe_volumes()["Volumes"] if v.get("Tags")]),
                             ("natgateway", "Tags", ec2.describe_nat_gateways()["NatGateways"]),
                             ("elastic-ip", "Tags", ec2.describe_addresses()["Addresses"]),
                             ("launch-template", "Tags", ec2.describe_launch_templates()["LaunchTemplates"]),
                             ("subnet", "Tags", ec2.describe_subnets(Filters=lab.lab_filters())["Subnets"]),
                             ("route-table", "Tags", ec2.describe_route_tables(Filters=lab.lab_filters())["RouteTables"]),
                             ("internet-gateway", "Tags", ec2.describe_internet_gateways()["InternetGateways"]),
                             ("security-group", "Tags", ec2.describe_security_groups(Filters=lab.lab_filters())["SecurityGroups"]),
                             ("key-pair", "Tags", ec2.describe_key_pairs()["KeyPairs"])]:
        assert items and all(EXPIRES_TAG in _tags(i.get(key)) for i in items), kind
    # The group's instances' volumes: AWS tags them from the launch template's TagSpecifications; moto 5.2.5 leaves
    # them untagged, so the template is what is checked here.
    data = ec2.describe_launch_template_versions(LaunchTemplateId=stack.compute.launch_template_id)[
        "LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert {t["ResourceType"] for t in data["TagSpecifications"] if EXPIRES_TAG in _tags(t["Tags"])} >= {"instance", "volume"}
    group = boto3.client("autoscaling", region_name=lab.region).describe_auto_scaling_groups()["AutoScalingGroups"][0]
    db = boto3.client("rds", region_name=lab.region).describe_db_instances()["DBInstances"][0]
    elbv2 = boto3.client("elbv2", region_name=lab.region)
    arns = ([b["LoadBalancerArn"] for b in elbv2.describe_load_balancers()["LoadBalancers"]]
            + [g["TargetGroupArn"] for g in elbv2.describe_target_groups()["TargetGroups"]])
    described = elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"]
    assert len(described) >= 2 and all(EXPIRES_TAG in _tags(d["Tags"]) for d in described)
    for found in (_tags(group["Tags"]), _tags(db["TagList"])):
        created, expires = parse_time(found[CREATED_TAG]), parse_time(found[EXPIRES_TAG])
        assert expires - created == dt.timedelta(hours=3)
    assert stack.created
    again = Lab(backend="aws").build(confirm=True)  # a re-run keeps the expiry, so it creates nothing new
    assert again.created == []


def _build(name: str, region: str, hours: str, monkeypatch) -> Lab:
    monkeypatch.setenv("AWSLAB_EXPIRY_HOURS", hours)
    lab = Lab(name=name, backend="aws", region=region)
    lab.build(until="network", confirm=True)
    return lab


def test_sweep_removes_only_expired_labs_in_every_allowed_region(account, monkeypatch):
    _build("old", "ap-northeast-2", "1", monkeypatch)
    _build("old", "us-east-1", "1", monkeypatch)
    _build("fresh", "ap-northeast-2", "8", monkeypatch)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)

    dry = sweep(dry_run=True, now=later)
    assert dry.removed == [] and len(vpcs("ap-northeast-2")) == 2 and len(vpcs("us-east-1")) == 1
    assert sum("dry run" in line for line in dry.lines) == 2

    report = sweep(now=later)
    assert sorted(report.removed) == ["ap-northeast-2/old", "us-east-1/old"] and report.kept == ["ap-northeast-2/fresh"]
    assert all(t.clean for t in report.teardowns)
    assert [_tags(v["Tags"])[config.LAB_TAG] for v in vpcs("ap-northeast-2")] == ["fresh"] and vpcs("us-east-1") == []
    assert any("vpc-" in line for line in report.lines)


def test_reminder_says_what_a_running_lab_has_cost_so_far(account, monkeypatch):
    lab = _build("awslab", "ap-northeast-2", "4", monkeypatch)
    per_hour = lab._expiry.usd_per_hour
    lines = reminder(now=lab._expiry.created_at + dt.timedelta(hours=2))
    assert len(lines) == 2 and "2.0 h" in lines[0] and f"${2 * per_hour:.2f}" in lines[0]
    assert "awslab teardown --backend aws" in lines[1]


def test_reminder_is_silent_where_no_account_is_allowed(account, monkeypatch):
    monkeypatch.setenv("AWSLAB_ALLOWED_ACCOUNTS", "")
    assert reminder() == []


def test_a_fresh_lab_object_tags_with_the_confirmed_builds_expiry(account, monkeypatch):
    """A drill from a fresh kernel (the AZ outage's deny-all NACL) needs no second confirmation: the lab's
    resources carry the expiry its build confirmed, and the drill's own resources get the same."""
    built = _build("awslab", "ap-northeast-2", "4", monkeypatch)
    fresh = Lab(backend="aws")
    tags = _tags(fresh.tags("awslab-az-outage-a", "drill"))
    assert tags[EXPIRES_TAG] == _tags(built.tags("x", "network"))[EXPIRES_TAG]
    other = Lab(name="never-built", backend="aws")
    with pytest.raises(Exception) as e:
        other.tags("x", "network")
    assert "confirm_cost(confirm=True)" in str(e.value)


def test_cli_status_reminds_and_sweep_dry_run_lists(account, monkeypatch, capsys):
    from awslab.cli.parser import main

    _build("awslab", "us-east-1", "4", monkeypatch)
    assert main(["status", "--backend", "aws", "--allow-real-aws", "--region", "us-east-1"]) == 0
    out = capsys.readouterr().out
    assert "Lab 'awslab' in us-east-1 is still running on a real account" in out
    assert main(["sweep", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "runs until" in out and "kept" in out and len(vpcs("us-east-1")) == 1

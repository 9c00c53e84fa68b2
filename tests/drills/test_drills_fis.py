"""The drills as AWS FIS experiment templates: valid against botocore's own FIS model, accepted by moto's FIS, aimed at
the lab's own resources, with the role FIS needs. moto's in-process mock stands for the account."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

from awslab import config
from awslab.drills import fis, run_command
from awslab.lab import Lab

from ..guardrails.conftest import account  # noqa: F401  (the fixture: moto's mock standing for the account)


def _valid(request: dict) -> None:
    """Raise unless ``request`` is a valid CreateExperimentTemplate input (the CLI adds clientToken itself)."""
    shape = boto3.client("fis", region_name="us-east-1").meta.service_model.operation_model(
        "CreateExperimentTemplate").input_shape
    validate_parameters(dict(request, clientToken="awslab-test"), shape)


@pytest.fixture
def built(account):  # noqa: F811
    lab = Lab(backend="aws")
    stack = lab.build(until="autoscaling", confirm=True)
    return lab, stack


def test_every_template_is_valid_and_moto_creates_it(built):
    lab, stack = built
    out = fis.fis_templates(lab)
    names = [t.name for t in out.templates]
    group = stack.autoscaling
    assert names == ["instance-stop", "instance-terminate"] + [f"az-outage-{az}" for az in sorted(group.availability_zones)] \
        + ["app-unhealthy"]
    client = boto3.client("fis", region_name=lab.region)
    for t in out.templates:
        _valid(t.request)
        made = client.create_experiment_template(clientToken=t.name, **t.request)["experimentTemplate"]
        got = client.get_experiment_template(id=made["id"])["experimentTemplate"]
        assert {k: v["actionId"] for k, v in got["actions"].items()} == {k: v["actionId"] for k, v in t.request["actions"].items()}
        assert got["roleArn"] == f"arn:aws:iam::123456789012:role/{lab.name}-fis-role"
    assert len(client.list_experiment_templates()["experimentTemplates"]) == len(names)


def test_the_templates_aim_at_the_labs_own_resources(built):
    lab, stack = built
    out = {t.name: t.request for t in fis.fis_templates(lab).templates}
    target = out["instance-terminate"]["targets"]["AppServer"]
    assert target["resourceTags"] == {"aws:autoscaling:groupName": stack.autoscaling.name}
    assert target["selectionMode"] == "COUNT(1)" and out["instance-stop"]["targets"] == out["instance-terminate"]["targets"]
    ec2 = boto3.client("ec2", region_name=lab.region)
    for az in stack.autoscaling.availability_zones:
        action = out[f"az-outage-{az}"]["actions"]["DisruptAz"]
        assert action["actionId"] == "aws:network:disrupt-connectivity" and action["parameters"]["scope"] == "all"
        mine = ec2.describe_subnets(Filters=lab.lab_filters() + [{"Name": "availability-zone", "Values": [az]}])["Subnets"]
        arns = out[f"az-outage-{az}"]["targets"]["AzSubnets"]["resourceArns"]
        assert sorted(a.rsplit("/", 1)[1] for a in arns) == sorted(s["SubnetId"] for s in mine) and len(mine) >= 2
    ssm = out["app-unhealthy"]["actions"]["BreakTheApp"]
    assert ssm["actionId"] == "aws:ssm:send-command"
    assert ssm["parameters"]["documentArn"] == f"arn:aws:ssm:{lab.region}::document/AWS-RunShellScript"
    assert json.loads(ssm["parameters"]["documentParameters"]) == {"commands": run_command.fault_commands("unhealthy")}
    assert all(r["tags"][config.LAB_TAG] == lab.name for r in out.values())


def test_the_role_trusts_fis_and_has_fis_managed_policies(built):
    lab, _stack = built
    out = fis.fis_templates(lab)
    statement = out.trust_policy["Statement"][0]
    assert statement["Principal"] == {"Service": "fis.amazonaws.com"} and statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    assert out.policy_arns == [fis.FIS_POLICIES[k] for k in ("ec2", "network", "ssm")]
    iam = boto3.client("iam")
    for arn in out.policy_arns:  # AWS's managed policies, as moto's copy of AWS's list names them
        assert iam.get_policy(PolicyArn=arn)["Policy"]["Arn"] == arn
    iam.create_role(RoleName=out.role_name, AssumeRolePolicyDocument=json.dumps(out.trust_policy))


def test_a_guard_alarm_becomes_the_stop_condition_and_unhealthy_host_count_does_not(built):
    lab, stack = built
    assert all(t.request["stopConditions"] == [{"source": "none"}] for t in fis.fis_templates(lab).templates)
    cw = boto3.client("cloudwatch", region_name=lab.region)
    common = dict(Namespace="AWS/ApplicationELB", Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                  ComparisonOperator="GreaterThanOrEqualToThreshold")
    cw.put_metric_alarm(AlarmName=f"{lab.name}-unhealthy-hosts", MetricName="UnHealthyHostCount", **common)
    assert all(t.request["stopConditions"] == [{"source": "none"}] for t in fis.fis_templates(lab).templates)
    cw.put_metric_alarm(AlarmName=f"{lab.name}-alb-5xx", MetricName="HTTPCode_ELB_5XX_Count", **common)
    arn = cw.describe_alarms(AlarmNames=[f"{lab.name}-alb-5xx"])["MetricAlarms"][0]["AlarmArn"]
    for t in fis.fis_templates(lab).templates:
        assert t.request["stopConditions"] == [{"source": "aws:cloudwatch:alarm", "value": arn}]
        _valid(t.request)


def test_the_validation_catches_a_broken_template(built):
    lab, _stack = built
    request = dict(fis.fis_templates(lab).templates[0].request)
    del request["roleArn"]
    with pytest.raises(ParamValidationError, match="roleArn"):
        _valid(request)
    with pytest.raises(Exception, match="app_fault"):
        fis.fis_templates(lab, app_fault="explode")


def test_export_fis_writes_the_files_and_the_cli_does_too(built, tmp_path, capsys):
    from awslab.cli.parser import main

    lab, _stack = built
    written = lab.export_fis(tmp_path / "a")
    names = sorted(p.name for p in written)
    assert "fis-role-trust.json" in names and "fis-commands.sh" in names and "fis-instance-stop.json" in names
    for p in written:
        if p.suffix == ".json" and p.name != "fis-role-trust.json":
            _valid(json.loads(p.read_text()))
    script = (tmp_path / "a" / "fis-commands.sh").read_text()
    assert "aws fis create-experiment-template --cli-input-json file://fis-app-unhealthy.json" in script
    assert "no stop condition" in script
    assert main(["export", "--fis", str(tmp_path / "b"), "--backend", "aws", "--allow-real-aws"]) == 0
    assert "fis-commands.sh" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == names

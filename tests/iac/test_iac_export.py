"""awslab.iac: a lab exported as a CloudFormation template passes cfn-lint, names no built ID, and deploys on the
embedded cloud as a stack that builds the same lab (types, counts and key settings) under another LabName."""
from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import pytest

from awslab import Lab
from awslab.cli.parser import main
from awslab.errors import AwslabError
from awslab.layers.stack import build_stack
from awslab.layers.teardown import teardown
from moto_subset import load, moto_subset
from summary import summary

#: What moto 5.2.5's CloudFormation cannot make (it skips the type, and a reference to it fails the stack), and so
#: what the deployed copy lacks: each is AWS-valid in the template and left out of the stack the test deploys.
MOTO_LACKS = {"AWS::CloudFront::Distribution", "AWS::CloudFront::OriginAccessControl", "AWS::S3::BucketPolicy"}
#: Logical ids left out with them: the site's alias record names the distribution's domain name.
LEFT_OUT = {"SiteDistribution", "SiteOriginAccessControl", "SiteBucketPolicy", "SiteAliasRecord"}
#: IDs the builder's resources get, which a template must never name.
BUILT_ID = re.compile(r"\b(vpc|subnet|sg|igw|nat|rtb|eipalloc|lt)-[0-9a-f]{8,}|arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d{12}:"
                      r"|\b\d{12}\b")  # an ARN in the lab's account, or the account id itself


def lint(path: Path) -> list[str]:
    """cfn-lint's findings (errors, warnings and informational), from its bundled specs: nothing is downloaded."""
    from cfnlint.api import ManualArgs, lint_file

    return [str(m) for m in lint_file(path, ManualArgs(regions=["ap-northeast-2"]))]


def certificate_of(lab: Lab) -> str:
    """The lab's own ACM certificate (the edge layer's HTTPS step): what a student passes as CertificateArn."""
    acm = lab.client("acm")
    for cert in acm.list_certificates()["CertificateSummaryList"]:
        tags = acm.list_tags_for_certificate(CertificateArn=cert["CertificateArn"])["Tags"]
        if {t["Key"]: t.get("Value") for t in tags}.get("awslab:lab") == lab.name:
            return cert["CertificateArn"]
    raise AssertionError(f"lab {lab.name} has no certificate")


def deploy(lab: Lab, name: str, template: dict, certificate_arn: str | None = None) -> dict:
    cf = lab.client("cloudformation")
    params = [{"ParameterKey": "LabName", "ParameterValue": name},
              {"ParameterKey": "DBMasterPassword", "ParameterValue": "not-the-real-one-" + name}]
    if "CertificateArn" in template.get("Parameters", {}):  # an HTTPS listener presents a certificate you own
        params.append({"ParameterKey": "CertificateArn", "ParameterValue": certificate_arn})
    cf.create_stack(StackName=name, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_NAMED_IAM"],
                    Parameters=params)
    for _ in range(600):  # bounded: moto creates a stack in one request; a busy machine may take a while
        stack = cf.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            return stack
        time.sleep(0.2)
    raise AssertionError(f"stack {name} still {stack['StackStatus']}")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_exported_template_lints_and_deploys_as_the_same_lab(lab, tmp_path, cloud_url):
    build_stack(lab)
    path = lab.export().write(tmp_path / "template.yaml")
    text = path.read_text()
    assert lint(path) == []
    assert not BUILT_ID.search(text), BUILT_ID.search(text)
    template = load(text)
    assert template["Parameters"]["DBMasterPassword"]["NoEcho"] is True
    deployable, left_out = moto_subset(template, MOTO_LACKS)
    assert set(left_out) == LEFT_OUT, left_out
    copy = Lab(name="c" + uuid.uuid4().hex[:8], backend="embedded", endpoint_url=cloud_url)
    stack = deploy(copy, copy.name, deployable, certificate_of(lab))
    try:
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        want, got = summary(lab), summary(copy)
        for layer in ("network", "security", "compute", "loadbalancing", "autoscaling", "database"):
            assert got[layer] == want[layer], layer
        assert got["autoscaling"]["alarms"] and got["autoscaling"]["policies"] and got["autoscaling"]["scheduled_actions"]
        assert got["edge"]["buckets"] == want["edge"]["buckets"]
        assert got["edge"]["hosted_zones"] == [(z, [r for r in records if r[0].startswith("api.")])
                                               for z, records in want["edge"]["hosted_zones"]]
        assert (got["edge"]["distributions"], got["edge"]["origin_access_controls"]) == (0, 0)  # MOTO_LACKS
    finally:  # the copy carries awslab:lab=<its LabName>, so awslab's teardown finds it, as it finds the lab's; all
        copied, original = teardown(copy), teardown(lab)  # but the template's own secret (teardown knows RDS's only)
        for secret in [arn for arn in copied.remaining if ":secretsmanager:" in arn]:
            copy.client("secretsmanager").delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True)
    assert original.clean
    # Known: teardown cannot delete the alias record a moto stack made (Route 53 answers InvalidInput to the DELETE).
    assert [e for e in copied.errors if not e.startswith("route53 ")] == []
    assert [a for a in copied.remaining if f":secret:{copy.name}-db-master-" not in a and "hostedzone" not in a] == []


def test_a_lab_built_partway_exports_what_exists(lab, tmp_path, capsys):
    build_stack(lab, until="security")
    out = tmp_path / "partial.yaml"
    assert main(["export", "--lab", lab.name, "--endpoint-url", lab.endpoint_url, "-o", str(out)]) == 0
    template = load(out.read_text())
    types = {r["Type"] for r in template["Resources"].values()}
    assert types == {"AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment",
                     "AWS::EC2::EIP", "AWS::EC2::NatGateway", "AWS::EC2::RouteTable", "AWS::EC2::Route",
                     "AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"}
    resources = template["Resources"]
    assert {"PublicSubnetA", "PrivateSubnetB", "DbSubnetA", "AlbSecurityGroup", "PublicRouteTable"} <= set(resources)
    app_from_alb = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"
                    and r["Properties"]["GroupId"] == {"Ref": "AppSecurityGroup"} and r["Properties"]["FromPort"] == 80]
    assert app_from_alb and app_from_alb[0]["SourceSecurityGroupId"] == {"Ref": "AlbSecurityGroup"}
    assert resources["Vpc"]["Properties"]["Tags"][0]["Value"] == {"Fn::Sub": "${LabName}-vpc"}
    assert lint(out) == []
    teardown(lab)


def test_a_lab_that_built_nothing_says_so(lab):
    with pytest.raises(AwslabError, match="nothing to export"):
        lab.export()

"""The lab name: one rule that keeps every name derived from it valid for its service.

The services' rules are written out here a second time, from their AWS pages, independently of
awslab.layers.validate, so that the property "the lab rule accepts it -> every derived name passes its
service's rule" is checked against AWS's wording and not against itself.
"""
from __future__ import annotations

import ipaddress
import re
import uuid
from pathlib import Path

import boto3
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from awslab import Lab, ValidationError
from awslab.layers import validate
from awslab.layers.stack import build_stack
from awslab.layers.teardown import teardown

REGIONS = sorted({r for svc in ("ec2", "s3", "rds", "elbv2") for r in boto3.Session().get_available_regions(svc)})
ACCOUNT = "123456789012"


def _elb(name: str) -> bool:
    # API_CreateTargetGroup / API_CreateLoadBalancer: 32 alphanumerics or hyphens, none at either end;
    # a load balancer's not "internal-"; moto (modelling AWS) refuses "--" in a target group's.
    return len(name) <= 32 and re.fullmatch(r"[A-Za-z0-9-]+", name) is not None and name[0] != "-" and name[-1] != "-"


def _s3(name: str) -> bool:
    # bucketnamingrules.html
    try:
        ipaddress.ip_address(name)
        return False
    except ValueError:
        pass
    return (3 <= len(name) <= 63 and re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name) is not None and ".." not in name
            and not name.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
            and not name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")))


#: suffix -> the service's own rule, as its AWS page states it.
SG_NAME = lambda n: (len(n) <= 255 and re.fullmatch(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+", n) is not None  # noqa: E731
                     and not n.startswith("sg-"))
SERVICE_RULES = {
    "-tg": lambda n: _elb(n) and "--" not in n,
    "-alb": lambda n: _elb(n) and not n.lower().startswith("internal-"),
    "-db": lambda n: re.fullmatch(r"(?!.*--)[a-zA-Z][a-zA-Z0-9-]{0,62}", n) is not None and n[-1] != "-",
    "-db-subnets": lambda n: len(n) <= 255 and re.fullmatch(r"[A-Za-z0-9._ -]+", n) is not None and n.lower() != "default",
    "-app-role": lambda n: re.fullmatch(r"[\w+=,.@-]{1,64}", n, re.ASCII) is not None,
    "-app-profile": lambda n: re.fullmatch(r"[\w+=,.@-]{1,128}", n, re.ASCII) is not None,
    "-key": lambda n: 1 <= len(n) <= 255 and n.isascii(),
    "-app-lt": lambda n: re.fullmatch(r"[a-zA-Z0-9().\-/_]{3,128}", n) is not None,
    "-alb-sg": SG_NAME, "-app-sg": SG_NAME, "-db-sg": SG_NAME, "-bastion-sg": SG_NAME,
    "-site-{account}-{region}": _s3,
    "-site-oac": lambda n: 1 <= len(n) <= 64,
}


def service_rule(suffix: str):
    """The service's rule for a derived name; policies, alarms and scheduled actions: 1-255 characters.
    The course's sandbox lab (<lab>-sbx) names its resources as a lab does; its borrowed ALB is <lab>-lab<NN>-alb."""
    suffix = suffix.removeprefix("-sbx")
    if suffix == "-lab00-alb":
        suffix = "-alb"
    return SERVICE_RULES.get(suffix, lambda n: 1 <= len(n) <= 255 and n.isprintable())


def lab_names() -> st.SearchStrategy[str]:
    """Names the lab rule accepts, from one letter to the longest (boundaries included)."""
    rule = validate.lab_name_rule()
    return st.from_regex(r"[a-z](?:-?[a-z0-9]){0,40}", fullmatch=True).filter(lambda n: rule.problem(n) is None and
                                                                             not (n + "-").startswith(rule.forbidden_prefixes))


@settings(max_examples=400, deadline=None)
@given(name=lab_names(), region=st.sampled_from(REGIONS))
@example(name="a", region="ap-northeast-2")
@example(name="a" * validate.lab_name_rule().max_len, region="ap-northeast-2")
@example(name="internalx", region="us-east-1")
@example(name="sgx-1", region="eu-west-1")
@example(name="amzn-s3-demox", region="ap-southeast-5")
def test_every_name_the_lab_rule_accepts_gives_names_every_service_accepts(name, region):
    assert validate.lab_name(name, region) == name
    for suffix, _ in validate.LAB_DERIVED_NAMES:
        derived = name + suffix.format(account=ACCOUNT, region=region)
        assert service_rule(suffix)(derived), (suffix, derived)
    for derived, rule in validate.derived_names(name, region, ACCOUNT):
        assert rule.problem(derived) is None, (derived, rule.problem(derived))


@pytest.mark.parametrize("name", ["läb", "日本", "a-", "--x", "0", "a--b", "Team", "web\n", "", "internal", "internal-app",
                                  "sg", "sg-1", "sthree", "amzn-s3-demo", "x" * 29, "my lab", "lab_1"])
def test_the_names_that_broke_a_later_layer_are_refused_with_a_valid_suggestion(name):
    with pytest.raises(ValidationError) as e:
        Lab(name=name, start_cloud=False)
    assert e.value.field == "name" and e.value.value == name and "How to fix" in str(e.value)
    suggestion = re.search(r"such as '([^']*)'", e.value.fix).group(1)
    assert Lab(name=suggestion, start_cloud=False).name == suggestion


@settings(max_examples=300, deadline=None)
@given(name=st.one_of(st.text(max_size=40), st.none(), st.integers(), st.binary(max_size=8)))
def test_anything_the_rule_refuses_makes_no_lab_and_no_folder(awslab_home, name):
    home = Path(awslab_home)
    before = set(home.glob("labs/*")) if home.exists() else set()
    try:
        lab = Lab(name=name, start_cloud=False)
    except ValidationError as e:
        assert e.field == "name"
        assert (set(home.glob("labs/*")) if home.exists() else set()) == before
        return
    # accepted: then it is a name every derived name is valid for
    assert isinstance(name, str) and all(rule.problem(n) is None for n, rule in validate.derived_names(lab.name, lab.region))


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60))
def test_the_suggested_name_is_always_a_valid_lab_name(text):
    suggestion = validate.suggest_lab_name(text)
    assert validate.lab_name(suggestion) == suggestion


def _service_names(lab) -> set[str]:
    """The names the build gave to resources whose service has a naming rule (not Name tags)."""
    ec2, elb, asg, cw = lab.client("ec2"), lab.client("elbv2"), lab.client("autoscaling"), lab.client("cloudwatch")
    f = lab.lab_filters()
    names = {g["GroupName"] for g in ec2.describe_security_groups(Filters=f)["SecurityGroups"]}
    names |= {k["KeyName"] for k in ec2.describe_key_pairs(Filters=f)["KeyPairs"]}
    names |= {t["LaunchTemplateName"] for t in ec2.describe_launch_templates(Filters=f)["LaunchTemplates"]}
    names |= {x["TargetGroupName"] for x in elb.describe_target_groups()["TargetGroups"] if x["TargetGroupName"].startswith(lab.name)}
    names |= {x["LoadBalancerName"] for x in elb.describe_load_balancers()["LoadBalancers"] if x["LoadBalancerName"].startswith(lab.name)}
    groups = [g for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"] if g["AutoScalingGroupName"].startswith(lab.name)]
    for g in groups:
        names.add(g["AutoScalingGroupName"])
        names |= {p["PolicyName"] for p in asg.describe_policies(AutoScalingGroupName=g["AutoScalingGroupName"])["ScalingPolicies"]}
        names |= {a["ScheduledActionName"] for a in asg.describe_scheduled_actions(
            AutoScalingGroupName=g["AutoScalingGroupName"])["ScheduledUpdateGroupActions"]}
    names |= {a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix=lab.name)["MetricAlarms"]}
    rds = lab.client("rds")
    names |= {d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"] if d["DBInstanceIdentifier"].startswith(lab.name)}
    names |= {g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"] if g["DBSubnetGroupName"].startswith(lab.name)}
    iam = lab.client("iam")
    names |= {r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(lab.name)}
    names |= {p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"] if p["InstanceProfileName"].startswith(lab.name)}
    names |= {b["Name"] for b in lab.client("s3").list_buckets()["Buckets"] if b["Name"].startswith(lab.name)}
    oacs = lab.client("cloudfront").list_origin_access_controls()["OriginAccessControlList"].get("Items", [])
    return names | {o["Name"] for o in oacs if o["Name"].startswith(lab.name)}


@pytest.mark.slow
@pytest.mark.parametrize("prefix", ["x", "internalx-"])
def test_the_longest_lab_name_builds_every_layer_and_the_table_lists_every_derived_name(cloud_url, prefix):
    """A name as long as the rule allows (22 characters) builds the whole stack, and every name the build gives
    a resource is one of validate.LAB_DERIVED_NAMES, so the lab rule was computed from all of them."""
    name = (prefix + uuid.uuid4().hex)[: validate.lab_name_rule().max_len]
    lab = Lab(name=name, endpoint_url=cloud_url)
    try:
        build_stack(lab)
        account = lab.client("sts").get_caller_identity()["Account"]
        table = {n for n, _ in validate.derived_names(lab.name, lab.region, account)}
        names = _service_names(lab)
        assert names - table == set() and len(names) >= 20
    finally:
        assert teardown(lab).clean

"""The Auto Scaling layer: a group over the private subnets of two AZs, behind the target group, ELB health checks."""
import subprocess
import uuid
from dataclasses import replace
from types import SimpleNamespace

import pytest

from awslab import Lab, ValidationError
from awslab.layers.autoscaling import AutoScalingSpec, build_auto_scaling_group, describe_autoscaling
from awslab.layers.compute import build_launch_template
from awslab.layers.keys import create_key_pair
from awslab.layers.loadbalancing import build_load_balancer
from awslab.layers.network import build_network
from awslab.layers.security import build_security


@pytest.fixture(scope="module")
def base(cloud_url):
    """One lab's network, launch template and load balancer, shared: each test makes its own group."""
    lab = Lab(name="t" + uuid.uuid4().hex[:8], backend="embedded", endpoint_url=cloud_url)
    net = build_network(lab)
    sec = build_security(lab, net)
    lt = build_launch_template(lab, sec, create_key_pair(lab))
    return SimpleNamespace(lab=lab, network=net, launch_template=lt, load_balancer=build_load_balancer(lab, net, sec))


def _spec(**kwargs):
    return AutoScalingSpec(name="asg-" + uuid.uuid4().hex[:8], **kwargs)


def _group(lab, name):
    return lab.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]


def test_group_spans_the_private_subnets_behind_the_target_group(base):
    lab = base.lab
    spec = _spec()
    asg = build_auto_scaling_group(lab, base.network, base.launch_template, base.load_balancer, spec)
    g = _group(lab, spec.name)
    assert (g["MinSize"], g["DesiredCapacity"], g["MaxSize"]) == (2, 2, 6) == (asg.min_size, asg.desired_capacity, asg.max_size)
    assert set(g["VPCZoneIdentifier"].split(",")) == set(base.network.subnet_ids("private"))
    assert sorted(g["AvailabilityZones"]) == sorted(base.network.availability_zones) == asg.availability_zones
    assert g["LaunchTemplate"]["LaunchTemplateId"] == base.launch_template.launch_template_id and g["LaunchTemplate"]["Version"] == "$Default"
    assert g["TargetGroupARNs"] == [base.load_balancer.target_group_arn]
    assert (g["HealthCheckType"], g["HealthCheckGracePeriod"]) == ("ELB", 300)
    assert g.get("DefaultInstanceWarmup", 120) == 120
    tags = {t["Key"]: t for t in g["Tags"]}
    assert tags["awslab:lab"]["Value"] == lab.name and tags["awslab:lab"]["PropagateAtLaunch"] is True
    assert asg.arn == g["AutoScalingGroupARN"] and asg.created == [g["AutoScalingGroupARN"]]


def test_second_run_creates_nothing_and_a_size_change_updates_in_place(base):
    lab = base.lab
    spec = _spec(min_size=0, desired_capacity=0)  # no instances needed here: keep the simulated cloud light
    first = build_auto_scaling_group(lab, base.network, base.launch_template, base.load_balancer, spec)
    second = build_auto_scaling_group(lab, base.network, base.launch_template, base.load_balancer, spec)
    assert second.created == [] and second.arn == first.arn
    bigger = replace(spec, max_size=8, desired_capacity=1)
    third = build_auto_scaling_group(lab, base.network, base.launch_template, base.load_balancer, bigger)
    g = _group(lab, spec.name)
    assert third.created == [] and (g["MinSize"], g["DesiredCapacity"], g["MaxSize"]) == (0, 1, 8) and third.max_size == 8


def test_cli_log_uses_the_earlier_layers_variables(base):
    lab = base.lab
    build_auto_scaling_group(lab, base.network, base.launch_template, base.load_balancer, _spec(min_size=0, desired_capacity=0))
    script = lab.cli_log().script()
    assert '--launch-template "LaunchTemplateId=$LT_ID,Version=\\$Default"' in script
    assert '--vpc-zone-identifier "$PRIVATE_SUBNET_1,$PRIVATE_SUBNET_2" --target-group-arns $TG_ARN' in script
    assert "--health-check-type ELB --health-check-grace-period 300" in script and "--min-size 0 --desired-capacity 0" in script
    subprocess.run(["bash", "-n"], input=script.encode(), check=True)


@pytest.mark.parametrize("field,kwargs,rule", [
    ("desired_capacity", {"min_size": 3, "desired_capacity": 2}, "min_size <= desired_capacity <= max_size"),
    ("desired_capacity", {"desired_capacity": 7}, "min_size <= desired_capacity <= max_size"),
    ("min_size", {"min_size": -1}, "0 or more"),
    ("health_check_type", {"health_check_type": "HTTP"}, "'EC2' or 'ELB'"),
    ("health_check_grace_period", {"health_check_grace_period": -5}, "0 to 7200"),
    ("default_instance_warmup", {"default_instance_warmup": 3601}, "-1 to 3600"),
    ("launch_template_version", {"launch_template_version": "latest"}, "$Default"),
    ("name", {"name": "-asg"}, "starting with a letter or digit"),
])
def test_group_rejects_bad_input_before_creating_anything(cloud_url, base, field, kwargs, rule):
    lab = Lab(name="t" + uuid.uuid4().hex[:8], backend="embedded", endpoint_url=cloud_url)
    spec = AutoScalingSpec(**kwargs)
    with pytest.raises(ValidationError) as e:
        build_auto_scaling_group(lab, base.network, base.launch_template, base.load_balancer, spec)
    assert e.value.field == field and rule in str(e.value) and "How to fix" in str(e.value)
    assert _none(lab, spec.name or f"{lab.name}-asg")


def _none(lab, name):
    return lab.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"] == []


def test_group_needs_private_subnets_in_two_azs(cloud_url, base):
    lab = Lab(name="t" + uuid.uuid4().hex[:8], backend="embedded", endpoint_url=cloud_url)
    one_az = replace(base.network, private_subnets=base.network.private_subnets[:1])
    with pytest.raises(ValidationError) as e:
        build_auto_scaling_group(lab, one_az, base.launch_template, base.load_balancer)
    assert e.value.field == "private_subnets" and _none(lab, f"{lab.name}-asg")


def test_describe_autoscaling_finds_only_this_labs_groups(base):
    spec = _spec(min_size=0, desired_capacity=0)
    build_auto_scaling_group(base.lab, base.network, base.launch_template, base.load_balancer, spec)
    names = [g["AutoScalingGroupName"] for g in describe_autoscaling(base.lab)["auto_scaling_groups"]]
    assert spec.name in names and all(n.startswith("asg-") for n in names)

"""The load-balancing layer: target group + health check, internet-facing ALB, HTTP:80 listener."""
import uuid
from dataclasses import replace
from types import SimpleNamespace

import pytest

from awslab import ValidationError
from awslab.layers.loadbalancing import LoadBalancerSpec, build_load_balancer, describe_loadbalancing
from awslab.layers.network import build_network
from awslab.layers.security import build_security


@pytest.fixture(scope="module")
def base(cloud_url):
    """One lab's network and groups, shared; each test names its own target group and ALB."""
    from awslab import Lab

    lab = Lab(name="t" + uuid.uuid4().hex[:8], backend="embedded", endpoint_url=cloud_url)
    net = build_network(lab)
    return SimpleNamespace(lab=lab, network=net, security=build_security(lab, net))


def _spec(**kwargs):
    suffix = uuid.uuid4().hex[:8]
    return LoadBalancerSpec(target_group_name=f"tg-{suffix}", load_balancer_name=f"alb-{suffix}", **kwargs)


@pytest.fixture(scope="module")
def shared(cloud_url):
    """One lab for the validation tests, which must create nothing."""
    from awslab import Lab

    lab = Lab(name="t" + uuid.uuid4().hex[:8], backend="embedded", endpoint_url=cloud_url)
    net = build_network(lab)
    return SimpleNamespace(lab=lab, network=net, security=build_security(lab, net))


def _tags(elb, arn):
    return {t["Key"]: t["Value"] for t in elb.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]}


def test_load_balancer_forwards_http_to_a_health_checked_target_group(base):
    lab, spec = base.lab, _spec()
    lb = build_load_balancer(lab, base.network, base.security, spec)
    elb = lab.client("elbv2")
    tg = elb.describe_target_groups(TargetGroupArns=[lb.target_group_arn])["TargetGroups"][0]
    assert (tg["Protocol"], tg["Port"], tg["VpcId"], tg["TargetType"]) == ("HTTP", 80, base.network.vpc_id, "instance")
    assert (tg["HealthCheckPath"], tg["HealthCheckIntervalSeconds"], tg["HealthCheckTimeoutSeconds"],
            tg["HealthyThresholdCount"], tg["UnhealthyThresholdCount"], tg["Matcher"]["HttpCode"]) == ("/health", 30, 5, 2, 3, "200")
    attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=lb.target_group_arn)["Attributes"]}
    assert attrs["deregistration_delay.timeout_seconds"] == "300"
    alb = elb.describe_load_balancers(LoadBalancerArns=[lb.load_balancer_arn])["LoadBalancers"][0]
    assert (alb["Scheme"], alb["Type"], alb["SecurityGroups"]) == ("internet-facing", "application", [base.security.alb_sg_id])
    assert {z["SubnetId"] for z in alb["AvailabilityZones"]} == set(base.network.subnet_ids("public"))
    assert lb.availability_zones == sorted(base.network.availability_zones) and lb.dns_name == alb["DNSName"]
    listener = elb.describe_listeners(ListenerArns=[lb.listener_arn])["Listeners"][0]
    assert (listener["Protocol"], listener["Port"]) == ("HTTP", 80)
    assert listener["DefaultActions"][0]["Type"] == "forward" and listener["DefaultActions"][0]["TargetGroupArn"] == lb.target_group_arn
    for arn in (lb.target_group_arn, lb.load_balancer_arn):
        assert _tags(elb, arn)["awslab:lab"] == lab.name and _tags(elb, arn)["awslab:layer"] == "loadbalancing"


def test_second_run_creates_nothing(base):
    lab, spec = base.lab, _spec()
    first = build_load_balancer(lab, base.network, base.security, spec)
    second = build_load_balancer(lab, base.network, base.security, spec)
    assert len(first.created) == 3 and second.created == []
    assert (second.target_group_arn, second.load_balancer_arn, second.listener_arn) == \
        (first.target_group_arn, first.load_balancer_arn, first.listener_arn)


def test_changed_health_check_and_draining_are_applied_in_place(base):
    lab, spec = base.lab, _spec()
    first = build_load_balancer(lab, base.network, base.security, spec)
    changed = replace(spec, health_check_interval_seconds=10, healthy_threshold_count=3, deregistration_delay_seconds=30)
    second = build_load_balancer(lab, base.network, base.security, changed)
    elb = lab.client("elbv2")
    tg = elb.describe_target_groups(TargetGroupArns=[first.target_group_arn])["TargetGroups"][0]
    assert second.created == [] and (tg["HealthCheckIntervalSeconds"], tg["HealthyThresholdCount"]) == (10, 3)
    attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=first.target_group_arn)["Attributes"]}
    assert attrs["deregistration_delay.timeout_seconds"] == "30"


def test_cli_log_creates_tg_alb_and_listener_with_variables(base):
    lab, spec = base.lab, _spec()
    build_load_balancer(lab, base.network, base.security, spec)
    script = lab.cli_log().script()
    assert "TG_ARN=$(aws elbv2 create-target-group --name" in script and "--vpc-id $VPC_ID" in script
    assert "--subnets $PUBLIC_SUBNET_1 $PUBLIC_SUBNET_2 --security-groups $ALB_SG_ID" in script
    assert "--default-actions Type=forward,TargetGroupArn=$TG_ARN" in script


@pytest.mark.parametrize("field,kwargs,rule", [
    ("target_group_name", {"target_group_name": "x" * 33}, "1 to 32"),
    ("target_group_name", {"target_group_name": "my_tg"}, "letters, digits and hyphens"),
    ("load_balancer_name", {"load_balancer_name": "-alb"}, "no hyphen at either end"),
    ("load_balancer_name", {"load_balancer_name": "internal-alb"}, "internal-"),
    ("health_check_interval_seconds", {"health_check_interval_seconds": 4}, "5 to 300"),
    ("health_check_timeout_seconds", {"health_check_timeout_seconds": 1}, "2 to 120"),
    ("health_check_timeout_seconds", {"health_check_interval_seconds": 5, "health_check_timeout_seconds": 5}, "shorter than the interval"),
    ("healthy_threshold_count", {"healthy_threshold_count": 11}, "2 to 10"),
    ("unhealthy_threshold_count", {"unhealthy_threshold_count": 1}, "2 to 10"),
    ("deregistration_delay_seconds", {"deregistration_delay_seconds": 3601}, "0 to 3600"),
    ("health_check_path", {"health_check_path": "health"}, "starts with '/'"),
    ("matcher", {"matcher": "600"}, "200-499"),
    ("matcher", {"matcher": "ok"}, "200-499"),
    ("app_port", {"app_port": 8080}, "admits port 80 only"),
    ("listener_port", {"listener_port": 0}, "1 to 65535"),
])
def test_load_balancer_rejects_bad_input_before_creating_anything(shared, field, kwargs, rule):
    with pytest.raises(ValidationError) as e:
        build_load_balancer(shared.lab, shared.network, shared.security, LoadBalancerSpec(**kwargs))
    assert e.value.field == field and rule in str(e.value) and "How to fix" in str(e.value)
    assert all(v == [] for v in describe_loadbalancing(shared.lab).values())


def test_load_balancer_needs_public_subnets_in_two_azs(shared):
    one_az = replace(shared.network, public_subnets=shared.network.public_subnets[:1])
    with pytest.raises(ValidationError) as e:
        build_load_balancer(shared.lab, one_az, shared.security)
    assert e.value.field == "public_subnets" and "two Availability Zones" in str(e.value)
    assert describe_loadbalancing(shared.lab)["load_balancers"] == []

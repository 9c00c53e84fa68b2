"""The fields a student sets, the values drawn for each, and the cloud call that must accept a value the rules accept.

Each probe creates the resource the value is meant for on the embedded cloud, then deletes it. A probe that the
cloud refuses raises botocore's ClientError, which fails the property test with AWS's own error.
"""
from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import strategies as st

from awslab.layers import validate
from awslab.layers.autoscaling import AutoScalingSpec
from awslab.layers.bastion import BastionSpec
from awslab.layers.compute import LaunchTemplateSpec
from awslab.layers.database import DatabaseSpec
from awslab.layers.edge import EdgeSpec, distribution_config
from awslab.layers.keys import KeyPairSpec
from awslab.layers.loadbalancing import LoadBalancerSpec
from awslab.layers.network import NetworkSpec
from awslab.layers.scaling import Schedule, ScalingSpec, Step
from awslab.layers.security import SecuritySpec
from awslab.layers.stack import StackSpec

SPEC_CLASSES = {"network": NetworkSpec, "security": SecuritySpec, "keys": KeyPairSpec, "bastion": BastionSpec,
                "database": DatabaseSpec, "compute": LaunchTemplateSpec, "loadbalancing": LoadBalancerSpec,
                "autoscaling": AutoScalingSpec, "scaling": ScalingSpec, "edge": EdgeSpec}


@dataclass
class Case:
    """One field: the values to draw, where a value goes in the stack's spec, and the API call that takes it."""

    id: str
    layer: str  # the stack is checked up to this layer
    field: str  # the field the error must name
    values: st.SearchStrategy
    probe: Callable[[Any, Any], None] | None  # None: the value goes to no AWS API (``why`` says so)
    put: Callable[[Any], dict[str, dict]] | None = None  # layer -> spec keyword arguments; default {layer: {field: v}}
    fields: tuple[str, ...] = ()  # other fields the error may name (a rule across fields or layers)
    why: str = ""

    def spec(self, value: Any) -> StackSpec:
        layers = self.put(value) if self.put else {self.layer: {self.field: value}}
        return StackSpec(**{layer: SPEC_CLASSES[layer](**kwargs) for layer, kwargs in layers.items()})


# -- values --------------------------------------------------------------------------------------------------
JUNK = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True, allow_infinity=True),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.lists(st.integers(), max_size=2))


def near_misses(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Next to a valid value: a trailing newline or space, upper case, a non-ASCII letter, hyphens at the ends, too long."""
    return valid.flatmap(lambda v: st.sampled_from([v + "\n", v + " ", v.upper(), v + "ä", "-" + v, v + "-", v + "--x", v * 9]))


def texts(pattern: str, *extra: Any) -> st.SearchStrategy:
    valid = st.from_regex(pattern, fullmatch=True)
    return st.one_of(valid, near_misses(valid), st.text(max_size=30), st.integers(), JUNK, st.sampled_from(extra or ("",)))


def whole(lo: int, hi: int) -> st.SearchStrategy:
    return st.one_of(st.integers(lo - 5, hi + 5), st.sampled_from([lo, hi, lo - 1, hi + 1]), st.integers(), JUNK,
                     st.text(max_size=5))


def numbers(lo: float, hi: float) -> st.SearchStrategy:
    return st.one_of(st.floats(lo - 10, hi + 10), st.integers(int(lo) - 10, int(hi) + 10), JUNK, st.text(max_size=5))


def cidrs(prefixes: tuple[int, int]) -> st.SearchStrategy:
    lo, hi = prefixes
    nets = st.builds(_network, st.integers(0, 2**32 - 1), st.integers(max(lo - 2, 0), min(hi + 2, 32)))
    private = st.builds(lambda a, p: _network((10 << 24) | a, p), st.integers(0, 2**24 - 1), st.integers(lo, hi))
    loose = st.builds(lambda a, p: f"{ipaddress.ip_address(a)}/{p}", st.integers(0, 2**32 - 1), st.integers(0, 40))
    return st.one_of(nets, private, loose, st.text(max_size=20), st.integers(), JUNK)


def _network(address: int, prefix: int) -> str:
    return str(ipaddress.ip_network((address, prefix), strict=False))


def _unique(prefix: str = "p") -> str:
    return prefix + uuid.uuid4().hex[:10]


def _set(settings: dict) -> dict:
    """The settings given (None means the default: the parameter is left out, as the layer leaves it out)."""
    return {k: v for k, v in settings.items() if v is not None}


# -- probes: create with the value, then delete ----------------------------------------------------------------
def vpc(rig: Any, cidr: str) -> None:
    vpc_id = rig.ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    rig.ec2.delete_vpc(VpcId=vpc_id)


def subnets(rig: Any, cidrs_: list[str], zones: list[str] | None = None) -> None:
    vpc_id = rig.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zones = zones or [None] * len(cidrs_)
    made = [rig.ec2.create_subnet(VpcId=vpc_id, CidrBlock=c, **({"AvailabilityZone": z} if z else {}))["Subnet"]["SubnetId"]
            for c, z in zip(cidrs_, zones)]
    for s in made:
        rig.ec2.delete_subnet(SubnetId=s)
    rig.ec2.delete_vpc(VpcId=vpc_id)


def ingress(rig: Any, port: int = 22, cidr: str = "0.0.0.0/0") -> None:
    group = rig.ec2.create_security_group(GroupName=_unique(), Description="probe", VpcId=rig.network.vpc_id)["GroupId"]
    rig.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}])
    rig.ec2.delete_security_group(GroupId=group)


def key_pair(rig: Any, name: str | None = None, key_type: str = "rsa") -> None:
    key = ed25519.Ed25519PrivateKey.generate() if key_type == "ed25519" else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    name = name or _unique()
    rig.ec2.import_key_pair(KeyName=name, PublicKeyMaterial=public)
    rig.ec2.delete_key_pair(KeyName=name)


def instance(rig: Any, instance_type: str = "t3.micro", image_id: str | None = None) -> None:
    found = rig.ec2.run_instances(ImageId=image_id or rig.image_id, InstanceType=instance_type, MinCount=1, MaxCount=1,
                                  SubnetId=rig.network.private_subnets[0].subnet_id)["Instances"][0]
    rig.ec2.terminate_instances(InstanceIds=[found["InstanceId"]])


def launch_template(rig: Any, name: str | None) -> None:
    name = name or _unique("lt")
    rig.ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"InstanceType": "t3.micro"})
    rig.ec2.delete_launch_template(LaunchTemplateName=name)


def db_instance(rig: Any, **settings: Any) -> None:
    rds = rig.lab.client("rds")
    ident = settings.pop("DBInstanceIdentifier", None) or _unique("db")
    args = {"Engine": "mysql", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": 20, "MasterUsername": "admin",
            "ManageMasterUserPassword": True, **_set(settings)}
    rds.create_db_instance(DBInstanceIdentifier=ident, **args)
    rds.delete_db_instance(DBInstanceIdentifier=ident, SkipFinalSnapshot=True)


def target_group(rig: Any, **settings: Any) -> None:
    elb = rig.lab.client("elbv2")
    args = {"Name": _unique(), "Protocol": "HTTP", "Port": 80, "VpcId": rig.network.vpc_id, "TargetType": "instance", **_set(settings)}
    arn = elb.create_target_group(**args)["TargetGroups"][0]["TargetGroupArn"]
    elb.delete_target_group(TargetGroupArn=arn)


def deregistration_delay(rig: Any, seconds: int) -> None:
    rig.lab.client("elbv2").modify_target_group_attributes(TargetGroupArn=rig.load_balancer.target_group_arn, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": str(seconds)}])


def load_balancer(rig: Any, name: str | None = None, listener_port: int | None = None) -> None:
    elb = rig.lab.client("elbv2")
    arn = elb.create_load_balancer(Name=name or _unique(), Subnets=rig.network.subnet_ids("public"),
                                   SecurityGroups=[rig.security.alb_sg_id])["LoadBalancers"][0]["LoadBalancerArn"]
    if listener_port is not None:
        elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=listener_port,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": rig.load_balancer.target_group_arn}])
    for listener in elb.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
        elb.delete_listener(ListenerArn=listener["ListenerArn"])
    elb.delete_load_balancer(LoadBalancerArn=arn)


def group(rig: Any, **settings: Any) -> None:
    asg = rig.lab.client("autoscaling")
    settings = _set(settings)
    name = settings.pop("AutoScalingGroupName", None) or _unique("asg")
    version = settings.pop("Version", "$Default")
    args = {"MinSize": 0, "MaxSize": 0, "DesiredCapacity": 0, **settings}
    asg.create_auto_scaling_group(AutoScalingGroupName=name, VPCZoneIdentifier=",".join(rig.network.subnet_ids("private")),
                                  LaunchTemplate={"LaunchTemplateId": rig.launch_template.launch_template_id, "Version": version},
                                  **args)
    asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)


def policy(rig: Any, **settings: Any) -> None:
    asg = rig.lab.client("autoscaling")
    name = _unique("policy")
    asg.put_scaling_policy(AutoScalingGroupName=rig.group.name, PolicyName=name, **settings)
    asg.delete_policy(AutoScalingGroupName=rig.group.name, PolicyName=name)


def target_tracking(rig: Any, metric: str = "ASGAverageCPUUtilization", value: float = 70.0, warmup: int | None = None) -> None:
    spec: dict = {"PredefinedMetricType": metric}
    if metric == "ALBRequestCountPerTarget":
        lb, tg = rig.load_balancer.load_balancer_arn, rig.load_balancer.target_group_arn
        spec["ResourceLabel"] = lb.split(":loadbalancer/", 1)[1] + "/" + tg.rsplit(":", 1)[1]
    extra = {"EstimatedInstanceWarmup": warmup} if warmup is not None else {}
    policy(rig, PolicyType="TargetTrackingScaling", TargetTrackingConfiguration={
        "PredefinedMetricSpecification": spec, "TargetValue": float(value)}, **extra)


def steps(rig: Any, steps_: list[Step], adjustment_type: str = "ChangeInCapacity") -> None:
    policy(rig, PolicyType="StepScaling", AdjustmentType=adjustment_type, StepAdjustments=[s.api() for s in steps_])


def alarm(rig: Any, threshold: float = 60.0, period: int = 60, evaluation_periods: int = 2) -> None:
    cw = rig.lab.client("cloudwatch")
    name = _unique("alarm")
    cw.put_metric_alarm(AlarmName=name, Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
                        Dimensions=[{"Name": "AutoScalingGroupName", "Value": rig.group.name}], Period=period,
                        EvaluationPeriods=evaluation_periods, Threshold=float(threshold), ComparisonOperator="GreaterThanOrEqualToThreshold")
    cw.delete_alarms(AlarmNames=[name])


def scheduled(rig: Any, s: Schedule) -> None:
    asg = rig.lab.client("autoscaling")
    name = rig.lab.resource_name(s.name)
    sizes = {k: v for k, v in (("MinSize", s.min_size), ("MaxSize", s.max_size), ("DesiredCapacity", s.desired_capacity),
                               ("TimeZone", s.time_zone)) if v is not None}
    asg.put_scheduled_update_group_action(AutoScalingGroupName=rig.group.name, ScheduledActionName=name, Recurrence=s.recurrence, **sizes)
    asg.delete_scheduled_action(AutoScalingGroupName=rig.group.name, ScheduledActionName=name)


def hosted_zone(rig: Any, domain: str, record: str | None = None) -> None:
    r53 = rig.lab.client("route53")
    zone = r53.create_hosted_zone(Name=domain, CallerReference=_unique())["HostedZone"]["Id"]
    if record:
        change = {"Name": record, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": change}]})
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": change}]})
    r53.delete_hosted_zone(Id=zone)


def bucket(rig: Any, name: str | None = None, key: str | None = None) -> None:
    s3 = rig.lab.client("s3")
    name = name or _unique("bucket")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": rig.lab.region})
    if key:
        s3.put_object(Bucket=name, Key=key, Body=b"<html></html>")
        s3.delete_object(Bucket=name, Key=key)
    s3.delete_bucket(Bucket=name)


def distribution(rig: Any, spec: EdgeSpec) -> None:
    cf = rig.lab.client("cloudfront")
    config = dict(distribution_config(rig.lab, _unique("bucket"), "oac", rig.load_balancer.dns_name, spec), CallerReference=_unique())
    made = cf.create_distribution(DistributionConfig=config)
    did, etag = made["Distribution"]["Id"], made["ETag"]
    etag = cf.update_distribution(Id=did, IfMatch=etag, DistributionConfig=dict(config, Enabled=False))["ETag"]
    cf.delete_distribution(Id=did, IfMatch=etag)


# -- the fields ------------------------------------------------------------------------------------------------
SUBNETS = ("public_subnets", "private_subnets", "db_subnets")
AZS = ("ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c", "ap-northeast-2d", "us-east-1a", "ap-northeast-2", "")


def _vpc_spec(v: Any) -> dict:
    """vpc_cidr=v, with six subnets that fit inside v when v is a /16-/25 network."""
    kwargs: dict = {"vpc_cidr": v}
    try:
        net = ipaddress.ip_network(v, strict=True) if isinstance(v, str) else None
    except ValueError:
        net = None
    if net is None:
        return {"network": kwargs}
    if 16 <= net.prefixlen <= 25:
        blocks = [str(b) for b in list(net.subnets(new_prefix=min(net.prefixlen + 3, 28)))[:6]]
        kwargs.update(public_subnets=blocks[0:2], private_subnets=blocks[2:4], db_subnets=blocks[4:6])
    return {"network": kwargs}


def _subnet_list(v: Any) -> dict:
    return {"network": {"public_subnets": v}}


def _port(v: Any) -> dict:
    return {"security": {"db_port": v}, "database": {"port": v}}


CASES = [
    Case("vpc_cidr", "network", "vpc_cidr", cidrs(validate.VPC_PREFIX_RANGE), vpc, put=_vpc_spec,
         fields=tuple(f"{t}[{i}]" for t in SUBNETS for i in range(2))),
    Case("public_subnets", "network", "public_subnets",
         st.one_of(st.lists(cidrs(validate.SUBNET_PREFIX_RANGE), max_size=3),
                   st.sampled_from([["10.0.1.0/24", "10.0.2.0/24"], ["10.0.3.0/25", "10.0.3.128/25"]]), JUNK),
         lambda rig, v: subnets(rig, v), put=_subnet_list, fields=("public_subnets[0]", "public_subnets[1]", "public_subnets[2]")),
    Case("availability_zones", "network", "availability_zones",
         st.one_of(st.lists(st.sampled_from(AZS), max_size=3), JUNK),
         lambda rig, v: subnets(rig, ["10.0.1.0/24", "10.0.2.0/24"], v), fields=("availability_zones[0]", "availability_zones[1]",
                                                                                  "availability_zones[2]", *SUBNETS)),
    Case("app_port", "security", "app_port", whole(*validate.PORT_RANGE), lambda rig, v: ingress(rig, port=v),
         put=lambda v: {"security": {"app_port": v}}, fields=("db_port",)),
    Case("db_port", "database", "db_port", whole(*validate.PORT_RANGE), lambda rig, v: db_instance(rig, Port=v), put=_port,
         fields=("port", "app_port")),
    Case("admin_cidr", "security", "admin_cidr", cidrs((0, 32)), lambda rig, v: ingress(rig, cidr=v)),
    Case("key_name", "keys", "key_name", texts(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,40}", "web\n", "..", ".hidden", "a" * 256),
         lambda rig, v: key_pair(rig, name=v)),
    Case("key_type", "keys", "key_type", st.one_of(st.sampled_from(["rsa", "ed25519", "RSA", "dsa", "ecdsa"]), JUNK),
         lambda rig, v: key_pair(rig, key_type=v)),
    Case("bastion.instance_type", "bastion", "instance_type",
         texts(r"[a-z]{1,3}[0-9][a-z]{0,2}\.(nano|micro|small|medium|large|[0-9]?xlarge)", "t3.micro", "m5.large", "t3.huge"),
         lambda rig, v: instance(rig, instance_type=v)),
    Case("bastion.image_id", "bastion", "image_id",
         texts(r"ami-([0-9a-f]{8}|[0-9a-f]{17})", "ami-06e9e3574a0459db2", "ami-xyz"), lambda rig, v: instance(rig, image_id=v)),
    Case("bastion.user", "bastion", "user", texts(r"[a-z_][a-z0-9_-]{0,20}", "ec2-user", "root\n"), None,
         why="a login name for ssh, not an AWS value"),
    Case("db_instance_identifier", "database", "db_instance_identifier", texts(r"[A-Za-z][A-Za-z0-9-]{0,70}", "a", "a" * 63),
         lambda rig, v: db_instance(rig, DBInstanceIdentifier=v)),
    Case("engine_version", "database", "engine_version", texts(r"[0-9]{1,2}(\.[0-9]{1,2}){0,3}", "8.0", "8.0.35"),
         lambda rig, v: db_instance(rig, EngineVersion=v)),
    Case("db_instance_class", "database", "db_instance_class",
         texts(r"db\.[a-z]{1,2}[0-9][a-z]?\.(micro|small|medium|large|[0-9]?xlarge)", "db.t3.micro", "t3.micro"),
         lambda rig, v: db_instance(rig, DBInstanceClass=v)),
    Case("allocated_storage", "database", "allocated_storage", whole(*validate.STORAGE_RANGE),
         lambda rig, v: db_instance(rig, AllocatedStorage=v)),
    Case("storage_type", "database", "storage_type", st.one_of(st.sampled_from(["gp2", "gp3", "io1", "GP3", "standard"]), JUNK),
         lambda rig, v: db_instance(rig, StorageType=v)),
    Case("master_username", "database", "master_username", texts(r"[A-Za-z][A-Za-z0-9_]{0,20}", "admin", "a" * 16, "1admin"),
         lambda rig, v: db_instance(rig, MasterUsername=v)),
    Case("multi_az", "database", "multi_az", st.one_of(st.booleans(), JUNK, st.integers()), lambda rig, v: db_instance(rig, MultiAZ=v)),
    Case("launch_template.name", "compute", "name", texts(r"[A-Za-z0-9().\-/_]{1,60}", "lt", "abc", "a" * 128),
         launch_template),
    Case("compute.instance_type", "compute", "instance_type", texts(r"[a-z]{1,3}[0-9][a-z]{0,2}\.(micro|large|xlarge)", "t3.small"),
         lambda rig, v: instance(rig, instance_type=v)),
    Case("db_name", "compute", "db_name", texts(r"[A-Za-z0-9_]{1,70}", "awslab", "my-db"), None,
         why="the web app creates this MySQL database; no AWS API takes it"),
    Case("target_group_name", "loadbalancing", "target_group_name", texts(r"[A-Za-z0-9-]{1,40}", "a--b", "x" * 32, "-tg"),
         lambda rig, v: target_group(rig, Name=v)),
    Case("load_balancer_name", "loadbalancing", "load_balancer_name", texts(r"[A-Za-z0-9-]{1,40}", "internal-x", "a--b", "x" * 32),
         lambda rig, v: load_balancer(rig, name=v)),
    Case("listener_port", "loadbalancing", "listener_port", whole(*validate.PORT_RANGE), lambda rig, v: load_balancer(rig, listener_port=v)),
    Case("health_check_path", "loadbalancing", "health_check_path", texts(r"/[A-Za-z0-9/._~-]{0,30}", "/health", "health", "/a b"),
         lambda rig, v: target_group(rig, HealthCheckPath=v)),
    Case("health_check_interval_and_timeout", "loadbalancing", "health_check_interval_seconds",
         st.tuples(whole(2, 300), whole(2, 120)),
         lambda rig, v: target_group(rig, HealthCheckIntervalSeconds=v[0], HealthCheckTimeoutSeconds=v[1]),
         put=lambda v: {"loadbalancing": {"health_check_interval_seconds": v[0], "health_check_timeout_seconds": v[1]}},
         fields=("health_check_timeout_seconds",)),
    Case("healthy_threshold_count", "loadbalancing", "healthy_threshold_count", whole(2, 10),
         lambda rig, v: target_group(rig, HealthyThresholdCount=v)),
    Case("unhealthy_threshold_count", "loadbalancing", "unhealthy_threshold_count", whole(2, 10),
         lambda rig, v: target_group(rig, UnhealthyThresholdCount=v)),
    Case("matcher", "loadbalancing", "matcher", texts(r"[1-6][0-9]{2}(-[1-6][0-9]{2})?(,[1-6][0-9]{2})?", "200", "200-299", "600", "ok"),
         lambda rig, v: target_group(rig, Matcher={"HttpCode": v})),
    Case("deregistration_delay_seconds", "loadbalancing", "deregistration_delay_seconds", whole(*validate.DEREGISTRATION_DELAY_RANGE),
         deregistration_delay),
    Case("autoscaling.name", "scaling", "name", texts(r"[A-Za-z0-9][A-Za-z0-9._-]{0,40}", "a" * 240, "a" * 239, "-asg"),
         lambda rig, v: group(rig, AutoScalingGroupName=v), put=lambda v: {"autoscaling": {"name": v}}),
    Case("sizes", "autoscaling", "min_size", st.tuples(whole(0, 3), whole(0, 3), whole(0, 3)),
         lambda rig, v: group(rig, MinSize=v[0], DesiredCapacity=v[1], MaxSize=v[2]),
         put=lambda v: {"autoscaling": {"min_size": v[0], "desired_capacity": v[1], "max_size": v[2]}},
         fields=("desired_capacity", "max_size")),
    Case("health_check_type", "autoscaling", "health_check_type", st.one_of(st.sampled_from(["EC2", "ELB", "elb", "HTTP"]), JUNK),
         lambda rig, v: group(rig, HealthCheckType=v)),
    Case("health_check_grace_period", "autoscaling", "health_check_grace_period", whole(*validate.GRACE_PERIOD_RANGE),
         lambda rig, v: group(rig, HealthCheckGracePeriod=v)),
    Case("default_instance_warmup", "autoscaling", "default_instance_warmup", whole(*validate.WARMUP_RANGE),
         lambda rig, v: group(rig, DefaultInstanceWarmup=v)),
    Case("default_cooldown", "autoscaling", "default_cooldown", whole(*validate.COOLDOWN_RANGE), lambda rig, v: group(rig, DefaultCooldown=v)),
    Case("launch_template_version", "autoscaling", "launch_template_version",
         texts(r"\$Default|\$Latest|[0-9]{1,3}", "$Default", "1", "7", "latest"), lambda rig, v: group(rig, Version=v)),
    Case("target_metric", "scaling", "target_metric", st.one_of(st.sampled_from(list(validate.TARGET_METRICS) + ["CPU"]), JUNK),
         lambda rig, v: target_tracking(rig, metric=v)),
    Case("target_value", "scaling", "target_value", numbers(0, 100), lambda rig, v: target_tracking(rig, value=v)),
    Case("estimated_instance_warmup", "scaling", "estimated_instance_warmup", whole(*validate.WARMUP_SECONDS_RANGE),
         lambda rig, v: target_tracking(rig, warmup=v)),
    Case("step_adjustment_type", "scaling", "step_adjustment_type",
         st.one_of(st.sampled_from(list(validate.ADJUSTMENT_TYPES) + ["Bogus"]), JUNK),
         lambda rig, v: steps(rig, [Step(0, 20, 1), Step(20, None, 2)], v)),
    Case("step_out", "scaling", "step_out",
         st.one_of(st.lists(st.builds(Step, st.one_of(st.none(), st.integers(-20, 40), st.floats(-20, 40)),
                                      st.one_of(st.none(), st.integers(-20, 60)), st.integers(-3, 3)), max_size=3), JUNK),
         lambda rig, v: steps(rig, v), fields=tuple(f"step_out[{i}].{f}" for i in range(3) for f in ("lower_bound", "upper_bound",
                                                                                               "adjustment"))),
    Case("step_out_threshold", "scaling", "step_out_threshold", numbers(0, 100), lambda rig, v: alarm(rig, threshold=v),
         fields=("step_in_threshold",)),
    Case("simple_adjustment", "scaling", "simple_adjustment", whole(-3, 3),
         lambda rig, v: policy(rig, PolicyType="SimpleScaling", AdjustmentType="ChangeInCapacity", ScalingAdjustment=v)),
    Case("simple_cooldown", "scaling", "simple_cooldown", whole(*validate.COOLDOWN_RANGE),
         lambda rig, v: policy(rig, PolicyType="SimpleScaling", AdjustmentType="ChangeInCapacity", ScalingAdjustment=1, Cooldown=v)),
    Case("alarm_period_and_evaluation_periods", "scaling", "alarm_period",
         st.tuples(st.one_of(st.sampled_from([10, 30, 60, 120, 300, 3600, 86400, 45, 0, -60]), JUNK), whole(1, 1440)),
         lambda rig, v: alarm(rig, period=v[0], evaluation_periods=v[1]),
         put=lambda v: {"scaling": {"alarm_period": v[0], "alarm_evaluation_periods": v[1]}}, fields=("alarm_evaluation_periods",)),
    Case("schedules.name", "scaling", "schedules[0].name", texts(r"[A-Za-z0-9][A-Za-z0-9._-]{0,40}", "weekday-morning", "a" * 250),
         lambda rig, v: scheduled(rig, Schedule(v, "0 0 * * 1-5", min_size=2)),
         put=lambda v: {"scaling": {"schedules": [Schedule(v, "0 0 * * 1-5", min_size=2)]}}, fields=("schedules[0]",)),
    Case("schedules.recurrence", "scaling", "schedules[0].recurrence",
         st.one_of(st.builds(" ".join, st.lists(st.sampled_from(["*", "0", "5", "1-5", "*/15", "59", "60", "mon", "jan", "1,2", "*/0", "٣"]),
                                               min_size=4, max_size=6)), st.text(max_size=15), JUNK),
         lambda rig, v: scheduled(rig, Schedule("recur", v, min_size=2)),
         put=lambda v: {"scaling": {"schedules": [Schedule("recur", v, min_size=2)]}}),
    Case("schedules.time_zone", "scaling", "schedules[0].time_zone",
         st.one_of(st.sampled_from(["Asia/Seoul", "Etc/UTC", "UTC", "Mars/Olympus", "../etc/passwd", ""]), JUNK),
         lambda rig, v: scheduled(rig, Schedule("tz", "0 0 * * *", min_size=2, time_zone=v)),
         put=lambda v: {"scaling": {"schedules": [Schedule("tz", "0 0 * * *", min_size=2, time_zone=v)]}}),
    Case("domain_name", "edge", "domain_name", texts(r"([a-z0-9]{1,10}\.){1,3}[a-z]{2,6}", "example.com", "localhost", "-a.com"),
         lambda rig, v: hosted_zone(rig, v), put=lambda v: {"edge": {"domain_name": v, "record_name": f"api.{v}",
                                                                     "site_record_name": f"www.{v}"}},
         fields=("record_name", "site_record_name")),
    Case("record_name", "edge", "record_name", texts(r"([a-z0-9-]{1,10}\.){0,2}example\.com", "api.example.com", "api.example.org"),
         lambda rig, v: hosted_zone(rig, "example.com", record=v)),
    Case("bucket_name", "edge", "bucket_name", texts(r"[a-z0-9][a-z0-9.-]{1,40}[a-z0-9]", "ab", "xn--site", "site-s3alias", "10.0.0.1"),
         lambda rig, v: bucket(rig, name=v)),
    Case("index_document", "edge", "index_document", texts(r"[A-Za-z0-9._-]{1,20}\.html?", "index.html", "pages/index.html"),
         lambda rig, v: bucket(rig, key=v)),
    Case("price_class", "edge", "price_class", st.one_of(st.sampled_from(list(validate.PRICE_CLASSES) + ["PriceClass_Cheap"]), JUNK),
         lambda rig, v: distribution(rig, EdgeSpec(price_class=v))),
]

#: One value each rule accepts and one it refuses, tried on every run besides the drawn ones.
KNOWN = {
    "vpc_cidr": ("10.1.0.0/16", "10.1.0.0/8"), "public_subnets": (["10.0.3.0/25", "10.0.3.128/25"], ["10.0.1.0/24", "10.0.1.0/24"]),
    "availability_zones": (["ap-northeast-2b", "ap-northeast-2c"], ["ap-northeast-2a", "us-east-1a"]),
    "app_port": (8080, True), "db_port": (5432, 1149), "admin_cidr": ("203.0.113.7/32", "0.0.0.0/0"),
    "key_name": ("web-key_1.x", "web\n"), "key_type": ("ed25519", "RSA"),
    "bastion.instance_type": ("t3.small", "t3.huge"), "bastion.image_id": ("ami-06e9e3574a0459db2", "ami-0123456789abcdef0"),
    "bastion.user": ("ec2-user", "root\n"), "db_instance_identifier": ("a", "a--b"), "engine_version": ("8.0.35", "8.0\n"),
    "db_instance_class": ("db.r6g.large", "t3.micro"), "allocated_storage": (100, 19), "storage_type": ("gp2", "io1"),
    "master_username": ("a" * 16, "a" * 17), "multi_az": (True, 1), "launch_template.name": ("abc", "lt"),
    "compute.instance_type": ("m5.large", "T3.micro"), "db_name": ("shop_1", "my-db"),
    "target_group_name": ("x" * 32, "a--b"), "load_balancer_name": ("a--b", "internal-x"), "listener_port": (8080, 0),
    "health_check_path": ("/health?x=1", "/a b"), "health_check_interval_and_timeout": ((6, 5), (5, 5)),
    "healthy_threshold_count": (10, 11), "unhealthy_threshold_count": (2, 1), "matcher": ("200-299,404", "600"),
    "deregistration_delay_seconds": (0, 3601), "autoscaling.name": ("a" * 239, "a" * 240), "sizes": ((0, 1, 2), (2, 1, 3)),
    "health_check_type": ("EC2", "elb"), "health_check_grace_period": (7200, -1), "default_instance_warmup": (-1, -2),
    "default_cooldown": (86400, 86401), "launch_template_version": ("1", "7"), "target_metric": ("ALBRequestCountPerTarget", "CPU"),
    "target_value": (0.5, 0), "estimated_instance_warmup": (3600, 3601), "step_adjustment_type": ("ExactCapacity", "Bogus"),
    "step_out": ([Step(0, None, 1)], [Step(0, 10, 1), Step(20, None, 2)]), "step_out_threshold": (100, 100.5),
    "simple_adjustment": (-1, 0), "simple_cooldown": (0, -1), "alarm_period_and_evaluation_periods": ((10, 8640), (10, 8641)),
    "schedules.name": ("a" * 230, "a" * 250), "schedules.recurrence": ("*/15 9-17 * jan-mar mon-fri", "0 0 * *"),
    "schedules.time_zone": ("Asia/Seoul", "../etc/passwd"), "domain_name": ("shop.example.org", "localhost"),
    "record_name": ("a.b.example.com", "api.example.org"), "bucket_name": ("my-site-1", "my.site"),
    "index_document": ("home.htm", "pages/index.html"), "price_class": ("PriceClass_All", "PriceClass_Cheap"),
}

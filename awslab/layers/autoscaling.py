"""Layer 8, Auto Scaling: the group that keeps the right number of healthy app servers running.

An **Auto Scaling group** launches instances from the launch template into the
private subnets of two or more AZs, spreads them evenly across the AZs, and
registers each one with the target group. It keeps the count between
``min_size`` and ``max_size`` at ``desired_capacity``:

- When an instance dies or fails its **ELB health check**, the group replaces it
  (self-healing).
- When a scaling policy changes the desired capacity, the group launches or
  terminates instances (elasticity).
- When an AZ fails, the group launches the replacements in the AZs that are left.

``HealthCheckType=ELB`` makes the group trust the target group's /health check,
and not only EC2's "is the VM running" check. An app that hangs on a running VM
is then replaced too.

Nothing here waits for the instances. They boot, run the user data and pass their
health checks over the next few minutes; ``describe_auto_scaling_groups`` and
``describe_target_health`` show it happening.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from .. import config
from ..errors import ScalingError, ValidationError, translate
from ..lab import Lab
from . import spec_types, validate
from ._base import Built, call, paginate, tag_value
from .network import Network
from ..i18n import _

LAYER = "autoscaling"
__all__ = ["AutoScalingSpec", "AutoScalingGroup", "build_auto_scaling_group", "ensure_auto_scaling_group", "describe_autoscaling"]



@dataclass
class AutoScalingSpec:
    """The group's sizes and health settings. The defaults follow the seed and AWS's advice.

    - ``health_check_grace_period=300``: a new instance gets 5 minutes to boot and
      start the app before failed health checks count against it. The console's
      default is 300 s, but the API's and the CLI's is **0**. With 0, an instance
      still installing packages fails its ELB check and is replaced, over and over
      (https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-check-grace-period.html).
    - ``default_instance_warmup=120``: a new instance's metrics are left out of the
      group's average for 2 minutes, so its boot-time CPU spike does not trigger
      more scaling. AWS recommends setting it, even to 0
      (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-default-instance-warmup.html).
    - ``default_cooldown=300`` is AWS's default. It applies to simple scaling policies only.
    - ``group_metrics`` turns on the group's own 1-minute CloudWatch metrics
      (GroupInServiceInstances, GroupDesiredCapacity, ...), which are free.
    - ``launch_template_version="$Default"``: the group follows whichever version
      the compute layer made the default.
    """

    name: str | None = None  # default "<lab>-asg"
    min_size: int = 2
    desired_capacity: int = 2
    max_size: int = 6
    health_check_type: str = "ELB"
    health_check_grace_period: int = 300
    default_instance_warmup: int = 120
    default_cooldown: int = 300
    launch_template_version: str = "$Default"
    group_metrics: bool = True


@dataclass
class AutoScalingGroup(Built):
    """The group as it was left: sizes, where it launches, what it is attached to."""

    name: str
    arn: str
    min_size: int
    max_size: int
    desired_capacity: int
    availability_zones: list[str]
    subnet_ids: list[str]
    launch_template_id: str
    launch_template_version: str
    target_group_arns: list[str]
    health_check_type: str
    health_check_grace_period: int
    default_instance_warmup: int
    created: list[str] = field(default_factory=list)


def check_spec(lab: Lab, spec: AutoScalingSpec | None, latest_version: int = 1) -> tuple[AutoScalingSpec, str]:
    """Check the spec before anything is created; return it and the group's name. ``latest_version`` is the
    launch template's newest version (a template not created yet will have version 1)."""
    spec = spec_types.spec(spec, AutoScalingSpec, "autoscaling")
    name = validate.AUTO_SCALING_GROUP_NAME.check("name", spec.name if spec.name is not None else lab.resource_name("asg"))
    validate.capacity(spec.min_size, spec.desired_capacity, spec.max_size)
    if spec.health_check_type not in ("EC2", "ELB"):
        raise ValidationError("health_check_type", spec.health_check_type, _("it is 'EC2' or 'ELB'"),
                              _("Use 'ELB' so that an app failing its /health check is replaced, not only a dead VM."))
    validate.whole_number("health_check_grace_period", spec.health_check_grace_period, *validate.GRACE_PERIOD_RANGE,
                          "Give new instances time to boot: 300 s is the console's default.")
    validate.whole_number("default_instance_warmup", spec.default_instance_warmup, *validate.WARMUP_RANGE,
                          "Use 0-3600 s (-1 turns it off); about the time the app takes to be ready, e.g. 120.")
    validate.whole_number("default_cooldown", spec.default_cooldown, *validate.COOLDOWN_RANGE, "300 s is AWS's default.")
    fix = "Use '$Default' to follow the version the launch template marks as default."
    version = validate.LAUNCH_TEMPLATE_VERSION.check("launch_template_version", spec.launch_template_version, fix)
    if version.isdigit() and int(version) > latest_version:
        raise ValidationError("launch_template_version", version, _("the launch template has versions 1 to {n} only").format(
            n=latest_version), fix)
    return spec, name


def latest_template_version(lab: Lab, name: str) -> int:
    """Probe: the newest version of the launch template ``name``; 1 if there is none yet (the build makes version 1)."""
    found = list(paginate(lab.client("ec2"), "describe_launch_templates", "LaunchTemplates",
                          Filters=[{"Name": "launch-template-name", "Values": [name]}]))
    return int(found[0]["LatestVersionNumber"]) if found else 1


def validate_spec(lab: Lab, network: Network, spec: AutoScalingSpec | None,
                  launch_template: Any = None) -> tuple[AutoScalingSpec, str]:
    """Check the spec, and the subnets and launch template the group launches from, before anything is created."""
    checked = check_spec(lab, spec, getattr(launch_template, "latest_version", 1))
    azs = {s.availability_zone for s in network.private_subnets}
    if len(azs) < 2:
        raise ValidationError("private_subnets", network.subnet_ids("private"), _("the group needs private subnets in two or more AZs "
                              "to survive the loss of one"), _("Build the network over two or more AZs (NetworkSpec's default)."))
    return checked


def build_auto_scaling_group(lab: Lab, network: Network, launch_template: Any, load_balancer: Any,
                             spec: AutoScalingSpec | None = None) -> AutoScalingGroup:
    """Ensure the Auto Scaling group over the private subnets, behind the load balancer's target group."""
    spec, name = validate_spec(lab, network, spec, launch_template)
    created: list[str] = []
    group = ensure_auto_scaling_group(lab, name, network, launch_template.launch_template_id, load_balancer.target_group_arn, spec, created)
    if spec.group_metrics:
        if not group.get("EnabledMetrics"):
            call(lab.client("autoscaling").enable_metrics_collection, _("turning on group metrics"), error=ScalingError,
                 AutoScalingGroupName=name, Granularity="1Minute")
        lab.record("autoscaling/metrics", f"aws autoscaling enable-metrics-collection --auto-scaling-group-name {name} --granularity 1Minute",
                   _("The group's own metrics (GroupInServiceInstances, ...) every minute, free"))
    lt = group.get("LaunchTemplate", {})
    return AutoScalingGroup(name, group["AutoScalingGroupARN"], group["MinSize"], group["MaxSize"], group["DesiredCapacity"],
                            sorted(group.get("AvailabilityZones", [])), group.get("VPCZoneIdentifier", "").split(","),
                            lt.get("LaunchTemplateId", launch_template.launch_template_id), lt.get("Version", spec.launch_template_version),
                            group.get("TargetGroupARNs", []), group["HealthCheckType"], group.get("HealthCheckGracePeriod", 0),
                            group.get("DefaultInstanceWarmup", spec.default_instance_warmup), created)


def _describe(lab: Lab, name: str) -> dict | None:
    try:
        groups = lab.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    except ClientError as e:
        raise translate(e, _("looking for the Auto Scaling group {name!r}").format(name=name), cls=ScalingError) from e
    return groups[0] if groups else None


def _wanted(spec: AutoScalingSpec, lt_id: str) -> dict[str, Any]:
    return {"MinSize": spec.min_size, "MaxSize": spec.max_size, "DesiredCapacity": spec.desired_capacity,
            "HealthCheckType": spec.health_check_type, "HealthCheckGracePeriod": spec.health_check_grace_period,
            "DefaultInstanceWarmup": spec.default_instance_warmup, "DefaultCooldown": spec.default_cooldown,
            "LaunchTemplate": {"LaunchTemplateId": lt_id, "Version": spec.launch_template_version}}


def _group_tags(lab: Lab, name: str) -> list[dict[str, Any]]:
    """The lab tag propagates to every instance (teardown finds them by it); Name and layer come from the template."""
    return [dict(t, ResourceId=name, ResourceType="auto-scaling-group", PropagateAtLaunch=t["Key"] == config.LAB_TAG)
            for t in lab.tags(name, LAYER)]


def ensure_auto_scaling_group(lab: Lab, name: str, network: Network, lt_id: str, tg_arn: str, spec: AutoScalingSpec,
                              created: list[str]) -> dict:
    """The group by name. An existing group is updated only where its settings differ from the spec."""
    asg = lab.client("autoscaling")
    wanted = _wanted(spec, lt_id)
    group = _describe(lab, name)
    if group is None:
        call(asg.create_auto_scaling_group, _("creating the Auto Scaling group"), error=ScalingError, AutoScalingGroupName=name,
             VPCZoneIdentifier=",".join(network.subnet_ids("private")), TargetGroupARNs=[tg_arn], Tags=_group_tags(lab, name), **wanted)
        group = _describe(lab, name) or {}
        created.append(group.get("AutoScalingGroupARN", name))
    else:
        if group.get("Status") == "Delete in progress":  # AWS lists it until its instances are terminated
            raise ScalingError(_("The Auto Scaling group {name} is still being deleted (Status \"Delete in progress\"), and AWS "
                               "refuses any change to it until its instances are terminated.").format(name=name),
                               _("Let the deletion finish (`awslab teardown` waits for it), then build again."))
        owner = tag_value(group.get("Tags"), config.LAB_TAG)
        if owner != lab.name:
            raise ScalingError((_("An Auto Scaling group named {name!r} exists and belongs to lab {owner!r}.") if owner else
                                _("An Auto Scaling group named {name!r} exists and belongs to someone else.")).format(
                                   name=name, owner=owner),
                               _("Pick another name with AutoScalingSpec(name=...)."))
        lt = group.get("LaunchTemplate") or {}
        have = dict(group, LaunchTemplate={"LaunchTemplateId": lt.get("LaunchTemplateId"), "Version": lt.get("Version")})
        changes = {k: v for k, v in wanted.items() if have.get(k) != v}
        if changes:
            call(asg.update_auto_scaling_group, _("updating the Auto Scaling group"), error=ScalingError, AutoScalingGroupName=name, **changes)
        if tg_arn not in group.get("TargetGroupARNs", []):
            call(asg.attach_load_balancer_target_groups, _("attaching the target group"), error=ScalingError,
                 AutoScalingGroupName=name, TargetGroupARNs=[tg_arn])
        if changes or tg_arn not in group.get("TargetGroupARNs", []):
            group = _describe(lab, name) or group
    _record(lab, name, network, spec)
    return group


def _record(lab: Lab, name: str, network: Network, spec: AutoScalingSpec) -> None:
    subnets = ",".join(f"$PRIVATE_SUBNET_{i + 1}" for i in range(len(network.private_subnets)))
    tags = " ".join(f"ResourceId={name},ResourceType=auto-scaling-group,Key={t['Key']},Value={t['Value']},"
                    f"PropagateAtLaunch={str(t['PropagateAtLaunch']).lower()}" for t in _group_tags(lab, name))
    version = spec.launch_template_version.replace("$", "\\$")
    lab.record("autoscaling/group", f"aws autoscaling create-auto-scaling-group --auto-scaling-group-name {name} "
               f"--launch-template \"LaunchTemplateId=$LT_ID,Version={version}\" --min-size {spec.min_size} "
               f"--desired-capacity {spec.desired_capacity} --max-size {spec.max_size} --vpc-zone-identifier \"{subnets}\" "
               f"--target-group-arns $TG_ARN --health-check-type {spec.health_check_type} "
               f"--health-check-grace-period {spec.health_check_grace_period} --default-instance-warmup {spec.default_instance_warmup} "
               f"--default-cooldown {spec.default_cooldown} --tags {tags}",
               _("The group over the private subnets of every AZ, behind the target group"))


def describe_autoscaling(lab: Lab) -> dict[str, list[dict]]:
    """Probe: the lab's Auto Scaling groups and their recent scaling activities. Changes nothing."""
    asg = lab.client("autoscaling")
    groups = [g for g in paginate(asg, "describe_auto_scaling_groups", "AutoScalingGroups")
              if tag_value(g.get("Tags"), config.LAB_TAG) == lab.name]
    activities = [a for g in groups for a in asg.describe_scaling_activities(AutoScalingGroupName=g["AutoScalingGroupName"],
                                                                              MaxRecords=50).get("Activities", [])]
    return {"auto_scaling_groups": groups, "activities": activities}

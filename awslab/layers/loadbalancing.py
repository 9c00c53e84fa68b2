"""Layer 7, load balancing: the ALB, its listener, and the target group with its health check.

- The **Application Load Balancer** is the service's single point of entry. It is
  internet-facing and has a node in a public subnet of each AZ.
- The **listener** (HTTP:80) takes requests and forwards them to the target group.
- The **target group** lists the app servers. Auto Scaling registers and
  deregisters them as it launches and terminates instances ("service discovery").
  It also **health-checks** each one: ``GET /health`` every 30 s. A server
  that answers 200 twice in a row is healthy; one that fails three times in a row
  is unhealthy, and the ALB stops sending it requests ("health-based routing").
  These are the seed's settings; AWS's defaults are 5 healthy / 2 unhealthy.

Nothing here waits for targets to become healthy. A new instance boots, starts
the app, and must then pass its checks, which takes minutes on AWS. Look at
``describe_target_health`` to see it happen.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from .. import config
from ..errors import LoadBalancingError, ValidationError, translate
from ..lab import Lab
from . import spec_types, validate
from ._base import Built, call, cli_tag_list, paginate, tag_value
from .network import Network
from ..i18n import _

LAYER = "loadbalancing"
__all__ = ["LoadBalancerSpec", "LoadBalancer", "build_load_balancer", "ensure_target_group", "ensure_alb", "ensure_listener",
           "describe_loadbalancing"]



@dataclass
class LoadBalancerSpec:
    """The ALB and target group settings. Defaults are the seed's health check.

    AWS's own defaults for an HTTP target group are interval 30 s, timeout 5 s,
    healthy threshold 5 and unhealthy threshold 2. The seed uses 2 and 3: a new
    server joins faster (2 x 30 s), and a server that fails briefly is tolerated a
    little longer (3 x 30 s).
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html)

    ``deregistration_delay_seconds`` is how long the ALB lets in-flight requests
    finish on a target that is leaving ("connection draining"). The AWS default is
    300 s and the range is 0-3600 s
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#deregistration-delay).
    A lab may shorten it so that scale-in happens quickly.
    """

    target_group_name: str | None = None  # default "<lab>-tg"
    load_balancer_name: str | None = None  # default "<lab>-alb"
    app_port: int | None = None  # default: the port the app security group admits
    listener_port: int = 80
    health_check_path: str = "/health"
    health_check_interval_seconds: int = 30
    health_check_timeout_seconds: int = 5
    healthy_threshold_count: int = 2
    unhealthy_threshold_count: int = 3
    matcher: str = "200"
    deregistration_delay_seconds: int = 300


@dataclass
class LoadBalancer(Built):
    """The ALB (reach it at ``http://<dns_name>/``), its listener and its target group."""

    target_group_arn: str
    load_balancer_arn: str
    dns_name: str
    listener_arn: str
    target_group_name: str
    load_balancer_name: str
    canonical_hosted_zone_id: str
    app_port: int
    availability_zones: list[str]
    state: str
    created: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.dns_name}/"


def _matcher(value: str) -> str:
    fix = "Use '200': the web app's /health answers 200 when it is healthy."
    validate.MATCHER.check("matcher", value, fix)
    codes = [int(c) for c in re.split(r"[,-]", value)]
    if not all(200 <= c <= 499 for c in codes):
        raise ValidationError("matcher", value, _(validate.MATCHER.rule), fix)
    return value


def check_spec(lab: Lab, spec: LoadBalancerSpec | None, app_port: int | None) -> tuple[LoadBalancerSpec, str, str, int]:
    """Check every setting, and the port against the one the app group admits, before anything is created.
    Returns the spec, the target group's and the load balancer's names, and the app port."""
    spec = spec_types.spec(spec, LoadBalancerSpec, "loadbalancing")
    fix = "Use a short name such as '{example}', or leave it None for '<lab>-{suffix}'."
    tg_name = spec.target_group_name if spec.target_group_name is not None else lab.resource_name("tg")
    lb_name = spec.load_balancer_name if spec.load_balancer_name is not None else lab.resource_name("alb")
    validate.TARGET_GROUP_NAME.check("target_group_name", tg_name, fix.format(example=lab.resource_name("tg"), suffix="tg"))
    validate.LOAD_BALANCER_NAME.check("load_balancer_name", lb_name, fix.format(example=lab.resource_name("alb"), suffix="alb"))
    validate.health_check(health_check_interval_seconds=spec.health_check_interval_seconds,
                          health_check_timeout_seconds=spec.health_check_timeout_seconds,
                          healthy_threshold_count=spec.healthy_threshold_count,
                          unhealthy_threshold_count=spec.unhealthy_threshold_count)
    validate.whole_number("deregistration_delay_seconds", spec.deregistration_delay_seconds, *validate.DEREGISTRATION_DELAY_RANGE,
                          "Use 0-3600 s; 300 is AWS's default, 30 makes scale-in quick in a lab.")
    validate.HEALTH_CHECK_PATH.check("health_check_path", spec.health_check_path, "Use '/health', the web app's health endpoint.")
    _matcher(spec.matcher)
    validate.port("listener_port", spec.listener_port)
    port = validate.port("app_port", spec.app_port if spec.app_port is not None else (app_port or 80))
    if app_port is not None and port != app_port:
        raise ValidationError("app_port", port, _("the app security group admits port {sg} only, so health checks to {port} would "
                              "fail").format(sg=app_port, port=port), _("Use app_port={sg}.").format(sg=app_port))
    return spec, tg_name, lb_name, port


def validate_spec(lab: Lab, network: Network, security: Any, spec: LoadBalancerSpec | None) -> tuple[LoadBalancerSpec, str, str, int]:
    """Check every setting, and the layers the load balancer stands on, before anything is created."""
    checked = check_spec(lab, spec, getattr(security, "app_port", None))
    azs = {s.availability_zone for s in network.public_subnets}
    if len(azs) < 2:
        raise ValidationError("public_subnets", network.subnet_ids("public"), _("an ALB needs subnets in at least two Availability Zones"),
                              _("Build the network over two or more AZs (NetworkSpec's default)."))
    return checked


def build_load_balancer(lab: Lab, network: Network, security: Any, spec: LoadBalancerSpec | None = None) -> LoadBalancer:
    """Ensure the target group (with its health check), the internet-facing ALB and its HTTP listener."""
    spec, tg_name, lb_name, port = validate_spec(lab, network, security, spec)
    created: list[str] = []
    tg_arn = ensure_target_group(lab, tg_name, network.vpc_id, port, spec, created)
    lb = ensure_alb(lab, lb_name, network, security.alb_sg_id, created)
    listener_arn = ensure_listener(lab, lb["LoadBalancerArn"], tg_arn, spec.listener_port, created)
    azs = sorted(z["ZoneName"] for z in lb.get("AvailabilityZones", []))
    return LoadBalancer(tg_arn, lb["LoadBalancerArn"], lb["DNSName"], listener_arn, tg_name, lb_name,
                        lb.get("CanonicalHostedZoneId", ""), port, azs, lb.get("State", {}).get("Code", ""), created)


def _describe_one(lab: Lab, operation: str, key: str, not_found: str, **kwargs: Any) -> dict | None:
    elb = lab.client("elbv2")
    try:
        items = getattr(elb, operation)(**kwargs)[key]
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") == not_found:
            return None
        raise translate(e, _("looking for {kwargs}").format(kwargs=kwargs), cls=LoadBalancingError) from e
    return items[0] if items else None


def _check_owner(lab: Lab, arn: str, what: str) -> None:
    tags = lab.client("elbv2").describe_tags(ResourceArns=[arn])["TagDescriptions"][0].get("Tags", [])
    owner = tag_value(tags, config.LAB_TAG)
    if owner != lab.name:
        raise LoadBalancingError((_("A {what} with this name already exists and belongs to lab {owner!r}.") if owner else
                                  _("A {what} with this name already exists and belongs to someone else.")).format(
                                     what=what, owner=owner),
                                 _("Pick another name in LoadBalancerSpec, or another lab name."))


def _health_check(spec: LoadBalancerSpec) -> dict[str, Any]:
    return {"HealthCheckProtocol": "HTTP", "HealthCheckPort": "traffic-port", "HealthCheckPath": spec.health_check_path,
            "HealthCheckIntervalSeconds": spec.health_check_interval_seconds,
            "HealthCheckTimeoutSeconds": spec.health_check_timeout_seconds,
            "HealthyThresholdCount": spec.healthy_threshold_count, "UnhealthyThresholdCount": spec.unhealthy_threshold_count,
            "Matcher": {"HttpCode": spec.matcher}}


def ensure_target_group(lab: Lab, name: str, vpc_id: str, port: int, spec: LoadBalancerSpec, created: list[str]) -> str:
    """The target group with the wanted health check; an existing one is brought up to date (modify_target_group)."""
    elb = lab.client("elbv2")
    tags = lab.tags(name, LAYER)
    hc = _health_check(spec)
    found = _describe_one(lab, "describe_target_groups", "TargetGroups", "TargetGroupNotFound", Names=[name])
    if found is None:
        found = call(elb.create_target_group, _("creating the target group"), error=LoadBalancingError, Name=name, Protocol="HTTP",
                     Port=port, VpcId=vpc_id, TargetType="instance", Tags=tags, **hc)["TargetGroups"][0]
        created.append(found["TargetGroupArn"])
    else:
        _check_owner(lab, found["TargetGroupArn"], "target group")
        if (found.get("VpcId"), found.get("Port")) != (vpc_id, port):
            raise LoadBalancingError(_("The target group {name!r} exists for VPC {vpc} port {port}; a target group's VPC and port "
                                       "cannot change.").format(
                                           name=name, vpc=found.get('VpcId'), port=found.get('Port')),
                                     _("Delete it (teardown) or choose another target_group_name."))
        if any(found.get(k) != v for k, v in hc.items()):
            call(elb.modify_target_group, _("updating the health check"), error=LoadBalancingError,
                 TargetGroupArn=found["TargetGroupArn"], **hc)
    arn = found["TargetGroupArn"]
    attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]}
    delay = str(spec.deregistration_delay_seconds)
    if attrs.get("deregistration_delay.timeout_seconds") != delay:
        call(elb.modify_target_group_attributes, _("setting the deregistration delay"), error=LoadBalancingError, TargetGroupArn=arn,
             Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": delay}])
    lab.record("loadbalancing/target-group", ["aws", "elbv2", "create-target-group", "--name", name, "--protocol", "HTTP", "--port",
               str(port), "--vpc-id", "$VPC_ID", "--target-type", "instance", "--health-check-protocol", "HTTP",
               "--health-check-path", spec.health_check_path, "--health-check-interval-seconds", str(spec.health_check_interval_seconds),
               "--health-check-timeout-seconds", str(spec.health_check_timeout_seconds), "--healthy-threshold-count",
               str(spec.healthy_threshold_count), "--unhealthy-threshold-count", str(spec.unhealthy_threshold_count),
               "--matcher", f"HttpCode={spec.matcher}", "--tags", *cli_tag_list(tags)],
               _("The target group and its health check (GET {path} every {interval} s)").format(
                   path=spec.health_check_path, interval=spec.health_check_interval_seconds),
               var="TG_ARN", query="TargetGroups[0].TargetGroupArn")
    lab.record("loadbalancing/target-group-attributes", f"aws elbv2 modify-target-group-attributes --target-group-arn $TG_ARN "
               f"--attributes Key=deregistration_delay.timeout_seconds,Value={delay}",
               _("How long a leaving target may finish its in-flight requests (connection draining)"))
    return arn


def ensure_alb(lab: Lab, name: str, network: Network, alb_sg_id: str, created: list[str]) -> dict:
    """The internet-facing Application Load Balancer, with a node in each public subnet."""
    elb = lab.client("elbv2")
    tags = lab.tags(name, LAYER)
    subnets = network.subnet_ids("public")
    found = _describe_one(lab, "describe_load_balancers", "LoadBalancers", "LoadBalancerNotFound", Names=[name])
    if found is None:
        found = call(elb.create_load_balancer, _("creating the load balancer"), error=LoadBalancingError, Name=name, Subnets=subnets,
                     SecurityGroups=[alb_sg_id], Scheme="internet-facing", Type="application", IpAddressType="ipv4",
                     Tags=tags)["LoadBalancers"][0]
        created.append(found["LoadBalancerArn"])
    else:
        _check_owner(lab, found["LoadBalancerArn"], "load balancer")
    subnet_vars = [f"$PUBLIC_SUBNET_{i + 1}" for i in range(len(subnets))]
    lab.record("loadbalancing/alb", ["aws", "elbv2", "create-load-balancer", "--name", name, "--type", "application", "--scheme",
               "internet-facing", "--ip-address-type", "ipv4", "--subnets", *subnet_vars, "--security-groups", "$ALB_SG_ID",
               "--tags", *cli_tag_list(tags)], _("The internet-facing ALB, one node per public subnet"),
               var="ALB_ARN", query="LoadBalancers[0].LoadBalancerArn")
    lab.record("loadbalancing/alb-dns", ["aws", "elbv2", "describe-load-balancers", "--load-balancer-arns", "$ALB_ARN"],
               var="ALB_DNS", query="LoadBalancers[0].DNSName")
    return found


def ensure_listener(lab: Lab, lb_arn: str, tg_arn: str, port: int, created: list[str]) -> str:
    """An HTTP listener on ``port`` whose default action forwards to the target group."""
    elb = lab.client("elbv2")
    action = [{"Type": "forward", "TargetGroupArn": tg_arn}]
    tags = lab.tags(lab.resource_name(f"listener-{port}"), LAYER)
    listeners = [x for x in paginate(elb, "describe_listeners", "Listeners", LoadBalancerArn=lb_arn) if x["Port"] == port]
    if not listeners:
        arn = call(elb.create_listener, _("creating the listener"), error=LoadBalancingError, LoadBalancerArn=lb_arn, Protocol="HTTP",
                   Port=port, DefaultActions=action, Tags=tags)["Listeners"][0]["ListenerArn"]
        created.append(arn)
    else:
        arn = listeners[0]["ListenerArn"]
        forwards = [a.get("TargetGroupArn") for a in listeners[0].get("DefaultActions", []) if a.get("Type") == "forward"]
        if forwards != [tg_arn]:
            call(elb.modify_listener, _("pointing the listener at the target group"), error=LoadBalancingError, ListenerArn=arn,
                 DefaultActions=action)
    lab.record("loadbalancing/listener", f"aws elbv2 create-listener --load-balancer-arn $ALB_ARN --protocol HTTP --port {port} "
               f"--default-actions Type=forward,TargetGroupArn=$TG_ARN --tags {' '.join(map(shlex.quote, cli_tag_list(tags)))}",
               _("The HTTP:{port} listener: forward every request to the target group").format(port=port), var="LISTENER_ARN",
               query="Listeners[0].ListenerArn")
    return arn


def describe_loadbalancing(lab: Lab) -> dict[str, list[dict]]:
    """Probe: the lab's load balancers, listeners, target groups and their targets' health. Changes nothing."""
    elb = lab.client("elbv2")

    def ours(items: list[dict], key: str) -> list[dict]:
        mine = []
        for i in range(0, len(items), 20):  # DescribeTags takes at most 20 ARNs
            chunk = items[i:i + 20]
            tags = {d["ResourceArn"]: d.get("Tags", []) for d in elb.describe_tags(ResourceArns=[x[key] for x in chunk])["TagDescriptions"]}
            mine += [x for x in chunk if tag_value(tags.get(x[key]), config.LAB_TAG) == lab.name]
        return mine

    lbs = ours(list(paginate(elb, "describe_load_balancers", "LoadBalancers")), "LoadBalancerArn")
    tgs = ours(list(paginate(elb, "describe_target_groups", "TargetGroups")), "TargetGroupArn")
    listeners = [x for lb in lbs for x in paginate(elb, "describe_listeners", "Listeners", LoadBalancerArn=lb["LoadBalancerArn"])]
    health = [dict(h, TargetGroupArn=tg["TargetGroupArn"]) for tg in tgs
              for h in elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]]
    return {"load_balancers": lbs, "listeners": listeners, "target_groups": tgs, "target_health": health}

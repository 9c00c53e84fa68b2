"""ELBv2 part of the moto extension: describe-target-health shows the simulated health checks.

Patched: ``FakeTargetGroup.register/deregister/deregister_terminated_instances``
(tell the simulator), ``FakeTargetGroup.health_for`` (answer from the
simulator's state machine) and ``ELBv2Backend.describe_target_health`` (list
draining targets too, as AWS does) and ``delete_target_group``; ``FakeLoadBalancer.__init__``
(an Application Load Balancer starts with AWS's attribute defaults, see :data:`ALB_DEFAULT_ATTRIBUTES`, and one
created without security groups is in its VPC's default security group, as AWS puts it: moto leaves it in none);
``ELBv2Backend.modify_target_group`` refuses a health check whose timeout is not below its interval, as
CreateTargetGroup already does in moto and both do in AWS).
"""
from __future__ import annotations

from moto.elbv2.exceptions import InvalidTargetError
from moto.elbv2 import models as _elbv2_module
from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeLoadBalancer, FakeTargetGroup

from . import active, sim_utcnow

__all__ = ["install"]

_ORIG: dict[str, object] = {}

#: What DescribeLoadBalancerAttributes answers for a new Application Load Balancer. moto leaves out
#: idle_timeout.timeout_seconds ("for TF compatibility") and says cross-zone is off, but for an ALB
#: it is always on; both are the defaults AWS documents in
#: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerAttribute.html
#: and https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html
ALB_DEFAULT_ATTRIBUTES = {
    "access_logs.s3.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "client_keep_alive.seconds": "3600",
    "load_balancing.cross_zone.enabled": "true",
    "routing.http2.enabled": "true",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
    "waf.fail_open.enabled": "false",
}

def install() -> None:
    if _ORIG:
        return
    # Load balancers' CreatedTime in simulated time.
    _elbv2_module.iso_8601_datetime_with_milliseconds = lambda value=None: (value or sim_utcnow()).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    _ORIG.update(register=FakeTargetGroup.register, deregister=FakeTargetGroup.deregister,
                 deregister_terminated=FakeTargetGroup.deregister_terminated_instances,
                 health_for=FakeTargetGroup.health_for,
                 describe_target_health=ELBv2Backend.describe_target_health,
                 delete_target_group=ELBv2Backend.delete_target_group, lb_init=FakeLoadBalancer.__init__,
                 modify_target_group=ELBv2Backend.modify_target_group)
    FakeTargetGroup.register = _elbv2_register
    FakeTargetGroup.deregister = _elbv2_deregister
    FakeTargetGroup.deregister_terminated_instances = _elbv2_deregister_terminated_instances
    FakeTargetGroup.health_for = _elbv2_health_for
    ELBv2Backend.describe_target_health = _elbv2_describe_target_health
    ELBv2Backend.delete_target_group = _elbv2_delete_target_group
    FakeLoadBalancer.__init__ = _elbv2_lb_init
    ELBv2Backend.modify_target_group = _elbv2_modify_target_group


def _elbv2_register(self, targets):
    _ORIG["register"](self, targets)
    sim = active()
    if sim is not None:
        for t in targets:
            sim.elb.on_register(self, t["Id"], int(t.get("Port") or self.port or 80))


def _elbv2_deregister(self, targets):
    sim = active()
    if sim is None:
        return _ORIG["deregister"](self, targets)
    for t in targets:
        th = sim.elb.health(self.arn, t["Id"])
        if t["Id"] not in self.targets and (th is None or th.state == "draining"):
            raise InvalidTargetError()
    _ORIG["deregister"](self, [t for t in targets if t["Id"] in self.targets])
    for t in targets:
        sim.elb.on_deregister(self, t["Id"])


def _elbv2_deregister_terminated_instances(self, instance_ids):
    sim = active()
    if sim is None:
        return _ORIG["deregister_terminated"](self, instance_ids)
    # AWS deregisters a terminated instance: it drains, then disappears.
    gone = [i for i in instance_ids if i in self.targets]
    for iid in gone:
        self.deregistered_targets[iid] = self.targets.pop(iid)
        sim.elb.on_deregister(self, iid)


def _elbv2_health_for(self, target, ec2_backend):
    sim = active()
    if sim is None:
        return _ORIG["health_for"](self, target, ec2_backend)
    th = sim.elb.health(self.arn, target["Id"])
    if th is None:
        port = target.get("Port") or self.port
        return FakeHealthStatus(target["Id"], port, self.health_check_port, "unused",
                                "Target.NotRegistered", "Target is not registered to the target group")
    return FakeHealthStatus(th.instance_id, th.port, self.health_check_port, th.state, th.reason, th.description)


def _elbv2_describe_target_health(self, target_group_arn, targets):
    sim = active()
    if sim is None or targets:
        return _ORIG["describe_target_health"](self, target_group_arn, targets)
    tg = self.target_groups.get(target_group_arn)
    if tg is None:
        return _ORIG["describe_target_health"](self, target_group_arn, targets)
    listed = list(tg.targets.values())
    listed += [{"Id": th.instance_id, "Port": th.port} for th in sim.elb.targets_of(target_group_arn)
               if th.instance_id not in tg.targets]
    return [tg.health_for(t, self.ec2_backend) for t in listed]


def _elbv2_delete_target_group(self, target_group_arn):
    tg = _ORIG["delete_target_group"](self, target_group_arn)
    sim = active()
    if sim is not None:
        sim.elb.on_target_group_deleted(target_group_arn)
    return tg


def _elbv2_lb_init(self, *args, **kwargs):
    _ORIG["lb_init"](self, *args, **kwargs)
    if self.type == "application":
        self.attrs.update(ALB_DEFAULT_ATTRIBUTES)
        if not self.security_groups:
            self.security_groups = _vpc_default_group(self)


def _vpc_default_group(lb) -> list[str]:
    """The VPC's default security group, for an ALB created without ``SecurityGroups``: "If you don't specify a
    security group, the load balancer is automatically associated with the default security group for the VPC"
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/elb-vpc-security-groups.html; an ALB behaves
    the same, and its DescribeLoadBalancers then lists that group)."""
    ec2 = getattr(lb.subnets[0], "ec2_backend", None) if lb.subnets else None
    if ec2 is None:
        return []
    group = ec2.get_default_security_group(lb.vpc_id) if lb.vpc_id else None
    return [group.id] if group is not None else []


def _elbv2_modify_target_group(self, arn, *args, **kwargs):
    """AWS answers ``ValidationError`` "Health check interval must be greater than the timeout" when a change leaves
    an HTTP(S) target group's timeout at or above its interval (the interval is the time between two checks, and one
    check must end before the next; https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
    moto checks this on CreateTargetGroup only; a modify is checked against the group's values after the change, with
    moto's CreateTargetGroup wording, and changes nothing when refused."""
    group = self.target_groups.get(arn)
    if group is not None and group.protocol in ("HTTP", "HTTPS"):
        names = list(ELBV2_MODIFY_PARAMS)
        given = dict(zip(names, args), **kwargs)
        interval = given.get("health_check_interval") or group.health_check_interval_seconds
        timeout = given.get("health_check_timeout") or group.health_check_timeout_seconds
        if interval is not None and timeout is not None and int(timeout) >= int(interval):
            raise _elbv2_module.ValidationError(
                f"Health check timeout '{timeout}' must be smaller than the interval '{interval}'")
    return _ORIG["modify_target_group"](self, arn, *args, **kwargs)


#: modify_target_group's parameters after ``arn``, in moto's order (the contract test pins them).
ELBV2_MODIFY_PARAMS = ("health_check_proto", "health_check_port", "health_check_path", "health_check_interval",
                       "health_check_timeout", "healthy_threshold_count", "unhealthy_threshold_count", "http_codes",
                       "health_check_enabled")

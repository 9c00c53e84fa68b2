"""Read what the data plane needs from the AWS APIs: one consistent snapshot of network and load balancers.

Only ``describe_*`` calls (a probe: it never changes anything), each paginated,
so the data plane sees exactly what a student sees with boto3 or the CLI.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .addresses import alb_node_addresses
from .alb import LoadBalancerView
from .balancer import TargetGroupView
from .netpolicy import Network
from .tls import DEFAULT_API_POLICY, ListenerTls

__all__ = ["CloudSnapshot", "read_cloud"]


@dataclass
class CloudSnapshot:
    """Network policy, every ALB (views without targets yet), target groups and instances."""

    network: Network
    vpc_cidrs: dict[str, str] = field(default_factory=dict)
    instances: dict[str, dict] = field(default_factory=dict)
    load_balancers: dict[str, LoadBalancerView] = field(default_factory=dict)
    target_groups: dict[str, dict] = field(default_factory=dict)
    #: Key pair name -> its public key (OpenSSH format), what an instance's authorized_keys gets at launch.
    key_pairs: dict[str, str] = field(default_factory=dict)
    #: DB instance identifier -> :class:`~awslab.dataplane.rds.view.DBView` (filled by ``awslab.dataplane.rds.plane.read``).
    db_instances: dict[str, Any] = field(default_factory=dict)

    def app_ports(self, vpc_id: str | None) -> set[int]:
        """Ports the instances of ``vpc_id`` serve: every target group's traffic and health-check port (80 if none)."""
        ports = set()
        for tg in self.target_groups.values():
            if tg.get("VpcId") == vpc_id and tg.get("Port"):
                ports.add(int(tg["Port"]))
                hc = str(tg.get("HealthCheckPort", "traffic-port"))
                if hc.isdigit():
                    ports.add(int(hc))
        return ports or {80}


def _all(client: Any, op: str, key: str, **kw) -> list[dict]:
    if client.can_paginate(op):
        return client.get_paginator(op).paginate(**kw).build_full_result().get(key, [])
    return getattr(client, op)(**kw).get(key, [])


def read_cloud(ec2: Any, elbv2: Any, certificates: Callable[[str], Any] | None = None) -> CloudSnapshot:
    """Describe everything once (two boto3 clients on the same endpoint).

    ``certificates(arn)`` gives an HTTPS listener's certificate material (in the cloud process,
    :func:`awslab.cloud.moto_ext.acm.certificate_material`); without it HTTPS listeners are not served.
    """
    subnets = _all(ec2, "describe_subnets", "Subnets")
    reservations = _all(ec2, "describe_instances", "Reservations")
    instances = {i["InstanceId"]: i for r in reservations for i in r["Instances"]}
    network = Network.from_describe(
        subnets=subnets, security_groups=_all(ec2, "describe_security_groups", "SecurityGroups"),
        network_acls=_all(ec2, "describe_network_acls", "NetworkAcls"),
        route_tables=_all(ec2, "describe_route_tables", "RouteTables"),
        instances=[i for i in instances.values() if i.get("State", {}).get("Name") in ("pending", "running")],
        nat_gateways=_all(ec2, "describe_nat_gateways", "NatGateways"))
    snap = CloudSnapshot(network, {v["VpcId"]: v["CidrBlock"] for v in _all(ec2, "describe_vpcs", "Vpcs")}, instances)
    snap.key_pairs = {k["KeyName"]: k.get("PublicKey", "") for k in
                      ec2.describe_key_pairs(IncludePublicKey=True).get("KeyPairs", [])}
    for tg in _all(elbv2, "describe_target_groups", "TargetGroups"):
        attrs = elbv2.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]
        tg["_attributes"] = {a["Key"]: a["Value"] for a in attrs}
        snap.target_groups[tg["TargetGroupArn"]] = tg
    taken = {i.get("PrivateIpAddress") for i in instances.values()}
    by_id = {s["SubnetId"]: s for s in subnets}
    for lb in _all(elbv2, "describe_load_balancers", "LoadBalancers"):
        if lb.get("Type", "application") != "application":
            continue
        snap.load_balancers[lb["LoadBalancerArn"]] = _lb_view(elbv2, lb, by_id, taken, snap.target_groups, certificates)
    return snap


def _lb_view(elbv2: Any, lb: dict, subnets: dict[str, dict], taken: set, tgs: dict[str, dict],
             certificates: Callable[[str], Any] | None = None) -> LoadBalancerView:
    arn = lb["LoadBalancerArn"]
    lb_subnets = [subnets[z["SubnetId"]] for z in lb.get("AvailabilityZones", []) if z.get("SubnetId") in subnets]
    nodes = alb_node_addresses(arn, lb_subnets, taken)
    attrs = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
    view = LoadBalancerView(arn, lb["LoadBalancerName"], lb.get("DNSName", ""), lb.get("Scheme", "internet-facing"), nodes,
                            {s["AvailabilityZone"]: s["SubnetId"] for s in lb_subnets}, tuple(lb.get("SecurityGroups", [])),
                            attributes=attrs)
    for listener in _all(elbv2, "describe_listeners", "Listeners", LoadBalancerArn=arn):
        if listener.get("Protocol") == "HTTPS":
            if certificates is None:
                continue
            view.tls[int(listener["Port"])] = _listener_tls(elbv2, listener, certificates)
        elif listener.get("Protocol") not in ("HTTP", None):
            continue
        rules = elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        if not any(r.get("IsDefault") for r in rules):
            rules.append({"Priority": "default", "IsDefault": True, "Conditions": [],
                          "Actions": listener.get("DefaultActions", [])})
        view.listeners[int(listener["Port"])] = rules
        for arn_tg in _forwarded_groups(rules):
            tg = tgs.get(arn_tg)
            if tg is not None:
                view.target_groups[arn_tg] = TargetGroupView(arn_tg, tg["TargetGroupName"], int(tg.get("Port") or 80),
                                                             dict(tg["_attributes"]))
    return view


def _listener_tls(elbv2: Any, listener: dict, certificates: Callable[[str], Any]) -> ListenerTls:
    """An HTTPS listener's policy, default certificate (``Certificates[0]``) and its certificate list (for SNI)."""
    default = (listener.get("Certificates") or [{}])[0].get("CertificateArn", "")
    listed = _all(elbv2, "describe_listener_certificates", "Certificates", ListenerArn=listener["ListenerArn"])
    arns = tuple(dict.fromkeys([default, *(c["CertificateArn"] for c in listed)]))
    materials = {arn: m for arn in arns if (m := certificates(arn)) is not None}
    return ListenerTls(listener.get("SslPolicy") or DEFAULT_API_POLICY, default, arns, materials)


def _forwarded_groups(rules: list[dict]) -> set[str]:
    out = set()
    for r in rules:
        for a in r.get("Actions", []):
            if a.get("Type") != "forward":
                continue
            if a.get("TargetGroupArn"):
                out.add(a["TargetGroupArn"])
            for g in (a.get("ForwardConfig") or {}).get("TargetGroups", []):
                out.add(g["TargetGroupArn"])
    return out

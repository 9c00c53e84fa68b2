"""Would AWS let this TCP connection through? Security groups, network ACLs and routes.

A pure function of the ``describe_*`` answers, so it is the same on every
backend and easy to test. Build a :class:`Network` from them once, then ask
``network.check(src, dst, port)`` for each connection. The answer is a
:class:`Decision` that names the layer and the rule that decided.

The layers are evaluated in the order a packet meets them
(https://docs.aws.amazon.com/vpc/latest/userguide/infrastructure-security.html):

1. **Route tables.** No route, no traffic. Inside a VPC the ``local`` route
   always exists. From the internet a target must have a public address and
   its subnet a route to an internet gateway; a private subnet (default route
   to a NAT gateway, or none) can't be reached from outside. Outbound, a NAT
   gateway gives a private subnet a way out
   (https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html).
2. **Security groups** are stateful: the source's outbound rules and the
   destination's inbound rules must allow the first packet; replies are
   always allowed. A rule matches a CIDR or *a referenced group* (any ENI
   carrying that group). No rule matched = denied
   (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-group-rules.html).
3. **Network ACLs** are stateless and work at the subnet edge: rules are
   evaluated lowest number first, the first match decides, ``*`` denies. The
   reply crosses them too, to the client's ephemeral port, which is why AWS
   tells you to allow 1024-65535 outbound
   (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html,
   https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html).
   Traffic that stays inside one subnet crosses no NACL.

Traffic from an instance to one of its own addresses never leaves the
instance (the operating system loops it back), so no layer sees it:
``curl localhost/`` on a server works whatever its security groups say.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Iterable

from .addresses import INTERNET

__all__ = ["Decision", "Endpoint", "Network", "EPHEMERAL_PORTS", "internet"]

#: The range AWS recommends opening for replies; we check both ends
#: (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html).
EPHEMERAL_PORTS = (1024, 65535)

_TCP = {"tcp", "6", "-1", "all"}


@dataclass(frozen=True)
class Decision:
    """The answer: ``allowed``, the ``layer`` that decided, the ``rule`` (printable) and why."""

    allowed: bool
    layer: str
    rule: str
    reason: str

    def __bool__(self) -> bool:
        return self.allowed

    def __str__(self) -> str:
        return f"{'ALLOW' if self.allowed else 'DENY'} [{self.layer}] {self.rule}: {self.reason}"


ALLOWED = Decision(True, "none", "-", "every layer allows it")
SAME_HOST = Decision(True, "host", "-", "an instance's traffic to itself stays inside the instance")


@dataclass(frozen=True)
class Endpoint:
    """One end of a connection: an instance, an ALB node, or the internet (``subnet_id`` None)."""

    name: str
    ip: str
    subnet_id: str | None = None
    group_ids: tuple[str, ...] = ()
    public: bool = False
    vpc_id: str | None = None

    @property
    def in_vpc(self) -> bool:
        return self.subnet_id is not None


def internet(ip: str = INTERNET) -> Endpoint:
    """A client on the internet (your shell: 127.0.0.1)."""
    return Endpoint("internet", ip)


def _in(ip: str, cidr: str | None) -> bool:
    return bool(cidr) and ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)


def _port_in(port: int, lo, hi) -> bool:
    return lo is None or lo == -1 or (lo <= port <= (hi if hi is not None else lo))


@dataclass
class Network:
    """A snapshot of the VPC's network configuration, indexed for quick checks.

    Build it with :meth:`from_describe`; it never calls AWS itself.
    """

    subnets: dict[str, dict] = field(default_factory=dict)
    groups: dict[str, dict] = field(default_factory=dict)
    acl_of_subnet: dict[str, dict] = field(default_factory=dict)
    routes_of_subnet: dict[str, dict] = field(default_factory=dict)
    instances: dict[str, Endpoint] = field(default_factory=dict)
    by_ip: dict[str, Endpoint] = field(default_factory=dict)
    nat_subnets: dict[str, str] = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_describe(cls, *, subnets: Iterable[dict], security_groups: Iterable[dict], network_acls: Iterable[dict],
                      route_tables: Iterable[dict], instances: Iterable[dict] = (), nat_gateways: Iterable[dict] = ()) -> "Network":
        """Index the lists inside describe_subnets / describe_security_groups / describe_network_acls /
        describe_route_tables / describe_instances (``Reservations`` or a flat list) / describe_nat_gateways."""
        net = cls(subnets={s["SubnetId"]: s for s in subnets}, groups={g["GroupId"]: g for g in security_groups})
        acls, tables = list(network_acls), list(route_tables)
        for sid, sn in net.subnets.items():
            net.acl_of_subnet[sid] = _associated(acls, sid, sn["VpcId"], "IsDefault")
            net.routes_of_subnet[sid] = _associated(tables, sid, sn["VpcId"], "Main")
        for nat in nat_gateways:
            net.nat_subnets[nat["NatGatewayId"]] = nat.get("SubnetId")
        for inst in _flatten(instances):
            if inst.get("PrivateIpAddress") and inst.get("SubnetId"):
                net.add(_instance_endpoint(inst))
        return net

    def add(self, ep: Endpoint) -> Endpoint:
        """Add an endpoint (an instance, or an ALB node with the ALB's groups)."""
        if ep.subnet_id and not ep.vpc_id and ep.subnet_id in self.subnets:
            ep = Endpoint(ep.name, ep.ip, ep.subnet_id, ep.group_ids, ep.public, self.subnets[ep.subnet_id]["VpcId"])
        if ep.name.startswith("i-"):
            self.instances[ep.name] = ep
        self.by_ip[ep.ip] = ep
        self._cache.clear()
        return ep

    def endpoint(self, ip: str | None) -> Endpoint:
        """The endpoint with private IP ``ip``; ``None`` or an unknown address is the internet."""
        return self.by_ip.get(ip or "") or internet(ip or INTERNET)

    # -- the check -------------------------------------------------------------------------
    def check(self, src: Endpoint, dst: Endpoint, port: int) -> Decision:
        """May ``src`` open a TCP connection to ``dst:port`` (and get its replies)?"""
        key = (src, dst, port)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._check(src, dst, port)
        return hit

    def _check(self, src: Endpoint, dst: Endpoint, port: int) -> Decision:
        if src.in_vpc and src.ip == dst.ip:
            return SAME_HOST
        steps = (
            lambda: self._route(src, dst),
            lambda: self._sg(src, dst, port, egress=True),
            lambda: self._acl(src, dst, port, egress=True),
            lambda: self._acl(dst, src, port, egress=False),
            lambda: self._sg(dst, src, port, egress=False),
            lambda: self._acl_reply(src, dst),
        )
        for step in steps:
            d = step()
            if d is not None and not d.allowed:
                return d
        return ALLOWED

    def inbound_rules(self, dst: Endpoint, port: int) -> list[dict]:
        """Probe: the inbound rules of ``dst``'s groups that cover TCP ``port`` (who *might* get in; ``check`` decides)."""
        perms = [perm for gid in dst.group_ids for perm in self.groups.get(gid, {}).get("IpPermissions", [])]
        return [perm for perm in perms if str(perm.get("IpProtocol", "-1")).lower() in _TCP
                and _port_in(port, perm.get("FromPort"), perm.get("ToPort"))]

    @staticmethod
    def rule_names(perm: dict, src: Endpoint) -> bool:
        """Does the rule ``perm`` name ``src`` (its address in a CIDR, or one of its groups)?"""
        return _sg_matches(perm, src) is not None

    def _route(self, src: Endpoint, dst: Endpoint) -> Decision | None:
        """The source's route table must have a path to the destination."""
        if not src.in_vpc:
            if not dst.in_vpc:
                return None
            if not dst.public:
                return Decision(False, "route-table", f"{dst.name}: no public IP",
                                f"{dst.name} ({dst.ip}) has no public address, so nothing on the internet can reach it")
            rt = self.routes_of_subnet.get(dst.subnet_id)
            route = _best_route(rt, src.ip)
            if route is None or not str(route.get("GatewayId", "")).startswith("igw-"):
                return Decision(False, "route-table", _rt_name(rt, route),
                                f"{dst.subnet_id} has no route to an internet gateway (a private subnet): "
                                "the internet can't reach it; put it behind the load balancer")
            return None
        if dst.in_vpc and src.vpc_id == dst.vpc_id:
            return None  # the local route: always there, can't be removed
        rt = self.routes_of_subnet.get(src.subnet_id)
        route = _best_route(rt, dst.ip)
        if route is None:
            return Decision(False, "route-table", _rt_name(rt, None), f"no route from {src.subnet_id} to {dst.ip}")
        target = route.get("GatewayId") or route.get("NatGatewayId") or ""
        if target.startswith("igw-") and not src.public:
            return Decision(False, "route-table", _rt_name(rt, route),
                            f"{src.name} has no public IP: an internet gateway route alone can't carry its traffic (use a NAT gateway)")
        if target.startswith("nat-"):
            nat_rt = self.routes_of_subnet.get(self.nat_subnets.get(target, ""))
            if self.nat_subnets.get(target) and not str((_best_route(nat_rt, dst.ip) or {}).get("GatewayId", "")).startswith("igw-"):
                return Decision(False, "route-table", _rt_name(nat_rt, None), f"NAT gateway {target}'s subnet has no internet gateway route")
        if not (target.startswith("igw-") or target.startswith("nat-")):
            return Decision(False, "route-table", _rt_name(rt, route), f"route to {dst.ip} goes to {target or 'nowhere'}")
        return None

    def _sg(self, me: Endpoint, other: Endpoint, port: int, egress: bool) -> Decision | None:
        """Security groups (stateful): one allowing rule in any of ``me``'s groups is enough."""
        if not me.in_vpc:
            return None
        key = "IpPermissionsEgress" if egress else "IpPermissions"
        for gid in me.group_ids:
            group = self.groups.get(gid, {})
            for perm in group.get(key, []):
                if str(perm.get("IpProtocol", "-1")).lower() not in _TCP:
                    continue
                if not _port_in(port, perm.get("FromPort"), perm.get("ToPort")):
                    continue
                who = _sg_matches(perm, other)
                if who:
                    direction = "outbound" if egress else "inbound"
                    return Decision(True, "security-group", f"{_sg_name(group)} {direction}: tcp {_ports(perm)} {'to' if egress else 'from'} {who}", "allowed")
        direction, prep = ("outbound", "to") if egress else ("inbound", "from")
        names = ", ".join(_sg_name(self.groups.get(g, {"GroupId": g})) for g in me.group_ids) or "no security group"
        return Decision(False, "security-group", f"{names} {direction}: no rule matches (implicit deny)",
                        f"no {direction} rule of {me.name}'s groups allows tcp {port} {prep} {other.ip}"
                        + (f" (groups {', '.join(other.group_ids)})" if other.group_ids else ""))

    def _acl(self, me: Endpoint, other: Endpoint, port: int, egress: bool) -> Decision | None:
        """The network ACL at ``me``'s subnet edge (skipped inside one subnet)."""
        if not me.in_vpc or me.subnet_id == other.subnet_id:
            return None
        acl = self.acl_of_subnet.get(me.subnet_id)
        if acl is None:
            return None
        return _acl_eval(acl, egress, other.ip, port, me.subnet_id)

    def _acl_reply(self, src: Endpoint, dst: Endpoint) -> Decision | None:
        """The reply (dst:port -> src:ephemeral) must leave dst's subnet and enter src's."""
        for port in EPHEMERAL_PORTS:
            for me, other, egress in ((dst, src, True), (src, dst, False)):
                d = self._acl(me, other, port, egress)
                if d is not None and not d.allowed:
                    return Decision(False, d.layer, d.rule,
                                    f"the reply to {src.ip} on ephemeral port {port} is blocked: {d.reason} "
                                    "(NACLs are stateless: allow 1024-65535 for replies)")
        return None


def _instance_endpoint(inst: dict) -> Endpoint:
    """An instance's primary ENI: its groups (instance-level or on the interface) and public address."""
    groups = [g["GroupId"] for g in inst.get("SecurityGroups", [])]
    public = bool(inst.get("PublicIpAddress"))
    for eni in inst.get("NetworkInterfaces", []):
        groups += [g["GroupId"] for g in eni.get("Groups", []) if g["GroupId"] not in groups]
        public = public or bool((eni.get("Association") or {}).get("PublicIp"))
    return Endpoint(inst["InstanceId"], inst["PrivateIpAddress"], inst["SubnetId"], tuple(groups), public, inst.get("VpcId"))


def _flatten(instances: Iterable[dict]) -> Iterable[dict]:
    for item in instances:
        if "Instances" in item:
            yield from item["Instances"]
        else:
            yield item


def _associated(items: list[dict], subnet_id: str, vpc_id: str, default_flag: str) -> dict | None:
    """The NACL/route table associated with the subnet, else the VPC's default/main one."""
    fallback = None
    for it in items:
        for a in it.get("Associations", []):
            if a.get("SubnetId") == subnet_id:
                return it
            if a.get("Main") and it.get("VpcId") == vpc_id:
                fallback = it
        if it.get(default_flag) is True and it.get("VpcId") == vpc_id:
            fallback = fallback or it
    return fallback


def _best_route(rt: dict | None, ip: str) -> dict | None:
    """Longest-prefix match among the table's active routes."""
    best, best_len = None, -1
    for r in (rt or {}).get("Routes", []):
        cidr = r.get("DestinationCidrBlock")
        if cidr and r.get("State", "active") == "active" and _in(ip, cidr):
            n = ipaddress.ip_network(cidr).prefixlen
            if n > best_len:
                best, best_len = r, n
    return best


def _rt_name(rt: dict | None, route: dict | None) -> str:
    name = (rt or {}).get("RouteTableId", "no route table")
    if route is None:
        return f"{name}: no matching route"
    target = route.get("GatewayId") or route.get("NatGatewayId") or route.get("InstanceId") or "?"
    return f"{name}: {route.get('DestinationCidrBlock')} -> {target}"


def _acl_eval(acl: dict, egress: bool, ip: str, port: int, subnet_id: str) -> Decision:
    entries = sorted((e for e in acl.get("Entries", []) if bool(e.get("Egress")) == egress), key=lambda e: e["RuleNumber"])
    direction = "outbound" if egress else "inbound"
    for e in entries:
        if str(e.get("Protocol", "-1")).lower() not in _TCP or not _in(ip, e.get("CidrBlock")):
            continue
        pr = e.get("PortRange") or {}
        if not _port_in(port, pr.get("From"), pr.get("To")):
            continue
        num = "*" if e["RuleNumber"] == 32767 else f"#{e['RuleNumber']}"
        rule = f"{acl['NetworkAclId']} {direction} rule {num} {e['RuleAction']} {e.get('CidrBlock')} ports {_ports(pr, 'From', 'To')}"
        if e["RuleAction"] == "allow":
            return Decision(True, "network-acl", rule, "allowed")
        return Decision(False, "network-acl", rule, f"{direction} tcp {port} {'to' if egress else 'from'} {ip} at {subnet_id}")
    return Decision(False, "network-acl", f"{acl['NetworkAclId']} {direction} rule * deny",
                    f"no {direction} rule allows tcp {port} {'to' if egress else 'from'} {ip} at {subnet_id}")


def _sg_matches(perm: dict, other: Endpoint) -> str | None:
    for r in perm.get("IpRanges", []):
        if _in(other.ip, r.get("CidrIp")):
            return r["CidrIp"]
    for pair in perm.get("UserIdGroupPairs", []):
        if pair.get("GroupId") in other.group_ids:
            return pair["GroupId"]
    return None


def _sg_name(group: dict) -> str:
    name = group.get("GroupName")
    return f"{group.get('GroupId')} ({name})" if name else str(group.get("GroupId"))


def _ports(d: dict, lo: str = "FromPort", hi: str = "ToPort") -> str:
    a, b = d.get(lo), d.get(hi)
    if a is None or a == -1:
        return "all"
    return str(a) if a == b else f"{a}-{b}"

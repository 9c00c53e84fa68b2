"""The graph model: what to draw, kept apart from how to draw it.

:func:`build_model` turns a discovery :class:`~awslab.topology.records.Snapshot`
into a :class:`Graph`:

- **nesting**: Region ⊃ VPC ⊃ AZ ⊃ subnet ⊃ nodes (clusters), with the global
  edge services (Route 53, CloudFront, S3) above the region;
- **the traffic path**: user → Route 53 → ALB → target group → instances → DB,
  and user → CloudFront → S3 (plus CloudFront → ALB for ``/api/*``);
- **the control loop**: alarm → scaling policy → Auto Scaling group → target group;
- optional layers: ``security_groups`` (which group lets which in, on which port)
  and ``routes`` (each subnet's default route to the IGW or a NAT gateway);
- **states** for styling: target health (healthy, initial, unhealthy, draining,
  unused), EC2 states, alarm states, and the ASG's desired versus in-service count;
- optional **traffic counters** per target (requests each instance served).

The renderer (:mod:`awslab.topology.render`) only reads a ``Graph``.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from . import overlays
from .focus import OVERLAY, apply_focus, check_focus
from .graph import (DEFAULT_LAYERS, LAYERS, TARGET_STATES, TIER_ORDER, Cluster, Edge, Graph, Node, anchor, subnet_cluster,
                    target_state)
from .records import Instance, Snapshot, Subnet, TargetGroup
from ..i18n import _

__all__ = ["Node", "Cluster", "Edge", "Graph", "build_model", "LAYERS", "DEFAULT_LAYERS", "target_state", "TARGET_STATES",
           "TIER_ORDER", "anchor", "subnet_cluster"]


def build_model(snap: Snapshot, layers: Iterable[str] = DEFAULT_LAYERS, traffic: Mapping[str, int] | None = None,
                title: str = "", focus: str | None = None) -> Graph:
    """The graph for ``snap``. ``traffic`` maps a target (instance id) to the requests it served.

    ``focus`` names a build layer (``"network"``, ``"loadbalancing"``, ...; see :mod:`~awslab.topology.focus`)
    to draw in full with the rest dimmed; a layer with arrows of its own turns their overlay on.
    """
    focus = check_focus(focus)
    layers = tuple(dict.fromkeys([*layers, *([OVERLAY[focus]] if focus in OVERLAY else [])]))
    unknown = [x for x in layers if x not in LAYERS]
    if unknown:
        from ..errors import ValidationError

        raise ValidationError("layers", unknown, _("layers are {items}").format(
            items=', '.join(LAYERS)), _("Pick layers from that list."))
    g = Graph(title=title, layers=layers)
    _network(g, snap)
    _compute(g, snap, traffic or {})
    _load_balancing(g, snap, traffic or {})
    _data(g, snap)
    _edge_services(g, snap)
    overlays.scaling(g, snap)
    if "control" in layers:
        overlays.control(g, snap)
    if "security_groups" in layers:
        overlays.security_groups(g, snap)
    if "routes" in layers:
        overlays.routes(g, snap)
    return apply_focus(g, focus)


# -- nesting ---------------------------------------------------------------------------------------

def _network(g: Graph, snap: Snapshot) -> None:
    region = g.add_cluster(Cluster("cluster_region", "region", f"Region {snap.region}" if snap.region else "Region"))
    for vpc in snap.vpcs:
        vid = f"cluster_{vpc.vpc_id}"
        g.add_cluster(Cluster(vid, "vpc", vpc_label(vpc.vpc_id, vpc.name, vpc.cidr_block), region.id))
    order = {az: i for i, az in enumerate(snap.availability_zones)}
    subnets = sorted(snap.subnets, key=lambda s: (order.get(s.availability_zone, 99), s.availability_zone,
                                                  TIER_ORDER.get(s.role, 1), s.cidr_block))
    for s in subnets:
        vid = f"cluster_{s.vpc_id}"
        if vid not in g.clusters:
            g.add_cluster(Cluster(vid, "vpc", vpc_label(s.vpc_id), region.id))
        az = g.add_cluster(Cluster(f"cluster_{s.vpc_id}_{s.availability_zone}", "az", f"AZ {s.availability_zone}", vid,
                                   az=s.availability_zone))
        cid = subnet_cluster(s.subnet_id)
        g.add_cluster(Cluster(cid, "subnet", _subnet_label(s), az.id, tier=s.role, az=s.availability_zone))
        g.add_node(Node(anchor(cid), "anchor", "", cid))
    for gw in snap.gateways:
        if gw.kind == "internet":
            parent = f"cluster_{gw.vpc_id}" if f"cluster_{gw.vpc_id}" in g.clusters else region.id
            g.add_node(Node(gw.gateway_id, "igw", f"Internet gateway\n{gw.gateway_id}", parent, state=gw.state))
        else:
            cid = subnet_cluster(gw.subnet_id)
            g.add_node(Node(gw.gateway_id, "nat", f"NAT gateway\n{gw.gateway_id}", cid if cid in g.clusters else region.id,
                            state=gw.state))


def vpc_label(vpc_id: str, name: str = "", cidr_block: str = "") -> str:
    """``VPC lab-vpc (vpc-0abc…)  10.0.0.0/16``: the name a student gave it and the id the CLI prints."""
    return f"VPC {name} ({vpc_id})  {cidr_block}".strip() if name else f"VPC {vpc_id}  {cidr_block}".strip()


def _subnet_label(s: Subnet) -> str:
    """Three short lines: kind and CIDR block; name and id (as ``describe-subnets`` prints them); default route."""
    kind = {"public": "Public subnet", "db": "Private subnet (DB)"}.get(s.role, "Private subnet (app)")
    out = {"igw": "internet gateway", "nat": "NAT gateway"}.get(s.default_route.split("-")[0], "no default route")
    named = f"{s.name} ({s.subnet_id})" if s.name else s.subnet_id
    return f"{kind}  {s.cidr_block}\n{named}\n0.0.0.0/0 → {out}"


# -- compute ---------------------------------------------------------------------------------------

def _target_states(snap: Snapshot) -> dict[str, list[tuple[TargetGroup, str, str]]]:
    """instance id -> [(target group, state, reason)] over every target group."""
    out: dict[str, list] = {}
    for tg in snap.target_groups:
        for t in tg.targets:
            out.setdefault(t.target_id, []).append((tg, t.state, t.reason))
    return out


def _compute(g: Graph, snap: Snapshot, traffic: Mapping[str, int]) -> None:
    health = _target_states(snap)
    for i in snap.instances:
        if i.state == "terminated" and i.instance_id not in health:
            continue  # gone: AWS lists terminated instances for about an hour
        cid = subnet_cluster(i.subnet_id)
        tstate = target_state(s for _, s, _ in health.get(i.instance_id, []))
        state = tstate or _ec2_state(i)
        g.add_node(Node(i.instance_id, "bastion" if i.role == "bastion" else "instance", _instance_label(i, tstate, traffic),
                        cid if cid in g.clusters else "cluster_region", state=state,
                        tooltip=_instance_tooltip(i, health.get(i.instance_id, [])), count=traffic.get(i.instance_id),
                        asg=i.auto_scaling_group or ""))


def _ec2_state(i: Instance) -> str:
    if i.state == "running" and (i.health_status or "").lower() == "unhealthy":
        return "unhealthy"
    return {"running": "running", "pending": "pending"}.get(i.state, i.state or "running")


def _instance_label(i: Instance, tstate: str, traffic: Mapping[str, int]) -> str:
    head = "Bastion" if i.role == "bastion" else (i.name or "EC2")
    lines = [f"{head}  {i.instance_id}", f"{i.private_ip or '-'} · {i.state}"]
    if i.auto_scaling_group:
        lines.append(f"ASG {i.lifecycle_state or '?'} · {i.health_status or '?'}")
    if tstate:
        lines.append(f"target: {tstate}")
    if i.instance_id in traffic:
        lines.append(f"{traffic[i.instance_id]} req")
    return "\n".join(lines)


def _instance_tooltip(i: Instance, health: list) -> str:
    parts = [f"{i.instance_id} in {i.availability_zone or '?'} ({i.subnet_id or 'no subnet'})"]
    parts += [f"{tg.name}: {state}{' - ' + reason if reason else ''}" for tg, state, reason in health]
    return "\n".join(parts)


# -- load balancing --------------------------------------------------------------------------------

def _load_balancing(g: Graph, snap: Snapshot, traffic: Mapping[str, int]) -> None:
    for lb in snap.load_balancers:
        parent = f"cluster_{lb.vpc_id}" if f"cluster_{lb.vpc_id}" in g.clusters else "cluster_region"
        listeners = ", ".join(f"{l.protocol}:{l.port}" for l in lb.listeners) or "no listener"
        azs = sorted({c.az for s in lb.subnet_ids for c in [g.clusters.get(subnet_cluster(s))] if c})
        label = f"ALB {lb.name}\n{listeners}\nnodes in {', '.join(a[-1] for a in azs) if azs else '?'} (public subnets)"
        total = sum(traffic.get(t.target_id, 0) for tg in snap.target_groups if lb.arn in tg.load_balancer_arns
                    for t in tg.targets) if traffic else None
        if total is not None:
            label += f"\n{total} req to its targets"
        g.add_node(Node(lb.arn, "alb", label, parent, state=lb.state, tooltip=lb.dns_name, count=total))
    for tg in snap.target_groups:
        parent = f"cluster_{tg.vpc_id}" if f"cluster_{tg.vpc_id}" in g.clusters else "cluster_region"
        counts = {s: sum(1 for t in tg.targets if t.state == s) for s in TARGET_STATES}
        summary = " · ".join(f"{n} {s}" for s, n in counts.items() if n) or "no targets"
        g.add_node(Node(tg.arn, "target_group", f"Target group {tg.name}\n{tg.protocol}:{tg.port} · check {tg.health_check_path}\n{summary}",
                        parent, state="healthy" if counts["healthy"] else ("unhealthy" if tg.targets else "unused")))
        for t in tg.targets:
            g.add_edge(Edge(tg.arn, t.target_id, "traffic", _target_edge_label(t.target_id, traffic), t.state,
                            traffic.get(t.target_id)))
    for lb in snap.load_balancers:
        for l in lb.listeners:
            for tg_arn in l.default_target_group_arns:
                g.add_edge(Edge(lb.arn, tg_arn, "traffic", f"{l.protocol}:{l.port}"))
            for cond, tg_arn in l.rules:
                g.add_edge(Edge(lb.arn, tg_arn, "traffic", cond))


def _target_edge_label(target_id: str, traffic: Mapping[str, int]) -> str:
    return f"{traffic[target_id]} req" if target_id in traffic else ""


# -- data ------------------------------------------------------------------------------------------

def _db_subnet(g: Graph, snap: Snapshot, subnet_ids: list[str], az: str) -> str:
    for s in snap.subnets:
        if s.subnet_id in subnet_ids and s.availability_zone == az:
            return subnet_cluster(s.subnet_id)
    return "cluster_region"


def _other_az(snap: Snapshot, subnet_ids: list[str], primary: str) -> str:
    """Where a Multi-AZ standby is when the API does not say: the subnet group's first other AZ."""
    return next((s.availability_zone for s in snap.subnets if s.subnet_id in subnet_ids and s.availability_zone != primary), "")


def _data(g: Graph, snap: Snapshot) -> None:
    app = [n.id for n in g.nodes.values() if n.kind == "instance" and
           any(e.dst == n.id and e.src in g.nodes and g.nodes[e.src].kind == "target_group" for e in g.edges)]
    for db in snap.databases:
        where = _db_subnet(g, snap, db.subnet_ids, db.availability_zone)
        g.add_node(Node(db.identifier, "db", f"RDS {db.identifier}\n{db.engine} · {db.status}\n{'primary' if db.multi_az else 'single-AZ'}",
                        where, state=db.status, tooltip=db.endpoint))
        for i in app:
            g.add_edge(Edge(i, db.identifier, "traffic", ""))
        standby_az = db.secondary_availability_zone or _other_az(snap, db.subnet_ids, db.availability_zone)
        if db.multi_az and standby_az:
            sid = f"{db.identifier}-standby"
            g.add_node(Node(sid, "db_standby", f"RDS standby\n{db.identifier}\n(no traffic until failover)",
                            _db_subnet(g, snap, db.subnet_ids, standby_az), state=db.status))
            g.add_edge(Edge(db.identifier, sid, "replication", "sync replication"))


# -- edge services ---------------------------------------------------------------------------------

def _edge_services(g: Graph, snap: Snapshot) -> None:
    g.add_node(Node("user", "user", "Users\n(the internet)"))
    if snap.dns_records or snap.distributions or snap.buckets:
        g.add_cluster(Cluster("cluster_edge", "edge", "Global edge"))
    by_dns = {lb.dns_name.lower().rstrip("."): lb.arn for lb in snap.load_balancers if lb.dns_name}
    by_dns |= {d.domain_name.lower().rstrip("."): d.distribution_id for d in snap.distributions if d.domain_name}
    for b in snap.buckets:
        g.add_node(Node(f"s3:{b.name}", "bucket", f"S3 bucket\n{b.name}", "cluster_edge"))
    for d in snap.distributions:
        g.add_node(Node(d.distribution_id, "cdn", f"CloudFront {d.distribution_id}\n{d.domain_name}", "cluster_edge", state=d.status))
        for pattern, origin in d.paths.items():
            dst = _origin_node(origin, snap, by_dns)
            if dst:
                g.add_edge(Edge(d.distribution_id, dst, "traffic", pattern))
    pointed = set()
    for r in snap.dns_records:
        dst = by_dns.get(r.target.lower().rstrip("."))
        rid = f"dns:{r.name}:{r.type}"
        label = f"Route 53  {r.name.rstrip('.')}\n{r.type}{' alias' if r.alias else ''} →\n{wrap_dns_name(r.target)}"
        g.add_node(Node(rid, "dns", label, "cluster_edge"))
        g.add_edge(Edge("user", rid, "traffic", "DNS"))
        if dst:
            g.add_edge(Edge(rid, dst, "traffic", ""))
            pointed.add(dst)
    for lb in snap.load_balancers:
        if lb.arn not in pointed and lb.scheme == "internet-facing":
            g.add_edge(Edge("user", lb.arn, "traffic", "HTTP"))
    for d in snap.distributions:
        if d.distribution_id not in pointed:
            g.add_edge(Edge("user", d.distribution_id, "traffic", "HTTPS"))


#: A DNS name longer than this many characters is wrapped in a label (never cut).
DNS_LINE = 36


def wrap_dns_name(name: str, width: int = DNS_LINE) -> str:
    """A DNS name whole, over lines: its own first label, then the domain (split at dots only if still long).

    >>> wrap_dns_name("lab-alb-1234567890.ap-northeast-2.elb.amazonaws.com.")
    'lab-alb-1234567890.\\nap-northeast-2.elb.amazonaws.com'
    """
    name = name.rstrip(".")
    if len(name) <= width or "." not in name:
        return name
    first, rest = name.split(".", 1)
    lines = [first + "."]
    for part in rest.split("."):
        if len(lines) > 1 and len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += "." + part
        else:
            lines[-1] += "." if len(lines) > 1 else ""
            lines.append(part)
    return "\n".join(lines)


def _origin_node(origin: str, snap: Snapshot, by_dns: dict[str, str]) -> str | None:
    host = origin.lower().rstrip(".")
    if host in by_dns:
        return by_dns[host]
    for b in snap.buckets:
        if host.startswith(b.name.lower() + ".s3") or host == b.name.lower():
            return f"s3:{b.name}"
    return None



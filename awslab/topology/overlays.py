"""Overlays on the graph: the Auto Scaling control loop, security-group allow edges and route edges."""
from __future__ import annotations

import re

from .graph import Cluster, Edge, Graph, Node, anchor, subnet_cluster
from .records import Snapshot

__all__ = ["scaling", "control", "security_groups", "routes"]


# -- the control loop ------------------------------------------------------------------------------

def scaling(g: Graph, snap: Snapshot) -> None:
    """Each Auto Scaling group, with desired versus in-service capacity (they differ while it scales)."""
    if snap.auto_scaling_groups or snap.alarms or snap.policies:
        g.add_cluster(Cluster("cluster_control", "control", "Auto Scaling · CloudWatch", "cluster_region"))
    states = {i.instance_id: i for i in snap.instances}
    for asg in snap.auto_scaling_groups:
        members = [states[i] for i in asg.instance_ids if i in states]
        in_service = sum(1 for i in members if i.lifecycle_state == "InService")
        label = (f"Auto Scaling group {asg.name}\ndesired {asg.desired_capacity} · in service {in_service}\n"
                 f"min {asg.min_size} · max {asg.max_size} · {asg.health_check_type} checks")
        g.add_node(Node(f"asg:{asg.name}", "asg", label, "cluster_control",
                        state="steady" if in_service == asg.desired_capacity else "scaling", count=in_service))
        for tg in asg.target_group_arns:
            g.add_edge(Edge(f"asg:{asg.name}", tg, "control", "registers"))


def control(g: Graph, snap: Snapshot) -> None:
    """The loop that scales: alarm -> scaling policy -> Auto Scaling group."""
    for p in snap.policies:
        pid = f"policy:{p.auto_scaling_group}:{p.policy_name}"
        g.add_node(Node(pid, "policy", f"Scaling policy {p.policy_name}\n{p.policy_type}{' · ' + p.summary if p.summary else ''}",
                        "cluster_control"))
        g.add_edge(Edge(pid, f"asg:{p.auto_scaling_group}", "control", "adjusts desired"))
    arns = {p.arn: f"policy:{p.auto_scaling_group}:{p.policy_name}" for p in snap.policies if p.arn}
    for a in snap.alarms:
        aid = f"alarm:{a.alarm_name}"
        short = re.sub(r"-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$", "", a.alarm_name)  # target tracking adds a UUID
        g.add_node(Node(aid, "alarm", f"Alarm {short}\n{a.metric} {a.threshold}\n{a.state}".replace("\n\n", "\n"),
                        "cluster_control", state=a.state, tooltip=a.alarm_name))
        for arn in a.action_arns:
            if arn in arns:
                g.add_edge(Edge(aid, arns[arn], "control", "triggers"))


# -- optional layers -------------------------------------------------------------------------------

def _sg_members(g: Graph, snap: Snapshot) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {}
    pairs = [(i.instance_id, i.security_group_ids) for i in snap.instances]
    pairs += [(lb.arn, lb.security_group_ids) for lb in snap.load_balancers]
    pairs += [(d.identifier, d.security_group_ids) for d in snap.databases]
    for node_id, groups in pairs:
        if node_id in g.nodes:
            for sg in groups:
                members.setdefault(sg, []).append(node_id)
    return members


def security_groups(g: Graph, snap: Snapshot) -> None:
    members = _sg_members(g, snap)
    for sg in snap.security_groups:
        for rule in sg.inbound:
            sources = members.get(rule.source_group_id, []) if rule.source_group_id else (["user"] if rule.cidr == "0.0.0.0/0" else [])
            for src in sources:
                for dst in members.get(sg.group_id, []):
                    if src != dst:
                        g.add_edge(Edge(src, dst, "sg", f"{sg.group_name} allows {rule.port}"))


def routes(g: Graph, snap: Snapshot) -> None:
    for s in snap.subnets:
        if s.default_route in g.nodes:
            g.add_edge(Edge(anchor(subnet_cluster(s.subnet_id)), s.default_route, "route", "0.0.0.0/0"))
    igws = {gw.vpc_id: gw.gateway_id for gw in snap.gateways if gw.kind == "internet"}
    for gw in snap.gateways:
        if gw.kind == "nat":
            vpc = next((s.vpc_id for s in snap.subnets if s.subnet_id == gw.subnet_id), gw.vpc_id)
            if vpc in igws:
                g.add_edge(Edge(gw.gateway_id, igws[vpc], "route", "out"))

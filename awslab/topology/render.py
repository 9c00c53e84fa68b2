"""Draw a :class:`~awslab.topology.model.Graph` as DOT, then as SVG or PNG.

The layout is made to read like the diagrams in AWS's own documentation:
the Region holds the VPC, the VPC holds the AZs **side by side**, and in each
AZ the **public subnet sits above the private ones** (rank constraints on each
subnet's invisible anchor node). Colours say health; a legend says which is which.
"""
from __future__ import annotations

import math

import graphviz

from ..i18n import N_, _
from .engine import render_dot
from .focus import core
from .model import Graph, Node, TIER_ORDER, anchor

__all__ = ["to_dot", "render", "dot_id", "STATE_STYLE", "legend"]

FONT = "Helvetica"
#: fill, border, border style. Target health states are ELB's; the rest are EC2's, CloudWatch's and ours.
STATE_STYLE: dict[str, tuple[str, str, str]] = {
    "healthy": ("#c8e6c9", "#2e7d32", "solid"),
    "running": ("#e3f2fd", "#1565c0", "solid"),
    "initial": ("#fff59d", "#f9a825", "dashed"),
    "pending": ("#fff59d", "#f9a825", "dashed"),
    "unhealthy": ("#ffcdd2", "#c62828", "bold"),
    "draining": ("#ffe0b2", "#ef6c00", "dashed"),
    "unused": ("#eeeeee", "#757575", "dotted"),
    "unavailable": ("#e1bee7", "#6a1b9a", "dashed"),
    "stopping": ("#e0e0e0", "#616161", "dashed"),
    "stopped": ("#e0e0e0", "#616161", "dotted"),
    "shutting-down": ("#e0e0e0", "#616161", "dashed"),
    "terminated": ("#f5f5f5", "#9e9e9e", "dotted"),
    "OK": ("#c8e6c9", "#2e7d32", "solid"),
    "ALARM": ("#ffcdd2", "#c62828", "bold"),
    "INSUFFICIENT_DATA": ("#eeeeee", "#757575", "dashed"),
    "steady": ("#e3f2fd", "#1565c0", "solid"),
    "scaling": ("#fff59d", "#f9a825", "bold"),
}
KIND_STYLE: dict[str, dict[str, str]] = {
    "user": {"shape": "oval", "fillcolor": "#ffffff"},
    "dns": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ede7f6", "color": "#5e35b1"},
    "cdn": {"shape": "hexagon", "style": "filled", "fillcolor": "#ede7f6", "color": "#5e35b1"},
    "bucket": {"shape": "folder", "style": "filled", "fillcolor": "#e8f5e9", "color": "#2e7d32"},
    "igw": {"shape": "invhouse", "style": "filled", "fillcolor": "#ffffff", "color": "#5e35b1"},
    "nat": {"shape": "invtrapezium", "style": "filled", "fillcolor": "#ffffff", "color": "#5e35b1"},
    "alb": {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#ede7f6", "color": "#5e35b1"},
    "target_group": {"shape": "tab", "style": "filled", "fillcolor": "#f3e5f5", "color": "#6a1b9a"},
    "instance": {"shape": "box", "style": "rounded,filled"},
    "bastion": {"shape": "box", "style": "rounded,filled,dashed", "fillcolor": "#fff8e1"},
    "asg": {"shape": "box3d", "style": "filled"},
    "policy": {"shape": "note", "style": "filled", "fillcolor": "#fce4ec", "color": "#ad1457"},
    "alarm": {"shape": "octagon", "style": "filled", "margin": "0.02,0.02"},
    "db": {"shape": "cylinder", "style": "filled", "fillcolor": "#e3f2fd", "color": "#1565c0"},
    "db_standby": {"shape": "cylinder", "style": "filled,dashed", "fillcolor": "#f5f5f5", "color": "#1565c0"},
}
CLUSTER_STYLE: dict[str, dict[str, str]] = {
    "region": {"style": "dashed", "color": "#607d8b", "fontcolor": "#37474f"},
    "vpc": {"style": "solid", "color": "#8c4fff", "penwidth": "1.6", "fontcolor": "#5e35b1"},
    "az": {"style": "dashed", "color": "#147eba", "fontcolor": "#147eba"},
    "public": {"style": "filled", "color": "#7aa116", "fillcolor": "#f2f6e8", "fontcolor": "#33691e"},
    "app": {"style": "filled", "color": "#00a4a6", "fillcolor": "#e6f6f7", "fontcolor": "#00695c"},
    "db": {"style": "filled", "color": "#00a4a6", "fillcolor": "#e0f2f1", "fontcolor": "#00695c"},
    "edge": {"style": "dashed", "color": "#8c4fff", "fontcolor": "#5e35b1"},
    "control": {"style": "filled", "color": "#e7157b", "fillcolor": "#fdf0f6", "fontcolor": "#ad1457"},
    "legend": {"style": "filled", "color": "#9e9e9e", "fillcolor": "#fafafa", "fontcolor": "#424242"},
}
EDGE_STYLE: dict[str, dict[str, str]] = {
    "traffic": {"color": "#37474f", "penwidth": "1.4"},
    "control": {"color": "#e7157b", "style": "dashed", "fontcolor": "#ad1457"},
    "sg": {"color": "#d13212", "style": "dotted", "fontcolor": "#d13212", "constraint": "false"},
    "route": {"color": "#7aa116", "style": "dashed", "fontcolor": "#33691e", "constraint": "false"},
    "replication": {"color": "#1565c0", "style": "dashed", "fontcolor": "#1565c0", "constraint": "false"},
}


#: Outside the focused layer: grey, lighter, thinner; same size and place, so the text stays as legible.
DIMMED = {"fillcolor": "#f7f7f7", "color": "#c8c8c8", "fontcolor": "#8c8c8c"}
#: The SVG class of the focused layer's own boxes: the notebook view scrolls to them.
FOCUSED = "awslab_focus"  # Graphviz writes a "-" in a class as &#45;
DIMMED_EDGE = {"color": "#d0d0d0", "fontcolor": "#a0a0a0", "penwidth": "1"}


def _dim(attrs: dict[str, str], dimmed: bool, edge: bool = False) -> dict[str, str]:
    """``attrs`` greyed out when ``dimmed`` (a bold border loses its weight; a dashed one keeps its dashes)."""
    if not dimmed:
        return attrs
    style = ",".join(x for x in attrs.get("style", "").split(",") if x and x != "bold")
    grey = DIMMED_EDGE if edge else {k: v for k, v in DIMMED.items() if k != "fillcolor" or "filled" in style}
    out = {**attrs, **grey}
    return {**out, "style": style} if style else {k: v for k, v in out.items() if k != "style"}


def dot_id(node_id: str) -> str:
    """A DOT-safe id (DOT reads ``a:b`` as node ``a``, port ``b``): an ARN keeps its resource part."""
    if node_id.startswith("arn:"):
        node_id = node_id.split(":", 5)[-1]
    return node_id.replace(":", "_")


def _node_attrs(n: Node) -> dict[str, str]:
    attrs = {"fontname": FONT, "fontsize": "10", "margin": "0.14,0.06", **KIND_STYLE.get(n.kind, {})}
    if n.kind == "anchor":
        return {"shape": "point", "style": "invis", "width": "0.01", "label": ""}
    if n.state in STATE_STYLE and n.kind in ("instance", "bastion", "alarm", "asg", "target_group"):
        fill, border, style = STATE_STYLE[n.state]
        base = [s for s in attrs.get("style", "filled").split(",") if s not in ("solid", "dashed", "dotted", "bold")]
        attrs.update(fillcolor=fill, color=border, style=",".join(dict.fromkeys(base + ["filled", style])))
        if n.kind == "target_group":  # the group keeps its own colour; only the border says health
            attrs.update(fillcolor="#f3e5f5")
    if n.tooltip:
        attrs["tooltip"] = n.tooltip
    attrs["label"] = n.label
    return _dim(attrs, n.dimmed)


def _edge_attrs(e, nodes) -> dict[str, str]:
    attrs = {"fontname": FONT, "fontsize": "9", **EDGE_STYLE.get(e.kind, {})}
    if e.label:
        attrs["label"] = e.label
    if e.state in STATE_STYLE and e.kind == "traffic":
        _, border, style = STATE_STYLE[e.state]
        attrs.update(color=border, style="solid" if style == "bold" else style)
    if e.count:
        attrs["penwidth"] = f"{1.2 + min(5.0, math.log10(1 + e.count)):.1f}"
    dst = nodes.get(e.dst)
    if dst is not None and dst.kind == "db":
        # Ranks already hold the DB under the app tier; letting these edges also order the
        # rank flips the AZs (the DB sits in one AZ), so AZ a would no longer be left of AZ b.
        attrs["constraint"] = "false"
    src = nodes.get(e.src)
    if src is not None and src.kind == "asg" and e.kind == "control":
        # ASG -> target group would put the whole VPC below the control loop's last rank;
        # without it the two sit side by side.
        attrs["constraint"] = "false"
    if src is not None and src.kind == "anchor":
        attrs["ltail"] = src.cluster
    return _dim(attrs, e.dimmed, edge=True)


def _add_cluster(dot: graphviz.Digraph, g: Graph, cluster_id: str | None, focused: set[str] | None = None) -> None:
    focused = core(g) if focused is None else focused
    for n in g.children(cluster_id):
        mark = {"class": FOCUSED} if n.id in focused else {}
        dot.node(dot_id(n.id), **_node_attrs(n), **mark)
    for c in sorted(g.subclusters(cluster_id), key=lambda c: (c.az, TIER_ORDER.get(c.tier, 1))):
        with dot.subgraph(name=c.id) as sub:
            style = _dim(CLUSTER_STYLE.get(c.tier or c.kind, {}), c.dimmed)
            sub.attr(label=c.label, fontname=FONT + ("-Bold" if c.kind in ("vpc", "az", "region") else ""),
                     fontsize="11" if c.kind != "subnet" else "9", labeljust="l", margin="12", **style)
            _add_cluster(sub, g, c.id, focused)


def _same_rank(dot: graphviz.Digraph, ids: list[str]) -> None:
    if len(ids) > 1:
        with dot.subgraph() as same:
            same.attr(rank="same")
            for i in ids:
                same.node(i)


def _rank_constraints(dot: graphviz.Digraph, g: Graph) -> None:
    """Public subnets above private ones, AZs side by side, the ALB above the AZs.

    Each subnet's nodes share a rank with its anchor; same-tier anchors share a rank
    across AZs; invisible edges chain public -> app -> db inside each AZ.
    """
    tiers: dict[str, list[str]] = {}
    per_az: dict[str, dict[int, str]] = {}
    for c in g.clusters.values():
        if c.kind == "subnet":
            a = dot_id(anchor(c.id))
            tiers.setdefault(c.tier, []).append(a)  # clusters are in AZ order (model sorts subnets)
            per_az.setdefault(c.az, {}).setdefault(TIER_ORDER.get(c.tier, 1), a)
            _same_rank(dot, [a] + [dot_id(n.id) for n in g.children(c.id) if n.kind != "anchor"])
    for ids in tiers.values():
        _same_rank(dot, ids)
        for a, b in zip(ids, ids[1:]):  # a flat edge puts AZ a left of AZ b
            dot.edge(a, b, style="invis")
    for by_tier in per_az.values():
        chain = [by_tier[k] for k in sorted(by_tier)]
        for a, b in zip(chain, chain[1:]):
            dot.edge(a, b, style="invis", weight="10")
    top = tiers.get("public") or tiers.get("app") or []
    kinds = {"igw": [], "alb": [], "target_group": []}
    for n in g.nodes.values():
        if n.kind in kinds:
            kinds[n.kind].append(dot_id(n.id))
    _same_rank(dot, kinds["alb"] + kinds["target_group"])
    for gw in kinds["igw"]:
        for x in kinds["alb"] or top:
            dot.edge(gw, x, style="invis")
    for x in kinds["alb"] + kinds["target_group"]:
        for a in top:
            dot.edge(x, a, style="invis")


#: Alarms side by side make the picture wide (a full lab has five); more wrap onto another row.
ALARMS_PER_ROW = 2


def _wrap_alarms(dot: graphviz.Digraph, g: Graph) -> None:
    """At most :data:`ALARMS_PER_ROW` alarms a row (an invisible edge puts each one under the one a row before)."""
    ids = [dot_id(n.id) for n in g.nodes.values() if n.kind == "alarm"]
    for a, b in zip(ids, ids[ALARMS_PER_ROW:]):
        dot.edge(a, b, style="invis")


def legend(dot: graphviz.Digraph, layers: tuple[str, ...] = ("traffic", "control"), above: list[str] | None = None) -> None:
    """A legend cluster: the health colours, the alarm states and the kinds of arrows, one row each.

    ``above`` are nodes the legend is drawn below (invisible edges keep it at the bottom).
    """
    rows = [["healthy", "initial", "unhealthy", "draining", "unused"], ["running", "pending", "stopped", "scaling"],
            ["OK", "ALARM", "INSUFFICIENT_DATA"]]
    words = {"traffic": _("request path"), "control": _("alarm → policy → ASG"), "sg": _("security group allows"),
             "route": _("default route")}
    shown = ["traffic"] + [k for k, layer in (("control", "control"), ("sg", "security_groups"), ("route", "routes"))
                           if layer in layers]
    with dot.subgraph(name="cluster_legend") as lg:
        lg.attr(label=_("Legend: fill = health / state, arrow = relation"), fontname=FONT + "-Bold", fontsize="10",
                labeljust="l", margin="8", **CLUSTER_STYLE["legend"])
        firsts = []
        for title, row in zip((N_("target health"), N_("EC2 · ASG"), N_("alarm")), rows):
            head = f"legend_row_{title.split()[0]}"
            lg.node(head, label=_(title), shape="plaintext", fontname=FONT + "-Bold", fontsize="9", width="1.1")
            ids = [f"legend_{s}" for s in row]
            for s, nid in zip(row, ids):
                fill, border, style = STATE_STYLE[s]
                lg.node(nid, label=s, shape="box", style=f"rounded,filled,{style}", fillcolor=fill, color=border,
                        fontname=FONT, fontsize="9", height="0.3", margin="0.08,0.03")
            _same_rank(lg, [head] + ids)
            for a, b in zip([head] + ids, ids):  # keep each row in reading order
                lg.edge(a, b, style="invis")
            firsts.append(head)
        arrows = []
        for kind in shown:
            a, b = f"legend_{kind}_a", f"legend_{kind}_b"
            lg.node(a, label="", shape="point", width="0.04")
            lg.node(b, label=words[kind], shape="plaintext", fontname=FONT, fontsize="9", height="0.2")
            lg.edge(a, b, minlen="2", **{k: v for k, v in EDGE_STYLE[kind].items() if k != "constraint"})
            arrows.append(a)
            _same_rank(lg, [a, b])
        firsts.append(arrows[0])
        for a, b in zip(arrows, arrows[1:]):
            lg.edge(a, b, style="invis")
        for a, b in zip(firsts, firsts[1:]):
            lg.edge(a, b, style="invis")
    for x in above or []:
        dot.edge(x, firsts[0], style="invis")


def to_dot(g: Graph, show_legend: bool = True) -> str:
    """The DOT source for ``g`` (deterministic: the same graph gives the same text)."""
    dot = graphviz.Digraph("topology")
    dot.attr(compound="true", newrank="true", rankdir="TB", nodesep="0.3", ranksep="0.45", fontname=FONT,
             bgcolor="white", pad="0.2")
    if g.title:
        dot.attr(label=g.title, labelloc="t", fontsize="14", fontname=FONT + "-Bold")
    _add_cluster(dot, g, None)
    _rank_constraints(dot, g)
    _wrap_alarms(dot, g)
    if show_legend:
        bottom = [dot_id(anchor(c.id)) for c in g.clusters.values() if c.kind == "subnet" and c.tier == "db"] or \
                 [dot_id(anchor(c.id)) for c in g.clusters.values() if c.kind == "subnet"]
        legend(dot, g.layers, bottom)
    for e in g.edges:
        dot.edge(dot_id(e.src), dot_id(e.dst), **_edge_attrs(e, g.nodes))
    return dot.source


def render(g: Graph | str, format: str = "svg", show_legend: bool = True) -> bytes:
    """SVG or PNG bytes for a graph (or for DOT source text)."""
    source = g if isinstance(g, str) else to_dot(g, show_legend)
    return render_dot(source, format)

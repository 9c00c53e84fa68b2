"""Focus: draw the layer a lab is about in full, and everything else dimmed.

A whole architecture is a lot to read at once. ``topology(lab, focus="loadbalancing")``
keeps the same layout (so the picture a student saw in the last lab still matches)
but draws only the load-balancing layer's boxes and arrows in colour: the ALB,
its target groups, and the arrows from them to their targets (with those targets,
the other end of each arrow). The rest stays where it is, in light grey.

The focus names are the build layers' names (:data:`awslab.layers._base.LAYERS`),
except ``keys``: a key pair is not drawn.
"""
from __future__ import annotations

from .graph import Edge, Graph

__all__ = ["FOCUSES", "OVERLAY", "check_focus", "apply_focus", "core"]

#: Which node kinds belong to which layer.
KINDS: dict[str, tuple[str, ...]] = {
    "network": ("igw", "nat", "anchor"),
    "security": (),
    "bastion": ("bastion",),
    "database": ("db", "db_standby"),
    "compute": ("instance",),
    "loadbalancing": ("alb", "target_group"),
    "autoscaling": ("asg",),
    "scaling": ("policy", "alarm", "asg"),
    "edge": ("user", "dns", "cdn", "bucket"),
}
#: The layers a focus can name, in build order.
FOCUSES = tuple(KINDS)
#: A focus that has its own arrows turns on the overlay that draws them.
OVERLAY = {"security": "security_groups", "network": "routes", "scaling": "control"}
#: Cluster kinds that belong to a layer (the rest are dimmed with it).
CLUSTERS = {"network": ("region", "vpc", "az", "subnet"), "edge": ("edge",), "scaling": ("control",),
            "autoscaling": ("control",)}


def check_focus(focus: str | None) -> str | None:
    """``focus`` if it names a layer that is drawn, else a :class:`ValidationError` naming the ones that are."""
    if focus is None or focus in FOCUSES:
        return focus
    from ..errors import ValidationError
    from ..i18n import _

    raise ValidationError("focus", focus, _("the layers a topology can focus on are {layers}").format(
        layers=", ".join(FOCUSES)), _('Pick one of them, e.g. lab.topology(focus="network"), or leave focus out.'))


def _edge_in(e: Edge, focus: str, kinds: tuple[str, ...], g: Graph) -> bool:
    """Is this arrow part of the focused layer?"""
    src, dst = g.nodes[e.src].kind, g.nodes[e.dst].kind
    by_kind = {"security": "sg", "network": "route", "scaling": "control"}
    if e.kind == by_kind.get(focus):
        return True
    if focus == "autoscaling":
        return src == "asg"
    if focus == "database":
        return dst in kinds
    return e.kind == "traffic" and src in kinds


def apply_focus(g: Graph, focus: str | None) -> Graph:
    """Mark what lies outside ``focus`` as dimmed (in place; returns ``g``). ``None`` dims nothing.

    A node is drawn in full if its kind is the layer's, or if it is either end of one of
    the layer's arrows: ``focus="database"`` shows the app servers that call the database.
    """
    focus = check_focus(focus)
    g.focus = focus or ""
    if not focus:
        return g
    kinds = KINDS[focus]
    shown = {n.id for n in g.nodes.values() if n.kind in kinds}
    if focus == "autoscaling":  # the group's instances, though no arrow joins them to it
        shown |= {n.id for n in g.nodes.values() if n.asg}
    for e in g.edges:
        e.dimmed = not _edge_in(e, focus, kinds, g)
        if not e.dimmed:
            shown |= {e.src, e.dst}
    for n in g.nodes.values():
        n.dimmed = n.id not in shown
    for c in g.clusters.values():
        c.dimmed = c.kind not in CLUSTERS.get(focus, ())
    return g


def core(g: Graph) -> set[str]:
    """The focused layer's own boxes (not the ends of its arrows): where a notebook view opens.

    A layer drawn only as arrows (``security``) has none of its own, so it is every box in full.
    """
    if not g.focus:
        return set()
    own = {n.id for n in g.nodes.values() if n.kind in KINDS[g.focus] and n.kind != "anchor"}
    return own or {n.id for n in g.nodes.values() if not n.dimmed and n.kind != "anchor"}

"""Live topology: draw what is running, from the AWS APIs, coloured by health.

    >>> from awslab.topology import topology, live
    >>> topology(lab)                        # shows inline in JupyterLab
    >>> topology(lab).save("arch.png")       # or .svg
    >>> topology(lab, focus="network")       # the network layer in full, the rest dimmed
    >>> w = live(lab); w                     # redraws about once a second during a drill
    >>> w.stop()

Four parts, each usable alone:

- :mod:`~awslab.topology.discover` reads the APIs (a probe; changes nothing),
- :mod:`~awslab.topology.model` turns what it found into a graph (no drawing),
- :mod:`~awslab.topology.render` draws the graph with Graphviz (SVG, PNG),
- :mod:`~awslab.topology.widget` keeps a notebook picture up to date.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping

from .discover import SCOPES, discover
from .focus import FOCUSES, check_focus
from .model import DEFAULT_LAYERS, LAYERS, Graph, build_model
from .records import Snapshot
from .render import render, to_dot
from ..i18n import _

if TYPE_CHECKING:
    from ..lab import Lab
    from .widget import LiveTopology

__all__ = ["Topology", "topology", "live", "discover", "build_model", "render", "to_dot", "Snapshot", "Graph",
           "LAYERS", "DEFAULT_LAYERS", "SCOPES", "FOCUSES"]


@dataclass
class Topology:
    """One drawn moment: the snapshot, its graph, and the picture (SVG inline in notebooks)."""

    snapshot: Snapshot
    graph: Graph

    def dot(self) -> str:
        """The Graphviz DOT source."""
        return to_dot(self.graph)

    def svg(self) -> bytes:
        return render(self.graph, "svg")

    def png(self) -> bytes:
        return render(self.graph, "png")

    def save(self, path: str | Path) -> Path:
        """Write ``.svg``, ``.png`` or ``.dot``, chosen by the file's extension."""
        path = Path(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in ("svg", "png", "dot"):
            from ..errors import ValidationError

            raise ValidationError("path", str(path), _("the file must end in .svg, .png or .dot"), _("Name it e.g. topology.svg."))
        path.write_bytes(self.dot().encode() if fmt == "dot" else render(self.graph, fmt))
        return path

    def _repr_svg_(self) -> str:
        return self.svg().decode()

    def _repr_html_(self) -> str:
        """The SVG at its natural size in a box that pans and zooms (JupyterLab prefers HTML to SVG)."""
        from .widget import svg_html

        return svg_html(self.svg())

    def __repr__(self) -> str:
        s = self.snapshot
        return (f"Topology({len(s.vpcs)} VPC, {len(s.subnets)} subnets, {len(s.instances)} instances, "
                f"{len(s.load_balancers)} ALB, {len(s.auto_scaling_groups)} ASG, {len(s.databases)} DB)")


def topology(lab: "Lab", scope: str = "lab", layers: Iterable[str] = DEFAULT_LAYERS,
             traffic: Mapping[str, int] | None = None, title: str | None = None, focus: str | None = None) -> Topology:
    """Discover ``lab``'s resources (or the whole account with ``scope="account"``) and draw them.

    ``layers`` adds ``"security_groups"`` and/or ``"routes"`` edges; ``traffic`` maps
    a target id to the requests it served and is drawn on the arrows. ``focus`` names the
    layer a lab is about (one of :data:`FOCUSES`): it is drawn in full and the rest in grey.
    """
    focus = check_focus(focus)  # before discovery: a typo costs no API calls
    snap = discover(lab, scope)
    name = title if title is not None else f"awslab '{lab.name}' · {lab.region}" + (" · " + _("whole account") if scope == "account" else "")
    name += " · " + _("focus: {focus}").format(focus=focus) if focus and title is None else ""
    return Topology(snap, build_model(snap, layers, traffic, name, focus))


def live(lab: "Lab", scope: str = "lab", layers: Iterable[str] = DEFAULT_LAYERS, traffic=None, interval: float = 1.0,
         start: bool = True, focus: str | None = None) -> "LiveTopology":
    """A notebook widget that rediscovers and redraws every ``interval`` seconds; ``.stop()`` ends it."""
    from .widget import LiveTopology

    title = f"awslab '{lab.name}' · {lab.region}"
    w = LiveTopology(lambda: discover(lab, scope), traffic, tuple(layers), interval, title, focus)
    return w.start() if start else w

"""The graph the model builds and the renderer draws: clusters, nodes and edges, nothing about pixels."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

__all__ = ["Node", "Cluster", "Edge", "Graph", "LAYERS", "DEFAULT_LAYERS", "TARGET_STATES", "TIER_ORDER", "target_state",
           "subnet_cluster", "anchor"]

#: Layers a graph can show. ``traffic`` and ``control`` are on by default.
LAYERS = ("traffic", "control", "security_groups", "routes")
DEFAULT_LAYERS = ("traffic", "control")
#: ELB target health states, worst first: an instance in several target groups shows its worst state.
#: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html#target-health-states
TARGET_STATES = ("unhealthy", "draining", "unavailable", "initial", "unused", "healthy")
TIER_ORDER = {"public": 0, "app": 1, "db": 2}


@dataclass
class Node:
    """One box. ``kind`` picks its shape; ``state`` picks its colour."""

    id: str
    kind: str
    label: str
    cluster: str | None = None
    state: str = ""
    tooltip: str = ""
    count: int | None = None
    asg: str = ""  # the Auto Scaling group an instance belongs to
    dimmed: bool = False  # outside the focused layer (see awslab.topology.focus)


@dataclass
class Cluster:
    """A box around boxes: region, vpc, az, subnet (with ``tier``), or a group of services."""

    id: str
    kind: str
    label: str
    parent: str | None = None
    tier: str = ""
    az: str = ""
    dimmed: bool = False


@dataclass
class Edge:
    """An arrow. ``kind``: traffic | control | sg | route | replication | invisible."""

    src: str
    dst: str
    kind: str = "traffic"
    label: str = ""
    state: str = ""
    count: int | None = None
    dimmed: bool = False


@dataclass
class Graph:
    """Clusters, nodes and edges, plus the layers they were built with."""

    title: str = ""
    clusters: dict[str, Cluster] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    layers: tuple[str, ...] = DEFAULT_LAYERS
    focus: str = ""  # the layer drawn in full; the rest is dimmed

    def add_cluster(self, c: Cluster) -> Cluster:
        return self.clusters.setdefault(c.id, c)

    def add_node(self, n: Node) -> Node:
        return self.nodes.setdefault(n.id, n)

    def add_edge(self, e: Edge) -> None:
        if e.src in self.nodes and e.dst in self.nodes and not self.has_edge(e.src, e.dst, e.kind):
            self.edges.append(e)

    def has_edge(self, src: str, dst: str, kind: str | None = None) -> bool:
        return any(e.src == src and e.dst == dst and (kind is None or e.kind == kind) for e in self.edges)

    def children(self, cluster_id: str | None) -> list[Node]:
        return [n for n in self.nodes.values() if n.cluster == cluster_id]

    def subclusters(self, cluster_id: str | None) -> list[Cluster]:
        return [c for c in self.clusters.values() if c.parent == cluster_id]

    def path(self, src: str, dst: str, kind: str = "traffic") -> bool:
        """Is there a chain of ``kind`` edges from ``src`` to ``dst``?"""
        seen, todo = set(), [src]
        while todo:
            here = todo.pop()
            if here == dst:
                return True
            seen.add(here)
            todo += [e.dst for e in self.edges if e.src == here and e.kind == kind and e.dst not in seen]
        return False

    def signature(self) -> tuple:
        """A hashable summary (ids, labels, states, edges): equal signatures draw the same picture."""
        return (tuple(sorted((n.id, n.label, n.state, n.cluster or "", n.dimmed) for n in self.nodes.values())),
                tuple(sorted((c.id, c.label, c.dimmed) for c in self.clusters.values())),
                tuple(sorted((e.src, e.dst, e.kind, e.label, e.state, e.dimmed) for e in self.edges)))


def target_state(states: Iterable[str]) -> str:
    """The worst of several target health states ("" when there are none)."""
    states = [s for s in states if s]
    return min(states, key=lambda s: TARGET_STATES.index(s) if s in TARGET_STATES else 0) if states else ""


def subnet_cluster(subnet_id: str) -> str:
    return f"cluster_{subnet_id}"


def anchor(cluster_id: str) -> str:
    """The invisible node every subnet holds, so empty subnets still show and edges can end at a subnet."""
    return f"anchor_{cluster_id}"

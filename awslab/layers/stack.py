"""The whole stack, layer by layer, in the order a person builds it.

    user -> Route 53 -> ALB -> Auto Scaling group -> EC2 instances -> RDS

``build_stack(lab)`` runs every layer; ``build_stack(lab, until="loadbalancing")``
stops after that layer, and ``skip=("database",)`` leaves a layer out (the course
does, where a later lab teaches it). Each layer is idempotent, so running it again only
fills in what is missing - which is also how a build interrupted halfway is
resumed.
"""
from __future__ import annotations

import html
import importlib
from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationError
from ..lab import Lab

__all__ = ["LAYERS", "StackSpec", "Stack", "build_stack"]

#: The layers in build order. The database comes before the launch template
#: because the web app's user data needs the database's address.
LAYERS = ("network", "security", "keys", "bastion", "database", "compute", "loadbalancing", "autoscaling", "scaling", "edge")


@dataclass
class StackSpec:
    """Settings for every layer; ``None`` means that layer's defaults (the seed's architecture)."""

    network: Any = None
    security: Any = None
    keys: Any = None
    bastion: Any = None
    database: Any = None
    compute: Any = None
    loadbalancing: Any = None
    autoscaling: Any = None
    scaling: Any = None
    edge: Any = None


@dataclass
class Stack:
    """What the build produced, layer by layer (a layer not built yet is ``None``)."""

    network: Any = None
    security: Any = None
    keys: Any = None
    bastion: Any = None
    database: Any = None
    compute: Any = None
    loadbalancing: Any = None
    autoscaling: Any = None
    scaling: Any = None
    edge: Any = None
    created: list[str] = field(default_factory=list)

    def layers(self) -> list[tuple[str, Any]]:
        return [(name, getattr(self, name)) for name in LAYERS if getattr(self, name) is not None]

    def _repr_html_(self) -> str:
        parts = [f"<h4>{html.escape(name)}</h4>{result._repr_html_()}" for name, result in self.layers()]
        return "".join(parts) + f"<p>{len(self.created)} resources created by this run.</p>"

    def __str__(self) -> str:
        return "\n".join(f"{name}: {result!r}" for name, result in self.layers())


def _layer_index(until: str | None) -> int:
    if until is None:
        return len(LAYERS) - 1
    if until not in LAYERS:
        raise ValidationError("until", until, f"there is no layer by that name; the layers are {', '.join(LAYERS)}",
                              "Pick one of the layer names, in build order.")
    return LAYERS.index(until)


def build_stack(lab: Lab, spec: StackSpec | None = None, until: str | None = None, skip: tuple[str, ...] = ()) -> Stack:
    """Build the layers in order, up to and including ``until``, except those in ``skip``. Returns a :class:`Stack`.

    A skipped layer stays ``None``: the launch template is then built without a database (its app's /products
    answers 503 until a database exists), which is how the course leaves lab 09's tasks to lab 09.
    """
    spec = spec or StackSpec()
    last = _layer_index(until)
    for name in skip:
        _layer_index(name)
    s = Stack()
    def layer(module: str) -> Any:  # import a layer only when it is built
        return importlib.import_module(f"{__package__}.{module}")

    steps = {
        "network": lambda: layer("network").build_network(lab, spec.network),
        "security": lambda: layer("security").build_security(lab, s.network, spec.security),
        "keys": lambda: layer("keys").create_key_pair(lab, spec.keys),
        "bastion": lambda: layer("bastion").build_bastion(lab, s.network, s.security, s.keys, spec.bastion),
        "database": lambda: layer("database").build_database(lab, s.network, s.security, spec.database),
        "compute": lambda: layer("compute").build_launch_template(lab, s.security, s.keys, spec.compute, database=s.database),
        "loadbalancing": lambda: layer("loadbalancing").build_load_balancer(lab, s.network, s.security, spec.loadbalancing),
        "autoscaling": lambda: layer("autoscaling").build_auto_scaling_group(lab, s.network, s.compute, s.loadbalancing, spec.autoscaling),
        "scaling": lambda: layer("scaling").build_scaling_policies(lab, s.autoscaling, s.loadbalancing, spec.scaling),
        "edge": lambda: layer("edge").build_edge(lab, s.loadbalancing, spec.edge),
    }
    for name in LAYERS[: last + 1]:
        if name in skip:
            continue
        result = steps[name]()
        setattr(s, name, result)
        s.created += list(getattr(result, "created", []) or [])
    return s

"""The whole stack, layer by layer, in the order a person builds it.

    user -> Route 53 -> ALB -> Auto Scaling group -> EC2 instances -> RDS

``build_stack(lab)`` runs every layer; ``build_stack(lab, until="loadbalancing")``
stops after that layer, and ``skip=("database",)`` leaves a layer out (the course
does, where a later lab teaches it). Each layer is idempotent, so running it again only
fills in what is missing - which is also how a build interrupted halfway is
resumed.

Every layer's spec is checked before the first call that creates anything
(:func:`check_stack`): a bad value in the last layer stops the build before
the VPC exists, and the error names the field as you wrote it.
"""
from __future__ import annotations

import html
import importlib
from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationError
from ..lab import Lab
from ._base import LAYERS
from ..i18n import _

__all__ = ["LAYERS", "StackSpec", "Stack", "build_stack", "check_stack"]


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
        return "".join(parts) + "<p>" + _("{n} resources created by this run.").format(n=len(self.created)) + "</p>"

    def __str__(self) -> str:
        return "\n".join(f"{name}: {result!r}" for name, result in self.layers())


def _layer_index(until: str | None) -> int:
    if until is None:
        return len(LAYERS) - 1
    if until not in LAYERS:
        raise ValidationError("until", until, _("there is no layer by that name; the layers are {items}").format(
            items=', '.join(LAYERS)),
                              _("Pick one of the layer names, in build order."))
    return LAYERS.index(until)


def _layer(module: str) -> Any:
    """A layer's module, imported only when it is checked or built."""
    return importlib.import_module(f"{__package__}.{module}")


def check_stack(lab: Lab, spec: StackSpec | None = None, until: str | None = None) -> StackSpec:
    """Check every layer's spec up to ``until`` before anything is created; return the specs with the defaults filled in.

    Probes only (the region's AZs, whether an instance type or an image exists): nothing is created. Where a layer
    depends on another (the database's port on the db security group's, the alarms' names on the group's), it is
    checked against that layer's spec, as the build will use it.
    """
    if spec is not None and not isinstance(spec, StackSpec):
        raise ValidationError("spec", spec, _("it must be a StackSpec, or None for the seed's architecture"),
                              _("Pass StackSpec(loadbalancing=LoadBalancerSpec(...), ...) with the layers to change."))
    given, out = spec or StackSpec(), StackSpec()
    for name in LAYERS[: _layer_index(until) + 1]:
        setattr(out, name, _check_layer(lab, name, getattr(given, name), out))
    return out


def _check_layer(lab: Lab, name: str, value: Any, out: StackSpec) -> Any:
    """One layer's spec, checked against the specs of the layers before it (in ``out``); returns it with its defaults."""
    module = _layer(name)
    if name in ("security", "edge"):
        checked = module.check_spec(value)
    elif name == "database":
        checked = module.check_spec(lab, value, out.security.db_port)
    elif name in ("compute", "loadbalancing"):
        engine = {"engine": out.database.engine} if name == "compute" else {}
        checked = module.check_spec(lab, value, out.security.app_port, **engine)
        if name == "compute" and not out.database.wait:
            raise ValidationError("wait", False, _("the launch template needs the database's endpoint, which RDS gives once the "
                                  "database is available"), _("Use DatabaseSpec(wait=True), or build until='database' first."))
    elif name == "scaling":
        auto = out.autoscaling
        group = auto.name if auto.name is not None else lab.resource_name("asg")
        checked = module.check_spec(lab, value, group, auto.min_size, auto.max_size)
    elif name == "autoscaling":
        template = out.compute.name if out.compute.name is not None else lab.resource_name("app-lt")
        checked = module.check_spec(lab, value, module.latest_template_version(lab, template))
    else:  # network, keys, bastion: on their own
        checked = module.check_spec(lab, value)
    return checked[0] if isinstance(checked, tuple) else checked


def build_stack(lab: Lab, spec: StackSpec | None = None, until: str | None = None, skip: tuple[str, ...] = ()) -> Stack:
    """Check every layer's spec, then build the layers in order, up to and including ``until``, except those in
    ``skip``. Returns a :class:`Stack`.

    A skipped layer stays ``None``: the launch template is then built without a database (its app's /products
    answers 503 until a database exists), which is how the course leaves lab 09's tasks to lab 09.
    """
    for name in skip:  # a misspelt layer is refused before anything is checked or created
        _layer_index(name)
    spec = check_stack(lab, spec, until)
    last = _layer_index(until)
    s = Stack()
    layer = _layer
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

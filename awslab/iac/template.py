"""A CloudFormation template being written: parameters, resources, outputs, and how resources refer to each other.

Resources never name what the lab built (``vpc-0a1b...``): a template is a recipe, and a built ID means
nothing in another account. :meth:`Template.ref` turns a built ID into ``!Ref PublicSubnetA`` (or
``!GetAtt ...``) once the resource that ID belongs to has a logical id, and names derived from the lab's name
(``awslab-alb``) become ``!Sub '${LabName}-alb'``, so the same template builds a second copy under another
``LabName``. YAML is written with CloudFormation's short forms (``!Ref``, ``!GetAtt``, ``!Sub``, ``!Base64``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["Ref", "GetAtt", "Sub", "Base64", "Template", "logical_id"]


@dataclass(frozen=True)
class Ref:
    """``!Ref Name``: a parameter's value, or a resource's ID (its ARN for some types)."""

    name: str


@dataclass(frozen=True)
class GetAtt:
    """``!GetAtt Name.Attribute``: one attribute of a resource (an ALB's DNSName, a DB's Endpoint.Address)."""

    name: str
    attribute: str


@dataclass(frozen=True)
class Sub:
    """``!Sub 'text ${Name}'``: text with parameters and attributes put in."""

    text: str


@dataclass(frozen=True)
class Base64:
    """``!Base64 value``: user data, which EC2 takes base64-encoded."""

    value: Any


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # a template repeats !Ref Vpc; it never needs YAML's &id001 / *id001
        return True


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)
_Dumper.add_representer(Ref, lambda d, v: d.represent_scalar("!Ref", v.name))
_Dumper.add_representer(GetAtt, lambda d, v: d.represent_scalar("!GetAtt", f"{v.name}.{v.attribute}"))
_Dumper.add_representer(Sub, lambda d, v: d.represent_scalar("!Sub", v.text, style="|" if "\n" in v.text else None))
_Dumper.add_representer(Base64, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", {"Fn::Base64": v.value}))


def logical_id(*words: str) -> str:
    """``logical_id("public", "subnet", "a")`` -> ``PublicSubnetA``: letters and digits only, as CloudFormation wants."""
    parts = [p for w in words for p in re.split(r"[^A-Za-z0-9]+", w) if p]
    return "".join(p[:1].upper() + p[1:] for p in parts)


@dataclass
class Template:
    """A template as it is written. ``refs`` maps a built ID (or ARN, or name) to what stands for it."""

    lab: str
    description: str = ""
    parameters: dict[str, dict] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, dict] = field(default_factory=dict)
    outputs: dict[str, dict] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)
    #: What the lab has that a template cannot hold, one line each (an S3 object, a key pair's private key).
    notes: list[str] = field(default_factory=list)

    def add(self, logical: str, resource_type: str, properties: dict[str, Any], stands_for: tuple[str, ...] = (),
            **extra: Any) -> str:
        """Add a resource; each of ``stands_for`` (built IDs, ARNs, names) becomes ``!Ref logical`` from now on."""
        base, n = logical, 2
        while logical in self.resources:
            logical, n = f"{base}{n}", n + 1
        props = {k: v for k, v in properties.items() if v is not None and v != []}
        self.resources[logical] = {"Type": resource_type, **extra, "Properties": props}
        for built in stands_for:
            if built:
                self.refs.setdefault(built, Ref(logical))
        return logical

    def ref(self, built: str | None) -> Any:
        """What stands for ``built`` in the template; a name from the lab's name as ``!Sub``; else the value as is."""
        if built is None:
            return None
        if built in self.refs:
            return self.refs[built]
        return self.named(built)

    def named(self, value: Any) -> Any:
        """``awslab`` -> ``!Ref LabName``; ``awslab-alb`` -> ``!Sub '${LabName}-alb'``; anything else unchanged."""
        if not isinstance(value, str):
            return value
        if value == self.lab:
            return Ref("LabName")
        if value.startswith(self.lab + "-"):
            return Sub("${LabName}" + value[len(self.lab):].replace("${", "${!"))
        return value

    def tags(self, tags: list[dict] | None, propagate: bool | None = None) -> list[dict]:
        """The resource's tags, with the lab's name as a parameter (CloudFormation adds its own aws:* tags)."""
        out = []
        for t in tags or []:
            if t["Key"].startswith("aws:"):
                continue
            tag: dict[str, Any] = {"Key": t["Key"], "Value": self.named(t["Value"])}
            if propagate is not None:
                tag["PropagateAtLaunch"] = bool(t.get("PropagateAtLaunch", propagate))
            out.append(tag)
        return out

    def parameter(self, name: str, **spec: Any) -> Ref:
        self.parameters.setdefault(name, spec)
        return Ref(name)

    def types(self) -> dict[str, int]:
        """How many resources of each type the template holds."""
        counts: dict[str, int] = {}
        for r in self.resources.values():
            counts[r["Type"]] = counts.get(r["Type"], 0) + 1
        return dict(sorted(counts.items()))

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Description": self.description}
        for key, value in (("Parameters", self.parameters), ("Conditions", self.conditions),
                           ("Resources", self.resources), ("Outputs", self.outputs)):
            if value:
                body[key] = value
        return body

    def to_yaml(self) -> str:
        head = "".join(f"# {line}\n" for line in self.notes)
        return head + yaml.dump(self.as_dict(), Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True)

    def __str__(self) -> str:
        return self.to_yaml()

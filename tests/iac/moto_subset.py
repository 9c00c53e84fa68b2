"""The part of a template moto's CloudFormation can deploy: the types it models, and what does not depend on
one it lacks. What is left out is listed (type and logical id), never silently dropped."""
from __future__ import annotations

from typing import Any

import yaml


def _loader() -> type:
    class Loader(yaml.SafeLoader):
        pass

    def tag(name: str):
        def construct(loader, node):
            if isinstance(node, yaml.ScalarNode):
                value = loader.construct_scalar(node)
                if name == "GetAtt":
                    value = value.split(".", 1)
            elif isinstance(node, yaml.SequenceNode):
                value = loader.construct_sequence(node, deep=True)
            else:
                value = loader.construct_mapping(node, deep=True)
            return {"Ref": value} if name == "Ref" else {f"Fn::{name}": value}
        return construct

    for name in ("Ref", "GetAtt", "Sub", "Base64", "Select", "If", "Equals", "Not", "GetAZs", "Join"):
        Loader.add_constructor(f"!{name}", tag(name))
    return Loader


def load(text: str) -> dict:
    """A template's YAML, short forms read as CloudFormation reads them (``!Ref X`` -> ``{"Ref": "X"}``)."""
    return yaml.load(text, Loader=_loader())


def _names_used(value: Any) -> set[str]:
    """Every logical id ``value`` refers to (Ref, GetAtt, and ${Name} / ${Name.Attr} inside Sub)."""
    import re

    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "Ref":
                found.add(v)
            elif k == "Fn::GetAtt":
                found.add(v[0] if isinstance(v, list) else v.split(".")[0])
            elif k == "Fn::Sub":
                text = v if isinstance(v, str) else v[0]
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^!][^}]*)\}", text)}
            else:
                found |= _names_used(v)
    elif isinstance(value, list):
        for v in value:
            found |= _names_used(v)
    return found


def moto_subset(template: dict, unsupported: set[str]) -> tuple[dict, dict[str, str]]:
    """``(deployable template, {logical id: why it was left out})``."""
    resources = template["Resources"]
    left_out = {name: f"{r['Type']}: moto's CloudFormation has no such type" for name, r in resources.items()
                if r["Type"] in unsupported}
    changed = True
    while changed:
        changed = False
        for name, r in resources.items():
            if name in left_out:
                continue
            needs = (_names_used(r) | set([r["DependsOn"]] if isinstance(r.get("DependsOn"), str) else r.get("DependsOn", [])))
            missing = sorted(needs & set(left_out))
            if missing:
                left_out[name] = f"{r['Type']}: refers to {', '.join(missing)}"
                changed = True
    out = dict(template, Resources={n: r for n, r in resources.items() if n not in left_out})
    out["Outputs"] = {n: o for n, o in template.get("Outputs", {}).items() if not (_names_used(o) & set(left_out))}
    return out, left_out

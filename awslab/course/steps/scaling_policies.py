"""Lab 08's catch-up steps: the four kinds of policy, as the builder makes them (the names and settings the tasks ask for)."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ..prepare import step

__all__: list[str] = []


def _policies(lab: Any, kind: str) -> dict:
    from ...checks.scaling_policies import the_group
    from ...layers.scaling import ScalingSpec, build_scaling_policies

    g = the_group(lab)
    group = SimpleNamespace(name=g["AutoScalingGroupName"], min_size=g["MinSize"], max_size=g["MaxSize"])
    built = build_scaling_policies(lab, group, None, ScalingSpec(kinds=(kind,)))
    return {"auto_scaling_group_name": built.auto_scaling_group_name}


@step("08.1")
def _target_tracking(lab: Any, resources: dict) -> dict:
    return _policies(lab, "target_tracking")


@step("08.2")
def _step(lab: Any, resources: dict) -> dict:
    return _policies(lab, "step")


@step("08.3")
def _simple(lab: Any, resources: dict) -> dict:
    return _policies(lab, "simple")


@step("08.4")
def _scheduled(lab: Any, resources: dict) -> dict:
    return _policies(lab, "scheduled")

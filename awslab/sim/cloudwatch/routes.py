"""Control routes for the simulated load (under ``/_awslab/``), so a drill or the control panel can
start a surge in the embedded cloud without code:

- ``POST load`` ``{"shape": "steady", "rps": 50}`` (or ``step``/``spike``/``ramp``/``users``/``seed_surge``
  with that factory's parameters, see :mod:`awslab.sim.load`); optional ``target_group_arn``.
- ``GET load``: the current shape and parameters; ``DELETE load``: no more virtual traffic.
"""
from __future__ import annotations

from typing import Any

from .. import load as loadmodel

__all__ = ["register", "SHAPES"]

SHAPES = {name: getattr(loadmodel, name) for name in ("steady", "step", "spike", "ramp", "users", "seed_surge")}


def register(sim: Any) -> None:
    """Register the routes for ``sim`` (the cloud process has exactly one simulator)."""
    from ...cloud import control

    state: dict[str, Any] = {}

    @control.route("POST", "load")
    def _set(body: dict, query: dict) -> dict:
        params = dict(body)
        name = params.pop("shape", None)
        tg = params.pop("target_group_arn", None)
        if name not in SHAPES:
            raise control.ControlError(f"shape must be one of {', '.join(SHAPES)}, not {name!r}")
        try:
            shape = SHAPES[name](**params)
            shape(0.0)
        except TypeError as e:
            raise control.ControlError(f"bad parameters for {name}: {e}")
        sim.cloudwatch.set_load({tg: shape} if tg else shape)
        state.clear()
        state.update(shape=name, target_group_arn=tg, since=sim.now, **params)
        sim.timeline.record("dataplane", tg or "all", "load_changed", shape=name, **params)
        return dict(state)

    @control.route("GET", "load")
    def _get(body: dict, query: dict) -> dict:
        return dict(state) or {"shape": None}

    @control.route("DELETE", "load")
    def _clear(body: dict, query: dict) -> dict:
        sim.cloudwatch.set_load(None)
        state.clear()
        return {"shape": None}

"""Control routes for the simulated load (under ``/_awslab/``), so a drill or the control panel can
start a surge in the embedded cloud without code:

- ``POST load`` ``{"shape": "steady", "rps": 50}`` (or ``step``/``spike``/``ramp``/``users``/``seed_surge``
  with that factory's parameters, see :mod:`awslab.sim.load`); optional ``target_group_arn``.
- ``GET load``: the current shape and parameters; ``DELETE load``: no more virtual traffic.
- ``GET cloudwatch``: how this cloud delivers metrics (``delivery_delay_s``: seconds after its period
  ends that a datapoint becomes readable, ``AWSLAB_METRIC_DELAY_S``), so a lab predicts from the value
  the cloud uses, not from a number in its text.
"""
from __future__ import annotations

from typing import Any

from ...cloud.schema import NO_BODY, Schema, integer, number, text
from .. import load as loadmodel

__all__ = ["register", "SHAPES", "SHAPE_PARAMETERS", "LOAD_BODY"]

SHAPES = {name: getattr(loadmodel, name) for name in ("steady", "step", "spike", "ramp", "users", "seed_surge")}

#: Limits of the load model's inputs: a class's lab never needs more, and every simulated minute
#: must be computable from them (no negative rates, no zero think-plus-response time).
MAX_RPS = 1_000_000.0
MAX_USERS = 10_000_000
MAX_SECONDS = 30 * 86400.0
_RATE, _AT = number(0, MAX_RPS, required=True), number(0, MAX_SECONDS, required=True)
_USERS, _SPAN = integer(0, MAX_USERS, required=True), number(0, MAX_SECONDS)
#: Each shape's parameters, as its factory in :mod:`awslab.sim.load` takes them; checked in full when posted.
SHAPE_PARAMETERS = {
    "steady": {"rps": _RATE},
    "step": {"before": _RATE, "after": _RATE, "at_s": _AT},
    "spike": {"base": _RATE, "peak": _RATE, "at_s": _AT, "duration_s": _AT},
    "ramp": {"start": _RATE, "end": _RATE, "over_s": _AT, "at_s": _SPAN},
    "users": {"start": _USERS, "end": _USERS, "at_s": _SPAN, "ramp_s": _SPAN, "think_time_s": number(0, 3600),
              # a response takes some time: with think time 0 it is what paces a user
              "response_time_s": number(0.001, loadmodel.ALB_IDLE_TIMEOUT_S)},
    "seed_surge": {"at_s": _SPAN, "ramp_s": _SPAN},
}
LOAD_BODY = Schema({"target_group_arn": text()}, tag="shape", variants=SHAPE_PARAMETERS)


def register(sim: Any) -> None:
    """Register the routes for ``sim`` (the cloud process has exactly one simulator)."""
    from ...cloud import control

    state: dict[str, Any] = {}

    @control.route("POST", "load", body=LOAD_BODY)
    def _set(body: dict, query: dict) -> dict:
        params = dict(body)
        name = params.pop("shape")
        tg = params.pop("target_group_arn", None)
        try:
            shape = SHAPES[name](**params)
            shape(0.0)
        except (TypeError, ValueError) as e:
            raise control.ControlError(f"bad parameters for {name}: {e}")
        sim.cloudwatch.set_load({tg: shape} if tg else shape)
        state.clear()
        state.update(shape=name, target_group_arn=tg, since=sim.now, **params)
        sim.timeline.record("dataplane", tg or "all", "load_changed", shape=name, **params)
        return dict(state)

    @control.route("GET", "load")
    def _get(body: dict, query: dict) -> dict:
        return dict(state) or {"shape": None}

    @control.route("GET", "cloudwatch")
    def _cloudwatch(body: dict, query: dict) -> dict:
        return {"delivery_delay_s": float(sim.cloudwatch.delivery_delay_s)}

    @control.route("DELETE", "load", body=NO_BODY)
    def _clear(body: dict, query: dict) -> dict:
        sim.cloudwatch.set_load(None)
        state.clear()
        return {"shape": None}

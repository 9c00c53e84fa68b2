"""The simulator inside the embedded cloud process, and its control API.

``SIM`` is created at import from the environment (``AWSLAB_SIM_MODE``:
realtime|virtual, default realtime; ``AWSLAB_SIM_SPEED``, default 20;
``AWSLAB_SIM_SEED``, default 0), installed into moto, and paced by a
background thread while the server runs.

Control routes (under ``/_awslab/``):

- ``GET clock`` / ``POST clock`` ``{"mode", "speed", "paused"}``: read/change the clock
- ``POST clock/advance`` ``{"seconds": N}`` (answers when done) or ``{"seconds": N, "wait": false}``
  (answers at once with the job); ``GET clock/advance``: the running or last advance, with its progress;
  ``DELETE clock/advance``: stop it. The cloud keeps serving during an advance (:mod:`awslab.sim.advance`).
- ``POST clock/pause``, ``POST clock/resume``
- ``GET timeline?since=&component=&resource=&limit=``
- ``POST faults`` ``{"instance_id", "kind", ...}``, ``DELETE faults`` ``{"instance_id"}``, ``GET faults``
"""
from __future__ import annotations

import os

from ..cloud import control, server
from ..cloud.schema import NO_BODY, Schema, boolean, choice, integer, number, text
from .advance import AdvanceBusy, Advancer
from .clock import MODES
from .core import Simulator
from .faults import FAULT_KINDS

__all__ = ["SIM", "ADVANCER", "clock_state"]

SIM = Simulator(mode=os.environ.get("AWSLAB_SIM_MODE", "realtime"),
                speed=float(os.environ.get("AWSLAB_SIM_SPEED", "20")),
                seed=int(os.environ.get("AWSLAB_SIM_SEED", "0"))).install()
#: Runs the clock advances the control API asks for, one at a time.
ADVANCER = Advancer(SIM.clock)


#: What each route takes (checked by the control API before the route runs).
#: Speeds and advances as the clock accepts them (Clock._check_speed; 30 simulated days at most).
CLOCK_BODY = Schema({"mode": choice(*MODES), "speed": number(0.1, 10_000), "paused": boolean()})
#: ``wait``: answer when the advance is done (true, the default) or at once with the job (false).
ADVANCE = Schema({"seconds": number(0, 30 * 86400), "wait": boolean()})
TIMELINE_QUERY = Schema({"since": number(), "component": text(), "resource": text(), "limit": integer(0, 1_000_000)})
#: A fault's parameters, by kind (as :func:`awslab.sim.faults.make_fault` reads them).
FAULT_PARAMETERS = {"cpu_burn": {"percent": number(0, 100)}, "slow": {"delay_ms": number(0, 3_600_000),
                                                                  "jitter_ms": number(0, 3_600_000)}}
FAULT_BODY = Schema({"instance_id": text(required=True)}, tag="kind",
                    variants={kind: FAULT_PARAMETERS.get(kind, {}) for kind in FAULT_KINDS})
CLEAR_FAULT = Schema({"instance_id": text()})


def clock_state() -> dict:
    c = SIM.clock
    now = c.now_caught_up()  # a measurement reads this twice: exact, not one pacing tick behind
    return {"mode": c.mode, "speed": c.speed, "paused": c.paused, "now": now,
            "iso": c.epoch_datetime(now).isoformat().replace("+00:00", "Z")}


@control.route("GET", "clock")
def _get_clock(body: dict, query: dict) -> dict:
    return clock_state()


@control.route("POST", "clock", body=CLOCK_BODY)
def _set_clock(body: dict, query: dict) -> dict:
    c = SIM.clock
    try:
        if "mode" in body:
            c.set_mode(body["mode"])
        if "speed" in body:
            c.set_speed(body["speed"])
        if "paused" in body:
            c.pause() if body["paused"] else c.resume()
    except ValueError as e:
        raise control.ControlError(str(e))
    return clock_state()


def _advance_state() -> dict:
    job = ADVANCER.job
    return {**clock_state(), "advance": job.to_dict() if job is not None else None}


@control.route("POST", "clock/advance", body=ADVANCE, query=ADVANCE, locked=False)
def _advance(body: dict, query: dict) -> dict:
    """Advance the clock in slices (the state lock is free between them); wait for the end unless ``wait`` is false."""
    seconds = float(body.get("seconds", query.get("seconds", 0)))
    if not 0 <= seconds <= 30 * 86400:
        raise control.ControlError("seconds must be between 0 and 2592000 (30 simulated days)")
    wait = body.get("wait", True)
    try:
        job = ADVANCER.start(seconds) if wait else ADVANCER.run_in_background(seconds)
    except AdvanceBusy as e:
        raise control.ControlError(_BUSY.format(job_id=e.job.job_id, percent=round(100 * e.job.progress)), 409)
    if wait:
        ADVANCER.run(job)
    return _advance_state()


_BUSY = ("another clock advance is running (job {job_id}, {percent}% done): wait for it "
         "(GET /_awslab/clock/advance shows its progress) or stop it (DELETE /_awslab/clock/advance)")


@control.route("GET", "clock/advance", locked=False)
def _advance_progress(body: dict, query: dict) -> dict:
    return _advance_state()


@control.route("DELETE", "clock/advance", body=NO_BODY, locked=False)
def _advance_stop(body: dict, query: dict) -> dict:
    ADVANCER.stop()
    return _advance_state()


@control.route("POST", "clock/pause", body=NO_BODY)
def _pause(body: dict, query: dict) -> dict:
    SIM.clock.pause()
    return clock_state()


@control.route("POST", "clock/resume", body=NO_BODY)
def _resume(body: dict, query: dict) -> dict:
    SIM.clock.resume()
    return clock_state()


@control.route("GET", "timeline", query=TIMELINE_QUERY)
def _timeline(body: dict, query: dict) -> list:
    since = query.get("since")
    limit = query.get("limit")
    events = SIM.timeline.query(since=float(since) if since else None, component=query.get("component") or None,
                                resource=query.get("resource") or None, limit=int(limit) if limit else 1000)
    return [e.to_dict() for e in events]


@control.route("POST", "faults", body=FAULT_BODY)
def _inject(body: dict, query: dict) -> dict:
    params = {k: v for k, v in body.items() if k not in ("instance_id", "kind")}
    try:
        return {"instance_id": body["instance_id"], "fault": SIM.ec2.inject_fault(body["instance_id"], body["kind"], **params)}
    except KeyError as e:
        raise control.ControlError(str(e).strip("'\""), 404)
    except ValueError as e:
        raise control.ControlError(str(e))


@control.route("DELETE", "faults", body=CLEAR_FAULT, query=CLEAR_FAULT)
def _clear(body: dict, query: dict) -> dict:
    iid = body.get("instance_id") or query.get("instance_id")
    if not iid:
        raise control.ControlError("instance_id is required (in the body or the query string): the instance whose "
                                   "fault to clear, as GET /_awslab/faults lists them.", field="instance_id")
    try:
        SIM.ec2.clear_fault(iid)
    except KeyError as e:
        raise control.ControlError(str(e).strip("'\""), 404)
    return {"instance_id": iid, "fault": None}


@control.route("GET", "faults")
def _faults(body: dict, query: dict) -> dict:
    return {iid: SIM.ec2.fault_of(iid) for iid in SIM.ec2.instances if SIM.ec2.fault_of(iid)}


control.on_reset(SIM.reset)
server.on_startup(SIM.clock.start)
server.on_shutdown(SIM.clock.stop)
server.on_shutdown(ADVANCER.stop)

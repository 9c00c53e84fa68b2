"""EC2 instance lifecycle in simulated time, and per-instance faults.

moto's :class:`~moto.ec2.models.instances.Instance` stays the source of truth
for the EC2 API; this module drives its state over time, the way AWS does:

- ``RunInstances``/``StartInstances``: ``pending`` -> ``running`` after a boot
  time drawn from the observed range, then the user-data web app comes up.
- ``StopInstances``: ``stopping`` -> ``stopped``.
- ``TerminateInstances``: ``shutting-down`` -> ``terminated``; the instance
  stays visible for about an hour, then disappears from DescribeInstances.

Each transition is recorded on the timeline and emitted as ``instance_state``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .faults import Fault, make_fault

__all__ = ["EC2Sim", "InstanceSim", "STATE_CODES", "release_problem"]

# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceState.html
STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

#: pending -> running, seconds. Observed ~4.9 s (daemonology, c5.xlarge) to ~16.5 s
#: (brevdev cold-boot research), aws-semantics §7:
#: https://www.daemonology.net/blog/2021-08-12-EC2-boot-time-benchmarking.html
#: https://github.com/brevdev/ec2-coldboot-research
PENDING_TO_RUNNING_S = (5.0, 17.0)
#: running -> the user-data web app answers: OS boot ~17-20 s (daemonology, above) plus
#: starting the app. The app start itself is UNCONFIRMED (a small Python app: a few s).
APP_START_S = (18.0, 26.0)
#: stopping -> stopped. UNCONFIRMED: AWS documents no figure; tens of seconds is common.
STOPPING_TO_STOPPED_S = (15.0, 40.0)
#: shutting-down -> terminated. UNCONFIRMED: AWS documents no figure; tens of seconds is common.
SHUTTING_DOWN_TO_TERMINATED_S = (15.0, 40.0)
#: "Terminated instances remain visible ... for about an hour" [DOC]
#: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/terminating-instances.html
TERMINATED_VISIBLE_S = 3600.0


@dataclass
class InstanceSim:
    """The simulator's state beside one moto instance."""

    instance: Any
    state: str = "pending"
    app_up: bool = False
    fault: Fault | None = None
    launched_at: float = 0.0
    running_at: float | None = None
    #: What is wrong with the settings its user data gives the web app (a bad release), or None.
    config_error: str | None = None
    gen: int = 0  # bumps on every transition; stale SimPy processes compare it and stop

    @property
    def instance_id(self) -> str:
        return self.instance.id

    @property
    def availability_zone(self) -> str:
        return self.instance.placement.zone

    @property
    def private_ip(self) -> str | None:
        try:
            return self.instance.private_ip
        except (KeyError, AttributeError):
            return None


def release_problem(instance) -> str | None:
    """What the web app will say is wrong with its settings, read from the instance's user data the way the app
    reads them at boot (``AWSLAB_APP_CONFIG``, :func:`awslab.webapp.app_config_of`), or None."""
    import base64
    import binascii

    raw = getattr(instance, "user_data", None)
    raw = raw[0] if isinstance(raw, (list, tuple)) and raw else raw
    if not raw:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    try:
        text = base64.b64decode(text, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        pass  # already plain text
    try:
        from ..webapp import app_config_of, config_problem
    except ImportError:  # the web app is optional for the simulator
        return None
    return config_problem(app_config_of(text))


class EC2Sim:
    """The EC2 subsystem (``sim.ec2``)."""

    def __init__(self) -> None:
        self.sim = None
        self.instances: dict[str, InstanceSim] = {}
        #: (min, max) seconds of each transition; change them to model another AMI or a slower
        #: user-data install (e.g. ``sim.ec2.app_start_s = (60, 90)`` for a ``dnf install`` at boot).
        self.pending_to_running_s = PENDING_TO_RUNNING_S
        self.app_start_s = APP_START_S
        self.stopping_s = STOPPING_TO_STOPPED_S
        self.shutting_down_s = SHUTTING_DOWN_TO_TERMINATED_S

    # -- subsystem protocol --------------------------------------------------
    def start(self, sim) -> None:
        self.sim = sim
        self.rng = sim.rng("ec2")

    def reset(self) -> None:
        self.instances.clear()

    # -- probes ---------------------------------------------------------------
    def get(self, instance_id: str) -> InstanceSim | None:
        return self.instances.get(instance_id)

    def state_of(self, instance_id: str) -> str | None:
        rec = self.instances.get(instance_id)
        return rec.state if rec else None

    def is_app_up(self, instance_id: str) -> bool:
        rec = self.instances.get(instance_id)
        return bool(rec and rec.state == "running" and rec.app_up and not (rec.fault and rec.fault.kind == "crash"))

    def fault_of(self, instance_id: str) -> dict | None:
        """The injected fault as a dict (``{"kind": "slow", "delay_ms": 800, "since": ...}``) or None."""
        rec = self.instances.get(instance_id)
        return rec.fault.to_dict() if rec and rec.fault else None

    # -- faults -----------------------------------------------------------------
    def inject_fault(self, instance_id: str, kind: str, **params: Any) -> dict:
        """Break one instance's app (see :mod:`awslab.sim.faults`); replaces any earlier fault."""
        rec = self._require(instance_id)
        was_up = self.is_app_up(instance_id)
        rec.fault = make_fault(kind, self.sim.now, **params)
        self.sim.timeline.record("fault", instance_id, "fault_injected", kind=kind, **rec.fault.params)
        if was_up and not self.is_app_up(instance_id):
            self._app_changed(rec, False)
        return rec.fault.to_dict()

    def clear_fault(self, instance_id: str) -> None:
        """Remove the fault; a crashed app is restarted at once (if the instance runs)."""
        rec = self._require(instance_id)
        if rec.fault is None:
            return
        was_up = self.is_app_up(instance_id)
        self.sim.timeline.record("fault", instance_id, "fault_cleared", kind=rec.fault.kind)
        rec.fault = None
        if not was_up and self.is_app_up(instance_id):
            self._app_changed(rec, True)

    def _require(self, instance_id: str) -> InstanceSim:
        rec = self.instances.get(instance_id)
        if rec is None:
            raise KeyError(f"no simulated instance {instance_id!r} (is it an instance of this embedded cloud?)")
        return rec

    # -- hooks called by the moto extension ----------------------------------
    def on_launch(self, instance) -> None:
        """A new moto instance (RunInstances, or an ASG launch): pending, then running."""
        rec = InstanceSim(instance, launched_at=self.sim.now, config_error=release_problem(instance))
        self.instances[instance.id] = rec
        instance.launch_time = self._naive(self.sim.now)
        self._set_state(rec, "pending")
        self._schedule(rec, self.pending_to_running_s, "running")

    def on_start(self, instance) -> None:
        rec = self._record_for(instance)
        if rec.state not in ("stopped",):
            return
        instance.launch_time = self._naive(self.sim.now)  # AWS resets LaunchTime on start
        self._set_state(rec, "pending", reason="")
        self._schedule(rec, self.pending_to_running_s, "running")

    def on_stop(self, instance) -> None:
        rec = self._record_for(instance)
        if rec.state not in ("pending", "running"):
            return
        self._set_state(rec, "stopping", reason=self.user_initiated_reason(), user_shutdown=True)
        self._schedule(rec, self.stopping_s, "stopped")

    def on_terminate(self, instance) -> None:
        rec = self._record_for(instance)
        if rec.state in ("shutting-down", "terminated"):
            return
        self._set_state(rec, "shutting-down", reason=self.user_initiated_reason(), user_shutdown=True)
        self._schedule(rec, self.shutting_down_s, "terminated")

    def user_initiated_reason(self) -> str:
        """EC2's StateTransitionReason text, in simulated time: ``User initiated (2026-11-26 22:10:00 GMT)``."""
        return f"User initiated ({self.sim.now_datetime().strftime('%Y-%m-%d %H:%M:%S')} GMT)"

    # -- transitions ----------------------------------------------------------
    def _record_for(self, instance) -> InstanceSim:
        rec = self.instances.get(instance.id)
        if rec is None:  # created before the simulator was installed: adopt it as running
            rec = InstanceSim(instance, state=instance.state, app_up=instance.state == "running",
                              launched_at=self.sim.now, running_at=self.sim.now)
            self.instances[instance.id] = rec
        return rec

    def _schedule(self, rec: InstanceSim, span: tuple[float, float], state: str) -> None:
        delay = self.rng.uniform(*span)
        self.sim.env.process(self._later(rec, rec.gen, delay, state))

    def _later(self, rec: InstanceSim, gen: int, delay: float, state: str):
        yield self.sim.env.timeout(delay)
        if rec.gen != gen or self.instances.get(rec.instance_id) is not rec:
            return  # superseded (stopped while pending, reset, ...)
        self._set_state(rec, state)
        if state == "running":
            rec.running_at = self.sim.now
            self.sim.env.process(self._app_boot(rec, rec.gen))
        elif state == "terminated":
            self.sim.env.process(self._forget(rec, rec.gen))

    def _app_boot(self, rec: InstanceSim, gen: int):
        yield self.sim.env.timeout(self.rng.uniform(*self.app_start_s))
        if rec.gen != gen or rec.state != "running":
            return
        rec.app_up = True
        if self.is_app_up(rec.instance_id):
            self._app_changed(rec, True)

    def _forget(self, rec: InstanceSim, gen: int):
        yield self.sim.env.timeout(TERMINATED_VISIBLE_S)
        if rec.gen != gen or self.instances.get(rec.instance_id) is not rec:
            return
        from ..cloud.moto_ext.ec2 import forget_instance

        forget_instance(rec.instance)
        del self.instances[rec.instance_id]

    def _set_state(self, rec: InstanceSim, state: str, reason: str | None = None, user_shutdown: bool = False) -> None:
        from ..cloud.moto_ext.ec2 import apply_state

        was_app_up = self.is_app_up(rec.instance_id)
        previous = rec.state
        rec.state = state
        rec.gen += 1
        if state != "running":
            rec.app_up = False
        apply_state(rec.instance, state, STATE_CODES[state], reason, user_shutdown)
        self.sim.timeline.record("ec2", rec.instance_id, "state_changed", previous=previous, state=state,
                                 availability_zone=rec.availability_zone)
        self.sim.emit("instance_state", instance_id=rec.instance_id, state=state)
        if was_app_up and not self.is_app_up(rec.instance_id):
            self._app_changed(rec, False)

    def _app_changed(self, rec: InstanceSim, up: bool) -> None:
        self.sim.timeline.record("ec2", rec.instance_id, "app_up" if up else "app_down")
        self.sim.emit("app_up" if up else "app_down", instance_id=rec.instance_id)

    @staticmethod
    def _naive(epoch: float):
        """moto keeps naive UTC datetimes."""
        from datetime import datetime, timezone

        return datetime.fromtimestamp(epoch, tz=timezone.utc).replace(tzinfo=None)

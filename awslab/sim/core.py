"""The simulator: AWS's control loops, run as SimPy processes on one clock.

A :class:`Simulator` owns the :class:`~awslab.sim.clock.Clock`, the
:class:`~awslab.sim.timeline.Timeline` and the subsystems:

- ``sim.ec2``: instance lifecycle (pending -> running -> app up; stop, start,
  terminate) and injected faults (:mod:`awslab.sim.ec2`).
- ``sim.elb``: ALB target health checks per target group, and the routing
  decision including fail-open (:mod:`awslab.sim.elb_health`).
- ``sim.autoscaling``: ASG reconciliation, health replacement, termination
  policy and scaling activities (:mod:`awslab.sim.autoscaling`).
- ``sim.instance_refresh``: instance refreshes and their rollbacks (:mod:`awslab.sim.instance_refresh`).

Other subsystems (CloudWatch, scaling policies, the data plane) plug in with
:meth:`Simulator.register` and react to events with :meth:`Simulator.on`.

The moto extension (:mod:`awslab.cloud.moto_ext`) makes moto's models call
into the simulator, so plain boto3 sees the simulator's truth.
"""
from __future__ import annotations

import logging
import random
from collections import defaultdict
from datetime import datetime
from typing import Any, Callable, Protocol

from .clock import DEFAULT_SPEED, Clock
from .timeline import Timeline

__all__ = ["Simulator", "Subsystem", "EVENTS"]

log = logging.getLogger("awslab.sim")

#: Events the core emits with :meth:`Simulator.emit` (keyword arguments in brackets).
EVENTS = {
    "instance_state": "(instance_id, state) an EC2 instance changed state",
    "app_up": "(instance_id) the user-data web app started answering",
    "app_down": "(instance_id) the web app stopped (crash fault, stop, terminate)",
    "target_health": "(target_group_arn, instance_id, port, state, reason) a target's health state changed",
    "asg_instance": "(group_name, instance_id, lifecycle_state) an ASG instance changed lifecycle state",
}


class Subsystem(Protocol):
    """Anything with ``start(sim)`` (start SimPy processes); ``reset()`` is optional."""

    def start(self, sim: "Simulator") -> None: ...


class Simulator:
    """One simulated AWS region-set: clock, timeline, subsystems and a tiny pub/sub.

    ``Simulator(mode="virtual", seed=0)`` is deterministic: the same seed and the
    same API calls give the same timeline. ``reset()`` forgets every resource's
    simulated state (clock and subscriptions stay), which the cloud's
    ``POST /_awslab/reset`` calls.
    """

    def __init__(self, mode: str = "virtual", speed: float = DEFAULT_SPEED, seed: int = 0,
                 start_epoch: float | None = None, clock: Clock | None = None):
        self.clock = clock or Clock(mode=mode, speed=speed, seed=seed, start_epoch=start_epoch)
        self.timeline = Timeline(lambda: self.clock.now)
        self._subscribers: dict[str, list[Callable[..., Any]]] = defaultdict(list)
        self._subsystems: list[Any] = []
        self._rngs: dict[str, random.Random] = {}
        from .autoscaling import AutoScalingSim
        from .ec2 import EC2Sim
        from .elb_health import ELBHealth

        self.ec2 = EC2Sim()
        self.elb = ELBHealth()
        self.autoscaling = AutoScalingSim()
        for sub in (self.ec2, self.elb, self.autoscaling):
            self.register(sub)
        # Hook (CloudWatch/policies subsystems, issue 4): metrics + alarms as ``sim.cloudwatch``,
        # scaling policies + scheduled actions as ``sim.policies``; ``sim.load`` = a load shape.
        from .cloudwatch.publisher import CloudWatchSim
        from .policies.executor import PoliciesSim

        self.load = None
        self.cloudwatch = self.register(CloudWatchSim())
        self.policies = self.register(PoliciesSim())
        from .instance_refresh import InstanceRefreshSim

        self.instance_refresh = self.register(InstanceRefreshSim())

    # -- time ---------------------------------------------------------------
    @property
    def env(self):
        """The SimPy environment (simulated seconds since the clock started)."""
        return self.clock.env

    @property
    def now(self) -> float:
        """Simulated UNIX epoch seconds."""
        return self.clock.now

    def now_datetime(self) -> datetime:
        return self.clock.now_datetime()

    def advance(self, seconds: float) -> float:
        """Shortcut for ``sim.clock.advance(seconds)``."""
        return self.clock.advance(seconds)

    def rng(self, name: str) -> random.Random:
        """The seeded random source of subsystem ``name`` (the same object on every call)."""
        if name not in self._rngs:
            self._rngs[name] = self.clock.rng(name)
        return self._rngs[name]

    # -- subsystems and events ---------------------------------------------
    def register(self, subsystem: Any) -> Any:
        """Add a subsystem and call its ``start(sim)``; returns it."""
        self._subsystems.append(subsystem)
        subsystem.start(self)
        return subsystem

    def on(self, event_name: str, callback: Callable[..., Any]) -> None:
        """Call ``callback(**kw)`` on every ``emit(event_name, **kw)``."""
        self._subscribers[event_name].append(callback)

    def emit(self, event_name: str, **kw: Any) -> None:
        for cb in list(self._subscribers.get(event_name, ())):
            try:
                cb(**kw)
            except Exception:  # one broken listener must not stop AWS's control loops
                log.exception("simulator listener for %r failed", event_name)

    def reset(self) -> None:
        """Forget all simulated resource state (after moto's own reset)."""
        for sub in self._subsystems:
            if hasattr(sub, "reset"):
                sub.reset()
        self.timeline.clear()

    def install(self) -> "Simulator":
        """Make moto's models show this simulator's truth (see :mod:`awslab.cloud.moto_ext`)."""
        from ..cloud import moto_ext

        # moto's resource ids stay random (re-seeding its shared RNG could repeat ids inside one
        # account); every simulated time and decision is seeded, so a timeline is reproducible.
        moto_ext.install(self)
        return self

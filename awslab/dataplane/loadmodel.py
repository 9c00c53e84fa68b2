"""What the real requests do to the simulated instances, and back.

The ALB reports every request it carried (with its sampling weight: one real
request may stand for ``k`` virtual ones). Under the cloud's state lock,
:meth:`LoadTracker.flush_into` hands them to the simulator's CloudWatch
meter (``RequestCount``, ``TargetResponseTime``, 5xx counts, and so CPU and
the alarms), and updates each instance's recent request rate.

From that rate the simulator's queueing model (:func:`awslab.sim.load.instance_load`)
gives each instance a response time and a share of requests that would wait
past the ALB's idle timeout. The ALB applies both to the real requests
(:meth:`LoadTracker.target_delay`): overload shows as slower answers and 504s,
before any scale-out lands.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LoadTracker"]

#: Smoothing of each instance's request rate (wall seconds).
RATE_TAU_S = 1.0


@dataclass
class LoadTracker:
    buffer: list = field(default_factory=list)
    rps: dict[str, float] = field(default_factory=dict)
    effects: dict[str, tuple[float, float]] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    _last: float = field(default_factory=time.monotonic)

    def on_request(self, tg_arn: str, target: Any, status: int, seconds: float, weight: float = 1.0,
                   elb_generated: bool = False) -> None:
        """The ALB carried one real request (loop thread)."""
        self.buffer.append((tg_arn, target.instance_id if target is not None else None, status, seconds, weight, elb_generated))

    def forget(self) -> None:
        """Drop every instance's rate and latency (the cloud was reset)."""
        self.buffer, self.rps, self.effects = [], {}, {}

    def target_delay(self, target: Any) -> tuple[float, bool]:
        """``(extra wall seconds, timed out?)`` for one request to ``target``, from the queueing model."""
        delay, drop = self.effects.get(target.instance_id, (0.0, 0.0))
        return delay, drop > 0 and self.rng.random() < drop

    def flush_into(self, sim: Any, time_scale: float) -> None:
        """Under the state lock: feed the CloudWatch meter and recompute each instance's latency."""
        batch, self.buffer = self.buffer, []
        now = time.monotonic()
        dt, self._last = max(now - self._last, 1e-3), now
        speed = 1.0 / time_scale
        meter = getattr(getattr(sim, "cloudwatch", None), "meter", None)
        counts: dict[str, float] = {}
        for tg_arn, iid, status, seconds, weight, elb in batch:
            if meter is not None:
                meter.add(tg_arn, iid, count=weight, latency_s=seconds * speed, status=status, elb_generated=elb)
            if iid:
                counts[iid] = counts.get(iid, 0.0) + weight
        alpha = 1.0 - math.exp(-dt / RATE_TAU_S)
        for iid in set(self.rps) | set(counts):
            rate = counts.get(iid, 0.0) / (dt * speed)  # virtual requests per simulated second
            self.rps[iid] = self.rps.get(iid, 0.0) + alpha * (rate - self.rps.get(iid, 0.0))
            if self.rps[iid] < 1e-3 and iid not in counts:
                del self.rps[iid]
        self.effects = {iid: self._effect(sim, iid, rps, time_scale) for iid, rps in self.rps.items()}

    @staticmethod
    def _effect(sim: Any, iid: str, rps: float, time_scale: float) -> tuple[float, float]:
        from ..sim.load import instance_load

        rec = sim.ec2.get(iid)
        itype = getattr(getattr(rec, "instance", None), "instance_type", "") or ""
        fault = sim.ec2.fault_of(iid) or {}
        burn = float(fault.get("percent", 0)) if fault.get("kind") == "cpu_burn" else 0.0
        r = instance_load(itype, rps, cpu_burn_percent=burn)  # the slow fault is applied by the app itself
        drop = r.timed_out_rps / r.rps if r.rps > 0 else 0.0
        return r.latency_s * time_scale, drop

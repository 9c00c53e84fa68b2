"""One simulated minute of traffic through each target group, and what it did to each instance.

In virtual mode a load shape (``sim.load``, see :mod:`awslab.sim.load`) gives
the requests/s; the ALB spreads them evenly over the routable targets
(``sim.elb.routable_targets``). In realtime mode the data plane reports the
requests it really carried with :meth:`TrafficMeter.add`, each standing for
``count`` virtual requests. Either way the minute ends as a :class:`MinuteTraffic`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .. import load as loadmodel

__all__ = ["InstanceMinute", "GroupMinute", "TrafficMeter", "SUBSAMPLES"]

#: The load shape is sampled this many times per minute (every 10 s).
SUBSAMPLES = 6


@dataclass
class InstanceMinute:
    """One instance's minute: requests it got, CPU, latency, and the errors they became."""

    instance_id: str
    requests: float = 0.0
    cpu_percent: float = loadmodel.BASE_CPU_PERCENT
    latency_s: float = 0.0
    p95_latency_s: float = 0.0
    target_5xx: float = 0.0
    elb_5xx: float = 0.0


@dataclass
class GroupMinute:
    """One target group's minute (``AWS/ApplicationELB`` figures)."""

    target_group_arn: str
    requests: float = 0.0          # RequestCount: requests where a target was chosen
    elb_5xx: float = 0.0           # HTTPCode_ELB_5XX_Count (502/503/504 the ALB made)
    target_5xx: float = 0.0        # HTTPCode_Target_5XX_Count
    latency_sum_s: float = 0.0     # sum over served requests, for TargetResponseTime Average
    served: float = 0.0
    p95_latency_s: float = 0.0
    targets: int = 0               # routable targets that took traffic
    instances: dict[str, InstanceMinute] = field(default_factory=dict)

    @property
    def target_response_time_s(self) -> float:
        return self.latency_sum_s / self.served if self.served else 0.0


class TrafficMeter:
    """Turns the load (a shape or reported requests) into per-minute figures."""

    def __init__(self) -> None:
        self._reported: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0] * 4))

    def reset(self) -> None:
        self._reported.clear()

    def add(self, target_group_arn: str, instance_id: str | None, count: float = 1.0, latency_s: float = 0.0,
            status: int = 200, elb_generated: bool = False) -> None:
        """The data plane carried ``count`` requests (realtime mode). ``instance_id`` None: no target chosen."""
        row = self._reported[target_group_arn][instance_id or ""]
        row[0] += count
        if not elb_generated:  # TargetResponseTime only covers requests a target answered
            row[1] += latency_s * count
        if status >= 500:
            row[3 if elb_generated else 2] += count

    def rps(self, shape: Any, started_at: float, minute_end: float) -> float:
        """The shape's mean requests/s over the minute before ``minute_end``."""
        if shape is None:
            return 0.0
        ts = [minute_end - 60 + (k + 0.5) * 60 / SUBSAMPLES - started_at for k in range(SUBSAMPLES)]
        return sum(max(0.0, float(shape(t))) for t in ts if t >= 0) / SUBSAMPLES

    def minute(self, sim: Any, tg_arn: str, rps: float) -> GroupMinute:
        """Spread ``rps`` over the routable targets, or take what the data plane reported."""
        reported = self._reported.pop(tg_arn, None)
        if reported:
            return self._from_reported(sim, tg_arn, reported)
        g = GroupMinute(tg_arn)
        if rps <= 0:
            return g
        targets = sim.elb.routable_targets(tg_arn)
        total = rps * 60
        if not targets:  # no registered (routable) target: the ALB answers 503 itself
            g.elb_5xx = total
            return g
        g.targets = len(targets)
        for t in targets:
            g.instances[t.instance_id] = _instance_minute(sim, t.instance_id, rps / len(targets))
        for im in g.instances.values():
            g.requests += im.requests
            g.elb_5xx += im.elb_5xx
            g.target_5xx += im.target_5xx
            served = im.requests - im.elb_5xx - im.target_5xx
            g.served += served
            g.latency_sum_s += im.latency_s * served
            g.p95_latency_s = max(g.p95_latency_s, im.p95_latency_s)
        return g

    def _from_reported(self, sim: Any, tg_arn: str, reported: dict[str, list[float]]) -> GroupMinute:
        g = GroupMinute(tg_arn)
        for iid, (count, lat_sum, t5, e5) in reported.items():
            g.elb_5xx += e5
            if not iid:
                continue
            im = _instance_minute(sim, iid, count / 60.0)
            im.target_5xx, im.elb_5xx = t5, e5
            answered = count - e5
            im.latency_s = lat_sum / answered if answered else 0.0
            g.instances[iid] = im
            g.requests += count
            g.target_5xx += t5
            g.served += count - e5
            g.latency_sum_s += lat_sum
            g.p95_latency_s = max(g.p95_latency_s, im.latency_s)
        g.targets = len(g.instances)
        return g


def instance_type_of(sim: Any, instance_id: str) -> str:
    rec = sim.ec2.get(instance_id)
    return getattr(getattr(rec, "instance", None), "instance_type", "") or ""


def _instance_minute(sim: Any, instance_id: str, rps: float) -> InstanceMinute:
    """What ``rps`` does to one instance in the minute, with its fault."""
    fault = sim.ec2.fault_of(instance_id) or {}
    kind = fault.get("kind")
    total = rps * 60
    im = InstanceMinute(instance_id, requests=total)
    if kind in ("crash", "hang") or not sim.ec2.is_app_up(instance_id):
        # crash: connection refused -> 502; hang: no answer before the idle timeout -> 504
        im.elb_5xx = total
        im.cpu_percent = cpu_of(sim, instance_id, 0.0)
        return im
    r = loadmodel.instance_load(instance_type_of(sim, instance_id), rps,
                                cpu_burn_percent=float(fault.get("percent", 0)) if kind == "cpu_burn" else 0.0,
                                slow_delay_ms=float(fault.get("delay_ms", 0)) if kind == "slow" else 0.0)
    im.cpu_percent, im.latency_s, im.p95_latency_s = r.cpu_percent, r.latency_s, r.p95_latency_s
    im.elb_5xx = r.timed_out_rps * 60
    return im


def cpu_of(sim: Any, instance_id: str, rps: float) -> float:
    """CPU% of an instance serving ``rps`` (base + faults for an idle one)."""
    fault = sim.ec2.fault_of(instance_id) or {}
    burn = float(fault.get("percent", 0)) if fault.get("kind") == "cpu_burn" else 0.0
    return loadmodel.instance_load(instance_type_of(sim, instance_id), rps, cpu_burn_percent=burn).cpu_percent

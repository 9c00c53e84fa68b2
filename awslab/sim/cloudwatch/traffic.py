"""Traffic through each target group, slice by slice, and what it does to each instance.

The CloudWatch subsystem calls :meth:`TrafficMeter.sample` every :data:`SLICE_S` simulated
seconds. In virtual mode a load shape (``sim.load``, see :mod:`awslab.sim.load`) gives the
requests/s, read once a simulated second; the ALB spreads them evenly over the targets that are
routable during the slice (``sim.elb.routable_targets``). In realtime mode the data plane reports
the requests it really carried with :meth:`TrafficMeter.add` (each standing for ``count``
virtual requests); a slice with reported requests replaces the shape's figures for that target group.

Every second of the slice, each running instance's CPU follows from the requests it got that
second (:func:`awslab.sim.load.instance_load`, capped at 100 %); :class:`InstanceUsage` adds them
up, as the hypervisor measures the share of CPU time an instance used. :meth:`TrafficMeter.close_minute`
hands the minute's totals to the publisher: per target group a :class:`GroupMinute`
(``AWS/ApplicationELB`` figures), per instance an :class:`InstanceUsage`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

from .. import load as loadmodel
from .latency import round_latency, rounded_buckets

__all__ = ["SLICE_S", "InstanceUsage", "GroupMinute", "TrafficMeter", "cpu_of"]

#: The sampler's slice: routable targets are read once per slice, a load shape once a second inside it.
SLICE_S = 10.0
#: Faults after which the app answers nothing: crash (connection refused: 502), hang (no answer: 504).
_DEAD_APP = ("crash", "hang")


@dataclass
class InstanceUsage:
    """One instance's CPU over a minute: the CPU-seconds it used over the seconds it ran."""

    cpu_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def cpu_percent(self) -> float | None:
        """The time-weighted mean CPU (None: the instance did not run at all)."""
        return self.cpu_seconds / self.seconds if self.seconds else None


@dataclass
class GroupMinute:
    """One target group's minute (``AWS/ApplicationELB`` figures)."""

    target_group_arn: str
    requests: float = 0.0          # RequestCount: requests where a target was chosen
    unrouted: float = 0.0          # requests with no registered target: the ALB's own 503s
    elb_5xx: float = 0.0           # HTTPCode_ELB_5XX_Count (502/503/504 the ALB made, unrouted included)
    target_5xx: float = 0.0        # HTTPCode_Target_5XX_Count
    latency_sum_s: float = 0.0     # sum over served requests, for TargetResponseTime Average
    served: float = 0.0
    p95_latency_s: float = 0.0
    per_target: float = 0.0        # RequestCountPerTarget: each slice's requests / its routable targets
    targets: int = 0               # most routable targets that took traffic
    tg: Any = None                 # the moto target group, set by the publisher
    #: TargetResponseTime as a rounded histogram: response time (2 significant digits) -> requests; and the
    #: requests served per distinct second's load, whose distribution joins it when the minute is read
    measured: dict[float, float] = field(default_factory=dict)
    by_load: dict[Any, float] = field(default_factory=dict)

    def add_latency(self, seconds: float, count: float) -> None:
        """``count`` requests answered in ``seconds`` each (the data plane measured them)."""
        if count > 0:
            key = round_latency(seconds)
            self.measured[key] = self.measured.get(key, 0.0) + count

    def add_served(self, load: Any, count: float) -> None:
        """``count`` requests served during a second of ``load`` (a :class:`~awslab.sim.load.InstanceLoad`)."""
        if count > 0:
            self.by_load[load] = self.by_load.get(load, 0.0) + count

    @property
    def latencies(self) -> dict[float, float]:
        """The minute's TargetResponseTime values (rounded) with their counts."""
        out = dict(self.measured)
        for load, count in self.by_load.items():
            for key, share in rounded_buckets(load):
                out[key] = out.get(key, 0.0) + count * share
        return out

    @property
    def target_response_time_s(self) -> float:
        return self.latency_sum_s / self.served if self.served else 0.0


@dataclass(frozen=True)
class _Instance:
    """What decides an instance's answer during one slice."""

    instance_type: str
    dead: bool          # crash/hang fault, or the app is not up
    burn: float         # cpu_burn fault percent
    delay_ms: float     # slow fault


@lru_cache(maxsize=16384)
def _load(instance_type: str, rps: float, burn: float, delay_ms: float) -> loadmodel.InstanceLoad:
    return loadmodel.instance_load(instance_type, rps, cpu_burn_percent=burn, slow_delay_ms=delay_ms)


class TrafficMeter:
    """Turns the load (shapes or reported requests) into per-second CPU and per-minute figures."""

    def __init__(self) -> None:
        self._reported: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0] * 4))
        self.groups: dict[str, GroupMinute] = {}
        self.usage: dict[str, InstanceUsage] = {}

    def reset(self) -> None:
        self._reported.clear()
        self.groups.clear()
        self.usage.clear()

    def add(self, target_group_arn: str, instance_id: str | None, count: float = 1.0, latency_s: float = 0.0,
            status: int = 200, elb_generated: bool = False) -> None:
        """The data plane carried ``count`` requests (realtime mode). ``instance_id`` None: no target chosen."""
        row = self._reported[target_group_arn][instance_id or ""]
        row[0] += count
        if not elb_generated:  # TargetResponseTime only covers requests a target answered
            row[1] += latency_s * count
        if status >= 500:
            row[3 if elb_generated else 2] += count

    def close_minute(self) -> tuple[dict[str, GroupMinute], dict[str, InstanceUsage]]:
        """The minute's figures (every target group sampled, every instance that ran); starts the next minute."""
        groups, usage = self.groups, self.usage
        self.groups, self.usage = {}, {}
        return groups, usage

    def _group(self, tg_arn: str) -> GroupMinute:
        if tg_arn not in self.groups:
            self.groups[tg_arn] = GroupMinute(tg_arn)
        return self.groups[tg_arn]

    # -- one slice ----------------------------------------------------------------
    def sample(self, sim: Any, shapes: dict[str, Callable[[float], float]], start: float, end: float) -> None:
        """Account for ``[start, end)``: ``shapes`` maps a target group to ``rps(t)`` (t = epoch seconds)."""
        n = max(1, round(end - start))
        dt = (end - start) / n
        mids = [start + (k + 0.5) * dt for k in range(n)]
        rps: dict[str, list[float]] = defaultdict(lambda: [0.0] * n)
        reported = {arn: rows for arn, rows in self._reported.items() if rows}
        self._reported.clear()
        spread = []
        for arn in set(shapes) | set(reported):
            if arn in reported:
                self._reported_slice(arn, reported[arn], rps, end - start)
            else:
                spread.append(self._shape_slice(sim, arn, shapes[arn], mids, dt, rps))
        results = self._instances(sim, rps, n, dt)
        for arn, targets, share in (s for s in spread if s is not None):
            self._account(self._group(arn), targets, share, dt, results)

    def _shape_slice(self, sim: Any, arn: str, shape: Callable[[float], float], mids: list[float], dt: float,
                     rps: dict[str, list[float]]) -> tuple[str, list[str], list[float]] | None:
        """Spread the shape's requests over the routable targets; returns what each target got per second."""
        total = [max(0.0, float(shape(m))) for m in mids]
        if not any(total):
            return None
        g = self._group(arn)
        targets = [t.instance_id for t in sim.elb.routable_targets(arn)]
        if not targets:  # no registered (routable) target: the ALB answers 503 itself
            g.unrouted += sum(total) * dt
            g.elb_5xx += sum(total) * dt
            return None
        share = [r / len(targets) for r in total]
        for iid in targets:
            row = rps[iid]
            for k, s in enumerate(share):
                row[k] += s
        g.targets = max(g.targets, len(targets))
        g.per_target += sum(share) * dt
        return arn, targets, share

    def _reported_slice(self, arn: str, rows: dict[str, list[float]], rps: dict[str, list[float]],
                        length: float) -> None:
        g = self._group(arn)
        answered_by = [iid for iid in rows if iid]
        for iid, (count, lat_sum, t5, e5) in rows.items():
            g.elb_5xx += e5
            if not iid:
                g.unrouted += count
                continue
            row = rps[iid]
            for k in range(len(row)):
                row[k] += count / length
            g.requests += count
            g.target_5xx += t5
            g.served += count - e5
            g.latency_sum_s += lat_sum
            answered = count - e5
            g.add_latency(lat_sum / answered if answered else 0.0, answered)
            g.p95_latency_s = max(g.p95_latency_s, lat_sum / answered if answered else 0.0)
        if answered_by:
            g.targets = max(g.targets, len(answered_by))
            g.per_target += sum(rows[i][0] for i in answered_by) / len(answered_by)

    def _instances(self, sim: Any, rps: dict[str, list[float]], n: int, dt: float) -> dict[str, list[Any]]:
        """Each running instance's per-second load; adds its CPU-seconds to the minute's usage."""
        results: dict[str, list[Any]] = {}
        for iid, rec in list(sim.ec2.instances.items()):
            if rec.state != "running":
                continue
            inst = _instance(sim, iid)
            row = rps.get(iid)
            use = self.usage.setdefault(iid, InstanceUsage())
            use.seconds += n * dt
            if row is None or inst.dead:  # no requests (or none it can serve): idle all slice
                use.cpu_seconds += _load(inst.instance_type, 0.0, inst.burn, inst.delay_ms).cpu_percent * n * dt
                continue
            loads = [_load(inst.instance_type, r, inst.burn, inst.delay_ms) for r in row]
            use.cpu_seconds += sum(x.cpu_percent for x in loads) * dt
            results[iid] = loads
        return results

    @staticmethod
    def _account(g: GroupMinute, targets: list[str], share: list[float], dt: float,
                 results: dict[str, list[Any]]) -> None:
        """The target group's requests, errors and latency from what each target did each second."""
        for iid in targets:
            loads = results.get(iid)
            for k, s in enumerate(share):
                count = s * dt
                g.requests += count
                if loads is None:  # stopped, crashed or hung: the ALB answers 502/504
                    g.elb_5xx += count
                    continue
                x = loads[k]
                timed_out = count * (x.timed_out_rps / x.rps) if x.rps > 0 else 0.0
                g.elb_5xx += timed_out
                g.served += count - timed_out
                g.latency_sum_s += (count - timed_out) * x.latency_s
                g.add_served(x, count - timed_out)
                if count > 0:
                    g.p95_latency_s = max(g.p95_latency_s, x.p95_latency_s)


def instance_type_of(sim: Any, instance_id: str) -> str:
    rec = sim.ec2.get(instance_id)
    return getattr(getattr(rec, "instance", None), "instance_type", "") or ""


def _instance(sim: Any, instance_id: str) -> _Instance:
    fault = sim.ec2.fault_of(instance_id) or {}
    kind = fault.get("kind")
    return _Instance(instance_type_of(sim, instance_id),
                     kind in _DEAD_APP or not sim.ec2.is_app_up(instance_id),
                     float(fault.get("percent", 0)) if kind == "cpu_burn" else 0.0,
                     float(fault.get("delay_ms", 0)) if kind == "slow" else 0.0)


def cpu_of(sim: Any, instance_id: str, rps: float) -> float:
    """CPU% of an instance serving ``rps`` (base + faults for an idle one)."""
    inst = _instance(sim, instance_id)
    return _load(inst.instance_type, float(rps), inst.burn, 0.0).cpu_percent

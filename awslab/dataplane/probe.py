"""Real HTTP health checks for the simulator: ``sim.elb.probe`` in realtime mode.

The simulator's ELB subsystem decides *when* to check and what the results
mean (thresholds, states, reason codes). This decides *what one check
finds*: a real ``GET`` from the ALB node in the target's AZ, over loopback,
with ``User-Agent: ELB-HealthChecker/2.0`` and ``Host: <private-ip>:<port>``
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).

It runs in the simulator's thread, which holds the cloud's state lock, so it
never waits long: the check runs in the data plane's event loop and the
simulator waits at most :data:`PROBE_WAIT_S`; a check still running then
counts as the last finished result - unless the app's fault says the check
cannot pass in time (it hangs, or answers later than the timeout): that one is
a ``Target.Timeout`` now, as AWS would record it, not one interval late. A slow app (a
``slow`` fault) is judged by its fault's delay without a real GET (see :meth:`RealProbe.__call__`). A check
the security groups or NACLs would drop is a ``Target.Timeout`` at once, and
the timeline says which rule dropped it - in virtual time too, where the model
answers for the app but the network policy still decides whether the check
gets there (a NACL that cuts an AZ off fails its targets' checks in both modes).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any, Callable

from .instances import health_check
from .netpolicy import Endpoint

__all__ = ["RealProbe", "PROBE_WAIT_S", "times_out"]

#: The simulator thread waits at most this long (wall) for a real health check before using the last result.
PROBE_WAIT_S = 0.15


def times_out(mode: str, delay_s: float, timeout_s: float) -> bool:
    """Can a check of an app in fault ``mode`` (answering after ``delay_s``) not pass within ``timeout_s``?"""
    return mode == "hang" or (mode == "slow" and delay_s >= timeout_s)


class RealProbe:
    """A callable ``probe(target) -> ProbeResult``; ``fallback`` is the model probe (virtual mode, unknown targets)."""

    def __init__(self, dataplane: Any, fallback: Callable[[Any], Any]):
        self.dp, self.fallback = dataplane, fallback
        self._last: dict[tuple, Any] = {}

    def forget(self, keep: Any) -> None:
        """Drop the last results of checks whose target group isn't in ``keep`` (deleted groups)."""
        for key in [k for k in self._last if k[0] not in keep]:
            del self._last[key]

    def _path(self, target: Any) -> tuple | None:
        """(load balancer, checking node's address, port, timeout) of a target's check; None: no ALB checks it here."""
        tg = target.target_group
        lb = next((lb for lb in list(self.dp.lbs.values()) if tg is not None and tg.arn in lb.view.target_groups), None)
        if lb is None or not target.private_ip or self.dp.loop is None or not lb.view.nodes:
            return None
        timeout = float(getattr(tg, "health_check_timeout_seconds", None) or 5)
        hc_port = str(getattr(tg, "health_check_port", None) or "traffic-port")
        port = target.port if not hc_port.isdigit() else int(hc_port)
        return lb, lb.view.nodes.get(target.availability_zone) or next(iter(lb.view.nodes.values())), port, timeout

    def modelled(self, target: Any) -> Any:
        """A check that takes the app's modelled answer (a realtime clock jumping ahead), once the network lets it
        through: a NACL or security group drops it during a fast-forward as well."""
        from ..sim.health_probe import ProbeResult

        path = self._path(target)
        if path is not None and self._dropped(path[0], target, path[1], path[2]):
            return ProbeResult(False, None, "Target.Timeout", path[3])
        return self.fallback(target)

    def _dropped(self, lb: Any, target: Any, node_ip: str, port: int) -> bool:
        """Would a security group, NACL or route drop the check's SYN from ``node_ip``? (Noted on the timeline.)"""
        snap = self.dp.snapshot
        src = snap.network.by_ip.get(node_ip) if snap is not None else None
        dst = self._endpoint(snap, target.instance_id) if snap is not None else None
        if src is None or dst is None:
            return False
        d = snap.network.check(src, dst, port)
        if not d.allowed:
            self.dp._record("dataplane", target.instance_id, "connection_denied",
                            source=f"{lb.view.name} node {node_ip} (health check)",
                            destination=f"{target.private_ip}:{port}", layer=d.layer, rule=d.rule, reason=d.reason)
        return not d.allowed

    def _endpoint(self, snap: Any, instance_id: str) -> Any:
        """The instance as the network sees it: from the last read of the APIs, or, for one launched since (a
        fast-forward runs ahead of the reader), from the simulator's record of it, so that its first checks meet
        the network policy too."""
        found = snap.network.instances.get(instance_id)
        if found is not None:
            return found
        rec = self.dp.sim.ec2.get(instance_id)
        inst = getattr(rec, "instance", None)
        subnet = snap.network.subnets.get(getattr(inst, "subnet_id", None) or "")
        if subnet is None or not getattr(inst, "private_ip", None):
            return None
        # As describe_instances shows it (netpolicy's _instance_endpoint): the instance's groups, then its network
        # interfaces' (moto puts a launch without groups in the VPC's default group on its interface only).
        groups = [g.id for g in getattr(inst, "security_groups", None) or []]
        for nic in (getattr(inst, "nics", None) or {}).values():
            groups += [g.id for g in getattr(nic, "group_set", None) or [] if g.id not in groups]
        groups = tuple(groups)
        return Endpoint(instance_id, inst.private_ip, subnet["SubnetId"], groups, bool(getattr(inst, "public_ip", None)),
                        subnet["VpcId"])

    def __call__(self, target: Any) -> Any:
        from ..sim.health_probe import ProbeResult, matcher_accepts

        dp, tg = self.dp, target.target_group
        path = self._path(target)
        if path is None:
            return self.fallback(target)
        lb, node_ip, port, timeout = path
        if self._dropped(lb, target, node_ip, port):  # in virtual time too: the network decides before the app
            return ProbeResult(False, None, "Target.Timeout", timeout)
        if dp.sim.clock.mode != "realtime" or dp.sim.clock.advancing:  # a jump ahead outruns any socket
            return self.fallback(target)
        if target.instance_id not in dp.host.hosted:
            # The simulator is ahead of the data plane: a fast-forward (one clock/advance) holds the state lock,
            # so the sync thread has not started this instance's app yet. Its simulated state decides, as in
            # virtual time; a real GET would find nothing listening and fail a server that has booted.
            return self.fallback(target)
        mode, delay = dp._app_mode(target.instance_id)
        if mode == "slow":
            # The fault decides a slow app's answer (its delay, drawn per check). A real GET would hold the cloud's
            # lock for up to PROBE_WAIT_S of every check: a few slow targets on short intervals then starve every
            # API call (the health-check tuning drill has several groups checking one slow server every 5-30 s).
            return self.fallback(target)
        key = (tg.arn, target.instance_id)  # the app follows the fault before this check runs
        dp.loop.call_soon_threadsafe(dp.host.set_fault, target.instance_id, mode, delay)
        coro = health_check(dp._bind_for(node_ip), (dp.loopback(target.private_ip), dp.host.local_port(target.private_ip, port)),
                            f"{target.private_ip}:{port}", getattr(tg, "health_check_path", None) or "/",
                            timeout * dp._time_scale, lambda s: matcher_accepts(getattr(tg, "matcher", None), s),
                            source=(lambda p: dp.local.on_connect(p, node_ip), dp.local.on_close))
        fut = asyncio.run_coroutine_threadsafe(coro, dp.loop)
        speed = 1.0 / dp._time_scale

        def result(r) -> Any:
            return ProbeResult(r.reason_code is None, r.status, r.reason_code, min(r.seconds * speed, timeout))

        try:
            res = self._last[key] = result(fut.result(min(timeout * dp._time_scale, PROBE_WAIT_S) + 0.01))
        except concurrent.futures.TimeoutError:
            fut.add_done_callback(lambda f: f.cancelled() or f.exception() or self._last.__setitem__(key, result(f.result())))
            if times_out(mode, delay, timeout * dp._time_scale):
                return ProbeResult(False, None, "Target.Timeout", timeout)
            return self._last.get(key) or ProbeResult(False, None, "Target.Timeout", timeout)
        return res


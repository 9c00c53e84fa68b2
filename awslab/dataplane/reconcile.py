"""What the data plane's event loop does on each sync: make the apps and ALBs match the simulator and the APIs.

:class:`Reconciler` is the loop-side half of :class:`~awslab.dataplane.service.DataPlane`:
start the web app of every instance whose app is up, stop the others, start, update and
stop ALBs as the APIs describe them, and deliver access-log files. Each instance and each
load balancer is reconciled on its own (:meth:`Reconciler._isolated`): one the data plane
can't serve is noted on the timeline once and never stops the sync for the others.
"""
from __future__ import annotations

import logging
from typing import Any

from .accesslogs import AccessLogWriter
from .addresses import alb_listen_port
from .alb import LoadBalancer
from .probe import RealProbe
from .snapshot import CloudSnapshot

__all__ = ["Reconciler", "SYNC_FAILED", "ALB_LISTEN_ATTEMPTS"]

log = logging.getLogger("awslab.dataplane")

#: How many ports to try for one listener before giving up (each clash moves one port on).
ALB_LISTEN_ATTEMPTS = 20
#: The timeline's note when one resource can't be synced (student-facing; filled with .format).
SYNC_FAILED = ("The data plane could not serve {resource} ({error}). Every other instance and load balancer "
               "is served as usual; awslab retries this one on every sync.")


class Reconciler:
    """Mixed into :class:`~awslab.dataplane.service.DataPlane`; uses its ``host``, ``lbs``, ``logs``, ``sim`` and ``_record``."""

    async def _apply(self, snap: CloudSnapshot | None, state: dict) -> None:
        """In the loop: reconcile apps and ALBs with what the simulator and the APIs say."""
        if snap is not None:
            await self._apply_snapshot(snap)
        apps = state["apps"]
        for iid in [i for i in self.host.hosted if i not in apps]:
            await self._isolated(iid, "stop_app", self.host.stop(iid))
        for iid, spec in apps.items():  # (ip, az, mode, delay, ports[, what is wrong with its release's settings])
            ip, az, mode, delay, ports = spec[:5]
            config_error = spec[5] if len(spec) > 5 else None
            await self._isolated(iid, "start_app", self.host.start(iid, ip, az, ports, mode, delay, config_error))
        await self._apply_ssh(state, snap is not None)
        self._failures = {r: e for r, e in self._failures.items() if r in apps or r in self.lbs}
        for lb in self.lbs.values():
            lb.time_scale = self._time_scale
            for arn, tg in lb.view.target_groups.items():
                tg.routable = state["routable"].get(arn, [])

    async def _apply_ssh(self, state: dict, policy_changed: bool) -> None:
        """An SSH server for every running instance the APIs describe (its key pair's public key is in them)."""
        running, gone = state.get("ssh", {}), state.get("ssh_gone", set())
        for iid in [i for i in self.ssh.endpoints if i not in running]:
            await self._isolated(iid, "stop_ssh", self.ssh.stop(iid, forget_keys=iid in gone))
        snap = self.snapshot
        for iid, ip in running.items():
            described = snap.instances.get(iid) if snap is not None else None
            if iid not in self.ssh.endpoints and described is not None:
                key = snap.key_pairs.get(described.get("KeyName") or "")
                await self._isolated(iid, "start_ssh", self.ssh.ensure(iid, ip, key))
        if policy_changed:
            self.ssh.apply_policy()

    async def _apply_snapshot(self, snap: CloudSnapshot) -> None:
        for arn in [a for a in self.lbs if a not in snap.load_balancers]:
            await self._isolated(arn, "stop_load_balancer", self._stop_lb(arn))
        for arn, view in snap.load_balancers.items():
            await self._isolated(arn, "update_load_balancer", self._update_lb(view, snap))
        self._healthy_at = {k: t for k, t in self._healthy_at.items() if k[0] in snap.target_groups}
        if isinstance(self.sim.elb.probe, RealProbe):
            self.sim.elb.probe.forget(snap.target_groups)
        self.snapshot = snap

    async def _update_lb(self, view, snap: CloudSnapshot) -> None:
        lb = self.lbs.get(view.arn)
        if lb is None:
            await self._start_lb(view, snap)
            return
        for tg_arn, tg in view.target_groups.items():
            old = lb.view.target_groups.get(tg_arn)
            tg.routable = old.routable if old else []
        lb.update(view, snap.network)
        missing = [p for p in view.listeners if p not in lb.addresses]
        if missing:
            await self._listen(lb, missing)

    async def _stop_lb(self, arn: str) -> None:
        """A deleted load balancer: close it, deliver the access-log lines it still holds, forget it."""
        lb, writer = self.lbs.pop(arn), self.logs.pop(arn, None)
        await lb.stop()
        if writer is not None:
            writer.flush(self.sim.now)

    async def _isolated(self, resource: str, step: str, work: Any) -> None:
        """Await one resource's ``work``; if it fails, only that resource misses out (see :meth:`_failed`)."""
        try:
            await work
        except Exception as e:
            self._failed(resource, step, e)
            return
        self._failures.pop(resource, None)

    def _failed(self, resource: str, step: str, error: Exception) -> None:
        """One resource's sync step failed: say so on the timeline once (not every 0.1 s), keep serving the rest."""
        message = f"{type(error).__name__}: {error}"[:300]
        if self._failures.get(resource) == message:
            return
        self._failures[resource] = message
        log.warning("data plane: %s %s failed: %s", step, resource, message)
        self._record("dataplane", resource, "sync_failed", step=step, error=message,
                     detail=SYNC_FAILED.format(resource=resource, error=message))

    async def _start_lb(self, view, snap: CloudSnapshot) -> None:
        lb = LoadBalancer(view, network=snap.network, clock=lambda: self.sim.now, time_scale=self._time_scale,
                          record=self._record, on_request=self.load.on_request, access_log=None,
                          local_address=self._bind_for, local_port=self.host.local_port, seed=len(self.lbs))
        lb.pool.on_connect, lb.pool.on_close = self.local.on_connect, self.local.on_close
        lb.target_delay = self.load.target_delay
        writer = self._log_writer(lb)
        lb.access_log = writer.add
        await self._listen(lb, list(view.listeners))
        self.lbs[view.arn] = lb
        self.logs[view.arn] = writer

    async def _listen(self, lb: LoadBalancer, listener_ports: list[int]) -> None:
        """Serve each listener on its stable port on 127.0.0.1; if another program (another
        cloud on this machine) holds that port, take the next free one in the range."""
        for lport in listener_ports:
            used = {p for other in [*self.lbs.values(), lb] for _, p in other.addresses.values()}
            error: OSError | None = None
            for _ in range(ALB_LISTEN_ATTEMPTS):
                port = alb_listen_port(lb.view.name, lport, used)
                try:
                    await lb.start({lport: ("127.0.0.1", port)})
                    break
                except OSError as e:
                    used.add(port)
                    error = e
            else:
                self._record("dataplane", lb.view.name, "listener_failed", listener_port=lport, error=str(error))

    def _log_writer(self, lb: LoadBalancer) -> AccessLogWriter:
        def settings() -> tuple[bool, str, str]:
            a = lb.view.attributes
            return (a.get("access_logs.s3.enabled") == "true", a.get("access_logs.s3.bucket", ""), a.get("access_logs.s3.prefix", ""))

        parts = lb.view.arn.split(":")
        return AccessLogWriter(put=lambda b, k, d: self._pending_puts.append((b, k, d)), settings=settings,
                               account_id=parts[4], region=parts[3], lb_name=lb.view.name, lb_id=lb.view.lb_id.split("/")[-1])

    def _deliver_logs(self, clients: dict | None = None, final: bool = False) -> None:
        now = self.sim.now
        for writer in list(self.logs.values()):
            writer.flush(now) if final else writer.tick(now)
        if self.app_logs.has_work():
            clients = clients or self._clients()
            self.app_logs.deliver(clients["logs"], clients["ec2"], now, final)
        puts, self._pending_puts = self._pending_puts, []
        if puts:
            clients = clients or self._clients()
            for bucket, key, data in puts:
                try:
                    clients["s3"].put_object(Bucket=bucket, Key=key, Body=data)
                except Exception as e:  # AWS would report an access-log delivery error; we log and go on
                    self._record("dataplane", bucket, "access_log_delivery_failed", key=key, error=str(e)[:200])


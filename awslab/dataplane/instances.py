"""Instances on loopback: each running instance's web app, guarded by its security groups, and real health checks.

:class:`InstanceHost` runs the lab's web app (:mod:`awslab.webapp.app`) for
every instance whose app is up, on the instance's loopback address
(``10.0.10.5 -> 127.0.10.5``) and on each port a target group sends to.
Ports below 1024 need root; without it, port ``p`` is served on
``p + PRIVILEGED_OFFSET`` (80 -> 10080) and the control route says so.

Every connection is checked on arrival: who is calling (from the peer's
address, or in single-address mode from its source port), and would AWS's
security groups, NACLs and routes let that caller in? A denied caller gets
no answer - AWS drops the packets - and the connection is closed after the
(scaled) connect timeout. The denial goes to the timeline with the rule.

:func:`health_check` is one real HTTP health check, as an ALB node sends it:
``GET <path>`` with ``User-Agent: ELB-HealthChecker/2.0`` and
``Host: <private-ip>:<port>``, from the node's address, connection closed after
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
"""
from __future__ import annotations

import asyncio
import os
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from ..webapp.app import AppState, Database, Identity, WebApp
from .addresses import INTERNET
from .netpolicy import Decision

__all__ = ["InstanceHost", "GuardedApp", "health_check", "HealthResult", "PRIVILEGED_OFFSET", "can_bind_privileged"]

PRIVILEGED_OFFSET = 10000
#: Lines of each app's journal kept (the SSH shell's journalctl shows them).
JOURNAL_LINES = 200
JOURNALS_KEPT = 1000


def can_bind_privileged(host: str = "127.0.0.1") -> bool:
    """Can this process listen on ports below 1024 (root, or CAP_NET_BIND_SERVICE)?"""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return True
    s = socket.socket()
    try:
        s.bind((host, 1023))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _free_port() -> int:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


class GuardedApp(WebApp):
    """The web app with the instance's network policy in front: ``guard(peer, vpc_port) -> Decision``."""

    guard: Callable[[tuple, int], Decision] | None = None
    #: The caller's VPC address for a loopback peer (None: the internet, reported as it connected).
    who: Callable[[tuple], str | None] | None = None
    vpc_port: int = 80
    hold_s: float = 0.5
    #: The app's journal (``journalctl -u awslab-webapp`` in the SSH shell): one line per request answered.
    journal: deque | None = None

    async def _answer(self, req):
        resp = await super()._answer(req)
        if self.journal is not None:
            self.journal.append(f"{time.strftime('%b %d %H:%M:%S')} {self.identity.private_ip} awslab-webapp: "
                                f'{req.peer} "{req.method} {req.target[:200]}" {resp.status}')
        return resp

    def peer_of(self, peername) -> str:
        """The caller as the app would see it on EC2: an ALB node's private IP, not its loopback address."""
        found = self.who(peername) if self.who is not None and peername else None
        return found or super().peer_of(peername)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.guard is not None:
            d = self.guard(writer.get_extra_info("peername"), self.vpc_port)
            if d is not None and not d.allowed:
                try:
                    await asyncio.sleep(self.hold_s)  # the client hears nothing, as when a SYN is dropped
                finally:
                    writer.transport.abort()
                return
        await super()._handle(reader, writer)


@dataclass
class HostedInstance:
    identity: Identity
    state: AppState
    apps: dict[int, GuardedApp] = field(default_factory=dict)
    journal: deque = field(default_factory=lambda: deque(maxlen=JOURNAL_LINES))
    db: Any = None  # the database its app uses (its own RDS connection, or the shared stand-in)


@dataclass
class InstanceHost:
    """Starts and stops instances' web apps in the running event loop.

    ``loopback(private_ip)`` gives the address to listen on; ``guard`` checks callers;
    ``record(component, resource, event, **details)`` writes the timeline.
    """

    loopback: Callable[[str], str]
    guard: Callable[[tuple, int, str], Decision] | None = None
    who: Callable[[tuple, str], str | None] | None = None  # (peer, instance id) -> the caller's VPC address
    db_url: str | None = None
    privileged_ok: bool = True
    hold_s: float = 0.5
    record: Callable | None = None
    single_address: bool = False
    port_offset: int = 0  # this cloud's port block (addresses.claim_port_block)
    app_log: Callable[[str, str, float, str], None] | None = None  # (instance, kind, when, line): the app's log
    clock: Callable[[], float] | None = None  # the time the app's log lines carry (simulated)
    hosted: dict[str, HostedInstance] = field(default_factory=dict)
    _db: Database | None = None
    #: (instance id, private IP, the shared stand-in) -> the database that instance's app uses (its RDS endpoint).
    database_for: Callable[[str, str, Database | None], Any] | None = None
    _ports: dict[tuple[str, int], int] = field(default_factory=dict)
    _listen_failed: set[tuple[str, int]] = field(default_factory=set)
    #: Each instance's app journal, kept across app restarts (the oldest instance's is dropped past JOURNALS_KEPT).
    journals: dict[str, deque] = field(default_factory=dict)

    def local_port(self, private_ip: str, port: int) -> int:
        """The port the app for ``private_ip:port`` really listens on (see the module doc)."""
        if self.single_address or self.loopback(private_ip) == INTERNET:  # on 127.0.0.1: a port of its own
            if (private_ip, port) not in self._ports:
                self._ports[(private_ip, port)] = _free_port()
            return self._ports[(private_ip, port)]
        local = (port if port >= 1024 or self.privileged_ok else port + PRIVILEGED_OFFSET) + self.port_offset
        return local if local <= 65535 else port  # a port too high for the block keeps its own number

    async def start(self, instance_id: str, private_ip: str, az: str, ports: set[int], mode: str = "ok",
                    delay: float = 0.0, config_error: str | None = None) -> list[tuple[str, int]]:
        """Serve the app for ``instance_id`` on each of ``ports`` (already-served ports are kept).
        ``config_error``: what is wrong with the settings its user data gave it (/health then answers 500)."""
        if self._db is None and self.db_url:
            self._db = Database(self.db_url)
        h = self.hosted.get(instance_id)
        if h is None:
            state = AppState(config_error=config_error)
            h = self.hosted[instance_id] = HostedInstance(Identity(instance_id, az, private_ip), state,
                                                          journal=self._journal(instance_id))
            h.db = self.database_for(instance_id, private_ip, self._db) if self.database_for else self._db
        h.state.set(mode if mode != "crash" else "ok", delay)
        out = []
        for port in sorted(ports):
            if port in h.apps and h.apps[port].is_serving():
                continue
            app = GuardedApp(h.identity, h.state, h.db)
            app.vpc_port, app.hold_s, app.journal = port, self.hold_s, h.journal
            stamp = time.strftime('%b %d %H:%M:%S')
            h.journal.append(f"{stamp} {private_ip} systemd[1]: Started awslab-webapp.service (port {port}).")
            if self.guard is not None:
                app.guard = lambda peer, p, _iid=instance_id: self.guard(peer, p, _iid)
            if self.who is not None:
                app.who = lambda peer, _iid=instance_id: self.who(peer, _iid)
            if self.app_log is not None:
                app.log = lambda kind, when, line, _iid=instance_id: self.app_log(_iid, kind, when, line)
            if self.clock is not None:
                app.clock = self.clock
            try:
                await app.start(self.loopback(private_ip), self.local_port(private_ip, port))
            except OSError as e:
                if self.record and (instance_id, port) not in self._listen_failed:  # once, not every sync
                    self.record("dataplane", instance_id, "app_listen_failed", address=self.loopback(private_ip),
                                port=self.local_port(private_ip, port), error=str(e))
                self._listen_failed.add((instance_id, port))
                continue
            self._listen_failed.discard((instance_id, port))
            h.apps[port] = app
            out.append((self.loopback(private_ip), self.local_port(private_ip, port)))
        return out

    def _journal(self, instance_id: str) -> deque:
        if instance_id not in self.journals and len(self.journals) >= JOURNALS_KEPT:
            self.journals.pop(next(iter(self.journals)))
        return self.journals.setdefault(instance_id, deque(maxlen=JOURNAL_LINES))

    def set_fault(self, instance_id: str, mode: str, delay: float = 0.0) -> None:
        """Apply the simulator's fault (``crash`` closes the listeners: connection refused)."""
        h = self.hosted.get(instance_id)
        if h is not None:
            h.state.set(mode, delay)

    async def stop(self, instance_id: str) -> None:
        """Close the instance's listeners and forget everything kept for it."""
        h = self.hosted.pop(instance_id, None)
        self._listen_failed = {k for k in self._listen_failed if k[0] != instance_id}
        if h is None:
            return
        self._ports = {k: v for k, v in self._ports.items() if k[0] != h.identity.private_ip}
        for app in h.apps.values():
            await app.aclose()
        if h.db is not None and h.db is not self._db:
            h.db.close()

    async def stop_all(self) -> None:
        for iid in list(self.hosted):
            await self.stop(iid)
        if self._db is not None:
            self._db.close()
            self._db = None

    def addresses(self) -> dict[str, list[str]]:
        return {iid: [f"{h.identity.private_ip}:{p} -> {a.sockets[0].getsockname()[0]}:{a.port}"
                      for p, a in list(h.apps.items()) if a.is_serving()] for iid, h in list(self.hosted.items())}


@dataclass(frozen=True)
class HealthResult:
    """One check: ``status`` (None = no HTTP answer), AWS's ``reason_code`` when it failed, wall seconds taken."""

    status: int | None
    reason_code: str | None
    seconds: float


async def health_check(bind: str, address: tuple[str, int], host_header: str, path: str, timeout_s: float,
                       accepts: Callable[[int], bool] = lambda s: s == 200,
                       source: tuple[Callable[[int], None], Callable[[int], None]] | None = None) -> HealthResult:
    """One real HTTP health check from ``bind`` to ``address``.

    ``source`` is ``(on_connect(local_port), on_close(local_port))``: on 127.0.0.1 the
    node's source port must be known to the target's guard before the SYN arrives.
    """
    t0 = time.perf_counter()
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    writer = None
    local_port = None
    try:
        sock.bind((bind, 0))
        if source is not None:
            local_port = sock.getsockname()[1]
            source[0](local_port)
        await asyncio.wait_for(loop.sock_connect(sock, address), timeout_s)
        reader, writer = await asyncio.open_connection(sock=sock)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: ELB-HealthChecker/2.0\r\n"
                     "Accept: */*\r\nConnection: close\r\n\r\n".encode())
        left = max(timeout_s - (time.perf_counter() - t0), 0.001)
        line = await asyncio.wait_for(reader.readline(), left)
        parts = line.split()
        status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
    except asyncio.TimeoutError:
        return HealthResult(None, "Target.Timeout", time.perf_counter() - t0)
    except OSError:
        return HealthResult(None, "Target.FailedHealthChecks", time.perf_counter() - t0)
    finally:
        if writer is not None:
            writer.transport.abort()
        else:
            sock.close()
        if local_port is not None:
            source[1](local_port)
    seconds = time.perf_counter() - t0
    if status is None:
        return HealthResult(None, "Target.FailedHealthChecks", seconds)
    return HealthResult(status, None if accepts(status) else "Target.ResponseCodeMismatch", seconds)

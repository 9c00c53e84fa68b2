"""The data plane inside the embedded cloud process: real HTTP on loopback, driven by the simulator.

Imported by :mod:`awslab.cloud.server` at start (set ``AWSLAB_DATAPLANE=0`` to
leave it off). Three threads:

- **the data-plane loop** (asyncio): every ALB listener, every instance's web
  app, and the real health checks. It never takes the cloud's state lock, so
  network I/O never blocks the simulation.
- **the sync thread**: every 0.1 s (at once on a simulator event) it reads the
  simulator (which apps are up, faults, routable targets) under the state lock,
  hands the requests the ALB carried to the CPU/CloudWatch model, tells the
  loop what to start, stop or update, and delivers access-log files to S3.
- **the reader thread**: reads the AWS APIs (``describe_*``: network policy,
  load balancers, listeners, rules, target groups) whenever an API call changed
  EC2 or ELB (:mod:`awslab.cloud.changes`) or an instance changed state, so a
  new listener serves within a fraction of a second while an idle cloud costs
  nothing.

In realtime mode the simulator's health checks become real HTTP checks
(``sim.elb.probe``). Control route: ``GET /_awslab/dataplane`` shows each
ALB's local address (with its DNS name) and each instance's listeners.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .. import config
from ..cloud import access_keys, changes, control, server
from .accesslogs import AccessLogWriter
from .applogs import AgentShipper
from .addresses import PortBlock, claim_port_block, probe_loopback
from .alb import LoadBalancer
from .balancer import Target
from .imds import MetadataService
from .instances import InstanceHost, can_bind_privileged
from .loadmodel import LoadTracker
from .local import LocalAddresses
from .loop import new_event_loop
from .netpolicy import Decision
from .probe import RealProbe
from .rds import plane as rds_plane
from .reconcile import Reconciler
from .settle import Settled
from .snapshot import CloudSnapshot, read_cloud
from .ssh.server import SSHHost

__all__ = ["DataPlane", "DATAPLANE"]

log = logging.getLogger("awslab.dataplane")
SIM_SYNC_S = 0.1
#: The APIs are re-read when a call changed EC2 or ELB (``awslab.cloud.changes``) or an instance
#: changed state; otherwise only this often, as a safety net. A full read of 140 instances costs
#: about 0.2 s of the shared CPU, so reading on a timer every second took a third of a core.
CLOUD_REFRESH_S = 30.0
#: Changes in a burst (a build makes one call after another) are read together, this far apart at most.
CHANGE_COALESCE_S = 0.25
#: The services whose changes the data plane mirrors (moto's names; "*" is a reset of everything).
MIRRORED_SERVICES = frozenset({"ec2", "elbv2", "acm", *rds_plane.SERVICES, "*"})
#: How long (s) a thread may hold the GIL while another waits for it (Python's default is 0.005). The data
#: plane's loop shares the GIL with moto's request threads, the simulator's clock and the sync thread; at
#: 5 ms each hand-over could add 5 ms to a request and a burst of them tens of ms to the p99 (and a real
#: health check could miss its timeout). 1 ms cut the in-cloud p99 at ~900 req/s from ~100 to ~30 ms on
#: the shared machine (docs/benchmarks.md, "In the cloud").
GIL_SWITCH_INTERVAL_S = 0.001
#: One timeline entry per denied (source, destination, port) per this many wall seconds.
DENIAL_LOG_EVERY_S = 5.0
#: Past this many remembered denied paths, those not denied in the last DENIAL_LOG_EVERY_S are forgotten.
DENIALS_KEPT = 1000


def _certificate_material(arn: str):
    """An HTTPS listener's certificate, read from this process's ACM (the key never leaves the process)."""
    from ..cloud.moto_ext.acm import certificate_material

    return certificate_material(arn)


class DataPlane(Reconciler):
    """All of the data plane for one simulator (``DATAPLANE`` in the cloud process).

    The threads and the simulator's side live here; what the loop does on each sync
    (start and stop apps and ALBs, one resource's failure kept to itself) in :class:`Reconciler`.
    """

    def __init__(self, sim: Any, db_path: str | None = None):
        self.sim = sim
        self.probe_result = probe_loopback()
        self.aliases = self.probe_result.aliases
        self.local = LocalAddresses(self.probe_result, in_use=self._addresses_in_use, record=self._record)
        self.host = InstanceHost(loopback=self.loopback, guard=self._guard, who=self._caller, record=self._record,
                                 db_url=f"sqlite:///{db_path}" if db_path else None, privileged_ok=can_bind_privileged(),
                                 single_address=not self.aliases)
        self.app_logs = AgentShipper(record=self._record)  # the CloudWatch agent of every instance
        self.host.app_log, self.host.clock = self.app_logs.add, lambda: self.sim.now
        self.load = LoadTracker()
        self.snapshot: CloudSnapshot | None = None
        self.lbs: dict[str, LoadBalancer] = {}
        self.logs: dict[str, AccessLogWriter] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._threads: list[threading.Thread] = []
        self._stop, self._wake = threading.Event(), threading.Event()
        self._denials: dict[tuple, float] = {}
        self._sim_probe = None
        self._healthy_at: dict[tuple[str, str], float] = {}
        self._failures: dict[str, str] = {}  # resource -> its last sync error (reported once)
        self._time_scale = 1.0 / max(sim.clock.speed, 1e-9)
        self.endpoint: str | None = None
        self._subscribed = False
        self._cloud_dirty = False
        self._fresh: CloudSnapshot | None = None
        self._fresh_gen = 0  # the change generation the fresh snapshot was read at
        self.applied_gen = 0  # ... and the one the data plane is serving now
        self.settled = Settled()  # what the loop serves (a barrier for requests right after a change)
        self._pending_puts: list = []
        self.errors = 0
        self.reads = 0  # full reads of the APIs (the control route shows it)
        self.port_block = PortBlock(0)
        self._switch_interval = sys.getswitchinterval()
        self.imds = MetadataService(clock=lambda: self.sim.now)  # 169.254.169.254 for every instance (.from_instance)
        home = Path(db_path).parent if db_path else config.home() / "dataplane"
        self.ssh = SSHHost(self, home / "ssh")  # every running instance's SSH server (awslab.dataplane.ssh)
        self.edge_ips: set[str] = set()  # CloudFront edge addresses served (awslab.dataplane.cdn)
        rds_plane.attach(self, home / "rds")  # every DB instance's MySQL endpoint (awslab.dataplane.rds)
        self.host.database_for = self.app_dbs.for_instance

    # -- addresses -------------------------------------------------------------------------
    def loopback(self, private_ip: str) -> str:
        """Where ``private_ip`` listens (an instance) or connects from (an ALB node) on this machine."""
        return self.local.loopback(private_ip)

    def _bind_for(self, node_ip: str) -> str:
        return self.local.loopback(node_ip)

    def _addresses_in_use(self) -> list[str]:
        """VPC addresses served now: every hosted instance's and every ALB node's (the loopback map keeps their blocks)."""
        ips = [h.identity.private_ip for h in list(self.host.hosted.values())] + list(self.edge_ips)
        ips += [v.private_ip for v in list(self.rds.views.values()) if v.private_ip]  # DB instances' endpoints
        return ips + [ip for lb in list(self.lbs.values()) for ip in lb.view.nodes.values()]

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, endpoint: str | None = None) -> None:
        """Start the loop and sync threads; swap in real health checks."""
        if self._threads:
            return
        bound = server.BOUND or ("127.0.0.1", config.port())
        self.endpoint = endpoint or f"http://{'127.0.0.1' if bound[0] in ('0.0.0.0', '') else bound[0]}:{bound[1]}"
        if not self.aliases:
            log.warning(self.probe_result.detail)
        else:  # another cloud on this machine maps the same VPC addresses: take the next port block
            self.port_block = claim_port_block()
            self.host.port_offset = self.port_block.offset
            if self.port_block.index:
                self._record("dataplane", "ports", "port_block_claimed", block=self.port_block.index,
                             detail=f"another awslab cloud on this machine serves instances; this one serves an app's "
                                    f"port p on p+{self.port_block.offset}")
        self._stop.clear()
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, GIL_SWITCH_INTERVAL_S))
        ready = threading.Event()
        loop_thread = threading.Thread(target=self._run_loop, args=(ready,), name="awslab-dataplane-loop", daemon=True)
        loop_thread.start()
        ready.wait(5)
        self._sim_probe = self.sim.elb.probe
        self.sim.elb.probe = RealProbe(self, self._sim_probe)
        if not self._subscribed:  # the simulator has no "off": subscribe once per process
            for event in ("app_up", "app_down", "instance_state"):
                self.sim.on(event, self._on_sim_event)
            self.sim.on("target_health", self._on_target_health)
            changes.on_change(self._on_api_change)
            self.sim.clock.hold_while(self.lagging)
            self._subscribed = True
        sync = threading.Thread(target=self._sync_main, name="awslab-dataplane-sync", daemon=True)
        reader = threading.Thread(target=self._read_main, name="awslab-dataplane-reader", daemon=True)
        sync.start()
        reader.start()
        self._threads = [loop_thread, sync, reader]

    def stop(self) -> None:
        """Stop everything: listeners, apps, connections, threads. Idempotent."""
        if not self._threads:
            return
        self._stop.set()
        self._wake.set()
        self._threads[1].join(10)
        self._threads[2].join(10)
        if self._sim_probe is not None:
            self.sim.elb.probe, self._sim_probe = self._sim_probe, None
        if self.loop is not None and self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(15)
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._threads[0].join(10)
        self._deliver_logs(final=True)
        self._threads = []
        self.port_block.release()
        sys.setswitchinterval(self._switch_interval)

    def _run_loop(self, ready: threading.Event) -> None:
        self.loop = new_event_loop()  # uvloop where available (see .loop)
        asyncio.set_event_loop(self.loop)
        ready.set()
        try:
            self.loop.run_forever()
        except BaseException:
            log.exception("data plane loop stopped")
            raise
        finally:
            pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    async def _shutdown(self) -> None:
        for lb in list(self.lbs.values()):
            await lb.stop()
        self.lbs.clear()
        await self.ssh.stop_all()
        await self.rds.stop_all()
        await self.host.stop_all()
        self.app_dbs.close_all()

    @staticmethod
    def wanted_gen() -> int:
        """How many changes to what the data plane mirrors (EC2, ELB, RDS, Secrets Manager) the cloud has had."""
        mirrored = ("ec2", "elbv2", *rds_plane.SERVICES)
        return sum(changes.generation(s) for s in mirrored)

    def lagging(self) -> bool:
        """Has an EC2 or ELB change not reached the traffic yet? (The clock holds simulated time meanwhile.)"""
        return bool(self._threads) and self.applied_gen < self.wanted_gen()

    def _on_api_change(self, service: str, action: str) -> None:
        if service in MIRRORED_SERVICES:
            self._cloud_dirty = True

    def _on_sim_event(self, **kw: Any) -> None:
        if "state" in kw:  # an instance changed state: its addresses and groups matter at once
            self._cloud_dirty = True
        self._wake.set()  # react within milliseconds instead of the next tick

    # -- the sync thread ---------------------------------------------------------------
    def _sync_main(self) -> None:
        try:
            self._sync_forever()
        except BaseException:
            log.exception("data plane sync stopped")
            raise

    def _read_main(self) -> None:
        """The reader thread: the AWS APIs after every change to EC2 or ELB (and every 30 s regardless)."""
        clients = None
        while not self._stop.is_set():
            try:
                self._cloud_dirty = False
                clients = clients or self._clients()
                gen = self.wanted_gen()  # before the read: the read sees at least these changes
                fresh = read_cloud(clients["ec2"], clients["elbv2"], certificates=_certificate_material)
                if self._stop.is_set():  # the cloud is stopping: no more calls to its APIs
                    break
                rds_plane.read(self, fresh, clients)  # the DB instances, their network place, the apps' DB settings
                self._fresh = fresh
                self._fresh_gen = gen
                self.reads += 1
                self._wake.set()
            except Exception:
                self._cloud_dirty = True  # try again soon
                self.errors += 1
                if self.errors % 50 == 1 and not self._stop.is_set():
                    log.exception("data plane could not read the APIs")
            self._stop.wait(CHANGE_COALESCE_S)
            deadline = time.monotonic() + CLOUD_REFRESH_S
            while not self._stop.is_set() and not self._cloud_dirty and time.monotonic() < deadline:
                self._stop.wait(0.05)

    def _sync_forever(self) -> None:
        clients = None
        while not self._stop.is_set():
            try:
                snap, self._fresh = self._fresh, None
                gen = self._fresh_gen
                read_at = time.monotonic()
                with control.STATE_LOCK:
                    state = self._read_sim(snap or self.snapshot)
                if self.loop is not None and not self._stop.is_set():
                    asyncio.run_coroutine_threadsafe(self._apply(snap, state), self.loop).result(10)
                    if snap is not None:
                        self.applied_gen = max(self.applied_gen, gen)
                    self.settled.served(self.applied_gen, read_at)
                if self._pending_puts or self.app_logs.has_work():
                    clients = clients or self._clients()
                self._deliver_logs(clients=clients)
            except Exception:  # keep serving; report once in a while
                self.errors += 1
                if self.errors % 50 == 1 and not self._stop.is_set():
                    log.exception("data plane sync failed")
            self._wake.wait(SIM_SYNC_S)
            self._wake.clear()

    async def _apply_snapshot(self, snap: CloudSnapshot) -> None:
        await super()._apply_snapshot(snap)
        await self._isolated("rds", "serve_db_instances", rds_plane.apply(self, snap))

    def settle(self) -> bool:
        """Wait until the data plane serves every API change made so far (see :mod:`.settle`)."""
        return self.settled.wait(self.wanted_gen, self._wake.set, lambda: bool(self._threads) and not self._stop.is_set())

    def _clients(self) -> dict:
        import boto3
        from botocore.config import Config

        kw = dict(endpoint_url=self.endpoint, region_name=config.region(), config=Config(retries={"max_attempts": 2}),
                  **access_keys.embedded_credentials())
        session = boto3.session.Session()  # boto3's default session is not safe to share between threads
        return {name: session.client(name, **kw) for name in ("ec2", "elbv2", "s3", "logs", "rds", "secretsmanager")}

    def _read_sim(self, snap: CloudSnapshot | None) -> dict:
        """Under the state lock: which apps run (with their fault), routable targets, the load."""
        sim, ec2 = self.sim, self.sim.ec2
        self._time_scale = 1.0 / max(sim.clock.speed, 1e-9)
        apps, ssh = {}, {}
        for iid in list(ec2.instances):
            try:
                rec = ec2.get(iid)
                if rec is not None and rec.state == "running" and rec.private_ip:
                    ssh[iid] = rec.private_ip  # sshd runs from boot, whatever the web app does
                if rec is None or not ec2.is_app_up(iid) or not rec.private_ip:
                    continue
                mode, delay = self._app_mode(iid)
                vpc = (snap.instances.get(iid, {}).get("VpcId") if snap else None)
                apps[iid] = (rec.private_ip, rec.availability_zone, mode, delay, snap.app_ports(vpc) if snap else {80},
                             rec.config_error)
            except Exception as e:  # this instance's trouble only: the others still get their apps
                self._failed(iid, "read", e)
        routable = {}
        for lb in list(self.lbs.values()):  # the loop thread may add one meanwhile
            for arn in lb.view.target_groups:
                routable[arn] = [Target(t.instance_id, t.private_ip, int(t.port), t.availability_zone or "", t.state,
                                        self._healthy_since(arn, t.instance_id))
                                 for t in sim.elb.routable_targets(arn) if t.private_ip]
        self.load.flush_into(sim, self._time_scale)
        gone = {iid for iid in list(self.ssh.endpoints) if ec2.state_of(iid) in (None, "shutting-down", "terminated")}
        return {"apps": apps, "routable": routable, "now": sim.now, "ssh": ssh, "ssh_gone": gone}

    def _app_mode(self, instance_id: str) -> tuple[str, float]:
        """The web app's fault mode and delay (wall seconds) for the simulator's fault on ``instance_id``.

        A slow fault with ``jitter_ms`` draws this answer's delay anew, as the simulator's own checks do.
        """
        fault = self.sim.ec2.fault_of(instance_id) or {}
        mode = {"unhealthy": "unhealthy", "hang": "hang", "slow": "slow"}.get(fault.get("kind"), "ok")
        delay_ms, jitter_ms = float(fault.get("delay_ms", 0)), float(fault.get("jitter_ms", 0))
        if mode == "slow" and jitter_ms:
            delay_ms += self.sim.rng("faults.jitter").uniform(-jitter_ms, jitter_ms)
        return mode, delay_ms / 1000.0 * self._time_scale

    def _healthy_since(self, tg_arn: str, instance_id: str) -> float | None:
        """When the target last became healthy (for slow start)."""
        return self._healthy_at.get((tg_arn, instance_id))

    def _on_target_health(self, target_group_arn: str = "", instance_id: str = "", state: str = "", **kw: Any) -> None:
        if state == "healthy":
            self._healthy_at[(target_group_arn, instance_id)] = self.sim.now
        else:
            self._healthy_at.pop((target_group_arn, instance_id), None)
        if state == "unused" and kw.get("reason") == "Target.NotRegistered" and self.loop is not None and self.loop.is_running():
            # the draining target's deregistration delay ran out: requests still in flight get 502
            self.loop.call_soon_threadsafe(self._deregistration_elapsed, target_group_arn, instance_id, kw.get("port"))
        self._wake.set()

    def _deregistration_elapsed(self, target_group_arn: str, instance_id: str, port: Any) -> None:
        """In the loop: every ALB forwarding to the group cuts its requests in flight to the target."""
        for lb in self.lbs.values():
            if target_group_arn in lb.view.target_groups:
                lb.deregistration_elapsed(target_group_arn, instance_id, int(port) if port else None)

    # -- policy and health ---------------------------------------------------------------
    def _caller(self, peer: tuple, instance_id: str) -> str | None:
        """The VPC address of whoever connected to ``instance_id``'s app (None: the internet)."""
        return self.local.who(peer) if peer else None

    def _guard(self, peer: tuple, port: int, instance_id: str) -> Decision | None:
        snap = self.snapshot
        if snap is None:
            return None
        dst = snap.network.instances.get(instance_id)
        if dst is None:
            return None
        src_ip = self.local.who(peer)
        src = snap.network.endpoint(src_ip)
        d = snap.network.check(src, dst, port)
        if not d.allowed:
            self._record("dataplane", instance_id, "connection_denied", source=src.name if src.in_vpc else f"internet {peer[0]}",
                         destination=f"{dst.ip}:{port}", layer=d.layer, rule=d.rule, reason=d.reason)
        return d

    def _record(self, component: str, resource: str, event: str, **details: Any) -> None:
        if event == "connection_denied":
            key = (resource, details.get("source"), details.get("destination"), details.get("rule"))
            now = time.monotonic()
            if now - self._denials.get(key, -1e9) < DENIAL_LOG_EVERY_S:
                return
            if len(self._denials) >= DENIALS_KEPT:  # forget paths not denied lately
                self._denials = {k: t for k, t in self._denials.items() if now - t < DENIAL_LOG_EVERY_S}
            self._denials[key] = now
        self.sim.timeline.record(component, resource, event, **details)

    def reset(self) -> None:
        """After a reset of the cloud: forget per-resource state now; the next sync closes every listener."""
        self._healthy_at.clear()
        self._failures.clear()
        self._denials.clear()
        self.imds.tokens.clear()
        self.load.forget()
        if isinstance(self.sim.elb.probe, RealProbe):
            self.sim.elb.probe.forget(())
        self._cloud_dirty = True
        self._wake.set()

    # -- the control route -----------------------------------------------------------------
    def describe(self) -> dict:
        return {
            "running": bool(self._threads), "mode": self.probe_result.mode, "loopback": self.probe_result.detail,
            "privileged_ports": "as is" if self.host.privileged_ok else "port p served on p+10000 (no root)",
            "port_block": {"index": self.port_block.index, "offset": self.port_block.offset},
            "health_checks": "real HTTP (ELB-HealthChecker/2.0)" if self.sim.clock.mode == "realtime" else "model (virtual time)",
            "load_balancers": [{"name": lb.view.name, "arn": arn, "dns_name": lb.view.dns_name,
                                "listeners": {str(p): f"{'https' if p in lb.view.tls else 'http'}://{h}:{port}"
                                              for p, (h, port) in lb.addresses.items()},
                                "nodes": lb.view.nodes,
                                "access_logs": lb.view.attributes.get("access_logs.s3.enabled") == "true",
                                "routable": {tg: sorted(t.instance_id for t in v.routable) for tg, v in list(lb.view.target_groups.items())}}
                               for arn, lb in list(self.lbs.items())],
            "instances": self.host.addresses(),
            "ssh": {e["instance_id"]: f"{e['private_ip']}:22 -> {e['host']}:{e['port']}" for e in self.ssh.describe()},
            "db_instances": self.rds.describe(),  # each DB instance's MySQL endpoint (awslab.dataplane.rds)
            "loopback_blocks": self.local.describe(),  # VPC /16 -> its 127.x.0.0/16 block (awslab.dataplane.loopback)
            "threads": [t.name for t in self._threads if t.is_alive()],
            "api_reads": self.reads,  # full describe_* reads so far: one per change, not one per second
        }


def _make() -> DataPlane | None:
    if os.environ.get("AWSLAB_DATAPLANE", "1") in ("0", "false", "off"):
        return None
    try:
        from ..sim.service import SIM
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("awslab.sim"):
            return None
        raise
    home = config.home() / "dataplane"
    home.mkdir(parents=True, exist_ok=True)
    return DataPlane(SIM, db_path=str(home / "products.sqlite"))


DATAPLANE = _make()

if DATAPLANE is not None:
    server.on_startup(DATAPLANE.start)
    server.on_shutdown(DATAPLANE.stop)
    control.on_reset(DATAPLANE.reset)
    from .from_instance import register as _register_requests

    _register_requests(DATAPLANE)  # POST /_awslab/dataplane/request: curl on an instance
    from .cdn.service import attach as _attach_cloudfront

    _attach_cloudfront(DATAPLANE)  # every distribution's edge; GET /_awslab/cloudfront

    @control.route("GET", "dataplane/ssh", locked=False)
    def _ssh(body: dict, query: dict) -> dict:
        """Every instance's SSH endpoint and host key (public half): what ``awslab ssh-config`` writes."""
        return {"endpoints": DATAPLANE.ssh.describe(), "mode": DATAPLANE.probe_result.mode}

    @control.route("GET", "dataplane")
    def _describe(body: dict, query: dict) -> dict:
        return DATAPLANE.describe()

    @control.route("GET", "dataplane/settled", locked=False)  # the sync thread needs the lock meanwhile
    def _settled(body: dict, query: dict) -> dict:
        t0 = time.monotonic()
        return {"settled": DATAPLANE.settle(), "waited_s": round(time.monotonic() - t0, 3)}

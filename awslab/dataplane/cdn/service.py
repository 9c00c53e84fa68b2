"""CloudFront's edges inside the embedded cloud: one :class:`~.edge.Edge` per distribution, on the data plane's loop.

A reader thread reads the distributions through the CloudFront API (``list_distributions``,
``get_distribution_config``, ``list_invalidations``/``get_invalidation``) only after a CloudFront call changed
something, then starts, updates or stops the edges on the data plane's loop. Each edge listens on the loopback
address of its edge address (:func:`~.distribution.edge_ip`), the address the lab's DNS server answers for its
``dxxxx.cloudfront.net`` name, on port 80 (10080 without root, plus this cloud's port block). A new
invalidation empties the matching cache entries of its distribution.

Control route: ``GET /_awslab/cloudfront`` lists each distribution's local address, whether it is enabled, and
its hits, misses and origin requests; it first waits (a few seconds at most) until every CloudFront change
made so far is served.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from ... import config
from ...cloud import access_keys, changes, control, server
from ..instances import PRIVILEGED_OFFSET
from .distribution import DistributionView, edge_ip, read_distribution
from .edge import Edge
from .s3origin import Caller, OriginReply, read_object

__all__ = ["CloudFrontEdges", "EDGE_PORT", "attach"]

log = logging.getLogger("awslab.dataplane.cdn")
#: CloudFront's HTTP port.
EDGE_PORT = 80
#: How long the control route waits for the edges to serve the latest change.
SETTLE_S = 5.0
#: The reader's API calls give up this soon (s): a cloud that is stopping must not hold its thread.
READ_TIMEOUT_S = 5


def generation() -> int:
    """CloudFront's changes so far (a reset of the cloud is signalled by :meth:`CloudFrontEdges.reset`)."""
    return changes.generation("cloudfront")


class CloudFrontEdges:
    """Every distribution's edge, kept in step with the CloudFront API by a reader thread."""

    def __init__(self, plane: Any):
        self.plane = plane
        self.edges: dict[str, Edge] = {}
        self.applied_gen = -1
        self.errors = 0
        self._seen_invalidations: dict[str, set[str]] = {}
        self._stop = threading.Event()
        self._dirty = threading.Event()
        self._thread: threading.Thread | None = None
        self._clients: dict | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None or self.plane.loop is None:
            return
        self._stop.clear()
        changes.on_change(self._on_change)
        self._thread = threading.Thread(target=self._main, name="awslab-cloudfront-read", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._dirty.set()
        self._thread.join(READ_TIMEOUT_S)
        self._thread = None
        loop = self.plane.loop
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(self._stop_all(), loop).result(10)

    def reset(self) -> None:
        self._seen_invalidations.clear()
        for edge in list(self.edges.values()):
            edge.cache.clear()
        self._dirty.set()

    def _on_change(self, service: str, action: str) -> None:
        if service == "cloudfront":
            self._dirty.set()

    # -- the reader thread -------------------------------------------------------------------------
    def _main(self) -> None:
        self._dirty.set()
        while not self._stop.is_set():
            self._dirty.wait(1.0)
            if self._stop.is_set():
                return
            if not self._dirty.is_set() and self.applied_gen == generation():
                continue
            self._dirty.clear()
            gen = generation()
            try:
                views, invalidations = self._read()
                asyncio.run_coroutine_threadsafe(self._apply(views, invalidations), self.plane.loop).result(10)
                self.applied_gen = gen
            except Exception:
                self.errors += 1
                if self.errors % 50 == 1 and not self._stop.is_set():
                    log.exception("cloudfront: reading the distributions failed")
                self._stop.wait(0.5)
                self._dirty.set()

    def _client(self, name: str) -> Any:
        if self._clients is None:
            import boto3
            from botocore.config import Config

            kw = dict(endpoint_url=self.plane.endpoint, region_name=config.region(), **access_keys.embedded_credentials(),
                      config=Config(retries={"max_attempts": 2}, connect_timeout=READ_TIMEOUT_S,
                                    read_timeout=READ_TIMEOUT_S))
            session = boto3.session.Session()
            self._clients = {n: session.client(n, **kw) for n in ("cloudfront", "s3")}
        return self._clients[name]

    def _read(self) -> tuple[dict[str, DistributionView], dict[str, list[str]]]:
        cf = self._client("cloudfront")
        views, invalidated = {}, {}
        for page in cf.get_paginator("list_distributions").paginate():
            for summary in (page.get("DistributionList") or {}).get("Items") or []:
                cfg = cf.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
                views[summary["Id"]] = read_distribution(summary, cfg)
                invalidated[summary["Id"]] = self._new_invalidation_paths(cf, summary["Id"])
        return views, invalidated

    def _new_invalidation_paths(self, cf: Any, dist_id: str) -> list[str]:
        items = (cf.list_invalidations(DistributionId=dist_id).get("InvalidationList") or {}).get("Items") or []
        first_read = dist_id not in self._seen_invalidations
        seen = self._seen_invalidations.setdefault(dist_id, set())
        paths = []
        for inv in items:
            if inv["Id"] in seen:
                continue
            seen.add(inv["Id"])
            if not first_read:  # a distribution seen for the first time has nothing cached yet
                got = cf.get_invalidation(DistributionId=dist_id, Id=inv["Id"])["Invalidation"]
                paths += got["InvalidationBatch"]["Paths"].get("Items") or []
        return paths

    # -- on the data plane's loop --------------------------------------------------------------------
    async def _apply(self, views: dict[str, DistributionView], invalidated: dict[str, list[str]]) -> None:
        for dist_id in [d for d in self.edges if d not in views]:  # deleted: stop serving
            await self.edges.pop(dist_id).stop()
            self.plane.edge_ips.discard(edge_ip(dist_id))
            self._seen_invalidations.pop(dist_id, None)
        for dist_id, view in views.items():
            edge = self.edges.get(dist_id)
            if edge is None:
                edge = await self._start_edge(view)
                if edge is None:
                    continue
            edge.view = view
            if invalidated.get(dist_id):
                gone = edge.cache.invalidate(invalidated[dist_id])
                self.plane._record("cloudfront", dist_id, "invalidation_applied", paths=invalidated[dist_id],
                                   objects=gone)

    async def _start_edge(self, view: DistributionView) -> Edge | None:
        ip = edge_ip(view.id)
        self.plane.edge_ips.add(ip)
        bind = self.plane.loopback(ip)
        edge = Edge(view, bind, clock=lambda: self.plane.sim.clock.now, time_scale=lambda: self.plane._time_scale,
                    read_s3=self._read_s3, alb_address=self._alb_address, record=self.plane._record)
        try:
            await edge.start(self._port(bind))
        except OSError as e:
            self.plane._record("cloudfront", view.id, "edge_not_started", address=bind, reason=str(e))
            self.plane.edge_ips.discard(ip)
            return None
        self.edges[view.id] = edge
        return edge

    def _port(self, bind: str) -> int:
        if bind == "127.0.0.1" and not self.plane.aliases:
            return 0  # single-address mode: any free port (the control route and awslab status show it)
        base = EDGE_PORT if self.plane.host.privileged_ok else EDGE_PORT + PRIVILEGED_OFFSET
        return base + self.plane.port_block.offset

    async def _stop_all(self) -> None:
        for edge in list(self.edges.values()):
            await edge.stop()
        self.edges.clear()

    # -- the edges' origins ------------------------------------------------------------------------
    def _read_s3(self, bucket: str, key: str, caller: Caller) -> OriginReply:
        return read_object(self._client("s3"), bucket, key, caller)

    def _alb_address(self, dns_name: str, port: int) -> tuple[str, int] | None:
        """The local address of the ALB listener named by ``dns_name`` (CloudFront resolves the origin's name)."""
        name = dns_name.lower().rstrip(".").removeprefix("dualstack.")
        for lb in list(self.plane.lbs.values()):
            if (lb.view.dns_name or "").lower() == name:
                return lb.addresses.get(port)
        return None

    # -- the control route ----------------------------------------------------------------------------
    def settle(self, timeout: float = SETTLE_S) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.applied_gen >= generation() and not self._dirty.is_set():
                return True
            self._dirty.set()
            time.sleep(0.02)
        return False

    def describe(self) -> dict:
        return {"distributions": [{
            "id": e.view.id, "domain_name": e.view.domain_name, "enabled": e.view.enabled,
            "edge_ip": edge_ip(e.view.id),
            "local": f"http://{e.address[0]}:{e.address[1]}" if e.address else None,
            "behaviours": [b.path_pattern for b in e.view.behaviours], "cached_objects": len(e.cache.entries),
            "hits": e.stats.hits, "misses": e.stats.misses, "errors": e.stats.errors,
            "origin_requests": e.stats.origin_requests} for e in list(self.edges.values())],
            "errors": self.errors}


def attach(plane: Any) -> CloudFrontEdges:
    """Start the edges with the data plane and serve ``GET /_awslab/cloudfront``."""
    edges = CloudFrontEdges(plane)
    plane.cdn = edges
    server.on_startup(edges.start)  # after the data plane's start (its loop) ...
    server.on_shutdown(edges.stop)  # ... and before its stop (shutdown hooks run in reverse)
    control.on_reset(edges.reset)

    @control.route("GET", "cloudfront", locked=False)  # the reader calls the APIs meanwhile
    def _describe(body: dict, query: dict) -> dict:
        return dict(edges.describe(), settled=edges.settle())

    return edges

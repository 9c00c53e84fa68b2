"""The Application Load Balancer's data plane: a real HTTP reverse proxy on loopback.

One :class:`LoadBalancer` per ALB. Each listener gets one stable local
address (``127.0.0.1:<port>``, see :func:`~awslab.dataplane.addresses.alb_listen_port`).
For every request it does what an ALB node does:

1. The client reaches a node only if the ALB's security groups, its subnet's
   NACL and route table allow it (an internal ALB is not reachable from the internet).
2. The listener's rules pick an action (:mod:`awslab.dataplane.rules`).
3. ``forward``: choose a routable target of the target group - healthy ones, or
   all of them when none is healthy (fail-open) - by round robin or least
   outstanding requests, with slow start
   (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#modify-routing-algorithm).
4. Connect *from the node's address* to the target. If the target's security
   group or NACL would drop the SYN, the ALB waits out its 10 s connect
   timeout and answers 504, exactly as on AWS; the denial goes to the timeline
   with the rule. (The ALB checks before connecting; the instance side checks
   again on accept, which is what stops a direct curl from the internet.)
5. Add ``X-Forwarded-For/Proto/Port`` and ``X-Amzn-Trace-Id``
   (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html,
   https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-request-tracing.html).
6. Errors the ALB makes itself: 503 no registered targets, 502 refused/reset,
   504 connect or idle timeout
   (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html).

Timeouts are AWS seconds times ``time_scale`` (in realtime mode ``1/speed``,
so a 60 s idle timeout lasts 3 s of wall time at 20x).
"""
from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Callable

from aiohttp import web
from multidict import CIMultiDict

from .accesslogs import AccessLogEntry
from .addresses import to_loopback
from .balancer import Picker, Target, TargetGroupView
from .netpolicy import Decision, Endpoint, Network, internet
from .rules import Request, RuleSet
from .upstream import Pool, UpstreamError

__all__ = ["LoadBalancer", "LoadBalancerView", "Target", "TargetGroupView", "trace_header", "CONNECT_TIMEOUT_S"]

#: "The load balancer ... could not connect to the target within 10 seconds" -> 504 (troubleshooting page above).
CONNECT_TIMEOUT_S = 10.0
#: idle_timeout.timeout_seconds default, range 1-4000
#: (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#connection-idle-timeout).
IDLE_TIMEOUT_S = 60.0
#: More than 30 addresses in X-Forwarded-For -> 463.
MAX_XFF = 30
WEIGHT_HEADER = "x-awslab-weight"  # the traffic generator's sampling weight; never forwarded
_REPLACED = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "x-amzn-trace-id", WEIGHT_HEADER}
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade", "te", "trailer"}
_REASON = {405: "Method Not Allowed", 463: "", 502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


@dataclass
class LoadBalancerView:
    """What the data plane needs to know about one ALB, refreshed from the APIs and the simulator.

    ``nodes`` is ``{az: node private IP}``; ``listeners`` ``{port: describe_rules' Rules}``;
    ``attributes`` the describe_load_balancer_attributes pairs as a dict.
    """

    arn: str
    name: str
    dns_name: str = ""
    scheme: str = "internet-facing"
    nodes: dict[str, str] = field(default_factory=dict)
    node_subnets: dict[str, str] = field(default_factory=dict)
    security_groups: tuple[str, ...] = ()
    listeners: dict[int, list[dict]] = field(default_factory=dict)
    target_groups: dict[str, TargetGroupView] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def lb_id(self) -> str:
        """``app/<name>/<id>`` as in the access log's ``elb`` field."""
        return self.arn.split(":loadbalancer/", 1)[-1]


def trace_header(existing: str | None, now: float, rng: random.Random) -> str:
    """The X-Amzn-Trace-Id the ALB sends on: a new Root, or a new Self before an existing Root."""
    new = f"1-{int(now) & 0xFFFFFFFF:08x}-{rng.getrandbits(96):024x}"
    if existing and "Root=" in existing:
        kept = ";".join(p for p in existing.split(";") if p and not p.startswith("Self="))
        return f"Self={new};{kept}"
    return f"Root={new}" + (f";{existing}" if existing else "")


def _weight(value: str | None) -> float:
    try:
        return min(max(float(value), 1.0), 1e6) if value else 1.0
    except ValueError:
        return 1.0


def _error(status: int) -> web.Response:
    """The ALB's own error page (``Server: awselb/2.0``)."""
    title = f"{status} {_REASON.get(status, '')}".strip()
    body = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    return web.Response(status=status, text=body, content_type="text/html", headers={"Server": "awselb/2.0"})


class LoadBalancer:
    """One ALB's listeners, routing and proxying. Start with :meth:`start`, stop with :meth:`stop`.

    Hooks (all optional): ``record(component, resource, event, **details)`` for the
    timeline; ``on_request(tg_arn, target, status, seconds, weight, elb_generated)`` for the load model and
    metrics; ``access_log(node_ip, AccessLogEntry)``; ``local_address(private_ip)``
    maps a VPC address to the loopback address to bind/connect; ``local_port(ip, port)``
    maps a target's port to the port its app really listens on; ``target_delay(target)
    -> (wall seconds, timed_out)`` applies the simulator's queueing model.
    """

    def __init__(self, view: LoadBalancerView, *, network: Network | None = None, clock: Callable[[], float] = time.time,
                 time_scale: float = 1.0, record: Callable | None = None, on_request: Callable | None = None,
                 access_log: Callable[[str, AccessLogEntry], None] | None = None, pool: Pool | None = None,
                 local_address: Callable[[str], str] = to_loopback, local_port: Callable[[str, int], int] = lambda ip, p: p,
                 connect_timeout_s: float = CONNECT_TIMEOUT_S, seed: int = 0):
        self.view, self.network, self.clock, self.time_scale = view, network, clock, time_scale
        self.record, self.on_request, self.access_log = record, on_request, access_log
        self.local_address, self.local_port, self.connect_timeout_s = local_address, local_port, connect_timeout_s
        self.pool = pool or Pool()
        self.target_delay: Callable[[Target], tuple[float, bool]] | None = None
        self.rng = random.Random(seed)
        self.pickers: dict[str, Picker] = {}
        self.rulesets: dict[int, RuleSet] = {}
        self.addresses: dict[int, tuple[str, int]] = {}
        self._servers: list[tuple[web.Server, asyncio.AbstractServer]] = []
        self._denied_cache: dict = {}
        self.update(view, network)

    # -- configuration ---------------------------------------------------------------------
    def update(self, view: LoadBalancerView | None = None, network: Network | None = None) -> None:
        """Take a fresh view of the ALB (rules, targets, attributes) and/or of the network."""
        if view is not None:
            self.view = view
            self.rulesets = {p: RuleSet(rules, self.rng) for p, rules in view.listeners.items()}
            for arn in view.target_groups:
                self.pickers.setdefault(arn, Picker(self.rng))
        if network is not None:
            self.network = network
        if self.network is not None:
            for az, ip in self.view.nodes.items():
                ep = Endpoint(f"{self.view.name} node {az}", ip, self.view.node_subnets.get(az), self.view.security_groups,
                              self.view.scheme == "internet-facing")
                if self.network.by_ip.get(ip) != ep:
                    self.network.add(ep)

    def attribute(self, key: str, default: str) -> str:
        return self.view.attributes.get(key, default)

    @property
    def idle_timeout(self) -> float:
        return float(self.attribute("idle_timeout.timeout_seconds", str(IDLE_TIMEOUT_S))) * self.time_scale

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self, listen: dict[int, tuple[str, int]]) -> dict[int, tuple[str, int]]:
        """Serve each listener port on its local ``(host, port)``; returns the bound addresses."""
        loop = asyncio.get_running_loop()
        for lport, (host, port) in listen.items():
            server = web.Server(self._handler(lport), access_log=None)
            srv = await loop.create_server(server, host, port, reuse_address=True)
            self._servers.append((server, srv))
            self.addresses[lport] = srv.sockets[0].getsockname()[:2]
        return self.addresses

    async def stop(self) -> None:
        """Stop listening, close client and target connections."""
        for server, srv in self._servers:
            srv.close()
            await server.shutdown(0.5)
            await srv.wait_closed()
        self._servers.clear()
        self.pool.close()

    # -- one request ----------------------------------------------------------------------
    def _handler(self, listener_port: int):
        async def handle(request: web.BaseRequest) -> web.StreamResponse:
            return await self._handle(request, listener_port)

        return handle

    async def _handle(self, request: web.BaseRequest, listener_port: int) -> web.StreamResponse:
        t0, created = time.perf_counter(), self.clock()
        peer = request.transport.get_extra_info("peername") if request.transport else ("127.0.0.1", 0)
        az, node_ip = self._node_for(request)
        gate = self._check(internet(peer[0]), self.network.by_ip.get(node_ip) if self.network else None, listener_port)
        if not gate.allowed:
            self._deny(gate, f"client {peer[0]}", node_ip, listener_port)
            request.transport.abort()  # AWS drops the packets; we close at once and log why
            raise asyncio.CancelledError
        if request.method == "TRACE":
            return _error(405)
        xff = request.headers.get("X-Forwarded-For")
        if xff and xff.count(",") >= MAX_XFF:
            return _error(463)
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        req = Request(request.method, request.path, request.query_string, headers, peer[0], "http", listener_port,
                      _weight(headers.pop(WEIGHT_HEADER, None)))
        entry = AccessLogEntry(elb=self.view.lb_id, client_port=f"{peer[0]}:{peer[1]}", received_bytes=len(body),
                               request=f"{request.method} http://{headers.get('host', node_ip)}{request.path_qs} HTTP/{request.version.major}.{request.version.minor}",
                               user_agent=headers.get("user-agent", "-"), request_creation_time=created)
        ruleset = self.rulesets.get(listener_port)
        outcome = ruleset.evaluate(req) if ruleset else None
        entry.matched_rule_priority = outcome.priority if outcome else -1
        if outcome is None:
            resp = _error(503)
        elif outcome.kind == "fixed-response":
            entry.actions_executed = "fixed-response"
            resp = web.Response(status=outcome.status, text=outcome.body, content_type=outcome.content_type.split(";")[0])
        elif outcome.kind == "redirect":
            entry.actions_executed, entry.redirect_url = "redirect", outcome.location
            resp = web.Response(status=outcome.status, headers={"Location": outcome.location, "Server": "awselb/2.0"})
        else:
            entry.actions_executed = "forward"
            resp = await self._forward(request, req, body, outcome.target_group_arn, az, node_ip, listener_port, entry, t0)
        entry.elb_status_code, entry.time = resp.status, self.clock()
        entry.sent_bytes = (resp.body_length if hasattr(resp, "body_length") else 0) or len(resp.body or b"")
        if self.access_log is not None:
            self.access_log(node_ip, entry)
        return resp

    def _node_for(self, request: web.BaseRequest) -> tuple[str, str]:
        """The node that took this connection (DNS spreads clients over the AZs' nodes)."""
        nodes = sorted(self.view.nodes.items())
        if not nodes:
            return "-", "127.0.0.1"
        return nodes[hash(request.transport) % len(nodes)]

    def _check(self, src: Endpoint, dst: Endpoint | None, port: int) -> Decision:
        if self.network is None or dst is None:
            return Decision(True, "none", "-", "no network policy loaded")
        return self.network.check(src, dst, port)

    def _deny(self, d: Decision, who: str, dst: str, port: int) -> None:
        if self.record is not None:
            self.record("dataplane", self.view.name, "connection_denied", source=who, destination=f"{dst}:{port}",
                        layer=d.layer, rule=d.rule, reason=d.reason)

    async def _forward(self, request, req: Request, body: bytes, tg_arn: str | None, az: str, node_ip: str,
                       listener_port: int, entry: AccessLogEntry, t0: float) -> web.Response:
        tg = self.view.target_groups.get(tg_arn or "")
        entry.target_group_arn = tg_arn or "-"
        if tg is None or not tg.routable:
            return _error(503)  # "The target groups for the load balancer have no registered targets."
        picker = self.pickers.setdefault(tg.arn, Picker(self.rng))
        target = picker.choose(tg, self.clock())
        entry.target_port = entry.target_port_list = f"{target.ip}:{target.port}"
        src = self.network.by_ip.get(node_ip) if self.network else None
        dst = self.network.instances.get(target.instance_id) if self.network else None
        gate = self._check(src, dst, target.port) if src is not None else Decision(True, "none", "-", "")
        if not gate.allowed:
            self._deny(gate, f"{self.view.name} node {node_ip}", target.ip, target.port)
            await asyncio.sleep(self.connect_timeout_s * self.time_scale)
            return self._done(tg, target, _error(504), entry, t0, None, req.weight)
        if self.target_delay is not None:
            delay, timed_out = self.target_delay(target)
            if timed_out:  # the instance's queue is past saturation: no answer before the idle timeout
                await asyncio.sleep(self.idle_timeout)
                return self._done(tg, target, _error(504), entry, t0, None, req.weight)
            if delay > 0.0005:
                await asyncio.sleep(delay)
        head = self._request_head(request, req, body, target, listener_port)
        entry.trace_id = self._last_trace
        picker.started(target)
        sent = time.perf_counter()
        entry.request_processing_time = sent - t0
        try:
            up = await self.pool.request((self.local_address(node_ip), node_ip), (self.local_address(target.ip), self.local_port(target.ip, target.port)),
                                         head, body, connect_timeout=self.connect_timeout_s * self.time_scale,
                                         idle_timeout=self.idle_timeout, method=req.method)
        except UpstreamError as e:
            entry.error_reason = "-"
            status = 504 if e.kind in ("connect_timeout", "idle_timeout") else 502
            return self._done(tg, target, _error(status), entry, t0, None, req.weight)
        finally:
            picker.finished(target)
        entry.target_processing_time = time.perf_counter() - sent
        resp = web.Response(status=up.status, reason=up.reason or None, body=up.body,
                            headers=CIMultiDict((k, v) for k, v in up.headers if k.lower() not in _HOP))
        entry.response_processing_time = 0.0
        return self._done(tg, target, resp, entry, t0, up.status, req.weight)

    def _done(self, tg: TargetGroupView, target: Target, resp: web.Response, entry: AccessLogEntry, t0: float,
              target_status: int | None, weight: float = 1.0) -> web.Response:
        entry.target_status_code = target_status if target_status is not None else "-"
        entry.target_status_code_list = str(target_status) if target_status is not None else "-"
        if self.on_request is not None:
            self.on_request(tg.arn, target, resp.status, time.perf_counter() - t0, weight, target_status is None)
        return resp

    def _request_head(self, request, req: Request, body: bytes, target: Target, listener_port: int) -> bytes:
        """The request line and headers the target receives."""
        mode = self.attribute("routing.http.xff_header_processing.mode", "append")
        client = req.source_ip
        if self.attribute("routing.http.xff_client_port.enabled", "false") == "true":
            peer = request.transport.get_extra_info("peername") if request.transport else (client, 0)
            client = f"{client}:{peer[1]}"
        lines = [f"{req.method} {request.raw_path} HTTP/1.1"]
        xff = req.headers.get("x-forwarded-for")
        for k, v in request.headers.items():
            lk = k.lower()
            if lk in _HOP or lk in _REPLACED:
                continue
            lines.append(f"{k}: {v}")
        if mode == "append":
            lines.append(f"X-Forwarded-For: {xff + ', ' if xff else ''}{client}")
        elif mode == "preserve" and xff:
            lines.append(f"X-Forwarded-For: {xff}")
        lines += ["X-Forwarded-Proto: http", f"X-Forwarded-Port: {listener_port}"]
        self._last_trace = trace_header(req.headers.get("x-amzn-trace-id"), self.clock(), self.rng)
        lines += [f"X-Amzn-Trace-Id: {self._last_trace}", f"Content-Length: {len(body)}", "Connection: keep-alive"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

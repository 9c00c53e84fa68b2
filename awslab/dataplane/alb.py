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
6. Errors the ALB makes itself: 503 no registered targets, 502 refused/reset or
   a deregistration delay that ran out with the request still in flight
   (:meth:`LoadBalancer.deregistration_elapsed`), 504 connect or idle timeout
   (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html).

Timeouts are AWS seconds times ``time_scale`` (in realtime mode ``1/speed``,
so a 60 s idle timeout lasts 3 s of wall time at 20x). The access log's processing
times go the other way, back into AWS seconds, like its timestamps and CloudWatch's
``TargetResponseTime``.
"""
from __future__ import annotations

import asyncio
import random
import ssl
import time
from dataclasses import dataclass, field
from typing import Callable

from .accesslogs import AccessLogEntry
from .addresses import to_loopback
from .balancer import Picker, Target, TargetGroupView
from .http1 import MAX_HEAD, BadRequest, ClientRequest, parse_request, response_bytes
from .netpolicy import Decision, Endpoint, Network, internet
from .rules import Request, RuleSet
from .tls import Terminator, TlsInfo, TlsSession, TlsTransport
from .upstream import Pool, UpstreamError

Reply = tuple  # (status, headers, body, reason or None)

__all__ = ["LoadBalancer", "LoadBalancerView", "Target", "TargetGroupView", "trace_header", "CONNECT_TIMEOUT_S"]

#: "The load balancer ... could not connect to the target within 10 seconds" -> 504 (troubleshooting page above).
CONNECT_TIMEOUT_S = 10.0
#: idle_timeout.timeout_seconds default, range 1-4000
#: (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#connection-idle-timeout).
IDLE_TIMEOUT_S = 60.0
#: A client's TLS handshake must finish within this many wall seconds (a bound on a stalled client, not an AWS
#: number; it is not scaled with the simulator's speed, since the handshake is the client's own network time).
TLS_HANDSHAKE_TIMEOUT_S = 10.0
#: More than 30 addresses in X-Forwarded-For -> 463.
MAX_XFF = 30
WEIGHT_HEADER = "x-awslab-weight"  # the traffic generator's sampling weight; never forwarded
_REPLACED = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "x-amzn-trace-id", WEIGHT_HEADER}
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade", "te", "trailer"}
_DROP = frozenset(_HOP | _REPLACED)
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
    #: ``{port: tls.ListenerTls}`` for each HTTPS listener (its policy, certificates and their keys: never shown).
    tls: dict[int, object] = field(default_factory=dict, repr=False)

    @property
    def lb_id(self) -> str:
        """``app/<name>/<id>`` as in the access log's ``elb`` field."""
        return self.arn.split(":loadbalancer/", 1)[-1]


def trace_header(existing: str | None, now: float, rng: random.Random | Callable[[int], int]) -> str:
    """The X-Amzn-Trace-Id the ALB sends on: a new Root, or a new Self before an existing Root.

    ``1-<epoch seconds, 8 hex>-<96 random bits, 24 hex>``. The bits come from a seeded
    ``random.Random`` (``rng`` or its ``getrandbits``), not ``os.urandom``: an id only needs to be
    unique, not secret, and a system call per request costs more than the rest of the header.
    """
    bits = rng(96) if callable(rng) else rng.getrandbits(96)
    new = f"1-{int(now) & 0xFFFFFFFF:08x}-{bits:024x}"
    if existing and "Root=" in existing:
        kept = ";".join(p for p in existing.split(";") if p and not p.startswith("Self="))
        return f"Self={new};{kept}"
    return f"Root={new}" + (f";{existing}" if existing else "")


def _weight(value: str | None) -> float:
    try:
        return min(max(float(value), 1.0), 1e6) if value else 1.0
    except ValueError:
        return 1.0


def _error(status: int) -> Reply:
    """The ALB's own error page (``Server: awselb/2.0``)."""
    title = f"{status} {_REASON.get(status, '')}".strip()
    body = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    return status, [("Server", "awselb/2.0"), ("Content-Type", "text/html")], body.encode(), None


class LoadBalancer:
    """One ALB's listeners, routing and proxying. Start with :meth:`start`, stop with :meth:`stop`.

    Hooks (all optional): ``record(component, resource, event, **details)`` for the
    timeline; ``on_request(tg_arn, target, status, seconds, weight, elb_generated)`` for the
    load model and metrics; ``access_log(node_ip, AccessLogEntry)``; ``local_address(private_ip)``
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
        self._servers: list[asyncio.AbstractServer] = []
        self._conns: set[asyncio.Transport] = set()
        self._node_rr = 0
        self._in_flight: dict[tuple, set] = {}  # (tg arn, instance id, port) -> the tasks waiting on that target
        self._cut: set = set()  # tasks whose target's deregistration delay ran out
        self.terminators: dict[int, Terminator] = {}  # HTTPS listeners: port -> its TLS contexts (awslab.dataplane.tls)
        self.update(view, network)

    # -- configuration ---------------------------------------------------------------------
    def update(self, view: LoadBalancerView | None = None, network: Network | None = None) -> None:
        """Take a fresh view of the ALB (rules, targets, attributes) and/or of the network."""
        if view is not None:
            self.view = view
            self._idle_s = float(view.attributes.get("idle_timeout.timeout_seconds", IDLE_TIMEOUT_S))
            self._lb_id = view.lb_id  # per-request values read once per update, not per request
            self._xff_mode = view.attributes.get("routing.http.xff_header_processing.mode", "append")
            self._xff_port = view.attributes.get("routing.http.xff_client_port.enabled", "false") == "true"
            self.rulesets = {p: RuleSet(rules, self.rng) for p, rules in view.listeners.items()}
            self._update_tls(view)
            for arn in view.target_groups:
                self.pickers.setdefault(arn, Picker(self.rng))
            for arn in [a for a in self.pickers if a not in view.target_groups]:
                del self.pickers[arn]  # a group the listeners no longer forward to
        if network is not None:
            self.network = network
        self._gates: dict[tuple, Decision | None] = {}
        if self.network is not None:
            for az, ip in self.view.nodes.items():
                ep = Endpoint(f"{self.view.name} node {az}", ip, self.view.node_subnets.get(az), self.view.security_groups,
                              self.view.scheme == "internet-facing")
                if self.network.by_ip.get(ip) != ep:
                    self.network.add(ep)

    def _update_tls(self, view: LoadBalancerView) -> None:
        """Each HTTPS listener's contexts; one whose default certificate can't be served takes no connections."""
        terminators = {}
        for port, listener_tls in view.tls.items():
            term = self.terminators.get(port) or Terminator()
            try:
                term.update(listener_tls)
            except (ValueError, ssl.SSLError) as e:
                if self.record is not None:
                    self.record("dataplane", view.name, "https_listener_not_served", listener_port=port, error=str(e)[:200])
                continue
            terminators[port] = term
        self.terminators = terminators

    def attribute(self, key: str, default: str) -> str:
        return self.view.attributes.get(key, default)

    @property
    def idle_timeout(self) -> float:
        """``idle_timeout.timeout_seconds`` (default 60) on the wall clock."""
        return self._idle_s * self.time_scale

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self, listen: dict[int, tuple[str, int]]) -> dict[int, tuple[str, int]]:
        """Serve each listener port on its local ``(host, port)``; returns the bound addresses."""
        for lport, (host, port) in listen.items():
            srv = await asyncio.get_running_loop().create_server(lambda _p=lport: _ClientConnection(self, _p), host, port,
                                                                 reuse_address=True)
            self._servers.append(srv)
            self.addresses[lport] = srv.sockets[0].getsockname()[:2]
        return self.addresses

    async def stop(self) -> None:
        """Stop listening, close client and target connections."""
        for srv in self._servers:
            srv.close()
        for t in list(self._conns):
            t.abort()
        for srv in self._servers:
            await srv.wait_closed()
        self._servers.clear()
        self.pool.close()

    # -- one client connection --------------------------------------------------------------
    def _connection_made(self, conn: "_ClientConnection") -> bool:
        """A client connected: may it reach the node (the ALB's groups, NACL, routes)?"""
        gate = self._check(internet(conn.peer[0]), self.network.by_ip.get(conn.node_ip) if self.network else None,
                           conn.listener_port)
        if not gate.allowed:
            self._deny(gate, f"client {conn.peer[0]}", conn.node_ip, conn.listener_port)
            return False  # AWS drops the packets; we close at once and the timeline says why
        self._conns.add(conn.transport)
        return True

    def _next_node(self, client_ip: str | None = None, listener_port: int = 80) -> tuple[str, str]:
        """The node that takes this connection: DNS answers with every enabled AZ's node, clients take them in turn.

        A client whose packets a node's subnet drops (a NACL that cuts the AZ off, as in the AZ-outage drill) gets
        no answer there and moves on to the next address in the DNS answer, as curl and browsers do; the ALB's
        DNS name keeps a node whose AZ is cut off as long as the target group has a healthy target in any AZ
        (cross-zone is always on for an ALB: https://repost.aws/knowledge-center/elb-dns-cross-zone-balance-configuration).
        So the connection goes to the next node the client can reach; when none can, to the next one (and is dropped).
        """
        nodes = sorted(self.view.nodes.items())
        if not nodes:
            return "-", "127.0.0.1"
        self._node_rr += 1
        if client_ip is not None and self.network is not None:
            for k in range(len(nodes)):
                az, ip = nodes[(self._node_rr + k) % len(nodes)]
                if self._check(internet(client_ip), self.network.by_ip.get(ip), listener_port).allowed:
                    return az, ip
        return nodes[self._node_rr % len(nodes)]

    async def _handle(self, creq: ClientRequest, peer: tuple, az: str, node_ip: str, listener_port: int,
                      tls: TlsInfo | None = None) -> Reply:
        t0, created = time.perf_counter(), self.clock()
        if creq.method == "TRACE":
            return _error(405)
        headers = {k.lower(): v for k, v in creq.headers}
        xff = headers.get("x-forwarded-for")
        if xff and xff.count(",") >= MAX_XFF:
            return _error(463)
        scheme = "https" if tls is not None else "http"
        req = Request(creq.method, creq.path, creq.query, headers, peer[0], scheme, listener_port,
                      _weight(headers.pop(WEIGHT_HEADER, None)))
        entry = AccessLogEntry(elb=self._lb_id, client_port=f"{peer[0]}:{peer[1]}", received_bytes=creq.head_bytes + len(creq.body),
                               request=f"{creq.method} {scheme}://{headers.get('host', node_ip)}{creq.target} {creq.version}",
                               user_agent=headers.get("user-agent", "-"), request_creation_time=created)
        if tls is not None:  # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html
            entry.type, entry.ssl_cipher, entry.ssl_protocol = "https", tls.cipher, tls.protocol
            entry.chosen_cert_arn = tls.certificate_arn
        ruleset = self.rulesets.get(listener_port)
        outcome = ruleset.evaluate(req) if ruleset else None
        entry.matched_rule_priority = outcome.priority if outcome else -1
        if outcome is None:
            reply = _error(503)
        elif outcome.kind == "fixed-response":
            entry.actions_executed = "fixed-response"
            reply = (outcome.status, [("Server", "awselb/2.0"), ("Content-Type", outcome.content_type)], outcome.body.encode(), None)
        elif outcome.kind == "redirect":
            entry.actions_executed, entry.redirect_url = "redirect", outcome.location
            reply = (outcome.status, [("Server", "awselb/2.0"), ("Location", outcome.location)], b"", None)
        else:
            entry.actions_executed = "forward"
            reply = await self._forward(creq, req, outcome.target_group_arn, node_ip, listener_port, entry, t0, peer)
        entry.elb_status_code, entry.time, entry.sent_bytes = reply[0], self.clock(), len(reply[2])
        if self.access_log is not None:
            self.access_log(node_ip, entry)
        return reply

    def deregistration_elapsed(self, tg_arn: str, instance_id: str, port: int | None = None) -> int:
        """A draining target's deregistration delay ran out: requests still in flight to it get 502.

        AWS: "Deregistration delay elapsed while a request was in flight" is one of the
        ALB's 502 causes (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html#http-502-issues,
        https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#deregistration-delay).
        The target connections those requests used are closed. Returns how many requests were cut.
        """
        cut = 0
        for (arn, iid, p), tasks in list(self._in_flight.items()):
            if arn != tg_arn or iid != instance_id or (port is not None and p != port):
                continue
            for task in list(tasks):
                if task not in self._cut and not task.done():
                    self._cut.add(task)
                    task.cancel()
                    cut += 1
        if cut and self.record is not None:
            self.record("dataplane", self.view.name, "in_flight_requests_cut", target_group_arn=tg_arn, target=instance_id,
                        requests=cut, reason="deregistration delay elapsed while requests were in flight (502)")
        return cut

    def _check(self, src: Endpoint, dst: Endpoint | None, port: int) -> Decision:
        if self.network is None or dst is None:
            return Decision(True, "none", "-", "no network policy loaded")
        return self.network.check(src, dst, port)

    def _deny(self, d: Decision, who: str, dst: str, port: int) -> None:
        if self.record is not None:
            self.record("dataplane", self.view.name, "connection_denied", source=who, destination=f"{dst}:{port}",
                        layer=d.layer, rule=d.rule, reason=d.reason)

    async def _forward(self, creq: ClientRequest, req: Request, tg_arn: str | None, node_ip: str, listener_port: int,
                       entry: AccessLogEntry, t0: float, peer: tuple) -> Reply:
        tg = self.view.target_groups.get(tg_arn or "")
        entry.target_group_arn = tg_arn or "-"
        if tg is None or not tg.routable:  # "The target groups for the load balancer have no registered targets."
            if tg is not None and self.on_request is not None:  # HTTPCode_ELB_5XX_Count, no target chosen
                self.on_request(tg.arn, None, 503, time.perf_counter() - t0, req.weight, True)
            return _error(503)
        picker = self.pickers.get(tg.arn) or self.pickers.setdefault(tg.arn, Picker(self.rng))
        target = picker.choose(tg, self.clock())
        entry.target_port = entry.target_port_list = f"{target.ip}:{target.port}"
        # From here on the time is the target's: its queue (the load model's delay) and its answer. AWS:
        # TargetResponseTime "is equivalent to the target_processing_time field in the access logs" (AWS seconds, both).
        sent = time.perf_counter()
        entry.request_processing_time = (sent - t0) / self.time_scale
        wait = await self._obstacle(target, node_ip)
        if wait is not None:  # dropped by policy or lost in the queue: the ALB gives up with a 504
            await asyncio.sleep(wait)
            return self._done(tg, target, _error(504), entry, sent, None, req.weight)
        head = self._request_head(creq, req, listener_port, peer)
        entry.trace_id = self._last_trace
        picker.started(target)
        task, key = asyncio.current_task(), (tg.arn, target.instance_id, target.port)
        flights = self._in_flight.get(key)
        if flights is None:
            flights = self._in_flight[key] = set()
        flights.add(task)
        try:
            up = await self.pool.request((self.local_address(node_ip), node_ip), (self.local_address(target.ip), self.local_port(target.ip, target.port)),
                                         head, creq.body, connect_timeout=self.connect_timeout_s * self.time_scale,
                                         idle_timeout=self.idle_timeout, method=req.method)
        except UpstreamError as e:
            entry.error_reason = "-"
            status = 504 if e.kind in ("connect_timeout", "idle_timeout") else 502
            return self._done(tg, target, _error(status), entry, sent, None, req.weight)
        except asyncio.CancelledError:
            if task not in self._cut:
                raise
            self._cut.discard(task)  # the deregistration delay ran out: "502 ... while a request was in flight"
            task.uncancel()
            return self._done(tg, target, _error(502), entry, sent, None, req.weight)
        finally:
            picker.finished(target)
            flights.discard(task)
            if not flights:  # keep no entry per target that once had requests in flight
                self._in_flight.pop(key, None)
        entry.target_processing_time = (time.perf_counter() - sent) / self.time_scale
        resp = (up.status, [kv for kv in up.headers if kv[0].lower() not in _HOP], up.body, up.reason or None)
        entry.response_processing_time = 0.0
        return self._done(tg, target, resp, entry, sent, up.status, req.weight)

    async def _obstacle(self, target: Target, node_ip: str) -> float | None:
        """Seconds until the ALB gives up on ``target`` (None: go ahead), after the model's queueing delay.

        A security group or NACL that drops the SYN costs the connect timeout (10 s);
        an instance past saturation answers after the idle timeout.
        """
        key = (node_ip, target.instance_id, target.port)
        gate = self._gates.get(key, False)
        if gate is False:  # decided once per (node, target, port) until the network changes
            src = self.network.by_ip.get(node_ip) if self.network else None
            dst = self.network.instances.get(target.instance_id) if self.network else None
            gate = self._gates[key] = self._check(src, dst, target.port) if src is not None else None
        if gate is not None and not gate.allowed:
            self._deny(gate, f"{self.view.name} node {node_ip}", target.ip, target.port)
            return self.connect_timeout_s * self.time_scale
        if self.target_delay is not None:
            delay, timed_out = self.target_delay(target)
            if timed_out:
                return self.idle_timeout
            if delay > 0.0005:
                await asyncio.sleep(delay)
        return None

    def _done(self, tg: TargetGroupView, target: Target, resp: Reply, entry: AccessLogEntry, sent: float,
              target_status: int | None, weight: float = 1.0) -> Reply:
        """Log the target's answer and report the request to the load model, timed from ``sent`` (the target's time)."""
        entry.target_status_code = target_status if target_status is not None else "-"
        entry.target_status_code_list = str(target_status) if target_status is not None else "-"
        if self.on_request is not None:
            self.on_request(tg.arn, target, resp[0], time.perf_counter() - sent, weight, target_status is None)
        return resp

    def _request_head(self, creq: ClientRequest, req: Request, listener_port: int, peer: tuple) -> bytes:
        """The request line and headers the target receives."""
        mode = self._xff_mode
        client = req.source_ip
        if self._xff_port:
            client = f"{client}:{peer[1]}"
        lines = [f"{creq.method} {creq.target} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in creq.headers if k.lower() not in _DROP]
        xff = req.headers.get("x-forwarded-for")
        if mode == "append":
            lines.append(f"X-Forwarded-For: {xff + ', ' if xff else ''}{client}")
        elif mode == "preserve" and xff:
            lines.append(f"X-Forwarded-For: {xff}")
        lines += [f"X-Forwarded-Proto: {req.protocol}", f"X-Forwarded-Port: {listener_port}"]
        self._last_trace = trace_header(req.headers.get("x-amzn-trace-id"), self.clock(), self.rng.getrandbits)
        lines += [f"X-Amzn-Trace-Id: {self._last_trace}", f"Content-Length: {len(creq.body)}", "Connection: keep-alive"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _ClientConnection(asyncio.Protocol):
    """One client connection to a listener: requests parsed as bytes arrive, answered in order.

    The idle timeout closes a connection that sends nothing while no request is in flight
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#connection-idle-timeout).
    """

    def __init__(self, lb: LoadBalancer, listener_port: int):
        self.lb, self.listener_port = lb, listener_port
        self.buf = bytearray()
        self.busy = self.closed = False
        self.transport: asyncio.Transport | None = None
        self._idle: asyncio.TimerHandle | None = None
        self.tls: TlsInfo | None = None
        self.raw: asyncio.Transport | None = None
        self.session: TlsSession | None = None  # an HTTPS listener's connection: TLS through memory BIOs

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = self.raw = transport
        self.peer = transport.get_extra_info("peername") or ("127.0.0.1", 0)
        self.az, self.node_ip = self.lb._next_node(self.peer[0], self.listener_port)
        if not self.lb._connection_made(self):  # security groups first: a dropped client never sees a handshake
            transport.abort()
            self.closed = True
            return
        if self.listener_port in self.lb.view.tls:
            term = self.lb.terminators.get(self.listener_port)
            if term is None or term.default is None:
                self._drop()
                return
            self.session = TlsSession(term.default, transport)
            self.transport = TlsTransport(self.session, transport)
            asyncio.get_running_loop().call_later(TLS_HANDSHAKE_TIMEOUT_S, self._handshake_deadline)
            return
        self._arm()

    def _handshake_deadline(self) -> None:
        if not self.closed and self.session is not None and not self.session.established:
            self._drop()  # a client that never finished its handshake

    def _decrypt(self, data: bytes) -> bytes | None:
        """TLS in, HTTP out; None when the handshake failed (no common version or cipher, a bad record): closed."""
        try:
            plain = self.session.feed(data)
        except ssl.SSLError:
            self._drop()
            return None
        if self.tls is None and self.session.established:
            self.tls = Terminator.info(self.session.sslobj)
            self._arm()
        return plain

    def _drop(self) -> None:
        self.closed = True
        if self.raw is not None:
            self.raw.abort()
            self.lb._conns.discard(self.raw)

    def _arm(self) -> None:
        """Note activity; one timer per connection checks it (cheaper than a new timer per request)."""
        loop = asyncio.get_running_loop()
        self._last = loop.time()
        if self._idle is None:
            self._idle = loop.call_later(self.lb.idle_timeout, self._on_idle)

    def _on_idle(self) -> None:
        if self.closed:
            return
        loop = asyncio.get_running_loop()
        left = self._last + self.lb.idle_timeout - loop.time()
        if self.busy or left > 0:  # in flight (the target side's timeout applies) or recently active
            self._idle = loop.call_later(max(left, 0.01) if not self.busy else self.lb.idle_timeout, self._on_idle)
            return
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.session is not None:
            data = self._decrypt(data)
            if not data:
                return
        self.buf += data
        if len(self.buf) > MAX_HEAD * 4 and self.busy:
            self.transport.pause_reading()  # a pipelining client waits until we catch up
        if not self.busy:
            self._next()

    def _next(self) -> None:
        try:
            got = parse_request(self.buf)
        except BadRequest as e:
            self.transport.write(response_bytes(*_error(e.status)[:3], keep_alive=False))
            self.transport.close()
            self.closed = True
            return
        if got is None:
            return
        creq, used = got
        del self.buf[:used]
        self.busy = True
        asyncio.get_running_loop().create_task(self._serve(creq))

    async def _serve(self, creq: ClientRequest) -> None:
        try:
            status, headers, body, reason = await self.lb._handle(creq, self.peer, self.az, self.node_ip, self.listener_port,
                                                                  self.tls)
        except Exception:  # never leave a client hanging on our bug
            status, headers, body, reason = _error(502)
        if self.closed:
            return
        keep = creq.keep_alive
        self.transport.write(response_bytes(status, headers, body, keep, creq.method == "HEAD", reason))
        self.busy = False
        if not keep:
            self.transport.close()
            self.closed = True
            return
        self.transport.resume_reading()
        self._arm()
        if self.buf:
            self._next()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._idle is not None:
            self._idle.cancel()
        self.lb._conns.discard(self.raw)

"""The ALB's side of a connection to a target: a small HTTP/1.1 client with a connection pool.

Why not a general HTTP client: the ALB must connect *from a chosen address*
(its node's, so the target can enforce security groups by source), must tell
a refused connection (502) from a connect timeout (504) from a target that
went quiet (504 after the idle timeout), and must be fast. Keep-alive
connections are pooled per (node address, target, port), as an ALB does
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#connection-idle-timeout).
"""
from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from typing import Callable

from .http1 import BadRequest, _dechunk

__all__ = ["UpstreamError", "UpstreamResponse", "Pool"]

#: Heads bigger than this are malformed for the ALB (502: "response header > 32 K").
MAX_HEAD = 32 * 1024
#: Idle pooled connections kept per (node, target, port).
MAX_IDLE_PER_KEY = 64


class UpstreamError(Exception):
    """The target could not be used. ``kind``: refused | reset | connect_timeout | idle_timeout | malformed."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


@dataclass
class UpstreamResponse:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    keep_alive: bool = True
    header_bytes: int = 0


class _Conn(asyncio.Protocol):
    """One keep-alive connection to a target; answers are parsed as bytes arrive."""

    def __init__(self, local_port: int):
        self.local_port = local_port
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.closed = self.eof = self.released = False
        self.waiter: asyncio.Future | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.method, self.idle_s, self.deadline = "GET", 0.0, 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        self._try()

    def eof_received(self) -> bool:
        self.eof = True
        self._try()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = self.eof = True
        self._try()

    def _try(self) -> None:
        w = self.waiter
        if w is None or w.done():
            return
        try:
            got = parse_response(self.buf, self.method, self.eof)
        except ValueError as e:
            w.set_exception(UpstreamError("malformed", str(e)))
            return
        if got is not None:
            resp, used = got
            del self.buf[:used]
            w.set_result(resp)
        elif self.eof:  # closed before a whole answer: stale if nothing came back at all
            w.set_exception(UpstreamError("reset" if self.buf else "stale", "the target closed the connection"))

    async def exchange(self, data: bytes, method: str, idle_timeout: float) -> UpstreamResponse:
        loop = asyncio.get_running_loop()
        self.method, self.waiter = method, loop.create_future()
        self.idle_s, self.deadline = idle_timeout, loop.time() + idle_timeout
        self.transport.write(data)
        if self.timer is None:  # one timer per connection, re-armed lazily (cheaper than one per request)
            self.timer = loop.call_at(self.deadline, self._check_idle)
        try:
            return await self.waiter
        finally:
            self.waiter = None

    def _check_idle(self) -> None:
        self.timer = None
        w = self.waiter
        if w is None or w.done():
            return
        loop = asyncio.get_running_loop()
        if loop.time() >= self.deadline:
            w.set_exception(UpstreamError("idle_timeout", f"no answer within the idle timeout ({self.idle_s:g} s)"))
        else:
            self.timer = loop.call_at(self.deadline, self._check_idle)

    @property
    def usable(self) -> bool:
        return not self.closed and not self.eof and self.transport is not None and not self.transport.is_closing()


@dataclass
class Pool:
    """Pooled keep-alive connections to targets.

    ``on_connect(local_port, source_ip)`` runs *before* each new connection is
    made (single-address mode uses it to say who owns the port);
    ``on_close(local_port)`` when one closes.
    """

    on_connect: Callable[[int, str], None] | None = None
    on_close: Callable[[int], None] | None = None
    idle: dict[tuple, list[_Conn]] = field(default_factory=dict)
    open_count: int = 0

    async def request(self, source: tuple[str, str], target: tuple[str, int], head: bytes, body: bytes, *,
                      connect_timeout: float, idle_timeout: float, method: str = "GET") -> UpstreamResponse:
        """Send one request from ``source`` = (bind address, VPC address) to ``target`` and read the answer."""
        key = (source[0], target[0], target[1])
        conn = self._take(key)
        if conn is not None:
            try:
                return await self._exchange(key, conn, head, body, idle_timeout, method)
            except UpstreamError as e:
                if e.kind not in ("stale", "reset"):  # a pooled connection the target already closed: retry fresh
                    raise
        conn = await self._connect(source, target, connect_timeout)
        try:
            return await self._exchange(key, conn, head, body, idle_timeout, method)
        except UpstreamError as e:
            if e.kind == "stale":
                raise UpstreamError("reset", "the target closed the connection without answering") from None
            raise

    def _take(self, key: tuple) -> _Conn | None:
        conns = self.idle.get(key)
        while conns:
            conn = conns.pop()
            if conn.usable and not conn.buf:
                return conn
            self._close(conn)
        return None

    async def _connect(self, source: tuple[str, str], target: tuple[str, int], timeout: float) -> _Conn:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        local_port = None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind((source[0], 0))
            local_port = sock.getsockname()[1]
            if self.on_connect:
                self.on_connect(local_port, source[1])
            async with asyncio.timeout(timeout):
                await loop.sock_connect(sock, target)
            _, conn = await loop.create_connection(lambda: _Conn(local_port), sock=sock)
        except BaseException as e:  # no connection: the port is free again (the registry forgets it)
            sock.close()
            if local_port is not None and self.on_close:
                self.on_close(local_port)
            if isinstance(e, TimeoutError):
                raise UpstreamError("connect_timeout", f"no connection to {target[0]}:{target[1]} within {timeout:g} s") from None
            if isinstance(e, ConnectionRefusedError):
                raise UpstreamError("refused", f"{target[0]}:{target[1]} refused the connection") from None
            if isinstance(e, OSError):
                raise UpstreamError("refused", f"{target[0]}:{target[1]}: {e.strerror or e}") from None
            raise  # cancelled: the ALB gave up on this request (e.g. deregistration delay elapsed)
        self.open_count += 1
        return conn

    async def _exchange(self, key: tuple, conn: _Conn, head: bytes, body: bytes, idle_timeout: float, method: str) -> UpstreamResponse:
        try:
            resp = await conn.exchange(head + body, method, idle_timeout)
        except UpstreamError:
            self._close(conn)
            raise
        except (ConnectionError, OSError) as e:
            self._close(conn)
            raise UpstreamError("reset", str(e)) from None
        except asyncio.CancelledError:  # abandoned mid-answer: the connection can't be reused
            self._close(conn)
            raise
        if resp.keep_alive and conn.usable and len(self.idle.setdefault(key, [])) < MAX_IDLE_PER_KEY:
            self.idle[key].append(conn)
        else:
            self._close(conn)
        return resp

    def _close(self, conn: _Conn) -> None:
        if conn.released:
            return
        conn.released = True
        self.open_count -= 1
        if conn.transport is not None and not conn.transport.is_closing():
            conn.transport.abort()
        if self.on_close:
            self.on_close(conn.local_port)

    def close_target(self, ip: str, port: int) -> None:
        """Drop pooled connections to one target (it stopped, or left the group)."""
        for key in [k for k in self.idle if k[1:] == (ip, port)]:
            for conn in self.idle.pop(key):
                self._close(conn)

    def close(self) -> None:
        for conns in self.idle.values():
            for conn in conns:
                self._close(conn)
        self.idle.clear()


def parse_response(buf: bytearray, method: str, eof: bool) -> tuple[UpstreamResponse, int] | None:
    """One complete answer from the start of ``buf``: ``(response, bytes used)``, or None if more must come.

    A body without Content-Length or chunking ends when the target closes (``eof``).
    """
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if len(buf) > MAX_HEAD:
            raise ValueError("response head larger than 32 KB")
        return None
    lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ValueError(f"bad status line {lines[0][:60]!r}")
    status = int(parts[1])
    headers: list[tuple[str, str]] = []
    length, chunked, keep = None, False, parts[0] == "HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip(), value.strip()
        low = name.lower()
        if low == "content-length":
            length = int(value)
        elif low == "transfer-encoding":
            chunked = "chunked" in value.lower()
        elif low == "connection":
            keep = "close" not in value.lower() and (keep or "keep-alive" in value.lower())
        headers.append((name, value))
    start = end + 4
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        body, used = b"", start
    elif chunked:
        try:
            got = _dechunk(buf, start)
        except BadRequest as e:
            raise ValueError(str(e)) from None
        if got is None:
            return None
        body, used = got
    elif length is not None:
        if len(buf) < start + length:
            return None
        body, used = bytes(buf[start:start + length]), start + length
    else:
        if not eof:
            return None
        body, used, keep = bytes(buf[start:]), len(buf), False
    return UpstreamResponse(status, parts[2] if len(parts) > 2 else "", headers, body, keep, start), used

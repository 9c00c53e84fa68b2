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


@dataclass
class _Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    local_port: int


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
            if not conn.writer.transport.is_closing() and not conn.reader.at_eof():
                return conn
            self._close(conn)
        return None

    async def _connect(self, source: tuple[str, str], target: tuple[str, int], timeout: float) -> _Conn:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind((source[0], 0))
            local_port = sock.getsockname()[1]
            if self.on_connect:
                self.on_connect(local_port, source[1])
            async with asyncio.timeout(timeout):
                await loop.sock_connect(sock, target)
            reader, writer = await asyncio.open_connection(sock=sock, limit=MAX_HEAD)
        except TimeoutError:
            sock.close()
            raise UpstreamError("connect_timeout", f"no connection to {target[0]}:{target[1]} within {timeout:g} s") from None
        except ConnectionRefusedError:
            sock.close()
            raise UpstreamError("refused", f"{target[0]}:{target[1]} refused the connection") from None
        except OSError as e:
            sock.close()
            raise UpstreamError("refused", f"{target[0]}:{target[1]}: {e.strerror or e}") from None
        self.open_count += 1
        return _Conn(reader, writer, local_port)

    async def _exchange(self, key: tuple, conn: _Conn, head: bytes, body: bytes, idle_timeout: float, method: str) -> UpstreamResponse:
        try:
            conn.writer.write(head + body)
            async with asyncio.timeout(idle_timeout):  # no extra task per request, unlike wait_for
                resp = await _read_response(conn.reader, method)
        except TimeoutError:
            self._close(conn)
            raise UpstreamError("idle_timeout", f"no answer within the idle timeout ({idle_timeout:g} s)") from None
        except asyncio.IncompleteReadError as e:
            self._close(conn)
            raise UpstreamError("stale" if not e.partial else "reset", "connection closed mid-response") from None
        except (ConnectionError, OSError) as e:
            self._close(conn)
            raise UpstreamError("reset", str(e)) from None
        except ValueError as e:
            self._close(conn)
            raise UpstreamError("malformed", str(e)) from None
        if resp.keep_alive and len(self.idle.setdefault(key, [])) < MAX_IDLE_PER_KEY:
            self.idle[key].append(conn)
        else:
            self._close(conn)
        return resp

    def _close(self, conn: _Conn) -> None:
        if not conn.writer.transport.is_closing():
            conn.writer.transport.abort()
            self.open_count -= 1
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


async def _read_response(reader: asyncio.StreamReader, method: str) -> UpstreamResponse:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise ValueError("response head larger than 32 KB") from None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ValueError(f"bad status line {lines[0][:60]!r}")
    status = int(parts[1])
    headers: list[tuple[str, str]] = []
    length, chunked, keep = None, False, parts[0] == "HTTP/1.1"
    for line in lines[1:]:
        if not line:
            continue
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
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        body = b""
    elif chunked:
        body = await _read_chunked(reader)
    elif length is not None:
        body = await reader.readexactly(length)
    else:
        body, keep = await reader.read(), False
    return UpstreamResponse(status, parts[2] if len(parts) > 2 else "", headers, body, keep, len(head))


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    out = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return bytes(out)
        out += await reader.readexactly(size)
        await reader.readexactly(2)

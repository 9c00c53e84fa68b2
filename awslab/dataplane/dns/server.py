"""The name server on loopback: UDP and TCP on one port, answering from a :class:`~.resolve.DnsView`.

It runs on an event loop of its own, in a thread of its own, so a flood of
queries never delays the ALB's loop and a stuck read never stops the answers.
The view is rebuilt from the AWS APIs only when something it mirrors changed
(``is_stale()``, from the cloud's change counter); the first query after a
change waits for the new view, so a record written through the API is answered
at once. Meanwhile a query costs a parse, a few dictionary lookups and a write.

Hostile input, each bounded:

- a packet that is not a DNS query: FORMERR when its header can be read, else nothing;
  a response (QR set) is never answered (no reflection loops between two servers);
- a query larger than :data:`MAX_QUERY_BYTES` (a real one is under 300 bytes): dropped;
- an answer larger than the client's UDP size (512 bytes, or what EDNS offers up to
  1232): the TC bit with no records, so the client retries over TCP (RFC 1035, RFC 7766);
- TCP: at most :data:`MAX_TCP_CONNECTIONS` at once, each closed after
  :data:`TCP_IDLE_S` without a complete query, a message over the size limit closes it;
- UDP queries waiting for a new view: at most :data:`MAX_WAITING`, answered together after one
  read; past that the oldest are dropped (as a loaded server drops; the client retries).
"""
from __future__ import annotations

import asyncio
import logging
import struct
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import dns.exception
import dns.flags
import dns.message
import dns.rcode

from ..loop import new_event_loop
from .resolve import EDNS_PAYLOAD, DnsView, answer

__all__ = ["DnsServer", "MAX_QUERY_BYTES", "MAX_TCP_CONNECTIONS", "TCP_IDLE_S", "MAX_WAITING", "REFRESH_WAIT_S"]

log = logging.getLogger("awslab.dataplane.dns")

MAX_QUERY_BYTES = 4096
MAX_TCP_CONNECTIONS = 64
TCP_IDLE_S = 10.0
MAX_WAITING = 1024
#: A query waits this long for a new view at most; then it is answered from the last one. Long: a stale answer
#: (a record just deleted, still answered) misleads, while a late one only makes the client ask again
#: (dig retries after 5 s) and the retry gets the fresh view.
REFRESH_WAIT_S = 15.0
#: After a failed read of the APIs, the next try waits this long (a broken read is not retried per packet).
RETRY_AFTER_S = 1.0
_NO_EDNS_PAYLOAD = 512


class DnsServer:
    """Serve ``read()``'s view on ``host:port`` (UDP and TCP). ``stale()`` says the view no longer matches the cloud.

    ``read(generation)`` runs in a worker thread and returns a fresh :class:`DnsView`;
    ``generation()`` is the cloud's change count for what the view mirrors.
    """

    def __init__(self, read: Callable[[int], DnsView], generation: Callable[[], int], host: str = "127.0.0.1"):
        self.read, self.generation, self.host = read, generation, host
        self.port: int | None = None
        self.view = DnsView()
        self.counts = {"queries": 0, "tcp_queries": 0, "dropped": 0, "formerr": 0, "servfail": 0, "truncated": 0,
                       "refreshes": 0, "refresh_errors": 0}
        self.last_error = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="awslab-dns-read")
        self._refresh: asyncio.Future | None = None
        self._retry_at = 0.0
        self._queue: deque[tuple[bytes, tuple]] = deque(maxlen=MAX_WAITING)  # UDP queries waiting for a fresh view
        self._drain: asyncio.Future | None = None
        self._tcp_open = 0
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.AbstractServer | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, ports: list[int]) -> int:
        """Bind the first of ``ports`` free for both UDP and TCP (0: any free port) and serve; returns the port."""
        ready, failure = threading.Event(), []

        def main() -> None:
            self.loop = new_event_loop()
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(self._bind(ports))
            except OSError as e:
                failure.append(e)
                ready.set()
                return
            ready.set()
            self.loop.run_forever()
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

        self._thread = threading.Thread(target=main, name="awslab-dns", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self.port or 0

    def warm(self) -> None:
        """Read the view now, in the background, so the first query does not pay for it (clients, first calls)."""
        if self.loop is not None and self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self.fresh_view(), self.loop)

    async def _bind(self, ports: list[int]) -> None:
        loop = asyncio.get_running_loop()
        error: OSError | None = None
        for port in ports:
            udp = None
            try:
                udp, _ = await loop.create_datagram_endpoint(lambda: _Udp(self), local_addr=(self.host, port))
                bound = udp.get_extra_info("sockname")[1]
                self._tcp = await asyncio.start_server(self._serve_tcp, self.host, bound, limit=MAX_QUERY_BYTES + 2)
            except OSError as e:  # taken (by UDP or TCP): try the next port
                error = e
                if udp is not None:
                    udp.close()
                continue
            self._udp, self.port = udp, bound
            return
        raise error or OSError("no port to bind")

    def stop(self) -> None:
        """Close both sockets and end the thread. Idempotent."""
        if self.loop is None or self._thread is None:
            return
        if self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self._thread = None
        self._reader.shutdown(wait=False, cancel_futures=True)

    async def _close(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()

    # -- the view --------------------------------------------------------------------------
    def stale(self) -> bool:
        return self.view.generation < self.generation()

    async def fresh_view(self) -> DnsView:
        """The view, re-read first when the cloud changed since (one read at a time, shared by every waiting query)."""
        loop = asyncio.get_running_loop()
        if not self.stale() or loop.time() < self._retry_at:
            return self.view
        if self._refresh is None or self._refresh.done():
            self._refresh = loop.run_in_executor(self._reader, self.read, self.generation())
            self._refresh.add_done_callback(self._refreshed)
        try:
            await asyncio.wait_for(asyncio.shield(self._refresh), REFRESH_WAIT_S)
        except Exception:  # the read failed or is slow: answer from the last view (counted in _refreshed)
            pass
        return self.view

    def _refreshed(self, future: asyncio.Future) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            self.view = future.result()
            self.counts["refreshes"] += 1
            return
        self.counts["refresh_errors"] += 1
        self.last_error = f"{type(error).__name__}: {error}"[:300]
        self._retry_at = asyncio.get_running_loop().time() + RETRY_AFTER_S
        if self.counts["refresh_errors"] % 20 == 1:
            log.warning("dns: reading the zones failed: %s", self.last_error)

    def invalidate(self) -> None:
        """Re-read the view before the next answer (for changes the change counter doesn't see)."""
        self.view = DnsView(self.view.zones, self.view.service_names, -1)

    # -- answering -------------------------------------------------------------------------
    def respond(self, data: bytes, view: DnsView, max_size: int | None) -> bytes | None:
        """The wire answer to one packet (``max_size`` None: the client's UDP size); ``None``: send nothing."""
        self.counts["queries"] += 1
        try:
            query = dns.message.from_wire(data)
        except Exception:
            return self._formerr(data)
        if query.flags & dns.flags.QR:
            self.counts["dropped"] += 1
            return None
        try:
            response = answer(query, view)
            return self._render(response, query, max_size)
        except Exception as e:  # a bug here must cost one answer, not the server
            self.counts["servfail"] += 1
            self.last_error = f"{type(e).__name__}: {e}"[:300]
            if self.counts["servfail"] % 100 == 1:  # a packet sent again and again must not flood the log
                log.exception("dns: answering failed")
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL)
            return self._render(response, query, max_size)

    def _render(self, response: dns.message.Message, query: dns.message.Message, max_size: int | None) -> bytes:
        """``response`` on the wire; too large for the client's UDP size: TC and no records (it retries over TCP)."""
        if max_size is None:
            max_size = max(min(query.payload, EDNS_PAYLOAD), _NO_EDNS_PAYLOAD) if query.edns >= 0 else _NO_EDNS_PAYLOAD
        try:
            return response.to_wire(max_size=max_size)
        except dns.exception.TooBig:
            self.counts["truncated"] += 1
            response.answer, response.authority, response.additional = [], [], []
            response.flags |= dns.flags.TC
            return response.to_wire(max_size=max_size)

    def _formerr(self, data: bytes) -> bytes | None:
        """FORMERR with the query's id, when there are 12 bytes of header and it is not itself a response."""
        self.counts["formerr"] += 1
        if len(data) < 12 or data[2] & 0x80:
            return None
        qid, flags = struct.unpack("!HH", data[:4])
        opcode_rd = flags & 0x7900  # keep the opcode and RD, as a response does
        return struct.pack("!HHHHHH", qid, 0x8000 | opcode_rd | dns.rcode.FORMERR, 0, 0, 0, 0)

    def on_datagram(self, data: bytes, addr: tuple) -> None:
        if len(data) > MAX_QUERY_BYTES:
            self.counts["dropped"] += 1
            return
        if not self.stale():
            self._send(self.respond(data, self.view, None), addr)
            return
        if len(self._queue) == MAX_WAITING:
            self.counts["dropped"] += 1  # the oldest goes: the client that asked last is the one still waiting
        self._queue.append((data, addr))
        if self._drain is None or self._drain.done():
            self._drain = asyncio.ensure_future(self._answer_queued())

    async def _answer_queued(self) -> None:
        """Answer the queries that came while the view was stale, once it is fresh (one read for all of them)."""
        while self._queue:
            view = await self.fresh_view()
            for _ in range(len(self._queue)):
                data, addr = self._queue.popleft()
                self._send(self.respond(data, view, None), addr)

    def _send(self, wire: bytes | None, addr: tuple) -> None:
        if wire is not None and self._udp is not None and not self._udp.is_closing():
            self._udp.sendto(wire, addr)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """RFC 7766: two-byte length, then the message; several queries per connection, answered in order."""
        if self._tcp_open >= MAX_TCP_CONNECTIONS:
            self.counts["dropped"] += 1
            writer.close()
            return
        self._tcp_open += 1
        try:
            while True:
                head = await asyncio.wait_for(reader.readexactly(2), TCP_IDLE_S)
                (size,) = struct.unpack("!H", head)
                if size > MAX_QUERY_BYTES:
                    self.counts["dropped"] += 1
                    break
                data = await asyncio.wait_for(reader.readexactly(size), TCP_IDLE_S)
                self.counts["tcp_queries"] += 1
                wire = self.respond(data, await self.fresh_view(), 65535)
                if wire is None:
                    break
                writer.write(struct.pack("!H", len(wire)) + wire)
                await writer.drain()
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass  # idle, closed half-way or reset: the connection ends, the server goes on
        finally:
            self._tcp_open -= 1
            writer.close()

    def describe(self) -> dict:
        zones = [{"name": z.origin.to_text(), "id": z.zone_id, "names": len(z.records)} for z in self.view.zones]
        names = [{"name": s.name.to_text(), "kind": s.kind, "resource": s.resource, "address": s.address}
                 for s in self.view.service_names.values()]
        return {"host": self.host, "port": self.port, "running": self._thread is not None, "zones": zones,
                "aws_names": names, "counts": dict(self.counts), "last_error": self.last_error,
                "tcp_connections": self._tcp_open, "view_generation": self.view.generation}


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer):
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        try:
            self.server.on_datagram(data, addr)
        except Exception:  # one packet's trouble never closes the socket
            self.server.counts["servfail"] += 1
            log.exception("dns: a datagram failed")

    def error_received(self, exc: Exception) -> None:  # e.g. ICMP port unreachable from a client that left
        pass

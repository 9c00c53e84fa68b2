"""The ALB's client side: a small, fast HTTP/1.1 server connection (requests in, responses out).

A general web framework spends most of its time on features an ALB node
doesn't need; this reads exactly what the ALB looks at: the request line,
the headers, and a ``Content-Length`` or chunked body. Limits and error codes
are AWS's (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html):
a request line or header over 16 KB, or a head over 64 KB, is a 400; an
unsupported ``Transfer-Encoding`` is a 501; an HTTP version other than 1.x a 505.
"""
from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

__all__ = ["ClientRequest", "BadRequest", "parse_request", "response_bytes", "MAX_HEAD"]

#: "The combined size of the request line and all headers exceeds 64 KB" -> 400.
MAX_HEAD = 64 * 1024
#: Request bodies the lab forwards (a sanity bound, not an AWS number).
MAX_BODY = 10 * 1024 * 1024
_REASONS = {s.value: s.phrase for s in HTTPStatus}
_REASONS.update({460: "", 463: "", 561: "Unauthorized"})


class BadRequest(Exception):
    """The client sent something the ALB answers itself (``status``)."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status


@dataclass(slots=True)
class ClientRequest:
    """One request as received: headers keep their original names and order."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes
    head_bytes: int

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    def header(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    @property
    def keep_alive(self) -> bool:
        conn = (self.header("connection") or "").lower()
        return "keep-alive" in conn if self.version == "HTTP/1.0" else "close" not in conn


def response_bytes(status: int, headers: list[tuple[str, str]], body: bytes, keep_alive: bool, head_only: bool = False,
                   reason: str | None = None) -> bytes:
    """A complete HTTP/1.1 response: status line, headers, Content-Length, Connection, body."""
    out = [f"HTTP/1.1 {status} {reason if reason is not None else _REASONS.get(status, '')}"]
    out += [f"{k}: {v}" for k, v in headers]
    out.append(f"Content-Length: {len(body)}")
    out.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + (b"" if head_only else body)


def parse_request(buf: bytearray) -> tuple[ClientRequest, int] | None:
    """Parse one complete request from the start of ``buf``: ``(request, bytes used)``, or None if incomplete.

    Bytes arrive in pieces; call again with more until it returns a request.
    """
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if len(buf) > MAX_HEAD:
            raise BadRequest(400, "request head larger than 64 KB")
        return None
    if end > MAX_HEAD:
        raise BadRequest(400, "request head larger than 64 KB")
    lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise BadRequest(400, "malformed request line")
    if not parts[2].startswith("HTTP/1."):
        raise BadRequest(505, f"unsupported version {parts[2][:16]}")
    headers, length, chunked = [], 0, False
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400, "malformed header line")
        value = value.strip()
        low = name.lower()
        if low == "content-length":
            if not value.isdigit() or int(value) > MAX_BODY:
                raise BadRequest(400, "bad Content-Length")
            length = int(value)
        elif low == "transfer-encoding":
            if value.lower() != "chunked":
                raise BadRequest(501, f"unsupported Transfer-Encoding {value[:32]}")
            chunked = True
        headers.append((name, value))
    start = end + 4
    if chunked:
        got = _dechunk(buf, start)
        if got is None:
            return None
        body, used = got
    else:
        if len(buf) < start + length:
            return None
        body, used = bytes(buf[start:start + length]), start + length
    return ClientRequest(parts[0], parts[1], parts[2], headers, body, end + 4), used


def _dechunk(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    out = bytearray()
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        try:
            size = int(bytes(buf[pos:eol]).split(b";")[0].strip(), 16)
        except ValueError:
            raise BadRequest(400, "malformed chunk size") from None
        pos = eol + 2
        if size == 0:
            while True:  # optional trailers, then the empty line
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    return None
                if eol == pos:
                    return bytes(out), pos + 2
                pos = eol + 2
        if len(out) + size > MAX_BODY:
            raise BadRequest(400, "body too large")
        if len(buf) < pos + size + 2:
            return None
        out += buf[pos:pos + size]
        pos += size + 2

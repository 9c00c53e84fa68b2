"""A request's body, read in full before the cloud's state lock is taken.

Every AWS call holds the cloud's one state lock while moto answers it. If moto
read the body itself, a client that sends its headers and a ``Content-Length``
and then stalls would hold that lock, and every other call would wait for it.
So the body is read first, by the request's own thread, with an idle timeout;
moto then reads it from memory.

When the body does not arrive in time, the client gets what S3 answers in that
case, ``400 RequestTimeout`` ("Your socket connection to the server was not read
from or written to within the timeout period. Idle connections will be
closed."), and the connection is closed. AWS does not document S3's idle time;
clients report about 20 s, which is the default here (``AWSLAB_BODY_TIMEOUT_S``).
"""
from __future__ import annotations

import io
import os
import selectors
import socket

__all__ = ["BODY_TIMEOUT_S", "BodyTimeout", "read_body", "body_timeout_s"]

#: Seconds a body may go without a byte arriving (S3's observed idle timeout).
BODY_TIMEOUT_S = 20.0
#: Bytes read per call, so a large upload is not asked for in one piece.
_CHUNK = 1 << 20


def body_timeout_s() -> float:
    """The idle timeout for request bodies: ``AWSLAB_BODY_TIMEOUT_S`` or :data:`BODY_TIMEOUT_S`."""
    try:
        value = float(os.environ.get("AWSLAB_BODY_TIMEOUT_S", BODY_TIMEOUT_S))
    except ValueError:
        return BODY_TIMEOUT_S
    return value if value > 0 else BODY_TIMEOUT_S


class BodyTimeout(Exception):
    """The client stopped sending its body: ``received`` of ``expected`` bytes arrived."""

    def __init__(self, received: bytes, expected: int | None):
        super().__init__(f"request body stalled after {len(received)} of {expected} bytes")
        self.received = received
        self.expected = expected


def _content_length(environ: dict) -> int | None:
    """The declared length; None for a chunked body (read to its end) or no usable header."""
    if environ.get("wsgi.input_terminated"):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # as werkzeug does: an unreadable Content-Length means no body
    return max(length, 0)


def read_body(environ: dict, timeout_s: float | None = None) -> bytes:
    """Read the whole body of ``environ``'s request and put it back as an in-memory stream.

    Raises :class:`BodyTimeout` when no byte arrives for ``timeout_s`` seconds
    (default :func:`body_timeout_s`). A client that closes early yields the bytes it sent.
    """
    timeout_s = body_timeout_s() if timeout_s is None else timeout_s
    expected = _content_length(environ)
    sock = environ.get("werkzeug.socket")
    if expected is None or sock is None or not hasattr(environ["wsgi.input"], "read1"):
        body = _read_blocking(environ["wsgi.input"], sock, expected, timeout_s)
    else:
        body = _read_waiting(environ["wsgi.input"], sock, expected, timeout_s)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("wsgi.input_terminated", None)
    return body


def _read_waiting(stream, sock: socket.socket, expected: int, timeout_s: float) -> bytes:
    """Read ``expected`` bytes, waiting at most ``timeout_s`` for each arrival.

    The socket is read without blocking and waited on with a selector, so a timeout
    leaves the connection usable for the answer (a socket timeout inside a read
    would leave the server's reader unusable).
    """
    chunks: list[bytes] = []
    received = 0
    previous = sock.gettimeout()
    sock.settimeout(0.0)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ)
            while received < expected:
                data = _read_now(stream, min(_CHUNK, expected - received))
                if not data:
                    if not selector.select(timeout_s):
                        raise BodyTimeout(b"".join(chunks), expected)
                    data = _read_now(stream, min(_CHUNK, expected - received))
                    if not data:
                        break  # readable but empty: the client closed the connection
                chunks.append(data)
                received += len(data)
    finally:
        _restore(sock, previous)
    return b"".join(chunks)


def _read_now(stream, size: int) -> bytes:
    """What is buffered or on the socket right now (b"" when nothing is)."""
    try:
        return stream.read1(size) or b""
    except BlockingIOError:
        return b""


def _read_blocking(stream, sock: socket.socket | None, expected: int | None, timeout_s: float) -> bytes:
    """Read a chunked body to its end (or a body with no socket under it), with a socket timeout."""
    chunks: list[bytes] = []
    previous = sock.gettimeout() if sock is not None else None
    try:
        if sock is not None:
            sock.settimeout(timeout_s)
        received = 0
        while expected is None or received < expected:
            data = stream.read(_CHUNK if expected is None else min(_CHUNK, expected - received))
            if not data:
                break
            chunks.append(data)
            received += len(data)
    except (TimeoutError, socket.timeout) as e:
        raise BodyTimeout(b"".join(chunks), expected) from e
    finally:
        if sock is not None:
            _restore(sock, previous)
    return b"".join(chunks)


def _restore(sock: socket.socket, timeout: float | None) -> None:
    try:
        sock.settimeout(timeout)
    except OSError:
        pass  # the client is gone; nothing left to restore

"""HTTP/1.1 parsing on both sides of the ALB: whole, partial, chunked and malformed messages."""
from __future__ import annotations

import pytest

from awslab.dataplane.http1 import BadRequest, parse_request, response_bytes
from awslab.dataplane.upstream import parse_response


def test_request_needs_all_its_bytes_then_parses():
    raw = b"POST /a?b=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + b"GET / HTTP/1.1\r\n"
    assert parse_request(bytearray(raw[:20])) is None
    assert parse_request(bytearray(raw[:55])) is None  # the body is still short
    req, used = parse_request(bytearray(raw))
    assert (req.method, req.path, req.query, req.body, req.header("HOST")) == ("POST", "/a", "b=1", b"hello", "x")
    assert raw[used:] == b"GET / HTTP/1.1\r\n" and req.keep_alive


def test_chunked_request_body():
    raw = bytearray(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    req, used = parse_request(raw)
    assert req.body == b"hello world" and used == len(raw)
    assert parse_request(raw[:-3]) is None


@pytest.mark.parametrize("raw,status", [
    (b"GET /\r\n\r\n", 400), (b"GET / HTTP/2.0\r\n\r\n", 505), (b"GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    (b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400), (b"GET / HTTP/1.1\r\nbad header\r\n\r\n", 400),
])
def test_malformed_requests_get_the_albs_codes(raw, status):
    with pytest.raises(BadRequest) as e:
        parse_request(bytearray(raw))
    assert e.value.status == status


def test_response_with_length_chunked_and_until_close():
    raw = bytearray(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX: y\r\n\r\nokHTTP")
    r, used = parse_response(raw, "GET", False)
    assert (r.status, r.reason, r.body, r.keep_alive, used) == (201, "Created", b"ok", True, len(raw) - 4)
    chunked = bytearray(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
    assert parse_response(chunked, "GET", False)[0].body == b"ok"
    close = bytearray(b"HTTP/1.0 200 OK\r\n\r\nall of it")
    assert parse_response(close, "GET", False) is None
    r, _ = parse_response(close, "GET", True)
    assert r.body == b"all of it" and not r.keep_alive
    assert parse_response(bytearray(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"), "HEAD", False)[0].body == b""
    with pytest.raises(ValueError):
        parse_response(bytearray(b"SPDY 200\r\n\r\n"), "GET", False)


def test_response_bytes():
    out = response_bytes(503, [("Server", "awselb/2.0")], b"x", keep_alive=False)
    assert out == b"HTTP/1.1 503 Service Unavailable\r\nServer: awselb/2.0\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"

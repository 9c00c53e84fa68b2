"""A request made *from* an instance, as ``curl`` on that server would make it.

An app server sits in a private subnet and its group admits only the load
balancer: nothing on your machine can reach it, and that is the point. On AWS
you would log in (SSH through the bastion, or Session Manager) and run
``curl localhost/`` on the server. This module makes that same request from
the instance's own address, so the rules that apply are the instance's:

- ``localhost`` (or the instance's own IP): its own web app. Traffic to itself
  never leaves the instance, so no security group sees it.
- another instance's private IP: through the VPC, so the security groups,
  NACLs and routes decide (a denied connection times out, as a dropped SYN does).
- ``169.254.169.254``: the instance metadata service (:mod:`.imds`).

Anything else (the internet, a load balancer's public name) is out of the
lab's reach and is refused with a message saying so.
"""
from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from .imds import IMDS_ADDRESS
from .upstream import parse_response

__all__ = ["InstanceReply", "RequestRefused", "request_from_instance", "parse_headers", "user_data", "register",
           "LOCAL_NAMES", "MAX_BODY"]

LOCAL_NAMES = ("localhost", "127.0.0.1")
#: Enough for any page the lab's app serves; a bigger answer is cut here.
MAX_BODY = 64 * 1024


class RequestRefused(ValueError):
    """The request cannot be made from that instance (``status``: what the control API answers)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class InstanceReply:
    """What ``curl`` on the instance would print: the status and body, or why there was no answer."""

    status: int | None
    reason: str
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None  # timeout | refused | reset, when there was no HTTP answer
    detail: str = ""  # which rule dropped a timed-out connection

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _target(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme != "http":
        raise RequestRefused("Only http:// URLs can be requested from an instance here (the lab's apps serve HTTP).")
    try:
        port = parts.port or 80
    except ValueError as e:
        raise RequestRefused(f"The URL's port is not a port number ({e}).") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.hostname or "", port, path


def request_from_instance(dp: Any, instance_id: str, url: str, method: str = "GET", headers: dict[str, str] | None = None,
                          timeout_s: float = 10.0) -> InstanceReply:
    """Make ``method url`` from ``instance_id`` (``dp`` is the running :class:`~.service.DataPlane`)."""
    described = _describe(dp, instance_id)  # now, not the snapshot's: a metadata option may have just changed
    if described is None:
        raise RequestRefused(f"There is no instance {instance_id} in this cloud (describe-instances lists them).", 404)
    state = (described.get("State") or {}).get("Name")
    if state != "running":
        raise RequestRefused(f"{instance_id} is {state}: only a running instance can make requests.", 409)
    snap = _snapshot_with(dp, instance_id)
    src = snap.network.instances.get(instance_id) if snap is not None else None
    if src is None:
        raise RequestRefused(f"The data plane has not seen {instance_id} running yet; try again in a second.", 409)
    host, port, path = _target(url)
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if host == IMDS_ADDRESS:
        return _ask_imds(dp, described, method, path, headers)
    dst = src if host in LOCAL_NAMES else snap.network.by_ip.get(host)
    if dst is None or not dst.name.startswith("i-"):
        raise RequestRefused(f"{host} is not reachable from {instance_id} in the lab: the data plane carries requests from "
                             "an instance to itself (localhost), to other instances in its VPC by private IP, and to the "
                             f"instance metadata service ({IMDS_ADDRESS}).")
    decision = snap.network.check(src, dst, port)
    if not decision.allowed:
        return InstanceReply(None, "connection timed out", seconds=timeout_s, error="timeout", detail=str(decision))
    coro = _http(dp, src.ip, dst.ip, port, method, f"{host}:{port}" if port != 80 else host, path, headers, timeout_s)
    return asyncio.run_coroutine_threadsafe(coro, dp.loop).result(timeout_s + 5)


def _snapshot_with(dp: Any, instance_id: str, wait_s: float = 3.0) -> Any:
    """The data plane's view of the cloud, once it includes ``instance_id`` (a launch is read within a second)."""
    deadline = time.monotonic() + wait_s
    while True:
        snap = dp.snapshot
        if (snap is not None and instance_id in snap.network.instances) or time.monotonic() >= deadline:
            return snap
        dp._cloud_dirty = True  # ask the reader thread for a fresh read of the APIs
        time.sleep(0.05)


def _ask_imds(dp: Any, described: dict, method: str, path: str, headers: dict[str, str]) -> InstanceReply:
    t0 = time.perf_counter()
    reply = dp.imds.answer(described, method, path, headers, lambda: user_data(dp, described["InstanceId"]))
    return InstanceReply(reply.status, HTTPStatus(reply.status).phrase, reply.body, reply.headers, time.perf_counter() - t0)


async def _http(dp: Any, src_ip: str, dst_ip: str, port: int, method: str, host_header: str, path: str,
                headers: dict[str, str], timeout_s: float) -> InstanceReply:
    """One HTTP/1.1 exchange from ``src_ip``'s loopback address to the app serving ``dst_ip:port``."""
    t0 = time.perf_counter()
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    registered = None
    try:
        sock.bind((dp.loopback(src_ip), 0))
        registered = sock.getsockname()[1]
        dp.local.on_connect(registered, src_ip)  # on 127.0.0.1 the app learns who calls from the source port
        await asyncio.wait_for(loop.sock_connect(sock, (dp.loopback(dst_ip), dp.host.local_port(dst_ip, port))), timeout_s)
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k not in ("host", "connection"))
        head = (f"{method} {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n"
                f"{extra}Connection: close\r\n\r\n")
        await loop.sock_sendall(sock, head.encode("latin-1"))
        buf, eof = bytearray(), False
        while True:
            got = parse_response(buf, method, eof)
            if got is not None or eof:
                break
            chunk = await asyncio.wait_for(loop.sock_recv(sock, 65536), max(timeout_s - (time.perf_counter() - t0), 0.01))
            eof = not chunk
            buf += chunk
    except ConnectionRefusedError:
        return InstanceReply(None, "connection refused", seconds=time.perf_counter() - t0, error="refused",
                             detail="nothing listens on that port (is the web app up yet?)")
    except (asyncio.TimeoutError, TimeoutError):
        return InstanceReply(None, "timed out", seconds=time.perf_counter() - t0, error="timeout")
    except (ConnectionError, ValueError) as e:
        return InstanceReply(None, "connection reset", seconds=time.perf_counter() - t0, error="reset", detail=str(e))
    finally:
        if registered is not None:
            dp.local.on_close(registered)
        sock.close()
    if got is None:
        return InstanceReply(None, "connection reset", seconds=time.perf_counter() - t0, error="reset",
                             detail="the connection closed before a complete answer")
    response = got[0]
    return InstanceReply(response.status, response.reason, response.body[:MAX_BODY].decode("utf-8", "replace"),
                         {k.lower(): v for k, v in response.headers}, time.perf_counter() - t0)


def parse_headers(text: str) -> dict[str, str]:
    """``curl -H`` lines (``Name: value``, one a line) as a dict; a line without a colon is refused."""
    out = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise RequestRefused(f"The header line {line[:60]!r} is not 'Name: value'.")
        out[name.strip()] = value.strip()
    return out


def _ec2(dp: Any) -> Any:
    """One EC2 client for these requests (boto3 clients are safe to share between threads)."""
    client = getattr(dp, "_from_instance_ec2", None)
    if client is None:
        client = dp._from_instance_ec2 = dp._clients()["ec2"]
    return client


def _describe(dp: Any, instance_id: str) -> dict | None:
    """The instance as ``describe-instances`` shows it now (None if there is no such instance)."""
    from botocore.exceptions import ClientError

    try:
        found = _ec2(dp).describe_instances(InstanceIds=[instance_id])["Reservations"]
    except ClientError:
        return None
    return next((i for r in found for i in r["Instances"]), None)


def user_data(dp: Any, instance_id: str) -> str | None:
    """The instance's user data, decoded, as ``describe-instance-attribute --attribute userData`` gives it."""
    import base64

    got = _ec2(dp).describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
    value = got.get("UserData", {}).get("Value")
    return base64.b64decode(value).decode("utf-8", "replace") if value else None


def register(dp: Any) -> None:
    """``POST /_awslab/dataplane/request``: ``{"instance_id", "url", "method"?, "headers"?, "timeout_s"?}``."""
    from ..cloud import control
    from ..cloud.schema import Schema, choice, number, text

    body_schema = Schema({"instance_id": text(required=True), "url": text(required=True),
                          "method": choice("GET", "PUT", "HEAD"), "headers": text(), "timeout_s": number(0.1, 60)})

    @control.route("POST", "dataplane/request", body=body_schema, locked=False)
    def _request(body: dict, query: dict) -> dict:
        try:
            return request_from_instance(dp, body["instance_id"], body["url"], body.get("method", "GET"),
                                         parse_headers(body.get("headers", "")), body.get("timeout_s", 10.0)).as_dict()
        except RequestRefused as e:
            raise control.ControlError(str(e), e.status) from e

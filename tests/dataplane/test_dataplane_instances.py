"""Real health checks (what an ALB node sends) and the instance host (apps on loopback, guarded)."""
from __future__ import annotations

import asyncio

from aiohttp import web

from awslab.dataplane.instances import InstanceHost, health_check
from awslab.dataplane.netpolicy import Decision

from .conftest import run, stop_app


async def recording_app(host: str, port: int, status: int = 200, delay: float = 0.0):
    seen = []

    async def handle(request: web.BaseRequest):
        seen.append((dict(request.headers), request.transport.get_extra_info("peername")[0], request.path))
        if delay:
            await asyncio.sleep(delay)
        return web.Response(status=status, text="x")

    server = web.Server(handle, access_log=None)
    srv = await asyncio.get_running_loop().create_server(server, host, port)
    return (server, srv), seen


def test_health_check_sends_awss_headers_from_the_node_address():
    async def body():
        app, seen = await recording_app("127.0.10.31", 8080)
        try:
            r = await health_check("127.0.1.250", ("127.0.10.31", 8080), "10.0.10.31:8080", "/health", 1.0)
        finally:
            await stop_app(app)
        return r, seen
    r, seen = run(body())
    headers, peer, path = seen[0]
    assert (r.status, r.reason_code) == (200, None) and path == "/health" and peer == "127.0.1.250"
    assert headers["User-Agent"] == "ELB-HealthChecker/2.0" and headers["Host"] == "10.0.10.31:8080"


def test_health_check_reason_codes():
    async def body():
        bad, _ = await recording_app("127.0.10.32", 8080, status=500)
        slow, _ = await recording_app("127.0.10.33", 8080, delay=2.0)
        try:
            mismatch = await health_check("127.0.0.1", ("127.0.10.32", 8080), "h", "/", 1.0)
            timeout = await health_check("127.0.0.1", ("127.0.10.33", 8080), "h", "/", 0.2)
            refused = await health_check("127.0.0.1", ("127.0.10.34", 8080), "h", "/", 1.0)
            accepted = await health_check("127.0.0.1", ("127.0.10.32", 8080), "h", "/", 1.0, accepts=lambda s: 200 <= s <= 599)
        finally:
            await stop_app(bad)
            await stop_app(slow)
        return mismatch, timeout, refused, accepted
    mismatch, timeout, refused, accepted = run(body())
    assert (mismatch.status, mismatch.reason_code) == (500, "Target.ResponseCodeMismatch")
    assert timeout.reason_code == "Target.Timeout" and 0.15 < timeout.seconds < 1.0
    assert refused.reason_code == "Target.FailedHealthChecks" and accepted.reason_code is None


def test_instance_host_serves_guards_applies_faults_and_stops():
    calls = []

    def guard(peer, port, iid):
        calls.append((peer[0], port, iid))
        return Decision(peer[0] != "127.0.0.1", "security-group", "sg-test inbound", "test")

    async def body():
        host = InstanceHost(loopback=lambda ip: "127." + ip.split(".", 1)[1], guard=guard, hold_s=0.05)
        await host.start("i-1", "10.0.10.41", "ap-northeast-2a", {8080})
        ok = await health_check("127.0.1.250", ("127.0.10.41", 8080), "h", "/health", 1.0)
        blocked = await health_check("127.0.0.1", ("127.0.10.41", 8080), "h", "/health", 1.0)
        host.set_fault("i-1", "unhealthy")
        sick = await health_check("127.0.1.250", ("127.0.10.41", 8080), "h", "/health", 1.0)
        await host.stop_all()
        gone = await health_check("127.0.1.250", ("127.0.10.41", 8080), "h", "/health", 1.0)
        return ok, blocked, sick, gone
    ok, blocked, sick, gone = run(body())
    assert ok.status == 200 and blocked.status is None and sick.status == 500
    assert gone.reason_code == "Target.FailedHealthChecks" and ("127.0.0.1", 8080, "i-1") in calls

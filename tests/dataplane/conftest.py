"""Helpers for data-plane tests: real servers on loopback addresses, an ALB view builder."""
from __future__ import annotations

import asyncio
import json

import aiohttp
from aiohttp import web

from awslab.dataplane.alb import LoadBalancer, LoadBalancerView
from awslab.dataplane.balancer import TargetGroupView

ARN = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/web-alb/50dc6c495c0c9188"
TG = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/web-tg/73e2d6bc24d8a067"


def run(coro, timeout: float = 30):
    """Run one async test body, bounded in time."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def default_rule(tg=TG):
    return {"RuleArn": "rule/default", "Priority": "default", "IsDefault": True, "Conditions": [],
            "Actions": [{"Type": "forward", "TargetGroupArn": tg}]}


def view(targets, rules=None, attributes=None, tg_attributes=None, nodes=None):
    tg = TargetGroupView(TG, "web-tg", 8080, dict(tg_attributes or {}), list(targets))
    return LoadBalancerView(ARN, "web-alb", "web-alb-1.ap-northeast-2.elb.amazonaws.com",
                            nodes=nodes or {"ap-northeast-2a": "10.0.1.250"}, node_subnets={"ap-northeast-2a": "subnet-pub"},
                            security_groups=("sg-alb",), listeners={80: rules or [default_rule()]},
                            target_groups={TG: tg}, attributes=dict(attributes or {}))


async def echo_app(host: str, port: int, name: str, delay: float = 0.0):
    """A target that answers with its name, the peer it saw, and the headers it got (JSON)."""
    async def handle(request: web.BaseRequest):
        if delay:
            await asyncio.sleep(delay)
        body = {"name": name, "peer": request.transport.get_extra_info("peername")[0],
                "headers": dict(request.headers), "path": request.path_qs}
        return web.Response(text=json.dumps(body), content_type="application/json")

    server = web.Server(handle, access_log=None)
    srv = await asyncio.get_running_loop().create_server(server, host, port)
    return server, srv


async def stop_app(app):
    server, srv = app
    srv.close()
    await server.shutdown(0.2)
    await srv.wait_closed()


async def start_alb(v, **kw) -> tuple[LoadBalancer, str]:
    alb = LoadBalancer(v, **kw)
    addrs = await alb.start({80: ("127.0.0.1", 0)})
    host, port = addrs[80]
    return alb, f"http://{host}:{port}"


async def get(session: aiohttp.ClientSession, url: str, **kw):
    async with session.get(url, allow_redirects=False, **kw) as r:
        return r.status, r.headers, await r.text()

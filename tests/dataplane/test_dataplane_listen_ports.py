"""An ALB listener whose stable port another program holds moves to the next free port."""
from __future__ import annotations

import asyncio
import socket
from types import SimpleNamespace

from awslab.dataplane.addresses import alb_listen_port
from awslab.dataplane.service import DataPlane


class _Lb:
    """Just enough of a LoadBalancer: binds real sockets, like LoadBalancer.start."""

    def __init__(self, name: str):
        self.view = SimpleNamespace(name=name)
        self.addresses: dict[int, tuple[str, int]] = {}
        self.servers = []

    async def start(self, listen):
        for lport, (host, port) in listen.items():
            srv = await asyncio.get_running_loop().create_server(asyncio.Protocol, host, port)
            self.servers.append(srv)
            self.addresses[lport] = srv.sockets[0].getsockname()[:2]


def test_listener_takes_the_next_port_when_its_stable_port_is_taken():
    name = "clash-test-alb"
    wanted = alb_listen_port(name, 80)
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", wanted))
    squatter.listen()
    recorded = []
    fake_plane = SimpleNamespace(lbs={}, _record=lambda *a, **k: recorded.append((a, k)))
    lb = _Lb(name)

    async def run():
        await DataPlane._listen(fake_plane, lb, [80])
        for srv in lb.servers:
            srv.close()
            await srv.wait_closed()

    try:
        asyncio.run(run())
    finally:
        squatter.close()
    assert lb.addresses[80][1] != wanted and lb.addresses[80][0] == "127.0.0.1"
    assert recorded == []

"""The data plane's event loop: uvloop where installed, asyncio's own when turned off; same behaviour."""
from __future__ import annotations

import asyncio
import importlib.util

import pytest

from awslab.dataplane import loop


async def _echo_roundtrip() -> bytes:
    async def handle(reader, writer):
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"ping\n")
    got = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    srv.close()
    await srv.wait_closed()
    return got


@pytest.mark.skipif(importlib.util.find_spec("uvloop") is None, reason="uvloop is not installed here")
def test_uvloop_is_used_when_installed(monkeypatch):
    monkeypatch.delenv("AWSLAB_UVLOOP", raising=False)
    lp = loop.new_event_loop()
    try:
        assert type(lp).__module__.startswith("uvloop") and loop.loop_name() == "uvloop"
    finally:
        lp.close()
    assert loop.run(_echo_roundtrip()) == b"ping\n"


def test_awslab_uvloop_0_falls_back_to_asyncio(monkeypatch):
    monkeypatch.setenv("AWSLAB_UVLOOP", "0")
    lp = loop.new_event_loop()
    try:
        assert type(lp).__module__.startswith("asyncio") and loop.loop_name() == "asyncio"
    finally:
        lp.close()
    assert loop.run(_echo_roundtrip()) == b"ping\n"

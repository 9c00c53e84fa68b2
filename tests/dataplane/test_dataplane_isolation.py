"""One instance the data plane can't serve never stops it serving the others (issue 11 §7)."""
from __future__ import annotations

import asyncio
import random
import urllib.request

from awslab.dataplane.service import DataPlane
from awslab.sim.core import Simulator

AZ = "ap-northeast-2a"


def _plane() -> DataPlane:
    return DataPlane(Simulator(mode="virtual"))


def _state(apps: dict) -> dict:
    return {"apps": apps, "routable": {}, "now": 0.0}


def _answer(dp: DataPlane, iid: str, port: int) -> str:
    h = dp.host.hosted[iid]
    host, real = h.apps[port].sockets[0].getsockname()[:2]
    with urllib.request.urlopen(f"http://{host}:{real}/", timeout=5) as r:
        return r.read().decode()


def test_instances_in_every_vpc_range_get_their_web_app():
    """Before: 100.64.1.5 raised ValueError in every sync and the instance after it never got an app."""
    dp, port = _plane(), random.randint(20000, 29000)
    apps = {"i-shared": ("100.64.1.5", AZ, "ok", 0.0, {port}), "i-public": ("203.0.113.20", AZ, "ok", 0.0, {port}),
            "i-private": ("10.0.1.5", AZ, "ok", 0.0, {port})}

    async def body():
        await dp._apply(None, _state(apps))
        try:
            return {iid: await asyncio.to_thread(_answer, dp, iid, port) for iid in apps}
        finally:
            await dp.host.stop_all()
    answers = asyncio.run(body())
    assert all(text.startswith(f"Hello from {iid}") for iid, text in answers.items())
    assert dp.local.describe() == {"100.64.0.0/16": "127.64.0.0/16", "203.0.0.0/16": "127.0.0.0/16",
                                   "10.0.0.0/16": "127.1.0.0/16"}  # 10.0 found 127.0 taken by 203.0: the next block


def test_a_failing_instance_is_reported_once_and_the_others_are_served():
    dp, port = _plane(), random.randint(20000, 29000)
    apps = {"i-broken": ("not-an-ip", AZ, "ok", 0.0, {port}), "i-fine": ("10.0.2.5", AZ, "ok", 0.0, {port})}

    async def body():
        for _ in range(3):  # three syncs: the failure is noted once, not three times
            await dp._apply(None, _state(apps))
        try:
            return await asyncio.to_thread(_answer, dp, "i-fine", port)
        finally:
            await dp.host.stop_all()
    assert asyncio.run(body()).startswith("Hello from i-fine")
    notes = dp.sim.timeline.query(event="sync_failed")
    assert [(n.resource, n.details["step"]) for n in notes] == [("i-broken", "start_app")]
    assert "not-an-ip" in notes[0].details["error"] and "Every other instance" in notes[0].details["detail"]
    assert "i-broken" not in dp.host.hosted


def test_a_failure_is_forgotten_once_the_instance_is_gone():
    dp, port = _plane(), random.randint(20000, 29000)
    broken = {"i-broken": ("not-an-ip", AZ, "ok", 0.0, {port})}

    async def body():
        await dp._apply(None, _state(broken))
        await dp._apply(None, _state({}))
        await dp._apply(None, _state(broken))  # it came back: worth a new note
    asyncio.run(body())
    assert len(dp.sim.timeline.query(event="sync_failed")) == 2 and dp._failures == {"i-broken": dp._failures["i-broken"]}

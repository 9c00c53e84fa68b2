"""Real health checks for the simulator: a check that cannot pass in time is a timeout now, not one interval late."""
from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

import pytest

from awslab.dataplane import probe as probe_mod
from awslab.dataplane.instances import HealthResult
from awslab.dataplane.probe import RealProbe, times_out


def test_times_out_follows_the_fault():
    assert times_out("hang", 0, 0.25) and times_out("slow", 0.3, 0.25)
    assert not times_out("slow", 0.1, 0.25) and not times_out("ok", 0, 0.25) and not times_out("unhealthy", 0, 0.25)


@pytest.fixture
def loop():
    lp = asyncio.new_event_loop()
    t = threading.Thread(target=lp.run_forever, daemon=True)
    t.start()
    yield lp
    lp.call_soon_threadsafe(lp.stop)
    t.join(5)
    lp.close()


def _dataplane(loop, mode: list[str]):
    tg = SimpleNamespace(arn="tg-1", health_check_timeout_seconds=5, health_check_port="traffic-port",
                         health_check_path="/health", matcher={"HttpCode": "200"})
    lb = SimpleNamespace(view=SimpleNamespace(target_groups={"tg-1": tg}, nodes={"az-a": "10.0.1.9"}))
    host = SimpleNamespace(set_fault=lambda *a: None, local_port=lambda ip, port: port, hosted={"i-1"})
    dp = SimpleNamespace(sim=SimpleNamespace(clock=SimpleNamespace(mode="realtime")), lbs={"lb": lb}, loop=loop,
                         snapshot=None, host=host, _time_scale=1 / 20, _bind_for=lambda ip: "127.0.0.1",
                         loopback=lambda ip: "127.0.0.1", _app_mode=lambda iid: (mode[0], 0.0),
                         local=SimpleNamespace(on_connect=lambda *a: None, on_close=lambda *a: None))
    target = SimpleNamespace(target_group=tg, private_ip="10.0.11.4", port=80, availability_zone="az-a",
                             instance_id="i-1")
    return dp, target


def test_a_hung_app_fails_the_check_that_meets_it(loop, monkeypatch):
    mode = ["ok"]

    async def check(bind, address, host, path, timeout_s, accepts, **kw):
        if mode[0] == "hang":  # the app accepts and never answers: the check ends at its timeout
            await asyncio.sleep(timeout_s)
            return HealthResult(None, "Target.Timeout", timeout_s)
        return HealthResult(200, None, 0.001)

    monkeypatch.setattr(probe_mod, "health_check", check)
    dp, target = _dataplane(loop, mode)
    probe = RealProbe(dp, fallback=lambda t: pytest.fail("the fallback is for virtual mode"))
    assert probe(target).ok
    mode[0] = "hang"
    first = probe(target)  # 0.25 s of wall time to give up: longer than the simulator may wait
    assert not first.ok and first.reason_code == "Target.Timeout", "the first check after the hang fails, as on AWS"

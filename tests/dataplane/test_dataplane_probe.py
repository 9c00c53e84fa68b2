"""Real health checks for the simulator: a check that cannot pass in time is a timeout now, not one interval late."""
from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

import pytest

from awslab.dataplane import probe as probe_mod
from awslab.dataplane.instances import HealthResult
from awslab.dataplane.probe import RealProbe, times_out

from .test_dataplane_netpolicy import vpc

_FROM_ALB = [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": "sg-alb"}]}]


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
    dp = SimpleNamespace(sim=SimpleNamespace(clock=SimpleNamespace(mode="realtime", advancing=False)), lbs={"lb": lb}, loop=loop,
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


def _cut_off_az_a():
    """The netpolicy test VPC with its app subnet on a NACL that denies everything (the AZ-outage drill's)."""
    from awslab.drills.nacl_isolation import DENY_ALL_ENTRIES

    deny = [{"CidrBlock": "0.0.0.0/0", "Protocol": "-1", "RuleAction": "deny", **e} for e in DENY_ALL_ENTRIES]
    net, _alb = vpc(app_ingress=_FROM_ALB, acl_entries=deny)
    return net


def test_a_nacl_that_cuts_the_target_off_fails_its_check_in_virtual_time_too(loop):
    """Virtual time asks the model for the app's answer, but the network decides whether the check gets there."""
    dp, target = _dataplane(loop, ["ok"])
    dp.sim.clock.mode = "virtual"
    dp.snapshot = SimpleNamespace(network=_cut_off_az_a())
    dp._record = lambda *a, **k: denials.append(k)
    denials: list = []
    target = SimpleNamespace(**{**vars(target), "instance_id": "i-app", "private_ip": "10.0.10.5"})
    dp.lbs["lb"].view.nodes = {"az-a": "10.0.1.250"}
    dp.lbs["lb"].view.name = "web-alb"
    healthy_model = SimpleNamespace(ok=True, reason_code=None)
    probe = RealProbe(dp, fallback=lambda t: healthy_model)
    got = probe(target)
    assert not got.ok and got.reason_code == "Target.Timeout" and got.latency_s == 5
    assert denials and denials[0]["layer"] == "network-acl" and "deny" in denials[0]["rule"]
    dp.snapshot = SimpleNamespace(network=vpc(app_ingress=_FROM_ALB)[0])
    assert probe(target) is healthy_model, "with the NACL gone, the model answers for the app again"


def test_during_a_realtime_fast_forward_and_for_an_instance_the_snapshot_lacks_the_nacl_still_decides(loop):
    """A jump ahead takes the app's modelled answer, but not past the network: and an instance launched since the
    data plane last read the APIs (a fast-forward outruns the reader) is placed from the simulator's record."""
    dp, target = _dataplane(loop, ["ok"])
    dp.sim.clock.advancing = True
    net = _cut_off_az_a()
    del net.instances["i-app"]  # launched after the last read
    dp.snapshot = SimpleNamespace(network=net)
    dp._record = lambda *a, **k: None
    moto_instance = SimpleNamespace(subnet_id="subnet-app", private_ip="10.0.10.9", public_ip=None,
                                    security_groups=[SimpleNamespace(id="sg-app")])
    dp.sim.ec2 = SimpleNamespace(get=lambda iid: SimpleNamespace(instance=moto_instance) if iid == "i-new" else None)
    dp.lbs["lb"].view.nodes = {"az-a": "10.0.1.250"}
    dp.lbs["lb"].view.name = "web-alb"
    target = SimpleNamespace(**{**vars(target), "instance_id": "i-new", "private_ip": "10.0.10.9"})
    modelled = SimpleNamespace(ok=True, reason_code=None)
    probe = RealProbe(dp, fallback=lambda t: modelled)
    got = probe(target)
    assert not got.ok and got.reason_code == "Target.Timeout"
    dp.snapshot = SimpleNamespace(network=vpc(app_ingress=_FROM_ALB)[0])
    assert probe(target) is modelled, "no NACL in the way: the modelled answer, as before"

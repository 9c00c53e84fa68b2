"""Clock modes, the timeline, and determinism for a seed."""
from __future__ import annotations

import time

import pytest

from awslab.sim.clock import Clock
from awslab.sim.timeline import Timeline, iso8601


def test_virtual_clock_only_moves_when_told_and_runs_events_at_the_boundary():
    c = Clock(mode="virtual", seed=1, start_epoch=1_000_000_000)
    fired = []

    def proc(env):
        yield env.timeout(10)
        fired.append(env.now)

    c.env.process(proc(c.env))
    time.sleep(0.01)
    assert c.now == 1_000_000_000
    c.advance(10)
    assert fired == [10] and c.now == 1_000_000_010
    assert c.now_datetime().isoformat() == "2001-09-09T01:46:50+00:00"
    with pytest.raises(ValueError):
        c.advance(-1)
    with pytest.raises(ValueError, match="clock mode"):
        c.set_mode("warp")
    with pytest.raises(ValueError, match="clock speed"):
        c.set_speed(0)
    assert c.rng("ec2").random() == Clock(seed=1).rng("ec2").random() != c.rng("elb").random()


def test_realtime_clock_is_paced_by_speed_and_can_pause_and_change_speed():
    c = Clock(mode="realtime", speed=200, start_epoch=0)
    c.start()
    try:
        t0, w0 = c.now, time.monotonic()
        time.sleep(0.3)
        sim_elapsed, wall = c.now - t0, time.monotonic() - w0
        assert 0.5 * 200 * wall <= sim_elapsed <= 200 * wall + 10  # paced (generous: shared CPUs)
        c.pause()
        frozen = c.now
        time.sleep(0.1)
        assert c.paused and c.now == frozen
        c.set_speed(1000)
        c.resume()
        time.sleep(0.2)
        assert c.now - frozen >= 50
        c.set_mode("virtual")
        t = c.now
        time.sleep(0.1)
        assert c.now == t
        assert c.advance(30) == t + 30
    finally:
        c.stop()


def test_a_reader_sees_realtime_now_without_waiting_for_the_pacing_thread():
    """The control API's clock catches up first: two reads measure the wall time between them times the speed."""
    c = Clock(mode="realtime", speed=20, start_epoch=0)  # no pacing thread: env.now never moves by itself
    t0 = c.now_caught_up()
    w0 = time.monotonic()
    time.sleep(0.2)
    elapsed, wall = c.now_caught_up() - t0, time.monotonic() - w0
    assert c.now == t0 + elapsed
    assert 20 * wall - 0.5 <= elapsed <= 20 * wall + 0.5
    c.pause()
    frozen = c.now_caught_up()
    time.sleep(0.05)
    assert c.now_caught_up() == frozen


def test_timeline_filters_and_bounds():
    now = [100.0]
    tl = Timeline(lambda: now[0], maxlen=3)
    tl.record("ec2", "i-1", "state_changed", state="running")
    now[0] = 200.0
    tl.record("elb", "i-1", "target_health_changed", state="healthy")
    tl.record("elb", "i-2", "target_health_changed", state="initial")
    tl.record("autoscaling", "g", "activity_started")
    assert len(tl) == 3  # the oldest fell off
    assert [e.resource for e in tl.query(component="elb")] == ["i-1", "i-2"]
    assert [e.event for e in tl.query(resource="g")] == ["activity_started"]
    assert len(tl.query(since=200, limit=1)) == 1 and tl.query(limit=1)[0].component == "autoscaling"
    assert tl.query()[0].iso == iso8601(200.0) == "1970-01-01T00:03:20.000Z"


def _scenario(world_factory):
    w = world_factory()
    w.network()
    tg = w.target_group()
    w.asg(desired=3, tg_arns=[tg])
    w.advance(200)
    w.sim.ec2.inject_fault(w.group()["Instances"][0]["InstanceId"], "hang")
    w.advance(600)
    names: dict[str, str] = {}  # resource ids -> order of first appearance (moto's ids depend on its lazy setup)
    return [(e.time, e.component, names.setdefault(e.resource, f"r{len(names)}"), e.event, e.details.get("state"))
            for e in w.sim.timeline.query()]


def test_virtual_mode_is_deterministic_for_a_seed(monkeypatch):
    """Two runs with the same seed give the same timeline: the same events at the same simulated times."""
    import boto3
    from moto import mock_aws

    from awslab.cloud import moto_ext
    from awslab.sim import Simulator

    from .conftest import REGION, START, World

    for k, v in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}.items():
        monkeypatch.setenv(k, v)
    runs = []
    for _ in range(2):
        with mock_aws():
            sim = Simulator(mode="virtual", seed=3, start_epoch=START).install()
            try:
                runs.append(_scenario(lambda: World(sim, *(boto3.client(s, region_name=REGION) for s in ("ec2", "elbv2", "autoscaling")))))
            finally:
                moto_ext.uninstall()
    assert runs[0] == runs[1] and len(runs[0]) > 30


def test_reset_forgets_simulated_state_and_old_processes_stop(world):
    """POST /_awslab/reset resets moto and then the simulator: old SimPy processes find their
    resources gone and end; the clock keeps going."""
    from moto.moto_api._internal.models import moto_api_backend

    w = world
    w.network()
    tg = w.target_group()
    w.asg(desired=2, tg_arns=[tg])
    w.advance(120)
    moto_api_backend.reset()
    w.sim.reset()
    t = w.now
    assert len(w.sim.timeline) == 0 and not w.sim.ec2.instances and not w.sim.autoscaling.groups
    w.advance(600)
    assert w.now == t + 600 and len(w.sim.timeline) == 0  # nothing left to happen

"""A long clock advance: run in slices that free the state lock, readable and stoppable as a job, and
health checks that take the app's modelled answer while a realtime clock jumps ahead."""
from __future__ import annotations

import threading
import time

import pytest

from awslab.cloud.control import STATE_LOCK
from awslab.sim import clock as clock_module
from awslab.sim.advance import AdvanceBusy, Advancer
from awslab.sim.health_probe import ProbeResult

HOUR, DAY = 3600.0, 86400.0


def _lock_is_free() -> bool:
    """Can another thread take the state lock right now?"""
    got = []

    def take():
        ok = STATE_LOCK.acquire(timeout=2)
        got.append(ok)
        if ok:
            STATE_LOCK.release()

    t = threading.Thread(target=take)
    t.start()
    t.join()
    return got == [True]


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_an_advance_runs_every_event_in_slices_and_frees_the_lock_between_them(world, monkeypatch):
    w = world
    w.network()
    w.asg(desired=2, tg_arns=[w.target_group()])
    monkeypatch.setattr(clock_module, "ADVANCE_SLICE_S", 0.0)  # one event per slice: the most interleaving
    slices, free = [], []

    def on_slice(now, events, held_s):
        slices.append((now, events))
        free.append(_lock_is_free())

    start = w.now
    end = w.sim.clock.advance(HOUR, on_slice=on_slice)
    assert end == pytest.approx(start + HOUR)
    assert len(slices) > 100 and all(free), "the lock is free after every slice"
    assert [n for n, _ in slices] == sorted(n for n, _ in slices)
    assert not w.sim.clock.advancing
    assert len(w.group()["Instances"]) == 2


def test_an_advance_job_shows_progress_stops_on_request_and_refuses_a_second_one(world, monkeypatch):
    w = world
    w.network()
    w.asg(desired=2)
    monkeypatch.setattr(clock_module, "ADVANCE_SLICE_S", 0.0)
    advancer = Advancer(w.sim.clock)
    job = advancer.run_in_background(30 * DAY)
    _wait_for(lambda: job.progress > 0)
    with pytest.raises(AdvanceBusy) as busy:
        advancer.start(60)
    assert busy.value.job is job
    seen = job.to_dict()
    assert seen["state"] == "running" and seen["done_seconds"] > 0 and seen["progress"] < 1 and seen["events"] > 0
    advancer.stop()
    _wait_for(lambda: job.state != "running")
    assert job.state == "stopped" and job.start < job.now < job.end
    assert w.now == pytest.approx(job.now)
    again = advancer.start(60)
    advancer.run(again)
    assert again.state == "done" and again.to_dict()["progress"] == 1.0


def test_health_checks_take_the_modelled_answer_while_a_realtime_clock_jumps(world):
    """The real HTTP check cannot keep up with a jump (no app listens yet for an instance launched a
    simulated hour ago): during an advance the check asks the app's model, which says 200."""
    w = world
    w.sim.clock.set_mode("realtime")
    w.sim.clock.pause()  # no pacing thread runs in this test; only the advance moves time
    unreachable = ProbeResult(False, None, "Target.FailedHealthChecks", 0.001)
    w.sim.elb.probe = lambda target: unreachable  # what a real probe finds when no app listens
    w.network()
    tg = w.target_group()
    w.asg(desired=2, tg_arns=[tg])
    w.advance(DAY)
    assert {th.state for th in w.sim.elb.targets_of(tg)} == {"healthy"}
    assert not w.events("instance_unhealthy")
    launches = [a for a in w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web-asg")["Activities"]
                if a["Description"].startswith("Launching")]
    assert len(launches) == 2
    target = w.sim.elb.target(w.sim.elb.targets_of(tg)[0])
    assert w.sim.elb.check(target) is unreachable, "between advances the real probe decides again"


def test_a_probe_that_models_its_own_jump_is_asked_while_a_realtime_clock_jumps(world):
    """The data plane's probe answers a jump itself (``modelled``): the app's model, once the network policy let the
    check through, so a NACL that cuts an AZ off fails its checks during a fast-forward too."""
    w = world
    w.sim.clock.set_mode("realtime")
    w.sim.clock.pause()
    cut_off = ProbeResult(False, None, "Target.Timeout", 5.0)

    class Probe:
        def __call__(self, target):
            return ProbeResult(True, 200, None, 0.001)

        def modelled(self, target):
            return cut_off

    w.sim.elb.probe = Probe()
    w.network()
    tg = w.target_group()
    w.asg(desired=1, tg_arns=[tg])
    w.advance(600)
    states = {th.state for th in w.sim.elb.targets_of(tg)}
    assert "healthy" not in states and w.events("instance_unhealthy"), states

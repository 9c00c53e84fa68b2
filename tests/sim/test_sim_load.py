"""The load model: CPU from requests, queueing latency, timeouts past saturation, load shapes."""
from __future__ import annotations

import pytest

from awslab.sim import load


def test_cpu_is_base_plus_load_over_capacity_capped_at_100():
    cap = load.capacity_rps("t3.micro")
    assert load.instance_load("t3.micro", 0).cpu_percent == pytest.approx(load.BASE_CPU_PERCENT)
    assert load.instance_load("t3.micro", cap / 2).cpu_percent == pytest.approx(load.BASE_CPU_PERCENT + 50)
    assert load.instance_load("t3.micro", cap * 3).cpu_percent == 100.0


def test_bigger_types_have_more_capacity_and_unknown_types_fall_back():
    assert load.capacity_rps("t3.small") > load.capacity_rps("t3.micro")
    assert load.capacity_rps("t3.medium") > load.capacity_rps("t3.small")
    assert load.capacity_rps("x9.huge") == load.DEFAULT_CAPACITY_RPS


def test_cpu_burn_adds_cpu_and_takes_capacity():
    plain = load.instance_load("t3.micro", 20)
    burnt = load.instance_load("t3.micro", 20, cpu_burn_percent=50)
    assert burnt.cpu_percent == pytest.approx(plain.cpu_percent + 50)
    assert burnt.latency_s > plain.latency_s
    assert load.instance_load("t3.micro", 10, cpu_burn_percent=100).served_rps == 0


def test_latency_grows_as_utilisation_nears_saturation():
    cap = load.capacity_rps("t3.micro")
    lat = [load.instance_load("t3.micro", cap * f).latency_s for f in (0.1, 0.5, 0.8, 0.95)]
    assert lat == sorted(lat) and lat[-1] > 5 * lat[0]
    one = load.instance_load("t3.micro", cap * 0.5)
    assert one.p95_latency_s > one.latency_s


def test_past_saturation_the_excess_times_out_and_nothing_is_lost():
    cap = load.capacity_rps("t3.micro")
    r = load.instance_load("t3.micro", cap * 2)
    assert r.saturated and r.timed_out_rps > cap * 0.9
    assert r.served_rps + r.timed_out_rps == pytest.approx(cap * 2)
    assert not load.instance_load("t3.micro", cap * 0.5).saturated


def test_slow_fault_past_the_idle_timeout_is_all_504():
    r = load.instance_load("t3.micro", 5, slow_delay_ms=61_000)
    assert r.served_rps == 0 and r.timed_out_rps == 5
    assert load.instance_load("t3.micro", 5, slow_delay_ms=200).latency_s > 0.2


def test_load_shapes():
    assert load.steady(30)(0) == load.steady(30)(9999) == 30
    s = load.step(10, 50, at_s=60)
    assert (s(59.9), s(60)) == (10, 50)
    p = load.spike(10, 100, at_s=60, duration_s=30)
    assert (p(59), p(60), p(89), p(90)) == (10, 100, 100, 10)
    r = load.ramp(0, 100, over_s=100, at_s=10)
    assert (r(0), r(60), r(110), r(500)) == (0, 50, 100, 100)


def test_users_follow_littles_law_and_the_seed_surge_is_tenfold():
    u = load.users(100, 1000, at_s=60, think_time_s=4.95, response_time_s=0.05)
    assert u(0) == pytest.approx(20) and u(60) == pytest.approx(200)
    surge = load.seed_surge(at_s=600, ramp_s=60)
    assert surge(700) == pytest.approx(10 * surge(0))
    assert surge(0) < surge(630) < surge(700)

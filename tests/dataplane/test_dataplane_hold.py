"""An API change takes effect in the traffic at the simulated instant it was made.

The data plane mirrors security groups, NACLs, routes and load balancers from the APIs a moment after each
change; at 20x that moment was seconds of AWS time, in which a revoked rule still let traffic through (lab 02
measured a target going unhealthy 100 s after the revoke, where its settings allow at most 95 s). The clock now
holds simulated time until the data plane has applied the change.
"""
from __future__ import annotations

import threading
import time

from awslab.sim.clock import HOLD_MOST_S, Clock


def test_simulated_time_waits_while_a_hold_is_on_and_resumes_where_it_was():
    clock = Clock(mode="realtime", speed=100)
    lag = {"on": False}
    clock.hold_while(lambda: lag["on"])
    clock.start()
    try:
        time.sleep(0.2)
        lag["on"] = True
        time.sleep(0.05)
        held_at = clock.env.now
        time.sleep(0.3)  # 30 simulated seconds would pass at 100x
        assert clock.env.now - held_at < 2.0
        lag["on"] = False
        time.sleep(0.2)
        assert clock.env.now - held_at > 10.0  # it moves again, from where it stood
    finally:
        clock.stop()


def test_a_hold_that_never_ends_stops_holding_after_its_bound():
    clock = Clock(mode="realtime", speed=100)
    clock.hold_while(lambda: True)
    clock.start()
    try:
        time.sleep(HOLD_MOST_S + 0.5)
        assert clock.env.now > 10.0  # the control loops go on even if the mirror is stuck
    finally:
        clock.stop()


def test_a_fast_forward_waits_for_the_data_plane_before_it_moves_the_clock():
    """Virtual time: ``advance(60)`` right after an API change runs no event until the change is applied (the
    AZ-outage drill associates a NACL and fast-forwards at once; the minute's health checks must meet it)."""
    clock = Clock(mode="virtual")
    lag = {"on": True}
    clock.hold_while(lambda: lag["on"])
    seen = []

    def check():
        while True:
            seen.append(lag["on"])
            yield clock.env.timeout(10)

    clock.env.process(check())
    threading.Timer(0.3, lambda: lag.update(on=False)).start()
    t0 = time.monotonic()
    clock.advance(60)
    assert time.monotonic() - t0 >= 0.25 and seen and not any(seen), "no event ran while the mirror lagged"
    lag["on"] = True
    t0 = time.monotonic()
    clock.advance(10)  # a hold that never ends: the fast-forward goes on after HOLD_MOST_S at most
    assert time.monotonic() - t0 < HOLD_MOST_S + 1.0

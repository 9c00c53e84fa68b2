"""A slow-but-working app: each answer draws its own delay (``jitter_ms``), from the simulator's seeded source."""
from __future__ import annotations

import pytest

from awslab.sim.faults import make_fault

from .test_sim_elb_health import _registered


def _flips(w, tg, iid):
    return [e for e in w.events("target_health_changed", resource=iid)
            if e.details.get("target_group_arn") == tg and e.details.get("state") == "unhealthy"]


def test_a_jittered_slow_app_fails_a_5_s_timeout_now_and_then_and_a_fixed_one_never(world):
    """3.0-5.5 s answers against a 5 s timeout: about one check in five times out, so three in a row
    happen now and then (false alarms); the same app at a fixed 4.25 s never fails a check."""
    w = world
    w.network()
    tg = w.target_group(interval=30, timeout=5, healthy=2, unhealthy=3)
    jittered, fixed = _registered(w, tg, 2)
    w.advance(90)
    assert w.health(tg)[jittered][0] == w.health(tg)[fixed][0] == "healthy"
    w.sim.ec2.inject_fault(jittered, "slow", delay_ms=4250, jitter_ms=1250)
    w.sim.ec2.inject_fault(fixed, "slow", delay_ms=4250)
    w.advance(6 * 3600)
    assert _flips(w, tg, fixed) == []
    assert len(_flips(w, tg, jittered)) >= 2  # 720 checks, p(timeout) = 0.2: about 5 runs of three expected


def test_jitter_is_checked_and_kept_with_the_fault():
    assert make_fault("slow", 0, delay_ms=4000, jitter_ms=1000).jitter_s == 1.0
    assert make_fault("slow", 0, delay_ms=4000).jitter_s == 0.0
    assert "jitter_ms" not in make_fault("slow", 0, delay_ms=4000).to_dict()
    with pytest.raises(ValueError, match="jitter_ms must be 0-4000"):
        make_fault("slow", 0, delay_ms=4000, jitter_ms=5000)  # a delay would go negative

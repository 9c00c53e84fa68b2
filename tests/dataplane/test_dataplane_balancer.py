"""Target choice: round robin, least outstanding requests, slow start."""
from __future__ import annotations

import random
from collections import Counter

from awslab.dataplane.balancer import Picker, Target, TargetGroupView, slow_start_weights


def group(targets, **attrs):
    return TargetGroupView("tg", "tg", 80, {k.replace("__", "."): v for k, v in attrs.items()}, targets)


T = [Target(f"i-{n}", f"10.0.10.{n + 10}", 80) for n in range(3)]


def test_least_outstanding_requests_prefers_idle_targets():
    tg = group(T, **{"load_balancing.algorithm.type": "least_outstanding_requests"})
    p = Picker()
    busy = p.choose(tg, 0)
    p.started(busy)
    p.started(busy)
    second = p.choose(tg, 0)
    p.started(second)
    third = p.choose(tg, 0)
    assert len({busy, second, third}) == 3
    p.finished(busy)
    p.finished(busy)
    assert p.choose(tg, 0) == busy


def test_round_robin_ignores_outstanding():
    tg = group(T)
    p = Picker()
    for t in T:
        p.started(t)
    p.started(T[0])
    assert [p.choose(tg, 0).instance_id for _ in range(6)] == ["i-0", "i-1", "i-2"] * 2


def test_slow_start_ramps_share_linearly():
    fresh = Target("i-new", "10.0.10.99", 80, healthy_since=1000.0)
    tg = group(T[:1] + [fresh], **{"slow_start.duration_seconds": "100"})
    assert slow_start_weights(tg.routable, 1025.0, 100) == [1.0, 0.25]
    p = Picker(random.Random(3))
    early = Counter(p.choose(tg, 1010.0).instance_id for _ in range(2000))
    late = Counter(p.choose(tg, 1090.0).instance_id for _ in range(2000))
    done = Counter(p.choose(tg, 1200.0).instance_id for _ in range(2000))
    assert early["i-new"] / 2000 < 0.15 < late["i-new"] / 2000 and 900 <= done["i-new"] <= 1100


def test_slow_start_not_applied_when_every_target_is_new():
    ts = [Target(f"i-{n}", f"10.0.10.{n}", 80, healthy_since=0.0) for n in range(2)]
    assert slow_start_weights(ts, 5.0, 100) == [1.0, 1.0]

"""curl's time in the cloud's seconds: the data plane's own measure in realtime mode, the clock's in virtual time."""
from __future__ import annotations

from types import SimpleNamespace

from awslab.course.web import _aws_seconds


def test_realtime_uses_the_data_planes_measure_not_two_clock_reads():
    # the clock was held still for part of the request: its reads say 9.96 s, the ALB waited 0.5 s x 20 = 10 s
    sim = SimpleNamespace(now=lambda: 1000.0 + 9.96)
    before = {"mode": "realtime", "speed": 20.0, "paused": False, "now": 1000.0}
    assert _aws_seconds(sim, before, 0.5) == 10.0


def test_virtual_time_reads_the_clock():
    sim = SimpleNamespace(now=lambda: 1300.0)
    assert _aws_seconds(sim, {"mode": "virtual", "speed": 20.0, "paused": False, "now": 1000.0}, 0.01) == 300.0
    assert _aws_seconds(sim, {"mode": "realtime", "speed": 20.0, "paused": True, "now": 1000.0}, 0.01) == 300.0

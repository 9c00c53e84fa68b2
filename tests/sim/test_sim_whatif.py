"""The what-if API: the same load against several setups, as comparable time series."""
from __future__ import annotations

from awslab.sim import load, whatif


def test_same_surge_against_target_tracking_scheduled_and_no_policy():
    shape = load.step(20, 200, at_s=300)
    result = whatif.compare(shape, [whatif.target_tracking(70), whatif.scheduled([(60, 6)]), whatif.no_policy()],
                            duration_s=25 * 60)
    tt, sched, fixed = (result.run(n) for n in ("target tracking 70%", "scheduled", "no policy"))
    assert [len(r.points) for r in result.runs] == [25, 25, 25]
    # a fixed fleet of 2 t3.micro (50 req/s each) drowns: timeouts become ALB 5xx
    assert fixed.max_capacity == 2 and fixed.total_errors > 0.3 * fixed.total_requests
    assert max(p.cpu_percent for p in fixed.points) == 100.0
    # target tracking scales out after the surge and loses far fewer requests; it costs more instance-hours
    assert tt.max_capacity >= 5 and tt.total_errors < fixed.total_errors / 3
    assert tt.instance_hours > fixed.instance_hours
    assert tt.points[-1].cpu_percent <= 70.0 and tt.points[-1].p95_latency_ms < fixed.points[-1].p95_latency_ms
    # capacity scheduled before the surge loses nothing
    assert sched.total_errors == 0 and sched.points[-1].capacity == 6
    rows = result.to_rows()
    assert len(rows) == 75 and set(rows[0]) == {"setup", "minute", "capacity", "in_service", "cpu_percent",
                                                 "p95_latency_ms", "requests", "errors"}
    assert [s["setup"] for s in result.summary()] == ["target tracking 70%", "scheduled", "no policy"]
    assert "<table>" in result._repr_html_()

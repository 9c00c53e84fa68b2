"""The what-if API: the same load against several setups, as comparable time series."""
from __future__ import annotations

import os

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


def test_each_policy_scales_out_when_its_alarm_can_fire_and_simple_waits_for_its_cooldown(monkeypatch):
    """A load step on a whole minute: a policy's first scale-out comes Period x DatapointsToAlarm + the delivery
    delay later (target tracking 3 of 3, the step and simple setups' alarms 2 of 2); simple scaling then waits for
    its activity and the cooldown before it answers its alarm again, step scaling only for the warm-up."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "true")
    shape = load.seed_surge(at_s=120, ramp_s=0)
    result = whatif.compare(shape, [whatif.target_tracking(70), whatif.step_scaling(70, warmup_s=120),
                                    whatif.simple_scaling(70, cooldown_s=300), whatif.no_policy()],
                            duration_s=120 + 16 * 60, max_size=6, warmup_s=120)
    tt, step, simple, fixed = result.runs
    delay = result.delivery_delay_s
    assert tt.scale_outs[0] - 120 == 60 * 3 + delay
    assert step.scale_outs[0] - 120 == simple.scale_outs[0] - 120 == 60 * whatif.SCALE_OUT_PERIODS + delay
    gaps = lambda r: [b - a for a, b in zip(r.scale_outs, r.scale_outs[1:])]
    assert len(gaps(simple)) >= 2 and all(300 <= g <= 300 + 120 for g in gaps(simple))
    assert gaps(step) and all(120 <= g < 300 for g in gaps(step))
    assert fixed.capacity_changes == () and tt.capacity_changes[0].previous == 2
    assert os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] == "true", "a run restores moto's AMI setting"

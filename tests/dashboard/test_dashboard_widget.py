"""The dashboard against the embedded cloud (virtual clock): a refresh, the clock, a drill and reset, traffic, close."""
from __future__ import annotations

import threading
import time

import pytest

from awslab import Lab
from awslab.dashboard import Dashboard
from awslab.dashboard.charts import traces
from awslab.dashboard.controls import ClockPanel

from ..conftest import clock, control
from .stack import healthy_stack


def _healthy(lab: Lab, tg_arn: str) -> int:
    th = lab.client("elbv2").describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return sum(d["TargetHealth"]["State"] == "healthy" for d in th)


@pytest.fixture(scope="module")
def stack(cloud_url):
    with clock(cloud_url, mode="virtual"):
        lab, st = healthy_stack(cloud_url, "w")
        yield lab, st
        lab.teardown()


def _ours() -> list[str]:
    names = ("awslab-dashboard", "awslab-live", "awslab-traffic")
    return [t.name for t in threading.enumerate() if t.name.startswith(names)]


def test_a_refresh_reads_the_group_and_draws_it(stack):
    lab, st = stack
    board = Dashboard(lab, topology=False)
    try:
        control(lab.endpoint_url, "POST", "load", {"shape": "steady", "rps": 40, "target_group_arn": st.tg_arn})
        control(lab.endpoint_url, "POST", "clock/advance", {"seconds": 300})
        state = board.refresh()
        assert state.group_name == st.asg_name and (state.desired, state.in_service, state.healthy) == (2, 2, 2)
        assert "data-target='healthy'" in board.targets.value and board.targets.value.count("<tr class='awslab") == 2
        assert list(traces(board.figure)["requests"].y) == list(state.requests.values) and state.requests.values
        assert state.p50.values and state.p99.values[-1] > state.p50.values[-1]
        assert "UTC" in board.clock.time.value
    finally:
        control(lab.endpoint_url, "DELETE", "load")
        board.close()


def test_the_clock_steps_a_minute_and_pauses(stack, cloud_url):
    lab, _ = stack
    panel = ClockPanel(Dashboard(lab, topology=False).sim)
    before = control(cloud_url, "GET", "clock")["now"]
    panel.step_minute()
    assert control(cloud_url, "GET", "clock")["now"] == pytest.approx(before + 60, abs=1)
    with clock(cloud_url, mode="realtime", speed=5, paused=False):
        panel.toggle()
        assert control(cloud_url, "GET", "clock")["paused"] is True and panel.pause.description == "resume"
        panel.toggle()
        assert control(cloud_url, "GET", "clock")["paused"] is False
        panel.set_speed(42)
        assert control(cloud_url, "GET", "clock")["speed"] == 42


def test_a_drill_button_breaks_and_reset_leaves_the_lab_as_it_was(stack, cloud_url):
    lab, st = stack
    board = Dashboard(lab, topology=False)
    try:
        board.drills.start("instance_failure")
        drill = board.drills.drill
        assert drill is not None and "is running" in board.drills.message.value
        control(cloud_url, "POST", "clock/advance", {"seconds": 120})
        state = board.refresh()
        assert state.drill.key == "instance_failure" and dict(state.drill.milestones)["unhealthy"]
        assert "the web app is broken: crash" in board.timeline.value
        board.drills.reset()
        assert board.drills.done and "as the drill found it" in board.drills.message.value
        assert drill.instance_id not in control(cloud_url, "GET", "faults"), "reset cleared the app fault"
        for _ in range(30):
            if _healthy(lab, st.tg_arn) >= 2:
                break
            control(cloud_url, "POST", "clock/advance", {"seconds": 30})
        assert board.refresh().healthy == 2
        assert "(reset)" in board.drill_view.value
    finally:
        board.close()


def test_close_leaves_no_thread_behind(stack):
    lab, _ = stack
    before = _ours()
    board = Dashboard(lab, interval=1.0).start()
    deadline = time.monotonic() + 60
    while board.refreshes < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert board.refreshes >= 2 and board.running and board.last_error == ""
    board.close()
    assert not board.running and _ours() == before


def test_traffic_goes_through_the_alb_and_its_status_codes_are_counted(stack):
    lab, _ = stack
    board = Dashboard(lab, topology=False)
    try:
        board.traffic.rate.value = 30
        board.traffic.start()
        assert board.traffic.running
        deadline, codes = time.monotonic() + 30, {}
        while time.monotonic() < deadline and not codes.get(200):
            time.sleep(1)
            codes = board.traffic.per_second()
        assert codes.get(200, 0) > 0, codes
        board.traffic.stop()
        assert not board.traffic.running and board.traffic.button.description == "start traffic"
    finally:
        board.close()
    assert not any(name.startswith("awslab-traffic") for name in _ours())

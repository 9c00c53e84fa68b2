"""The dashboard's frame is a pure function of recorded API answers (tests/dashboard/record.py made them)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from awslab.dashboard.state import WINDOW_S, AlarmBand, ApiAnswers, DashboardState, DrillView, dashboard_state
from awslab.drills.story import StoryLine

FRAMES = json.loads((Path(__file__).with_name("recorded") / "instance_failure.json").read_text())


def answers(frame: dict, **changes) -> ApiAnswers:
    a = ApiAnswers(frame["now"], frame["group"], frame["target_health"], frame["alarms"], frame["alarm_history"],
                   frame["metric_data"], [StoryLine(o, "", actor, res, text) for o, actor, res, text in frame["story"]])
    for k, v in changes.items():
        setattr(a, k, v)
    return a


def replay() -> list[DashboardState]:
    states, previous = [], None
    for frame in FRAMES:
        previous = dashboard_state(answers(frame), previous)
        states.append(previous)
    return states


def test_the_same_answers_give_the_same_frame():
    assert dashboard_state(answers(FRAMES[2])) == dashboard_state(answers(FRAMES[2]))


def test_capacity_and_targets_come_from_the_describe_calls():
    steady, _busy, crashed, replaced = replay()
    assert (steady.desired, steady.in_service, steady.healthy) == (2, 2, 2)
    assert {r.availability_zone for r in steady.instances} == {"ap-northeast-2a", "ap-northeast-2b"}
    assert all(r.target_state == "healthy" and r.lifecycle_state == "InService" for r in steady.instances)
    before = {r.instance_id for r in steady.instances}
    leaving = [r for r in crashed.instances if r.lifecycle_state.startswith("Terminating")]
    assert len(leaving) == 1 and leaving[0].target_state == "draining" and leaving[0].instance_id in before
    new = [r for r in replaced.instances if r.instance_id not in before]
    assert len(new) == 1 and new[0].target_state == "healthy"
    assert new[0].availability_zone == leaving[0].availability_zone, "the replacement rebalances into the victim's AZ"
    assert replaced.zones() == {"ap-northeast-2a": 1, "ap-northeast-2b": 1}


def test_capacity_history_is_carried_from_frame_to_frame_and_bounded_to_the_window():
    states = replay()
    assert states[-1].counts.times == tuple(f["now"] for f in FRAMES)  # 4 frames 20 minutes apart at most
    assert states[-1].counts.desired == (2, 2, 2, 2)
    far = dict(FRAMES[-1], now=FRAMES[-1]["now"] + WINDOW_S + 1)
    later = dashboard_state(answers(far), states[-1])
    assert later.counts.times == (far["now"],), "samples older than the window are dropped"
    other = dict(FRAMES[0], group=dict(FRAMES[0]["group"], AutoScalingGroupName="another"))
    assert dashboard_state(answers(other), states[-1]).counts.times == (other["now"],), "another group starts afresh"


def test_metrics_come_from_get_metric_data_sorted_by_query_id():
    steady, busy, crashed, replaced = replay()
    assert len(steady.cpu_instances) == 2 and all(s.id.startswith("cpu_i") for s in steady.cpu_instances)
    assert steady.cpu_group.values[-1] == pytest.approx(52.0)  # 25 req/s on a t3.micro: 2 % base + 50 %
    assert busy.cpu_group.values[-1] > 70, "90 req/s on two t3.micro is over the alarm's threshold"
    assert steady.requests.values[-1] == pytest.approx(3000)  # 50 req/s for a minute
    assert steady.elb_5xx.values == () and crashed.elb_5xx.values, "the crashed app's requests fail as ELB 5XX"
    assert steady.p50.values[-1] < steady.p99.values[-1] < busy.p99.values[-1]
    assert all(t0 < t1 for t0, t1 in zip(busy.requests.times, busy.requests.times[1:]))
    for s in (steady, busy, crashed, replaced):
        assert all(s.now - WINDOW_S - 60 <= t <= s.now for t in s.requests.times)


def test_each_cpu_alarm_on_the_group_gives_a_threshold_line():
    state = replay()[0]
    (line,) = state.alarm_lines
    assert line.threshold == 70.0 and line.comparison == "GreaterThanThreshold"
    stranger = dict(FRAMES[0]["alarms"][0], AlarmName="someone-else",
                    Dimensions=[{"Name": "AutoScalingGroupName", "Value": "another-group"}])
    again = dashboard_state(answers(FRAMES[0], alarms=FRAMES[0]["alarms"] + [stranger]))
    assert [a.alarm_name for a in again.alarm_lines] == [line.alarm_name], "another group's alarm is not drawn"


def test_alarm_bands_follow_the_alarm_history_and_cover_the_window():
    state = replay()[1]
    bands = [b for b in state.alarm_bands if b.alarm_name == state.alarm_lines[0].alarm_name]
    assert bands[0].start == state.now - WINDOW_S and bands[-1].end == state.now
    assert all(a.end == b.start for a, b in zip(bands, bands[1:])), "contiguous: one state at a time"
    assert all(a.state != b.state for a, b in zip(bands, bands[1:]))
    history = sorted(h["Timestamp"] for h in FRAMES[1]["alarm_history"] if h["AlarmName"] == bands[0].alarm_name)
    assert len(bands) == 1 + len([h for h in history]), "one band more than there were changes in the window"
    assert bands[-1].state == FRAMES[1]["alarms"][0]["StateValue"]


def test_an_alarm_without_history_in_the_window_is_one_band_in_its_state():
    frame = FRAMES[0]
    state = dashboard_state(answers(frame, alarm_history=[]))
    assert state.alarm_bands == (AlarmBand(frame["alarms"][0]["AlarmName"], frame["alarms"][0]["StateValue"],
                                           frame["now"] - WINDOW_S, frame["now"]),)


def test_a_lab_without_a_group_is_an_empty_frame_that_still_tells_the_story():
    line = StoryLine(0.0, "", "fault", "i-1", "the web app is broken: crash")
    state = dashboard_state(ApiAnswers(1000.0, None, story=[line], drill=DrillView("x", "X", (("a", False),))))
    assert state.group_name == "" and state.instances == () and state.story == (line,)
    assert state.drill.milestones == (("a", False),)


def test_the_story_keeps_its_first_line_and_its_newest():
    lines = [StoryLine(float(k), "", "ELB", "i-1", f"line {k}") for k in range(40)]
    state = dashboard_state(answers(FRAMES[0], story=lines))
    assert state.story[0].text == "line 0" and state.story[-1].text == "line 39" and len(state.story) < 40
    assert [line.offset_s for line in state.story] == sorted(line.offset_s for line in state.story)

"""The chart update path: a FigureWidget's traces after an update hold the frame's data, in place."""
from __future__ import annotations

from datetime import datetime, timezone

from awslab.dashboard.charts import BAND_COLOURS, INSTANCE_SLOTS, frame, make_figure, traces, update_figure
from awslab.dashboard.panels import drill_html, targets_html, timeline_html
from awslab.dashboard.state import DrillView, dashboard_state

from .test_dashboard_state import FRAMES, answers, replay


def _epochs(xs) -> list[float]:
    return [x.replace(tzinfo=timezone.utc).timestamp() if isinstance(x, datetime) else
            datetime.fromisoformat(str(x)).replace(tzinfo=timezone.utc).timestamp() for x in xs]


def test_an_update_puts_the_frame_on_the_same_traces():
    fig = make_figure()
    before = traces(fig)
    states = replay()
    for state in states:
        update_figure(fig, state)
    state = states[-1]
    by = traces(fig)
    assert by.keys() == before.keys() and all(by[k] is before[k] for k in by), "updated in place, none added"
    assert list(by["requests"].y) == list(state.requests.values)
    assert _epochs(by["requests"].x) == list(state.requests.times)
    assert list(by["cpu_group"].y) == list(state.cpu_group.values)
    assert list(by["p99"].y) == list(state.p99.values) and list(by["p50"].y) == list(state.p50.values)
    assert list(by["desired"].y) == [2, 2, 2, 2] and list(by["healthy"].y) == list(state.counts.healthy)
    assert list(by["threshold_0"].y) == [70.0, 70.0] and by["threshold_0"].name == state.alarm_lines[0].alarm_name
    assert list(by["threshold_1"].y) == [], "unused threshold slots stay empty"
    names = {by[f"cpu_{k}"].name for k in range(len(state.cpu_instances))}
    assert names == {s.id[4:] for s in state.cpu_instances}
    assert len(fig.layout.shapes) == len(state.alarm_bands)
    assert {s.fillcolor for s in fig.layout.shapes} <= set(BAND_COLOURS.values())
    assert _epochs(fig.layout.xaxis.range) == [state.now - 1800, state.now]


def test_fewer_instances_empty_the_slots_they_leave():
    fig = make_figure()
    update_figure(fig, replay()[0])
    assert list(traces(fig)["cpu_0"].y)
    shrunk = dashboard_state(answers(FRAMES[0], metric_data=[r for r in FRAMES[0]["metric_data"]
                                                              if not r["Id"].startswith("cpu_i")]))
    update_figure(fig, shrunk)
    by = traces(fig)
    assert all(list(by[f"cpu_{k}"].y) == [] for k in range(INSTANCE_SLOTS))


def test_frame_is_pure():
    state = replay()[2]
    assert frame(state) == frame(state)


def test_the_panels_show_targets_milestones_and_story():
    state = replay()[2]
    html = targets_html(state)
    assert html.count("<tr class='awslab-target ") == len(state.instances)
    assert "data-target='draining'" in html and "awslab-target-healthy" in html and "ap-northeast-2b" in html
    assert "desired 2, InService 2, healthy 2" in html
    view = dashboard_state(answers(FRAMES[2], drill=DrillView("instance_failure", "Instance failure",
                                                                (("unhealthy", True), ("replaced", False)))))
    marks = drill_html(view)
    assert "data-milestone='unhealthy' data-reached='true'" in marks and "data-reached='false'" in marks
    told = timeline_html(state)
    assert state.story[0].text in told and "Terminating EC2 instance" in told and "initial -&gt; healthy" in told
    assert timeline_html(dashboard_state(answers(FRAMES[0]))) == ""

"""The dashboard's charts: one plotly ``FigureWidget`` whose traces are updated in place, frame by frame.

Four rows on one shared time axis (simulated UTC):

1. CPUUtilization: each instance, the group's average, each CPU alarm's threshold (dashed), and each of
   the group's alarms as coloured bands behind (ALARM red, OK green, INSUFFICIENT_DATA grey);
2. capacity: desired, InService and healthy, as steps;
3. requests a minute (RequestCount) and 5xx (HTTPCode_ELB_5XX_Count, HTTPCode_Target_5XX_Count);
4. TargetResponseTime p50 and p99.

The traces are made once (with fixed slots for instances and thresholds) and only their ``x``/``y`` change,
inside one ``batch_update``: the browser redraws once per frame and nothing flickers.
:func:`frame` is pure (state in, trace data out), so tests check what would be drawn without a browser.
"""
from __future__ import annotations

from copy import deepcopy
from datetime import datetime, timezone
from typing import Any

from ..i18n import _
from .state import DashboardState

__all__ = ["INSTANCE_SLOTS", "THRESHOLD_SLOTS", "make_figure", "frame", "update_figure", "traces", "BAND_COLOURS"]

INSTANCE_SLOTS = 8
THRESHOLD_SLOTS = 4
BAND_COLOURS = {"ALARM": "rgba(229,57,53,0.22)", "OK": "rgba(67,160,71,0.12)",
                "INSUFFICIENT_DATA": "rgba(158,158,158,0.15)"}
#: The instances' CPU lines: blues, greens and purples (red is kept for thresholds, ALARM and 5xx).
_INSTANCE_COLOURS = ("#64b5f6", "#81c784", "#ba68c8", "#4db6ac", "#9575cd", "#4fc3f7", "#aed581", "#7986cb")
_CAPACITY = (("desired", "#1e88e5", "dash"), ("in_service", "#43a047", "solid"), ("healthy", "#fb8c00", "dot"))


def _names() -> list[tuple[str, int, dict]]:
    """(name, row, trace settings) of every trace, in order."""
    traces = [("cpu_group", 1, dict(name=_("group average"), line=dict(width=4, color="#212121")))]
    traces += [(f"cpu_{k}", 1, dict(name="", line=dict(width=2, color=_INSTANCE_COLOURS[k % len(_INSTANCE_COLOURS)]),
                                    showlegend=False)) for k in range(INSTANCE_SLOTS)]
    traces += [(f"threshold_{k}", 1, dict(name="", line=dict(dash="dash", width=2, color="#c62828"), showlegend=False))
               for k in range(THRESHOLD_SLOTS)]
    labels = {"desired": _("desired"), "in_service": _("InService"), "healthy": _("healthy")}
    traces += [(n, 2, dict(name=labels[n], line=dict(color=c, dash=d, width=3, shape="hv"))) for n, c, d in _CAPACITY]
    traces += [("requests", 3, dict(name="RequestCount", line=dict(color="#1e88e5", width=3))),
               ("elb5xx", 3, dict(name="ELB 5XX", line=dict(color="#c62828", width=3), mode="lines+markers")),
               ("target5xx", 3, dict(name="Target 5XX", line=dict(color="#8e24aa", width=3, dash="dot"),
                                     mode="lines+markers"))]
    traces += [("p50", 4, dict(name="p50", line=dict(color="#00897b", width=3))),
               ("p99", 4, dict(name="p99", line=dict(color="#6d4c41", width=3, dash="dash")))]
    return traces


def make_figure(font_size: int = 13, height: int = 760) -> Any:
    """An empty ``FigureWidget`` with every trace in place (``font_size`` 18+ for a projector)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    titles = (_("CPUUtilization (%), alarm thresholds and states"), _("Capacity: desired, InService, healthy"),
              _("Requests and 5xx per minute"), _("TargetResponseTime (s)"))
    base = make_subplots(rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.07, subplot_titles=titles)
    for name, row, settings in _names():
        settings = {"mode": "lines", **settings}
        base.add_trace(go.Scatter(x=[], y=[], meta=name, **settings), row=row, col=1)
    base.update_layout(height=height, margin=dict(l=60, r=20, t=40, b=40), font=dict(size=font_size),
                       legend=dict(orientation="h", yanchor="top", y=-0.06, x=0, font=dict(size=font_size)),
                       template="plotly_white", uirevision="awslab")
    base.update_annotations(font=dict(size=font_size + 1))
    base.update_xaxes(type="date")  # set, not guessed: an axis guessed from no data is numeric, and stays so
    base.update_yaxes(rangemode="tozero")
    base.update_yaxes(range=[0, 100], row=1, col=1)
    base.update_yaxes(tick0=0, dtick=1, row=2, col=1)  # instances are whole: no 0.5 or 1.5 on the capacity axis
    # Laid out before it becomes a widget: a FigureWidget inside a container is sent to the browser as it was made
    return go.FigureWidget(base)


def _t(epochs: tuple[float, ...]) -> list[datetime]:
    return [datetime.fromtimestamp(t, timezone.utc).replace(tzinfo=None) for t in epochs]


def frame(state: DashboardState) -> tuple[dict[str, dict], list[dict]]:
    """(trace name -> {x, y, name}, band shapes) for ``state``: what :func:`update_figure` draws (pure)."""
    start, end = _t(state.window)
    data: dict[str, dict] = {"cpu_group": {"x": _t(state.cpu_group.times), "y": list(state.cpu_group.values)}}
    for k in range(INSTANCE_SLOTS):
        s = state.cpu_instances[k] if k < len(state.cpu_instances) else None
        data[f"cpu_{k}"] = ({"x": _t(s.times), "y": list(s.values), "name": s.id[4:], "showlegend": False}
                            if s else {"x": [], "y": [], "name": ""})
    for k in range(THRESHOLD_SLOTS):
        a = state.alarm_lines[k] if k < len(state.alarm_lines) else None
        data[f"threshold_{k}"] = ({"x": [start, end], "y": [a.threshold, a.threshold], "name": a.alarm_name,
                                   "showlegend": True} if a else {"x": [], "y": [], "name": "", "showlegend": False})
    counts = state.counts
    for name in ("desired", "in_service", "healthy"):
        data[name] = {"x": _t(counts.times), "y": list(getattr(counts, name))}
    for name in ("requests", "elb5xx", "target5xx", "p50", "p99"):
        s = getattr(state, {"elb5xx": "elb_5xx", "target5xx": "target_5xx"}.get(name, name))
        data[name] = {"x": _t(s.times), "y": list(s.values)}
    return data, _bands(state)


def _bands(state: DashboardState) -> list[dict]:
    """One horizontal stripe per alarm across the CPU chart, coloured by its state over time."""
    names = sorted({b.alarm_name for b in state.alarm_bands})
    height = 1.0 / max(1, len(names))
    return [dict(type="rect", xref="x", yref="y domain", x0=_t((b.start,))[0], x1=_t((b.end,))[0],
                 y0=names.index(b.alarm_name) * height, y1=(names.index(b.alarm_name) + 1) * height,
                 fillcolor=BAND_COLOURS.get(b.state, BAND_COLOURS["INSUFFICIENT_DATA"]), line=dict(width=0),
                 layer="below", name=b.alarm_name) for b in state.alarm_bands]


def traces(fig: Any) -> dict[str, Any]:
    """The figure's traces by name (each trace's ``meta``)."""
    return {t.meta: t for t in fig.data}


def update_figure(fig: Any, state: DashboardState) -> None:
    """Put ``state`` on ``fig`` in place: one batch, one redraw."""
    data, shapes = frame(state)
    start, end = _t(state.window)
    by_name = traces(fig)
    with fig.batch_update():
        for name, values in data.items():
            trace = by_name[name]
            for key, value in values.items():
                setattr(trace, key, value)
        fig.layout.shapes = shapes
        fig.update_xaxes(range=[start, end])
    _keep_whole_figure(fig)


def _keep_whole_figure(fig: Any) -> None:
    """Keep the widget's synced copy of the whole figure current, not only the edits.

    A browser that connects after the figure was made (Voila streams the page; a reloaded JupyterLab tab) draws
    the figure from this copy, then follows the edits; plotly refreshes it only when a figure is displayed on
    its own (``_repr_mimebundle_``), never inside a container, so it would draw the empty figure of the start.
    """
    fig._widget_layout = deepcopy(fig._layout_obj._props)
    fig._widget_data = deepcopy(fig._data)

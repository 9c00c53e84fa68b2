"""The health-check tuning drill's chart (plotly): what each setting buys and what it costs.

Three panels side by side, one bar per setting, as wide as the notebook (legible from about 800 px):
the measured detection time (a diamond) inside the window the settings predict (a grey bar from its
start to its end); the slow-but-working server's false alarms per simulated hour; and the minutes
that working server spent out of service.
"""
from __future__ import annotations

from typing import Any

from ..i18n import _

__all__ = ["tuning_figure"]

#: Colours that stay apart for colour-blind readers (Okabe-Ito).
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def tuning_figure(result: Any) -> Any:
    """A ``plotly.graph_objects.Figure`` of :class:`~awslab.drills.health_check_results.TuningResult`."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = [r.setting.name for r in result.rows]
    colours = [COLOURS[i % len(COLOURS)] for i in range(len(names))]
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.09, subplot_titles=(
        _("Crash detected after (s)"), _("False alarms per hour"), _("Out of service (min)")))
    low = [r.predicted_window_s[0] for r in result.rows]
    fig.add_trace(go.Bar(x=names, y=[r.predicted_window_s[1] - r.predicted_window_s[0] for r in result.rows], base=low,
                         marker_color="#d0d7de", name=_("predicted window"), width=0.5), row=1, col=1)
    fig.add_trace(go.Scatter(x=names, y=[r.detection_s for r in result.rows], mode="markers+text",
                             marker={"symbol": "diamond", "size": 14, "color": colours},
                             text=[_fmt(r.detection_s) for r in result.rows], textposition="middle right",
                             name=_("measured")), row=1, col=1)
    fig.add_trace(go.Bar(x=names, y=[r.false_alarms_per_hour for r in result.rows], marker_color=colours,
                         text=[f"{r.false_alarms_per_hour:.1f}" for r in result.rows], textposition="outside",
                         showlegend=False), row=1, col=2)
    fig.add_trace(go.Bar(x=names, y=[r.out_of_service_s / 60 for r in result.rows], marker_color=colours,
                         text=[f"{r.out_of_service_s / 60:.1f}" for r in result.rows], textposition="outside",
                         showlegend=False), row=1, col=3)
    fig.update_layout(autosize=True, height=420, font={"size": 14}, margin={"l": 50, "r": 20, "t": 70, "b": 60},
                      title={"text": _("Health-check settings under a slow app ({slow}), {minutes:.0f} simulated "
                                       "minutes").format(slow=result.slow_app, minutes=result.span_s / 60),
                             "font": {"size": 16}},
                      legend={"orientation": "h", "y": -0.18, "x": 0}, plot_bgcolor="white")
    fig.update_yaxes(gridcolor="#eaeef2", rangemode="tozero")
    tops = {2: max(r.false_alarms_per_hour for r in result.rows), 3: max(r.out_of_service_s / 60 for r in result.rows)}
    for col, top in tops.items():  # room above the tallest bar for its label
        fig.update_yaxes(range=[0, max(1.0, top * 1.25)], row=1, col=col)
    return fig


def _fmt(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:g} s"

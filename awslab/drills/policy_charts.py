"""The policy comparison's charts: capacity, p95 latency and 5xx per minute, one line per setup (plotly, offline).

Each chart is a plain ``plotly.graph_objects.Figure`` sized for a notebook (900 px wide, 14 px text and
more), with the surge marked at minute 0; it renders without a network, in JupyterLab and in Voila.
"""
from __future__ import annotations

from typing import Any, Callable

from ..i18n import _

__all__ = ["charts", "COLOURS", "WIDTH_PX", "FONT_PX"]

WIDTH_PX, HEIGHT_PX, FONT_PX = 900, 380, 14
#: One colour per kind, the same in every chart (colour-blind safe: Okabe-Ito).
COLOURS = {"target_tracking": "#0072B2", "step": "#E69F00", "simple": "#009E73", "scheduled": "#CC79A7",
           "none": "#555555"}


def _figure(result: Any, title: str, y_title: str, value: Callable[[Any], Any], shape: str = "linear") -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    surge_min = result.surge_at_s / 60
    for o in result.outcomes:
        points = o.run.points
        fig.add_trace(go.Scatter(x=[p.minute - surge_min for p in points], y=[value(p) for p in points],
                                 name=o.label, mode="lines", line={"color": COLOURS.get(o.kind), "width": 3,
                                                                   "shape": shape}))
    fig.add_vline(x=0, line_dash="dash", line_color="#D55E00", annotation_text=_("surge"),
                  annotation_font_size=FONT_PX)
    fig.update_layout(title={"text": title, "font": {"size": FONT_PX + 4}}, width=WIDTH_PX, height=HEIGHT_PX,
                      font={"size": FONT_PX}, template="plotly_white", margin={"l": 70, "r": 20, "t": 50, "b": 60},
                      legend={"orientation": "h", "y": -0.25, "font": {"size": FONT_PX}},
                      xaxis_title=_("minutes after the surge"), yaxis_title=y_title)
    return fig


def charts(result: Any) -> tuple[Any, Any, Any]:
    """(desired capacity, p95 latency in ms, 5xx per minute) over time, one line per setup."""
    return (
        _figure(result, _("Desired capacity"), _("instances"), lambda p: p.capacity, "hv"),
        _figure(result, _("Target response time, p95 (the model's)"), _("ms"), lambda p: p.p95_latency_ms),
        _figure(result, _("HTTP 5xx per minute (ELB + target)"), _("responses"), lambda p: round(p.errors)),
    )

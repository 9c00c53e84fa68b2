"""The instructor console: live charts, topology, timeline, clock, one button per drill, and real traffic.

- :mod:`.metrics`   the CloudWatch GetMetricData queries the charts read
- :mod:`.state`     the frame as a pure function of the APIs' answers (:func:`dashboard_state`)
- :mod:`.collect`   the read-only AWS calls of one refresh
- :mod:`.charts`    the plotly FigureWidget, updated in place
- :mod:`.panels`    the targets table, the drill's milestones and its story, as HTML
- :mod:`.controls`  the clock, the drills' buttons, the traffic
- :mod:`.widget`    :func:`dashboard`: all of it, refreshed on a background thread
- :mod:`.present`   ``awslab present``: the same dashboard full-screen through Voila
"""
from __future__ import annotations

from .state import ApiAnswers, DashboardState, dashboard_state
from .widget import Dashboard, dashboard

__all__ = ["dashboard", "Dashboard", "DashboardState", "ApiAnswers", "dashboard_state"]

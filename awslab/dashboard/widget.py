"""The instructor console: one screen where a click breaks something and everyone watches AWS respond.

    >>> board = awslab.dashboard(lab)     # shows itself in the notebook and starts refreshing
    >>> board.close()                     # stops the refresh thread and any traffic; nothing is left running

Once a second (at most) a background thread reads the standard APIs (:mod:`.collect`), computes the frame
(:func:`.state.dashboard_state`, pure) and puts it on the page in place: the charts (:mod:`.charts`), the
targets table, the drill's milestones and story (:mod:`.panels`), and every few seconds the live topology,
focused on the layer the running drill touches.
"""
from __future__ import annotations

import html
import threading
import time
from typing import Any

from ..drills.simulator import simulator
from ..i18n import _
from ..lab import Lab
from .charts import make_figure, update_figure
from .collect import collect
from .controls import ClockPanel, DrillPanel, TrafficPanel
from .panels import drill_html, style, targets_html, timeline_html
from .state import DashboardState, dashboard_state

__all__ = ["Dashboard", "dashboard", "FOCUS"]

#: The topology's focus while a drill runs: the layer whose boxes the drill changes.
FOCUS = {"instance_failure": "loadbalancing", "az_outage": "network", "surge": "scaling",
         "policy_comparison": "scaling", "health_check_tuning": "loadbalancing", "bad_deploy": "autoscaling"}
#: The topology is the costliest read (every layer's describe calls): it is redrawn every this many refreshes.
TOPOLOGY_EVERY = 3


class Dashboard:
    """The console's widgets and its refresh thread (see the module's docstring)."""

    def __init__(self, lab: Lab, interval: float = 1.0, projector: bool = False, topology: bool = True):
        import ipywidgets as w

        self.lab, self.interval = lab, max(1.0, float(interval))  # at most one refresh a second
        self.sim = simulator(lab)
        self.state: DashboardState | None = None
        self.refreshes, self.last_error = 0, ""
        self.clock = ClockPanel(self.sim)
        self.drills = DrillPanel(lab, on_change=self._drill_changed)
        self.drills.adopt_running()
        self.traffic = TrafficPanel(self._alb_url)
        self.figure = make_figure(font_size=18 if projector else 13, height=900 if projector else 760)
        self.targets, self.drill_view, self.timeline = w.HTML(), w.HTML(), w.HTML()
        self.status = w.HTML()
        self.topology = self._topology() if topology else None
        heading = _("awslab · lab {name}").format(name=lab.name)
        title = w.HTML(f"<span class='awslab-title'>{html.escape(heading)}</span>")
        charts = w.VBox([self.figure], layout=w.Layout(flex="1 1 620px", min_width="0"))
        side = w.VBox([self.targets, self.drill_view, self.timeline],
                      layout=w.Layout(flex="1 1 680px", min_width="0", padding="0 12px 0 0", overflow="hidden"))
        side.add_class("awslab-side")
        head = w.HBox([title, self.clock.widget],
                      layout=w.Layout(flex_flow="row wrap", justify_content="space-between"))
        self.widget = w.VBox([w.HTML(style(projector)), head, self.drills.widget, self.traffic.widget,
                              w.HBox([side, charts], layout=w.Layout(flex_flow="row wrap", width="100%")),
                              *([self.topology.widget] if self.topology else []), self.status])
        self.widget.add_class("awslab-dashboard")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _topology(self) -> Any:
        from ..topology.discover import discover
        from ..topology.widget import LiveTopology

        return LiveTopology(lambda: discover(self.lab), interval=self.interval * TOPOLOGY_EVERY, focus="autoscaling")

    def _alb_url(self) -> str:
        """Where the traffic goes: the local address of the group's ALB (embedded cloud) or its DNS name (AWS)."""
        from ..errors import AwslabError
        from ..traffic import alb_url
        from .collect import lab_group

        group = lab_group(self.lab)
        tgs = list((group or {}).get("TargetGroupARNs", []))
        elb = self.lab.client("elbv2")
        lbs = [a for t in (elb.describe_target_groups(TargetGroupArns=tgs)["TargetGroups"] if tgs else [])
               for a in t.get("LoadBalancerArns", [])]
        if not lbs:
            raise AwslabError(_("Lab {name} has no load balancer in front of its Auto Scaling group yet.").format(
                name=self.lab.name), _("Build the load-balancing layer first: lab.build()."))
        lb = elb.describe_load_balancers(LoadBalancerArns=lbs[:1])["LoadBalancers"][0]
        if self.sim is None:
            return "http://" + lb["DNSName"]
        return alb_url(lb["LoadBalancerName"], self.lab.endpoint_url)

    # -- one frame -----------------------------------------------------------------------
    def refresh(self) -> DashboardState:
        """Read the APIs once and show the frame (what the background thread does every ``interval`` seconds)."""
        with self._lock:
            clock = self.sim.clock() if self.sim is not None else None
            now = float(clock["now"]) if clock else time.time()
            drill, key, title = self.drills.drill, self.drills.key, self.drills.title
            if self.drills.done:
                title = _("{title} (reset)").format(title=title)
            answers = collect(self.lab, now, drill, key, title)
            self.state = state = dashboard_state(answers, self.state)
            if clock:
                self.clock.show(clock)
            self.show(state)
            self.traffic.show()
            if self.topology is not None and self.refreshes % TOPOLOGY_EVERY == 0:
                self.topology.refresh()
            self.refreshes += 1
            return state

    def show(self, state: DashboardState) -> None:
        """Put ``state`` on the widgets (charts in place; each HTML panel only when its text changed)."""
        update_figure(self.figure, state)
        for widget, text in ((self.targets, targets_html(state)), (self.drill_view, drill_html(state)),
                             (self.timeline, timeline_html(state))):
            if widget.value != text:
                widget.value = text

    def _drill_changed(self) -> None:
        if self.topology is not None:
            self.topology.focus = FOCUS.get(self.drills.key, "autoscaling")
            self.topology._signature = None  # redraw with the new focus at the next refresh

    # -- the refresh thread ----------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.refresh()
                self.last_error = ""
                self.status.value = ""
            except Exception as e:  # noqa: BLE001 - keep refreshing through a cloud restart; say what failed
                self.last_error = str(e)
                self.status.value = ("<span class='awslab-note' style='color:#c62828'>"
                                     + html.escape(_("refresh failed: {error}").format(error=str(e)[:300])) + "</span>")
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def start(self) -> "Dashboard":
        """Refresh in a background thread until :meth:`close`."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="awslab-dashboard", daemon=True)
            self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self, timeout: float = 10.0) -> None:
        """Stop refreshing and stop any traffic: no thread of the dashboard's is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.traffic.stop()
        if self.topology is not None:
            self.topology.stop()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def dashboard(lab: Lab, interval: float = 1.0, projector: bool = False, topology: bool = True) -> Dashboard:
    """The instructor console for ``lab``, refreshing once a second; ``projector=True`` for large fonts."""
    return Dashboard(lab, interval, projector, topology).start()

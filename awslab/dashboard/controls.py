"""The dashboard's controls: the simulated clock, the drills' buttons, and real HTTP load through the ALB.

Each panel is a small class holding its ipywidgets; what a click does is a plain method, so tests call it
without a browser. Nothing here reads a chart's data: the panels act (through the simulator's control API,
a drill, or HTTP requests), and the next refresh shows what AWS's control loops made of it.
"""
from __future__ import annotations

import html
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable

from ..drills.registry import DRILLS
from ..drills.simulator import Simulator
from ..errors import AwslabError
from ..i18n import _
from ..lab import Lab

__all__ = ["ClockPanel", "DrillPanel", "TrafficPanel", "SPEEDS"]

#: The clock's speeds, simulated seconds per wall second (1x: AWS's own pace; 60x: a minute a second).
SPEEDS = (1, 60)
#: One press of "step" moves the clock a minute (CloudWatch's finest period).
STEP_S = 60


def _button(text: str, style: str = "", width: str = "auto", **kw: Any) -> Any:
    import ipywidgets as w

    return w.Button(description=text, button_style=style, layout=w.Layout(width=width, height="auto"), **kw)


class ClockPanel:
    """Simulated time, its speed (1x-60x), pause / resume and "step one minute"; hidden without a simulator."""

    def __init__(self, sim: Simulator | None):
        import ipywidgets as w

        self.sim = sim
        self.time = w.HTML(value="", layout=w.Layout(min_width="15em"))
        self.speed = w.IntSlider(value=20, min=SPEEDS[0], max=SPEEDS[1], description=_("speed ×"),
                                 continuous_update=False, style={"description_width": "initial"})
        self.pause = _button(_("pause"), "warning")
        self.step = _button(_("step 1 minute"))
        if sim is None:
            self.widget = w.HTML(value="<span class='awslab-note'>" + html.escape(_(
                "This backend has no simulated clock: time runs as AWS's does.")) + "</span>")
            return
        clock = sim.clock()
        self.speed.value = int(min(max(round(float(clock.get("speed", 20))), SPEEDS[0]), SPEEDS[1]))
        self.speed.observe(lambda change: self.set_speed(change["new"]), names="value")
        self.pause.on_click(lambda _b: self.toggle())
        self.step.on_click(lambda _b: self.step_minute())
        self.widget = w.HBox([self.time, self.speed, self.pause, self.step], layout=w.Layout(align_items="center",
                                                                                            flex_flow="row wrap"))
        self.show(clock)

    def set_speed(self, speed: float) -> None:
        self.show(self.sim.set_clock(speed=float(speed)))

    def toggle(self) -> None:
        clock = self.sim.clock()
        self.show(self.sim.resume() if clock.get("paused") else self.sim.pause())

    def step_minute(self) -> None:
        self.sim.advance(STEP_S)
        self.show(self.sim.clock())

    def show(self, clock: dict) -> None:
        """Show ``clock`` (the control API's ``GET clock`` answer)."""
        when = datetime.fromtimestamp(float(clock["now"]), timezone.utc).strftime("%H:%M:%S")
        if clock.get("paused"):
            mode = _("paused")
        elif clock.get("mode") == "virtual":
            mode = _("virtual: moves when stepped")
        else:
            mode = "{:g}×".format(clock.get("speed", 1))
        self.time.value = (f"<span class='awslab-clock'>{when} UTC</span> "
                           f"<span class='awslab-note'>({html.escape(mode)})</span>")
        self.pause.description = _("resume") if clock.get("paused") else _("pause")


#: How the console's buttons run a drill, where it differs from the drill's defaults: the AZ outage as AWS's
#: Well-Architected lab runs it, the AZ's subnets taken out of the group, so replacements land in the other AZ.
BUTTON_PARAMS: dict[str, dict[str, Any]] = {"az_outage": {"remove_subnets": True}}


class DrillPanel:
    """One button per drill in :data:`awslab.drills.registry.DRILLS`, plus reset (the running drill's ``reset()``).

    After reset the drill stays on show (its story and its last milestones, such as an AZ outage's
    "rebalanced") until another drill starts.
    """

    def __init__(self, lab: Lab, on_change: Callable[[], None] = lambda: None):
        import ipywidgets as w

        self.lab, self.on_change = lab, on_change
        self.drill: Any = None
        self.key = ""
        self.done = False  # the shown drill has been reset
        self.buttons = {}
        for key, spec in DRILLS.items():
            b = _button(spec.display_title(), "danger", tooltip=spec.display_what())
            b.on_click(lambda _b, key=key: self.start(key))
            self.buttons[key] = b
        self.reset_button = _button(_("reset"), "success", tooltip=_("Leave the lab as the drill found it"))
        self.reset_button.on_click(lambda _b: self.reset())
        self.message = w.HTML(value="")
        self.widget = w.VBox([w.HBox(list(self.buttons.values()) + [self.reset_button],
                                     layout=w.Layout(flex_flow="row wrap")), self.message])

    @property
    def title(self) -> str:
        return DRILLS[self.key].display_title() if self.key in DRILLS else ""

    def adopt_running(self) -> None:
        """Show an AZ outage left running by an earlier kernel (found by its NACL's tags), so reset can undo it."""
        try:
            from ..drills.az_outage import find_az_outage
        except ImportError:  # a build without the AZ outage drill
            return
        found = find_az_outage(self.lab)
        if found is not None:
            self.drill, self.key, self.done = found, "az_outage", False
            self._say(_("{title} is running (started before this dashboard).").format(title=self.title))

    def start(self, key: str) -> None:
        """Start the drill ``key`` (a drill still running is reset first, so drills never pile up)."""
        if self.drill is not None and not self.done:
            self.reset()
        self._say(_("starting {title}...").format(title=DRILLS[key].display_title()))
        try:
            self.drill = DRILLS[key].start(self.lab, **BUTTON_PARAMS.get(key, {}))
            self.key, self.done = key, False
            self._say(_("{title} is running.").format(title=self.title))
        except AwslabError as e:
            self._say(str(e), error=True)
        self.on_change()

    def reset(self) -> None:
        """The running drill's ``reset()``; the buttons stay usable whatever it raised."""
        if self.drill is None or self.done:
            self._say(_("No drill is running."))
            return
        try:
            self.drill.reset()
            self.done = True
            self._say(_("{title} reset: the lab is as the drill found it.").format(title=self.title))
        except AwslabError as e:
            self._say(str(e), error=True)
        self.on_change()

    def _say(self, text: str, error: bool = False) -> None:
        colour = "#c62828" if error else "inherit"
        self.message.value = f"<span class='awslab-note' style='color:{colour}'>{html.escape(text)}</span>"


class TrafficPanel:
    """Real HTTP requests through the ALB at a chosen rate, and the status codes per second they got."""

    #: Every run ends by itself: at most this long (wall seconds) and this many requests.
    MAX_S = 900.0
    MAX_RATE = 200

    def __init__(self, url: Callable[[], str]):
        import ipywidgets as w

        self.url = url
        self.rate = w.IntSlider(value=20, min=1, max=self.MAX_RATE, description=_("requests/s"),
                                continuous_update=False, style={"description_width": "initial"})
        self.button = _button(_("start traffic"), "primary")
        self.button.on_click(lambda _b: self.stop() if self.running else self.start())
        self.rate.observe(lambda _c: self.restart(), names="value")
        self.codes = w.HTML(value="")
        self.widget = w.HBox([self.rate, self.button, self.codes], layout=w.Layout(align_items="center",
                                                                                 flex_flow="row wrap"))
        self.run: Any = None
        self._seen: dict[int, float] = {}
        self._at = time.monotonic()
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self.run is not None and self.run.running

    def start(self) -> None:
        from ..traffic import LoadRun, open_model, steady

        try:
            url = self.url()
        except AwslabError as e:
            self.codes.value = f"<span class='awslab-note' style='color:#c62828'>{html.escape(str(e))}</span>"
            return
        rate = float(self.rate.value)
        with self._lock:
            self.run = LoadRun(open_model, url, steady(rate), duration_s=self.MAX_S, speed=1.0,
                               max_requests=int(rate * self.MAX_S), max_real_rps=float(self.MAX_RATE)).start()
            self._seen, self._at = {}, time.monotonic()
        self.button.description, self.button.button_style = _("stop traffic"), "warning"

    def stop(self) -> None:
        with self._lock:
            run, self.run = self.run, None
        if run is not None:
            run.stop()
            run.wait(5)
        self.button.description, self.button.button_style = _("start traffic"), "primary"

    def restart(self) -> None:
        if self.running:
            self.stop()
            self.start()

    def per_second(self) -> dict[int, float]:
        """Status code -> requests per second since the last call (0: no answer at all)."""
        with self._lock:
            run = self.run
            if run is None:
                return {}
            now, status = time.monotonic(), dict(run.stats.total.status)
            dt = max(now - self._at, 1e-3)
            rates = {code: (n - self._seen.get(code, 0.0)) / dt for code, n in status.items()}
            self._seen, self._at = status, now
        return {code: r for code, r in sorted(rates.items()) if r > 0}

    def show(self) -> None:
        if not self.running and self.run is None:
            self.codes.value = ""
            return
        rates = self.per_second()
        text = "  ".join("{code}: {rate:.0f}/s".format(code=code or _("no answer"), rate=r)
                         for code, r in rates.items())
        text = text or _("waiting for answers...")
        self.codes.value = f"<span class='awslab-codes'>{html.escape(text)}</span>"

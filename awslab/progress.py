"""Progress while waiting: what a wait is waiting for, and how far along it is.

AWS does much of its work in the background (an instance boots, a target passes its health
checks, a database becomes available), so labs and drills wait. A wait longer than a couple of
seconds says what it waits for and how far it has got, against the window AWS's own settings
predict where one is known, else against the wait's bound; in simulated seconds on the embedded
cloud::

    waiting for i-0abc to be unhealthy in awslab-tg · 40 s of at most 95 s (simulated)

Where it shows:

- in a Jupyter kernel: an ipywidgets label and progress bar, updated in place;
- on the CLI (``awslab ...`` calls :func:`enable_terminal`): one line on stderr, redrawn in
  place, and only when stderr is a terminal (a log file gets nothing);
- anywhere else (tests, plain scripts): nothing, unless asked (``AWSLAB_PROGRESS=terminal`` or
  ``widget``; ``off`` silences it everywhere).

:class:`ProgressLine` is the pure part (the text and the fraction); the two displays only draw it.
This module imports nothing of awslab's but :mod:`awslab.i18n`, so any layer may use it.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Protocol, TextIO

from .i18n import N_, _

__all__ = ["ProgressLine", "Progress", "progress", "enable_terminal", "WidgetDisplay", "TerminalDisplay",
           "SHOW_AFTER_S"]

#: A wait shows itself once it has lasted this many wall seconds (shorter ones stay quiet).
SHOW_AFTER_S = 2.0
#: Redraw at most this often (wall seconds): a fast-forwarding wait reads the APIs many times a second.
REDRAW_EVERY_S = 0.2

#: The line's wording, by (how it stands, simulated clock?). Each is one sentence for the translators.
TEXTS = {
    ("waiting", True): N_("waiting for {what} · {elapsed:.0f} s of at most {limit:.0f} s (simulated)"),
    ("waiting", False): N_("waiting for {what} · {elapsed:.0f} s of at most {limit:.0f} s"),
    ("late", True): N_("waiting for {what} · {elapsed:.0f} s, past the {limit:.0f} s expected (simulated)"),
    ("late", False): N_("waiting for {what} · {elapsed:.0f} s, past the {limit:.0f} s expected"),
    ("open", True): N_("waiting for {what} · {elapsed:.0f} s so far (simulated)"),
    ("open", False): N_("waiting for {what} · {elapsed:.0f} s so far"),
    ("done", True): N_("{what}: done after {elapsed:.0f} s (simulated)"),
    ("done", False): N_("{what}: done after {elapsed:.0f} s"),
    ("gave_up", True): N_("stopped waiting for {what} after {elapsed:.0f} s (simulated)"),
    ("gave_up", False): N_("stopped waiting for {what} after {elapsed:.0f} s"),
}

_terminal_enabled = False


def enable_terminal(on: bool = True) -> None:
    """Let waits draw a bar on stderr when it is a terminal (the ``awslab`` CLI turns this on)."""
    global _terminal_enabled
    _terminal_enabled = on


@dataclass(frozen=True)
class ProgressLine:
    """One wait at one moment. ``limit_s`` is the predicted window's end or the wait's bound (None: unknown,
    and ``wall_fraction`` of the wall-clock bound stands in for the bar)."""

    what: str
    elapsed_s: float
    limit_s: float | None = None
    simulated: bool = False
    wall_fraction: float = 0.0
    done: bool | None = None  # None: still waiting; True: it happened; False: the wait gave up

    @property
    def fraction(self) -> float:
        """How far along, 0 to 1 (never past 1, never a division by zero)."""
        if self.done:
            return 1.0
        if self.limit_s:
            return min(max(self.elapsed_s / self.limit_s, 0.0), 1.0)
        return min(max(self.wall_fraction, 0.0), 1.0)

    @property
    def stand(self) -> str:
        """waiting, late (past the limit), open (no limit known), done or gave_up."""
        if self.done is not None:
            return "done" if self.done else "gave_up"
        if not self.limit_s:
            return "open"
        return "late" if self.elapsed_s > self.limit_s else "waiting"

    def text(self) -> str:
        return _(TEXTS[(self.stand, self.simulated)]).format(what=self.what, elapsed=self.elapsed_s,
                                                            limit=self.limit_s or 0.0)


class Display(Protocol):
    def show(self, line: ProgressLine) -> None: ...

    def close(self) -> None: ...


class WidgetDisplay:
    """A label and a progress bar in the notebook, changed in place (ipywidgets)."""

    STYLES = {"waiting": "info", "open": "info", "late": "warning", "done": "success", "gave_up": "danger"}

    def __init__(self, show_now: bool = True) -> None:
        import ipywidgets as w

        self.bar = w.FloatProgress(value=0.0, min=0.0, max=1.0, layout=w.Layout(width="220px"))
        self.label = w.Label(value="")
        self.box = w.HBox([self.bar, self.label])
        if show_now:
            from IPython.display import display

            display(self.box)

    def show(self, line: ProgressLine) -> None:
        self.bar.value = line.fraction
        self.bar.bar_style = self.STYLES[line.stand]
        self.label.value = line.text()

    def close(self) -> None:
        pass  # the last line stays: what was awaited and how long it took is worth seeing


class TerminalDisplay:
    """``[#######.....] waiting for ...`` on stderr, redrawn in place; a newline when the wait ends."""

    WIDTH = 24

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.shown = 0

    def show(self, line: ProgressLine) -> None:
        filled = round(line.fraction * self.WIDTH)
        text = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {line.text()}"
        self.stream.write("\r" + text.ljust(self.shown))
        self.stream.flush()
        self.shown = len(text)

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _in_kernel() -> bool:
    """Running in a Jupyter kernel (a notebook, JupyterLab, Voila), where widgets can show."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def _tty(stream: Any) -> bool:
    return bool(getattr(stream, "isatty", None) and stream.isatty())


def choose_display() -> Callable[[], Display] | None:
    """Where a wait shows here: a widget in a kernel, a bar on a CLI's terminal, else nowhere (None)."""
    mode = os.environ.get("AWSLAB_PROGRESS", "auto").strip().lower()
    if mode == "off":
        return None
    if mode == "widget" or (mode == "auto" and _in_kernel()):
        try:
            import ipywidgets  # noqa: F401
            return WidgetDisplay
        except ImportError:
            return None
    if (mode == "terminal" or (mode == "auto" and _terminal_enabled)) and _tty(sys.stderr):
        return TerminalDisplay
    return None


class Progress:
    """One wait's progress: call :meth:`update` as it goes and :meth:`finish` at the end.

    Nothing shows until the wait has lasted :data:`SHOW_AFTER_S` wall seconds; with no display
    (tests, scripts) it costs a clock read. ``active`` says whether anything can show, so a caller can
    skip work (an extra API call for the simulated time) that only the display needs.
    """

    def __init__(self, what: str, limit_s: float | None = None, simulated: bool = False,
                 display: Callable[[], Display] | None = None, show_after_s: float = SHOW_AFTER_S) -> None:
        self.line = ProgressLine(what, 0.0, limit_s, simulated)
        self._make, self._shown = display, None
        self._start, self._drawn = time.monotonic(), 0.0
        self._show_after = show_after_s

    @property
    def active(self) -> bool:
        return self._make is not None

    def update(self, elapsed_s: float, wall_fraction: float = 0.0) -> None:
        self.line = replace(self.line, elapsed_s=elapsed_s, wall_fraction=wall_fraction)
        if self._make is None:
            return
        now = time.monotonic()
        if now - self._start < self._show_after or now - self._drawn < REDRAW_EVERY_S:
            return
        if self._shown is None:
            self._shown = self._make()
        self._shown.show(self.line)
        self._drawn = now

    def finish(self, ok: bool, elapsed_s: float | None = None) -> None:
        """The wait is over (``ok``: what it waited for happened). A display that showed shows the end."""
        self.line = replace(self.line, done=ok, elapsed_s=self.line.elapsed_s if elapsed_s is None else elapsed_s)
        if self._shown is not None:
            self._shown.show(self.line)
            self._shown.close()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, kind: Any, *rest: Any) -> None:
        if self.line.done is None:
            self.finish(kind is None)


def progress(what: str, limit_s: float | None = None, simulated: bool = False) -> Progress:
    """A :class:`Progress` that shows where this process can show one (see :func:`choose_display`)."""
    return Progress(what, limit_s, simulated, choose_display())

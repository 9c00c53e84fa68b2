"""The live topology: a notebook widget that redraws about once a second while a drill runs.

No flicker: the widget is one ``ipywidgets.HTML`` whose value is swapped for the
new SVG in a single assignment, and only when the picture changed. Whether it
changed is decided on the graph model (:meth:`Graph.signature`), so an unchanged
architecture costs one discovery and no rendering.

The drawing itself is a pure function, :func:`render_state`, which tests call
directly; the timing (a background thread with :meth:`LiveTopology.stop`) is the
only part that is not.
"""
from __future__ import annotations

import html
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

from .model import DEFAULT_LAYERS, Graph, build_model
from .records import Snapshot
from .render import render

__all__ = ["TopologyState", "render_state", "svg_html", "LiveTopology"]

Traffic = Mapping[str, int] | Callable[[], Mapping[str, int]] | None


@dataclass
class TopologyState:
    """What one frame shows: a snapshot, the traffic counters and the layers."""

    snapshot: Snapshot
    traffic: Mapping[str, int] = field(default_factory=dict)
    layers: tuple[str, ...] = DEFAULT_LAYERS
    title: str = ""

    def graph(self) -> Graph:
        return build_model(self.snapshot, self.layers, self.traffic, self.title)


def render_state(state: TopologyState) -> str:
    """The SVG text for one frame (pure: the same state gives the same SVG)."""
    return svg_html(render(state.graph(), "svg"))


def svg_html(svg: bytes) -> str:
    """An SVG as HTML at its natural size, in a box no bigger than the cell and the window, that scrolls to pan.

    Graphviz writes sizes in points, so the drawing's 9-14 pt labels are 12-19 px at 100 % zoom.
    Shrinking a whole architecture (about 2,000 px wide) to a notebook's width made them about 5 px:
    unreadable. The browser's zoom still zooms it.
    """
    text = svg.decode()
    start = text.find("<svg")
    # JupyterLab's stylesheet shrinks every SVG to the cell (max-width:100%): say otherwise on the element itself.
    svg = text[start:].replace("<svg ", "<svg style='max-width:none;height:auto' ", 1)
    return "<div style='max-width:100%;max-height:85vh;overflow:auto;border:1px solid #e0e0e0'>" + svg + "</div>"


class LiveTopology:
    """A widget that shows the topology and refreshes it every ``interval`` seconds.

    ``source`` returns a fresh :class:`Snapshot` (usually ``lambda: discover(lab)``);
    ``traffic`` is a dict of per-target request counts, or a function returning one.

    >>> live = LiveTopology(lambda: discover(lab)); live.start(); live   # shows in the notebook
    >>> live.stop()
    """

    def __init__(self, source: Callable[[], Snapshot], traffic: Traffic = None, layers: tuple[str, ...] = DEFAULT_LAYERS,
                 interval: float = 1.0, title: str = ""):
        import ipywidgets

        self.source, self.traffic, self.layers, self.interval, self.title = source, traffic, tuple(layers), interval, title
        self.view = ipywidgets.HTML(value="<i>discovering...</i>")
        self.status = ipywidgets.HTML(value="")
        self.widget = ipywidgets.VBox([self.view, self.status])
        self._signature: tuple | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.frames = 0  # how many times the picture actually changed
        self.last_error = ""

    def state(self) -> TopologyState:
        counts = self.traffic() if callable(self.traffic) else (self.traffic or {})
        return TopologyState(self.source(), dict(counts), self.layers, self.title)

    def refresh(self, state: TopologyState | None = None) -> bool:
        """Draw ``state`` (or a fresh one) if it differs from what is shown. Returns True if the picture changed."""
        state = state or self.state()
        graph = state.graph()
        signature = graph.signature()
        changed = signature != self._signature
        if changed:
            self.view.value = svg_html(render(graph, "svg"))
            self._signature = signature
            self.frames += 1
        self.status.value = (f"<small>{time.strftime('%H:%M:%S')} · {state.snapshot.count()} resources"
                             f"{' · errors: ' + html.escape(', '.join(state.snapshot.errors)) if state.snapshot.errors else ''}</small>")
        return changed

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
                self.last_error = ""
            except Exception as e:  # noqa: BLE001 - keep the widget alive through a cloud restart
                self.last_error = str(e)
                self.status.value = f"<small style='color:#c62828'>refresh failed: {html.escape(str(e)[:200])}</small>"
            self._stop.wait(self.interval)

    def start(self) -> "LiveTopology":
        """Refresh in a background thread until :meth:`stop`."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="awslab-live-topology", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop refreshing (the last picture stays)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

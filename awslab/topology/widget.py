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
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

from ..i18n import _
from .focus import check_focus
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
    focus: str | None = None

    def graph(self) -> Graph:
        return build_model(self.snapshot, self.layers, self.traffic, self.title, self.focus)


def render_state(state: TopologyState) -> str:
    """The SVG text for one frame (pure: the same state gives the same SVG)."""
    return svg_html(render(state.graph(), "svg"))


#: Zoom by setting the drawing's CSS width from its natural width (``data-w``, px) times a factor kept on the
#: frame; inline handlers only (no <script>, which an ipywidgets.HTML would not run; nothing fetched).
_ZOOM = ("var r=this.closest('.awslab-topology'),v=r.querySelector('.awslab-topology-view'),s=v.querySelector('svg'),"
         "w=+s.dataset.w,z=+r.dataset.zoom||1;{pick}"
         "z=f==='fit'?v.clientWidth/w:Math.min(8,Math.max(0.1,f==='1'?1:z*f));r.dataset.zoom=z;"
         "s.style.width=w*z+'px';r.querySelector('.awslab-zoom').textContent=Math.round(z*100)+' %';")
_PICK_BUTTON = "var f=event.target.dataset.f;if(!f)return;"
_PICK_WHEEL = "if(!event.ctrlKey)return;event.preventDefault();var f=event.deltaY<0?1.2:1/1.2;"
#: Scroll the view to the focused layer's boxes (class awslab_focus): centred if they fit, else from their top left.
#: Retried over a few frames: JupyterLab runs an output's script before the output is on the page.
_SCROLL_TO_FOCUS = """<script>(function(r,tries){function go(){
var v=r.querySelector('.awslab-topology-view'),f=v.querySelectorAll('.awslab_focus');if(!f.length)return;
if(!v.clientWidth){if(tries-->0)requestAnimationFrame(go);return;}
var b=v.getBoundingClientRect(),x0=1e9,y0=1e9,x1=-1e9,y1=-1e9;
f.forEach(function(n){var q=n.getBoundingClientRect();x0=Math.min(x0,q.left);y0=Math.min(y0,q.top);
x1=Math.max(x1,q.right);y1=Math.max(y1,q.bottom);});
function at(a0,a1,size,base,now){a0+=now-base;a1+=now-base;return a1-a0>size-40?a0-20:(a0+a1-size)/2;}
v.scrollLeft=at(x0,x1,v.clientWidth,b.left,v.scrollLeft);v.scrollTop=at(y0,y1,v.clientHeight,b.top,v.scrollTop);}
go();})(document.currentScript.previousElementSibling,60)</script>"""
_BUTTON = ("<button data-f='{f}' title='{title}' style='min-width:2.2em;margin-right:2px;cursor:pointer;"
           "font:12px sans-serif'>{text}</button>")


def svg_html(svg: bytes) -> str:
    """An SVG as HTML at its natural size, in a box no bigger than the cell and the window, that scrolls to pan
    and zooms (the −, 100 %, + and fit buttons, or ctrl + wheel over the picture). A focused drawing opens
    scrolled to its layer (a script JupyterLab runs; a live widget's HTML runs none, and opens at the top left).

    Graphviz writes sizes in points, so the drawing's 9-14 pt labels are 12-19 px at 100 % zoom.
    Shrinking a whole architecture (about 2,000 px wide) to a notebook's width made them about 5 px:
    unreadable. "fit" still shows the whole at once, when a student asks for it.
    """
    text = svg.decode()
    start = text.find("<svg")
    match = re.search(r'width="([\d.]+)pt"', text[start:text.find(">", start)])
    width = round(float(match.group(1)) * 4 / 3, 1) if match else 0.0  # a CSS point is 4/3 px
    # JupyterLab's stylesheet shrinks every SVG to the cell (max-width:100%): say otherwise on the element itself.
    svg_tag = f"<svg data-w='{width}' style='max-width:none;height:auto;width:{width}px' "
    body = text[start:].replace("<svg ", svg_tag if width else "<svg style='max-width:none;height:auto' ", 1)
    buttons = "".join(_BUTTON.format(f=f, title=html.escape(title), text=html.escape(label)) for f, label, title in (
        ("0.8", "−", _("zoom out")), ("1", "100 %", _("natural size")), ("1.25", "+", _("zoom in")),
        ("fit", _("fit"), _("the whole picture in the cell's width"))))
    hint = html.escape(_("ctrl + wheel zooms · scroll to pan"))
    bar = (f"<div onclick=\"{_ZOOM.format(pick=_PICK_BUTTON)}\" style='margin:2px 0;font:12px sans-serif;color:#555'>"
           f"{buttons}<span class='awslab-zoom' style='margin:0 8px'>100 %</span>"
           f"<span>{hint}</span></div>") if width else ""
    view = (f"<div class='awslab-topology-view' onwheel=\"{_ZOOM.format(pick=_PICK_WHEEL)}\" "
            f"style='max-width:100%;max-height:85vh;overflow:auto;border:1px solid #e0e0e0'>{body}</div>")
    scroll = _SCROLL_TO_FOCUS if "awslab_focus" in body else ""
    return f"<div class='awslab-topology' data-zoom='1'>{bar}{view}</div>{scroll}"


class LiveTopology:
    """A widget that shows the topology and refreshes it every ``interval`` seconds.

    ``source`` returns a fresh :class:`Snapshot` (usually ``lambda: discover(lab)``);
    ``traffic`` is a dict of per-target request counts, or a function returning one.

    >>> live = LiveTopology(lambda: discover(lab)); live.start(); live   # shows in the notebook
    >>> live.stop()
    """

    def __init__(self, source: Callable[[], Snapshot], traffic: Traffic = None, layers: tuple[str, ...] = DEFAULT_LAYERS,
                 interval: float = 1.0, title: str = "", focus: str | None = None):
        import ipywidgets

        self.source, self.traffic, self.layers, self.interval, self.title = source, traffic, tuple(layers), interval, title
        self.focus = check_focus(focus)
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
        return TopologyState(self.source(), dict(counts), self.layers, self.title, self.focus)

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

"""The class's progress in a notebook, for the instructor: one table, read again on a button or a timer.

    >>> import awslab
    >>> view = awslab.class_progress_view("/srv/awslab-class/home/*")   # or roster="roster.txt"
    >>> view                      # the table; it reads the class again every 30 s for 3 hours
    >>> view.close()              # stops reading (the Refresh button still works)

Which students: folders (each an AWSLAB_HOME or a home holding ``.awslab``), a glob pattern of them
(matched again on every refresh, so a student who logs in late appears), a roster file (one ``name path``
a line, as for ``awslab class progress --roster``), or several of these. Each refresh reads exactly what
``awslab class progress`` reads: one ``progress.json`` per student (:func:`~awslab.classroom.progress.class_progress`),
and shows it as :func:`~awslab.classroom.table.progress_table`.

The timer is bounded: it stops after ``for_minutes`` (a class's length), or at :meth:`ClassProgressView.close`.
"""
from __future__ import annotations

import glob
import html
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from ..i18n import N_, _
from .progress import class_progress, read_roster
from .table import progress_table

__all__ = ["ClassProgressView", "class_progress_view", "students_of"]

REFRESH = N_("Refresh")
UPDATED = N_("Read at {time} UTC.")
TIMER_ON = N_("Read again every {seconds} s until {end} UTC.")
TIMER_OFF = N_("Press Refresh to read again.")


def students_of(folders: str | Path | Iterable[str | Path] = (), roster: str | Path | None = None
                ) -> list[tuple[str, Path]]:
    """``[(name, folder)]``: each folder (a glob pattern matches its folders, sorted), then the roster's lines."""
    if isinstance(folders, (str, Path)):
        folders = [folders]
    students: list[tuple[str, Path]] = []
    for folder in folders:
        text = str(Path(folder).expanduser())
        matches = sorted(glob.glob(text)) if glob.has_magic(text) else [text]
        students += [("", Path(match)) for match in matches]
    if roster is not None:
        students += read_roster(Path(roster).expanduser())
    return students


class ClassProgressView:
    """A Refresh button, a status line and the table; :meth:`refresh` reads the class again."""

    def __init__(self, folders=(), roster=None, every: float = 30.0, for_minutes: float = 180.0):
        import ipywidgets as w

        self.folders, self.roster = folders, roster
        self.every, self.for_minutes = every, for_minutes
        self.button = w.Button(description=_(REFRESH), icon="refresh", layout=w.Layout(width="auto"))
        self.button.on_click(lambda _button: self.refresh())
        self.status = w.HTML()
        self.table = w.HTML()
        self.widget = w.VBox([w.HBox([self.button, self.status]), self.table])
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._until, self._end = 0.0, ""
        self.last_html = ""

    def refresh(self, timer_ending: bool = False) -> str:
        """Read every student's progress.json once and show it; returns the table's HTML.

        ``timer_ending``: the timer's last read, whose status line already says it has stopped (``running`` turns
        False only after this line is shown, so whoever waits for it sees the final line).
        """
        now = datetime.now(timezone.utc)
        self.last_html = progress_table(class_progress(students_of(self.folders, self.roster)), now)
        self.table.value = self.last_html
        timing = self.running and not timer_ending
        timer = _(TIMER_ON).format(seconds=f"{self.every:g}", end=self._end) if timing else _(TIMER_OFF)
        updated = _(UPDATED).format(time=now.strftime("%H:%M:%S"))
        self.status.value = f"<span style='font-size:12px;color:#57606a'>{html.escape(f'{updated} {timer}')}</span>"
        return self.last_html

    def _refresh_or_say(self, timer_ending: bool = False) -> None:
        try:
            self.refresh(timer_ending)
        except Exception as e:  # noqa: BLE001 - a roster gone bad mid-class: say so, keep the timer
            self.status.value = f"<span style='font-size:12px;color:#b42318'>{html.escape(str(e))}</span>"

    def _loop(self) -> None:
        while not self._stop.wait(self.every) and time.monotonic() < self._until:
            self._refresh_or_say()
        self._refresh_or_say(timer_ending=True)  # the status line says the timer has stopped, then it stops
        self._thread = None

    def start(self) -> "ClassProgressView":
        """Read now, then every ``every`` seconds for ``for_minutes`` minutes (if ``every`` > 0)."""
        if self.every > 0 and not self.running:
            self._stop.clear()
            self._until = time.monotonic() + self.for_minutes * 60
            self._end = datetime.fromtimestamp(time.time() + self.for_minutes * 60, timezone.utc).strftime("%H:%M")
            self._thread = threading.Thread(target=self._loop, name="awslab-class-progress", daemon=True)
            self._thread.start()
        self.refresh()
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the timer (the Refresh button keeps working)."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def class_progress_view(folders=(), roster=None, every: float = 30.0, for_minutes: float = 180.0) -> ClassProgressView:
    """The class's progress as a table in the notebook, read now and then every ``every`` s (0: button only)."""
    return ClassProgressView(folders, roster, every, for_minutes).start()

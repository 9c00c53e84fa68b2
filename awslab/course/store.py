"""Which tasks and questions a student has passed, kept locally in ``$AWSLAB_HOME/progress.json``.

The file holds only task ids, pass times and the lab/backend they were
checked on: nothing else of the student's (an instructor's class view reads
just this file). A task once passed stays passed; a later failed attempt is
remembered as the last attempt but does not take the pass away, as
Qwiklabs' "Check my progress" does.
"""
from __future__ import annotations

import html
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .. import config
from ..i18n import _

__all__ = ["ProgressStore", "Progress", "LabProgress", "progress_path"]

VERSION = 1


def progress_path() -> Path:
    return config.home() / "progress.json"


@dataclass
class ProgressStore:
    """Read and write ``progress.json`` (atomically: a crash never leaves half a file)."""

    path: Path = field(default_factory=progress_path)

    def load(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"version": VERSION, "items": {}}
        if not isinstance(data, dict) or not isinstance(data.get("items"), dict):
            return {"version": VERSION, "items": {}}
        return data

    def record(self, item_id: str, passed: bool, lab: str = "", backend: str = "") -> None:
        data = self.load()
        now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        entry = data["items"].get(item_id) or {}
        entry.update(last_attempt=now, last_passed=bool(passed), attempts=int(entry.get("attempts", 0)) + 1)
        if passed and not entry.get("passed_at"):
            entry.update(passed_at=now, lab=lab, backend=backend)
        data["items"][item_id] = entry
        self._write(data)

    def passed(self) -> dict[str, str]:
        """``{item id: when it was first passed}``."""
        return passed_items(self.load())

    def reset(self, lab_id: str | None = None) -> int:
        """Forget the progress of one lab (or all); returns how many items were forgotten."""
        data = self.load()
        gone = [k for k in data["items"] if lab_id is None or k.startswith(f"{lab_id}.")]
        for k in gone:
            del data["items"][k]
        self._write(data)
        return len(gone)

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".progress-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.chmod(tmp, 0o644)  # readable by an instructor's class view (it holds no secret)
        os.replace(tmp, self.path)


def passed_items(data: dict) -> dict[str, str]:
    """``{item id: when it was first passed}`` from a loaded progress file."""
    return {k: v["passed_at"] for k, v in data["items"].items() if isinstance(v, dict) and v.get("passed_at")}


def last_check(data: dict) -> str:
    """When the student last ran any check (passed or not), as stored (UTC, ISO 8601); "" if never."""
    times = [v.get("last_attempt") for v in data["items"].values() if isinstance(v, dict)]
    return max((t for t in times if isinstance(t, str)), default="")


@dataclass
class LabProgress:
    lab_id: str
    title: str
    passed: list[str]
    open: list[str]

    @property
    def done(self) -> bool:
        return not self.open


@dataclass(repr=False)
class Progress:
    """The whole course: per lab, which tasks and questions passed and which are still open."""

    labs: list[LabProgress]
    last_check: str = ""  # when any check last ran (UTC, ISO 8601), "" if none has

    @property
    def passed_count(self) -> int:
        return sum(len(lp.passed) for lp in self.labs)

    @property
    def total(self) -> int:
        return sum(len(lp.passed) + len(lp.open) for lp in self.labs)

    def lab(self, lab_id: str) -> LabProgress:
        return next(lp for lp in self.labs if lp.lab_id == lab_id)

    def __str__(self) -> str:
        lines = [_("Course progress: {passed} of {total} checks passed").format(passed=self.passed_count, total=self.total)]
        for lp in self.labs:
            n = len(lp.passed) + len(lp.open)
            bar = "█" * len(lp.passed) + "·" * len(lp.open)
            lines.append(f"  {lp.lab_id}  {bar:<10} {len(lp.passed)}/{n}  {lp.title}")
            if lp.open and lp.passed:
                lines.append("      " + _("open: {items}").format(items=", ".join(lp.open)))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = []
        for lp in self.labs:
            n = len(lp.passed) + len(lp.open)
            cells = "".join(f"<span title='{html.escape(i)}' style='color:#1a7f37'>■</span>" for i in lp.passed)
            cells += "".join(f"<span title='{html.escape(i)}' style='color:#c8c8c8'>■</span>" for i in lp.open)
            rows.append(f"<tr><td><b>{lp.lab_id}</b></td><td style='text-align:left'>{html.escape(lp.title)}</td>"
                        f"<td style='text-align:left;letter-spacing:2px'>{cells}</td><td>{len(lp.passed)}/{n}</td></tr>")
        head = html.escape(_("Course progress: {passed} of {total} checks passed").format(
            passed=self.passed_count, total=self.total))
        return f"<table><caption style='text-align:left'><b>{head}</b></caption>{''.join(rows)}</table>"


def course_progress(store: ProgressStore | None = None) -> Progress:
    """Progress across every lab of the course (tasks and questions), from the local store."""
    from ..checks.registry import questions, tasks
    from .catalog import LABS

    data = (store or ProgressStore()).load()  # one read of the file
    passed = passed_items(data)
    labs = []
    for info in LABS:
        ids = [t.id for t in tasks(info.id)] + [q.id for q in questions(info.id)]
        if ids:
            labs.append(LabProgress(info.id, info.display_title(), [i for i in ids if i in passed],
                                    [i for i in ids if i not in passed]))
    return Progress(labs, last_check(data))



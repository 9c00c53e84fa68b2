"""The class's progress as one HTML table: a row per student, a column per lab, their total and last check.

:func:`progress_table` is a pure function of a :class:`~awslab.classroom.progress.ClassProgress` (what
``awslab class progress`` prints as text) and the time now, so the notebook view
(:mod:`awslab.classroom.view`) and its tests show exactly the same thing. It is sized for a notebook's width
(about 800 px) with a class of 30 and every lab of the course: 12 px type, each lab's cell ``passed/total``
coloured green (the lab is done), amber (started) or grey (not started), the lab's title in its header's
tooltip. Nothing is cut: a long name widens its column, and the table scrolls sideways rather than clip.
"""
from __future__ import annotations

import html
from datetime import datetime, timezone

from ..i18n import N_, _
from .progress import HEADER, ClassProgress

__all__ = ["progress_table", "since"]

STUDENT = N_("Student")
TOTAL = N_("Total")
LAST_CHECK = N_("Last check")
NOT_STARTED = N_("not started")
NO_FILE_TIP = N_("no progress yet ({path} does not exist)")
NEVER = N_("no check yet")
LEGEND = N_("green: every check of the lab passed · amber: some · grey: none yet. "
            "Hover over a lab's number for its title.")

#: (background, text) per state: done, started, not started. Dark text on light fills reads on a projector too.
COLOURS = {"done": ("#d2f4d8", "#0f5323"), "started": ("#fff0bf", "#6b4400"), "none": ("#ffffff", "#6e7781")}
STYLE = ("<style>"
         ".awslab-class{border-collapse:collapse;font:12px/1.35 system-ui,-apple-system,'Segoe UI',sans-serif;"
         "color:#1f2328;font-variant-numeric:tabular-nums}"
         ".awslab-class caption{text-align:left;font-weight:600;font-size:13px;padding:0 0 4px}"
         ".awslab-class th,.awslab-class td{padding:2px 4px;border:1px solid #d8dee4;white-space:nowrap;"
         "text-align:center}"
         ".awslab-class th{background:#f6f8fa;font-weight:600}"
         ".awslab-class .name{text-align:left;font-weight:600}"
         ".awslab-class tbody tr:nth-child(even) .name{background:#f6f8fa}"
         ".awslab-class .total{font-weight:700}"
         ".awslab-class .when{text-align:right;color:#57606a}"
         ".awslab-legend{font:12px system-ui,sans-serif;color:#57606a;margin-top:4px}"
         "</style>")


def since(stamp: str, now: datetime) -> str:
    """How long ago a stored UTC time was, in words short enough for a table cell: "5 min ago"."""
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        return _("{n} min ago").format(n=int(seconds // 60))
    if seconds < 86400:
        return _("{n} h ago").format(n=int(seconds // 3600))
    return _("{n} d ago").format(n=int(seconds // 86400))


def _cell(passed: int, total: int, title: str) -> str:
    state = "done" if total and passed == total else "started" if passed else "none"
    background, colour = COLOURS[state]
    return (f"<td class='lab {state}' title='{html.escape(title, quote=True)}' "
            f"style='background:{background};color:{colour}'>{passed}/{total}</td>")


def progress_table(progress: ClassProgress, now: datetime | None = None) -> str:
    """The class as an HTML table (a ``<style>``, the ``<table>`` and a one-line legend)."""
    now = now or datetime.now(timezone.utc)
    labs = progress.students[0].progress.labs if progress.students else []
    course_total = sum(len(lab.passed) + len(lab.open) for lab in labs)
    head = "".join(f"<th class='lab' title='{html.escape(lab.lab_id + ' ' + lab.title, quote=True)}'>{lab.lab_id}</th>"
                   for lab in labs)
    rows = []
    for student in progress.students:
        name = f"<td class='name'>{html.escape(student.name)}</td>"
        if not student.found:
            tip = html.escape(_(NO_FILE_TIP).format(path=student.path), quote=True)
            blank = "".join(_cell(0, len(lab.passed) + len(lab.open), lab.lab_id) for lab in student.progress.labs)
            rows.append(f"<tr class='student missing' data-student='{html.escape(student.name, quote=True)}'>{name}"
                        f"{blank}<td class='total'>0/{course_total}</td>"
                        f"<td class='when' title='{tip}'>{html.escape(_(NOT_STARTED))}</td></tr>")
            continue
        cells = "".join(_cell(len(lab.passed), len(lab.passed) + len(lab.open), f"{lab.lab_id} {lab.title}")
                        for lab in student.progress.labs)
        last = student.progress.last_check
        when = html.escape(since(last, now) if last else _(NEVER))
        rows.append(f"<tr class='student' data-student='{html.escape(student.name, quote=True)}'>{name}{cells}"
                    f"<td class='total'>{student.progress.passed_count}/{course_total}</td>"
                    f"<td class='when' title='{html.escape(last, quote=True)}'>{when}</td></tr>")
    caption = html.escape(_(HEADER).format(students=len(progress.students), total=course_total))
    return (f"{STYLE}<div style='overflow-x:auto;max-width:100%'><table class='awslab-class'>"
            f"<caption>{caption}</caption><thead><tr><th class='name'>{html.escape(_(STUDENT))}</th>{head}"
            f"<th>{html.escape(_(TOTAL))}</th><th>{html.escape(_(LAST_CHECK))}</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
            f"<div class='awslab-legend'>{html.escape(_(LEGEND))}</div>")

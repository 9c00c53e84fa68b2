"""awslab progress and awslab lab: the course's record of passed checks, and the student's lab notebooks."""
from __future__ import annotations

import argparse

from ..i18n import _

__all__ = ["cmd_lab", "cmd_progress"]


def cmd_progress(args: argparse.Namespace) -> int:
    from ..course.store import course_progress

    print(course_progress())
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    from ..course.catalog import LABS, lab_info
    from ..course.store import ProgressStore, course_progress
    from ..course.workspace import Workspace
    from ..i18n import language

    if args.action == "list":
        progress = {lp.lab_id: lp for lp in course_progress().labs}
        for info in LABS:
            lp = progress.get(info.id)
            done = f"{len(lp.passed)}/{len(lp.passed) + len(lp.open)}" if lp else "-"
            print(_("{id}  {done:>5}  {minutes:>3} min  {title}").format(
                id=info.id, done=done, minutes=info.minutes, title=info.display_title()))
        return 0
    if not args.lab_id:
        raise SystemExit(_("awslab lab reset: name the lab, e.g. `awslab lab reset 05`"))
    info = lab_info(args.lab_id)
    new, kept = Workspace().reset(info.id, args.lang or language())
    fresh = _("lab {id}: a fresh copy at {new}; your previous one is kept as {kept}") if kept else _("lab {id}: a fresh copy at {new}")
    print(fresh.format(id=info.id, new=new, kept=kept.name if kept else ""))
    if args.progress:
        print(_("forgot {n} passed check(s) of lab {id}").format(n=ProgressStore().reset(info.id), id=info.id))
    return 0

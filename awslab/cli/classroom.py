"""awslab class progress: the instructor's view of who has passed which checks (:mod:`awslab.classroom.progress`)."""
from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["cmd_class"]


def cmd_class(args: argparse.Namespace) -> int:
    from ..classroom.progress import class_progress, read_roster

    students = [("", Path(folder).expanduser()) for folder in args.folders]
    if args.roster:
        students += read_roster(Path(args.roster).expanduser())
    if not students:
        from ..errors import AwslabError
        from ..i18n import _

        raise AwslabError(_("awslab class progress needs the students' folders or a roster."),
                          _("Name each student's AWSLAB_HOME (or home folder), or pass --roster FILE with one "
                            "'name path' per line."))
    print(class_progress(students))
    return 0

"""The instructor's view of a class: who has passed which checks, read from each student's progress file only.

Each student's checks are kept in ``$AWSLAB_HOME/progress.json`` (:mod:`awslab.course.store`):
task ids and times, nothing else of theirs, written readable (0644) for this view. On a Hub
the instructor names the students' AWSLAB_HOMEs (or their homes, holding ``.awslab``), or a
roster file with one ``name path`` per line; this module opens exactly one file per student,
``progress.json``, and never lists or opens anything else in their folders (their keys,
credentials, tokens and notebooks stay unread).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..course.store import Progress, ProgressStore, course_progress
from ..errors import AwslabError
from ..i18n import N_, _

__all__ = ["StudentProgress", "ClassProgress", "class_progress", "read_roster"]

PROGRESS_FILE = "progress.json"
ROSTER_LINE = N_("Line {number} of the roster {roster} is not 'name path': {line}")
ROSTER_FIX = N_("Write one student per line: their name, a space, and their AWSLAB_HOME (or their home folder).")
ROSTER_UNREADABLE = N_("The roster {roster} cannot be read ({reason}).")
ROSTER_UNREADABLE_FIX = N_("Give the path of a text file with one 'name path' per line.")
HEADER = N_("Class progress: {students} students, {total} checks in the course")
ROW = N_("{name}: {passed} of {total} passed")
NO_FILE = N_("{name}: no progress yet ({path} does not exist)")


@dataclass(frozen=True)
class StudentProgress:
    """One student's course progress, and where it was read from (``found`` False: no file yet)."""

    name: str
    path: Path
    found: bool
    progress: Progress


@dataclass(frozen=True)
class ClassProgress:
    """Every student's progress, in the order the instructor named them."""

    students: list[StudentProgress]

    def __str__(self) -> str:
        total = self.students[0].progress.total if self.students else 0
        lines = [_(HEADER).format(students=len(self.students), total=total)]
        for student in self.students:
            if not student.found:
                lines.append(_(NO_FILE).format(name=student.name, path=student.path))
                continue
            lines.append(_(ROW).format(name=student.name, passed=student.progress.passed_count, total=total))
            for lab in student.progress.labs:
                if lab.passed:
                    count = "{passed}/{total}".format(passed=len(lab.passed), total=len(lab.passed) + len(lab.open))
                    lines.append(f"    {lab.lab_id}  {count:<6} {' '.join(lab.passed)}")
        return "\n".join(lines)


def progress_file(folder: Path) -> Path:
    """The progress file in ``folder``: ``folder/progress.json`` for an AWSLAB_HOME, ``folder/.awslab/...`` for a home.

    Decided from the names alone (no listing): a folder named ``.awslab`` is an AWSLAB_HOME, any other
    folder whose ``.awslab/progress.json`` exists is a home.
    """
    if folder.name != ".awslab" and (folder / ".awslab" / PROGRESS_FILE).is_file():
        return folder / ".awslab" / PROGRESS_FILE
    return folder / PROGRESS_FILE


def _name(folder: Path) -> str:
    return folder.parent.name if folder.name == ".awslab" else folder.name


def read_roster(roster: Path) -> list[tuple[str, Path]]:
    """``[(name, folder)]`` from a roster file: one ``name path`` per line; blank lines and ``#`` comments skipped."""
    try:
        text = roster.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise AwslabError(_(ROSTER_UNREADABLE).format(roster=roster, reason=e), _(ROSTER_UNREADABLE_FIX)) from e
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _sep, path = line.partition(" ")
        if not path.strip():
            raise AwslabError(_(ROSTER_LINE).format(number=number, roster=roster, line=line[:80]), _(ROSTER_FIX))
        entries.append((name, Path(path.strip()).expanduser()))
    return entries


def class_progress(students: list[tuple[str, Path]]) -> ClassProgress:
    """Read each student's progress file (and nothing else of theirs)."""
    rows = []
    for name, folder in students:
        path = progress_file(folder)
        rows.append(StudentProgress(name or _name(folder), path, path.is_file(), course_progress(ProgressStore(path))))
    return ClassProgress(rows)

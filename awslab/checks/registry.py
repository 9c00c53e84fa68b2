"""The course's tasks and questions, by id ("05.2", "08.q1"), and how a check is run.

Each lab's module in :mod:`awslab.checks` registers its tasks with :func:`task`::

    @task("05.1", N_("Create the target group with the seed's health checks"))
    def target_group(lab: Lab) -> Verdict:
        ...

A check reads the live cloud through standard describe/get calls only, so the
same lab is checked on the embedded cloud, LocalStack or a real account. It
returns :func:`ok` or :func:`not_yet` with a specific message and a fix.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import AwslabError, ValidationError
from ..i18n import _
from .verdict import Verdict

__all__ = ["Task", "Question", "task", "question", "tasks", "questions", "get_task", "get_question", "run_check",
           "ok", "not_yet", "TASK_ID"]

import re

#: "05.2" is lab 05's second task; "08.q1" is lab 08's first question.
TASK_ID = re.compile(r"(\d\d)\.(\d+|q\d+)")


class Unmet(Exception):
    """Raised inside a check to stop at the first thing that is not right yet (see :func:`not_yet`)."""

    def __init__(self, message: str, fix: str = "", found: list[str] | None = None):
        super().__init__(message)
        self.message, self.fix, self.found = message, fix, list(found or [])


@dataclass(frozen=True)
class Task:
    """A hands-on task: the student builds something, :attr:`check` reads it back."""

    id: str
    title: str  # English; shown through _()
    check: Callable[[Any], "Verdict | str"]

    @property
    def lab(self) -> str:
        return self.id.split(".")[0]


@dataclass(frozen=True)
class Question:
    """A concept no API can check: a short multiple-choice question with immediate feedback."""

    id: str
    prompt: str
    choices: tuple[str, ...]
    answer: int  # index into choices
    why: str
    hints: dict[int, str] = field(default_factory=dict)  # a wrong choice -> what it misses

    @property
    def lab(self) -> str:
        return self.id.split(".")[0]


_TASKS: dict[str, Task] = {}
_QUESTIONS: dict[str, Question] = {}
_loaded = False


def _check_id(kind: str, task_id: str) -> None:
    if not TASK_ID.fullmatch(task_id):
        raise ValueError(f"{kind} id {task_id!r} is not of the form '05.2' or '08.q1'")
    if task_id in _TASKS or task_id in _QUESTIONS:
        raise ValueError(f"{kind} id {task_id!r} is registered twice")


def task(task_id: str, title: str) -> Callable[[Callable], Callable]:
    """Register ``fn(lab) -> Verdict | str`` as the check of task ``task_id``.

    The function returns :func:`ok` (or a message string, meaning passed) or raises through :func:`not_yet`.
    """

    def register(fn: Callable) -> Callable:
        _check_id("task", task_id)
        _TASKS[task_id] = Task(task_id, title, fn)
        return fn

    return register


def question(question_id: str, prompt: str, choices: list[str], answer: int, why: str,
             hints: dict[int, str] | None = None) -> Question:
    """Register a multiple-choice question (texts in English, marked with ``N_`` for the catalogue)."""
    _check_id("question", question_id)
    if not 0 <= answer < len(choices):
        raise ValueError(f"question {question_id}: answer {answer} is not one of its {len(choices)} choices")
    q = Question(question_id, prompt, tuple(choices), answer, why, dict(hints or {}))
    _QUESTIONS[question_id] = q
    return q


def _load() -> None:
    """Import every lab's check module once (they register themselves)."""
    global _loaded
    if _loaded:
        return
    from .. import checks

    for info in pkgutil.iter_modules(checks.__path__):
        if not info.name.startswith("_") and info.name not in ("registry", "verdict", "probes"):
            importlib.import_module(f"{checks.__name__}.{info.name}")
    _loaded = True


def tasks(lab_id: str | None = None) -> list[Task]:
    """Every task (of one lab), in id order."""
    _load()
    found = [t for t in _TASKS.values() if lab_id is None or t.lab == lab_id]
    return sorted(found, key=lambda t: _order(t.id))


def questions(lab_id: str | None = None) -> list[Question]:
    _load()
    found = [q for q in _QUESTIONS.values() if lab_id is None or q.lab == lab_id]
    return sorted(found, key=lambda q: _order(q.id))


def _order(task_id: str) -> tuple:
    lab, _sep, n = task_id.partition(".")
    return (lab, n.startswith("q"), int(n.lstrip("q")))


def get_task(task_id: str) -> Task:
    _load()
    if task_id not in _TASKS:
        known = ", ".join(t.id for t in tasks(task_id.split(".")[0])) or ", ".join(sorted({t.lab for t in tasks()}))
        raise ValidationError("task", task_id, _("there is no task with that id"),
                              _("The tasks of this lab are: {known}.").format(known=known))
    return _TASKS[task_id]


def get_question(question_id: str) -> Question:
    _load()
    if question_id not in _QUESTIONS:
        raise ValidationError("question", question_id, _("there is no question with that id"),
                              _("Copy the id from the lab's text, e.g. '08.q1'."))
    return _QUESTIONS[question_id]


def ok(message: str, found: list[str] | None = None) -> Verdict:
    """A passing answer (the task id and title are filled in by :func:`run_check`)."""
    return Verdict("", "", True, message, "", list(found or []))


def not_yet(message: str, fix: str = "", found: list[str] | None = None) -> Unmet:
    """The exception a check raises at the first thing that is not right: ``raise not_yet(...)``."""
    return Unmet(message, fix, found)


def run_check(task_id: str, lab: Any) -> Verdict:
    """Run task ``task_id``'s check against ``lab``; never raises for a student's mistake."""
    t = get_task(task_id)
    title = _(t.title)
    try:
        result = t.check(lab)
    except Unmet as e:
        return Verdict(task_id, title, False, e.message, e.fix, e.found)
    except ClientError as e:
        err = e.response.get("Error", {})
        return Verdict(task_id, title, False,
                       _("AWS refused a read the check needs: {code}: {message}").format(
                           code=err.get("Code", "?"), message=err.get("Message", "")),
                       _("Is the lab's backend the one you built on? `awslab status` shows what the lab has."))
    except AwslabError as e:
        if e.code == "NeedsSimulator":  # not the student's mistake, nor a cloud to start: the backend lacks it
            raise
        return Verdict(task_id, title, False, _("The check could not read the cloud: {error}").format(error=e),
                       _("Start the embedded cloud with `awslab cloud start` (or `awslab up`), then run the check again."))
    except BotoCoreError as e:
        return Verdict(task_id, title, False, _("The check could not read the cloud: {error}").format(error=e),
                       _("Start the embedded cloud with `awslab cloud start` (or `awslab up`), then run the check again."))
    if isinstance(result, str):
        result = ok(result)
    result.task, result.title = task_id, title
    return result

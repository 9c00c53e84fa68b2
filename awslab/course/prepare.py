"""Each lab starts from a clean lab and stands on the previous ones: build what it needs, in one call.

The builder (:mod:`awslab.layers`) finds every resource by its tags before it
creates anything, so what a student built in an earlier lab - tagged as that
lab taught - is found and used, not built again. Only what is missing is
created, and the summary says which is which.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from ..i18n import _
from .catalog import LabInfo

__all__ = ["Prepared", "prepare"]


@dataclass
class Prepared:
    """What a lab stands on: the layers built for it, and how many resources were new."""

    lab_id: str
    title: str
    lab_name: str
    backend: str
    endpoint: str
    layers: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    stack: Any = None
    caught_up: Any = None  # a CaughtUp when the lab also stands on an earlier lab's tasks

    def text(self) -> str:
        where = self.endpoint or _("real AWS")
        head = _("Lab {id} · {title}: ready on {where} (lab name '{name}').").format(
            id=self.lab_id, title=self.title, where=where, name=self.lab_name)
        if not self.layers:
            return head + " " + _("It starts from a clean lab: you build everything.")
        return head + " " + _("It stands on: {layers}. {new} resource(s) were missing and were built now; the rest were already there.").format(
            layers=", ".join(self.layers), new=len(self.created))

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return f"<div style='border-left:4px solid #0969da;padding:4px 10px'>{html.escape(self.text())}</div>"


def prepare(lab: Any, info: LabInfo) -> Prepared:
    """Build the layers ``info`` needs (idempotent); return what happened."""
    from ..layers.stack import LAYERS, build_stack

    done = Prepared(info.id, info.display_title(), lab.name, lab.backend, lab.endpoint_url or "")
    if info.needs is None:
        return done
    skip = info.skipped_layers()
    stack = build_stack(lab, until=info.needs, skip=skip)
    done.stack = stack
    done.layers = [layer for layer in LAYERS[: LAYERS.index(info.needs) + 1] if layer not in skip]
    done.created = list(stack.created)
    if info.after:
        done.caught_up = catch_up(lab, info.after, chain=True)
        done.layers += [_("lab {id}'s tasks up to {task}").format(id=upto.split(".")[0], task=upto)
                        for upto in task_chain(info.after)]
    return done


def task_chain(upto: str) -> list[str]:
    """``upto`` and, before it, what its own lab stands on, in turn: "06.4" -> ["05.3", "06.4"] (lab 06 is after 05.3)."""
    from .catalog import lab_info

    before = lab_info(upto.split(".")[0]).after
    return (task_chain(before) if before else []) + [upto]


# -- catching up: what a task should have built, built for a student who skipped it ----------------------

#: task id -> an idempotent step that makes that task's result exist and returns the resources a lab reads next.
_STEPS: dict[str, Any] = {}
#: task id -> ``retired(lab) -> bool``: a later task replaced this one's result on purpose, so it is not missing.
_RETIRED: dict[str, Any] = {}


def step(task_id: str, retired=None):
    """Register ``fn(lab, resources) -> dict`` as task ``task_id``'s catch-up (found by tag first, like the builder).

    ``retired(lab)`` says when a later lab took the result away on purpose (lab 07 retires lab 05's hand-launched
    servers once its Auto Scaling group runs): the step then builds nothing back, and the task counts as done.
    """

    def register(fn):
        _STEPS[task_id] = fn
        if retired is not None:
            _RETIRED[task_id] = retired
        return fn

    return register


@dataclass
class CaughtUp:
    """The resources a lab goes on with, and which tasks awslab had to do for the student."""

    upto: str
    resources: dict[str, Any] = field(default_factory=dict)
    done_by_you: list[str] = field(default_factory=list)
    done_for_you: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        return self.resources[key]

    def text(self) -> str:
        if not self.done_for_you:
            return _("Tasks up to {upto} are yours: nothing was added.").format(upto=self.upto)
        return _("awslab did task(s) {tasks} for you so that the lab can go on; they stay unchecked in your progress. "
                 "Go back and do them yourself when you like.").format(tasks=", ".join(self.done_for_you))

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if not self.done_for_you else "#9a6700"
        return f"<div style='border-left:4px solid {colour};padding:4px 10px'>{html.escape(self.text())}</div>"


def catch_up(lab: Any, upto: str, chain: bool = False) -> CaughtUp:
    """Check each task of ``upto``'s lab up to ``upto``; build what a failed one should have; return the resources.

    With ``chain``, first the tasks ``upto``'s lab itself stands on (:func:`task_chain`), as a lab's start does.
    """
    from ..checks.registry import run_check, tasks
    from . import steps  # noqa: F401  (importing the package registers every lab's steps)

    done = CaughtUp(upto)
    for last in (task_chain(upto) if chain else [upto]):
        lab_id, _sep, n = last.partition(".")
        for t in tasks(lab_id):
            if int(t.id.split(".")[1]) > int(n):
                break
            fn = _STEPS.get(t.id)
            passed = run_check(t.id, lab).passed
            retired = not passed and t.id in _RETIRED and _RETIRED[t.id](lab)
            if passed or retired:
                done.done_by_you.append(t.id)
            elif fn is None:
                continue
            else:
                done.done_for_you.append(t.id)
            if fn is not None and not retired:
                done.resources.update(fn(lab, done.resources) or {})
    return done

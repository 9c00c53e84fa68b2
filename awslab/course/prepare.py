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
    stack = build_stack(lab, until=info.needs)
    done.stack = stack
    done.layers = list(LAYERS[: LAYERS.index(info.needs) + 1])
    done.created = list(stack.created)
    return done

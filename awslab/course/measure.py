"""A lab's numbers are numbers it shows: predict from the settings, measure, compare.

::

    predicted = (interval * (threshold - 1), interval * threshold + timeout)   # from describe-target-groups
    expect(measured_s, between=predicted, what="time until the target is unhealthy", unit="s")

shows ``measured 74 s; the settings predict 60–95 s ✓`` (``what`` in the student's language when the
catalogue has it: a lab declares its labels with ``N_``). In the course's own
tests (``AWSLAB_COURSE_VERIFY=1``) a measurement outside its prediction fails
the run, so a lesson's text can never drift from what the cloud does.
"""
from __future__ import annotations

import html
import os
from dataclasses import dataclass, field

from ..i18n import _
from .tasks import VERIFY_ENV

__all__ = ["expect", "Measurement"]


class _ShownOnce:
    """Each ``expect`` in a cell shows its line when it runs, not only the cell's last one (a cell that checks three
    things shows three lines); the value the cell ends with is not shown a second time."""

    _shown: bool

    def _ipython_display_(self) -> None:
        if self._shown:
            return
        self._shown = True
        from IPython.display import display

        display({"text/plain": self.text(), "text/html": self._repr_html_()}, raw=True)


@dataclass
class Measurement(_ShownOnce):
    what: str
    value: float
    low: float
    high: float
    unit: str = ""
    _shown: bool = field(default=False, repr=False, compare=False)

    @property
    def inside(self) -> bool:
        return self.low <= self.value <= self.high

    def text(self) -> str:
        mark = "✓" if self.inside else "✗"
        return _("{what}: measured {value}{unit}; the settings predict {low}–{high}{unit} {mark}").format(
            what=_(self.what) if self.what else "", value=_num(self.value), low=_num(self.low), high=_num(self.high),
            unit=f" {self.unit}" if self.unit else "", mark=mark)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.inside else "#b42318"
        return f"<div style='border-left:4px solid {colour};padding:4px 10px'>{html.escape(self.text())}</div>"


def _num(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 or abs(x) >= 100 else f"{x:.1f}"


@dataclass
class Observation(_ShownOnce):
    """A state the lab said AWS would report, and what AWS reported."""

    what: str
    value: object
    expected: object
    reported_by: str = ""  # who reported the value when it is not AWS (ssh-agent, OpenSSH)
    _shown: bool = field(default=False, repr=False, compare=False)

    @property
    def inside(self) -> bool:
        return self.value == self.expected

    def text(self) -> str:
        mark = "✓" if self.inside else "✗"
        if self.reported_by:
            return _("{what}: {source} reports {value}; the lab said {expected} {mark}").format(
                what=_(self.what) if self.what else "", source=self.reported_by, value=self.value, expected=self.expected, mark=mark)
        return _("{what}: AWS reports {value}; the lab said {expected} {mark}").format(
            what=_(self.what) if self.what else "", value=self.value, expected=self.expected, mark=mark)

    __repr__ = text
    _repr_html_ = Measurement._repr_html_


def expect(value, between: tuple[float, float] | None = None, what: str = "", unit: str = "", equals=None,
           reported_by: str = ""):
    """Compare what the cloud shows with what the lab predicted: a window (``between``) or a value (``equals``).

    ``reported_by`` names who reported ``value`` when it is not AWS (a local tool such as ssh-agent).
    """
    if between is None:
        seen = Observation(what, value, equals, reported_by)
        if os.environ.get(VERIFY_ENV) == "1" and not seen.inside:
            raise AssertionError(f"the lab says {what} is {equals!r}, but AWS reports {value!r}")
        return _show(seen)
    low, high = sorted(float(b) for b in between)
    m = Measurement(what, float(value), low, high, unit)
    if os.environ.get(VERIFY_ENV) == "1" and not m.inside:
        raise AssertionError(f"the lab predicts {what} in [{low}, {high}] {unit}, but measured {value}")
    return _show(m)


def _show(result):
    """Show ``result`` now when a notebook runs this (its cell may go on to check more); elsewhere just return it."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the course
        return result
    if get_ipython() is not None:
        result._ipython_display_()
    return result

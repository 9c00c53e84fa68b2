"""Waiting for AWS to do something: read the APIs until a condition holds, bounded in wall time.

Like a botocore waiter (an operation, a condition, a delay, a limit), with one
addition for the embedded cloud: ``fast_forward`` moves the simulated clock
``step_s`` between reads instead of waiting for it.

A wait shows its progress (:mod:`awslab.progress`: a bar in a notebook, on a CLI's terminal):
``what`` it waits for, in simulated seconds on the embedded cloud, against ``expect_s`` (the
window AWS's settings predict) when the caller knows it, else against the bound.
"""
from __future__ import annotations

import time
from typing import Callable, TypeVar

from ..errors import BackendError
from ..progress import Progress, progress
from .simulator import Simulator
from ..i18n import _

__all__ = ["poll_until"]

T = TypeVar("T")


def poll_until(read: Callable[[], T], done: Callable[[T], bool], timeout_s: float, sim: Simulator | None,
               fast_forward: bool | None, step_s: float, every_s: float = 0.5, what: str | None = None,
               expect_s: float | None = None, since: float | None = None) -> tuple[T, bool]:
    """``(last value read, whether done)``: ``read()`` until ``done(value)`` or ``timeout_s`` wall seconds pass.

    ``fast_forward`` None means: on when the simulator runs in virtual time (its clock moves only when told).
    ``what`` ("i-0abc to be unhealthy in awslab-tg") and ``expect_s`` (simulated seconds from ``since``, the cloud's
    epoch seconds, e.g. when the drill broke the app; default: from now) word the progress.
    """
    if fast_forward is None:
        fast_forward = sim is not None and sim.clock().get("mode") == "virtual"
    if fast_forward and sim is None:
        raise BackendError(_("fast_forward needs the embedded cloud's simulated clock."),
                           _("On LocalStack or AWS, wait in real time: fast_forward=False with a longer timeout_s."))
    shown = progress(what or _("AWS"), expect_s, simulated=sim is not None)
    t0 = (sim.now() if since is None else since) if shown.active and sim is not None else 0.0
    start = time.monotonic()
    deadline = start + timeout_s
    with shown:
        while True:
            value = read()
            if done(value):
                _update(shown, sim, t0, start, timeout_s)
                shown.finish(True)
                return value, True
            if time.monotonic() >= deadline:
                shown.finish(False)
                return value, False
            if fast_forward:
                sim.advance(step_s)
            else:
                time.sleep(every_s)
            _update(shown, sim, t0, start, timeout_s)


def _update(shown: Progress, sim: Simulator | None, t0: float, start: float, timeout_s: float) -> None:
    if shown.active:
        wall = time.monotonic() - start
        shown.update(sim.now() - t0 if sim is not None else wall, wall / timeout_s if timeout_s else 0.0)

"""Waiting for AWS to do something: read the APIs until a condition holds, bounded in wall time.

Like a botocore waiter (an operation, a condition, a delay, a limit), with one
addition for the embedded cloud: ``fast_forward`` moves the simulated clock
``step_s`` between reads instead of waiting for it.
"""
from __future__ import annotations

import time
from typing import Callable, TypeVar

from ..errors import BackendError
from .simulator import Simulator
from ..i18n import _

__all__ = ["poll_until"]

T = TypeVar("T")


def poll_until(read: Callable[[], T], done: Callable[[T], bool], timeout_s: float, sim: Simulator | None,
               fast_forward: bool | None, step_s: float, every_s: float = 0.5) -> tuple[T, bool]:
    """``(last value read, whether done)``: ``read()`` until ``done(value)`` or ``timeout_s`` wall seconds pass.

    ``fast_forward`` None means: on when the simulator runs in virtual time (its clock moves only when told).
    """
    if fast_forward is None:
        fast_forward = sim is not None and sim.clock().get("mode") == "virtual"
    if fast_forward and sim is None:
        raise BackendError(_("fast_forward needs the embedded cloud's simulated clock."),
                           _("On LocalStack or AWS, wait in real time: fast_forward=False with a longer timeout_s."))
    deadline = time.monotonic() + timeout_s
    while True:
        value = read()
        if done(value):
            return value, True
        if time.monotonic() >= deadline:
            return value, False
        if fast_forward:
            sim.advance(step_s)
        else:
            time.sleep(every_s)

"""Has the data plane caught up with the APIs? A barrier for requests sent right after a change.

An AWS call returns once the change is made; the data plane learns of it a
moment later (its reader re-reads the APIs after each change to EC2 or ELB,
its sync thread re-reads the simulator ten times a second). A request sent in
between - right after ``create_rule`` or a ``break_app`` - would meet the old
state, which no answer AWS gave allows. :meth:`Settled.wait` holds such a
request until the data plane serves every change counted so far and a
simulator state read after the request was asked. The generation is the data plane's own
(``DataPlane.wanted_gen``/``applied_gen``, which also hold the simulated clock while the loop lags).
"""
from __future__ import annotations

import threading
import time
from typing import Callable

__all__ = ["Settled", "SETTLE_TIMEOUT_S"]

#: How long :meth:`Settled.wait` waits at most (wall seconds).
SETTLE_TIMEOUT_S = 5.0


class Settled:
    """What the data plane's loop serves: the APIs as of a change generation, the simulator as of a moment."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.generation = -1  # the newest change generation whose read the loop serves
        self.read_at = 0.0  # when (monotonic) the simulator state the loop serves was read

    def served(self, generation: int | None, read_at: float) -> None:
        """The loop now serves the APIs as of ``generation`` (None: no new read) and the simulator as of ``read_at``."""
        with self._cond:
            if generation is not None:
                self.generation = max(self.generation, generation)
            self.read_at = max(self.read_at, read_at)
            self._cond.notify_all()

    def wait(self, wanted: Callable[[], int], wake: Callable[[], None], running: Callable[[], bool],
             timeout_s: float = SETTLE_TIMEOUT_S) -> bool:
        """Block until the loop serves every change counted now (``wanted()``) and a simulator read from after now.

        ``wake()`` nudges the sync thread; ``running()`` is False once the data plane stops.
        Returns False after ``timeout_s`` (or when the data plane is not running).
        """
        asked_at, want = time.monotonic(), wanted()
        deadline = asked_at + timeout_s
        wake()
        with self._cond:
            while self.generation < want or self.read_at < asked_at:
                left = deadline - time.monotonic()
                if left <= 0 or not running():
                    return False
                self._cond.wait(min(left, 0.1))
                wake()
        return True

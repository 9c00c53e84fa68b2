"""The cloud's one state lock, which knows whether anyone is waiting for it.

moto's models are not thread-safe, so every AWS request, every control route and every simulator
step holds one re-entrant lock (``awslab.cloud.control.STATE_LOCK``). A long clock advance takes it
in short slices; between two slices it must let the threads that queued up go first. A plain
``threading.RLock`` is not fair: on a busy machine the advancing thread could take it back before a
woken request thread got to run, again and again. :meth:`StateLock.yield_to_waiters` closes that gap.
"""
from __future__ import annotations

import threading
import time

__all__ = ["StateLock"]


class StateLock:
    """A re-entrant lock (use it as ``with lock:``) that counts the threads waiting to take it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._count = threading.Lock()  # guards ``waiting``
        self.waiting = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._lock.acquire(blocking=False):
            return True
        if not blocking:
            return False
        with self._count:
            self.waiting += 1
        try:
            return self._lock.acquire(timeout=timeout)
        finally:
            with self._count:
                self.waiting -= 1

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> "StateLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def yield_to_waiters(self, longest_s: float, pause_s: float = 0.0005) -> float:
        """Wait (at most ``longest_s``) until every thread that was waiting for the lock has had it.
        Returns the wall seconds spent waiting. A thread that still holds the lock (re-entrantly) returns
        at once: the waiters could not take it anyway."""
        t0 = time.perf_counter()
        if self._lock._is_owned():
            return 0.0
        deadline = t0 + longest_s
        while self.waiting and time.perf_counter() < deadline:
            time.sleep(pause_s)
        return time.perf_counter() - t0

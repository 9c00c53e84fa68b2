"""Simulated time: one SimPy environment, paced two ways.

AWS's control loops (health checks every 30 s, a 300 s grace period, a 60 s
ASG sweep) are slow in wall time. The lab runs them on a simulated clock:

- ``virtual``: time only moves when told (:meth:`Clock.advance`). It runs as
  fast as the CPU allows and is deterministic for a given seed. Tests and
  benchmarks use it.

An advance runs in slices of at most :data:`ADVANCE_SLICE_S` of wall time, and
lets go of the cloud's state lock between them, so AWS calls, the control API
and the data plane keep being served while a week of simulated time goes by
(:mod:`awslab.sim.advance` turns a long advance into a job with progress).
- ``realtime``: a background thread steps the environment so simulated time
  runs ``speed`` times faster than the wall clock (20x by default: AWS's
  six-minute recovery plays in about 18 s). It can be paused and sped up
  while it runs.

Every AWS timestamp the embedded cloud returns is read from :attr:`Clock.now`.
"""
from __future__ import annotations

import gc
import logging
import random
import threading
import time
from datetime import datetime, timezone
from typing import Callable

import simpy

from ..cloud.control import STATE_LOCK

__all__ = ["Clock", "MODES", "DEFAULT_SPEED"]

log = logging.getLogger("awslab.sim")

MODES = ("virtual", "realtime")
#: Longest wall time one slice of an advance holds the state lock (seconds). A request that arrives
#: during an advance waits at most about this long for the lock.
ADVANCE_SLICE_S = 0.05
#: Wall pause between two slices, so a thread waiting for the lock (a request, the data plane) gets it.
ADVANCE_YIELD_S = 0.001
#: Between two slices, every thread already waiting for the lock takes it first, for at most this long
#: (wall seconds), so requests are served in turn even when the machine is busy.
ADVANCE_YIELD_MAX_S = 0.5
#: Longest wall time simulated time waits for a hold (:meth:`Clock.hold_while`) before it moves on anyway.
HOLD_MOST_S = 2.0
#: How often (wall seconds) a fast-forward looks again whether the hold is over.
HOLD_POLL_S = 0.005
#: Realtime pacing: simulated seconds per wall second.
DEFAULT_SPEED = 20.0
#: The realtime thread wakes at least this often (wall seconds) to follow
#: speed/pause/mode changes and to advance ``now`` smoothly.
_TICK_S = 0.02


class Clock:
    """A SimPy environment plus the mapping from simulated seconds to UNIX epoch time."""

    def __init__(self, mode: str = "virtual", speed: float = DEFAULT_SPEED, seed: int = 0,
                 start_epoch: float | None = None):
        if mode not in MODES:
            raise ValueError(f"clock mode must be one of {MODES}, not {mode!r}")
        self.seed = int(seed)
        self.start_epoch = float(round(time.time()) if start_epoch is None else start_epoch)
        self.env = simpy.Environment()
        self._mode = mode
        self._speed = self._check_speed(speed)
        self._paused = False
        # Realtime anchor: simulated time ``_anchor_sim`` was reached at wall ``_anchor_wall``.
        self._anchor_sim = 0.0
        self._anchor_wall = time.monotonic()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._advancing = 0  # advances running now (the realtime pacing waits for them)
        self._holds: list[Callable[[], bool]] = []
        self._held_since: float | None = None  # wall time simulated time started waiting for a hold

    # -- properties ---------------------------------------------------------
    @property
    def mode(self) -> str:
        return self._mode

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def advancing(self) -> bool:
        """Is an advance running? (Then health checks use the app's modelled answer: see elb_health.)"""
        return self._advancing > 0

    @property
    def now(self) -> float:
        """Simulated UNIX epoch seconds."""
        return self.start_epoch + self.env.now

    def now_caught_up(self) -> float:
        """``now`` after running every event the wall clock says is due: what a reader outside the simulation sees.

        In realtime mode the pacing thread moves ``now`` in ticks, and later when the machine is busy or the
        state lock is held; a measurement that reads the bare ``now`` twice (the control API's clock) would
        be off by that lag, a few simulated seconds at 20x. Virtual or paused: just ``now``.
        """
        with STATE_LOCK:
            try:
                self._catch_up()
            except Exception:  # a failing process must not fail the reader (the pacing thread logs it too)
                log.exception("simulator step failed")
            return self.now

    def now_datetime(self) -> datetime:
        """Simulated now as a timezone-aware UTC datetime."""
        return self.epoch_datetime(self.now)

    @staticmethod
    def epoch_datetime(epoch: float) -> datetime:
        return datetime.fromtimestamp(epoch, tz=timezone.utc)

    def rng(self, name: str) -> random.Random:
        """A random source for one subsystem, derived from the seed (so subsystems don't disturb each other)."""
        return random.Random(f"{self.seed}:{name}")

    # -- control ------------------------------------------------------------
    def advance(self, seconds: float, on_slice: Callable[[float, int, float], None] | None = None,
                should_stop: Callable[[], bool] | None = None) -> float:
        """Run the simulation ``seconds`` of simulated time ahead; returns the new ``now``.

        In realtime mode this jumps ahead, then pacing continues from there. See :meth:`advance_until`.
        """
        seconds = float(seconds)
        if not seconds >= 0:
            raise ValueError("cannot advance the clock backwards")
        return self.advance_until(self.now + seconds, on_slice, should_stop)

    def advance_until(self, epoch: float, on_slice: Callable[[float, int, float], None] | None = None,
                      should_stop: Callable[[], bool] | None = None) -> float:
        """Run every event up to simulated epoch ``epoch``, slice by slice, freeing the state lock between
        slices. ``on_slice(now, events, held_s)`` is called after each slice (``held_s``: wall seconds the
        slice held the lock); ``should_stop()`` ends it early."""
        with STATE_LOCK:
            self._advancing += 1
        pauses = _ShortGcPauses()
        try:
            while True:
                pauses.after_slice()
                self._wait_for_holds()
                with STATE_LOCK:
                    t0 = time.perf_counter()
                    finished, events = self._run_slice(epoch - self.start_epoch, t0 + ADVANCE_SLICE_S)
                    held = time.perf_counter() - t0
                if on_slice is not None:
                    on_slice(self.now, events, held)
                if finished or (should_stop is not None and should_stop()):
                    return self.now
                time.sleep(ADVANCE_YIELD_S)
                STATE_LOCK.yield_to_waiters(ADVANCE_YIELD_MAX_S)
        finally:
            pauses.done()
            with STATE_LOCK:
                self._advancing -= 1
                self._reanchor()

    def set_speed(self, speed: float) -> None:
        with STATE_LOCK:
            self._catch_up()
            self._speed = self._check_speed(speed)
            self._reanchor()
        self._wake.set()

    def pause(self) -> None:
        with STATE_LOCK:
            self._catch_up()
            self._paused = True
        self._wake.set()

    def resume(self) -> None:
        with STATE_LOCK:
            self._paused = False
            self._reanchor()
        self._wake.set()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"clock mode must be one of {MODES}, not {mode!r}")
        with STATE_LOCK:
            self._catch_up()
            self._mode = mode
            self._reanchor()
        self._wake.set()

    def replace_env(self) -> None:
        """Start a fresh environment that continues from the current simulated time (used by reset)."""
        with STATE_LOCK:
            self.start_epoch = self.now
            self.env = simpy.Environment()
            self._reanchor()

    # -- realtime thread ----------------------------------------------------
    def start(self) -> None:
        """Start the realtime pacing thread (it idles while the mode is virtual or paused)."""
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._reanchor()
        self._thread = threading.Thread(target=self._loop, name="awslab-sim-clock", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            wait = _TICK_S
            if self._mode == "realtime" and not self._paused and not self._advancing:
                with STATE_LOCK:
                    try:
                        self._catch_up()
                    except Exception:  # a failing process must not stop the clock for everyone
                        log.exception("simulator step failed")
                    nxt = self.env.peek()
                if nxt != float("inf"):
                    wait = min(_TICK_S, max(0.0, (nxt - self.env.now) / self._speed))
            self._wake.wait(max(wait, 0.001))
            self._wake.clear()

    def hold_while(self, lagging: Callable[[], bool]) -> None:
        """Keep simulated time still while ``lagging()`` is true (at most :data:`HOLD_MOST_S` of wall time at a time).

        The data plane mirrors the network and the load balancers from the APIs a moment after each change.
        At 20x that moment is seconds of AWS time, in which a revoked security-group rule would still let
        traffic through. Holding the clock until the data plane has applied the change makes every API
        change take effect at the simulated instant it was made, as it does on AWS.
        """
        self._holds.append(lagging)

    def _wait_for_holds(self) -> None:
        """A fast-forward waits too (outside the state lock, at most :data:`HOLD_MOST_S`) for an API change the data
        plane has not applied yet: a NACL associated just before ``advance(60)`` drops that minute's health checks."""
        while self._holds and self._held():
            time.sleep(HOLD_POLL_S)

    def _held(self) -> bool:
        if not any(lagging() for lagging in self._holds):
            self._held_since = None
            return False
        now = time.monotonic()
        if self._held_since is None:
            self._held_since = now
        return now - self._held_since < HOLD_MOST_S  # a stuck mirror must not stop AWS's control loops

    def _catch_up(self) -> None:
        """Realtime: run the env up to the simulated time the wall clock says we should be at."""
        if self._mode != "realtime" or self._paused or self._advancing:
            return
        if self._holds and self._held():
            self._reanchor()  # simulated time waits; it resumes from here, nothing skipped
            return
        target = self._anchor_sim + (time.monotonic() - self._anchor_wall) * self._speed
        self._run_until(target)

    def _run_until(self, target: float) -> None:
        """Run every event up to AND including ``target`` (``env.run(until=)`` stops just before it)."""
        if target > self.env.now:
            self.env.run(until=target)
        while self.env.peek() <= target:
            self.env.step()

    def _run_slice(self, target: float, deadline: float) -> tuple[bool, int]:
        """Run events up to AND including env time ``target`` until the wall ``deadline``.
        Returns (reached the target, events run)."""
        env, events = self.env, 0
        while env.peek() <= target:
            env.step()
            events += 1
            if time.perf_counter() >= deadline:
                return env.peek() > target and self._settle(target), events
        return self._settle(target), events

    def _settle(self, target: float) -> bool:
        """No event is left up to ``target``: move ``now`` there."""
        if target > self.env.now:
            self.env.run(until=target)
        return True

    def _reanchor(self) -> None:
        self._anchor_sim = self.env.now
        self._anchor_wall = time.monotonic()

    @staticmethod
    def _check_speed(speed: float) -> float:
        speed = float(speed)
        if not 0.1 <= speed <= 10_000:
            raise ValueError(f"clock speed must be between 0.1 and 10000 (simulated seconds per wall second), not {speed}")
        return speed


class _ShortGcPauses:
    """Keep the garbage collector's pauses short while an advance runs.

    A week of simulated time adds a million or more objects (timeline, metrics, activities). Python's
    full collection walks every one of them while every thread waits: about a second at that size,
    during which no request is answered. During an advance, the objects that exist when it starts, and
    after each full collection, are frozen (``gc.freeze()``), so a full collection walks only what was
    made since; at the end ``gc.unfreeze()`` hands every object back to the collector (nothing is
    leaked: a later full collection finds whatever became garbage meanwhile).
    """

    _running = 0  # advances in this process that hold objects frozen

    def __init__(self) -> None:
        type(self)._running += 1
        self._full = gc.get_stats()[2]["collections"]
        gc.freeze()  # what exists before the advance is not walked again during it

    def after_slice(self) -> None:
        full = gc.get_stats()[2]["collections"]
        if full != self._full:
            self._full = full
            gc.freeze()

    def done(self) -> None:
        type(self)._running -= 1
        if not type(self)._running:
            gc.unfreeze()

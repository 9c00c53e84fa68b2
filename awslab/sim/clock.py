"""Simulated time: one SimPy environment, paced two ways.

AWS's control loops (health checks every 30 s, a 300 s grace period, a 60 s
ASG sweep) are slow in wall time. The lab runs them on a simulated clock:

- ``virtual``: time only moves when told (:meth:`Clock.advance`). It runs as
  fast as the CPU allows and is deterministic for a given seed. Tests and
  benchmarks use it.
- ``realtime``: a background thread steps the environment so simulated time
  runs ``speed`` times faster than the wall clock (20x by default: AWS's
  six-minute recovery plays in about 18 s). It can be paused and sped up
  while it runs.

Every AWS timestamp the embedded cloud returns is read from :attr:`Clock.now`.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from datetime import datetime, timezone

import simpy

from ..cloud.control import STATE_LOCK

__all__ = ["Clock", "MODES", "DEFAULT_SPEED"]

log = logging.getLogger("awslab.sim")

MODES = ("virtual", "realtime")
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
    def now(self) -> float:
        """Simulated UNIX epoch seconds."""
        return self.start_epoch + self.env.now

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
    def advance(self, seconds: float) -> float:
        """Run the simulation ``seconds`` of simulated time ahead; returns the new ``now``.

        In realtime mode this jumps ahead, then pacing continues from there.
        """
        seconds = float(seconds)
        if seconds < 0:
            raise ValueError("cannot advance the clock backwards")
        with STATE_LOCK:
            self._run_until(self.env.now + seconds)
            self._reanchor()
        return self.now

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
            if self._mode == "realtime" and not self._paused:
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

    def _catch_up(self) -> None:
        """Realtime: run the env up to the simulated time the wall clock says we should be at."""
        if self._mode != "realtime" or self._paused:
            return
        target = self._anchor_sim + (time.monotonic() - self._anchor_wall) * self._speed
        self._run_until(target)

    def _run_until(self, target: float) -> None:
        """Run every event up to AND including ``target`` (``env.run(until=)`` stops just before it)."""
        if target > self.env.now:
            self.env.run(until=target)
        while self.env.peek() <= target:
            self.env.step()

    def _reanchor(self) -> None:
        self._anchor_sim = self.env.now
        self._anchor_wall = time.monotonic()

    @staticmethod
    def _check_speed(speed: float) -> float:
        speed = float(speed)
        if not 0.1 <= speed <= 10_000:
            raise ValueError(f"clock speed must be between 0.1 and 10000 (simulated seconds per wall second), not {speed}")
        return speed

"""A clock advance as a job: one at a time, progress readable while it runs, stoppable.

A week of simulated time takes tens of seconds of wall time. The clock runs it in slices and frees the
cloud's state lock between them (:meth:`awslab.sim.clock.Clock.advance_until`), so the cloud keeps
answering; this module keeps the record a notebook or the CLI polls::

    POST /_awslab/clock/advance {"seconds": 604800, "wait": false}   -> the job, at once
    GET  /_awslab/clock/advance                                      -> the job: progress, events, wall time
    DELETE /_awslab/clock/advance                                    -> stop it where it is

``{"wait": true}`` (the default) answers when the advance is over, which tests and short advances want.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from itertools import count

__all__ = ["AdvanceJob", "Advancer", "AdvanceBusy"]

log = logging.getLogger("awslab.sim")


@dataclass
class AdvanceJob:
    """One advance of the simulated clock, from ``start`` to ``end`` (simulated epoch seconds)."""

    job_id: int
    start: float
    end: float
    now: float = 0.0
    state: str = "running"  # running | done | stopped | failed
    events: int = 0
    slices: int = 0
    longest_slice_s: float = 0.0  # the longest the advance held the state lock at once (wall seconds)
    error: str | None = None
    started_wall: float = field(default_factory=time.monotonic)
    finished_wall: float | None = None
    stop_requested: threading.Event = field(default_factory=threading.Event)

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def done_seconds(self) -> float:
        return max(0.0, min(self.now, self.end) - self.start)

    @property
    def progress(self) -> float:
        """0.0 .. 1.0 of the simulated seconds asked for."""
        return 1.0 if self.seconds <= 0 else self.done_seconds / self.seconds

    @property
    def wall_s(self) -> float:
        return (self.finished_wall or time.monotonic()) - self.started_wall

    @property
    def eta_s(self) -> float | None:
        """Wall seconds left at the pace so far (None until there is a pace)."""
        if self.state != "running" or self.done_seconds <= 0:
            return None
        return self.wall_s * (self.seconds - self.done_seconds) / self.done_seconds

    def on_slice(self, now: float, events: int, held_s: float) -> None:
        self.now, self.events, self.slices = now, self.events + events, self.slices + 1
        self.longest_slice_s = max(self.longest_slice_s, held_s)

    def to_dict(self) -> dict:
        eta = self.eta_s
        return {"job_id": self.job_id, "state": self.state, "seconds": self.seconds, "done_seconds": self.done_seconds,
                "progress": round(self.progress, 4), "start": self.start, "end": self.end, "now": self.now,
                "events": self.events, "slices": self.slices, "longest_slice_s": round(self.longest_slice_s, 4),
                "wall_s": round(self.wall_s, 3), "eta_s": None if eta is None else round(eta, 1), "error": self.error}


class AdvanceBusy(Exception):
    """Another advance is running; ``job`` is it."""

    def __init__(self, job: AdvanceJob):
        super().__init__(f"job {job.job_id}")
        self.job = job


class Advancer:
    """Runs advances of one clock, one at a time, and remembers the last one."""

    def __init__(self, clock):
        self.clock = clock
        self.job: AdvanceJob | None = None
        self._lock = threading.Lock()
        self._ids = count(1)

    def start(self, seconds: float) -> AdvanceJob:
        """Register a new advance of ``seconds`` from now (raises :class:`AdvanceBusy` if one runs)."""
        with self._lock:
            if self.job is not None and self.job.state == "running":
                raise AdvanceBusy(self.job)
            now = self.clock.now
            self.job = AdvanceJob(next(self._ids), now, now + float(seconds), now=now)
            return self.job

    def run(self, job: AdvanceJob) -> AdvanceJob:
        """Run ``job`` in this thread until it is done, stopped or failed."""
        try:
            self.clock.advance_until(job.end, job.on_slice, job.stop_requested.is_set)
            job.state = "done" if job.now >= job.end else "stopped"
        except Exception as e:  # a failing simulator step ends the job; the clock stays usable
            job.state, job.error = "failed", f"{type(e).__name__}: {e}"
            log.exception("clock advance %s failed", job.job_id)
        finally:
            job.finished_wall = time.monotonic()
        return job

    def run_in_background(self, seconds: float) -> AdvanceJob:
        job = self.start(seconds)
        threading.Thread(target=self.run, args=(job,), name=f"awslab-advance-{job.job_id}", daemon=True).start()
        return job

    def stop(self) -> AdvanceJob | None:
        """Ask the running advance to stop after its current slice; returns it (or the last one)."""
        job = self.job
        if job is not None and job.state == "running":
            job.stop_requested.set()
        return job

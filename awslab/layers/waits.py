"""Waiting for what AWS finishes in the background: bounded, and at the backend's pace.

Terminating an instance, deleting an Auto Scaling group, a NAT gateway, an RDS instance or a load
balancer all return at once and finish later. Whoever deletes what depends on them next (a subnet, a
security group, an Elastic IP) must wait, and must not wait forever. Waiting is data, as in botocore's
waiters and the AWS CLI's ``aws ec2 wait instance-terminated``: a check, a delay between checks, a bound.

- **The check** is AWS's own waiter where AWS has one (:func:`waiter`); otherwise a describe call.
- **The pace.** On AWS (and LocalStack) time is real: the waiter's own delay (15 s; 30 s for RDS) and
  bound (delay x attempts: 10 min; 30 min for RDS). On the embedded cloud time is simulated: the same
  bound in *simulated* seconds, checked every :data:`SIM_CHECK_S` simulated seconds. A realtime clock
  turns that into wall time at its speed (20x: a check every 0.1 s); a clock in virtual mode, or
  paused, moves only when told, so waiting moves it (:class:`Pace`).
- **The bound** ends in a :class:`WaitTimeout` naming what was awaited and what to do.
- **Progress**: a wait that lasts shows what it waits for against its bound (:mod:`awslab.progress`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from botocore.exceptions import WaiterError

from ..errors import AwslabError
from ..i18n import _
from ..progress import progress

__all__ = ["Pace", "Wait", "WaitTimeout", "pace_of", "waiter", "wait_for", "SIM_CHECK_S"]

#: On the embedded cloud, check every this many simulated seconds. Its state changes are events on the
#: simulated clock (an instance takes 15-40 s to shut down), so a few seconds between checks loses little.
SIM_CHECK_S = 2.0
#: Never check more often than this on the wall clock (a very fast simulated clock would spin otherwise).
MIN_SLEEP_S = 0.05
#: On the embedded cloud's realtime clock, wall seconds allowed beyond bound / speed: a busy machine runs
#: the simulator's thread late, and that must not count as AWS being slow.
SLACK_S = 30.0
#: With a clock that waiting moves itself, the most wall time a wait may take anyway.
FAST_FORWARD_WALL_S = 300.0


class WaitTimeout(AwslabError):
    """Something AWS does in the background did not finish within the bound AWS's own waiter uses."""


@dataclass(frozen=True)
class Pace:
    """How time passes on a backend: real time, or the embedded cloud's simulated clock.

    ``speed`` is simulated seconds per wall second (1 on AWS). ``fast_forward`` means the simulated clock
    moves only when told (virtual mode, or paused), so a wait advances it through ``sim`` (the cloud's
    control API).
    """

    speed: float = 1.0
    simulated: bool = False
    fast_forward: bool = False
    sim: Any = None

    def check_every(self, aws_delay_s: float) -> float:
        """Seconds (of this backend's time) between two checks."""
        return SIM_CHECK_S if self.simulated else aws_delay_s

    def let_pass(self, seconds: float) -> None:
        """Let ``seconds`` of this backend's time pass."""
        if self.fast_forward:
            self.sim.advance(seconds)
        else:
            time.sleep(max(MIN_SLEEP_S, seconds / self.speed))

    def wall_bound(self, bound_s: float) -> float:
        if self.fast_forward:
            return FAST_FORWARD_WALL_S
        return bound_s / self.speed + (SLACK_S if self.simulated else 0.0)


def pace_of(lab: Any) -> Pace:
    """The pace of ``lab``'s backend (probe: reads the embedded cloud's clock, changes nothing)."""
    if lab.backend != "embedded":
        return Pace()
    from ..drills.simulator import simulator  # the one client of the cloud's control API

    sim = simulator(lab)
    if sim is None:
        return Pace()
    clock = sim.clock()
    if clock.get("mode") == "virtual" or clock.get("paused"):
        return Pace(simulated=True, fast_forward=True, sim=sim)
    return Pace(speed=float(clock.get("speed") or 1.0), simulated=True)


@dataclass(frozen=True)
class Wait:
    """One thing to wait for: ``done()`` checks it once; ``what`` and ``fix`` word the timeout."""

    what: str
    done: Callable[[], bool]
    fix: str
    delay_s: float = 15.0
    bound_s: float = 600.0


def waiter(client: Any, name: str, what: str, fix: str, **params: Any) -> Wait:
    """A :class:`Wait` on AWS's own waiter ``name`` (e.g. ``instance_terminated``), with its delay and bound.

    Each check is one attempt of the botocore waiter, so the condition is exactly AWS's: the same
    JMESPath acceptors ``aws ec2 wait instance-terminated`` uses. A terminal failure state (the waiter's
    "failure" acceptor, e.g. an instance that is ``pending`` again) raises :class:`WaitTimeout` at once.
    """
    w = client.get_waiter(name)

    def done() -> bool:
        try:
            w.wait(**params, WaiterConfig={"Delay": 0, "MaxAttempts": 1})
        except WaiterError as e:
            if e.kwargs.get("reason") == "Max attempts exceeded":
                return False
            raise WaitTimeout(_("AWS's waiter {name} stopped waiting for {what}: {reason}.").format(
                name=name, what=what, reason=e.kwargs.get("reason")), fix) from e
        return True

    return Wait(what, done, fix, float(w.config.delay), float(w.config.delay * w.config.max_attempts))


def wait_for(wait: Wait, pace: Pace) -> tuple[float, float]:
    """Check ``wait`` until done, letting time pass at ``pace`` in between; bounded.

    Returns (wall seconds waited, simulated seconds this wait advanced the clock by itself).
    Raises :class:`WaitTimeout` when the bound is reached.
    """
    start = time.monotonic()
    step = pace.check_every(wait.delay_s)
    advanced = 0.0
    with progress(wait.what, wait.bound_s, pace.simulated) as shown:
        while not wait.done():
            waited = time.monotonic() - start
            if waited >= pace.wall_bound(wait.bound_s) or advanced >= wait.bound_s:
                shown.finish(False)
                raise _timeout(wait, pace, advanced or waited * pace.speed)
            pace.let_pass(step)
            if pace.fast_forward:
                advanced += step
            shown.update(advanced if pace.fast_forward else (time.monotonic() - start) * pace.speed)
    return time.monotonic() - start, advanced


def _timeout(wait: Wait, pace: Pace, seconds: float) -> WaitTimeout:
    if pace.simulated:
        problem = _("Waited {seconds:.0f} simulated seconds for {what}, and it has not happened (the bound is {bound:.0f} s).")
    else:
        problem = _("Waited {seconds:.0f} s for {what}, and it has not happened (the bound is {bound:.0f} s).")
    return WaitTimeout(problem.format(seconds=seconds, what=wait.what, bound=wait.bound_s), wait.fix)

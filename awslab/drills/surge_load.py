"""The surge without a simulator: real requests to the lab's ALB, and AWS's own record of what they did.

    >>> s = surge(lab, users=(100, 1000), ramp_s=60, duration_s=900)   # refused: shows the plan and its cost
    >>> s = surge(lab, users=(100, 1000), ramp_s=60, duration_s=900, confirm=True)
    >>> s.status()                       # status codes so far, the group, its alarms (standard APIs)
    >>> s.wait_until("scaled_out", timeout_s=900)
    >>> s.stop(); s.story()              # CloudWatch's minutes, the alarms, Auto Scaling's activities

The requests are an open model (:func:`awslab.traffic.open_model`): they arrive at the planned rate whether or not the
ALB keeps up, as users on the internet do. The run is bounded three ways (rate, duration, total requests; see
:mod:`.surge_plan`) and always ends within its duration plus one request timeout: by itself, by :meth:`LoadSurge.stop`,
or by Ctrl-C while :meth:`LoadSurge.wait` or :meth:`LoadSurge.wait_until` blocks.

Everything it reports besides its own status codes comes from the standard APIs: ``GetMetricData`` for the ALB's
``RequestCount``, ``HTTPCode_ELB_5XX_Count`` and ``TargetResponseTime``, ``DescribeAlarmHistory``,
``DescribeScalingActivities``, ``DescribeAutoScalingGroups`` and ``DescribeTargetHealth``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from ..lab import Lab
from ..traffic.generator import LoadRun, open_model
from ..traffic.stats import RequestStats
from .surge import Surge, SurgeStatus
from .surge_plan import REQUEST_TIMEOUT_S, LoadPlan, plan_load, require_confirmation
from .surge_story import cloudwatch_story

__all__ = ["LoadSurge", "LoadSurgeStatus", "load_surge"]

#: How long after its duration (or a stop) the run may take to end: one request's timeout, and a second to close.
END_BOUND_S = REQUEST_TIMEOUT_S + 1.0

#: Test-only: an aiohttp resolver that maps the ALB's DNS name to a loopback server standing for the ALB. None (the
#: system's DNS) everywhere else; no argument of any public call reaches it.
_RESOLVER: Any = None


@dataclass
class LoadSurgeStatus(SurgeStatus):
    """:class:`SurgeStatus`, plus what this machine's requests got back so far."""

    requests: int = 0
    failures: int = 0
    status_codes: dict[str, int] = field(default_factory=dict)  # "200" -> count; "0" means no answer at all
    sending: bool = False


@dataclass
class LoadSurge(Surge):
    """A surge of real requests to the lab's ALB: :class:`Surge`'s milestones and calls, plus :meth:`wait` and
    :attr:`stats`."""

    plan: LoadPlan | None = None
    _run: LoadRun | None = field(default=None, repr=False)

    @property
    def stats(self) -> RequestStats:
        """Locust-style statistics of the requests sent so far (live while it runs)."""
        return self._run.stats

    @property
    def running(self) -> bool:
        return self._run is not None and self._run.running

    def status(self) -> LoadSurgeStatus:
        if not self.running and not self._stopped:  # the duration is over: the users have left
            self._mark_left()
        base = super().status()
        total = self.stats.total
        codes = {str(k): int(round(v)) for k, v in sorted(total.status.items())}
        return LoadSurgeStatus(**{f.name: getattr(base, f.name) for f in fields(base)}, requests=total.num_real,
                               failures=int(round(total.num_failures)), status_codes=codes, sending=self.running)

    def wait_until(self, milestone: str = "scaled_out", timeout_s: float = 180.0, fast_forward: bool | None = None,
                   step_s: float = 30.0) -> SurgeStatus:
        """:meth:`Surge.wait_until` in real time; Ctrl-C stops the requests before it returns to you."""
        try:
            return super().wait_until(milestone, timeout_s, fast_forward, step_s)
        except KeyboardInterrupt:
            self.stop()
            raise

    def wait(self, timeout_s: float | None = None) -> RequestStats:
        """Block until the requests end (their duration, or :meth:`stop`); Ctrl-C stops them. Returns the stats."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        try:
            while self.running and (deadline is None or time.monotonic() < deadline):
                # Sleep, not join: Ctrl-C during Thread.join() can mark a thread stopped that still runs (CPython's
                # bpo-45274 handling), and then running would lie.
                time.sleep(0.1)
            self._run.wait(0)  # raises the run's error, if it had one
        except KeyboardInterrupt:
            self.stop()
            raise
        if not self.running:
            self._mark_left()
        return self.stats

    def stop(self, on_the_minute: bool = False) -> None:
        """The users leave: no more requests (those in flight end within one request timeout)."""
        if self._run is not None:
            self._run.stop()
            self._run.wait(END_BOUND_S)
        self._mark_left()

    def _mark_left(self) -> None:
        if self._leave is None:
            self._leave = time.time()
        self._stopped = True

    def reset(self) -> None:
        """Stop the requests, then put the group's desired capacity back (as :meth:`Surge.reset`)."""
        self.stop()
        super().reset()

    def story(self, since: datetime | None = None) -> Any:
        """The surge in AWS's records since it began (or ``since``): CloudWatch's minutes of the ALB's metrics, the
        group's alarms' state changes, and Auto Scaling's activities."""
        t0 = since.timestamp() if since is not None else self._t0
        alarms, _rising = self._alarms()
        return cloudwatch_story(self._lab, self.plan.load_balancer_arn, self.auto_scaling_group,
                                set(self.target_group_arns), sorted(alarms), t0)


def load_surge(lab: Lab, group: dict, users: tuple[float, float], ramp_s: float, at_s: float, duration_s: float,
               confirm: Any, alb: str | None = None) -> LoadSurge:
    """Plan, confirm, then start the real requests to ``lab``'s ALB (the caller checked ``users``)."""
    plan = plan_load(lab, group, users, ramp_s, at_s, duration_s, alb)
    require_confirmation(plan, confirm)
    t0 = time.time()
    run = LoadRun(open_model, plan.url, plan.shape(), duration_s=plan.duration_s, speed=1.0,
                  max_real_rps=max(plan.rate_from, plan.rate_to), max_requests=plan.max_requests,
                  timeout_s=REQUEST_TIMEOUT_S, resolver=_RESOLVER)
    from ..sim.timeline import iso8601

    load = "{a:g} -> {b:g} requests/s over {ramp:g} s, for {d:g} s".format(
        a=plan.rate_from, b=plan.rate_to, ramp=ramp_s, d=duration_s)
    drill = LoadSurge(group["AutoScalingGroupName"], list(group.get("TargetGroupARNs", [])), load, iso8601(t0), lab,
                      None, t0, group["DesiredCapacity"], group["DesiredCapacity"],
                      _users=(int(users[0]), int(users[1])),
                      _arrive=t0 + at_s, plan=plan, _run=run)
    run.start()
    return drill

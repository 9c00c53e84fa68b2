"""The surge drill: the seed's 100 -> 1000 users, and Auto Scaling catching up.

What AWS does, step by step:

1. more users arrive; each app server's CPU climbs;
2. CloudWatch averages ``CPUUtilization`` over the group every period (60 s with
   detailed monitoring) and an alarm goes to ALARM once enough periods breach
   (the target-tracking *AlarmHigh* wants 3 of 3:
   https://docs.aws.amazon.com/autoscaling/ec2/userguide/target-tracking-scaling-policy-overview.html);
3. the alarm's scaling policy raises the group's desired capacity;
4. Auto Scaling launches instances; each passes its health checks and joins the target group;
5. when the users leave, the low alarm waits longer (15 of 15 periods for target tracking) before it
   scales in: AWS scales out fast and in slowly.

The traffic here is the simulator's load model (the same curves as ``awslab.traffic``),
so CPU, metrics and alarms follow from it exactly; everything the drill reports is read
back through ``describe-alarms``, ``get-metric-statistics``, ``describe-auto-scaling-groups``
and ``describe-target-health``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from ..layers._base import Built
from ..errors import BackendError, ValidationError
from ..lab import Lab
from .failure import DrillError, _lab_groups
from .polling import poll_until
from .simulator import Simulator, simulator
from .story import Story, tell
from ..i18n import _

__all__ = ["surge", "Surge", "SurgeStatus", "SURGE_MILESTONES"]

#: How far a surge has got, in order ("scaled_in" only after :meth:`Surge.stop`).
SURGE_MILESTONES = ("alarm", "scaling", "scaled_out", "scaled_in")


@dataclass
class SurgeStatus(Built):
    """The group and its alarms now, from the standard APIs."""

    desired: int
    in_service: int
    healthy_targets: int
    initial_desired: int
    peak_desired: int
    cpu_percent: float | None  # the group's latest 1-minute average CPUUtilization, if CloudWatch has one
    alarms: dict[str, str] = field(default_factory=dict)  # alarm name -> state
    scale_out_alarms: list[str] = field(default_factory=list)
    stopped: bool = False

    @property
    def alarm(self) -> bool:
        """A scale-out alarm (one that fires when the metric goes up) is in ALARM."""
        return any(self.alarms.get(a) == "ALARM" for a in self.scale_out_alarms)

    @property
    def scaling(self) -> bool:
        """A policy has raised the desired capacity."""
        return self.peak_desired > self.initial_desired

    @property
    def scaled_out(self) -> bool:
        """The extra instances are in service and healthy."""
        return self.desired > self.initial_desired and self.in_service >= self.desired and self.healthy_targets >= self.desired

    @property
    def scaled_in(self) -> bool:
        """After the surge: back down below the peak."""
        return self.stopped and self.scaling and self.desired < self.peak_desired

    def reached(self, milestone: str) -> bool:
        return getattr(self, milestone)


@dataclass
class Surge(Built):
    """A running surge: which group, what load, and how to follow it."""

    #: How far it has got, in order (the Drill contract of :mod:`awslab.drills.registry`).
    milestones: ClassVar[tuple[str, ...]] = SURGE_MILESTONES
    auto_scaling_group: str
    target_group_arns: list[str]
    load: str
    started_at: str
    _lab: Any = field(default=None, repr=False)
    _sim: Simulator | None = field(default=None, repr=False)
    _t0: float = field(default=0.0, repr=False)
    _initial: int = field(default=0, repr=False)
    _peak: int = field(default=0, repr=False)
    _stopped: bool = field(default=False, repr=False)
    _users: tuple[int, int] = field(default=(0, 0), repr=False)
    _arrive: float = field(default=0.0, repr=False)
    _leave: float | None = field(default=None, repr=False)

    @property
    def users_arrive(self) -> datetime:
        """When the surge's users start to arrive (simulated time, UTC), to compare with AWS's timestamps."""
        return datetime.fromtimestamp(self._arrive, timezone.utc)

    @property
    def users_leave(self) -> datetime | None:
        """When the users left (after :meth:`stop`), or None."""
        return None if self._leave is None else datetime.fromtimestamp(self._leave, timezone.utc)

    def _alarms(self) -> tuple[dict[str, str], list[str]]:
        """The group's policies' alarms (name -> state), and which of them fire on a rising metric."""
        asg, cw = self._lab.client("autoscaling"), self._lab.client("cloudwatch")
        names = sorted({a["AlarmName"] for p in asg.describe_policies(AutoScalingGroupName=self.auto_scaling_group)["ScalingPolicies"]
                        for a in p.get("Alarms", [])})
        found = [a for i in range(0, len(names), 100) for a in cw.describe_alarms(AlarmNames=names[i:i + 100])["MetricAlarms"]]
        rising = [a["AlarmName"] for a in found if a.get("ComparisonOperator", "").startswith("GreaterThan")]
        return {a["AlarmName"]: a["StateValue"] for a in found}, rising

    def _cpu(self) -> float | None:
        now = datetime.fromtimestamp(self._sim.now(), timezone.utc) if self._sim else datetime.now(timezone.utc)
        points = self._lab.client("cloudwatch").get_metric_statistics(
            Namespace="AWS/EC2", MetricName="CPUUtilization", Statistics=["Average"], Period=60,
            Dimensions=[{"Name": "AutoScalingGroupName", "Value": self.auto_scaling_group}],
            StartTime=now - timedelta(minutes=5), EndTime=now)["Datapoints"]
        return round(max(points, key=lambda p: p["Timestamp"])["Average"], 1) if points else None

    def status(self) -> SurgeStatus:
        asg, elb = self._lab.client("autoscaling"), self._lab.client("elbv2")
        g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[self.auto_scaling_group])["AutoScalingGroups"][0]
        in_service = {i["InstanceId"] for i in g["Instances"] if i["LifecycleState"] == "InService"}
        healthy = {d["Target"]["Id"] for arn in self.target_group_arns
                   for d in elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
                   if d["TargetHealth"]["State"] == "healthy"} & in_service
        self._peak = max(self._peak, g["DesiredCapacity"])
        alarms, rising = self._alarms()
        return SurgeStatus(g["DesiredCapacity"], len(in_service), len(healthy), self._initial, self._peak, self._cpu(),
                           alarms, rising, self._stopped)

    def wait_until(self, milestone: str = "scaled_out", timeout_s: float = 180.0, fast_forward: bool | None = None,
                   step_s: float = 30.0) -> SurgeStatus:
        """Poll :meth:`status` until ``milestone`` (see :data:`SURGE_MILESTONES`) or ``timeout_s`` wall seconds."""
        if milestone not in SURGE_MILESTONES:
            raise ValidationError("milestone", milestone, _("a surge reaches {items}, in that order").format(
                items=', '.join(SURGE_MILESTONES)),
                                  _("Use wait_until('alarm'), 'scaling', 'scaled_out', or, after stop(), 'scaled_in'."))
        if milestone == "scaled_in" and not self._stopped:
            raise ValidationError("milestone", milestone, _("the group scales in only after the users leave"),
                                  _("Call surge.stop() first, then wait_until('scaled_in')."))
        status, done = poll_until(self.status, lambda st: st.reached(milestone), timeout_s, self._sim, fast_forward, step_s,
                                  what=_("{group} to reach {milestone}").format(
                                      group=self.auto_scaling_group, milestone=milestone))
        if not done:
            raise DrillError(_("The surge did not reach {milestone!r} within {timeout_s:g} s: desired {desired}, in service "
                               "{in_service}, CPU {cpu_percent}%, alarms {alarms}.").format(milestone=milestone, timeout_s=timeout_s, desired=status.desired, in_service=status.in_service, cpu_percent=status.cpu_percent, alarms=status.alarms),
                             _("Give it more time (timeout_s=...) or fast_forward=True. A group without scaling policies "
                             "never scales: build the scaling layer (lab.build())."))
        return status

    def stop(self, on_the_minute: bool = False) -> None:
        """The users leave (no more simulated traffic); the group scales back in, slowly.

        ``on_the_minute``: they leave at the next whole minute, so that a CloudWatch period starts with
        them gone (an alarm's datapoints are whole minutes: the prediction is then exact).
        """
        if self._sim is None:
            self._stopped = True
            return
        if on_the_minute:
            tg = self.target_group_arns[0] if len(self.target_group_arns) == 1 else None
            self._leave = _on_the_minute(self._sim, lambda at_s: self._sim.set_load(
                "users", tg, start=self._users[1], end=0, at_s=at_s))
        else:
            self._sim.clear_load()
            self._leave = self._sim.now()
        self._stopped = True

    def reset(self) -> None:
        """Leave the lab as the surge found it: the users leave at once and the group's desired capacity goes
        back to what it was (``set-desired-capacity``, not waiting for the policies to scale in)."""
        if self._sim is not None:
            self._sim.clear_load()
            self._leave = self._leave or self._sim.now()
        self._stopped = True
        self._lab.client("autoscaling").set_desired_capacity(
            AutoScalingGroupName=self.auto_scaling_group, DesiredCapacity=self._initial, HonorCooldown=False)

    def story(self, since: datetime | None = None) -> Story:
        """Alarms, policies, capacity and launches since the surge began (or ``since``, e.g. ``users_leave``), in
        AWS's words, timed from then."""
        if self._sim is None:
            return Story()
        alarms, _ = self._alarms()
        t0 = since.timestamp() if since is not None else self._t0
        return tell(self._sim.timeline(since=t0), t0, set(), self.auto_scaling_group,
                    set(self.target_group_arns), set(alarms))


def _on_the_minute(sim: Simulator, apply: Any, after_s: float = 0.0) -> float:
    """Call ``apply(at_s)`` with the seconds from now to the first whole minute at least ``after_s`` away, the
    clock held still meanwhile (so the change lands on the minute however slow the call is); returns that
    minute in epoch seconds."""
    sim.pause()
    try:
        now = sim.now()
        at = math.ceil((now + after_s) / 60) * 60
        apply(at - now)
        return at
    finally:
        sim.resume()


def _at(sim: Simulator, apply: Any, when: float) -> float:
    """Call ``apply(at_s)`` so that the change lands at epoch ``when``, the clock held still meanwhile."""
    sim.pause()
    try:
        now = sim.now()
        if when < now:
            raise ValidationError("at", datetime.fromtimestamp(when, timezone.utc).isoformat(),
                                  _("the users cannot arrive in the past (the cloud's clock is at {now})").format(
                                      now=datetime.fromtimestamp(now, timezone.utc).isoformat()),
                                  _("Give a moment after the cloud's current time, or leave at out."))
        apply(when - now)
        return when
    finally:
        sim.resume()


def _real_surge(lab: Lab, group: dict, users: tuple[int, int], ramp_s: float, at_s: float, timed: bool,
                duration_s: float, confirm: bool, alb: str | None) -> Surge:
    """The surge as real requests to the lab's ALB (no simulator: no simulated clock to time the users by)."""
    if timed:
        raise BackendError(_("on_the_minute and at need the embedded cloud's clock; {backend} has none.").format(
            backend=lab.backend), _("Leave them out; at_s=... delays the users by that many seconds from now."))
    from .surge_load import load_surge

    return load_surge(lab, group, users, ramp_s, at_s, duration_s, confirm, alb)


def surge(lab: Lab, users: tuple[int, int] = (100, 1000), ramp_s: float = 60.0, at_s: float = 0.0,
          on_the_minute: bool = False, at: datetime | None = None, duration_s: float = 900.0, confirm: bool = False,
          alb: str | None = None) -> Surge:
    """Start the seed's surge on the lab's Auto Scaling group: ``users[0]`` users, rising to ``users[1]``.

    The users arrive ``at_s`` simulated seconds from now, over ``ramp_s`` seconds (think time 5 s each).
    ``on_the_minute``: they arrive at the first whole minute at least ``at_s`` from now, so the first
    CloudWatch period of the surge is a whole minute of it (see :attr:`Surge.users_arrive`).
    ``at``: they arrive at that moment of the cloud's time (a known event, such as a sale at 20:00).

    Without the simulator (LocalStack, a real account) the users are real requests from this machine to the lab's
    own ALB, one every 5 s per user, for ``duration_s`` seconds (``alb``: which of the lab's ALBs, by name or DNS
    name): refused, showing the plan, its caps and its cost, unless ``confirm=True`` (see
    :mod:`awslab.drills.surge_load`).
    """
    if len(users) != 2 or min(users) < 0:
        raise ValidationError("users", users, _("two user counts, before and after the surge, neither negative"),
                              _("Use users=(100, 1000), the seed's surge."))
    sim = simulator(lab)
    groups = _lab_groups(lab)
    if not groups:
        raise DrillError(_("Lab {name!r} has no Auto Scaling group.").format(
            name=lab.name), _("Build it first: lab.build()."))
    g = groups[0]
    if sim is None:
        return _real_surge(lab, g, users, ramp_s, at_s, on_the_minute or at is not None, duration_s, confirm, alb)
    tgs = list(g.get("TargetGroupARNs", []))
    t0 = sim.now()
    tg = tgs[0] if len(tgs) == 1 else None  # the load model holds one shape: for the group's one TG, or for every TG

    def start(delay_s: float) -> None:
        sim.set_load("users", tg, start=users[0], end=users[1], at_s=delay_s, ramp_s=ramp_s)

    if at is not None:
        arrive = _at(sim, start, at.timestamp())
    elif on_the_minute:
        arrive = _on_the_minute(sim, start, at_s)
    else:
        start(at_s)
        arrive = t0 + at_s
    from ..sim.timeline import iso8601

    return Surge(g["AutoScalingGroupName"], tgs, f"{users[0]} -> {users[1]} users over {ramp_s:g} s", iso8601(t0),
                 lab, sim, t0, g["DesiredCapacity"], g["DesiredCapacity"], _users=(users[0], users[1]), _arrive=arrive)

"""The health-check tuning drill: what faster health checks buy, and what they cost.

A target group's health check has four knobs (``HealthCheckIntervalSeconds``,
``HealthCheckTimeoutSeconds``, ``HealthyThresholdCount``, ``UnhealthyThresholdCount``:
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
Turned one way, the ALB notices a dead server sooner; turned too far, it also takes a
*working* server out of service whenever its ``/health`` answers a little slowly.

The drill measures both, for several settings at once, in one run on the lab's own stack:

1. one temporary target group per setting, each used by a listener rule on the lab's ALB
   (a target group no load balancer uses is never checked);
2. two servers of their own, launched from the lab's launch template outside the Auto Scaling
   group (so that Auto Scaling replaces neither), registered in every one of those groups;
3. once both are healthy everywhere: one server's app **crashes** (the time to its first
   ``unhealthy`` is the *detection time*), and the other's becomes **slow but working**
   (``/health`` answers in 3.5-6.0 s by default, each answer its own: a 5 s timeout fails
   two checks in five; every ``healthy -> unhealthy`` of that server is a *false alarm*);
4. an hour of simulated time later, the simulator's timeline of ``describe-target-health``
   changes gives the table (:meth:`HealthCheckTuning.result`).

Everything it creates carries the tag ``awslab:drill=health_check_tuning`` (and the lab's tags,
so teardown finds it too); :func:`reset_health_check_tuning` removes it, also from a fresh kernel.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import BackendError, ValidationError
from ..i18n import N_, _
from ..lab import Lab
from ..layers import validate
from ..layers._base import Built
from ..layers.loadbalancing import LoadBalancerSpec
from .failure import DrillError, detection_window
from .health_check_results import HealthCheckSetting, TuningResult, measure_row
from .health_check_setup import Setup, prepare, record_measurements, reset_health_check_tuning
from .polling import poll_until
from .simulator import Simulator, simulator
from .story import Story, tell

__all__ = ["health_check_tuning", "HealthCheckTuning", "TuningStatus", "HealthCheckSetting", "TuningResult",
           "SEED", "AGGRESSIVE", "TUNED", "SlowApp", "TUNING_MILESTONES", "reset_health_check_tuning",
           "validate_setting"]

_SEED_SPEC = LoadBalancerSpec()
#: The seed's target group (awslab.layers.loadbalancing): every 30 s, 5 s timeout, 2 to come back, 3 to go.
SEED = HealthCheckSetting("seed", _SEED_SPEC.health_check_interval_seconds, _SEED_SPEC.health_check_timeout_seconds,
                          _SEED_SPEC.healthy_threshold_count, _SEED_SPEC.unhealthy_threshold_count)
#: Fast detection: AWS's shortest interval, a timeout just below it, the fewest failures allowed.
AGGRESSIVE = HealthCheckSetting("aggressive", 5, 4, 2, 2)
#: Fast detection that a 3.5-6.0 s /health cannot fool: the timeout above the app's slowest answer.
TUNED = HealthCheckSetting("tuned", 10, 8, 2, 3)
#: How far a drill has got, in order.
TUNING_MILESTONES = ("ready", "detected", "measured")
#: A simulated hour: long enough for a setting that fails one check in five to show what that costs.
HOUR_S = 3600.0


@dataclass(frozen=True)
class SlowApp:
    """The working server's ``/health``: ``delay_ms`` give or take ``jitter_ms``, each answer drawn anew."""

    delay_ms: float = 4750.0
    jitter_ms: float = 1250.0

    def text(self) -> str:
        return f"{(self.delay_ms - self.jitter_ms) / 1000:.1f}-{(self.delay_ms + self.jitter_ms) / 1000:.1f} s"


def validate_setting(setting: HealthCheckSetting) -> None:
    """AWS's limits (interval 5-300 s, timeout 2-120 s and below the interval, thresholds 2-10), before anything
    is created; a clear error naming the setting and the fix otherwise."""
    if not isinstance(setting, HealthCheckSetting):
        raise ValidationError("settings", setting, _("each setting is a HealthCheckSetting"),
                              _("Use HealthCheckSetting('mine', 10, 5, 2, 3): name, interval, timeout, healthy and "
                                "unhealthy thresholds."))
    validate.health_check(health_check_interval_seconds=setting.health_check_interval_seconds,
                          health_check_timeout_seconds=setting.health_check_timeout_seconds,
                          healthy_threshold_count=setting.healthy_threshold_count,
                          unhealthy_threshold_count=setting.unhealthy_threshold_count)


@dataclass
class TuningStatus(Built):
    """Each setting's view of the two servers now, from ``describe-target-health``; the simulated time passed."""

    crashed: dict[str, str]  # setting -> the crashed server's state there
    slow: dict[str, str]  # setting -> the slow server's state there
    elapsed_s: float
    span_s: float

    @property
    def ready(self) -> bool:
        return True  # the drill starts the clock only once both servers are healthy in every group

    @property
    def detected(self) -> bool:
        """Every setting has taken the crashed server out of service."""
        return all(state == "unhealthy" for state in self.crashed.values())

    @property
    def measured(self) -> bool:
        """The hour (``span_s``) has passed."""
        return self.elapsed_s >= self.span_s - 1e-6

    def reached(self, milestone: str) -> bool:
        return getattr(self, milestone)


@dataclass
class HealthCheckTuning(Built):
    """A running tuning drill: its settings, its two servers and its target groups."""

    settings: list[HealthCheckSetting]
    crashed_instance: str
    slow_instance: str
    slow_app: str
    started_at: str
    _setup: Setup = field(default=None, repr=False)
    _lab: Any = field(default=None, repr=False)
    _sim: Simulator | None = field(default=None, repr=False)
    _t0: float = field(default=0.0, repr=False)
    _span_s: float = field(default=HOUR_S, repr=False)
    milestones: tuple[str, ...] = field(default=TUNING_MILESTONES, repr=False)

    def status(self) -> TuningStatus:
        elb = self._lab.client("elbv2")
        crashed, slow = {}, {}
        for setting, arn in zip(self.settings, self._setup.target_group_arns):
            states = {d["Target"]["Id"]: d["TargetHealth"]["State"]
                      for d in elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]}
            crashed[setting.name] = states.get(self.crashed_instance, "deregistered")
            slow[setting.name] = states.get(self.slow_instance, "deregistered")
        return TuningStatus(crashed, slow, self._sim.now() - self._t0, self._span_s)

    def wait_until(self, milestone: str = "measured", timeout_s: float = 300.0, fast_forward: bool | None = None,
                   step_s: float | None = None) -> TuningStatus:
        """Poll :meth:`status` until ``milestone`` (see :data:`TUNING_MILESTONES`) or ``timeout_s`` wall seconds.

        ``fast_forward`` moves the simulated clock ``step_s`` at a time (the default in virtual time): by default
        5 s towards "detected" (the shortest interval AWS allows) and 300 s towards "measured".
        """
        if milestone not in TUNING_MILESTONES:
            raise ValidationError("milestone", milestone, _("a tuning drill reaches {items}, in that order").format(
                items=", ".join(TUNING_MILESTONES)), _("Use wait_until('detected') or wait_until('measured')."))
        expect = self._span_s if milestone == "measured" else max(detection_window(s.parameters())[1]
                                                                  for s in self.settings)
        step_s = step_s or (300.0 if milestone == "measured" else 5.0)
        status, done = poll_until(self.status, lambda st: st.reached(milestone), timeout_s, self._sim, fast_forward,
                                  step_s, what=_(AWAITED[milestone]).format(n=len(self.settings)), expect_s=expect,
                                  since=self._t0)
        if not done:
            raise DrillError(_("The tuning drill did not reach {milestone} within {seconds:g} s: {elapsed:.0f} of "
                               "{span:.0f} simulated seconds have passed.").format(
                milestone=milestone, seconds=timeout_s, elapsed=status.elapsed_s, span=self._span_s),
                _("Give it more time (timeout_s=...), or fast_forward=True to move the simulated clock."))
        return status

    def result(self) -> TuningResult:
        """The table: per setting, the detection time measured against its window, false alarms per hour and the
        working server's time out of service, over the simulated time passed so far (at most the hour).

        The figures are also written in tags on each of the drill's target groups (``awslab:measured-*``), where a
        lab's check, which reads only AWS APIs, finds them.
        """
        until = min(self._sim.now(), self._t0 + self._span_s)
        events = [e for iid in (self.crashed_instance, self.slow_instance)
                  for e in self._sim.timeline(since=self._t0, limit=1_000_000, component="elb", resource=iid)]
        rows = [measure_row(s, arn, events, self.crashed_instance, self.slow_instance, self._t0, until,
                            detection_window(s.parameters()))
                for s, arn in zip(self.settings, self._setup.target_group_arns)]
        for row, arn in zip(rows, self._setup.target_group_arns):
            record_measurements(self._lab, arn, row.detection_s, row.false_alarms, row.span_s)
        return TuningResult(rows, self.slow_app, until - self._t0)

    def story(self) -> Story:
        """The two servers' target-health changes in every group, and the faults, in AWS's words."""
        events = self._sim.timeline(since=self._t0, limit=1_000_000)
        return tell(events, self._t0, {self.crashed_instance, self.slow_instance}, None,
                    set(self._setup.target_group_arns))

    def reset(self) -> None:
        """Clear the faults, terminate the drill's servers, delete its listener rules and target groups."""
        reset_health_check_tuning(self._lab)


#: What a wait for each milestone waits for (its progress line).
AWAITED = {"ready": N_("the drill's servers to be healthy in {n} target groups"),
           "detected": N_("the crashed server to be unhealthy in all {n} target groups"),
           "measured": N_("a simulated hour of health checks in {n} target groups")}


def health_check_tuning(lab: Lab, settings: tuple[HealthCheckSetting, ...] = (SEED, AGGRESSIVE, TUNED),
                        slow_app: SlowApp = SlowApp(), span_s: float = HOUR_S, timeout_s: float = 300.0,
                        fast_forward: bool | None = None) -> HealthCheckTuning:
    """Start the drill on the lab's stack: one temporary target group per setting; returns it running.

    The servers are made ready first (launched, registered, healthy everywhere: a wait that shows its
    progress; ``fast_forward`` moves the simulated clock for it, by default only in virtual time); then one
    crashes and the other turns slow, and the clock runs on in the background: ``wait_until("measured")`` (or the
    realtime clock) brings the hour, ``result()`` reads it.
    """
    settings = tuple(settings)
    if not settings or len(settings) > 6:
        raise ValidationError("settings", len(settings), _("one to six settings to compare"),
                              _("Pass settings=(SEED, AGGRESSIVE, TUNED), or your own HealthCheckSetting values."))
    for s in settings:
        validate_setting(s)
    if len({s.name for s in settings}) != len(settings):
        raise ValidationError("settings", [s.name for s in settings], _("each setting has a name of its own"),
                              _("Give every HealthCheckSetting a different name."))
    if not 0 <= slow_app.jitter_ms <= slow_app.delay_ms:
        raise ValidationError("slow_app", slow_app, _("a jitter between 0 and the delay"),
                              _("Use SlowApp(delay_ms=4750, jitter_ms=1250): answers in 3.5-6.0 s."))
    if not 60 <= span_s <= 6 * HOUR_S:
        raise ValidationError("span_s", span_s, _("between 60 s and 6 hours of simulated time"),
                              _("Use span_s=3600, a simulated hour."))
    sim = simulator(lab)
    if sim is None:
        raise BackendError(_("The tuning drill crashes one app and slows another, which needs the embedded cloud's "
                             "simulator; {backend} has no API for that.").format(backend=lab.backend),
                           _("Run it on the embedded backend (awslab.Lab(backend='embedded')), or tune a target group "
                             "on AWS by hand with aws elbv2 modify-target-group."))
    setup = prepare(lab, settings)
    awaited = _(AWAITED["ready"]).format(n=len(settings))
    status, done = poll_until(lambda: setup.all_healthy(lab), bool, timeout_s, sim, fast_forward, 10.0, what=awaited)
    if not done:
        reset_health_check_tuning(lab)
        problem = _("The drill's servers did not become healthy in every target group within {seconds:g} s.")
        raise DrillError(problem.format(seconds=timeout_s),
                         _("Check that the lab's app servers pass their health checks (lab 05), then run the drill "
                           "again with a longer timeout_s."))
    t0 = _break(sim, setup, slow_app)
    from ..sim.timeline import iso8601

    return HealthCheckTuning(list(settings), setup.crashed, setup.slow, slow_app.text(), iso8601(t0), setup, lab, sim,
                             t0, float(span_s))


def _break(sim: Simulator, setup: Setup, slow_app: SlowApp) -> float:
    """Crash one server and slow the other at the same simulated moment (the clock held still); returns it."""
    paused = bool(sim.clock().get("paused"))
    sim.pause()
    try:
        t0 = sim.now()
        sim.inject(setup.crashed, "crash")
        sim.inject(setup.slow, "slow", delay_ms=slow_app.delay_ms, jitter_ms=slow_app.jitter_ms)
        return t0
    finally:
        if not paused:
            sim.resume()


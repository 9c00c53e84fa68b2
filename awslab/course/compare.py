"""The seed's comparison of the four kinds of scaling policy, measured: one surge, each policy alone.

:func:`compare_policies` reads the lab's Auto Scaling group (its sizes, warm-up and
cooldown) and runs the seed's surge (100 -> 1,000 users at once) against a copy of
that group with each kind of policy alone, and with none, in
:mod:`awslab.sim.whatif`: a private simulated account in this kernel, in virtual
time, so half an hour of AWS takes seconds and the student's own group is not touched.
Every reactive policy watches the same thing (the group's average CPU above the same
threshold), so the kind is the only difference.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from ..drills.policy_comparison import ScaleOutTimes
from ..i18n import _
from .tables import Table

__all__ = ["PolicyRun", "PolicyComparison", "compare_policies", "KINDS"]

KINDS = ("target_tracking", "step", "simple", "scheduled", "none")


@dataclass
class PolicyRun(ScaleOutTimes):
    """One kind of policy against the surge: when it added capacity, what users saw, what it cost."""

    kind: str
    label: str
    datapoints_to_alarm: int | None  # its scale-out alarm's M (None: no alarm)
    scale_outs_s: list[float]  # seconds after the users arrived that desired capacity went up
    errors: int  # requests the ALB answered with a 5xx (the queue outlasted its idle timeout)
    error_rate: float
    instance_hours: float
    max_capacity: int


@dataclass(repr=False)
class PolicyComparison:
    """The runs, and the settings they share (read from the lab's group)."""

    runs: list[PolicyRun]
    surge_at_s: float
    duration_s: float
    delivery_delay_s: float
    settings: dict[str, Any] = field(default_factory=dict)

    def run(self, kind: str) -> PolicyRun:
        return next(r for r in self.runs if r.kind == kind)

    def table(self) -> Table:
        rows = [[r.label, _clock(r.first_scale_out_s), ", ".join(_clock(s) for s in r.scale_outs_s[1:]) or "–",
                 r.errors, f"{100 * r.error_rate:.1f} %", round(r.instance_hours, 2), r.max_capacity] for r in self.runs]
        return Table([_("policy"), _("first scale-out"), _("later scale-outs"), _("errors (ALB 5xx)"), _("error rate"),
                      _("instance-hours"), _("most servers")], rows,
                     _("The seed's surge, 100 -> 1,000 users at once, {minutes:.0f} minutes of AWS time; times are after "
                       "the users arrived").format(minutes=(self.duration_s - self.surge_at_s) / 60))

    def __repr__(self) -> str:
        return self.table().text()

    def _repr_html_(self) -> str:
        s = self.settings
        note = _("Each run: a copy of your group (min {min}, desired {desired}, max {max}, DefaultInstanceWarmup {warmup} s), "
                 "t3.micro, one-minute metrics delivered {delay:.0f} s after each minute.").format(
            min=s.get("min"), desired=s.get("desired"), max=s.get("max"), warmup=s.get("warmup"), delay=self.delivery_delay_s)
        return self.table()._repr_html_() + f"<p style='margin:2px 0'>{html.escape(note)}</p>"


def _clock(seconds: float | None) -> str:
    """``+3:00``, or ``-4:50`` for a change before the users arrived; "–" for none."""
    if seconds is None:
        return "–"
    sign, s = ("-" if seconds < 0 else "+"), int(round(abs(seconds)))
    return f"{sign}{s // 60}:{s % 60:02d}"


def compare_policies(lab: Any, group: str, threshold: float = 70.0, surge_at_s: float = 120.0,
                     duration_s: float = 19 * 60) -> PolicyComparison:
    """Run the seed's surge ``surge_at_s`` into ``duration_s`` against each kind of policy alone (see the module)."""
    from ..sim import load, whatif
    from ..sim.policies.target_tracking import HIGH_DATAPOINTS

    g = lab.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
    warmup = int(g.get("DefaultInstanceWarmup") or 0)
    cooldown = int(g.get("DefaultCooldown") or 300)
    sizes = {"min_size": g["MinSize"], "max_size": g["MaxSize"], "desired": g["DesiredCapacity"]}
    setups = [
        ("target_tracking", _("target tracking: keep CPU at {t:g} %").format(t=threshold), HIGH_DATAPOINTS,
         whatif.target_tracking(threshold)),
        ("step", _("step: CPU > {t:g} %, +1/+2/+3 by how far above").format(t=threshold), whatif.SCALE_OUT_PERIODS,
         whatif.step_scaling(threshold, warmup_s=warmup)),
        ("simple", _("simple: CPU > {t:g} %, +1, cooldown {c} s").format(t=threshold, c=cooldown), whatif.SCALE_OUT_PERIODS,
         whatif.simple_scaling(threshold, cooldown_s=cooldown)),
        ("scheduled", _("scheduled: {n} servers, {m:.0f} min before").format(n=g["MaxSize"], m=surge_at_s / 60), None,
         whatif.scheduled([(0, g["MaxSize"])])),
        ("none", _("no policy"), None, whatif.no_policy()),
    ]
    result = whatif.compare(load.seed_surge(at_s=surge_at_s, ramp_s=0), [s[3] for s in setups], duration_s,
                            warmup_s=warmup, **sizes)
    runs = [PolicyRun(kind, label, m, [t - surge_at_s for t in r.scale_outs], round(r.total_errors), r.error_rate,
                      r.instance_hours, r.max_capacity)
            for (kind, label, m, _setup), r in zip(setups, result.runs)]
    settings = {"min": g["MinSize"], "desired": g["DesiredCapacity"], "max": g["MaxSize"], "warmup": warmup,
                "cooldown": cooldown}
    return PolicyComparison(runs, surge_at_s, duration_s, result.delivery_delay_s, settings)

"""The five setups the policy comparison runs: each kind of scaling policy alone, and none.

With no lab, the seed's values: a group of t3.micro (min 2, desired 2, max 6, the builder's sizes), every reactive
policy watching the group's average CPU against the seed's 70 %, and a scheduled action that brings the group to its
maximum five minutes before the surge. With a lab, its own: the instance type of its launch template, its group's
sizes, warm-up and cooldown, its target tracking policy's TargetValue, its step and simple policies with their
alarms exactly as DescribePolicies and DescribeAlarms return them, and the scheduled actions that fire in the hour
before the surge (read in their TimeZone).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from ..i18n import N_, _
from ..layers.autoscaling import AutoScalingSpec
from ..sim import whatif

__all__ = ["KINDS", "ComparisonSettings", "Setup", "seed_settings", "lab_settings", "setups"]

#: The kinds compared, in the order the table shows them.
KINDS = ("target_tracking", "step", "simple", "scheduled", "none")
#: The seed's threshold: "CPU 70% 이상 → 서버 증가".
SEED_CPU_PERCENT = 70.0
#: The seed's schedule: the group at its maximum this long before the surge.
SEED_LEAD_S = 300.0
#: A lab's scheduled actions count when they fire in this window before the surge.
LOOKBACK_S = 3600.0
#: The known surge the lab's schedules are read against: weekdays at 12:00 in Seoul (lab 15's lunch rush).
SURGE_ZONE, SURGE_HOUR = "Asia/Seoul", 12
_EVERYDAY = AutoScalingSpec()


@dataclass(frozen=True)
class ComparisonSettings:
    """What every run shares (the group), and what each kind's setup is made of."""

    source: str  # "seed", or the lab's name
    instance_type: str = "t3.micro"
    min_size: int = _EVERYDAY.min_size
    desired: int = _EVERYDAY.desired_capacity
    max_size: int = _EVERYDAY.max_size
    warmup_s: int = _EVERYDAY.default_instance_warmup
    cooldown_s: int = _EVERYDAY.default_cooldown
    target_value: float = SEED_CPU_PERCENT
    threshold: float = SEED_CPU_PERCENT
    #: (offset from the surge in seconds, sizes) of each scheduled change; empty: the seed's
    schedule: tuple[tuple[float, dict[str, int]], ...] = ()
    #: DescribePolicies + DescribeAlarms of the lab's step / simple policies; empty: the seed's
    step: tuple[tuple[dict, ...], tuple[dict, ...]] = ((), ())
    simple: tuple[tuple[dict, ...], tuple[dict, ...]] = ((), ())
    #: Where a value came from when the lab had none of its own (kind -> English note), for the table's caption.
    notes: dict[str, str] = field(default_factory=dict)

    def group_options(self) -> dict[str, Any]:
        return {"instance_type": self.instance_type, "min_size": self.min_size, "max_size": self.max_size,
                "desired": self.desired, "warmup_s": self.warmup_s}


@dataclass(frozen=True)
class Setup:
    kind: str
    label: str
    setup: whatif.PolicySetup


def seed_settings() -> ComparisonSettings:
    return ComparisonSettings("seed")


def setups(s: ComparisonSettings, surge_at_s: float) -> list[Setup]:
    """The five setups, labelled in the student's language."""
    schedule = s.schedule or ((-SEED_LEAD_S, {"MinSize": s.max_size, "DesiredCapacity": s.max_size}),)
    changes = [(max(0.0, surge_at_s + offset), sizes) for offset, sizes in schedule]
    first = min(offset for offset, _sizes in schedule)
    step = whatif.replay("step", *s.step) if s.step[0] else whatif.step_scaling(s.threshold, warmup_s=s.warmup_s)
    simple = (whatif.replay("simple", *s.simple) if s.simple[0]
              else whatif.simple_scaling(s.threshold, cooldown_s=s.cooldown_s))
    return [
        Setup("target_tracking", _("target tracking: CPU {t:g} %").format(t=s.target_value),
              whatif.target_tracking(s.target_value)),
        Setup("step", _("step scaling: {alarms}").format(alarms=_alarms_label(s.step, s.threshold)), step),
        Setup("simple", _("simple scaling: {alarms}").format(alarms=_alarms_label(s.simple, s.threshold)), simple),
        Setup("scheduled", _("scheduled: {minutes:g} min before the surge").format(minutes=-first / 60),
              whatif.scheduled(changes)),
        Setup("none", _("no policy"), whatif.no_policy()),
    ]


def _alarms_label(described: tuple[tuple[dict, ...], tuple[dict, ...]], threshold: float) -> str:
    alarms = described[1] or ({"ComparisonOperator": "GreaterThanThreshold", "Threshold": threshold,
                               "EvaluationPeriods": whatif.SCALE_OUT_PERIODS},)
    ops = {"GreaterThanThreshold": ">", "GreaterThanOrEqualToThreshold": ">="}
    return ", ".join(_("CPU {op} {t:g} % ({m} of {n})").format(
        op=ops[a["ComparisonOperator"]], t=a["Threshold"], m=a.get("DatapointsToAlarm") or a["EvaluationPeriods"],
        n=a["EvaluationPeriods"]) for a in alarms if a["ComparisonOperator"] in ops)


# -- the lab's own ----------------------------------------------------------------------------------------

def lab_settings(lab: Any) -> ComparisonSettings:
    """The settings of the lab's (first) Auto Scaling group and its policies; the seed's where it has none."""
    from .failure import DrillError, _lab_groups

    groups = _lab_groups(lab)
    if not groups:
        raise DrillError(_("Lab {name!r} has no Auto Scaling group to compare policies on.").format(name=lab.name),
                         _("Build it first (lab.build()), or compare with the seed's values: compare_policies()."))
    g = groups[0]
    asg, cw = lab.client("autoscaling"), lab.client("cloudwatch")
    policies = asg.describe_policies(AutoScalingGroupName=g["AutoScalingGroupName"])["ScalingPolicies"]
    s, notes = seed_settings(), {}
    tt = [p for p in policies if p["PolicyType"] == "TargetTrackingScaling" and p["TargetTrackingConfiguration"].get(
        "PredefinedMetricSpecification", {}).get("PredefinedMetricType") == "ASGAverageCPUUtilization"]
    if not tt:
        notes["target_tracking"] = N_("the seed's 70 % (the group has no target tracking policy on its CPU)")
    step, simple = (_described(cw, [p for p in policies if p["PolicyType"] == kind]) for kind in
                    ("StepScaling", "SimpleScaling"))
    if not step[0]:
        notes["step"] = N_("the seed's (the group has no step scaling policy with an alarm)")
    if not simple[0]:
        notes["simple"] = N_("the seed's (the group has no simple scaling policy with an alarm)")
    schedule = _schedule(asg, g["AutoScalingGroupName"])
    if not schedule:
        notes["scheduled"] = N_("the seed's (no scheduled action of the group fires in the hour before the surge)")
    return replace(s, source=lab.name, instance_type=_instance_type(lab, g) or s.instance_type,
                   min_size=g["MinSize"], desired=g["DesiredCapacity"], max_size=g["MaxSize"],
                   warmup_s=int(g.get("DefaultInstanceWarmup") or 0), cooldown_s=int(g.get("DefaultCooldown") or 300),
                   target_value=float(tt[0]["TargetTrackingConfiguration"]["TargetValue"]) if tt else s.target_value,
                   schedule=schedule, step=step, simple=simple, notes=notes)


def _described(cw: Any, policies: list[dict]) -> tuple[tuple[dict, ...], tuple[dict, ...]]:
    """The policies some alarm triggers, and those alarms (DescribeAlarms, matched by their AlarmActions)."""
    arns = {p["PolicyARN"] for p in policies}
    alarms = [a for page in cw.get_paginator("describe_alarms").paginate() for a in page["MetricAlarms"]
              if arns & set(a.get("AlarmActions", []))]
    used = {arn for a in alarms for arn in a.get("AlarmActions", [])}
    return tuple(p for p in policies if p["PolicyARN"] in used), tuple(alarms)


def _instance_type(lab: Any, g: dict) -> str | None:
    spec = g.get("LaunchTemplate") or {}
    if not spec:
        return None
    ref = {"LaunchTemplateId": spec["LaunchTemplateId"]} if spec.get("LaunchTemplateId") else {
        "LaunchTemplateName": spec["LaunchTemplateName"]}
    versions = lab.client("ec2").describe_launch_template_versions(
        Versions=[spec.get("Version") or "$Default"], **ref)["LaunchTemplateVersions"]
    return versions[0]["LaunchTemplateData"].get("InstanceType") if versions else None


def next_surge(after: datetime) -> datetime:
    """The first weekday 12:00 in Seoul after ``after`` (the known surge a lab's schedules are read against)."""
    from zoneinfo import ZoneInfo

    local = after.astimezone(ZoneInfo(SURGE_ZONE)).replace(hour=SURGE_HOUR, minute=0, second=0, microsecond=0)
    while local <= after or local.weekday() >= 5:
        local += timedelta(days=1)
    return local.astimezone(timezone.utc)


def _schedule(asg: Any, group: str) -> tuple[tuple[float, dict[str, int]], ...]:
    """(seconds from the surge, sizes) of every recurring action that fires in the hour before it."""
    from ..sim.policies.scheduled import Cron

    actions = [a for page in asg.get_paginator("describe_scheduled_actions").paginate(AutoScalingGroupName=group)
               for a in page["ScheduledUpdateGroupActions"] if a.get("Recurrence")]
    surge = next_surge(datetime.now(timezone.utc))
    found = []
    for a in actions:
        cron = Cron.parse(a["Recurrence"])
        t = cron.next_after(surge - timedelta(seconds=LOOKBACK_S), a.get("TimeZone"))
        while t is not None and t < surge:
            sizes = {k: int(a[k]) for k in ("MinSize", "MaxSize", "DesiredCapacity") if a.get(k) is not None}
            found.append(((t - surge).total_seconds(), sizes))
            t = cron.next_after(t, a.get("TimeZone"))
    return tuple(sorted(found, key=lambda item: item[0]))

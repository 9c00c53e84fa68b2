"""The policy comparison: the same surge against each kind of scaling policy alone, measured side by side.

The seed compares the kinds in a table of words (who decides, how flexible, how hard to manage).
This drill measures what they mean for users and for the bill. Each setup runs in its own
private, virtual-time account in this process (:mod:`awslab.sim.whatif`: moto + the simulator),
with the same group and the same load, so the kind of policy is the only difference::

    >>> result = compare_policies()             # the seed's values; compare_policies(lab) for yours
    >>> result.table()                           # first scale-out, peak p95, 5xx %, instance-hours
    >>> result.charts()                          # capacity, p95 latency, 5xx per minute, one line each

What AWS's rules fix, and the runs show: a policy scales out only once its alarm has
``DatapointsToAlarm`` breaching periods and the last was delivered; simple scaling then waits its
cooldown; a schedule has the capacity there before the users; no policy costs least and fails most.
Latency is the model's **p95** (``awslab.sim.load``: an M/M/c queue per instance; the minute's worst
target group), not a p99: the model gives p95 per minute, and no finer percentile is claimed.
"""
from __future__ import annotations

import html
import math
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..course.tables import Table
from ..i18n import _
from ..sim import load, whatif
from .policy_setups import KINDS, ComparisonSettings, lab_settings, seed_settings, setups

__all__ = ["AlarmSettings", "ScaleOutTimes", "PolicyOutcome", "PolicyComparisonResult", "compare_policies"]

#: The surge comes this long after the load starts (100 users meanwhile), and the runs follow it this long.
SURGE_AT_S = 600.0
AFTER_SURGE_S = 20 * 60.0


@dataclass(frozen=True)
class AlarmSettings:
    """A scale-out alarm as DescribeAlarms returned it in its run."""

    name: str
    period_s: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    operator: str

    @classmethod
    def of(cls, a: dict) -> "AlarmSettings":
        n = int(a["EvaluationPeriods"])
        return cls(a["AlarmName"], int(a["Period"]), n, int(a.get("DatapointsToAlarm") or n), float(a["Threshold"]),
                   a["ComparisonOperator"])

    def earliest_alarm_s(self, delivery_delay_s: float) -> float:
        """Seconds after a surge that saturates at once until this alarm can be in ALARM: M whole periods, then the
        last datapoint's delivery."""
        return self.period_s * self.datapoints_to_alarm + delivery_delay_s


class ScaleOutTimes:
    """For a result with ``scale_outs_s`` (seconds after the surge that the desired capacity went up)."""

    scale_outs_s: Sequence[float]

    @property
    def first_scale_out_s(self) -> float | None:
        return self.scale_outs_s[0] if self.scale_outs_s else None

    @property
    def gaps_s(self) -> list[float]:
        """Seconds between one scale-out and the next."""
        return [b - a for a, b in zip(self.scale_outs_s, self.scale_outs_s[1:])]


@dataclass(frozen=True)
class PolicyOutcome(ScaleOutTimes):
    """One kind against the surge. Seconds are counted from the surge (negative: before it)."""

    kind: str
    label: str
    scale_outs_s: tuple[float, ...]
    first_alarm_s: float | None
    peak_p95_ms: float
    errors: int
    error_percent: float  # 5xx over all requests the ALB received
    instance_hours: float
    max_capacity: int
    alarms: tuple[AlarmSettings, ...]
    cooldown_s: int | None  # a simple policy's Cooldown, read back with DescribePolicies
    run: whatif.RunResult = field(repr=False)


@dataclass(repr=False)
class PolicyComparisonResult:
    """The five outcomes, and what they shared."""

    outcomes: list[PolicyOutcome]
    settings: ComparisonSettings
    users: tuple[int, int]
    surge_at_s: float
    duration_s: float
    delivery_delay_s: float
    wall_s: float = 0.0

    def outcome(self, kind: str) -> PolicyOutcome:
        return next(o for o in self.outcomes if o.kind == kind)

    def columns(self) -> list[str]:
        return [_("setup"), _("first scale-out (s)"), _("first alarm (s)"), _("peak p95 (ms)"), _("5xx (%)"),
                _("instance-hours"), _("most instances")]

    def rows(self) -> list[list[Any]]:
        """One tidy row per setup: plain numbers (seconds, ms, %, hours); None where there is none."""
        return [[o.label, o.first_scale_out_s, o.first_alarm_s, round(o.peak_p95_ms), round(o.error_percent, 1),
                 round(o.instance_hours, 2), o.max_capacity] for o in self.outcomes]

    def table(self) -> Table:
        return Table(self.columns(), [[("–" if v is None else v) for v in row] for row in self.rows()],
                     self.caption())

    def caption(self) -> str:
        s = self.settings
        return _("{before} -> {after} users, {minutes:.0f} min of AWS time after the surge; each run a copy of the "
                 "group ({source}): {itype}, min {min}, desired {desired}, max {max}, warm-up {warmup} s; one-minute "
                 "metrics delivered {delay:.0f} s after each minute; times in seconds from the surge (negative: "
                 "before it); latency is the model's p95.").format(
            before=self.users[0], after=self.users[1], minutes=(self.duration_s - self.surge_at_s) / 60,
            source=s.source, itype=s.instance_type, min=s.min_size, desired=s.desired, max=s.max_size,
            warmup=s.warmup_s, delay=self.delivery_delay_s)

    def charts(self) -> tuple[Any, ...]:
        """Capacity, p95 latency and 5xx per minute over time, one line per setup (plotly figures)."""
        from .policy_charts import charts

        return charts(self)

    def __repr__(self) -> str:
        return self.table().text()

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(kind)}: {html.escape(_(note))}</li>" for kind, note in self.settings.notes.items())
        return self.table()._repr_html_() + (f"<ul style='margin:2px 0'>{notes}</ul>" if notes else "")


def _outcome(kind: str, label: str, run: whatif.RunResult, surge_at_s: float) -> PolicyOutcome:
    """The run's figures, timed from the surge; alarms and cooldowns as the run's APIs return them."""
    rising = [a for a in run.aws.alarms if a["ComparisonOperator"].startswith("GreaterThan")]
    names = {a["AlarmName"] for a in rising}
    fired = [h["Timestamp"].timestamp() - run.aws.load_started - surge_at_s for h in run.aws.alarm_history
             if h["AlarmName"] in names and h["HistorySummary"].endswith("to ALARM")]
    fired = [t for t in fired if t >= 0]
    cooldowns = [int(p["Cooldown"]) for p in run.aws.policies if p["PolicyType"] == "SimpleScaling" and p.get("Cooldown")]
    after = [p for p in run.points if p.minute >= surge_at_s / 60]
    return PolicyOutcome(kind, label, tuple(t - surge_at_s for t in run.scale_outs), min(fired, default=None),
                         max((p.p95_latency_ms for p in after), default=0.0), round(run.total_errors),
                         100.0 * run.error_rate, run.instance_hours, run.max_capacity,
                         tuple(AlarmSettings.of(a) for a in rising), cooldowns[0] if cooldowns else None, run)


def compare_policies(lab: Any = None, users: tuple[int, int] = (100, 1000), surge_at_s: float = SURGE_AT_S,
                     after_surge_s: float = AFTER_SURGE_S, kinds: tuple[str, ...] = KINDS,
                     settings: ComparisonSettings | None = None, progress: Any = None) -> PolicyComparisonResult:
    """Run ``users[0]`` users, then ``users[1]`` at once at ``surge_at_s``, against each kind alone.

    ``lab``: take the group's and the policies' settings from it (see :mod:`.policy_setups`); else the seed's.
    ``progress(kind, label, done, total)`` is called before each run (the drill's status reads it).
    """
    from ..sim.cloudwatch.delivery import delivery_delay_from_env

    _check_users(users)
    settings = settings or (lab_settings(lab) if lab is not None else seed_settings())
    lead = -min((offset for offset, _sizes in settings.schedule), default=0.0)
    surge_at_s = max(surge_at_s, 60.0 * math.ceil(lead / 60))  # the runs start no later than the first scheduled change
    chosen = [s for s in setups(settings, surge_at_s) if s.kind in kinds]
    shape = load.users(users[0], users[1], at_s=surge_at_s)
    started, outcomes = time.monotonic(), []
    for i, s in enumerate(chosen):
        if progress is not None:
            progress(s.kind, s.label, i, len(chosen))
        run = whatif.run(shape, s.setup, surge_at_s + after_surge_s, **settings.group_options())
        outcomes.append(_outcome(s.kind, s.label, run, surge_at_s))
    return PolicyComparisonResult(outcomes, settings, tuple(users), surge_at_s, surge_at_s + after_surge_s,
                                  delivery_delay_from_env(), time.monotonic() - started)


def _check_users(users: Any) -> None:
    from ..errors import ValidationError

    if len(users) != 2 or min(users) < 0 or users[1] <= users[0]:
        raise ValidationError("users", users, _("two user counts, before and after the surge, the second larger"),
                              _("Use users=(100, 1000), the seed's surge."))


# -- the story, in AWS's words ------------------------------------------------------------------------------

def story_of(result: PolicyComparisonResult) -> Any:
    """Per setup, when its scale-out alarms went to ALARM (DescribeAlarmHistory) and when Auto Scaling changed the
    desired capacity (DescribeScalingActivities' Cause), timed from the surge."""
    from .story import Story, StoryLine, short_name

    lines = []
    for o in result.outcomes:
        aws, zero = o.run.aws, o.run.aws.load_started + result.surge_at_s
        names = {a.name for a in o.alarms}
        for h in aws.alarm_history:
            t = h["Timestamp"].timestamp()
            if h["AlarmName"] in names and h["HistorySummary"].endswith("to ALARM") and t >= zero:
                lines.append(_line(StoryLine, t, zero, "CloudWatch", o.label, h["HistorySummary"],
                                   short_name(h["AlarmName"]), "alarm_state_changed"))
        seen = set()
        for a in aws.activities:
            cause = a.get("Cause", "").split("  ")[0]
            if a["StartTime"].timestamp() >= aws.load_started and "changing the desired capacity" in cause \
                    and cause not in seen:
                seen.add(cause)  # one line per decision, not one per instance it launched
                lines.append(_line(StoryLine, a["StartTime"].timestamp(), zero, "Auto Scaling", o.label, cause,
                                   a.get("Description", ""), "desired_capacity_changed"))
    order = {o.label: i for i, o in enumerate(result.outcomes)}
    return Story(sorted(lines, key=lambda line: (order[line.resource], line.offset_s)))


def _line(cls: Any, t: float, zero: float, actor: str, setup: str, text: str, detail: str, event: str) -> Any:
    from ..sim.timeline import iso8601

    return cls(t - zero, iso8601(t), actor, setup, text, detail, event)


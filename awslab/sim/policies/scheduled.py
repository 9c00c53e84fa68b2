"""Scheduled actions: set min, max and desired at a time, once or on a cron Recurrence.

Source: https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html
(aws-semantics §5.4). ``Recurrence`` is a 5-field Unix cron
(``[Minute] [Hour] [Day_of_Month] [Month_of_Year] [Day_of_Week]``), read in UTC
or in the IANA ``TimeZone`` given (daylight saving handled by :mod:`zoneinfo`).
StartTime/EndTime are UTC. An action runs "within seconds" and may be delayed up to 2 minutes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["SCHEDULED_ACTION_DELAY_S", "Cron", "ScheduledActionSpec", "next_run"]

#: How long after its time an action runs. AWS: "within seconds", up to 2 min: UNCONFIRMED value.
SCHEDULED_ACTION_DELAY_S = 5.0
_NAMES = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
          "oct": 10, "nov": 11, "dec": 12, "sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day_of_month", 1, 31), ("month", 1, 12), ("day_of_week", 0, 7))
#: Search at most this far ahead for the next run (a cron that never matches, e.g. Feb 31).
_HORIZON_DAYS = 366 * 5


def _field(text: str, lo: int, hi: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        rng, _, step = part.partition("/")
        if rng == "*":
            a, b = lo, hi
        else:
            first, _, last = rng.partition("-")
            a = _NAMES.get(first) if first in _NAMES else int(first)
            b = (_NAMES.get(last) if last in _NAMES else int(last)) if last else (hi if step else a)
        if not (lo <= a <= hi and lo <= b <= hi):
            raise ValueError(f"cron value {part!r} is outside {lo}-{hi}")
        values.update(range(a, b + 1, int(step) if step else 1))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    """A parsed 5-field cron expression, e.g. ``Cron.parse("30 6 * * 2")``."""

    minute: frozenset[int]
    hour: frozenset[int]
    day_of_month: frozenset[int]
    month: frozenset[int]
    day_of_week: frozenset[int]
    dom_any: bool
    dow_any: bool

    @classmethod
    def parse(cls, expr: str) -> "Cron":
        parts = expr.split()
        if len(parts) != 5:
            raise ValueError(f"Recurrence {expr!r} must have 5 fields: minute hour day-of-month month day-of-week")
        sets = [_field(p, lo, hi) for p, (_, lo, hi) in zip(parts, _FIELDS)]
        dow = frozenset(d % 7 for d in sets[4])  # 7 is Sunday too
        return cls(sets[0], sets[1], sets[2], sets[3], dow, parts[2] == "*", parts[4] == "*")

    def matches_day(self, d: datetime) -> bool:
        """Unix rule: when both day fields are restricted, either may match."""
        if d.month not in self.month:
            return False
        dom, dow = d.day in self.day_of_month, (d.isoweekday() % 7) in self.day_of_week
        if self.dom_any or self.dow_any:
            return dom and dow
        return dom or dow

    def next_after(self, after: datetime, tz: str | None = None) -> datetime | None:
        """The first run strictly after ``after`` (aware), in UTC; wall times read in ``tz``.

        A wall time skipped by a daylight-saving jump does not run (UNCONFIRMED
        what AWS does); a repeated one runs once, at its first occurrence.
        """
        zone = ZoneInfo(tz) if tz else timezone.utc
        local = after.astimezone(zone)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        for _ in range(_HORIZON_DAYS):
            if self.matches_day(day):
                for h in sorted(self.hour):
                    for m in sorted(self.minute):
                        run = _existing(day.replace(hour=h, minute=m), zone)
                        if run is not None and run > after:
                            return run.astimezone(timezone.utc)
            day += timedelta(days=1)
        return None


def _existing(wall: datetime, zone: Any) -> datetime | None:
    """``wall`` in ``zone``, or None if that wall time doesn't exist (spring forward)."""
    aware = wall.replace(tzinfo=zone, fold=0)
    back = aware.astimezone(timezone.utc).astimezone(zone)
    return aware if back.replace(tzinfo=None) == wall else None


@dataclass(frozen=True)
class ScheduledActionSpec:
    """A scheduled action as put-scheduled-update-group-action takes it."""

    scheduled_action_name: str
    auto_scaling_group_name: str
    min_size: int | None = None
    max_size: int | None = None
    desired_capacity: int | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    recurrence: str | None = None
    time_zone: str | None = None


def next_run(action: ScheduledActionSpec, after: datetime) -> datetime | None:
    """When ``action`` next runs strictly after ``after`` (UTC), or None if never again."""
    if not action.recurrence:
        start = action.start_time
        return start if start is not None and start > after else None
    if action.start_time and action.start_time > after:
        after = action.start_time - timedelta(microseconds=1)
    run = Cron.parse(action.recurrence).next_after(after, action.time_zone)
    if run is None or (action.end_time and run > action.end_time):
        return None
    return run

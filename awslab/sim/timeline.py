"""The event timeline: what happened, when (in simulated time), to which resource.

Drills and dashboards read it to tell the story of a failure the way AWS's
own consoles would: "10:02:30 target i-0abc unhealthy (Target.Timeout)",
"10:03:00 ASG terminating i-0abc", ... Memory is bounded: the timeline *rolls*,
like AWS's own histories (scaling activities older than six weeks are not
returned: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeScalingActivities.html;
CloudTrail's event history keeps 90 days:
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events.html): once :data:`MAX_EVENTS` are
kept, each new event pushes the oldest out, and :attr:`Timeline.dropped` counts
them. An event is ~0.4 KB, so the cap is ~8 MB; 24 simulated hours of the full
stack with a fault every 10 minutes write about 3,000.
"""
from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

__all__ = ["Timeline", "TimelineEvent", "MAX_EVENTS", "iso8601"]

MAX_EVENTS = 20_000


def iso8601(epoch: float) -> str:
    """UTC ISO-8601 with a Z, to the millisecond (``2026-11-26T22:10:00.000Z``)."""
    dt = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One event: ``time`` is simulated epoch seconds, ``iso`` the same in UTC."""

    time: float
    iso: str
    component: str
    resource: str
    event: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Timeline:
    """A bounded, append-only list of :class:`TimelineEvent` stamped by ``now()``."""

    def __init__(self, now: Callable[[], float], maxlen: int = MAX_EVENTS):
        self._now = now
        self._events: deque[TimelineEvent] = deque(maxlen=maxlen)
        #: Events the timeline rolled past (the oldest ones, pushed out by newer ones).
        self.dropped = 0

    def record(self, component: str, resource: str, event: str, **details: Any) -> TimelineEvent:
        t = self._now()
        ev = TimelineEvent(t, iso8601(t), component, resource, event, details)
        if len(self._events) == self._events.maxlen:
            self.dropped += 1
        self._events.append(ev)
        return ev

    def query(self, since: float | None = None, component: str | None = None, resource: str | None = None,
              limit: int | None = None, event: str | None = None) -> list[TimelineEvent]:
        """Events in time order, filtered; ``limit`` keeps the most recent ones."""
        out = [e for e in self._events
               if (since is None or e.time >= since)
               and (component is None or e.component == component)
               and (resource is None or e.resource == resource)
               and (event is None or e.event == event)]
        if limit is not None:
            out = out[-int(limit):] if limit > 0 else []
        return out

    def clear(self) -> None:
        self._events.clear()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._events)

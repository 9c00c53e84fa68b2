"""The expiry tags: when a lab on a real account was made, when it may be deleted, and what it costs an hour.

Every resource a lab creates on the ``aws`` backend carries them next to ``awslab:lab`` (through
:meth:`awslab.lab.Lab.tags`, which every build step uses), so ``awslab sweep`` can find an expired lab with one
Resource Groups Tagging API call per region, from any machine, with nothing remembered locally::

    awslab:created-at   2026-11-30T13:00:00Z   (ISO 8601, UTC)
    awslab:expires-at   2026-11-30T17:00:00Z
    awslab:usd-per-hour 0.1693                  (the estimate the student confirmed)

A lab built again keeps the times its resources already carry, so a re-run creates nothing new (the launch
template's instance tags stay equal) and never extends a lab's life silently.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .. import config

__all__ = ["CREATED_TAG", "EXPIRES_TAG", "COST_TAG", "Expiry", "start", "existing", "parse_time", "iso"]

CREATED_TAG = "awslab:created-at"
EXPIRES_TAG = "awslab:expires-at"
COST_TAG = "awslab:usd-per-hour"


def iso(moment: dt.datetime) -> str:
    """``2026-11-30T17:00:00Z``: ISO 8601 in UTC, to the second."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> dt.datetime | None:
    """A tag's time, or None if someone edited it into something else."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Expiry:
    """A lab's life on a real account."""

    created_at: dt.datetime
    expires_at: dt.datetime
    usd_per_hour: float

    def tags(self) -> dict[str, str]:
        return {CREATED_TAG: iso(self.created_at), EXPIRES_TAG: iso(self.expires_at),
                COST_TAG: f"{self.usd_per_hour:.4f}"}

    @classmethod
    def from_tags(cls, tags: dict[str, str]) -> "Expiry | None":
        created, expires = parse_time(tags.get(CREATED_TAG, "")), parse_time(tags.get(EXPIRES_TAG, ""))
        if created is None or expires is None:
            return None
        try:
            cost = float(tags.get(COST_TAG, "0"))
        except ValueError:
            cost = 0.0
        return cls(created, expires, cost)


def existing(lab: Any) -> Expiry | None:
    """The expiry the lab's resources already carry (the Resource Groups Tagging API), or None."""
    tagging = lab.client("resourcegroupstaggingapi")
    filters = [{"Key": config.LAB_TAG, "Values": [lab.name]}, {"Key": EXPIRES_TAG}]
    for page in tagging.get_paginator("get_resources").paginate(TagFilters=filters):
        for item in page.get("ResourceTagMappingList", []):
            found = Expiry.from_tags({t["Key"]: t["Value"] for t in item.get("Tags", [])})
            if found is not None:
                return found
    return None


def start(lab: Any, hours: float, usd_per_hour: float, now: dt.datetime | None = None) -> Expiry:
    """The lab's expiry: the one its resources carry while it has not passed, else ``hours`` from now."""
    now = now or dt.datetime.now(dt.timezone.utc)
    found = existing(lab)
    if found is not None and found.expires_at > now:
        return found
    return Expiry(now.replace(microsecond=0), (now + dt.timedelta(hours=hours)).replace(microsecond=0), usd_per_hour)

"""The CloudWatch metric store: datapoints as moto keeps them, and how long CloudWatch keeps them.

moto keeps every datapoint of a region in one list (``CloudWatchBackend.metric_data``) forever.
CloudWatch does not (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention):

* "Data points with a period of 60 seconds (1 minute) are available for 15 days";
* "Data points with a period of 300 seconds (5 minute) are available for 63 days";
* "Data points with a period of 3600 seconds (1 hour) are available for 455 days (15 months)";
* "Data points that are initially published with a shorter period are aggregated together for
  long-term storage": after 15 days 1-minute data is retrievable only at 5-minute resolution, after
  63 days only at 1-hour resolution.

:class:`Retention` does the same to the list, so a long simulation keeps a bounded store: a metric
holds at most 15 days of 1-minute points, 48 more days of 5-minute and 392 more days of hourly
statistic sets.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, Iterable

from moto.cloudwatch.models import MetricAggregatedDatum, MetricDatum

__all__ = ["RETENTION", "Retention", "epoch_of", "raw_datum", "statistic_set_datum", "datum_parts"]

DAY_S = 86400
#: (resolution in seconds, how long data at that resolution is kept).
RETENTION = ((60, 15 * DAY_S), (300, 63 * DAY_S), (3600, 455 * DAY_S))
#: Attribute on a moto datum that says its resolution when it is coarser than a minute.
RESOLUTION_ATTR = "awslab_resolution"


def epoch_of(timestamp: Any) -> float:
    """A moto datum's timestamp (naive UTC, aware, or ISO text) as epoch seconds."""
    if isinstance(timestamp, str):
        timestamp = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=timezone.utc)
    return timestamp.timestamp()


def _naive(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)


def raw_datum(namespace: str, name: str, value: float, dims: list[tuple[str, str]], timestamp: float,
              unit: str) -> MetricDatum:
    """One raw value, as PutMetricData ``Value`` stores it."""
    return MetricDatum(namespace, name, float(value), [{"Name": n, "Value": v} for n, v in dims], _naive(timestamp),
                       unit)


def statistic_set_datum(namespace: str, name: str, total: float, count: float, minimum: float, maximum: float,
                        dims: list[tuple[str, str]], timestamp: float, unit: str,
                        resolution: int = 60) -> MetricAggregatedDatum:
    """A statistic set, as PutMetricData ``StatisticValues`` stores it."""
    md = MetricAggregatedDatum(namespace, name, float(minimum), float(maximum), float(count), float(total),
                               [{"Name": n, "Value": v} for n, v in dims], _naive(timestamp), unit)
    if resolution > 60:
        setattr(md, RESOLUTION_ATTR, resolution)
    return md


def datum_parts(md: Any) -> tuple[float, float, float, float] | None:
    """(sum, sample count, minimum, maximum) of a moto datum; None if it holds nothing."""
    value = getattr(md, "value", None)
    if value is not None:
        return float(value), 1.0, float(value), float(value)
    count = getattr(md, "sample_count", None)
    if not count:
        return None
    return float(md.sum), float(count), float(md.min), float(md.max)


def _resolution(md: Any) -> int:
    return getattr(md, RESOLUTION_ATTR, 60)


def _kept_until(md: Any) -> float:
    """When this datum must be rolled up (or dropped)."""
    res = _resolution(md)
    keep = next((k for r, k in RETENTION if r >= res), RETENTION[-1][1])
    return epoch_of(md.timestamp) + keep


class Retention:
    """Rolls a store up as it ages; cheap when nothing is due (it only reads datapoints added since last time)."""

    def __init__(self) -> None:
        self._state: dict[int, tuple[int, float]] = {}  # id(store) -> (datapoints checked, next due time)

    def reset(self) -> None:
        self._state.clear()

    def due(self, store: list, now: float) -> bool:
        checked, next_due = self._state.get(id(store), (0, math.inf))
        if checked > len(store):
            checked, next_due = 0, math.inf
        for md in store[checked:]:
            next_due = min(next_due, _kept_until(md))
        self._state[id(store)] = (len(store), next_due)
        return now >= next_due

    def apply(self, store: list, now: float) -> bool:
        """Roll up or drop what has aged out of its resolution; True if the store changed."""
        if not self.due(store, now):
            return False
        store[:] = _rolled_up(store, now)
        self._state[id(store)] = (len(store), min((_kept_until(md) for md in store), default=math.inf))
        return True


def _target_resolution(age: float) -> int | None:
    return next((res for res, keep in RETENTION if age < keep), None)


def _rolled_up(store: Iterable[Any], now: float) -> list[Any]:
    keep, buckets = [], {}
    for md in store:
        ts = epoch_of(md.timestamp)
        res = _target_resolution(now - ts)
        if res is None:
            continue  # older than 455 days: gone
        if res <= _resolution(md):
            keep.append(md)
            continue
        dims = tuple((d.name, d.value) for d in md.dimensions)
        key = (md.namespace, md.name, dims, md.unit, res, math.floor(ts / res) * res)
        buckets.setdefault(key, []).append(md)
    rolled = []
    for (ns, name, dims, unit, res, start), mds in buckets.items():
        parts = [p for p in map(datum_parts, mds) if p is not None]
        if parts:
            rolled.append(statistic_set_datum(ns, name, sum(p[0] for p in parts), sum(p[1] for p in parts),
                                              min(p[2] for p in parts), max(p[3] for p in parts), list(dims), start,
                                              unit, resolution=res))
    rolled.sort(key=lambda md: epoch_of(md.timestamp))
    return rolled + keep

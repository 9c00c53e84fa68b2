"""The CloudWatch metric store: datapoints as moto keeps them, and how long CloudWatch keeps them.

moto keeps every datapoint of a region in one list (``CloudWatchBackend.metric_data``) forever.
CloudWatch does not
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention):

* "Data points with a period of 60 seconds (1 minute) are available for 15 days";
* "Data points with a period of 300 seconds (5 minute) are available for 63 days";
* "Data points with a period of 3600 seconds (1 hour) are available for 455 days (15 months)";
* "Data points that are initially published with a shorter period are aggregated together for
  long-term storage": after 15 days 1-minute data is retrievable only at 5-minute resolution, after
  63 days only at 1-hour resolution. (A basic-monitoring datapoint already covers five minutes:
  rolling it into its 5-minute bucket leaves it as it was.)

:class:`Retention` does the same to the list, so a long simulation keeps a bounded store: a metric
holds at most 15 days of 1-minute points, 48 more days of 5-minute and 392 more days of hourly
statistic sets.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from moto.cloudwatch.models import MetricAggregatedDatum, MetricDatum

__all__ = ["RETENTION", "Retention", "epoch_of", "raw_datum", "statistic_set_datum", "values_datum", "datum_parts"]

DAY_S = 86400
#: (resolution in seconds, how long data at that resolution is kept).
RETENTION = ((60, 15 * DAY_S), (300, 63 * DAY_S), (3600, 455 * DAY_S))


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
                        dims: list[tuple[str, str]], timestamp: float, unit: str) -> MetricAggregatedDatum:
    """A statistic set, as PutMetricData ``StatisticValues`` stores it."""
    return MetricAggregatedDatum(namespace, name, float(minimum), float(maximum), float(count), float(total),
                                 [{"Name": n, "Value": v} for n, v in dims], _naive(timestamp), unit)


def values_datum(namespace: str, name: str, counts: dict[float, float], dims: list[tuple[str, str]], timestamp: float,
                 unit: str) -> Any:
    """Values with their counts, as PutMetricData ``Values``/``Counts`` stores them (percentiles can be read)."""
    from ...cloud.moto_ext.cloudwatch import MetricValuesDatum

    return MetricValuesDatum(namespace, name, sorted(counts.items()), [{"Name": n, "Value": v} for n, v in dims],
                             _naive(timestamp), unit)


def datum_parts(md: Any) -> tuple[float, float, float, float] | None:
    """(sum, sample count, minimum, maximum) of a moto datum; None if it holds nothing."""
    value = getattr(md, "value", None)
    if value is not None:
        return float(value), 1.0, float(value), float(value)
    count = getattr(md, "sample_count", None)
    if not count:
        return None
    return float(md.sum), float(count), float(md.min), float(md.max)


@dataclass
class _Layout:
    """How :class:`Retention` keeps a store: ``[hourly sets][5-minute sets][raw datapoints, as they arrived]``."""

    hourly: int = 0
    five: int = 0


class Retention:
    """Rolls a store up as it ages, touching only the datapoints that are due.

    The store is kept as three runs: hourly statistic sets, 5-minute statistic sets (each in time order)
    and the raw datapoints in the order they arrived, which is time order give or take a delivery. Each
    sweep takes what has aged out from the front of each run, so its work is proportional to what it
    rolls up, not to the store. (A raw datapoint put with an older timestamp than its neighbours is
    rolled up when the ones before it are.)
    """

    def __init__(self) -> None:
        self._layout: dict[int, _Layout] = {}

    def reset(self) -> None:
        self._layout.clear()

    def apply(self, store: list, now: float) -> int:
        """Roll up or drop what has aged out of its resolution. Returns how far the raw run moved
        (positive: the store grew in front of it), so an index into the raw run can follow."""
        lay = self._layout.setdefault(id(store), _Layout())
        if lay.hourly + lay.five > len(store):
            lay.hourly = lay.five = 0  # the store was replaced or cut behind our back: all of it counts as raw
        raw_at = lay.hourly + lay.five
        hourly_drop = _aged(store, 0, lay.hourly, now - RETENTION[2][1], 3600)
        to_hourly = _aged(store, lay.hourly, raw_at, now - RETENTION[1][1], 3600)
        to_five = _aged(store, raw_at, len(store), now - RETENTION[0][1], 300)
        if not (hourly_drop or to_hourly or to_five):
            return 0
        five = store[lay.hourly + to_hourly:raw_at] + _roll_up(store[raw_at:raw_at + to_five], 300)
        hourly = store[hourly_drop:lay.hourly] + _roll_up(store[lay.hourly:lay.hourly + to_hourly], 3600)
        very_old = _aged(five, 0, len(five), now - RETENTION[1][1], 3600)  # raw data already past 63 days
        if very_old:
            hourly = sorted(hourly + _roll_up(five[:very_old], 3600), key=lambda md: epoch_of(md.timestamp))
            five = five[very_old:]
        hourly = hourly[_aged(hourly, 0, len(hourly), now - RETENTION[2][1], 3600):]
        store[:raw_at + to_five] = hourly + five
        lay.hourly, lay.five = len(hourly), len(five)
        return len(hourly) + len(five) - raw_at - to_five


def _aged(store: list, start: int, end: int, cutoff: float, bucket: int) -> int:
    """How many datapoints from ``start`` on are older than ``cutoff`` (cut to a whole ``bucket``)."""
    cutoff = math.floor(cutoff / bucket) * bucket
    n = 0
    while start + n < end and epoch_of(store[start + n].timestamp) < cutoff:
        n += 1
    return n


def _roll_up(data: list, resolution: int) -> list:
    """Statistic sets per metric and ``resolution``-second bucket, in time order."""
    buckets: dict[tuple, list] = {}
    for md in data:
        start = math.floor(epoch_of(md.timestamp) / resolution) * resolution
        key = (start, md.namespace, md.name, tuple((d.name, d.value) for d in md.dimensions), md.unit)
        parts = datum_parts(md)
        if parts is not None:
            buckets.setdefault(key, []).append(parts)
    return [statistic_set_datum(ns, name, sum(p[0] for p in ps), sum(p[1] for p in ps), min(p[2] for p in ps),
                                max(p[3] for p in ps), list(dims), start, unit)
            for (start, ns, name, dims, unit), ps in sorted(buckets.items(), key=lambda kv: kv[0][0])]

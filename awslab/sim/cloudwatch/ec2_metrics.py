"""``AWS/EC2 CPUUtilization``: the hypervisor's samples, and the datapoints CloudWatch gets from them.

What AWS says:

* CPUUtilization is "the percentage of physical CPU time that Amazon EC2 uses to run the EC2
  instance" (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html):
  a share of time, so a minute's sample is the time-weighted mean of the CPU over that minute
  (:class:`~.traffic.InstanceUsage`), not a reading taken at its end.
* "By default, each data point covers the 5 minutes that follow the start time of activity for the
  instance. If you've enabled detailed monitoring, each data point covers the next minute of
  activity from the start time" (same page). A datapoint is stamped with the start of its period.
* "The hypervisor measures five separate samples per metric during each five-minute interval"
  with basic monitoring; on Nitro instances (t3, m5, c5, ...) the datapoint is a statistic set of
  those samples: SampleCount 5, Sum, Minimum and Maximum of the samples, Average their mean
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ec2-metricscollected.html,
  "Metric collection and calculation on Nitro instances"). Nitro publishes that datapoint after the
  first sample and updates it each minute; the simulator publishes it once, complete, at the end of
  its five minutes.
* With detailed monitoring each minute's sample is its own datapoint (SampleCount 1).

The group's aggregate (dimension ``AutoScalingGroupName``) receives every counted instance's
datapoint as it is, so its Average is the mean over instances and SampleCount says how many samples
(instances x samples each) stand behind it.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .traffic import InstanceUsage

__all__ = ["BASIC_PERIOD_S", "DETAILED_PERIOD_S", "CpuDatapoint", "CpuSamples"]

#: Basic monitoring publishes every 5 minutes; detailed every minute
#: (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-basic-detailed.html).
BASIC_PERIOD_S, DETAILED_PERIOD_S = 300, 60
#: The hypervisor takes one sample a minute.
SAMPLE_S = 60


@dataclass(frozen=True)
class CpuDatapoint:
    """One CPUUtilization datapoint: a statistic set over the samples of its period."""

    timestamp: float  # the start of the period
    total: float
    count: int
    minimum: float
    maximum: float

    @property
    def average(self) -> float:
        return self.total / self.count

    @classmethod
    def of(cls, timestamp: float, samples: list[float]) -> "CpuDatapoint":
        return cls(timestamp, sum(samples), len(samples), min(samples), max(samples))


class CpuSamples:
    """Each instance's one-minute samples, kept for one basic-monitoring period."""

    def __init__(self) -> None:
        self._recent: dict[str, deque[tuple[float, float]]] = {}

    def reset(self) -> None:
        self._recent.clear()

    def add_minute(self, minute_start: float, usage: dict[str, InstanceUsage]) -> dict[str, float]:
        """Record the minute that starts at ``minute_start``; returns each instance's sample (CPU %)."""
        samples = {iid: u.cpu_percent for iid, u in usage.items() if u.cpu_percent is not None}
        for iid, value in samples.items():
            self._recent.setdefault(iid, deque(maxlen=BASIC_PERIOD_S // SAMPLE_S)).append((minute_start, value))
        for iid in [i for i, q in self._recent.items() if q[-1][0] < minute_start - BASIC_PERIOD_S]:
            del self._recent[iid]  # gone for a whole period (stopped or terminated)
        return samples

    def datapoint(self, instance_id: str, period_end: float, detailed: bool) -> CpuDatapoint | None:
        """The datapoint of the period that ends at ``period_end`` (None: nothing to publish now)."""
        period = DETAILED_PERIOD_S if detailed else BASIC_PERIOD_S
        if int(period_end) % period:
            return None
        start = period_end - period
        values = [v for t, v in self._recent.get(instance_id, ()) if start <= t < period_end]
        return CpuDatapoint.of(start, values) if values else None

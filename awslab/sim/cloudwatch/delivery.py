"""When a datapoint becomes readable: CloudWatch's delivery delay.

AWS: "Amazon CloudWatch data for a new EC2 instance typically becomes available within one minute
of the end of the first period of time requested (the aggregation period)"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ec2-metricscollected.html).
Observed in practice: about 2 minutes for 1-minute data ([OBS] Datadog's "Cloud Metric Delay"
guide, https://docs.datadoghq.com/integrations/guide/cloud-metric-delay/: "If you receive 1-minute
metrics with CloudWatch, then their availability delay is about 2 minutes"; 2-3 minutes for RDS in
https://github.com/elastic/beats/issues/30915). The default here is AWS's stated bound, one minute
after the period ends; ``AWSLAB_METRIC_DELAY_S`` (or ``CloudWatchSim(delivery_delay_s=...)``) sets it.

Until it is delivered a datapoint is not in the CloudWatch store at all, so GetMetricStatistics,
GetMetricData, ListMetrics and alarm evaluation see the same data at the same moment: an alarm
evaluates what has arrived.
"""
from __future__ import annotations

import heapq
import itertools
import os
from typing import Any

from ...errors import ValidationError
from ...i18n import _

__all__ = ["DEFAULT_DELIVERY_DELAY_S", "MetricDelivery", "delivery_delay_from_env"]

#: Seconds after its period ends that a datapoint becomes readable (AWS: "within one minute").
DEFAULT_DELIVERY_DELAY_S = 60.0
#: The longest delay accepted (an hour; AWS's observed delays are minutes).
MAX_DELIVERY_DELAY_S = 3600.0
#: The environment variable that overrides it (seconds, 0 = at once).
ENV_DELAY = "AWSLAB_METRIC_DELAY_S"


def delivery_delay_from_env(default: float = DEFAULT_DELIVERY_DELAY_S) -> float:
    """The delay ``AWSLAB_METRIC_DELAY_S`` asks for, else ``default``."""
    raw = os.environ.get(ENV_DELAY, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_DELIVERY_DELAY_S:  # also NaN
        raise ValidationError(ENV_DELAY, raw, _("it is the seconds a datapoint takes to reach CloudWatch, 0 to 3600"),
                              _("Set {name}=60 (AWS's stated delay) or unset it.").format(name=ENV_DELAY))
    return value


class MetricDelivery:
    """Datapoints on their way into CloudWatch stores, released when they are due."""

    def __init__(self) -> None:
        self._queue: list[tuple[float, int, Any, Any]] = []  # (due, seq, store list, moto datum)
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._queue)

    def reset(self) -> None:
        self._queue.clear()

    def send(self, store: list, datum: Any, due: float) -> None:
        """``datum`` joins ``store`` (a CloudWatch backend's ``metric_data``) at ``due`` (epoch seconds)."""
        heapq.heappush(self._queue, (due, next(self._seq), store, datum))

    def deliver_due(self, now: float) -> int:
        """Put every datapoint due by ``now`` into its store, in the order they were sent; returns how many."""
        n = 0
        while self._queue and self._queue[0][0] <= now + 1e-9:
            _, _, store, datum = heapq.heappop(self._queue)
            store.append(datum)
            n += 1
        return n

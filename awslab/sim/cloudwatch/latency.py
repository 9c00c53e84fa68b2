"""How long requests took, as a distribution: what ``TargetResponseTime``'s percentiles (p50, p99) are read from.

CloudWatch computes a percentile from the values a metric was published with
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Percentiles);
the ALB publishes one value per request. The simulator does not make every request, so it publishes
what the requests of a minute would have been as a rounded histogram (values with counts, as
``PutMetricData`` ``Values``/``Counts`` do): each second of each target adds its response-time
distribution, in the slices of :data:`SLICE_EDGES`, from the load model's M/M/c queue (:mod:`awslab.sim.load`):

    R = S + W,  S ~ Exp(mu) the service time,  W = 0 with probability 1 - C, else Exp(c mu - lambda)

(C is Erlang C, the chance a request waits), plus any delay the ``slow`` fault adds. The buckets keep
the model's mean; rounding each value to two significant digits moves ``Average`` by at most 5 %.
"""
from __future__ import annotations

import bisect
import math
from functools import lru_cache

from ..load import InstanceLoad

__all__ = ["SLICE_EDGES", "rounded_buckets", "response_time_cdf", "response_time_quantile", "latency_buckets", "round_latency"]

#: The slices of the distribution (quantile edges) that a second's requests are published in, each at the mean
#: response time of its requests. Narrow around the percentiles people read (p50, p90, p95, p99), so a
#: nearest-rank percentile lands in a slice whose mean is that percentile; few, so a minute stays a dozen values.
SLICE_EDGES = (0.0, 0.15, 0.3, 0.45, 0.55, 0.7, 0.85, 0.93, 0.97, 0.985, 0.995, 0.999, 1.0)
#: Points inside each slice that its mean is taken over.
SLICE_POINTS = 8
#: Points of the distribution computed per load (the quantiles are read between them).
GRID_POINTS = 240


def response_time_cdf(t: float, load: InstanceLoad) -> float:
    """P(R <= t): the chance a request of ``load`` is answered within ``t`` seconds."""
    t -= load.delay_s
    if t <= 0:
        return 0.0
    mu, delta, c = 1.0 / load.service_s, load.drain, load.wait_prob
    no_wait = 1.0 - math.exp(-mu * t)
    if c <= 0 or delta <= 0:
        return no_wait
    if abs(delta - mu) < 1e-9 * mu:
        waited = 1.0 - math.exp(-mu * t) * (1.0 + mu * t)
    else:
        waited = 1.0 - (delta * math.exp(-mu * t) - mu * math.exp(-delta * t)) / (delta - mu)
    return (1.0 - c) * no_wait + c * waited


def _grid(load: InstanceLoad) -> tuple[list[float], list[float]]:
    """(times, CDF at each) from the fastest answers to past the slowest 0.01 %, geometrically spaced."""
    top = load.service_s
    for _ in range(200):  # bounded: doubles until it holds all but 0.005 % of the answers
        if response_time_cdf(load.delay_s + top, load) >= 0.99995:
            break
        top *= 2
    low = load.service_s * 1e-4
    ratio = (top / low) ** (1.0 / (GRID_POINTS - 1))
    times = [load.delay_s + low * ratio ** k for k in range(GRID_POINTS)]
    return times, [response_time_cdf(t, load) for t in times]


def response_time_quantile(q: float, load: InstanceLoad) -> float:
    """The response time below which a share ``q`` of ``load``'s requests are answered (read off the grid)."""
    return _quantiles(load, (q,))[0]


def _quantiles(load: InstanceLoad, qs: tuple[float, ...]) -> list[float]:
    if load.service_s <= 0:
        return [load.latency_s] * len(qs)
    times, cdf = _grid(load)
    out = []
    for q in qs:
        k = min(bisect.bisect_left(cdf, q), len(cdf) - 1)
        if k == 0 or cdf[k] == cdf[k - 1]:
            out.append(times[k])
            continue
        f = (q - cdf[k - 1]) / (cdf[k] - cdf[k - 1])
        out.append(times[k - 1] + f * (times[k] - times[k - 1]))
    return out


def round_latency(seconds: float) -> float:
    """Two significant digits (Locust's rounding, in seconds): a minute holds about a dozen values per target group."""
    return float(f"{seconds:.2g}") if seconds > 0 else 0.0


@lru_cache(maxsize=16384)
def latency_buckets(load: InstanceLoad) -> tuple[tuple[float, float], ...]:
    """(response time, share of requests) for one second of ``load``: each slice of :data:`SLICE_EDGES` at the
    mean of its requests. The top slice carries whatever the rest leave of the model's mean, so the mean is exact."""
    slices = list(zip(SLICE_EDGES, SLICE_EDGES[1:]))
    points = tuple(a + (b - a) * (k + 0.5) / SLICE_POINTS for a, b in slices for k in range(SLICE_POINTS))
    q = _quantiles(load, points)
    values = [sum(q[i * SLICE_POINTS:(i + 1) * SLICE_POINTS]) / SLICE_POINTS for i in range(len(slices))]
    shares = [b - a for a, b in slices]
    rest = sum(v * share for v, share in zip(values[:-1], shares[:-1]))
    values[-1] = max(values[-1], (load.latency_s - rest) / shares[-1])
    return tuple(zip(values, shares))


@lru_cache(maxsize=16384)
def rounded_buckets(load: InstanceLoad) -> tuple[tuple[float, float], ...]:
    """:func:`latency_buckets` with each value rounded (:func:`round_latency`), as a minute's histogram keeps them."""
    return tuple((round_latency(v), share) for v, share in latency_buckets(load))

"""Which target gets the next request: round robin, least outstanding requests, slow start.

The candidates are the target group's *routable* targets: the healthy ones,
or every registered one when none is healthy (fail-open,
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health.html).
Draining targets are never candidates: they finish in-flight requests only
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#deregistration-delay).

Routing algorithms (``load_balancing.algorithm.type``,
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#modify-routing-algorithm):

- ``round_robin`` (default): in turn.
- ``least_outstanding_requests``: the target with the fewest requests in flight.
- Slow start (``slow_start.duration_seconds``, 30-900, off by default): a
  target that just became healthy gets a share rising linearly from 0 to a
  full share over the duration - but only while some other healthy target
  is not in slow start. It can't be combined with least outstanding requests.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["Target", "TargetGroupView", "Picker", "routable"]


@dataclass(frozen=True)
class Target:
    """A registered target as the data plane sees it. ``healthy_since`` (sim epoch) drives slow start."""

    instance_id: str
    ip: str
    port: int
    availability_zone: str = ""
    state: str = "healthy"
    healthy_since: float | None = None


@dataclass
class TargetGroupView:
    """A target group: its traffic ``port``, attributes (as a dict) and current ``routable`` targets."""

    arn: str
    name: str = ""
    port: int = 80
    attributes: dict[str, str] = field(default_factory=dict)
    routable: list[Target] = field(default_factory=list)

    @property
    def algorithm(self) -> str:
        return self.attributes.get("load_balancing.algorithm.type", "round_robin")

    @property
    def slow_start_s(self) -> float:
        return float(self.attributes.get("slow_start.duration_seconds", "0") or 0)


def routable(targets: list[Target]) -> list[Target]:
    """Healthy targets; if none, every registered target that is not draining or unused (fail-open)."""
    healthy = [t for t in targets if t.state == "healthy"]
    if healthy:
        return healthy
    return [t for t in targets if t.state in ("unhealthy", "initial")]


@dataclass
class Picker:
    """Chooses targets for one target group and counts outstanding requests per target."""

    rng: random.Random = field(default_factory=lambda: random.Random(0))
    next_index: int = 0
    outstanding: dict[tuple[str, int], int] = field(default_factory=dict)

    def choose(self, tg: TargetGroupView, now: float) -> Target:
        targets = tg.routable
        if tg.algorithm == "least_outstanding_requests":
            return self._least_outstanding(targets)
        if tg.slow_start_s > 0:
            weights = slow_start_weights(targets, now, tg.slow_start_s)
            if min(weights) < 1.0:
                return self.rng.choices(targets, weights)[0]
        target = targets[self.next_index % len(targets)]
        self.next_index += 1
        return target

    def _least_outstanding(self, targets: list[Target]) -> Target:
        n = len(targets)
        start = self.next_index % n
        self.next_index += 1
        best = min(range(n), key=lambda i: (self.outstanding.get(_key(targets[(start + i) % n]), 0), i))
        return targets[(start + best) % n]

    def started(self, t: Target) -> None:
        self.outstanding[_key(t)] = self.outstanding.get(_key(t), 0) + 1

    def finished(self, t: Target) -> None:
        k = _key(t)
        self.outstanding[k] = max(self.outstanding.get(k, 1) - 1, 0)


def slow_start_weights(targets: list[Target], now: float, duration: float) -> list[float]:
    """Each target's share: ``elapsed / duration`` in slow start (floored so it gets a first request), else 1."""
    weights = []
    for t in targets:
        if t.state == "healthy" and t.healthy_since is not None and now - t.healthy_since < duration:
            weights.append(max((now - t.healthy_since) / duration, 0.01))
        else:
            weights.append(1.0)
    if all(w < 1.0 for w in weights):  # nobody is past slow start: AWS doesn't apply it
        return [1.0] * len(weights)
    return weights


def _key(t: Target) -> tuple[str, int]:
    return (t.instance_id, t.port)

"""Request statistics in the Locust style: per endpoint and aggregated.

Each row counts requests, failures and status codes, and keeps response
times in a *rounded* histogram (1 ms steps below 100 ms, 10 ms below 1 s,
100 ms above), so percentiles cost little memory however long the run.
Every derived figure is a property that cannot divide by zero.

A request can *weigh* more than one: when the lab's virtual load is more
than this machine can send, each real request stands for ``k`` virtual ones
(see :mod:`awslab.traffic.generator`). ``num_requests`` counts virtual
requests; ``num_real`` the ones actually sent.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["StatsEntry", "RequestStats", "round_ms"]


def round_ms(ms: float) -> int:
    """Locust's rounding: keeps 2 significant digits above 100 ms."""
    ms = int(round(ms))
    if ms < 100:
        return ms
    if ms < 1000:
        return int(round(ms, -1))
    return int(round(ms, -2))


@dataclass
class StatsEntry:
    """One row: ``method name`` (or ``Aggregated``)."""

    name: str
    method: str = ""
    num_requests: float = 0.0
    num_real: int = 0
    num_failures: float = 0.0
    total_ms: float = 0.0
    max_ms: float = 0.0
    min_ms: float = math.inf
    status: Counter = field(default_factory=Counter)
    histogram: Counter = field(default_factory=Counter)
    start: float | None = None
    last: float | None = None

    def log(self, status: int | None, ms: float, now: float, weight: float = 1.0) -> None:
        """Count one real request (``status`` None = no answer at all), standing for ``weight`` virtual ones."""
        self.num_requests += weight
        self.num_real += 1
        if status is None or status >= 500:
            self.num_failures += weight
        self.status[status if status is not None else 0] += weight
        self.total_ms += ms * weight
        self.max_ms = max(self.max_ms, ms)
        self.min_ms = min(self.min_ms, ms)
        self.histogram[round_ms(ms)] += weight
        self.start = now if self.start is None else min(self.start, now)
        self.last = now if self.last is None else max(self.last, now)

    @property
    def avg_ms(self) -> float:
        return self.total_ms / self.num_requests if self.num_requests else 0.0

    @property
    def fail_ratio(self) -> float:
        return self.num_failures / self.num_requests if self.num_requests else 0.0

    @property
    def duration_s(self) -> float:
        return (self.last - self.start) if self.start is not None and self.last is not None else 0.0

    @property
    def rps(self) -> float:
        """Virtual requests per second over the row's lifetime."""
        return self.num_requests / self.duration_s if self.duration_s > 0 else 0.0

    def percentile(self, q: float) -> float:
        """Response time (ms) below which a fraction ``q`` of requests finished (0 with no data)."""
        if not self.num_requests:
            return 0.0
        want, seen = q * self.num_requests, 0.0
        for ms in sorted(self.histogram):
            seen += self.histogram[ms]
            if seen >= want:
                return float(ms)
        return float(max(self.histogram))

    def to_dict(self) -> dict:
        return {"method": self.method, "name": self.name, "requests": round(self.num_requests, 1), "real": self.num_real,
                "failures": round(self.num_failures, 1), "rps": round(self.rps, 2), "avg_ms": round(self.avg_ms, 1),
                "p50_ms": self.percentile(0.5), "p95_ms": self.percentile(0.95), "p99_ms": self.percentile(0.99),
                "max_ms": round(self.max_ms, 1), "status": {str(k): round(v, 1) for k, v in sorted(self.status.items())}}


@dataclass
class RequestStats:
    """Rows per (method, name) plus the ``Aggregated`` row."""

    entries: dict[tuple[str, str], StatsEntry] = field(default_factory=dict)
    total: StatsEntry = field(default_factory=lambda: StatsEntry("Aggregated"))

    def log(self, method: str, name: str, status: int | None, ms: float, now: float, weight: float = 1.0) -> None:
        row = self.entries.get((method, name))
        if row is None:
            row = self.entries[(method, name)] = StatsEntry(name, method)
        row.log(status, ms, now, weight)
        self.total.log(status, ms, now, weight)

    def rows(self) -> list[dict]:
        return [e.to_dict() for _, e in sorted(self.entries.items())] + [self.total.to_dict()]

    def __str__(self) -> str:
        head = f"{'Type':<6} {'Name':<24} {'# reqs':>9} {'# fails':>8} {'req/s':>8} {'Avg':>7} {'p50':>6} {'p95':>6} {'p99':>6}"
        lines = [head, "-" * len(head)]
        for r in self.rows():
            lines.append(f"{r['method']:<6} {r['name'][:24]:<24} {r['requests']:>9.0f} {r['failures']:>8.0f} {r['rps']:>8.1f} "
                         f"{r['avg_ms']:>7.1f} {r['p50_ms']:>6.0f} {r['p95_ms']:>6.0f} {r['p99_ms']:>6.0f}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(str(self))}</pre>"

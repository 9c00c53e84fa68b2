"""Faults a drill can inject into one instance, and what the web app answers under each.

The kinds mirror what breaks a real web tier (and AWS FIS's EC2 actions):

- ``crash``: the app process is gone; health checks get "connection refused"
  (``Target.FailedHealthChecks``).
- ``unhealthy``: the app answers ``/health`` with 500 (``Target.ResponseCodeMismatch``).
- ``hang``: the app accepts but never answers (``Target.Timeout``).
- ``slow``: the app answers after ``delay_ms``, give or take ``jitter_ms`` (each answer
  draws its own delay, uniformly, from the simulator's seeded random source; a
  timeout whenever that exceeds the health check timeout). A slow-but-working app
  whose delay straddles the timeout fails a check now and then: a false alarm.
- ``cpu_burn``: the CPU is held at ``percent`` (health checks still pass; the
  CloudWatch model reads it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAULT_KINDS", "Fault", "make_fault"]

FAULT_KINDS = ("crash", "unhealthy", "hang", "cpu_burn", "slow")


@dataclass(frozen=True)
class Fault:
    """One injected fault: ``kind`` plus its parameters (``percent``, ``delay_ms``, ``jitter_ms``)."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    since: float = 0.0

    @property
    def app_mode(self) -> str:
        """The web app's fault mode (:data:`awslab.webapp.app.MODES`) for this fault."""
        return {"crash": "crash", "unhealthy": "unhealthy", "hang": "hang", "slow": "slow"}.get(self.kind, "ok")

    @property
    def delay_s(self) -> float:
        return float(self.params.get("delay_ms", 0)) / 1000.0

    @property
    def jitter_s(self) -> float:
        """How far one answer's delay may stray from :attr:`delay_s`, either way (0: always exactly the delay)."""
        return float(self.params.get("jitter_ms", 0)) / 1000.0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.params, "since": self.since}


def make_fault(kind: str, since: float, **params: Any) -> Fault:
    """Validate and build a :class:`Fault` (``ValueError`` names the problem and the fix)."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"fault kind {kind!r} is not one of {', '.join(FAULT_KINDS)}")
    if kind == "cpu_burn":
        pct = float(params.get("percent", 100))
        if not 0 <= pct <= 100:
            raise ValueError(f"cpu_burn percent must be 0-100, not {pct}")
        params = {"percent": pct}
    elif kind == "slow":
        delay = float(params.get("delay_ms", 1000))
        if not 0 <= delay <= 3_600_000:
            raise ValueError(f"slow delay_ms must be 0-3600000, not {delay}")
        jitter = float(params.get("jitter_ms", 0))
        if not 0 <= jitter <= delay:
            raise ValueError(f"slow jitter_ms must be 0-{delay:g} (at most delay_ms: a delay is never negative), "
                             f"not {jitter:g}")
        params = {"delay_ms": delay, **({"jitter_ms": jitter} if jitter else {})}
    else:
        params = {}
    return Fault(kind, params, since)

"""One health check's verdict, computed without sockets.

In virtual mode (and by default) a check asks the web app's pure function
(:func:`awslab.webapp.app.respond`) what it would answer for the target
group's path, given the instance's state and injected fault. The data plane
can replace ``sim.elb.probe`` with a real HTTP probe in realtime mode.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Target", "ProbeResult", "default_probe", "matcher_accepts"]

#: Round trip of a healthy check on loopback-like networks, seconds (UNCONFIRMED, tiny on purpose).
OK_LATENCY_S = 0.002


@dataclass(frozen=True)
class Target:
    """A registered target as the routing decision sees it."""

    instance_id: str
    port: int
    private_ip: str | None
    availability_zone: str | None
    state: str
    target_group: Any = None


@dataclass(frozen=True)
class ProbeResult:
    """``ok`` plus AWS's reason code when not ok; ``latency_s`` is how long the check took."""

    ok: bool
    status_code: int | None
    reason_code: str | None
    latency_s: float


def matcher_accepts(matcher: dict | None, status: int) -> bool:
    """Does an ALB matcher (``{"HttpCode": "200,202"}`` or ``"200-299"``) accept ``status``?"""
    spec = str((matcher or {}).get("HttpCode") or "200")
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-", 1)
            if int(lo) <= status <= int(hi):
                return True
        elif part and int(part) == status:
            return True
    return False


def default_probe(sim, target: Target) -> ProbeResult:
    """The check's result from the instance's simulated state, fault and the web app's answer."""
    tg = target.target_group
    timeout = float(getattr(tg, "health_check_timeout_seconds", None) or 5)
    rec = sim.ec2.get(target.instance_id)
    refused = ProbeResult(False, None, "Target.FailedHealthChecks", 0.001)
    if rec is None or rec.state != "running" or not rec.app_up:
        return refused  # nothing listens yet (booting) or any more
    hc_port = str(getattr(tg, "health_check_port", None) or "traffic-port")
    if hc_port != "traffic-port" and hc_port.isdigit() and int(hc_port) != int(target.port):
        return refused  # the app listens on the traffic port only
    fault = rec.fault
    mode = fault.app_mode if fault else "ok"
    if mode == "crash":
        return refused
    if mode == "hang":
        return ProbeResult(False, None, "Target.Timeout", timeout)
    path = getattr(tg, "health_check_path", None) or "/"
    status, delay = _app_answer(rec, path, mode, fault.delay_s if fault else 0.0, getattr(rec, "config_error", None))
    if status == 0:
        return refused
    latency = OK_LATENCY_S + delay + (_jitter(sim, fault) if mode == "slow" else 0.0)
    if latency >= timeout:
        return ProbeResult(False, None, "Target.Timeout", timeout)
    if not matcher_accepts(getattr(tg, "matcher", None), status):
        return ProbeResult(False, status, "Target.ResponseCodeMismatch", latency)
    return ProbeResult(True, status, None, latency)


def _jitter(sim, fault) -> float:
    """This answer's deviation from the slow app's delay, from the simulator's seeded source (reproducible)."""
    spread = fault.jitter_s
    return sim.rng("faults.jitter").uniform(-spread, spread) if spread else 0.0


try:
    from ..webapp import app as _webapp
except ImportError:  # the web app is optional for the simulator
    _webapp = None


_ANSWERS: dict[tuple[str, str, float, str | None], tuple[int, float]] = {}


def _app_answer(rec, path: str, mode: str, delay: float, config_error: str | None = None) -> tuple[int, float]:
    """(status, delay) the web app gives ``GET path``. The status depends only on the path, the
    fault and the release's settings problem, so answers are memoised (health checks are the simulator's
    hottest loop)."""
    key = (path, mode, delay, config_error)
    if key not in _ANSWERS:
        if len(_ANSWERS) > 10_000:
            _ANSWERS.clear()
        _ANSWERS[key] = _ask_app(rec, path, mode, delay, config_error)
    return _ANSWERS[key]


def _ask_app(rec, path: str, mode: str, delay: float, config_error: str | None = None) -> tuple[int, float]:
    """Ask the web app's pure function; fall back to a plain model if it isn't importable."""
    webapp = _webapp
    if webapp is not None and hasattr(webapp, "respond"):
        try:
            state = webapp.AppState(mode, delay, config_error)
            ident = webapp.Identity(rec.instance_id, rec.availability_zone, rec.private_ip or "")
            req = webapp.Request("GET", path, {"user-agent": "ELB-HealthChecker/2.0"})
            resp = webapp.respond(req, ident, state, None)
            if resp.crash:
                return 0, 0.0
            return int(resp.status), float(resp.delay)
        except Exception:  # the app's own error is a 500 to the health checker
            return 500, 0.0
    return (500 if mode == "unhealthy" or config_error else 200), delay

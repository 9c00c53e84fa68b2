"""Load, CPU and latency: what a request rate does to an instance.

AWS publishes no "requests per second" for an instance type - that depends on
your app. awslab uses a small, documented *model* instead, so that a surge
hurts before the scale-out lands and the scaling policies differ:

* Each instance type has a **capacity**: the requests/s of the lab's web app
  that drive it to 100 % CPU (:data:`INSTANCE_CAPACITY_RPS`, a model, not
  AWS numbers; it grows with the type's vCPUs and baseline).
* ``CPU% = base + cpu_burn + 100 * load / capacity``, capped at 100.
* Latency comes from an **M/M/c queue** (c = vCPUs): each request needs a
  service time ``S = c / capacity``; waiting grows like ``1/(1 - rho)`` as
  utilisation ``rho`` nears 1 (Erlang C).
* Past saturation the queue grows without bound: the excess requests wait
  until the ALB's idle timeout (60 s) and the ALB answers **504**
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html).

Load shapes are small strategy factories in the Locust style: each returns a
function ``shape(t) -> requests/s`` of the seconds since the load started.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

__all__ = [
    "INSTANCE_CAPACITY_RPS", "INSTANCE_VCPUS", "BASE_CPU_PERCENT", "ALB_IDLE_TIMEOUT_S",
    "DEFAULT_THINK_TIME_S", "InstanceLoad", "LoadShape", "capacity_rps", "instance_load",
    "steady", "step", "spike", "ramp", "users", "seed_surge",
]

#: Requests/s of the lab web app that drive one instance to 100 % CPU.
#: A MODEL, not AWS figures: proportional to vCPUs x the burstable baseline
#: feel of each family. Unknown types fall back to :data:`DEFAULT_CAPACITY_RPS`.
INSTANCE_CAPACITY_RPS: dict[str, float] = {
    "t2.micro": 40.0, "t2.small": 60.0, "t2.medium": 120.0,
    "t3.nano": 25.0, "t3.micro": 50.0, "t3.small": 80.0, "t3.medium": 160.0,
    "t3.large": 200.0, "t3.xlarge": 400.0,
    "t4g.micro": 50.0, "t4g.small": 80.0, "t4g.medium": 160.0,
    "m5.large": 250.0, "m5.xlarge": 500.0, "c5.large": 300.0, "c5.xlarge": 600.0,
}
DEFAULT_CAPACITY_RPS = 50.0

#: vCPUs per type (https://aws.amazon.com/ec2/instance-types/): the c of M/M/c.
INSTANCE_VCPUS: dict[str, int] = {
    "t2.micro": 1, "t2.small": 1, "t2.medium": 2, "t3.nano": 2, "t3.micro": 2,
    "t3.small": 2, "t3.medium": 2, "t3.large": 2, "t3.xlarge": 4, "t4g.micro": 2,
    "t4g.small": 2, "t4g.medium": 2, "m5.large": 2, "m5.xlarge": 4, "c5.large": 2,
    "c5.xlarge": 4,
}

#: CPU an idle instance shows (OS, agent). MODEL constant.
BASE_CPU_PERCENT = 2.0
#: ALB idle timeout default, 60 s: a target that doesn't answer in time gets a 504.
#: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html
ALB_IDLE_TIMEOUT_S = 60.0
#: Utilisation above which the queue is treated as saturated (unbounded growth). MODEL.
SATURATION_RHO = 0.99
#: Percentile reported as "p95".
P95 = 0.95
#: Think time of the seed's users (seconds between one answer and the next click). MODEL.
DEFAULT_THINK_TIME_S = 5.0

LoadShape = Callable[[float], float]


def capacity_rps(instance_type: str) -> float:
    """Requests/s that drive one ``instance_type`` to 100 % CPU (model)."""
    return INSTANCE_CAPACITY_RPS.get(instance_type, DEFAULT_CAPACITY_RPS)


@dataclass(frozen=True)
class InstanceLoad:
    """What ``rps`` requests/s do to one instance.

    ``served_rps + timed_out_rps == rps``; the timed-out ones become ALB 504s.
    Latencies are seconds (``TargetResponseTime``) of the served requests.
    """

    rps: float
    cpu_percent: float
    utilization: float
    latency_s: float
    p95_latency_s: float
    served_rps: float
    timed_out_rps: float
    #: The M/M/c queue behind the latencies (for their distribution, :mod:`awslab.sim.cloudwatch.latency`):
    #: mean service time, probability a request waits, the rate the queue drains (c mu - lambda), added delay.
    service_s: float = 0.0
    wait_prob: float = 0.0
    drain: float = 0.0
    delay_s: float = 0.0

    @property
    def saturated(self) -> bool:
        return self.timed_out_rps > 0


def _erlang_c(c: int, a: float) -> float:
    """Probability that a request must queue in M/M/c with offered load ``a = lambda/mu``."""
    rho = a / c
    term, total = 1.0, 1.0
    for k in range(1, c):
        term *= a / k
        total += term
    last = term * a / c / (1 - rho)
    return last / (total + last)


def _queue_latency(c: int, service_s: float, rps: float) -> tuple[float, float]:
    """(mean, p95) response time in M/M/c: ``S + Wq``; ``P(Wq > t) = C e^{-(c mu - lambda) t}``."""
    if rps <= 0:
        return service_s, service_s * -math.log(1 - P95)
    mu = 1.0 / service_s
    wait_prob = _erlang_c(c, rps / mu)
    drain = c * mu - rps
    mean = service_s + wait_prob / drain
    wq95 = max(0.0, math.log(wait_prob / (1 - P95)) / drain) if wait_prob > 1 - P95 else 0.0
    # service time itself is exponential: its p95 is -ln(0.05) S
    return mean, service_s * -math.log(1 - P95) + wq95


def instance_load(instance_type: str, rps: float, cpu_burn_percent: float = 0.0,
                  slow_delay_ms: float = 0.0, idle_timeout_s: float = ALB_IDLE_TIMEOUT_S) -> InstanceLoad:
    """CPU, latency and timeouts of one instance of ``instance_type`` serving ``rps``.

    ``cpu_burn_percent`` (the cpu_burn fault) eats CPU the app can't use;
    ``slow_delay_ms`` (the slow fault) adds to every response. Example::

        >>> instance_load("t3.micro", 25).cpu_percent   # half of 50 rps
        52.0
    """
    rps = max(0.0, float(rps))
    capacity = capacity_rps(instance_type)
    c = INSTANCE_VCPUS.get(instance_type, 2)
    busy = min(100.0, BASE_CPU_PERCENT + max(0.0, cpu_burn_percent))
    usable = capacity * (100.0 - busy) / 100.0  # requests/s left for the app
    cpu = min(100.0, busy + 100.0 * rps / capacity)
    served = min(rps, usable * SATURATION_RHO)
    rho = served / usable if usable > 0 else 1.0
    service_s = c / capacity
    if usable <= 0:
        return InstanceLoad(rps, 100.0, 1.0, idle_timeout_s, idle_timeout_s, 0.0, rps)
    effective_s = service_s * capacity / usable
    mean, p95 = _queue_latency(c, effective_s, served)
    delay = slow_delay_ms / 1000.0
    mean, p95 = mean + delay, p95 + delay
    if mean >= idle_timeout_s:  # every answer comes too late: all 504
        return InstanceLoad(rps, cpu, rho, idle_timeout_s, idle_timeout_s, 0.0, rps)
    wait_prob = _erlang_c(c, served * effective_s) if served > 0 else 0.0
    return InstanceLoad(rps, cpu, rho, mean, min(p95, idle_timeout_s), served, rps - served,
                        effective_s, wait_prob, c / effective_s - served, delay)


# -- load shapes (Locust-style strategy factories) ---------------------------

def steady(rps: float) -> LoadShape:
    """A constant ``rps`` requests/s."""
    return lambda t: float(rps)


def step(before: float, after: float, at_s: float) -> LoadShape:
    """``before`` req/s, then ``after`` req/s from ``at_s`` seconds on."""
    return lambda t: float(after if t >= at_s else before)


def spike(base: float, peak: float, at_s: float, duration_s: float) -> LoadShape:
    """``base`` req/s with a ``peak`` lasting ``duration_s`` from ``at_s``."""
    return lambda t: float(peak if at_s <= t < at_s + duration_s else base)


def ramp(start: float, end: float, over_s: float, at_s: float = 0.0) -> LoadShape:
    """Linear from ``start`` to ``end`` req/s during ``over_s`` seconds after ``at_s``."""
    def shape(t: float) -> float:
        if t <= at_s or over_s <= 0:
            return float(start if t <= at_s else end)
        return float(start + (end - start) * min(1.0, (t - at_s) / over_s))
    return shape


def users(start: int, end: int, at_s: float = 0.0, ramp_s: float = 0.0,
          think_time_s: float = DEFAULT_THINK_TIME_S, response_time_s: float = 0.05) -> LoadShape:
    """A closed model: ``n`` users each send a request, wait for it, then think.

    Each user sends ``1 / (think_time + response_time)`` req/s (Little's law),
    so 1000 users thinking 5 s make about 200 req/s. A user needs some time per
    request: ``response_time_s`` must be above 0 and ``think_time_s`` at least 0.
    """
    if not (think_time_s >= 0 and response_time_s > 0):  # also refuses NaN
        raise ValueError("think_time_s must be at least 0 and response_time_s above 0 (seconds), not {think} and "
                         "{response}".format(think=think_time_s, response=response_time_s))
    per_user = 1.0 / (think_time_s + response_time_s)
    n = ramp(start, end, ramp_s, at_s) if ramp_s > 0 else step(start, end, at_s)
    return lambda t: n(t) * per_user


def seed_surge(at_s: float = 600.0, ramp_s: float = 60.0) -> LoadShape:
    """The seed notes' scenario: 100 users jump to 1000 (a surge at ``at_s``)."""
    return users(100, 1000, at_s=at_s, ramp_s=ramp_s)

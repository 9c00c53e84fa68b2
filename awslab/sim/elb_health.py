"""ALB target health checks: AWS's state machine, per target group, in simulated time.

Each registered target gets one SimPy process. It reads the target group's
*current* settings from moto before every check (so ``modify-target-group``
takes effect at the next check) and moves through AWS's states:

``initial`` (Elb.RegistrationInProgress, then Elb.InitialHealthChecking)
-> ``healthy`` after the FIRST passing check
-> ``unhealthy`` after UnhealthyThresholdCount consecutive failures
-> ``healthy`` again after HealthyThresholdCount consecutive successes.
A stopped/terminated instance is ``unused`` (Target.InvalidState); a
deregistered target is ``draining`` (Target.DeregistrationInProgress) for the
group's deregistration delay, then gone (Target.NotRegistered). A target group
that no load balancer uses is not checked at all: its targets are ``unused``
(Target.NotInUse) until a listener or rule forwards to the group, then
``initial`` and checked as new targets.

Source: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
and https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html

One logical checker per target stands in for AWS's several LB nodes (each
checks independently; their verdicts agree when a fault is total).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from .health_probe import ProbeResult, Target, default_probe, matcher_accepts

__all__ = ["ELBHealth", "TargetHealth", "Target", "ProbeResult", "REGISTRATION_S", "DESCRIPTIONS",
           "matcher_accepts", "describe_reason"]

log = logging.getLogger("awslab.sim")

#: Time a registration spends in ``initial``/Elb.RegistrationInProgress before the first
#: health check. UNCONFIRMED for ALB (NLB docs: "a few minutes"; tens of seconds typical);
#: a few seconds keeps the lab's timelines readable.
REGISTRATION_S = 5.0

#: How often (simulated seconds) an unused target group looks for a load balancer that uses it.
IN_USE_POLL_S = 5.0


def in_use(tg: Any) -> bool:
    """Does a load balancer use the group now: does a listener's default action, or a rule, forward to it?

    Read from the load balancers themselves: moto's ``load_balancer_arns`` on the group only ever grows
    (a deleted listener stays in it). A group whose backend cannot be found counts as used.
    """
    from moto.elbv2.models import elbv2_backends

    try:
        backend = elbv2_backends[tg.account_id][tg.region_name]
    except (AttributeError, KeyError):
        return True
    for lb in list(backend.load_balancers.values()):
        for listener in list(lb.listeners.values()):
            actions = list(listener.default_actions)
            for rule in list(listener.rules.values()):
                actions += list(rule.actions)
            for action in actions:
                if action.type == "forward" and tg.arn in backend._get_target_group_arns_from(action_data=action.data):
                    return True
    return False


#: API_TargetHealth reason descriptions (aws-semantics §1.2).
DESCRIPTIONS = {
    "Elb.RegistrationInProgress": "Target registration is in progress",
    "Elb.InitialHealthChecking": "Initial health checks in progress",
    "Target.Timeout": "Request timed out",
    "Target.FailedHealthChecks": "Health checks failed",
    "Target.NotRegistered": "Target is not registered to the target group",
    "Target.NotInUse": "Target group is not configured to receive traffic from the load balancer",
    "Target.DeregistrationInProgress": "Target deregistration is in progress",
    "Elb.InternalError": "Health checks failed due to an internal error",
}


def describe_reason(reason: str | None, status_code: int | None = None, instance_state: str | None = None) -> str | None:
    if reason is None:
        return None
    if reason == "Target.ResponseCodeMismatch":
        return f"Health checks failed with these codes: [{status_code}]"
    if reason == "Target.InvalidState":
        word = "terminated" if instance_state in ("shutting-down", "terminated") else "stopped"
        return f"Target is in the {word} state"
    return DESCRIPTIONS.get(reason)


@dataclass
class TargetHealth:
    """The simulator's record of one (target group, target id, port)."""

    target_group_arn: str
    instance_id: str
    port: int
    state: str = "initial"
    reason: str | None = "Elb.RegistrationInProgress"
    description: str | None = DESCRIPTIONS["Elb.RegistrationInProgress"]
    ok_streak: int = 0
    fail_streak: int = 0
    registered_at: float = 0.0
    draining_until: float | None = None
    gen: int = 0
    checks: int = 0


class ELBHealth:
    """The ELB subsystem (``sim.elb``): target health and the routing decision."""

    def __init__(self) -> None:
        self.sim = None
        self.targets: dict[tuple[str, str], TargetHealth] = {}  # (tg arn, target id)
        self._groups: dict[str, Any] = {}  # tg arn -> moto FakeTargetGroup
        #: Replaceable: decides each health check's result (the data plane swaps in real HTTP).
        self.probe: Callable[[Target], ProbeResult] = self._default_probe

    def start(self, sim) -> None:
        self.sim = sim
        sim.on("instance_state", self._on_instance_state)

    def reset(self) -> None:
        for th in self.targets.values():
            th.gen += 1
        self.targets.clear()
        self._groups.clear()

    # -- probes ---------------------------------------------------------------
    def health(self, target_group_arn: str, instance_id: str) -> TargetHealth | None:
        return self.targets.get((target_group_arn, instance_id))

    def targets_of(self, target_group_arn: str) -> list[TargetHealth]:
        return [th for (arn, _), th in self.targets.items() if arn == target_group_arn]

    def target(self, th: TargetHealth) -> Target:
        rec = self.sim.ec2.get(th.instance_id)
        tg = self._groups.get(th.target_group_arn)
        return Target(th.instance_id, th.port, rec.private_ip if rec else None,
                      rec.availability_zone if rec else None, th.state, tg)

    def routable_targets(self, target_group_arn: str) -> list[Target]:
        """Where the ALB sends requests: healthy targets; if there are none, every
        unhealthy one (fail-open, aws-semantics §1.3:
        https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health.html).
        ``initial``, ``unused`` and ``draining`` targets never get new requests."""
        ths = self.targets_of(target_group_arn)
        healthy = [th for th in ths if th.state == "healthy"]
        chosen = healthy or [th for th in ths if th.state == "unhealthy"]
        return [self.target(th) for th in chosen]

    def is_healthy_in_all(self, instance_id: str, target_group_arns: list[str]) -> bool:
        return all((self.health(arn, instance_id) or TargetHealth(arn, instance_id, 0)).state == "healthy"
                   for arn in target_group_arns)

    # -- hooks from the moto extension ---------------------------------------
    def on_register(self, tg, instance_id: str, port: int) -> None:
        """RegisterTargets: a new target starts ``initial``; a draining one is re-registered."""
        self._groups[tg.arn] = tg
        key = (tg.arn, instance_id)
        old = self.targets.get(key)
        if old is not None and old.state != "draining":
            return  # already registered: AWS treats re-registration as a no-op
        if old is not None:
            old.gen += 1
        th = TargetHealth(tg.arn, instance_id, int(port), registered_at=self.sim.now)
        self.targets[key] = th
        if in_use(tg):
            self._changed(th, "initial", "Elb.RegistrationInProgress")
        else:  # nothing will check it: AWS says so at once
            self._changed(th, "unused", "Target.NotInUse")
        self.sim.env.process(self._checks(th, th.gen))

    def on_deregister(self, tg, instance_id: str) -> None:
        """DeregisterTargets (or the instance terminated): drain for the group's deregistration delay."""
        th = self.targets.get((tg.arn, instance_id))
        if th is None or th.state == "draining":
            return
        delay = float(tg.attributes.get("deregistration_delay.timeout_seconds", 300))
        th.gen += 1
        th.draining_until = self.sim.now + delay
        self._changed(th, "draining", "Target.DeregistrationInProgress")
        self.sim.env.process(self._drain(th, th.gen, delay))

    def on_target_group_deleted(self, arn: str) -> None:
        for th in self.targets_of(arn):
            th.gen += 1
            del self.targets[(arn, th.instance_id)]
        self._groups.pop(arn, None)

    def draining_delay_left(self, target_group_arn: str, instance_id: str) -> float:
        th = self.health(target_group_arn, instance_id)
        if th is None or th.draining_until is None:
            return 0.0
        return max(0.0, th.draining_until - self.sim.now)

    # -- processes ------------------------------------------------------------
    def _drain(self, th: TargetHealth, gen: int, delay: float):
        yield self.sim.env.timeout(delay)
        if th.gen != gen or self.targets.get((th.target_group_arn, th.instance_id)) is not th:
            return
        del self.targets[(th.target_group_arn, th.instance_id)]
        self.sim.timeline.record("elb", th.instance_id, "target_deregistered", target_group_arn=th.target_group_arn)
        self.sim.emit("target_health", target_group_arn=th.target_group_arn, instance_id=th.instance_id,
                      port=th.port, state="unused", reason="Target.NotRegistered")

    def _checks(self, th: TargetHealth, gen: int):
        env = self.sim.env
        tg = self._groups.get(th.target_group_arn)
        # Registered while no load balancer used the group: unused / Target.NotInUse at once, no registration to
        # wait for. Decided by the state on_register gave, not by asking again: a listener created in between
        # must still move the target on to initial.
        if tg is not None and th.reason == "Target.NotInUse":
            yield from self._wait_until_used(th, gen, tg)
        else:
            yield env.timeout(REGISTRATION_S)
            if th.gen != gen:
                return
            if th.state == "initial":
                self._changed(th, "initial", "Elb.InitialHealthChecking")
        while th.gen == gen:
            tg = self._groups.get(th.target_group_arn)
            if tg is None:
                return
            interval = float(tg.health_check_interval_seconds or 30)
            timeout = float(tg.health_check_timeout_seconds or 5)
            if not in_use(tg) or th.reason == "Target.NotInUse":
                yield from self._wait_until_used(th, gen, tg)
                continue
            if th.state == "unused":  # stopped instance: no checks until it runs again
                yield env.timeout(interval)
                continue
            try:
                result = self.check(self.target(th))
            except Exception:  # a broken probe is AWS's "internal error", not a dead health checker
                log.exception("health check probe failed for %s", th.instance_id)
                result = ProbeResult(False, None, "Elb.InternalError", 0.0)
            latency = min(max(result.latency_s, 0.0), timeout)
            if latency:
                yield env.timeout(latency)
                if th.gen != gen:
                    return
            self._apply(th, tg, result)
            yield env.timeout(max(interval - latency, 0.001))

    def _wait_until_used(self, th: TargetHealth, gen: int, tg):
        """No load balancer uses the group: ``unused``/Target.NotInUse, no checks; once used, a new target again."""
        if th.reason != "Target.NotInUse":
            th.ok_streak = th.fail_streak = 0
            self._changed(th, "unused", "Target.NotInUse")
        while th.gen == gen and not in_use(tg):
            yield self.sim.env.timeout(IN_USE_POLL_S)
        if th.gen == gen and th.reason == "Target.NotInUse":
            self._changed(th, "initial", "Elb.RegistrationInProgress")
            yield self.sim.env.timeout(REGISTRATION_S)
            if th.gen == gen:
                self._changed(th, "initial", "Elb.InitialHealthChecking")

    def _apply(self, th: TargetHealth, tg, result: ProbeResult) -> None:
        th.checks += 1
        if th.state == "unused":
            return
        if result.ok:
            th.ok_streak, th.fail_streak = th.ok_streak + 1, 0
            healthy_needed = int(tg.healthy_threshold_count or 5)
            # A new target is healthy after ONE passing check; an unhealthy one needs HealthyThresholdCount.
            if th.state == "initial" or (th.state == "unhealthy" and th.ok_streak >= healthy_needed):
                self._changed(th, "healthy", None)
            return
        th.fail_streak, th.ok_streak = th.fail_streak + 1, 0
        unhealthy_needed = int(tg.unhealthy_threshold_count or 2)
        if th.state == "unhealthy" and th.reason != result.reason_code:
            self._changed(th, "unhealthy", result.reason_code, result.status_code)
        elif th.state in ("initial", "healthy") and th.fail_streak >= unhealthy_needed:
            self._changed(th, "unhealthy", result.reason_code, result.status_code)

    def _on_instance_state(self, instance_id: str, state: str) -> None:
        for (arn, iid), th in list(self.targets.items()):
            if iid != instance_id or th.state == "draining" or th.reason == "Target.NotInUse":
                continue
            if state in ("stopping", "stopped", "shutting-down", "terminated"):
                if th.state != "unused":
                    th.ok_streak = th.fail_streak = 0
                    self._changed(th, "unused", "Target.InvalidState", instance_state=state)
            elif state == "running" and th.state == "unused":
                self._changed(th, "initial", "Elb.InitialHealthChecking")

    def _changed(self, th: TargetHealth, state: str, reason: str | None, status_code: int | None = None,
                 instance_state: str | None = None) -> None:
        if instance_state is None and reason == "Target.InvalidState":
            instance_state = self.sim.ec2.state_of(th.instance_id)
        previous = th.state
        th.state, th.reason = state, reason
        th.description = describe_reason(reason, status_code, instance_state)
        self.sim.timeline.record("elb", th.instance_id, "target_health_changed", target_group_arn=th.target_group_arn,
                                 previous=previous, state=state, reason=reason, description=th.description)
        self.sim.emit("target_health", target_group_arn=th.target_group_arn, instance_id=th.instance_id,
                      port=th.port, state=state, reason=reason)

    def _default_probe(self, target: Target) -> ProbeResult:
        return default_probe(self.sim, target)

    def check(self, target: Target) -> ProbeResult:
        """One health check, by ``self.probe`` (real HTTP in realtime mode). While a realtime clock jumps
        ahead (an advance), simulated time outruns any socket, so the check takes the app's modelled answer
        instead: the web app's own ``respond`` for the instance's fault state, the function its real server runs."""
        clock = self.sim.clock
        if clock.advancing and clock.mode == "realtime":  # the data plane's probe still applies the network policy
            modelled = getattr(self.probe, "modelled", None)
            return modelled(target) if modelled is not None else self._default_probe(target)
        return self.probe(target)


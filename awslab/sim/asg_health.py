"""Auto Scaling health checks and replacement of unhealthy instances (mixed into AutoScalingSim).

https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-health-checks.html
- A non-running EC2 state is an immediate failure, even during the grace period: ASG notices
  it at its next sweep (every ASG_HEALTH_SWEEP_S) and replaces it at once, unthrottled.
- With HealthCheckType ELB, an ``unhealthy`` target marks the instance Unhealthy at the next
  periodic sweep, once the grace period (counted from InService) is over.
- Non-running instances and ones marked by set-instance-health are replaced at once; other
  unhealthy ones at most 10 % of desired capacity at a time (at least 1), waiting for earlier
  replacements to pass their initial health check and warm up.
"""
from __future__ import annotations

from .asg_model import ACTIVE, NOT_RUNNING, GroupSim, Member
from .asg_rules import HEALTH_CAUSES, iso_z

__all__ = ["AutoScalingHealth", "ASG_HEALTH_SWEEP_S", "REPLACE_FRACTION", "DEFAULT_RESPECT_GRACE"]

#: Period of ASG's own health sweep. UNCONFIRMED: not documented; "about 1 min" is
#: commonly assumed (aws-semantics §4.1).
ASG_HEALTH_SWEEP_S = 60.0
#: Unhealthy (non-urgent) replacements: at most 10 % of desired capacity at a time, at least 1.
#: https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-health-checks.html
REPLACE_FRACTION = 0.10
#: ShouldRespectGracePeriod when set-instance-health omits it: "by default, this call respects the grace period"
#: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetInstanceHealth.html
DEFAULT_RESPECT_GRACE = True


class AutoScalingHealth:
    """Health checking for :class:`~awslab.sim.autoscaling.AutoScalingSim` (needs its reconcile/_terminate)."""

    def set_instance_health(self, instance_id: str, health_status: str, respect_grace: bool | None = None) -> None:
        gs = self._owner.get(instance_id)
        m = gs.members.get(instance_id) if gs else None
        if m is None:
            return
        if health_status == "Healthy":
            m.state.health_status, m.urgent = "Healthy", False
            return
        respect = DEFAULT_RESPECT_GRACE if respect_grace is None else respect_grace
        if respect and self._in_grace(gs, m):
            self.sim.timeline.record("autoscaling", instance_id, "set_instance_health_ignored", reason="grace period")
            return
        self._mark_unhealthy(gs, m, "USER", urgent=True)
        self._replace_unhealthy(gs)

    def _on_instance_state(self, instance_id: str, state: str) -> None:
        gs = self._owner.get(instance_id)
        m = gs.members.get(instance_id) if gs else None
        if m is None:
            return
        if state == "running" and m.lifecycle == "Pending":
            self._in_service(gs, m)
        elif state == "terminated" and m.lifecycle == "Terminating":
            self._terminated(gs, m)
        # A non-running state fails the EC2 health check even in the grace period; ASG notices
        # it at its next sweep (health_sweep) and then replaces it without throttling.

    def _sweep(self, gs: GroupSim, gen: int):
        while gs.gen == gen and self.groups.get(gs.name) is gs:
            yield self.sim.env.timeout(ASG_HEALTH_SWEEP_S)
            if gs.gen != gen or self.groups.get(gs.name) is not gs:
                return
            self.health_sweep(gs)

    def health_sweep(self, gs: GroupSim) -> None:
        """ASG's periodic health check: EC2 state always; ELB target health when the type is ELB."""
        if not gs.suspended("HealthCheck"):
            for m in list(gs.members.values()):
                if m.lifecycle not in ACTIVE or m.state.health_status != "Healthy":
                    continue
                if self.sim.ec2.state_of(m.instance_id) in NOT_RUNNING:
                    self._mark_unhealthy(gs, m, "EC2", urgent=True)
                elif (m.lifecycle == "InService" and gs.group.health_check_type == "ELB" and not self._in_grace(gs, m)
                      and self._elb_unhealthy(gs, m)):
                    self._mark_unhealthy(gs, m, "ELB", urgent=False)
        self._replace_unhealthy(gs)
        self.reconcile(gs)
        self._rebalance(gs)

    def _rebalance(self, gs: GroupSim) -> None:
        """AZRebalance: when AZ counts differ by more than one (AZs changed, instances detached or
        terminated with a decrement), launch in the emptiest AZ FIRST; once that instance is
        InService, scale-in (AZ balance first) removes one from the fullest AZ.
        https://docs.aws.amazon.com/autoscaling/ec2/userguide/auto-scaling-benefits.html"""
        g = gs.group
        if gs.suspended("AZRebalance") or gs.suspended("Launch") or gs.suspended("Terminate"):
            return
        if any(m.lifecycle not in ("InService",) for m in gs.members.values()):
            return  # only a settled group is rebalanced
        counts = {z: 0 for z in g.availability_zones}
        for m in gs.active():
            counts[m.availability_zone] = counts.get(m.availability_zone, 0) + 1
        if len(counts) < 2 or max(counts.values()) - min(counts.values()) <= 1:
            return
        # May exceed MaxSize by 10 % or 1 instance, whichever is greater, while rebalancing.
        if len(gs.active()) + 1 > int(g.max_size or 0) + max(1, int(0.1 * int(g.max_size or 0))):
            return
        # UNCONFIRMED wording (AWS's rebalancing Cause text is not quoted in the docs we follow).
        self._launch(gs, f"At {iso_z(self.sim.now)} an instance was launched in response to an Availability Zone rebalancing operation.",
                     rebalance=True)

    def _in_grace(self, gs: GroupSim, m: Member) -> bool:
        # The grace period counts from InService ("an EC2 instance that has come into service"):
        # https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html
        grace = int(gs.group.health_check_grace_period or 0)
        start = m.in_service_at if m.in_service_at is not None else self.sim.now
        return grace > 0 and self.sim.now < start + grace

    def _elb_unhealthy(self, gs: GroupSim, m: Member) -> bool:
        return any((self.sim.elb.health(arn, m.instance_id) or _NO_HEALTH).state == "unhealthy"
                   for arn in gs.group.target_group_arns)

    def _mark_unhealthy(self, gs: GroupSim, m: Member, source: str, urgent: bool) -> None:
        m.state.health_status = "Unhealthy"
        m.urgent = m.urgent or urgent
        m.unhealthy_cause = f"At {iso_z(self.sim.now)} {HEALTH_CAUSES[source]}"
        self.sim.timeline.record("autoscaling", m.instance_id, "instance_unhealthy", group_name=gs.name, source=source)

    def _replace_unhealthy(self, gs: GroupSim) -> None:
        """Terminate Unhealthy instances (the replacement launches meanwhile). Urgent ones all at
        once; ELB-unhealthy ones 10 % of desired capacity at a time, waiting for the previous
        replacements to pass their health check and warm up."""
        if gs.suspended("ReplaceUnhealthy") or gs.suspended("Terminate"):
            return
        sick = [m for m in gs.members.values() if m.lifecycle in ACTIVE and m.state.health_status == "Unhealthy"]
        batch = max(1, int(REPLACE_FRACTION * int(gs.group.desired_capacity or 0)))
        in_flight = sum(1 for m in gs.members.values() if m.replacement and not self._settled(gs, m))
        budget = batch - in_flight
        for m in sick:
            if not m.urgent:
                if budget <= 0:
                    continue
                budget -= 1
            gs.replacements_owed += 1
            self._terminate(gs, m, m.unhealthy_cause)
        if sick:
            self.reconcile(gs)

    def _settled(self, gs: GroupSim, m: Member) -> bool:
        """A replacement is in flight while Pending, while its targets are still ``initial``,
        and while it warms up. One that failed its own checks is no longer waited for."""
        if m.lifecycle == "Pending":
            return False
        if m.lifecycle != "InService" or m.state.health_status != "Healthy":
            return True
        if any((self.sim.elb.health(arn, m.instance_id) or _NO_HEALTH).state == "initial"
               for arn in gs.group.target_group_arns):
            return False
        return not self.in_warmup(gs.name, m.instance_id)


class _NoHealth:
    state = None


_NO_HEALTH = _NoHealth()

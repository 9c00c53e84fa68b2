"""EC2 Auto Scaling in simulated time: reconcile desired capacity, replace unhealthy instances.

What the simulator takes over from moto (which launches everything at once in
the first subnet):

- **Reconciliation.** Launch or terminate until Pending+InService equals the
  desired capacity. Launches go to the AZ with the fewest instances; scale-in
  picks its victim by the termination policy, AZ balance first (:mod:`.asg_rules`).
- **Lifecycle.** ``Pending`` -> (instance running; registered with the target
  groups) ``InService`` -> ``Terminating`` (deregistered; waits for the target
  groups' deregistration delay) -> ``Terminated``.
  https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-lifecycle.html
- **Health.** A non-running EC2 state makes an instance Unhealthy at the next
  health sweep, even in the grace period; with HealthCheckType ELB, an ``unhealthy`` target does so
  at the next health sweep, after the grace period. Replacement launches while
  the old instance terminates; ELB-unhealthy replacements go 10 % of desired
  capacity at a time (at least 1).
  https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-health-checks.html
- **Activities** with AWS's Description/Cause wording, StatusCode and Progress.
- **Deletion** (:mod:`.asg_delete`): "Delete in progress", desired/min/max 0, until every instance
  is terminated; then the group is gone.
"""
from __future__ import annotations

from typing import Any

from . import asg_activity as act
from .asg_delete import AutoScalingDeletion
from .asg_capacity import instances_for_desired
from .asg_health import ASG_HEALTH_SWEEP_S, DEFAULT_RESPECT_GRACE, REPLACE_FRACTION, AutoScalingHealth
from .asg_launch import launch_failure, launch_zones
from .asg_model import GroupSim, GroupView, InstanceView, Member
from .asg_rules import cause_sentence, iso_z, launch_cause, pick_victim, refresh_launch_cause, terminate_cause

__all__ = ["AutoScalingSim", "GroupView", "InstanceView", "ASG_HEALTH_SWEEP_S", "REPLACE_FRACTION", "DEFAULT_RESPECT_GRACE"]


class AutoScalingSim(AutoScalingHealth, AutoScalingDeletion):
    """The Auto Scaling subsystem (``sim.autoscaling``)."""

    def __init__(self) -> None:
        self.sim = None
        self.groups: dict[str, GroupSim] = {}
        self.activities: dict[str, list[Any]] = {}  # group name -> activities, oldest first
        self._owner: dict[str, GroupSim] = {}  # instance id -> group

    def start(self, sim) -> None:
        self.sim = sim
        self.rng = sim.rng("autoscaling")
        sim.on("instance_state", self._on_instance_state)

    def reset(self) -> None:
        for gs in self.groups.values():
            gs.gen += 1
        self.groups.clear()
        self.activities.clear()
        self._owner.clear()

    # -- public API -----------------------------------------------------------
    def group(self, name: str) -> GroupView:
        gs = self._require(name)
        g = gs.group
        views = [InstanceView(m.instance_id, m.availability_zone, m.lifecycle, m.state.health_status, m.launch_time)
                 for m in gs.members.values()]
        return GroupView(g.name, int(g.min_size or 0), int(g.max_size or 0), int(g.desired_capacity or 0), views,
                         int(g.default_cooldown or 0), getattr(g, "default_instance_warmup", None),
                         g.health_check_type, int(g.health_check_grace_period or 0), list(g.target_group_arns),
                         list(g.availability_zones))

    def set_desired_capacity(self, group_name: str, desired: int, cause: str, honor_cooldown: bool = False) -> bool:
        """Change desired capacity as a policy/alarm would; ``cause`` is the first Cause sentence
        (e.g. ``"a monitor alarm X in state ALARM triggered policy P"``). Clamped to [min, max].
        Returns False (nothing changed) when the group is being deleted, or when ``honor_cooldown`` and the group is in
        its cooldown."""
        gs = self._require(group_name)
        if gs.deleting or (honor_cooldown and self.in_cooldown(group_name)):
            return False
        g = gs.group
        new = max(int(g.min_size or 0), min(int(g.max_size or 0), int(desired)))
        old = int(g.desired_capacity or 0)
        if new == old:
            return True
        g.desired_capacity = new
        gs.cause_prefix = cause_sentence(self.sim.now, cause, old, new)
        self.sim.timeline.record("autoscaling", g.name, "desired_capacity_changed", previous=old, desired=new, cause=cause)
        self.reconcile(gs)
        return True

    def in_cooldown(self, group_name: str) -> bool:
        gs = self._require(group_name)
        busy = any(m.lifecycle in ("Pending", "Terminating") for m in gs.members.values())
        return busy or self.sim.now < gs.cooldown_until

    def in_warmup(self, group_name: str, instance_id: str) -> bool:
        """Is the instance still warming up (Pending, or InService for less than the warmup)?
        Warmup = DefaultInstanceWarmup, else DefaultCooldown (aws-semantics §4.5)."""
        gs = self._require(group_name)
        m = gs.members.get(instance_id)
        if m is None:
            return False
        if m.lifecycle == "Pending":
            return True
        warm = getattr(gs.group, "default_instance_warmup", None)
        warm = int(gs.group.default_cooldown or 0) if warm is None or warm < 0 else int(warm)
        return m.in_service_at is not None and self.sim.now < m.in_service_at + warm

    def activities_of(self, group_name: str | None = None) -> list[Any]:
        """Scaling activities, newest first (what describe-scaling-activities returns)."""
        if group_name is not None:
            return list(reversed(self.activities.get(group_name, [])))
        return sorted((a for lst in self.activities.values() for a in lst), key=lambda a: a.start_time, reverse=True)

    # -- hooks from the moto extension -----------------------------------------
    def on_group_created(self, group) -> None:
        gs = GroupSim(group)
        self.groups[group.name] = gs
        self.activities.setdefault(group.name, [])
        self.sim.timeline.record("autoscaling", group.name, "group_created", desired=group.desired_capacity,
                                 availability_zones=list(group.availability_zones))
        self.sim.env.process(self._sweep(gs, gs.gen))
        self.reconcile(gs)

    def on_desired_changed(self, group, old: int, why: str) -> None:
        gs = self.groups.get(group.name)
        new = int(group.desired_capacity or 0)
        if old != new:
            text = cause_sentence(self.sim.now, why, old, new)
            if gs is None:
                group._awslab_cause = text  # group still being created
            else:
                gs.cause_prefix = text
                self.sim.timeline.record("autoscaling", group.name, "desired_capacity_changed", previous=old, desired=new)
        if gs is not None and gs.group is group:
            self.reconcile(gs)

    def sync_members(self, group) -> None:
        """Adopt instances moto added itself (attach-instances, exit-standby) and drop detached ones."""
        gs = self.groups.get(group.name)
        if gs is None:
            return
        present = {st.instance.id: st for st in group.instance_states}
        for iid in [i for i in gs.members if i not in present]:
            del gs.members[iid]
            self._owner.pop(iid, None)
        for iid, st in present.items():
            if iid not in gs.members:
                m = Member(st, launch_time=self.sim.now, subnet_id=st.instance.subnet_id, in_service_at=self.sim.now)
                gs.members[iid] = m
                self._owner[iid] = gs
        for m in gs.members.values():
            if m.lifecycle == "InService":
                self._register(gs, m)

    def terminate_instance_api(self, instance_id: str, should_decrement: bool):
        """TerminateInstanceInAutoScalingGroup; returns the activity."""
        gs = self._owner.get(instance_id)
        m = gs.members.get(instance_id) if gs else None
        if m is None:
            raise KeyError(instance_id)
        g = gs.group
        old = int(g.desired_capacity or 0)
        if should_decrement:
            g.desired_capacity = max(int(g.min_size or 0), old - 1)
        text = f"At {iso_z(self.sim.now)} instance {instance_id} was taken out of service in response to a user request"
        text += f", shrinking the capacity from {old} to {g.desired_capacity}." if should_decrement else "."
        activity = self._terminate(gs, m, text)
        self.reconcile(gs)
        return activity

    # -- reconciliation -------------------------------------------------------
    def reconcile(self, gs: GroupSim) -> None:
        """Launch or terminate until Pending+InService == desired capacity."""
        g = gs.group
        if self.groups.get(g.name) is not gs or gs.deleting:
            return
        if getattr(g, "_awslab_cause", None):
            gs.cause_prefix, g._awslab_cause = g._awslab_cause, None
        desired = int(g.desired_capacity or 0)
        if any(m.rebalance for m in gs.members.values()):
            return  # AZRebalance is adding its instance; scale-in follows when it is InService
        self._forget_detached(gs)
        active = gs.active()
        diff = instances_for_desired(g) - len(active)  # desired capacity may be in units (instance weights)
        prefix, gs.cause_prefix = gs.cause_prefix, None
        if diff > 0 and not gs.suspended("Launch"):
            for _ in range(diff):
                refresh = gs.refresh_launches > 0
                cause = (refresh_launch_cause(self.sim.now) if refresh
                         else launch_cause(prefix, self.sim.now, len(active), desired))
                if not self._launch(gs, cause):
                    break  # every AZ failed or is backing off: try again later (_retry_later)
                gs.refresh_launches -= 1 if refresh else 0
        elif diff < 0 and not gs.suspended("Terminate"):
            for _ in range(-diff):
                victim = pick_victim(gs.active(), self.sim.now, self.rng, list(g.termination_policies or []))
                if victim is None:
                    break
                self._terminate(gs, victim, terminate_cause(prefix, self.sim.now, len(active), desired, victim.instance_id))

    def _forget_detached(self, gs: GroupSim) -> None:
        """DetachInstances took them out of moto's group: they no longer count toward its capacity, and they leave
        its load balancers (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-detach-attach-instances.html)."""
        present = {st.instance.id for st in gs.group.instance_states}
        for iid in [i for i in gs.members if i not in present]:
            m = gs.members.pop(iid)
            self._owner.pop(iid, None)
            elbv2 = gs.group.autoscaling_backend.elbv2_backend
            for arn in list(gs.group.target_group_arns):
                tg = elbv2.target_groups.get(arn)
                if tg is not None and iid in tg.targets:
                    elbv2.deregister_targets(arn, [{"Id": iid}])
            self._leave_classic_load_balancers(gs, iid)
            if m.activity is not None and m.activity.status_code in ("PreInService", "InProgress"):
                act.finish(self, m.activity, "Cancelled", "Instance was detached before it came into service")
            self.sim.timeline.record("autoscaling", iid, "detached", group_name=gs.name)

    def _join_classic_load_balancers(self, gs: GroupSim) -> None:
        """Classic Load Balancers get the group's InService instances (moto's own update_attached_elbs; moto
        registers only InService instances, and the simulator's come InService after launch)."""
        if gs.group.load_balancer_names and not gs.suspended("AddToLoadBalancer"):
            gs.group.autoscaling_backend.update_attached_elbs(gs.name)

    def _leave_classic_load_balancers(self, gs: GroupSim, instance_id: str) -> None:
        elb = gs.group.autoscaling_backend.elb_backend
        for name in list(gs.group.load_balancer_names or []):
            if name in elb.load_balancers and instance_id in elb.load_balancers[name].instance_ids:
                elb.deregister_instances(name, [instance_id], from_autoscaling=True)

    def _launch(self, gs: GroupSim, cause: str, rebalance: bool = False) -> bool:
        """Launch one instance, trying the group's AZs in turn (:mod:`.asg_launch`); False if none launched."""
        from ..cloud.moto_ext.autoscaling import launch_instance

        g = gs.group
        for zone in launch_zones(list(g.availability_zones), (m.availability_zone for m in gs.active()),
                                 gs.launch_backoff, self.sim.now, rebalance):
            subnet = self._subnet_in(g, zone)
            try:
                st = launch_instance(g, zone, subnet)
            except Exception as e:  # a full subnet, a deleted launch template: a Failed activity, then back off
                if not self._launch_failed(gs, e, cause, subnet, zone):
                    break
                continue
            gs.launch_backoff.succeeded(zone)
            self._launched(gs, st, cause, subnet, zone, rebalance)
            return True
        self._retry_later(gs)
        return False

    def _launch_failed(self, gs: GroupSim, error: Exception, cause: str, subnet: str | None, zone: str) -> bool:
        """Record AWS's Failed activity and back off; True if another AZ is worth trying."""
        failure = launch_failure(error)
        a = act.start(self, gs.group, failure.description, cause, subnet, zone, "InProgress", 0)
        act.finish(self, a, "Failed", failure.status_message)
        gs.launch_backoff.failed(zone if failure.zonal else "*", self.sim.now)
        return failure.zonal

    def _retry_later(self, gs: GroupSim) -> None:
        """Wake the group when its launch back-off ends (one wake-up pending at a time)."""
        when = gs.launch_backoff.next_retry(self.sim.now)
        if when is None or (gs.retry_scheduled is not None and self.sim.now < gs.retry_scheduled <= when):
            return
        gs.retry_scheduled = when
        self.sim.env.process(self._retry_at(gs, gs.gen, when))

    def _retry_at(self, gs: GroupSim, gen: int, when: float):
        yield self.sim.env.timeout(max(when - self.sim.now, 0.0))
        if gs.retry_scheduled == when:
            gs.retry_scheduled = None
        if gs.gen == gen and self.groups.get(gs.name) is gs:
            self.reconcile(gs)
            self._rebalance(gs)

    def _launched(self, gs: GroupSim, st, cause: str, subnet: str | None, zone: str, rebalance: bool) -> None:
        g = gs.group
        m = Member(st, launch_time=self.sim.now, subnet_id=subnet, rebalance=rebalance)
        if gs.replacements_owed > 0:
            gs.replacements_owed, m.replacement = gs.replacements_owed - 1, True
        gs.members[m.instance_id] = m
        self._owner[m.instance_id] = gs
        m.activity = act.start(self, g, f"Launching a new EC2 instance: {m.instance_id}", cause, subnet, zone, "PreInService", 30)
        self._lifecycle(gs, m, "Pending")

    def _terminate(self, gs: GroupSim, m: Member, cause: str):
        if m.lifecycle.startswith("Terminat"):
            return m.activity
        if m.activity is not None and m.activity.status_code in ("PreInService", "InProgress"):
            act.finish(self, m.activity, "Cancelled", "Instance was terminated before it came into service")
        m.activity = act.start(self, gs.group, f"Terminating EC2 instance: {m.instance_id}", cause, m.subnet_id,
                               m.availability_zone, "InProgress", 0)
        self._lifecycle(gs, m, "Terminating")
        self.sim.env.process(self._drain_then_terminate(gs, m, self._deregister(gs, m)))
        return m.activity

    def _deregister(self, gs: GroupSim, m: Member) -> float:
        """Deregister from every target group now; returns the longest deregistration delay to wait."""
        wait = 0.0
        elbv2 = gs.group.autoscaling_backend.elbv2_backend
        for arn in list(gs.group.target_group_arns):
            tg = elbv2.target_groups.get(arn)
            if tg is not None and m.instance_id in tg.targets:
                elbv2.deregister_targets(arn, [{"Id": m.instance_id}])
                wait = max(wait, self.sim.elb.draining_delay_left(arn, m.instance_id))
        self._leave_classic_load_balancers(gs, m.instance_id)
        if wait:
            m.activity.status_code = "WaitingForELBConnectionDraining"  # API enum value (aws-semantics §4.3)
        return wait

    def _drain_then_terminate(self, gs: GroupSim, m: Member, wait: float):
        """Wait out the deregistration delay (draining), then terminate the EC2 instance."""
        yield self.sim.env.timeout(wait)
        m.activity.status_code, m.activity.progress = "InProgress", 50
        if self.sim.ec2.state_of(m.instance_id) not in ("shutting-down", "terminated"):
            gs.group.ec2_backend.terminate_instances([m.instance_id])
        elif self.sim.ec2.state_of(m.instance_id) == "terminated":
            self._terminated(gs, m)

    def _terminated(self, gs: GroupSim, m: Member) -> None:
        g = gs.group
        self._lifecycle(gs, m, "Terminated")
        g.instance_states = [st for st in g.instance_states if st.instance.id != m.instance_id]
        gs.members.pop(m.instance_id, None)
        self._owner.pop(m.instance_id, None)
        act.finish(self, m.activity, "Successful")
        gs.cooldown_until = self.sim.now + int(g.default_cooldown or 0)
        self.finish_delete_if_empty(gs)

    def _in_service(self, gs: GroupSim, m: Member) -> None:
        """The instance runs: register it with the target groups, then mark it InService."""
        self._register(gs, m)
        m.in_service_at = self.sim.now
        self._lifecycle(gs, m, "InService")
        self._join_classic_load_balancers(gs)
        act.finish(self, m.activity, "Successful")
        gs.cooldown_until = self.sim.now + int(gs.group.default_cooldown or 0)
        if m.rebalance:  # now terminate one from the fullest AZ
            m.rebalance = False
            self.reconcile(gs)

    def _register(self, gs: GroupSim, m: Member) -> None:
        if gs.suspended("AddToLoadBalancer") or self.sim.ec2.state_of(m.instance_id) != "running":
            return
        elbv2 = gs.group.autoscaling_backend.elbv2_backend
        for arn in list(gs.group.target_group_arns):
            tg = elbv2.target_groups.get(arn)
            if tg is not None and m.instance_id not in tg.targets:
                elbv2.register_targets(arn, [{"Id": m.instance_id, "Port": tg.port}])

    def _lifecycle(self, gs: GroupSim, m: Member, state: str) -> None:
        m.state.lifecycle_state = state
        self.sim.timeline.record("autoscaling", m.instance_id, "lifecycle_changed", group_name=gs.name,
                                 lifecycle_state=state, availability_zone=m.availability_zone)
        self.sim.emit("asg_instance", group_name=gs.name, instance_id=m.instance_id, lifecycle_state=state)

    @staticmethod
    def _subnet_in(group, zone: str) -> str | None:
        if not group.vpc_zone_identifier:
            return None
        for sid in group.vpc_zone_identifier.split(","):
            if group.ec2_backend.get_subnet(sid.strip()).availability_zone == zone:
                return sid.strip()
        return None

    def _require(self, name: str) -> GroupSim:
        gs = self.groups.get(name)
        if gs is None:
            raise KeyError(f"no Auto Scaling group {name!r} in the simulator")
        return gs

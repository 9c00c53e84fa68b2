"""Instance refresh in simulated time: replace a group's instances in batches, keep enough of them healthy,
pause at checkpoints, and roll back when the new instances fail their health checks.

AWS's rolling strategy, as the simulator runs it (``sim.instance_refresh``):

- **Batches.** At most ``desired - ceil(desired x MinHealthyPercentage / 100)`` instances are replaced at once,
  and never so many that fewer than ``ceil(desired x MinHealthyPercentage / 100)`` stay healthy and ready; but at
  least one ("Setting the minimum healthy percentage to 100 percent limits the rate of replacement to one instance
  at a time. In contrast, setting it to 0 percent has the effect of replacing all instances at the same time."
  https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html). With
  MaxHealthyPercentage 100 (the default) an old instance is terminated first and its replacement launched
  meanwhile ("Terminates instances and launches new ones in batches",
  https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-overview.html).
- **Updated.** "When the instance's health status changes to healthy and the specified warm-up time passes, the
  instance is considered updated and is added to the percentage complete" (API_InstanceRefresh.html). Healthy means
  Auto Scaling's health status and, with HealthCheckType ELB, ``healthy`` in every target group (AWS's status reason
  while it waits reads "... has insufficient data to evaluate its health with Elastic Load Balancing", as seen in
  https://repost.aws/questions/QU9RKhLxhnSRGeKNlRWkP_2A). Warm-up: InstanceWarmup, else the group's
  DefaultInstanceWarmup, else its HealthCheckGracePeriod (understand-instance-refresh-default-values.html).
- **Checkpoints.** "the first checkpoint is reached when 20 percent of instances are new"; the refresh replaces
  "fewer but never more than what the minimum healthy percentage allows" to land on a checkpoint, then waits
  CheckpointDelay with Status ``InProgress``
  (https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-adding-checkpoints-instance-refresh.html).
- **Failure and rollback.** "An instance refresh might fail for several reasons, such as EC2 launch failures,
  misconfigured health checks, ..." and "If you enable auto rollback, your Auto Scaling group will be rolled back
  automatically when the instance refresh fails" (API_StartInstanceRefresh.html). A rollback "replaces the
  instances that have been deployed so far. The new instances match the configuration that you last saved on the
  Auto Scaling group before starting the instance refresh" (instance-refresh-rollback.html).
  UNCONFIRMED: AWS does not publish exactly when failing replacements fail the refresh. Here it fails the moment
  Auto Scaling's own health check takes a replacement from the desired configuration out of service as Unhealthy
  (after its health check grace period), or when a replacement cannot be launched at all.
- **Cause texts** of its activities: "At <t> an instance was taken out of service in response to an instance
  refresh.  At <t> instance <id> was selected for termination." and "At <t> an instance was launched in response
  to an instance refresh." UNCONFIRMED by AWS's docs: quoted from a captured Auto Scaling notification in public
  code, not from a documentation page. A rollback's activities use the same words (UNCONFIRMED).
"""
from __future__ import annotations

import math
import uuid
from typing import Any

from ..cloud.moto_ext.autoscaling import LAUNCH_OVERRIDE, launched_template
from ..cloud.moto_ext.instance_refresh import RefreshRefused
from .asg_capacity import instances_for_desired
from .asg_model import GroupSim, Member
from .asg_rules import pick_victim, refresh_terminate_cause
from .refresh_model import Phase, Refresh

__all__ = ["InstanceRefreshSim", "RefreshRefused", "REFRESH_CHECK_S"]

#: How often an instance refresh looks at its group (simulated seconds). UNCONFIRMED: AWS does not publish it.
REFRESH_CHECK_S = 10.0
#: Refreshes kept per group ("past instance refreshes from the last six weeks": check-status-instance-refresh.html).
MAX_KEPT = 100


class InstanceRefreshSim:
    """The instance refreshes of every group (``sim.instance_refresh``)."""

    def __init__(self) -> None:
        self.sim = None
        self.refreshes: dict[str, list[Refresh]] = {}

    def start(self, sim) -> None:
        self.sim = sim
        sim.on("asg_instance", self._on_asg_instance)

    def reset(self) -> None:
        for lst in self.refreshes.values():
            for r in lst:
                r.gen += 1
        self.refreshes.clear()

    # -- the API ----------------------------------------------------------------
    def active(self, group_name: str) -> Refresh | None:
        return next((r for r in self.refreshes.get(group_name, []) if r.active), None)

    def begin(self, group, preferences: dict, desired: dict | None, desired_config: tuple | None) -> Refresh:
        """StartInstanceRefresh, already validated (:mod:`awslab.cloud.moto_ext.instance_refresh`)."""
        if self.active(group.name) is not None:
            raise RefreshRefused("InstanceRefreshInProgress", "An Instance Refresh is already in progress and blocks "
                                 "the execution of this Instance Refresh.")
        gs = self.sim.autoscaling.groups[group.name]
        lt = group.ec2_launch_template
        original = (lt.id, str(group.launch_template_version)) if lt is not None else None
        target = desired_config or self._group_config(group)
        todo = {m.instance_id for m in gs.active()
                if not (preferences.get("SkipMatching") and launched_template(m.state.instance) == target)}
        phase = Phase(target, todo, len(todo), self.sim.now, frozenset(gs.members))
        r = Refresh(self._new_id(), group.name, preferences, desired, desired_config, original, self.sim.now, phase)
        kept = self.refreshes.setdefault(group.name, [])
        kept.append(r)
        del kept[:-MAX_KEPT]
        if desired_config is not None:
            setattr(group, LAUNCH_OVERRIDE, (self._template(group, desired_config[0]), str(desired_config[1])))
        self._record(r, updated=0)
        self.sim.env.process(self._run(r, r.gen))
        return r

    def describe(self, group_name: str, ids: set[str] | None = None) -> list[dict]:
        """Newest first, as DescribeInstanceRefreshes lists them."""
        gs = self.sim.autoscaling.groups.get(group_name)
        out = []
        for r in reversed(self.refreshes.get(group_name, [])):
            if not ids or r.refresh_id in ids:
                out.append(r.describe(self._updated(r, gs) if gs is not None and r.active else r.updated_at_end))
        return out

    def cancel(self, group_name: str) -> str:
        """CancelInstanceRefresh: no new replacements start; the ones under way finish (then ``Cancelled``)."""
        r = self.active(group_name)
        if r is None or r.status == "Cancelling":
            raise RefreshRefused("ActiveInstanceRefreshNotFound", "No in progress or pending Instance Refresh found "
                                 f"for Auto Scaling group {group_name}")
        self._drop_override(r)
        self._set(r, "Cancelling", None)
        return r.refresh_id

    def roll_back(self, group_name: str) -> str:
        """RollbackInstanceRefresh: replace what the refresh deployed so far with the group's own configuration."""
        r = self.active(group_name)
        if r is None or r.status in ("Cancelling", "RollbackInProgress"):
            raise RefreshRefused("ActiveInstanceRefreshNotFound", "No in progress or pending Instance Refresh found "
                                 f"for Auto Scaling group {group_name}")
        if r.desired_config is None or r.original is None or not r.original[1].isdigit():
            raise RefreshRefused("IrreversibleInstanceRefresh", "The request failed because a desired configuration "
                                 "was not found or an incompatible launch template (uses a Systems Manager parameter "
                                 "instead of an AMI ID) or launch template version ($Latest or $Default) is present on "
                                 "the Auto Scaling group.")
        self._start_rollback(r, "Rollback started by user request")  # UNCONFIRMED wording
        return r.refresh_id

    # -- the control loop ---------------------------------------------------------
    def _run(self, r: Refresh, gen: int):
        while r.gen == gen and r.active:
            yield self.sim.env.timeout(REFRESH_CHECK_S)
            if r.gen != gen:
                return
            self.step(r)

    def step(self, r: Refresh) -> None:
        """One look at the group: move the refresh on as far as AWS's rules allow."""
        gs = self.sim.autoscaling.groups.get(r.group_name)
        if gs is None or gs.deleting:
            self._drop_override(r)
            return self._finish(r, "Cancelled", "The Auto Scaling group is being deleted.")
        if r.status == "Pending":
            self._set(r, "InProgress", None)
        if gs.suspended("InstanceRefresh"):
            return
        if r.status == "Cancelling":
            if not any(m.lifecycle == "Pending" for m in self._new(r, gs)):
                self._finish(r, "Cancelled", None)
            return
        if r.status == "Baking":
            if self.sim.now >= (r.wait_until or 0):
                self._succeed(r, gs)
            return
        self._advance(r, gs)

    def _advance(self, r: Refresh, gs: GroupSim) -> None:
        phase = r.phase
        phase.to_replace &= set(gs.members)
        new = self._new(r, gs)
        ready = [m for m in new if self._ready(r, gs, m)]
        in_flight = len(new) - len(ready)
        if r.wait_until is not None:
            if self.sim.now < r.wait_until:
                return
            r.wait_until, r.checkpoint = None, r.checkpoint + 1
            self._set(r, r.status, None)
        if self._checkpoint_wait(r, len(ready), in_flight):
            return
        if not phase.to_replace and in_flight == 0:
            return self._phase_done(r, gs)
        slots = min(self._slots(r, gs, in_flight), self._checkpoint_room(r), len(phase.to_replace))
        self._replace(r, gs, slots)
        waiting = next((m for m in new if not self._ready(r, gs, m)), None)
        if waiting is not None:
            # AWS's wording while it waits for a new instance (repost question above, observed).
            self._set(r, r.status, "Waiting for remaining instances to be available. For example: "
                                   f"{waiting.instance_id} has insufficient data to evaluate its health with "
                                   "Elastic Load Balancing.")

    def _slots(self, r: Refresh, gs: GroupSim, in_flight: int) -> int:
        """How many more old instances may go now (MinHealthyPercentage; at least one at a time)."""
        desired = instances_for_desired(gs.group)
        floor = math.ceil(desired * self._min_healthy(r) / 100)
        batch = max(1, desired - floor)
        ready_total = sum(1 for m in gs.active() if self._ready(r, gs, m))
        slots = min(batch - in_flight, ready_total - floor)
        return max(slots, 1) if in_flight == 0 else max(slots, 0)

    def _replace(self, r: Refresh, gs: GroupSim, count: int) -> None:
        asg = self.sim.autoscaling
        for _ in range(max(count, 0)):
            pool = [m for m in gs.active() if m.instance_id in r.phase.to_replace]
            victim = pick_victim([m for m in pool if m.lifecycle == "InService"] or pool, self.sim.now, asg.rng)
            if victim is None:
                return
            r.phase.to_replace.discard(victim.instance_id)
            asg._terminate(gs, victim, refresh_terminate_cause(self.sim.now, victim.instance_id))
            gs.refresh_launches += 1
        if count > 0:
            asg.reconcile(gs)

    # -- checkpoints --------------------------------------------------------------
    def _checkpoints(self, r: Refresh) -> list[int]:
        return [] if r.rolling_back else list(r.preferences.get("CheckpointPercentages") or [])

    def _checkpoint_need(self, r: Refresh) -> int | None:
        cps = self._checkpoints(r)
        if r.checkpoint >= len(cps):
            return None
        return math.ceil(r.phase.total * cps[r.checkpoint] / 100)

    def _checkpoint_room(self, r: Refresh) -> int:
        need = self._checkpoint_need(r)
        replaced = r.phase.total - len(r.phase.to_replace)
        return len(r.phase.to_replace) if need is None else max(need - replaced, 0)

    def _checkpoint_wait(self, r: Refresh, updated: int, in_flight: int) -> bool:
        """At a checkpoint (all its instances updated): wait CheckpointDelay, or end at a last one below 100 %."""
        need, cps = self._checkpoint_need(r), self._checkpoints(r)
        if need is None or updated < need or in_flight:
            return False
        pct = cps[r.checkpoint]
        if r.checkpoint == len(cps) - 1:
            if pct < 100:  # "To replace all instances ... the last number in the array must be 100."
                r.phase.to_replace.clear()
            return False
        r.wait_until = self.sim.now + int(r.preferences.get("CheckpointDelay", 0))
        # UNCONFIRMED wording: AWS documents the pause (Status InProgress), not its StatusReason text.
        self._set(r, "InProgress", f"Waiting for checkpoint delay. Checkpoint {pct}% reached ({updated} of "
                                   f"{r.phase.total} instances updated).")
        return True

    # -- ends -----------------------------------------------------------------------
    def _phase_done(self, r: Refresh, gs: GroupSim) -> None:
        if r.rolling_back:
            return self._finish(r, "RollbackSuccessful", None)
        bake = int(r.preferences.get("BakeTime") or 0)
        if bake > 0:
            r.wait_until = self.sim.now + bake
            return self._set(r, "Baking", None)
        self._succeed(r, gs)

    def _succeed(self, r: Refresh, gs: GroupSim) -> None:
        """The group's launch template becomes the desired configuration (it "updates the Auto Scaling group"
        when the refresh succeeds: https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-instance-refresh.html)."""
        self._drop_override(r)
        if r.desired_config is not None:
            g = gs.group
            g.ec2_launch_template = self._template(g, r.desired_config[0])
            g.launch_template_version = g.provided_launch_template_version = str(r.desired_config[1])
        self._finish(r, "Successful", None)

    def _fail(self, r: Refresh, reason: str) -> None:
        self._drop_override(r)
        if r.rolling_back:
            return self._finish(r, "RollbackFailed", reason)
        if r.preferences.get("AutoRollback") and r.desired_config is not None:
            return self._start_rollback(r, reason)
        self._finish(r, "Failed", reason)

    def _start_rollback(self, r: Refresh, reason: str) -> None:
        gs = self.sim.autoscaling.groups[r.group_name]
        self._drop_override(r)
        updated = self._updated(r, gs)
        left = max(r.phase.total - updated, 0)
        pct = r.percentage(updated)
        r.rollback = {"RollbackReason": reason, "RollbackStartTime": self.sim.now, "PercentageCompleteOnRollback": pct,
                      "InstancesToUpdateOnRollback": left, "ProgressDetailsOnRollback": {
                          "LivePoolProgress": {"PercentageComplete": pct, "InstancesToUpdate": left}}}
        deployed = {m.instance_id for m in self._new(r, gs)}
        r.phase = Phase(self._group_config(gs.group), deployed, len(deployed), self.sim.now, frozenset(gs.members))
        r.wait_until = None
        self._set(r, "RollbackInProgress", reason)

    def _finish(self, r: Refresh, status: str, reason: str | None) -> None:
        r.end_time = self.sim.now
        gs = self.sim.autoscaling.groups.get(r.group_name)
        r.updated_at_end = self._updated(r, gs) if gs is not None else 0
        self._set(r, status, reason)

    def _on_asg_instance(self, group_name: str, instance_id: str, lifecycle_state: str) -> None:
        """A new instance leaving as Unhealthy fails the refresh (see the module doc)."""
        r = self.active(group_name)
        gs = self.sim.autoscaling.groups.get(group_name)
        if lifecycle_state != "Terminating" or r is None or gs is None or r.status not in (
                "InProgress", "RollbackInProgress", "Baking"):
            return
        m = gs.members.get(instance_id)
        if m is None or m.state.health_status != "Unhealthy" or not self._is_new(r, m):
            return
        r.failed_instances.append(instance_id)
        # UNCONFIRMED wording (AWS: "You can troubleshoot using the status reason and the scaling activities").
        self._fail(r, f"Instance {instance_id} launched by the instance refresh failed its health checks and was "
                      "taken out of service.")

    # -- helpers ----------------------------------------------------------------------
    def _new(self, r: Refresh, gs: GroupSim) -> list[Member]:
        """Instances launched since the phase began from its target configuration."""
        return [m for m in gs.members.values() if m.lifecycle in ("Pending", "InService") and self._is_new(r, m)]

    @staticmethod
    def _is_new(r: Refresh, m: Member) -> bool:
        return m.instance_id not in r.phase.before and launched_template(m.state.instance) == r.phase.target

    def _updated(self, r: Refresh, gs: GroupSim) -> int:
        return min(sum(1 for m in self._new(r, gs) if self._ready(r, gs, m)), r.phase.total)

    def _ready(self, r: Refresh, gs: GroupSim, m: Member) -> bool:
        if m.lifecycle != "InService" or m.state.health_status != "Healthy":
            return False
        if gs.group.health_check_type == "ELB" and any(
                getattr(self.sim.elb.health(arn, m.instance_id), "state", None) != "healthy"
                for arn in gs.group.target_group_arns):
            return False
        is_new = m.instance_id not in r.phase.before
        return not is_new or self.sim.now >= (m.in_service_at or self.sim.now) + self._warmup(r, gs)

    def _warmup(self, r: Refresh, gs: GroupSim) -> int:
        """InstanceWarmup, else DefaultInstanceWarmup, else HealthCheckGracePeriod (default values page)."""
        for value in (r.preferences.get("InstanceWarmup"), getattr(gs.group, "default_instance_warmup", None)):
            if value is not None and int(value) >= 0:
                return int(value)
        return int(gs.group.health_check_grace_period or 0)

    @staticmethod
    def _min_healthy(r: Refresh) -> int:
        return int(r.preferences.get("MinHealthyPercentage", 90))

    @staticmethod
    def _group_config(group) -> tuple[str, int] | None:
        lt = group.ec2_launch_template
        return None if lt is None else (lt.id, lt.get_version(group.launch_template_version).number)

    @staticmethod
    def _template(group, template_id: str):
        return group.ec2_backend.get_launch_template(template_id)

    def _drop_override(self, r: Refresh) -> None:
        """New launches go back to the group's own launch template."""
        gs = self.sim.autoscaling.groups.get(r.group_name)
        if gs is not None and hasattr(gs.group, LAUNCH_OVERRIDE):
            delattr(gs.group, LAUNCH_OVERRIDE)

    def _set(self, r: Refresh, status: str, reason: str | None) -> None:
        changed = (status, reason) != (r.status, r.status_reason)
        r.status, r.status_reason = status, reason
        if changed:
            gs = self.sim.autoscaling.groups.get(r.group_name)
            self._record(r, self._updated(r, gs) if gs is not None else 0)

    def _record(self, r: Refresh, updated: int) -> None:
        self.sim.timeline.record("autoscaling", r.group_name, "instance_refresh_status", refresh_id=r.refresh_id,
                                 status=r.status, reason=r.status_reason or "", percentage=r.percentage(updated))

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self.sim.rng("instance_refresh.ids").getrandbits(128), version=4))


"""The policies subsystem (``sim.policies``): run scaling policies when their alarms fire, and
scheduled actions when their time comes, through ``sim.autoscaling.set_desired_capacity``.

CloudWatch (``sim.cloudwatch``) calls :meth:`PoliciesSim.execute` for every
Auto Scaling action of an alarm: on the state change and then once a minute
while the alarm stays in ALARM
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).
The decision itself is pure (:mod:`.target_tracking`, :mod:`.adjustments`);
this module only reads the group, applies §4.5's warmup/cooldown rules and
writes the Cause.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import Any

from .adjustments import (DEFAULT_COOLDOWN_S, SimpleScalingGate, StepAdjustment, apply_adjustment, clamp,
                          select_step, step_scale_out_desired)
from .causes import alarm_cause, scheduled_cause
from .scheduled import SCHEDULED_ACTION_DELAY_S, ScheduledActionSpec, next_run
from .target_tracking import (DETAILED_PERIOD_S, alarm_definitions, combine, scale_in_desired, scale_out_desired,
                              tracked_metric)
from .warmup import WarmupTracker

__all__ = ["PoliciesSim", "SCHEDULE_TICK_S", "ACTIVITY_POLL_S"]

log = logging.getLogger("awslab.sim.policies")
#: How often scheduled actions are checked (they run within seconds of their time).
SCHEDULE_TICK_S = 10.0
#: How often a simple-scaling policy looks whether its activity has finished.
ACTIVITY_POLL_S = 5.0
_ARN = re.compile(r"autoScalingGroupName/(?P<group>[^:]+):policyName/(?P<policy>.+)$")


class PoliciesSim:
    """Executes scaling policies and scheduled actions on the simulated ASGs."""

    def __init__(self) -> None:
        self.sim: Any = None
        self.gates: dict[tuple[str, str], SimpleScalingGate] = {}
        self.warmup: WarmupTracker | None = None
        #: group -> (an instant, the group as it was before any policy acted at that instant)
        self._instant: dict[str, tuple[float, Any]] = {}
        self._last_schedule_check: datetime | None = None
        self._gen = 0  # bumps on reset: an older schedule loop sees it and stops

    def start(self, sim: Any) -> None:
        self.sim = sim
        sim.policies = self  # hook: the interface names no attribute for this subsystem
        self.warmup = WarmupTracker(sim)
        sim.on("asg_instance", self.warmup.on_asg_instance)
        sim.env.process(self._schedule_loop(sim.env, self._gen))

    def reset(self) -> None:
        self.gates.clear()
        self._instant.clear()
        if self.warmup is not None:
            self.warmup.reset()
        self._last_schedule_check = None
        self._gen += 1
        if self.sim is not None:
            self.sim.env.process(self._schedule_loop(self.sim.env, self._gen))

    # -- hook for the moto extension ------------------------------------------------
    def target_tracking_alarms(self, group_name: str, group: Any, policy_arn: str,
                               config: dict[str, Any]) -> list[dict[str, Any]]:
        """The PutMetricAlarm arguments of a target-tracking policy's two alarms; the moto extension creates
        them when the policy is put. EC2 metrics follow the launch template's monitoring (1- or 5-minute
        points); ALB metrics are always 1-minute."""
        from ..cloudwatch.publisher import alarm_period_for_group

        ec2_metric = tracked_metric(group_name, config).namespace == "AWS/EC2"
        period = alarm_period_for_group(group) if ec2_metric else DETAILED_PERIOD_S
        return alarm_definitions(group_name, policy_arn, config, period)

    # -- alarm actions ------------------------------------------------------------
    def execute(self, policy_arn: str, alarm: Any, state: str, ev: Any) -> tuple[bool, str]:
        """Run the policy ``policy_arn`` for ``alarm`` in ``state``. Returns (ok, what happened or "")."""
        found = self._policy(policy_arn)
        if found is None:
            return False, f"Policy {policy_arn} not found"
        backend, policy = found
        group = policy.auto_scaling_group_name
        if group not in getattr(self.sim.autoscaling, "groups", {}):
            return False, f"AutoScalingGroup {group} not found"
        suspended = self.sim.autoscaling.groups[group].group.suspended_processes
        if "AlarmNotification" in {p["ProcessName"] for p in suspended}:
            return True, ""
        view = self.sim.autoscaling.group(group)
        kind = policy.policy_type or "SimpleScaling"
        base, again = self._base(view)
        if kind == "TargetTrackingScaling":
            new = self._target_tracking(backend, policy, alarm, base, ev)
        elif kind == "StepScaling":
            new = self._step(policy, alarm, base, ev)
        else:
            new = self._simple(policy, base)
        if new is not None and again:  # another policy acted at this instant: the largest capacity wins
            new = max(new, view.desired_capacity)
        if new is None or clamp(new, view.min_size, view.max_size) == view.desired_capacity:
            return True, ""
        new = clamp(new, view.min_size, view.max_size)
        cause = alarm_cause(self.sim.now, alarm.name, policy.name, view.desired_capacity, new, state)
        self.sim.autoscaling.set_desired_capacity(group, new, cause)
        self.sim.timeline.record("autoscaling", group, "policy_executed", policy=policy.name, alarm=alarm.name,
                                 previous=view.desired_capacity, desired=new)
        if kind == "SimpleScaling":
            self._start_gate(policy, group)
        return True, f"changed the desired capacity from {view.desired_capacity} to {new}"

    def _base(self, view: Any) -> tuple[Any, bool]:
        """The group as the policies acting at this instant see it, and whether one already has.

        "If the scale-out criteria for both policies are met at the same time, Amazon EC2 Auto Scaling gives
        precedence to" the policy with the largest capacity, for scale in too
        (https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scale-based-on-demand.html): every policy at
        one instant computes from the capacity before the first of them, and the group takes the largest.
        """
        now = self.sim.now
        seen = self._instant.get(view.name)
        if seen is None or seen[0] != now:
            self._instant[view.name] = (now, view)
            return view, False
        return seen[1], True

    def _policy(self, arn: str) -> tuple[Any, Any] | None:
        from moto.autoscaling.models import autoscaling_backends

        from ..cloudwatch.publisher import moto_backends

        m = _ARN.search(arn)
        if not m:
            return None
        for backend in moto_backends(autoscaling_backends):
            p = backend.policies.get(m["policy"])
            if p is not None and p.auto_scaling_group_name == m["group"]:
                return backend, p
        return None

    def _warming(self, view: Any) -> list[str]:
        return self.warmup.warming(view)

    @staticmethod
    def _metric(alarm: Any, ev: Any) -> float | None:
        """The newest datapoint the alarm evaluated (MetricAggregationType Average of one point)."""
        points = getattr(ev, "evaluated", ()) if ev is not None else ()
        return points[0].value if points else None

    @staticmethod
    def _instances_behind(alarm: Any, ev: Any) -> int:
        """How many instances the group aggregate's newest datapoint averaged: each contributes one sample
        a minute (SampleCount = instances x period / 60), so warming instances are not among them."""
        points = getattr(ev, "evaluated", ()) if ev is not None else ()
        if alarm.namespace != "AWS/EC2" or not points or not points[0].sample_count:
            return 0
        return max(1, round(points[0].sample_count * 60 / int(alarm.period or 60)))

    def _target_tracking(self, backend: Any, policy: Any, alarm: Any, view: Any, ev: Any) -> int | None:
        config = _config(policy)
        target = float(config.get("TargetValue", 0))
        metric = self._metric(alarm, ev)
        if metric is None or target <= 0:
            return None
        warming = self._warming(view)
        counted = sum(1 for i in view.instances if i.lifecycle_state == "InService" and i.instance_id not in warming)
        behind = self._instances_behind(alarm, ev)
        if behind:  # a datapoint must not be applied again to capacity added since it was measured
            counted = min(counted, behind) if counted else behind
        if alarm.comparison_operator.startswith("Greater"):  # AlarmHigh: any policy may scale out
            return scale_out_desired(view.desired_capacity, counted, metric, target)
        if config.get("DisableScaleIn"):
            return None
        # AlarmLow: scale in only if every TT policy with scale-in enabled agrees
        proposals, votes = [], []
        for other in backend.policies.values():
            if other.auto_scaling_group_name != view.name or other.policy_type != "TargetTrackingScaling":
                continue
            oc = _config(other)
            if oc.get("DisableScaleIn"):
                continue
            low = self._low_alarm_of(other)
            om = self._latest(low)
            wants = low is not None and low.state_value == "ALARM" and om is not None
            votes.append(wants)
            proposals.append(scale_in_desired(view.desired_capacity, om, float(oc["TargetValue"]), len(warming))
                             if wants else None)
        return combine(view.desired_capacity, proposals, votes)

    def _low_alarm_of(self, policy: Any) -> Any:
        from moto.cloudwatch.models import cloudwatch_backends

        cw = cloudwatch_backends[policy.autoscaling_backend.account_id][policy.autoscaling_backend.region_name]
        names = [n for n in getattr(policy, "awslab_owned_alarms", []) if "-AlarmLow-" in n]
        return cw.alarms.get(names[0]) if names else None

    @staticmethod
    def _latest(alarm: Any) -> float | None:
        import json

        try:
            points = json.loads(alarm.state_reason_data or "{}").get("evaluatedDatapoints") or []
        except (ValueError, AttributeError):
            return None
        return points[0].get("value") if points else None

    def _step(self, policy: Any, alarm: Any, view: Any, ev: Any) -> int | None:
        metric = self._metric(alarm, ev)
        if metric is None:
            return None
        steps = [StepAdjustment.from_api(s) for s in (policy.step_adjustments or [])]
        step = select_step(steps, metric - float(alarm.threshold), alarm.comparison_operator.startswith("Greater"))
        if step is None:
            return None
        mam = int(policy.min_adjustment_magnitude) if policy.min_adjustment_magnitude else None
        adj_type = policy.adjustment_type or "ChangeInCapacity"
        warming = len(self._warming(view))
        if adj_type != "ExactCapacity" and step.scaling_adjustment >= 0:
            new = step_scale_out_desired(view.desired_capacity, warming, adj_type, step.scaling_adjustment, mam)
        else:
            new = apply_adjustment(view.desired_capacity, adj_type, step.scaling_adjustment, mam)
        if new < view.desired_capacity and warming:
            return None  # scale-in is blocked while instances warm up
        return new

    def _simple(self, policy: Any, view: Any) -> int | None:
        gate = self.gates.get((view.name, policy.name))
        if gate is not None and not gate.ready(self.sim.now):
            return None
        mam = int(policy.min_adjustment_magnitude) if policy.min_adjustment_magnitude else None
        return apply_adjustment(view.desired_capacity, policy.adjustment_type or "ChangeInCapacity",
                                int(policy.scaling_adjustment or 0), mam)

    def _start_gate(self, policy: Any, group: str) -> None:
        cooldown = policy.cooldown if policy.cooldown is not None else (
            self.sim.autoscaling.group(group).default_cooldown or DEFAULT_COOLDOWN_S)
        gate = self.gates.setdefault((group, policy.name), SimpleScalingGate(float(cooldown)))
        gate.cooldown_s = float(cooldown)
        gate.activity_started()
        self.sim.env.process(self._await_activity(gate, group, self.sim.env))

    def _await_activity(self, gate: SimpleScalingGate, group: str, env: Any):
        """Simple scaling waits for the activity to finish (nothing Pending/Terminating), then the cooldown."""
        while env is self.sim.env:
            yield env.timeout(ACTIVITY_POLL_S)
            if group not in getattr(self.sim.autoscaling, "groups", {}):
                return
            view = self.sim.autoscaling.group(group)
            if not any(i.lifecycle_state.startswith(("Pending", "Terminating")) for i in view.instances):
                gate.activity_finished(self.sim.now)
                self.sim.timeline.record("autoscaling", group, "cooldown_started", until=gate.busy_until)
                return

    # -- scheduled actions -----------------------------------------------------------
    def _schedule_loop(self, env: Any, gen: int):
        while env is self.sim.env and gen == self._gen:
            yield env.timeout(SCHEDULE_TICK_S)
            try:
                self.run_due_actions()
            except Exception:  # noqa: BLE001 - keep the loop alive
                log.exception("scheduled actions failed")

    def run_due_actions(self) -> None:
        """Run every scheduled action whose time (+ a few seconds) came since the last check."""
        from moto.autoscaling.models import autoscaling_backends

        from ..cloudwatch.publisher import moto_backends

        now = datetime.fromtimestamp(self.sim.now - SCHEDULED_ACTION_DELAY_S, timezone.utc)
        since = self._last_schedule_check or now
        self._last_schedule_check = now
        for backend in moto_backends(autoscaling_backends):
            for name, action in list(backend.scheduled_actions.items()):
                spec = _spec(action)
                due = next_run(spec, since)
                if due is not None and due <= now:
                    self._run_action(spec, due)
                    if not spec.recurrence:  # a one-time action is deleted after it runs
                        backend.scheduled_actions.pop(name, None)

    def _run_action(self, spec: ScheduledActionSpec, due: datetime) -> None:
        groups = getattr(self.sim.autoscaling, "groups", {})
        gs = groups.get(spec.auto_scaling_group_name)
        if gs is None or "ScheduledActions" in {p["ProcessName"] for p in gs.group.suspended_processes}:
            return
        g = gs.group
        old = int(g.desired_capacity or 0)
        if spec.min_size is not None:
            g.min_size = int(spec.min_size)
        if spec.max_size is not None:
            g.max_size = int(spec.max_size)
        desired = int(spec.desired_capacity) if spec.desired_capacity is not None else old
        desired = clamp(desired, int(g.min_size or 0), int(g.max_size or 0))
        cause = scheduled_cause(self.sim.now, int(g.min_size or 0), int(g.max_size or 0), desired, old)
        self.sim.timeline.record("autoscaling", g.name, "scheduled_action_executed",
                                 action=spec.scheduled_action_name, scheduled_for=due.isoformat(),
                                 min_size=g.min_size, max_size=g.max_size, desired=desired)
        self.sim.autoscaling.set_desired_capacity(g.name, desired, cause)


def _config(policy: Any) -> dict[str, Any]:
    """A target-tracking policy's configuration as the API's dict."""
    return dict(getattr(policy.target_tracking_configuration, "__dict__", None) or {})


def _utc(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _spec(a: Any) -> ScheduledActionSpec:
    as_int = lambda v: None if v is None or v == "" else int(v)  # noqa: E731
    return ScheduledActionSpec(a.scheduled_action_name, a.auto_scaling_group_name, as_int(a.min_size),
                               as_int(a.max_size), as_int(a.desired_capacity), _utc(a.start_time),
                               _utc(a.end_time), a.recurrence or None, a.time_zone or None)

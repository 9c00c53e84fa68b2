"""The CloudWatch subsystem: every simulated minute, publish metrics and evaluate every alarm.

Registered with the :class:`~awslab.sim.core.Simulator` as ``sim.cloudwatch``.
At each whole simulated minute it:

1. turns the minute's load into per-instance CPU and per-target-group ALB
   figures (:mod:`.traffic`);
2. puts them into moto's CloudWatch with simulated timestamps, as AWS does:
   ``AWS/EC2 CPUUtilization`` per instance (1-minute points with detailed
   monitoring, 5-minute with basic,
   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-basic-detailed.html),
   the ASG aggregate (``AutoScalingGroupName``; warming instances left out,
   https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-default-instance-warmup.html),
   ``AWS/ApplicationELB`` only while requests flow
   (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html)
   and ``AWS/AutoScaling`` group metrics when enabled;
3. evaluates every metric alarm (:func:`.alarms.evaluate`), writes state and
   history into moto, and hands Auto Scaling actions to ``sim.policies``.
"""
from __future__ import annotations

import logging
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

from moto.cloudwatch.models import MetricDatum

from .alarms import AlarmSpec, Sample, evaluate, is_autoscaling_action
from .traffic import GroupMinute, TrafficMeter, cpu_of

__all__ = ["CloudWatchSim", "MinuteRecord", "detailed_monitoring", "alarm_period_for_group", "moto_backends"]

log = logging.getLogger("awslab.sim.cloudwatch")
#: Basic monitoring publishes every 5 minutes; detailed every minute.
BASIC_PERIOD_S, DETAILED_PERIOD_S = 300, 60
#: AWS/AutoScaling group metrics (1-minute, when enabled):
#: https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-metrics.html
GROUP_METRICS = ("GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances",
                 "GroupPendingInstances", "GroupStandbyInstances", "GroupTerminatingInstances",
                 "GroupTotalInstances")


def moto_backends(backends: Any) -> Iterator[Any]:
    """Every existing (account, region) backend of a moto BackendDict, without creating new ones."""
    for acct in list(dict.values(backends)):
        yield from list(dict.values(acct))


def detailed_monitoring(group: Any) -> bool:
    """Does the group's launch template (or configuration) turn on detailed monitoring?

    Launch templates default to basic; launch configurations made by the CLI to detailed
    (https://docs.aws.amazon.com/autoscaling/ec2/userguide/enable-as-instance-metrics.html).
    """
    if group is None:
        return False
    lt = getattr(group, "ec2_launch_template", None)
    if lt is not None:
        try:
            data = lt.get_version(group.launch_template_version).data
        except Exception:  # noqa: BLE001 - a deleted version: AWS would fail the launch anyway
            return False
        return bool((data.get("Monitoring") or {}).get("Enabled"))
    lc = getattr(group, "launch_config", None)
    return bool(getattr(lc, "instance_monitoring_enabled", False))


def alarm_period_for_group(group: Any) -> int:
    """Target-tracking alarm period: 60 s with detailed monitoring, 300 s with basic."""
    return DETAILED_PERIOD_S if detailed_monitoring(group) else BASIC_PERIOD_S


@dataclass(frozen=True)
class MinuteRecord:
    """What one simulated minute looked like, per ASG (for the what-if API and charts)."""

    time: float
    group_name: str
    desired_capacity: int
    in_service: int
    running: int
    cpu_percent: float | None
    requests: float
    errors: float
    p95_latency_s: float


class CloudWatchSim:
    """``sim.cloudwatch``: the metric publisher and alarm evaluator."""

    def __init__(self, record_minutes: bool = False) -> None:
        self.sim: Any = None
        self.meter = TrafficMeter()
        self.record_minutes = record_minutes
        self.minutes: list[MinuteRecord] = []
        self._cpu_history: dict[str, deque] = defaultdict(lambda: deque(maxlen=5))
        self._load_seen: tuple[int, float] | None = None
        self._gen = 0  # bumps on reset: an older minute loop sees it and stops
        self._indexes: dict[int, tuple] = {}

    # -- subsystem protocol ---------------------------------------------------
    def start(self, sim: Any) -> None:
        self.sim = sim
        sim.cloudwatch = self  # hook: the interface names no attribute for this subsystem
        if not hasattr(sim, "load"):
            sim.load = None
        sim.env.process(self._every_minute(sim.env, self._gen))
        from .routes import register

        register(sim)

    def reset(self) -> None:
        self.meter.reset()
        self.minutes.clear()
        self._cpu_history.clear()
        self._load_seen = None
        self._indexes.clear()
        self._gen += 1
        if self.sim is not None:
            self.sim.env.process(self._every_minute(self.sim.env, self._gen))

    def _every_minute(self, env: Any, gen: int):
        while True:
            wait = 60 - (self.sim.now % 60)
            yield env.timeout(wait if wait > 1e-6 else 60)
            if env is not self.sim.env or gen != self._gen:
                return  # superseded by a reset: a new loop runs
            try:
                self.tick()
            except Exception:  # one bad minute must not stop CloudWatch for good
                log.exception("CloudWatch minute failed")

    # -- one minute ------------------------------------------------------------
    def tick(self) -> None:
        """Publish the minute that just ended and evaluate every alarm."""
        now = round(self.sim.now / 60) * 60
        traffic = self._traffic(now)
        cpu = self._instance_cpu(traffic)
        self._owners = self._group_of_instances()
        self._publish_ec2(now, cpu)
        self._publish_groups(now, cpu, traffic)
        for g in traffic.values():
            self._publish_alb(now, g)
        self.evaluate_alarms(now)

    def set_load(self, shape: Any) -> None:
        """Drive virtual-mode traffic from now on: a load shape (every target group with a
        listener gets it) or ``{target_group_arn: shape}``. Same as ``sim.load = shape``, but
        the shape's t=0 is exactly now rather than the start of the current minute."""
        self.sim.load = shape
        self._load_seen = (id(shape), self.sim.now) if shape is not None else None

    def record_requests(self, target_group_arn: str, instance_id: str | None, count: float = 1.0,
                        latency_s: float = 0.0, status: int = 200, elb_generated: bool = False) -> None:
        """Realtime mode: the data plane reports ``count`` requests it carried (``instance_id`` None:
        the ALB found no target). A minute with reported requests replaces the load shape's figures."""
        self.meter.add(target_group_arn, instance_id, count, latency_s, status, elb_generated)

    def _traffic(self, now: float) -> dict[str, GroupMinute]:
        shape = getattr(self.sim, "load", None)
        if shape is not None and (self._load_seen is None or self._load_seen[0] != id(shape)):
            self._load_seen = (id(shape), now - 60)  # set as a plain attribute during the last minute
        out = {}
        for tg in self._target_groups():
            tg_shape = shape.get(tg.arn) if isinstance(shape, dict) else shape
            rps = self.meter.rps(tg_shape, self._load_seen[1], now) if tg_shape is not None else 0.0
            g = self.meter.minute(self.sim, tg.arn, rps)
            g.tg = tg
            out[tg.arn] = g
        return out

    def _target_groups(self) -> list[Any]:
        from moto.elbv2.models import elbv2_backends

        return [tg for b in moto_backends(elbv2_backends) for tg in b.target_groups.values()
                if tg.load_balancer_arns and (tg.targets or self.sim.elb.targets_of(tg.arn))]

    def _instance_cpu(self, traffic: dict[str, GroupMinute]) -> dict[str, float]:
        cpu: dict[str, float] = {}
        for iid, rec in list(self.sim.ec2.instances.items()):
            if rec.state == "running":
                cpu[iid] = cpu_of(self.sim, iid, 0.0)
        for g in traffic.values():
            for iid, im in g.instances.items():
                if iid in cpu:
                    cpu[iid] = min(100.0, max(cpu[iid], im.cpu_percent))
        for iid, value in cpu.items():
            self._cpu_history[iid].append(value)
        return cpu

    def _detailed(self, instance: Any) -> bool:
        return str(getattr(instance, "monitoring_state", "disabled")).lower() == "enabled"

    def _publish_ec2(self, now: float, cpu: dict[str, float]) -> None:
        for iid, value in cpu.items():
            rec = self.sim.ec2.get(iid)
            detailed = self._detailed(rec.instance) or self._group_detailed(iid)
            point = self._point(iid, now, detailed, value)
            if point is not None:
                self.put(rec.instance, "AWS/EC2", "CPUUtilization", point[1], [("InstanceId", iid)], point[0], "Percent")

    def _point(self, iid: str, now: float, detailed: bool, value: float) -> tuple[float, float] | None:
        """(timestamp, value) to publish now: each minute (detailed) or every 5 minutes (basic)."""
        if detailed:
            return now - 60, value
        if int(now) % BASIC_PERIOD_S:
            return None
        hist = list(self._cpu_history[iid])
        return now - BASIC_PERIOD_S, sum(hist) / len(hist)

    def _group_of_instances(self) -> dict[str, Any]:
        """instance id -> the moto group it belongs to (ASG instances follow the group's launch template)."""
        asg = self.sim.autoscaling
        return {i.instance_id: asg.groups[name].group for name in list(getattr(asg, "groups", {}))
                for i in asg.group(name).instances}

    def _group_detailed(self, iid: str) -> bool:
        return detailed_monitoring(getattr(self, "_owners", {}).get(iid))

    def _publish_groups(self, now: float, cpu: dict[str, float], traffic: dict[str, GroupMinute]) -> None:
        asg = self.sim.autoscaling
        for name in list(getattr(asg, "groups", {})):
            view = asg.group(name)
            moto_group = asg.groups[name].group
            counted = [i.instance_id for i in view.instances if i.lifecycle_state == "InService"
                       and i.instance_id in cpu and not asg.in_warmup(name, i.instance_id)]
            detailed = detailed_monitoring(moto_group)
            values = [self._point(i, now, detailed, cpu[i]) for i in counted]
            values = [v for v in values if v is not None]
            for ts, value in values:  # one value per instance: SampleCount = instances measured
                self.put(moto_group, "AWS/EC2", "CPUUtilization", value, [("AutoScalingGroupName", name)],
                         ts, "Percent")
            self._publish_group_metrics(now, view, moto_group)
            if self.record_minutes:
                self._record(now, view, cpu, [traffic[a] for a in view.target_group_arns if a in traffic])

    def _publish_group_metrics(self, now: float, view: Any, moto_group: Any) -> None:
        enabled = set(getattr(moto_group, "metrics", None) or [])
        if not enabled:
            return
        states = [i.lifecycle_state for i in view.instances]
        figures = {
            "GroupMinSize": view.min_size, "GroupMaxSize": view.max_size,
            "GroupDesiredCapacity": view.desired_capacity,
            "GroupInServiceInstances": states.count("InService"),
            "GroupPendingInstances": sum(s.startswith("Pending") for s in states),
            "GroupStandbyInstances": states.count("Standby"),
            "GroupTerminatingInstances": sum(s.startswith("Terminating") for s in states),
            "GroupTotalInstances": sum(s != "Terminated" for s in states),
        }
        for metric, value in figures.items():
            if metric in enabled:
                self.put(moto_group, "AWS/AutoScaling", metric, float(value),
                         [("AutoScalingGroupName", view.name)], now - 60, "None")

    def _publish_alb(self, now: float, g: GroupMinute) -> None:
        """``AWS/ApplicationELB``: only while requests flow (no data points otherwise)."""
        total = g.requests + (g.elb_5xx if not g.instances else 0.0)
        if total <= 0:
            return
        tg = g.tg
        tg_dim = ("TargetGroup", tg.arn.split(":")[-1])
        lb_dims = [("LoadBalancer", arn.split(":loadbalancer/")[-1]) for arn in tg.load_balancer_arns]
        ts = now - 60
        for lb in lb_dims:
            both = [lb, tg_dim]
            self.put(tg, "AWS/ApplicationELB", "RequestCount", g.requests, both, ts, "Count")
            self.put(tg, "AWS/ApplicationELB", "RequestCount", g.requests, [lb], ts, "Count")
            if g.served:
                self.put(tg, "AWS/ApplicationELB", "TargetResponseTime", g.target_response_time_s, both, ts, "Seconds")
            if g.target_5xx:
                self.put(tg, "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", g.target_5xx, both, ts, "Count")
            if g.elb_5xx:
                self.put(tg, "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", g.elb_5xx, [lb], ts, "Count")
            states = [th.state for th in self.sim.elb.targets_of(tg.arn)]
            self.put(tg, "AWS/ApplicationELB", "HealthyHostCount", float(states.count("healthy")), both, ts, "Count")
            self.put(tg, "AWS/ApplicationELB", "UnHealthyHostCount", float(states.count("unhealthy")), both, ts, "Count")
        per_target = g.requests / g.targets if g.targets else 0.0
        self.put(tg, "AWS/ApplicationELB", "RequestCountPerTarget", per_target, [tg_dim], ts, "Count")
        for lb in lb_dims:
            self.put(tg, "AWS/ApplicationELB", "RequestCountPerTarget", per_target, [lb, tg_dim], ts, "Count")

    def _record(self, now: float, view: Any, cpu: dict[str, float], groups: list[GroupMinute]) -> None:
        states = [i.lifecycle_state for i in view.instances]
        ids = [i.instance_id for i in view.instances if i.instance_id in cpu]
        self.minutes.append(MinuteRecord(
            now, view.name, view.desired_capacity, states.count("InService"), len(ids),
            sum(cpu[i] for i in ids) / len(ids) if ids else None, sum(g.requests for g in groups),
            sum(g.elb_5xx + g.target_5xx for g in groups), max((g.p95_latency_s for g in groups), default=0.0)))

    # -- moto access -------------------------------------------------------------
    def put(self, owner: Any, namespace: str, name: str, value: float, dims: list[tuple[str, str]],
            timestamp: float, unit: str) -> None:
        """Store one datapoint in the CloudWatch backend of ``owner``'s account and region."""
        backend = self._backend_for(owner)
        when = datetime.fromtimestamp(timestamp, timezone.utc).replace(tzinfo=None)
        backend.metric_data.append(MetricDatum(namespace, name, float(value),
                                               [{"Name": n, "Value": v} for n, v in dims], when, unit))

    @staticmethod
    def _backend_for(owner: Any) -> Any:
        from moto.cloudwatch.models import cloudwatch_backends

        account = getattr(owner, "account_id", None) or getattr(getattr(owner, "ec2_backend", None), "account_id", None)
        # The EC2 backend's region first: moto 5.2.5 creates Auto Scaling's instances without a region,
        # so their own ``region_name`` says us-east-1 whatever region they run in.
        region = getattr(getattr(owner, "ec2_backend", None), "region_name", None) or getattr(owner, "region_name", None)
        if account is None or region is None:
            from ... import config

            account, region = account or "123456789012", region or config.region()
        return cloudwatch_backends[account][region]

    # -- alarms --------------------------------------------------------------------
    def evaluate_alarms(self, now: float | None = None) -> None:
        """Evaluate every metric alarm in every CloudWatch backend (CloudWatch does this each minute)."""
        from moto.cloudwatch.models import cloudwatch_backends

        now = self.sim.now if now is None else now
        for backend in moto_backends(cloudwatch_backends):
            index = self._index_of(backend)
            for alarm in list(backend.alarms.values()):
                if alarm.rule is not None or not alarm.metric_name:
                    continue  # composite and metric-math alarms are not evaluated (yet)
                spec = AlarmSpec.from_moto(alarm)
                samples = index.get((spec.namespace, spec.metric_name, frozenset(spec.dimensions)), [])
                self._apply(backend, alarm, evaluate(spec, samples, now, alarm.state_value), now)

    def _index_of(self, backend: Any) -> dict[tuple, list[Sample]]:
        """Datapoints by metric, kept up to date incrementally (moto only appends to metric_data)."""
        data = backend.metric_data
        cached = self._indexes.get(id(backend))
        if cached is None or cached[0] is not data or cached[1] > len(data):
            cached = (data, 0, defaultdict(list))
        _index(data[cached[1]:], cached[2])
        self._indexes[id(backend)] = (data, len(data), cached[2])
        return cached[2]

    def _apply(self, backend: Any, alarm: Any, ev: Any, now: float) -> None:
        from ...cloud.moto_ext.cloudwatch import record_state

        when = datetime.fromtimestamp(now, timezone.utc).replace(tzinfo=None)
        if ev.changed:
            record_state(alarm, ev.state, ev.reason, ev.reason_data, when)
            self.sim.timeline.record("cloudwatch", alarm.name, "alarm_state_changed", previous=ev.previous_state,
                                     state=ev.state, reason=ev.reason)
        self.run_actions(alarm, ev.actions, ev.state, ev)

    def on_state_set(self, backend: Any, alarm: Any) -> None:
        """SetAlarmState changed an alarm: AWS runs its actions for the new state."""
        actions = tuple(alarm.alarm_actions if alarm.state_value == "ALARM" else
                        alarm.ok_actions if alarm.state_value == "OK" else alarm.insufficient_data_actions)
        self.sim.timeline.record("cloudwatch", alarm.name, "alarm_state_changed", state=alarm.state_value,
                                 reason=alarm.state_reason, source="set-alarm-state")
        if alarm.actions_enabled:
            self.run_actions(alarm, actions, alarm.state_value, None)

    def run_actions(self, alarm: Any, actions: tuple[str, ...], state: str, ev: Any) -> None:
        from ...cloud.moto_ext.cloudwatch import record_action

        policies = getattr(self.sim, "policies", None)
        for arn in actions:
            if is_autoscaling_action(arn) and policies is not None:
                ok, detail = policies.execute(arn, alarm, state, ev)
                if detail:  # only actions that did something (or failed) leave history
                    record_action(alarm, arn, ok, detail)
            elif not is_autoscaling_action(arn):
                record_action(alarm, arn, True, "")


def _index(data: list[Any], out: dict[tuple, list[Sample]]) -> dict[tuple, list[Sample]]:
    """Add raw datapoints to ``out``, grouped by (namespace, name, dimensions)."""
    for md in data:
        value = getattr(md, "value", None)
        if value is None:
            continue
        key = (md.namespace, md.name, frozenset((d.name, d.value) for d in md.dimensions))
        ts = md.timestamp.replace(tzinfo=timezone.utc) if md.timestamp.tzinfo is None else md.timestamp
        out[key].append(Sample(ts.timestamp(), float(value)))
    return out

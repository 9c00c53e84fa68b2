"""The CloudWatch subsystem: sample the instances, publish each minute's metrics, evaluate every alarm.

Registered with the :class:`~awslab.sim.core.Simulator` as ``sim.cloudwatch``. Every
:data:`~.traffic.SLICE_S` simulated seconds it samples the load and each running instance's CPU
(:mod:`.traffic`). At each whole simulated minute it:

1. makes the minute's datapoints from those samples: ``AWS/EC2 CPUUtilization`` per instance
   (:mod:`.ec2_metrics`: a 1-minute point with detailed monitoring, a 5-minute statistic set with
   basic) and the group's aggregate (``AutoScalingGroupName``; instances still warming up left out,
   https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-default-instance-warmup.html),
   ``AWS/ApplicationELB`` only while requests flow
   (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html)
   and ``AWS/AutoScaling`` group metrics when enabled;
2. sends them to moto's CloudWatch with simulated timestamps; each arrives
   :attr:`CloudWatchSim.delivery_delay_s` after its period ends (:mod:`.delivery`);
3. evaluates every metric alarm over what has arrived (:mod:`.evaluator`);
4. once an hour, rolls the stores up as CloudWatch's retention does (:mod:`.store`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from .delivery import MetricDelivery, delivery_delay_from_env
from .ec2_metrics import BASIC_PERIOD_S, DETAILED_PERIOD_S, CpuDatapoint, CpuSamples
from .evaluator import AlarmEvaluator, moto_backends
from .store import Retention, raw_datum, statistic_set_datum, values_datum
from .traffic import SLICE_S, GroupMinute, TrafficMeter

__all__ = ["CloudWatchSim", "MinuteRecord", "detailed_monitoring", "alarm_period_for_group", "moto_backends"]

log = logging.getLogger("awslab.sim.cloudwatch")
#: AWS/AutoScaling group metrics (1-minute, when enabled):
#: https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-metrics.html
GROUP_METRICS = ("GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances",
                 "GroupPendingInstances", "GroupStandbyInstances", "GroupTerminatingInstances",
                 "GroupTotalInstances")
#: How often the stores are rolled up (retention is counted in days; an hour is plenty).
RETENTION_SWEEP_S = 3600


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


def _for_group(shape: Any, arn: str) -> Callable[[float], float] | None:
    return shape.get(arn) if isinstance(shape, dict) else shape


def _spliced(old: Any, old_t0: float, until: float, new: Any, t0: float) -> Callable[[float], float]:
    """Requests/s at epoch ``t``: the replaced shape before ``until``, the current one from its t=0 on."""
    def rps(t: float) -> float:
        if t < until:
            return old(t - old_t0) if old is not None and t >= old_t0 else 0.0
        return new(t - t0) if new is not None and t >= t0 else 0.0
    return rps


class CloudWatchSim:
    """``sim.cloudwatch``: the metric publisher and alarm evaluator.

    ``delivery_delay_s``: seconds after its period ends that a datapoint becomes readable
    (default: ``AWSLAB_METRIC_DELAY_S``, else AWS's stated one minute). It can be changed while running.
    """

    def __init__(self, record_minutes: bool = False, delivery_delay_s: float | None = None) -> None:
        self.sim: Any = None
        self.meter = TrafficMeter()
        self.cpu = CpuSamples()
        self.delivery = MetricDelivery()
        self.retention = Retention()
        self.evaluator: AlarmEvaluator | None = None
        self.delivery_delay_s = delivery_delay_from_env() if delivery_delay_s is None else float(delivery_delay_s)
        self.record_minutes = record_minutes
        self.minutes: list[MinuteRecord] = []
        self._load_seen: tuple[int, float] | None = None
        #: The shape a set_load replaced inside the slice not sampled yet: (shape, its t=0, replaced at).
        self._replaced: tuple[Any, float, float] | None = None
        self._last_sample: float | None = None
        self._gen = 0  # bumps on reset: an older loop sees it and stops

    # -- subsystem protocol ---------------------------------------------------
    def start(self, sim: Any) -> None:
        self.sim = sim
        sim.cloudwatch = self  # hook: the interface names no attribute for this subsystem
        if not hasattr(sim, "load"):
            sim.load = None
        self.evaluator = AlarmEvaluator(sim)
        sim.env.process(self._every_slice(sim.env, self._gen))
        from .routes import register

        register(sim)

    def reset(self) -> None:
        for part in (self.meter, self.cpu, self.delivery, self.retention, self.evaluator):
            part.reset()
        self.minutes.clear()
        self._load_seen = None
        self._replaced = None
        self._last_sample = None
        self._gen += 1
        if self.sim is not None:
            self.sim.env.process(self._every_slice(self.sim.env, self._gen))

    def _every_slice(self, env: Any, gen: int):
        while True:
            wait = SLICE_S - (self.sim.now % SLICE_S)
            yield env.timeout(wait if wait > 1e-6 else SLICE_S)
            if env is not self.sim.env or gen != self._gen:
                return  # superseded by a reset: a new loop runs
            try:
                self.step()
            except Exception:  # one bad slice must not stop CloudWatch for good
                log.exception("CloudWatch step failed")

    # -- every slice, every minute ------------------------------------------------
    def step(self) -> None:
        """Sample the slice that just ended; at a whole minute, publish it and evaluate the alarms."""
        now = round(self.sim.now / SLICE_S) * SLICE_S
        start = self._last_sample if self._last_sample is not None else now - SLICE_S
        self._last_sample = now
        if now > start:
            self.meter.sample(self.sim, self._shapes(), start, now)
        if self._replaced is not None and self._replaced[2] <= now:
            self._replaced = None  # every second it covered has been sampled
        if int(now) % 60 == 0:
            self.tick(now)
        else:
            self.delivery.deliver_due(now)

    def tick(self, now: float) -> None:
        """Publish the minute that ends at ``now``, deliver what is due and evaluate every alarm."""
        groups, usage = self.meter.close_minute()
        samples = self.cpu.add_minute(now - 60, usage)
        owners = self._group_of_instances()
        self._publish_ec2(now, samples, owners)
        self._publish_groups(now, samples, groups)
        tgs = {tg.arn: tg for tg in self._target_groups()}
        for arn, g in groups.items():
            g.tg = tgs.get(arn)
            if g.tg is not None:
                self._publish_alb(now, g)
        self.delivery.deliver_due(now)
        self.evaluator.evaluate_all(now, self.delivery_delay_s)
        if int(now) % RETENTION_SWEEP_S == 0:
            self._apply_retention(now)

    def evaluate_alarms(self, now: float | None = None) -> None:
        """Evaluate every metric alarm now (CloudWatch does this each minute)."""
        self.evaluator.evaluate_all(self.sim.now if now is None else now, self.delivery_delay_s)

    def on_state_set(self, backend: Any, alarm: Any) -> None:
        """SetAlarmState changed an alarm (the moto extension's hook): run its actions."""
        self.evaluator.on_state_set(backend, alarm)

    # -- load -------------------------------------------------------------------------
    def set_load(self, shape: Any) -> None:
        """Drive virtual-mode traffic from now on: a load shape (every target group with a
        listener gets it) or ``{target_group_arn: shape}``. Same as ``sim.load = shape``, but
        the shape's t=0 is exactly now rather than the start of the current slice."""
        old = getattr(self.sim, "load", None)
        seen = self._load_seen
        # The slice in progress is sampled when it ends: until now it carried the old shape, not the new one.
        self._replaced = (old, seen[1], self.sim.now) if old is not None and seen and seen[0] == id(old) else None
        self.sim.load = shape
        self._load_seen = (id(shape), self.sim.now) if shape is not None else None

    def record_requests(self, target_group_arn: str, instance_id: str | None, count: float = 1.0,
                        latency_s: float = 0.0, status: int = 200, elb_generated: bool = False) -> None:
        """Realtime mode: the data plane reports ``count`` requests it carried (``instance_id`` None: the
        ALB found no target). A slice with reported requests replaces the load shape's figures."""
        self.meter.add(target_group_arn, instance_id, count, latency_s, status, elb_generated)

    def _shapes(self) -> dict[str, Callable[[float], float]]:
        """Each target group's requests/s as a function of epoch seconds (the replaced shape before the change)."""
        shape = getattr(self.sim, "load", None)
        if shape is not None and (self._load_seen is None or self._load_seen[0] != id(shape)):
            self._load_seen = (id(shape), self._last_sample - SLICE_S)  # set as a plain attribute during the slice
        t0 = self._load_seen[1] if shape is not None else 0.0
        before, b0, until = self._replaced or (None, 0.0, float("-inf"))
        out = {}
        for tg in self._target_groups():
            new, old = _for_group(shape, tg.arn), _for_group(before, tg.arn)
            if new is not None or old is not None:
                out[tg.arn] = _spliced(old, b0, until, new, t0)
        return out

    def _target_groups(self) -> list[Any]:
        from moto.elbv2.models import elbv2_backends

        return [tg for b in moto_backends(elbv2_backends) for tg in b.target_groups.values()
                if tg.load_balancer_arns and (tg.targets or self.sim.elb.targets_of(tg.arn))]

    # -- AWS/EC2 -------------------------------------------------------------------------
    def _group_of_instances(self) -> dict[str, Any]:
        """instance id -> the moto group it belongs to (ASG instances follow the group's launch template)."""
        asg = self.sim.autoscaling
        return {i.instance_id: asg.groups[name].group for name in list(getattr(asg, "groups", {}))
                for i in asg.group(name).instances}

    def _publish_ec2(self, now: float, samples: dict[str, float], owners: dict[str, Any]) -> None:
        for iid in samples:
            rec = self.sim.ec2.get(iid)
            if rec is None:
                continue
            detailed = (str(getattr(rec.instance, "monitoring_state", "disabled")).lower() == "enabled"
                        or detailed_monitoring(owners.get(iid)))
            dp = self.cpu.datapoint(iid, now, detailed)
            if dp is not None:
                self._send_cpu(rec.instance, dp, [("InstanceId", iid)], now)

    def _publish_groups(self, now: float, samples: dict[str, float], traffic: dict[str, GroupMinute]) -> None:
        asg = self.sim.autoscaling
        for name in list(getattr(asg, "groups", {})):
            view = asg.group(name)
            moto_group = asg.groups[name].group
            detailed = detailed_monitoring(moto_group)
            for i in view.instances:
                if i.instance_id in samples and self._in_aggregate(view, i):
                    dp = self.cpu.datapoint(i.instance_id, now, detailed)
                    if dp is not None:  # each instance's datapoint joins the aggregate as it is
                        self._send_cpu(moto_group, dp, [("AutoScalingGroupName", name)], now)
            self._publish_group_metrics(now, view, moto_group)
            if self.record_minutes:
                self._record(now, view, samples, [traffic[a] for a in view.target_group_arns if a in traffic])

    def _in_aggregate(self, view: Any, instance: Any) -> bool:
        """InService, and (when the policies subsystem tracks warm-up) done warming up."""
        warmup = getattr(getattr(self.sim, "policies", None), "warmup", None)
        if warmup is None:
            return instance.lifecycle_state == "InService"
        return warmup.in_aggregate(view, instance)

    def _send_cpu(self, owner: Any, dp: CpuDatapoint, dims: list[tuple[str, str]], now: float) -> None:
        if dp.count == 1:
            md = raw_datum("AWS/EC2", "CPUUtilization", dp.total, dims, dp.timestamp, "Percent")
        else:
            md = statistic_set_datum("AWS/EC2", "CPUUtilization", dp.total, dp.count, dp.minimum, dp.maximum,
                                     dims, dp.timestamp, "Percent")
        self._send(owner, md, now)

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

    # -- AWS/ApplicationELB ------------------------------------------------------------------
    def _publish_alb(self, now: float, g: GroupMinute) -> None:
        """``AWS/ApplicationELB``: only while requests flow (no data points otherwise)."""
        if g.requests + g.unrouted <= 0:
            return
        tg = g.tg
        tg_dim = ("TargetGroup", tg.arn.split(":")[-1])
        lb_dims = [("LoadBalancer", arn.split(":loadbalancer/")[-1]) for arn in tg.load_balancer_arns]
        ts = now - 60
        states = [th.state for th in self.sim.elb.targets_of(tg.arn)]
        for lb in lb_dims:
            both = [lb, tg_dim]
            self.put(tg, "AWS/ApplicationELB", "RequestCount", g.requests, both, ts, "Count")
            self.put(tg, "AWS/ApplicationELB", "RequestCount", g.requests, [lb], ts, "Count")
            if g.served:
                self._put_values(tg, "TargetResponseTime", g.latencies, both, ts, "Seconds")
            if g.target_5xx:
                self.put(tg, "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", g.target_5xx, both, ts, "Count")
            if g.elb_5xx:
                self.put(tg, "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", g.elb_5xx, [lb], ts, "Count")
            for metric, state in (("HealthyHostCount", "healthy"), ("UnHealthyHostCount", "unhealthy")):
                self.put(tg, "AWS/ApplicationELB", metric, float(states.count(state)), both, ts, "Count")
        self.put(tg, "AWS/ApplicationELB", "RequestCountPerTarget", g.per_target, [tg_dim], ts, "Count")
        for lb in lb_dims:
            self.put(tg, "AWS/ApplicationELB", "RequestCountPerTarget", g.per_target, [lb, tg_dim], ts, "Count")

    def _record(self, now: float, view: Any, samples: dict[str, float], groups: list[GroupMinute]) -> None:
        states = [i.lifecycle_state for i in view.instances]
        ids = [i.instance_id for i in view.instances if i.instance_id in samples]
        self.minutes.append(MinuteRecord(
            now, view.name, view.desired_capacity, states.count("InService"), len(ids),
            sum(samples[i] for i in ids) / len(ids) if ids else None, sum(g.requests for g in groups),
            sum(g.elb_5xx + g.target_5xx for g in groups), max((g.p95_latency_s for g in groups), default=0.0)))

    # -- the store ---------------------------------------------------------------------------
    def put(self, owner: Any, namespace: str, name: str, value: float, dims: list[tuple[str, str]],
            timestamp: float, unit: str) -> None:
        """Send one raw value for the minute that starts at ``timestamp`` to ``owner``'s account and region."""
        self._send(owner, raw_datum(namespace, name, value, dims, timestamp, unit), timestamp + 60)

    def _put_values(self, owner: Any, name: str, counts: dict[float, float], dims: list[tuple[str, str]],
                    timestamp: float, unit: str) -> None:
        """A minute's values with their counts, as ``PutMetricData`` ``Values``/``Counts`` sends them: one datum,
        from which CloudWatch computes percentiles too (:mod:`.latency`)."""
        if counts:
            md = values_datum("AWS/ApplicationELB", name, counts, dims, timestamp, unit)
            self._send(owner, md, timestamp + 60)

    def _send(self, owner: Any, md: Any, period_end: float) -> None:
        self.delivery.send(self._backend_for(owner).metric_data, md, period_end + self.delivery_delay_s)

    def _apply_retention(self, now: float) -> None:
        from moto.cloudwatch.models import cloudwatch_backends

        for backend in moto_backends(cloudwatch_backends):
            moved = self.retention.apply(backend.metric_data, now)
            if moved:
                self.evaluator.store_moved(backend.metric_data, moved)

    @staticmethod
    def _backend_for(owner: Any) -> Any:
        from moto.cloudwatch.models import cloudwatch_backends

        account = getattr(owner, "account_id", None) or getattr(getattr(owner, "ec2_backend", None), "account_id", None)
        # The EC2 backend's region first: moto 5.2.5 creates Auto Scaling's instances without a region,
        # so their own ``region_name`` says us-east-1 whatever region they run in.
        region = (getattr(getattr(owner, "ec2_backend", None), "region_name", None)
                  or getattr(owner, "region_name", None))
        if account is None or region is None:
            from ... import config

            account, region = account or "123456789012", region or config.region()
        return cloudwatch_backends[account][region]

"""What if? Run one load shape against several scaling setups and compare them side by side.

Each setup runs in its own in-process, virtual-time simulated account (moto +
the simulator): a VPC over two AZs, an ALB with a target group, and an ASG of
``instance_type`` behind it. The same load shape drives every run, so the
only difference is the policy. Hours of AWS time take seconds::

    from awslab.sim import load, whatif
    result = whatif.compare(load.seed_surge(at_s=600), [
        whatif.target_tracking(70), whatif.step_scaling(70), whatif.simple_scaling(70), whatif.no_policy()],
        duration_s=2 * 3600)
    result.to_rows()          # [{"setup": "target tracking 70%", "minute": 0, "capacity": 2, ...}, ...]

Nothing here touches the embedded cloud: every run uses moto's in-memory backends.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .load import LoadShape

__all__ = ["PolicySetup", "Point", "CapacityChange", "RunRecord", "RunResult", "Comparison", "compare", "run",
           "target_tracking", "step_scaling", "simple_scaling", "scheduled", "no_policy", "replay"]

REGION = "ap-northeast-2"
#: The step and simple setups' alarms: scale out after this many breaching one-minute datapoints, in after 5.
SCALE_OUT_PERIODS = 2
SCALE_IN_PERIODS = 5
#: moto's switch for its default AMIs (see :func:`run`).
NO_AMIS = "MOTO_EC2_LOAD_DEFAULT_AMIS"
#: A fixed simulated start (a whole minute) so runs are reproducible.
START_EPOCH = 1_796_000_040.0


@dataclass(frozen=True)
class PolicySetup:
    """A named scaling setup: ``apply(ctx)`` puts its policies/alarms/actions on ``ctx.group``."""

    name: str
    apply: Callable[["RunContext"], None]


@dataclass
class RunContext:
    """What a setup may use: boto3 clients on the run's account, the group, the clock."""

    autoscaling: Any
    cloudwatch: Any
    group: str
    target_group_arn: str
    now: float


@dataclass(frozen=True)
class Point:
    """One simulated minute of one run."""

    minute: int
    capacity: int             # desired capacity
    in_service: int
    cpu_percent: float | None  # average over the group's running instances
    p95_latency_ms: float
    requests: float
    errors: float             # ALB 5xx (timeouts, no target) + target 5xx


@dataclass(frozen=True)
class CapacityChange:
    """The group's desired capacity changed ``seconds`` after the load started (a policy, a schedule)."""

    seconds: float
    previous: int
    desired: int


@dataclass(frozen=True)
class RunRecord:
    """What the run's account says about itself at the end, read through the standard APIs (AWS's own shapes).

    ``policies``: DescribePolicies; ``alarms``: DescribeAlarms (the setup's and target tracking's);
    ``alarm_history``: DescribeAlarmHistory's StateUpdate items, oldest first; ``activities``:
    DescribeScalingActivities, oldest first. Timestamps are the run's simulated time.
    """

    policies: tuple[dict[str, Any], ...] = ()
    alarms: tuple[dict[str, Any], ...] = ()
    alarm_history: tuple[dict[str, Any], ...] = ()
    activities: tuple[dict[str, Any], ...] = ()
    #: Epoch seconds at which the load started (the runs' minute 0).
    load_started: float = 0.0


@dataclass(frozen=True)
class RunResult:
    """The time series of one setup, plus the totals that matter."""

    setup: str
    points: tuple[Point, ...]
    instance_hours: float
    capacity_changes: tuple[CapacityChange, ...] = ()
    aws: RunRecord = RunRecord()

    @property
    def scale_outs(self) -> list[float]:
        """Seconds after the load started at which the desired capacity went up."""
        return [c.seconds for c in self.capacity_changes if c.desired > c.previous]

    @property
    def total_errors(self) -> float:
        return sum(p.errors for p in self.points)

    @property
    def total_requests(self) -> float:
        return sum(p.requests for p in self.points)

    @property
    def error_rate(self) -> float:
        total = self.total_requests + sum(p.errors for p in self.points if p.requests == 0)
        return self.total_errors / total if total else 0.0

    @property
    def max_capacity(self) -> int:
        return max((p.capacity for p in self.points), default=0)

    @property
    def worst_p95_ms(self) -> float:
        return max((p.p95_latency_ms for p in self.points), default=0.0)

    def to_rows(self) -> list[dict[str, Any]]:
        return [{"setup": self.setup, **vars(p)} for p in self.points]


@dataclass(frozen=True)
class Comparison:
    """Several runs of the same load: ``to_rows()`` for plotting, ``summary()`` for a table."""

    runs: tuple[RunResult, ...]
    duration_s: float
    #: Seconds after its period ends that a datapoint reached the runs' CloudWatch (AWSLAB_METRIC_DELAY_S).
    delivery_delay_s: float = 60.0

    def to_rows(self) -> list[dict[str, Any]]:
        return [row for r in self.runs for row in r.to_rows()]

    def summary(self) -> list[dict[str, Any]]:
        return [{"setup": r.setup, "instance_hours": round(r.instance_hours, 2), "max_capacity": r.max_capacity,
                 "errors": round(r.total_errors), "error_rate": round(r.error_rate, 4),
                 "worst_p95_ms": round(r.worst_p95_ms, 1)} for r in self.runs]

    def run(self, setup: str) -> RunResult:
        return next(r for r in self.runs if r.setup == setup)

    def _repr_html_(self) -> str:
        rows = self.summary()
        head = "".join(f"<th>{k}</th>" for k in rows[0]) if rows else ""
        body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r.values()) + "</tr>" for r in rows)
        return f"<table><caption>What if? ({self.duration_s / 3600:.1f} h simulated)</caption>" \
               f"<tr>{head}</tr>{body}</table>"


# -- setups -------------------------------------------------------------------------

def target_tracking(target: float = 70.0, disable_scale_in: bool = False) -> PolicySetup:
    """Target tracking on ASGAverageCPUUtilization (AWS's recommended policy type)."""
    def apply(ctx: RunContext) -> None:
        ctx.autoscaling.put_scaling_policy(
            AutoScalingGroupName=ctx.group, PolicyName="tt", PolicyType="TargetTrackingScaling",
            TargetTrackingConfiguration={"TargetValue": float(target), "DisableScaleIn": disable_scale_in,
                                         "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}})
    return PolicySetup(f"target tracking {target:g}%", apply)


def _cpu_alarm(ctx: RunContext, name: str, threshold: float, op: str, arn: str, periods: int) -> None:
    ctx.cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average", Period=60,
        Dimensions=[{"Name": "AutoScalingGroupName", "Value": ctx.group}], EvaluationPeriods=periods,
        Threshold=float(threshold), ComparisonOperator=op, AlarmActions=[arn])


def step_scaling(threshold: float = 70.0, scale_in_below: float = 30.0, warmup_s: int = 60) -> PolicySetup:
    """Step scaling: +1 / +2 / +3 at 0-10 / 10-20 / 20+ points above ``threshold``; -1 below ``scale_in_below``."""
    def apply(ctx: RunContext) -> None:
        up = ctx.autoscaling.put_scaling_policy(
            AutoScalingGroupName=ctx.group, PolicyName="step-out", PolicyType="StepScaling",
            AdjustmentType="ChangeInCapacity", EstimatedInstanceWarmup=warmup_s, StepAdjustments=[
                {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 1},
                {"MetricIntervalLowerBound": 10, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 2},
                {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 3}])["PolicyARN"]
        down = ctx.autoscaling.put_scaling_policy(
            AutoScalingGroupName=ctx.group, PolicyName="step-in", PolicyType="StepScaling",
            AdjustmentType="ChangeInCapacity", StepAdjustments=[{"MetricIntervalUpperBound": 0, "ScalingAdjustment": -1}])["PolicyARN"]
        _cpu_alarm(ctx, "cpu-high", threshold, "GreaterThanThreshold", up, SCALE_OUT_PERIODS)
        _cpu_alarm(ctx, "cpu-low", scale_in_below, "LessThanThreshold", down, SCALE_IN_PERIODS)
    return PolicySetup(f"step scaling >{threshold:g}%", apply)


def simple_scaling(threshold: float = 70.0, scale_in_below: float = 30.0, cooldown_s: int = 300) -> PolicySetup:
    """Simple scaling: +1 above ``threshold``, -1 below ``scale_in_below``, then a cooldown each time."""
    def apply(ctx: RunContext) -> None:
        arns = [ctx.autoscaling.put_scaling_policy(
            AutoScalingGroupName=ctx.group, PolicyName=name, PolicyType="SimpleScaling",
            AdjustmentType="ChangeInCapacity", ScalingAdjustment=adj, Cooldown=cooldown_s)["PolicyARN"]
            for name, adj in (("simple-out", 1), ("simple-in", -1))]
        _cpu_alarm(ctx, "cpu-high", threshold, "GreaterThanThreshold", arns[0], SCALE_OUT_PERIODS)
        _cpu_alarm(ctx, "cpu-low", scale_in_below, "LessThanThreshold", arns[1], SCALE_IN_PERIODS)
    return PolicySetup(f"simple scaling >{threshold:g}% (cooldown {cooldown_s}s)", apply)


def scheduled(changes: Sequence[tuple[float, int | dict[str, int]]], name: str = "scheduled") -> PolicySetup:
    """Scheduled actions: ``[(seconds after the load starts, desired), ...]`` (one-time actions).

    Instead of a desired capacity an item may give the sizes, ``{"MinSize": 6, "DesiredCapacity": 6}``.
    """
    def apply(ctx: RunContext) -> None:
        from datetime import datetime, timezone

        for k, (offset, sizes) in enumerate(changes):
            sizes = sizes if isinstance(sizes, dict) else {"DesiredCapacity": int(sizes)}
            ctx.autoscaling.put_scheduled_update_group_action(
                AutoScalingGroupName=ctx.group, ScheduledActionName=f"{name}-{k}",
                StartTime=datetime.fromtimestamp(ctx.now + offset, timezone.utc), **sizes)
    return PolicySetup(name, apply)


def no_policy() -> PolicySetup:
    """No scaling at all: the fixed fleet, for reference."""
    return PolicySetup("no policy", lambda ctx: None)


#: The DescribePolicies fields a replayed step or simple policy keeps (PutScalingPolicy takes them as they are).
_POLICY_FIELDS = ("PolicyType", "AdjustmentType", "StepAdjustments", "MetricAggregationType", "EstimatedInstanceWarmup",
                  "ScalingAdjustment", "Cooldown", "MinAdjustmentMagnitude")
#: The DescribeAlarms fields a replayed alarm keeps.
_ALARM_FIELDS = ("Namespace", "MetricName", "Statistic", "Period", "EvaluationPeriods", "DatapointsToAlarm", "Threshold",
                 "ComparisonOperator", "TreatMissingData", "Unit")


def replay(name: str, policies: Sequence[dict[str, Any]], alarms: Sequence[dict[str, Any]]) -> PolicySetup:
    """Another group's step and simple policies and their alarms, as DescribePolicies and DescribeAlarms gave them.

    Each policy is put on the run's group under its own name; each alarm keeps its metric, statistic, period,
    evaluation periods and threshold, watches the run's group instead, and triggers the copies of its policies.
    """
    def apply(ctx: RunContext) -> None:
        arns = {}
        for p in policies:
            params = {k: p[k] for k in _POLICY_FIELDS if p.get(k) is not None}
            arns[p["PolicyARN"]] = ctx.autoscaling.put_scaling_policy(
                AutoScalingGroupName=ctx.group, PolicyName=p["PolicyName"], **params)["PolicyARN"]
        for a in alarms:
            actions = [arns[x] for x in a.get("AlarmActions", []) if x in arns]
            dims = [{"Name": d["Name"], "Value": ctx.group if d["Name"] == "AutoScalingGroupName" else d["Value"]}
                    for d in a.get("Dimensions", [])]
            ctx.cloudwatch.put_metric_alarm(AlarmName=a["AlarmName"], Dimensions=dims, AlarmActions=actions,
                                            **{k: a[k] for k in _ALARM_FIELDS if a.get(k) is not None})
    return PolicySetup(name, apply)


# -- running ------------------------------------------------------------------------

def compare(shape: LoadShape, setups: Sequence[PolicySetup], duration_s: float = 2 * 3600, **options: Any) -> Comparison:
    """Run ``shape`` against every setup (see :func:`run` for ``options``)."""
    from .cloudwatch.delivery import delivery_delay_from_env

    return Comparison(tuple(run(shape, s, duration_s, **options) for s in setups), duration_s, delivery_delay_from_env())


def run(shape: LoadShape, setup: PolicySetup, duration_s: float = 2 * 3600, instance_type: str = "t3.micro",
        min_size: int = 2, max_size: int = 10, desired: int = 2, detailed_monitoring: bool = True,
        warmup_s: int = 60, seed: int = 0) -> RunResult:
    """One virtual-time run of ``setup`` under ``shape`` for ``duration_s`` simulated seconds."""
    from moto import mock_aws

    from ..cloud import moto_ext
    from .core import Simulator

    saved = {k: os.environ.pop(k) for k in list(os.environ) if k == NO_AMIS}
    # A run never looks an image up: without this moto loads its ~5,000 default AMIs into every EC2 backend it
    # creates and again when mock_aws resets them at the end (about 3 s of each run's 5).
    os.environ[NO_AMIS] = "false"
    try:
        # The run's clients carry their own credentials and endpoints (see _clients), so moto need not put fake
        # ones in os.environ: a kernel that talks to the embedded cloud meanwhile (a drill runs this in a thread)
        # keeps its own environment.
        with mock_aws(config={"core": {"mock_credentials": False}}):
            sim = Simulator(mode="virtual", seed=seed, start_epoch=START_EPOCH).install()
            try:
                sim.cloudwatch.record_minutes = True
                ctx = _build(sim, instance_type, min_size, max_size, desired, detailed_monitoring, warmup_s)
                sim.advance(60 - sim.now % 60)
                ctx.now = sim.now
                setup.apply(ctx)
                sim.cloudwatch.minutes.clear()
                sim.cloudwatch.set_load(shape)
                sim.advance(duration_s)
                changes = tuple(CapacityChange(e.time - ctx.now, int(e.details["previous"]), int(e.details["desired"]))
                                for e in sim.timeline.query(since=ctx.now, component="autoscaling", resource=ctx.group,
                                                            event="desired_capacity_changed"))
                return _result(setup.name, ctx.group, sim.cloudwatch.minutes, ctx.now, changes, _record(ctx))
            finally:
                moto_ext.uninstall()
    finally:
        os.environ.pop(NO_AMIS, None)
        os.environ.update(saved)


_SESSION: list[Any] = []


def _clients(*names: str) -> list[Any]:
    """Clients for a run's account; one session for every run, so botocore reads each API's model once."""
    import boto3

    if not _SESSION:
        _SESSION.append(boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                              region_name=REGION))
    # AWS's own endpoints, named (an AWS_ENDPOINT_URL* in the environment would otherwise win): moto answers them.
    session = _SESSION[0]
    return [session.client(n, endpoint_url="https://{prefix}.{region}.amazonaws.com".format(
        prefix=session._session.get_service_model(n).endpoint_prefix, region=REGION)) for n in names]


def _build(sim: Any, instance_type: str, min_size: int, max_size: int, desired: int, detailed: bool,
           warmup_s: int) -> RunContext:
    """VPC over two AZs, LT, target group, ALB + listener, ASG; waits until the fleet is healthy."""
    ec2, elbv2, autoscaling, cloudwatch = _clients("ec2", "elbv2", "autoscaling", "cloudwatch")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{10 + i}.0/24", AvailabilityZone=f"{REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ac")]
    ec2.create_launch_template(LaunchTemplateName="whatif-lt", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": instance_type, "Monitoring": {"Enabled": detailed}})
    tg = elbv2.create_target_group(Name="whatif-tg", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckPath="/health",
                                   HealthCheckIntervalSeconds=30, HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    lb = elbv2.create_load_balancer(Name="whatif-alb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="whatif-asg", MinSize=min_size, MaxSize=max_size, DesiredCapacity=desired,
        LaunchTemplate={"LaunchTemplateName": "whatif-lt"}, VPCZoneIdentifier=",".join(subnets), TargetGroupARNs=[tg],
        HealthCheckType="ELB", HealthCheckGracePeriod=60, DefaultInstanceWarmup=warmup_s)
    for _ in range(60):  # at most 30 simulated minutes
        if sum(th.state == "healthy" for th in sim.elb.targets_of(tg)) >= desired:
            break
        sim.advance(30)
    return RunContext(autoscaling, cloudwatch, "whatif-asg", tg, sim.now)


def _record(ctx: RunContext) -> RunRecord:
    """The run's policies, alarms, alarm history and scaling activities, read back through the APIs."""
    policies = ctx.autoscaling.describe_policies(AutoScalingGroupName=ctx.group)["ScalingPolicies"]
    alarms = [a for page in ctx.cloudwatch.get_paginator("describe_alarms").paginate() for a in page["MetricAlarms"]]
    history = [h for a in alarms for page in ctx.cloudwatch.get_paginator("describe_alarm_history").paginate(
        AlarmName=a["AlarmName"], HistoryItemType="StateUpdate") for h in page["AlarmHistoryItems"]]
    activities = [a for page in ctx.autoscaling.get_paginator("describe_scaling_activities").paginate(
        AutoScalingGroupName=ctx.group) for a in page["Activities"]]
    return RunRecord(tuple(policies), tuple(alarms), tuple(sorted(history, key=lambda h: h["Timestamp"])),
                     tuple(sorted(activities, key=lambda a: a["StartTime"])), ctx.now)


def _result(name: str, group: str, minutes: list[Any], start: float, changes: tuple[CapacityChange, ...] = (),
            aws: RunRecord = RunRecord()) -> RunResult:
    points = tuple(Point(int(round((m.time - start) / 60)), m.desired_capacity, m.in_service,
                         None if m.cpu_percent is None else round(m.cpu_percent, 2),
                         round(m.p95_latency_s * 1000, 1), m.requests, m.errors)
                   for m in minutes if m.group_name == group)
    hours = sum(m.running for m in minutes if m.group_name == group) / 60.0
    return RunResult(name, points, hours, changes, aws)

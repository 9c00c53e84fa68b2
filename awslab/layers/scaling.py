"""Layer 9, scaling policies: how the group decides to grow and shrink. These are the seed's four kinds.

=================  ==========================================  ===============================
kind               how it works                                alarms
=================  ==========================================  ===============================
target tracking    "keep average CPU at 70 %": AWS works out   AWS creates and tunes them
                   how many instances that takes               (``TargetTracking-...``)
step scaling       "CPU >= 60 %: +1 when 60-80, +2 above 80"   you create them, one per direction
simple scaling     "CPU >= 80 %: +1, then wait 300 s"          you create it
scheduled          "weekdays 09:00 KST: at least 4"            none: a clock (cron, in a TimeZone)
=================  ==========================================  ===============================

CloudWatch is the thermometer and the **alarm** is the alarm bell. The
**policy** is the prescription, and the **Auto Scaling group** carries it out.

By default awslab creates all four, so that a drill can compare them side by side
on the same group. In production you would normally use **target tracking alone**.
It needs no alarms of your own, it scales out in proportion to the load, and it
scales in cautiously. Several policies on one group interact: the group scales out
if any policy asks to, which makes the group's behaviour harder to predict. Mixing
them here is for teaching. Pick kinds with ``ScalingSpec(kinds=("target_tracking",))``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ScalingError, ValidationError
from ..lab import Lab
from . import spec_types, validate
from ._base import Built, call, cli_tag_list, paginate
from ..i18n import _

LAYER = "scaling"
KINDS = ("target_tracking", "step", "simple", "scheduled")
__all__ = ["KINDS", "Step", "Schedule", "ScalingSpec", "ScalingPolicies", "build_scaling_policies", "ensure_policy", "ensure_alarm",
           "ensure_scheduled_action", "describe_scaling"]

TARGET_METRICS, ADJUSTMENT_TYPES = validate.TARGET_METRICS, validate.ADJUSTMENT_TYPES
#: The alarms awslab puts for step and simple scaling are named <group><suffix>.
ALARM_SUFFIXES = {"step-out": "-cpu-high-step", "step-in": "-cpu-low-step", "simple": "-cpu-high-simple"}


@dataclass
class Step:
    """One step of a step policy. Bounds are *relative to the alarm threshold*; ``None`` is infinity."""

    lower_bound: float | None
    upper_bound: float | None
    adjustment: int

    def api(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.lower_bound is not None:
            d["MetricIntervalLowerBound"] = float(self.lower_bound)
        if self.upper_bound is not None:
            d["MetricIntervalUpperBound"] = float(self.upper_bound)
        d["ScalingAdjustment"] = self.adjustment
        return d


@dataclass
class Schedule:
    """A scheduled action: on ``recurrence`` (5-field cron, UTC unless ``time_zone``), set the sizes given."""

    name: str
    recurrence: str
    min_size: int | None = None
    max_size: int | None = None
    desired_capacity: int | None = None
    time_zone: str | None = None  # an IANA name such as "Asia/Seoul"; None means UTC


def _default_schedules() -> list[Schedule]:
    # Weekday mornings at 09:00 in Seoul start with 4 servers; 19:00 goes back to 2. The cron is read in the
    # TimeZone given (UTC without one: "0 0 * * 1-5" would be the same instants, Seoul has no daylight saving).
    return [Schedule("weekday-morning", "0 9 * * 1-5", min_size=4, desired_capacity=4, time_zone="Asia/Seoul"),
            Schedule("weekday-evening", "0 19 * * 1-5", min_size=2, desired_capacity=2, time_zone="Asia/Seoul")]


@dataclass
class ScalingSpec:
    """Which policies to create, and their settings. Defaults: the four kinds the seed compares.

    Step bounds are relative to the alarm's threshold, as in the API and CLI (the
    console shows absolute values). With ``step_out_threshold=60``, the default
    ``[0, 20) -> +1`` means CPU 60-80 % adds one instance, and ``[20, inf) -> +2``
    means 80 % or more adds two.
    """

    kinds: tuple[str, ...] = KINDS
    target_metric: str = "ASGAverageCPUUtilization"
    target_value: float = 70.0
    disable_scale_in: bool = False
    estimated_instance_warmup: int | None = None  # None: the group's DefaultInstanceWarmup applies
    step_adjustment_type: str = "ChangeInCapacity"
    step_out_threshold: float = 60.0
    step_out: list[Step] = field(default_factory=lambda: [Step(0, 20, 1), Step(20, None, 2)])
    step_in_threshold: float = 30.0
    step_in: list[Step] = field(default_factory=lambda: [Step(None, 0, -1)])
    simple_adjustment_type: str = "ChangeInCapacity"
    simple_threshold: float = 80.0
    simple_adjustment: int = 1
    simple_cooldown: int = 300  # AWS's DefaultCooldown (ec2-auto-scaling-scaling-cooldowns.html)
    alarm_period: int = 60  # 1-minute data needs detailed monitoring (the launch template turns it on)
    alarm_evaluation_periods: int = 2
    schedules: list[Schedule] = field(default_factory=_default_schedules)


@dataclass
class ScalingPolicies(Built):
    """The policies (name -> ARN), every alarm that drives them, and the scheduled actions."""

    auto_scaling_group_name: str
    kinds: list[str]
    policy_arns: dict[str, str]
    alarm_names: list[str]
    target_tracking_alarm_names: list[str]
    scheduled_action_names: list[str]
    created: list[str] = field(default_factory=list)

    @property
    def policy_names(self) -> list[str]:
        return list(self.policy_arns)


# -- validation -------------------------------------------------------------------------------------------


def _steps(name: str, steps: list[Step], above: bool, adjustment_type: str) -> None:
    """AWS's step rules: no overlaps, no gaps, one open lower end at most, one open upper end at most (§5.2)."""
    bounds = (_("this alarm fires above its threshold, so bounds are 0 or more") if above else
              _("this alarm fires below its threshold, so bounds are 0 or less"))
    fix = _("e.g. {steps}").format(steps="[Step(0, 20, 1), Step(20, None, 2)]" if above else "[Step(None, 0, -1)]")
    if not steps:
        raise ValidationError(name, steps, _("a step policy needs at least one step"), fix)
    if sum(s.lower_bound is None for s in steps) > 1 or sum(s.upper_bound is None for s in steps) > 1:
        raise ValidationError(name, steps, _("only one step may have a null lower bound, and only one a null upper bound"), fix)
    inf = float("inf")
    ordered = sorted(steps, key=lambda s: -inf if s.lower_bound is None else s.lower_bound)
    for s in ordered:
        lo, hi = (-inf if s.lower_bound is None else s.lower_bound), (inf if s.upper_bound is None else s.upper_bound)
        if lo >= hi:
            raise ValidationError(name, steps, _("a step's lower bound must be below its upper bound ({s})").format(
                s=s), fix)
        if (above and lo < 0) or (not above and hi > 0):
            raise ValidationError(name, steps, bounds, fix)
        if not isinstance(s.adjustment, int) or (adjustment_type != "ExactCapacity" and (s.adjustment > 0) != above) or s.adjustment == 0:
            raise ValidationError(name, steps, _("scale-out adjustments are whole numbers above 0") if above else
                                  _("scale-in adjustments are whole numbers below 0"), fix)
    for a, b in zip(ordered, ordered[1:]):
        if a.upper_bound != b.lower_bound:
            raise ValidationError(name, steps, _("step ranges must not overlap or leave gaps ({a} then {b})").format(
                a=a, b=b),
                                  _("Make each step start where the one before ends."))


def _cron(name: str, expr: str) -> None:
    """Five fields, each a value, range, list or */step within its range (§5.4)."""
    fix = "Write 'minute hour day-of-month month day-of-week' in UTC, e.g. '0 0 * * 1-5' (09:00 KST on weekdays)."
    if not re.fullmatch(r"[^\s]+(?: [^\s]+){4}", expr):
        raise ValidationError(name, expr, _("a Recurrence is a cron expression of 5 fields separated by single spaces"), fix)
    for part, (lo, hi) in zip(expr.split(" "), validate.CRON_RANGES):
        for item in part.lower().split(","):
            rng, slash, step = item.partition("/")
            ends = [] if rng == "*" else rng.split("-")
            values = [validate.CRON_NAMES.get(v, int(v) if _digits(v) else -1) for v in ends]
            bad_step = slash and not (_digits(step) and int(step) > 0)
            if bad_step or len(ends) > 2 or not all(lo <= v <= hi for v in values):
                raise ValidationError(name, expr, _("the field {part!r} is not a cron value in {lo}-{hi}").format(
                    part=part, lo=lo, hi=hi), fix)


def _digits(text: str) -> bool:
    """ASCII digits only ('٣'.isdigit() is True in Python, but not in a cron expression)."""
    return text.isascii() and text.isdigit()


def _schedule(lab: Lab, i: int, s: Schedule, min_size: int, max_size: int) -> None:
    where = "schedules[{i}]".format(i=i)
    validate.SCHEDULED_ACTION_NAME.check(where + ".name", s.name, "Use e.g. 'weekday-morning'.")
    full = lab.resource_name(s.name)
    if len(full) > validate.SCHEDULED_ACTION_NAME.max_len:
        raise ValidationError(where + ".name", s.name, _("with the lab's name in front ({full}) it is {n} characters; AWS allows {most}").format(
            full=full, n=len(full), most=validate.SCHEDULED_ACTION_NAME.max_len), _("Use a shorter name, e.g. 'weekday-morning'."))
    _cron(where + ".recurrence", s.recurrence)
    if s.min_size is None and s.max_size is None and s.desired_capacity is None:
        raise ValidationError(where, s, _("a scheduled action sets at least one of min_size, max_size, desired_capacity"),
                              _("Give e.g. min_size=4, desired_capacity=4."))
    lo = s.min_size if s.min_size is not None else min_size
    hi = s.max_size if s.max_size is not None else max_size
    validate.capacity(lo, s.desired_capacity if s.desired_capacity is not None else lo, hi, where=where + ".")
    if s.time_zone is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(s.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(where + ".time_zone", s.time_zone, _("it is not an IANA time zone name"),
                                  _("Use e.g. 'Asia/Seoul' or 'Etc/UTC', or None for UTC.")) from None


def check_spec(lab: Lab, spec: ScalingSpec | None, group: str, min_size: int, max_size: int,
               has_load_balancer: bool = True) -> ScalingSpec:
    """Check every policy, alarm and schedule against the group they act on (its name and sizes) before anything is created."""
    spec = spec_types.spec(spec, ScalingSpec, "scaling")
    bad = [k for k in spec.kinds if k not in KINDS]
    if bad or len(set(spec.kinds)) != len(spec.kinds):
        raise ValidationError("kinds", spec.kinds, _("each kind appears once and is one of {kinds}").format(
            kinds=", ".join(KINDS)),
                              _("Use e.g. kinds=('target_tracking',) - the usual production choice."))
    validate.one_of("target_metric", spec.target_metric, validate.TARGET_METRICS, "Use 'ASGAverageCPUUtilization', the seed's metric.")
    if spec.target_metric == "ALBRequestCountPerTarget" and "target_tracking" in spec.kinds and not has_load_balancer:
        raise ValidationError("target_metric", spec.target_metric, _("requests per target need the load balancer's target group"),
                              _("Pass load_balancer=..., or use 'ASGAverageCPUUtilization'."))
    cpu = spec.target_metric == "ASGAverageCPUUtilization"
    if not spec.target_value > 0 or (cpu and spec.target_value > 100):
        raise ValidationError("target_value", spec.target_value, _("the target is above 0 and at most 100 (%)") if cpu else _("the target is above 0"),
                              _("Use e.g. 70.0: keep the group's average CPU at 70 %."))
    if spec.estimated_instance_warmup is not None:
        validate.whole_number("estimated_instance_warmup", spec.estimated_instance_warmup, *validate.WARMUP_SECONDS_RANGE)
    for name in ("step_adjustment_type", "simple_adjustment_type"):
        validate.one_of(name, getattr(spec, name), validate.ADJUSTMENT_TYPES, "Use 'ChangeInCapacity'.")
    _steps("step_out", spec.step_out, True, spec.step_adjustment_type)
    _steps("step_in", spec.step_in, False, spec.step_adjustment_type)
    for name in ("step_out_threshold", "step_in_threshold", "simple_threshold"):
        validate.number(name, getattr(spec, name), 0, 100, "A CPU threshold is a percentage, 0-100: e.g. 60.0.")
    if spec.step_in_threshold >= spec.step_out_threshold:
        raise ValidationError("step_in_threshold", spec.step_in_threshold, _("it must be below step_out_threshold ({out}), or the two "
                              "alarms fight").format(out=spec.step_out_threshold), _("Use e.g. 30 and 60."))
    if spec.simple_adjustment == 0:
        raise ValidationError("simple_adjustment", spec.simple_adjustment, _("it is a whole number other than 0"), _("Use 1."))
    validate.whole_number("simple_cooldown", spec.simple_cooldown, *validate.COOLDOWN_RANGE, "300 s is AWS's default.")
    _alarms(spec, group)
    names = [s.name for s in spec.schedules]
    if len(set(names)) != len(names):
        raise ValidationError("schedules", names, _("scheduled action names must be unique"), _("Give each action its own name."))
    for i, s in enumerate(spec.schedules):
        _schedule(lab, i, s, min_size, max_size)
    return spec


def _alarms(spec: ScalingSpec, group: str) -> None:
    """The alarm period and evaluation periods, and the alarm names derived from the group's name."""
    if spec.alarm_period not in (10, 30) and (spec.alarm_period <= 0 or spec.alarm_period % 60):
        raise ValidationError("alarm_period", spec.alarm_period, _("a period is 10, 30 or a multiple of 60 seconds"), _("Use 60."))
    validate.whole_number("alarm_evaluation_periods", spec.alarm_evaluation_periods, 1, validate.ALARM_SPAN_MAX_S // spec.alarm_period,
                          "Period x evaluation periods may not exceed one day; 2 or 3 is usual.")
    for suffix in ALARM_SUFFIXES.values():
        problem = validate.ALARM_NAME.problem(group + suffix)
        if problem:
            raise ValidationError("name", group, _("the alarms are named '<group>{suffix}', and then {problem}").format(
                suffix=suffix, problem=problem), _("Use a shorter AutoScalingSpec(name=...), e.g. 'awslab-asg'."))


def validate_spec(lab: Lab, spec: ScalingSpec | None, asg: Any, load_balancer: Any = None) -> ScalingSpec:
    """Check the spec against the built group (and load balancer) before anything is created."""
    return check_spec(lab, spec, asg.name, asg.min_size, asg.max_size, load_balancer is not None)


# -- building ---------------------------------------------------------------------------------------------


def build_scaling_policies(lab: Lab, asg: Any, load_balancer: Any = None, spec: ScalingSpec | None = None) -> ScalingPolicies:
    """Ensure the chosen policies, the alarms that drive step and simple scaling, and the scheduled actions."""
    spec = validate_spec(lab, spec, asg, load_balancer)
    group, created = asg.name, []
    arns: dict[str, str] = {}
    alarms: list[str] = []
    tt_alarms: list[str] = []
    if "target_tracking" in spec.kinds:
        name = lab.resource_name("target-tracking")
        arns[name], tt_alarms = ensure_policy(lab, group, name, _target_tracking(spec, load_balancer), created)
        _record_policy(lab, "target-tracking", group, name, _target_tracking(spec, load_balancer),
                       f"Target tracking keeps {spec.target_metric} at {spec.target_value}; AWS makes its alarms")
    if "step" in spec.kinds:
        for direction, steps, threshold, op in (("out", spec.step_out, spec.step_out_threshold, "GreaterThanOrEqualToThreshold"),
                                                ("in", spec.step_in, spec.step_in_threshold, "LessThanOrEqualToThreshold")):
            name = lab.resource_name(f"step-scale-{direction}")
            params = {"PolicyType": "StepScaling", "AdjustmentType": spec.step_adjustment_type, "MetricAggregationType": "Average",
                      "StepAdjustments": [s.api() for s in steps]}
            if spec.estimated_instance_warmup is not None:
                params["EstimatedInstanceWarmup"] = spec.estimated_instance_warmup
            arns[name], _ = ensure_policy(lab, group, name, params, created)
            _record_policy(lab, f"step-{direction}", group, name, params, f"Step scaling, scale-{direction}: the steps are relative "
                           f"to its alarm's threshold ({threshold} %)", var=f"STEP_{direction.upper()}_ARN")
            alarms.append(ensure_alarm(lab, group, group + ALARM_SUFFIXES["step-" + direction], threshold, op,
                                       arns[name], spec, created, f"$STEP_{direction.upper()}_ARN"))
    if "simple" in spec.kinds:
        name = lab.resource_name("simple-scale-out")
        params = {"PolicyType": "SimpleScaling", "AdjustmentType": spec.simple_adjustment_type,
                  "ScalingAdjustment": spec.simple_adjustment, "Cooldown": spec.simple_cooldown}
        arns[name], _ = ensure_policy(lab, group, name, params, created)
        _record_policy(lab, "simple", group, name, params, f"Simple scaling: {spec.simple_adjustment:+d}, then wait "
                       f"{spec.simple_cooldown} s (the cooldown) before answering the alarm again", var="SIMPLE_ARN")
        alarms.append(ensure_alarm(lab, group, group + ALARM_SUFFIXES["simple"], spec.simple_threshold,
                                   "GreaterThanOrEqualToThreshold", arns[name], spec, created, "$SIMPLE_ARN"))
    schedules = [ensure_scheduled_action(lab, group, s, created) for s in spec.schedules] if "scheduled" in spec.kinds else []
    return ScalingPolicies(group, list(spec.kinds), arns, alarms + tt_alarms, tt_alarms, schedules, created)


def _target_tracking(spec: ScalingSpec, load_balancer: Any) -> dict[str, Any]:
    metric: dict[str, Any] = {"PredefinedMetricType": spec.target_metric}
    if spec.target_metric == "ALBRequestCountPerTarget":
        # app/<alb-name>/<id>/targetgroup/<tg-name>/<id>, taken from the two ARNs (as-scaling-target-tracking.html).
        lb_part = load_balancer.load_balancer_arn.split(":loadbalancer/", 1)[1]
        metric["ResourceLabel"] = f"{lb_part}/{load_balancer.target_group_arn.rsplit(':', 1)[1]}"
    params: dict[str, Any] = {"PolicyType": "TargetTrackingScaling", "TargetTrackingConfiguration": {
        "PredefinedMetricSpecification": metric, "TargetValue": float(spec.target_value), "DisableScaleIn": spec.disable_scale_in}}
    if spec.estimated_instance_warmup is not None:
        params["EstimatedInstanceWarmup"] = spec.estimated_instance_warmup
    return params


def _same(have: Any, want: Any) -> bool:
    """Does the existing setting match the wanted one? Numbers compare as floats; a missing False is False."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(_same(have.get(k), v) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(have) == len(want) and all(_same(h, w) for h, w in zip(have, want))
    if isinstance(want, bool):
        return bool(have) == want
    if isinstance(want, (int, float)) and isinstance(have, (int, float)):
        return float(have) == float(want)
    return have == want


def ensure_policy(lab: Lab, group: str, name: str, params: dict[str, Any], created: list[str]) -> tuple[str, list[str]]:
    """The policy by name (a policy name is its key in the group). Returns its ARN and the alarms attached to it."""
    asg = lab.client("autoscaling")

    def find() -> dict | None:
        found = asg.describe_policies(AutoScalingGroupName=group, PolicyNames=[name])["ScalingPolicies"]
        return found[0] if found else None

    policy = find()
    if policy is None or not _same(policy, params):
        response = call(asg.put_scaling_policy, _("putting the scaling policy {name}").format(
            name=name), error=ScalingError,
                        AutoScalingGroupName=group, PolicyName=name, **params)
        if policy is None:
            created.append(name)
        policy = dict(find() or {}, **{k: v for k, v in response.items() if k in ("PolicyARN", "Alarms") and v})
    # put_scaling_policy's response and describe_policies both list the alarms (target tracking's own ones).
    return policy["PolicyARN"], [a["AlarmName"] for a in policy.get("Alarms", [])]


def ensure_alarm(lab: Lab, group: str, name: str, threshold: float, operator: str, policy_arn: str, spec: ScalingSpec,
                 created: list[str], cli_arn: str) -> str:
    """A CloudWatch alarm on the group's average CPU that invokes ``policy_arn`` (put only if missing or changed)."""
    cw = lab.client("cloudwatch")
    wanted = {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "Dimensions": [{"Name": "AutoScalingGroupName", "Value": group}],
              "Statistic": "Average", "Period": spec.alarm_period, "EvaluationPeriods": spec.alarm_evaluation_periods,
              "Threshold": float(threshold), "ComparisonOperator": operator, "AlarmActions": [policy_arn]}
    found = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    if not found or not _same(found[0], wanted):
        call(cw.put_metric_alarm, _("putting the alarm {name}").format(
            name=name), error=ScalingError, AlarmName=name, Tags=lab.tags(name, LAYER),
             AlarmDescription=f"awslab: group {group} CPU {operator} {threshold} -> {policy_arn.rsplit('/', 1)[-1]}", **wanted)
        if not found:
            created.append(name)
    tags = " ".join(cli_tag_list(lab.tags(name, LAYER)))
    lab.record(f"scaling/alarm-{name}", f"aws cloudwatch put-metric-alarm --alarm-name {name} --namespace AWS/EC2 --metric-name "
               f"CPUUtilization --dimensions Name=AutoScalingGroupName,Value={group} --statistic Average --period {spec.alarm_period} "
               f"--evaluation-periods {spec.alarm_evaluation_periods} --threshold {threshold} --comparison-operator {operator} "
               f"--alarm-actions {cli_arn} --tags {tags}", _("The alarm that triggers it: average CPU {operator} {threshold} %").format(operator=operator, threshold=threshold))
    return name


def ensure_scheduled_action(lab: Lab, group: str, s: Schedule, created: list[str]) -> str:
    """A recurring scheduled action (by name); put only if missing or changed."""
    asg = lab.client("autoscaling")
    name = lab.resource_name(s.name)
    wanted: dict[str, Any] = {"Recurrence": s.recurrence}
    for key, value in (("MinSize", s.min_size), ("MaxSize", s.max_size), ("DesiredCapacity", s.desired_capacity), ("TimeZone", s.time_zone)):
        if value is not None:
            wanted[key] = value
    found = asg.describe_scheduled_actions(AutoScalingGroupName=group, ScheduledActionNames=[name])["ScheduledUpdateGroupActions"]
    if not found or not _same(found[0], wanted):
        call(asg.put_scheduled_update_group_action, _("putting the scheduled action {name}").format(
            name=name), error=ScalingError,
             AutoScalingGroupName=group, ScheduledActionName=name, **wanted)
        if not found:
            created.append(name)
    options = {"MinSize": "--min-size", "MaxSize": "--max-size", "DesiredCapacity": "--desired-capacity", "TimeZone": "--time-zone"}
    args = " ".join(f"{options[k]} {v}" for k, v in wanted.items() if k in options)
    lab.record(f"scaling/schedule-{s.name}", f"aws autoscaling put-scheduled-update-group-action --auto-scaling-group-name {group} "
               f"--scheduled-action-name {name} --recurrence \"{s.recurrence}\" {args}",
               _("Scheduled: '{recurrence}' ({zone}) sets {sizes}").format(
                   recurrence=s.recurrence, zone=s.time_zone or "UTC", sizes=args.replace("--", "")))
    return name


def _record_policy(lab: Lab, key: str, group: str, name: str, params: dict[str, Any], comment: str, var: str | None = None) -> None:
    args = ["aws", "autoscaling", "put-scaling-policy", "--auto-scaling-group-name", group, "--policy-name", name,
            "--policy-type", params["PolicyType"]]
    if "TargetTrackingConfiguration" in params:
        args += ["--target-tracking-configuration", json.dumps(params["TargetTrackingConfiguration"])]
    if "AdjustmentType" in params:
        args += ["--adjustment-type", params["AdjustmentType"]]
    if "StepAdjustments" in params:
        args += ["--metric-aggregation-type", "Average", "--step-adjustments",
                 *[",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in s.items())
                   for s in params["StepAdjustments"]]]
    for key_name, option in (("ScalingAdjustment", "--scaling-adjustment"), ("Cooldown", "--cooldown"),
                             ("EstimatedInstanceWarmup", "--estimated-instance-warmup")):
        if key_name in params:
            args += [option, str(params[key_name])]
    lab.record(f"scaling/{key}", args, comment, var=var, query="PolicyARN" if var else None)


def describe_scaling(lab: Lab, group: str | None = None) -> dict[str, list[dict]]:
    """Probe: the policies, scheduled actions and policy-invoking alarms of ``group`` (default: the lab's groups). Changes nothing."""
    from .autoscaling import describe_autoscaling

    asg, cw = lab.client("autoscaling"), lab.client("cloudwatch")
    groups = [group] if group else [g["AutoScalingGroupName"] for g in describe_autoscaling(lab)["auto_scaling_groups"]]
    policies = [p for g in groups for p in paginate(asg, "describe_policies", "ScalingPolicies", AutoScalingGroupName=g)]
    arns = {p["PolicyARN"] for p in policies}
    alarms = [a for a in paginate(cw, "describe_alarms", "MetricAlarms") if arns & set(a.get("AlarmActions", []))] if arns else []
    scheduled = [a for g in groups for a in paginate(asg, "describe_scheduled_actions", "ScheduledUpdateGroupActions", AutoScalingGroupName=g)]
    return {"policies": policies, "alarms": alarms, "scheduled_actions": scheduled}

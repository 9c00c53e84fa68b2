"""Lab 08, CloudWatch and the four kinds of scaling policy on the lab's Auto Scaling group.

The settings are the builder's (:class:`awslab.layers.scaling.ScalingSpec`), so that
``lab.build()`` in a later lab finds the student's policies and alarms and keeps them.
Sources: https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html,
https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html,
https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html
"""
from __future__ import annotations

import json
from typing import Any

from ..i18n import N_, _
from ..layers.scaling import ScalingSpec, Step, _default_schedules
from .registry import not_yet, ok, question, task

__all__ = ["SPEC", "the_group", "the_policy", "step_names"]

#: The builder's policies: what the tasks ask for.
SPEC = ScalingSpec()
CPU = {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "Statistic": "Average"}
#: The labels lab 08's measurements show (``expect(..., what=...)`` translates them).
LABELS = (N_("period end → datapoint readable"), N_("users arrive → AlarmHigh ALARM"),
          N_("users arrive → new capacity serving"), N_("CPU at the end (target 70 %)"),
          N_("users leave → AlarmLow ALARM"), N_("scheduled: errors"), N_("the most errors"),
          N_("simple: time between scale-outs"), N_("step: time between scale-outs"))
OPS = {"GreaterThanOrEqualToThreshold": ">=", "GreaterThanThreshold": ">", "LessThanOrEqualToThreshold": "<=",
       "LessThanThreshold": "<"}


def the_group(lab: Any) -> dict:
    """The lab's Auto Scaling group ``<lab>-asg`` (lab 07's), or a not-yet naming what to do."""
    name = lab.resource_name("asg")
    groups = lab.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    if not groups:
        raise not_yet(_("There is no Auto Scaling group named {name}: lab 07 builds it.").format(name=name),
                      _("Run the lab's first cell again: start(\"08\") builds (or finds) the group."))
    return groups[0]


def the_policy(lab: Any, group: str, name: str, kind: str, task_id: str) -> dict:
    """The policy ``name`` of ``group`` of type ``kind``, or a not-yet that names what is there instead."""
    asg = lab.client("autoscaling")
    found = asg.describe_policies(AutoScalingGroupName=group, PolicyNames=[name])["ScalingPolicies"]
    if not found:
        others = [p["PolicyName"] for p in asg.describe_policies(AutoScalingGroupName=group)["ScalingPolicies"]
                  if p["PolicyType"] == kind]
        if others:
            raise not_yet(_("{group} has a {kind} policy named {other}; the lab names it {name}, so that later labs "
                            "find it. Put it again under that name and delete the other.").format(
                group=group, kind=kind, other=", ".join(others), name=name),
                f"aws autoscaling delete-policy --auto-scaling-group-name {group} --policy-name {others[0]}")
        raise not_yet(_("{group} has no scaling policy named {name} yet (task {task}).").format(
            group=group, name=name, task=task_id), _("Run the task's cell: autoscaling.put_scaling_policy(...)."))
    policy = found[0]
    if policy["PolicyType"] != kind:
        raise not_yet(_("{name} is a {got} policy; task {task} asks for {kind}. A policy's type cannot change: delete "
                        "it and put it again.").format(name=name, got=policy["PolicyType"], task=task_id, kind=kind),
                      f"aws autoscaling delete-policy --auto-scaling-group-name {group} --policy-name {name}")
    return policy


def _alarms(lab: Any, names: list[str]) -> list[dict]:
    return lab.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"] if names else []


def _shape(alarm: dict) -> str:
    """``> 70 for 3 of 3 x 60 s``."""
    m = alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"]
    return "{op} {t:g} ({m} of {n} x {p} s)".format(op=OPS.get(alarm["ComparisonOperator"], alarm["ComparisonOperator"]),
                                                  t=alarm["Threshold"], m=m, n=alarm["EvaluationPeriods"], p=alarm["Period"])


# -- 08.1 target tracking ----------------------------------------------------------------------------


@task("08.1", N_("Target tracking: keep the group's average CPU at 70 %"))
def target_tracking(lab: Any) -> Any:
    group = the_group(lab)["AutoScalingGroupName"]
    name = lab.resource_name("target-tracking")
    policy = the_policy(lab, group, name, "TargetTrackingScaling", "08.1")
    cfg = policy.get("TargetTrackingConfiguration") or {}
    metric = (cfg.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
    put = (f"aws autoscaling put-scaling-policy --auto-scaling-group-name {group} --policy-name {name} --policy-type "
           "TargetTrackingScaling --target-tracking-configuration '" + json.dumps(
               {"PredefinedMetricSpecification": {"PredefinedMetricType": SPEC.target_metric},
                "TargetValue": SPEC.target_value}) + "'")
    if metric != SPEC.target_metric:
        raise not_yet(_("{name} tracks {got}; the seed's rule is about CPU: {want}.").format(
            name=name, got=metric or cfg.get("CustomizedMetricSpecification"), want=SPEC.target_metric), put)
    if float(cfg.get("TargetValue", 0)) != SPEC.target_value:
        raise not_yet(_("{name} keeps the average CPU at {got:g} %; the seed's rule is {want:g} %.").format(
            name=name, got=float(cfg.get("TargetValue", 0)), want=SPEC.target_value), put)
    if cfg.get("DisableScaleIn"):
        raise not_yet(_("{name} has scale-in disabled, so the group would never shrink after a surge. Let the policy "
                        "scale in too.").format(name=name), put)
    alarms = _alarms(lab, [a["AlarmName"] for a in policy.get("Alarms", [])])
    high = [a for a in alarms if a["ComparisonOperator"].startswith("GreaterThan")]
    low = [a for a in alarms if a["ComparisonOperator"].startswith("LessThan")]
    if not high or not low:
        raise not_yet(_("A target tracking policy owns two CloudWatch alarms, one to scale out and one to scale in; "
                        "{name} has {n}. Were they deleted? Put the policy again and AWS creates them again.").format(
            name=name, n=len(alarms)), put)
    from ..drills.story import short_name

    return ok(_("{name} keeps ASGAverageCPUUtilization at {target:g} %. AWS created its alarms: {high} (scale out "
                "when {hs}) and {low} (scale in when {ls}).").format(
        name=name, target=SPEC.target_value, high=short_name(high[0]["AlarmName"]), hs=_shape(high[0]),
        low=short_name(low[0]["AlarmName"]), ls=_shape(low[0])), [name, high[0]["AlarmName"], low[0]["AlarmName"]])


# -- alarms you create yourself (step and simple scaling) --------------------------------------------


def _put_alarm_cli(group: str, alarm: str, threshold: float, operator: str, policy_arn: str) -> str:
    return (f"aws cloudwatch put-metric-alarm --alarm-name {alarm} --namespace AWS/EC2 --metric-name CPUUtilization "
            f"--dimensions Name=AutoScalingGroupName,Value={group} --statistic Average --period {SPEC.alarm_period} "
            f"--evaluation-periods {SPEC.alarm_evaluation_periods} --threshold {threshold:g} "
            f"--comparison-operator {operator} --alarm-actions {policy_arn}")


def check_alarm(lab: Any, group: str, alarm_name: str, policy: dict, threshold: float, operator: str) -> dict:
    """The alarm that invokes a step or simple policy: on the group's average CPU, as the builder makes it."""
    put = _put_alarm_cli(group, alarm_name, threshold, operator, policy["PolicyARN"])
    found = _alarms(lab, [alarm_name])
    if not found:
        raise not_yet(_("There is no CloudWatch alarm named {alarm} yet. {policy} does nothing until an alarm invokes "
                        "it, and for this kind of policy you create that alarm yourself.").format(
            alarm=alarm_name, policy=policy["PolicyName"]), put)
    a = found[0]
    if policy["PolicyARN"] not in a.get("AlarmActions", []):
        raise not_yet(_("{alarm} does not invoke {policy}: its AlarmActions are {actions}. The alarm would ring and nobody "
                        "would act. Put the policy's ARN in AlarmActions.").format(
            alarm=alarm_name, policy=policy["PolicyName"], actions=a.get("AlarmActions") or "[]"), put)
    dims = {d["Name"]: d["Value"] for d in a.get("Dimensions", [])}
    if {k: a.get(k) for k in CPU} != CPU or dims != {"AutoScalingGroupName": group}:
        raise not_yet(_("{alarm} watches {ns} {metric} ({stat}) for {dims}; it should watch the group's average CPU: "
                        "AWS/EC2 CPUUtilization, Average, with the one dimension AutoScalingGroupName={group}.").format(
            alarm=alarm_name, ns=a.get("Namespace"), metric=a.get("MetricName"), stat=a.get("Statistic"), dims=dims,
            group=group), put)
    if float(a["Threshold"]) != float(threshold) or a["ComparisonOperator"] != operator:
        raise not_yet(_("{alarm} fires when CPU {got}; the lab's policy wants CPU {want}.").format(
            alarm=alarm_name, got=f"{OPS.get(a['ComparisonOperator'], a['ComparisonOperator'])} {a['Threshold']:g}",
            want=f"{OPS[operator]} {threshold:g}"), put)
    if a["Period"] != SPEC.alarm_period or a["EvaluationPeriods"] != SPEC.alarm_evaluation_periods:
        raise not_yet(_("{alarm} evaluates {n} period(s) of {p} s; the lab uses {want_n} of {want_p} s (one-minute data "
                        "from detailed monitoring).").format(alarm=alarm_name, n=a["EvaluationPeriods"], p=a["Period"],
                                                             want_n=SPEC.alarm_evaluation_periods,
                                                             want_p=SPEC.alarm_period), put)
    from .probes import LAB_TAG

    tags = {t["Key"]: t["Value"] for t in lab.client("cloudwatch").list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"]}
    if tags.get(LAB_TAG) != lab.name:
        raise not_yet(_("{alarm} has no {tag}={lab} tag: awslab's teardown finds a lab's alarms by that tag, and would "
                        "leave this one behind. Tag it.").format(alarm=alarm_name, tag=LAB_TAG, lab=lab.name),
                      f"aws cloudwatch tag-resource --resource-arn {a['AlarmArn']} --tags Key={LAB_TAG},Value={lab.name}")
    return a


def step_names(lab: Any, group: str) -> dict[str, tuple[str, str, float, str, list[Step]]]:
    """direction -> (policy name, alarm name, threshold, comparison, steps), as the builder names them."""
    return {"out": (lab.resource_name("step-scale-out"), f"{group}-cpu-high-step", SPEC.step_out_threshold,
                    "GreaterThanOrEqualToThreshold", SPEC.step_out),
            "in": (lab.resource_name("step-scale-in"), f"{group}-cpu-low-step", SPEC.step_in_threshold,
                   "LessThanOrEqualToThreshold", SPEC.step_in)}


def _steps_text(steps: list[Step], threshold: float) -> str:
    """``[60, 80): +1; [80, inf): +2`` in absolute CPU, as the console shows them. Above the threshold a step
    includes its lower bound, below it its upper bound (as-scaling-simple-step.html)."""
    parts = []
    for s in steps:
        lo = "-inf" if s.lower_bound is None else f"{threshold + s.lower_bound:g}"
        hi = "inf" if s.upper_bound is None else f"{threshold + s.upper_bound:g}"
        below = s.upper_bound is not None and s.upper_bound <= 0
        parts.append(f"({lo}, {hi}]: {s.adjustment:+d}" if below else f"[{lo}, {hi}): {s.adjustment:+d}")
    return "; ".join(parts)


def _check_steps(name: str, policy: dict, threshold: float, want: list[Step]) -> None:
    got = sorted((Step(s.get("MetricIntervalLowerBound"), s.get("MetricIntervalUpperBound"), s["ScalingAdjustment"])
                  for s in policy.get("StepAdjustments", [])), key=lambda s: -1e9 if s.lower_bound is None else s.lower_bound)
    same = [(s.lower_bound, s.upper_bound, s.adjustment) for s in got] == [
        (w.lower_bound if w.lower_bound is None else float(w.lower_bound),
         w.upper_bound if w.upper_bound is None else float(w.upper_bound), w.adjustment) for w in want]
    if same and policy.get("AdjustmentType") == "ChangeInCapacity":
        return
    absolute = any(b is not None and abs(b) >= threshold > 0 for s in got for b in (s.lower_bound, s.upper_bound))
    why = (_("The bounds are relative to the alarm's threshold ({t:g} %): 0 means {t:g} %, 20 means {t20:g} %.").format(
        t=threshold, t20=threshold + 20) if absolute else "")
    raise not_yet(_("{name} steps are {got} ({kind}); the lab's are {want} (ChangeInCapacity). {why}").format(
        name=name, got=_steps_text(got, threshold), kind=policy.get("AdjustmentType"), want=_steps_text(want, threshold),
        why=why).strip(), "StepAdjustments=" + json.dumps([w.api() for w in want]))


@task("08.2", N_("Step scaling: your own alarms, steps relative to their threshold"))
def step_scaling(lab: Any) -> Any:
    group = the_group(lab)["AutoScalingGroupName"]
    found = []
    for direction, (name, alarm, threshold, operator, steps) in step_names(lab, group).items():
        policy = the_policy(lab, group, name, "StepScaling", "08.2")
        _check_steps(name, policy, threshold, steps)
        check_alarm(lab, group, alarm, policy, threshold, operator)
        found += [name, alarm]
    out, in_ = step_names(lab, group)["out"], step_names(lab, group)["in"]
    return ok(_("{out} ({out_steps}) when {alarm_out} sees CPU >= {t_out:g} % for 2 minutes; {in_name} ({in_steps}) "
                "when {alarm_in} sees CPU <= {t_in:g} %.").format(
        out=out[0], out_steps=_steps_text(out[4], out[2]), alarm_out=out[1], t_out=out[2], in_name=in_[0],
        in_steps=_steps_text(in_[4], in_[2]), alarm_in=in_[1], t_in=in_[2]), found)


@task("08.3", N_("Simple scaling: one adjustment, then a cooldown"))
def simple_scaling(lab: Any) -> Any:
    group = the_group(lab)["AutoScalingGroupName"]
    name = lab.resource_name("simple-scale-out")
    alarm = f"{group}-cpu-high-simple"
    policy = the_policy(lab, group, name, "SimpleScaling", "08.3")
    put = (f"aws autoscaling put-scaling-policy --auto-scaling-group-name {group} --policy-name {name} --policy-type "
           f"SimpleScaling --adjustment-type ChangeInCapacity --scaling-adjustment {SPEC.simple_adjustment} "
           f"--cooldown {SPEC.simple_cooldown}")
    if policy.get("AdjustmentType") != "ChangeInCapacity" or policy.get("ScalingAdjustment") != SPEC.simple_adjustment:
        raise not_yet(_("{name} changes the capacity by {adj} ({kind}); the lab adds {want:+d} instance.").format(
            name=name, adj=policy.get("ScalingAdjustment"), kind=policy.get("AdjustmentType"), want=SPEC.simple_adjustment),
            put)
    if policy.get("Cooldown") != SPEC.simple_cooldown:
        raise not_yet(_("{name} has Cooldown {got}; the lab sets {want} s on the policy itself (without it the group's "
                        "DefaultCooldown applies).").format(name=name, got=policy.get("Cooldown"), want=SPEC.simple_cooldown),
                      put)
    check_alarm(lab, group, alarm, policy, SPEC.simple_threshold, "GreaterThanOrEqualToThreshold")
    return ok(_("{name}: +{adj} when {alarm} sees CPU >= {t:g} % for 2 minutes, then nothing more for {cooldown} s.").format(
        name=name, adj=SPEC.simple_adjustment, alarm=alarm, t=SPEC.simple_threshold, cooldown=SPEC.simple_cooldown),
        [name, alarm])


@task("08.4", N_("Scheduled actions: 4 servers on weekday mornings in Seoul, 2 in the evening"))
def scheduled(lab: Any) -> Any:
    from ..sim.policies.scheduled import Cron

    group = the_group(lab)["AutoScalingGroupName"]
    asg = lab.client("autoscaling")
    found = []
    for s in _default_schedules():
        name = lab.resource_name(s.name)
        put = (f"aws autoscaling put-scheduled-update-group-action --auto-scaling-group-name {group} "
               f"--scheduled-action-name {name} --recurrence \"{s.recurrence}\" --time-zone {s.time_zone} "
               f"--min-size {s.min_size} --desired-capacity {s.desired_capacity}")
        got = asg.describe_scheduled_actions(AutoScalingGroupName=group, ScheduledActionNames=[name])
        actions = got["ScheduledUpdateGroupActions"]
        if not actions:
            raise not_yet(_("{group} has no scheduled action named {name} yet.").format(group=group, name=name), put)
        a = actions[0]
        zone = a.get("TimeZone")
        if zone != s.time_zone:
            raise not_yet(_("{name} has TimeZone {got}: its cron \"{cron}\" is read in {where}. The lab's times are "
                            "Seoul's: TimeZone {want}.").format(name=name, got=zone or "-", cron=a.get("Recurrence"),
                                                                  where=zone or "UTC", want=s.time_zone), put)
        if not a.get("Recurrence") or Cron.parse(a["Recurrence"]) != Cron.parse(s.recurrence):
            raise not_yet(_("{name} runs on \"{got}\"; the lab's is \"{want}\" (minute hour day-of-month month "
                            "day-of-week: {hour}:00, Monday to Friday).").format(
                name=name, got=a.get("Recurrence") or a.get("StartTime"), want=s.recurrence, hour=s.recurrence.split()[1]),
                put)
        if (a.get("MinSize"), a.get("DesiredCapacity")) != (s.min_size, s.desired_capacity):
            raise not_yet(_("{name} sets min {min} and desired {desired}; the lab's sets min {want_min} and desired "
                            "{want_desired}.").format(name=name, min=a.get("MinSize"), desired=a.get("DesiredCapacity"),
                                                      want_min=s.min_size, want_desired=s.desired_capacity), put)
        found.append(f"{name}: {a['Recurrence']} {zone}")
    return ok(_("Weekdays at 09:00 in Seoul (00:00 UTC) the group starts with 4 servers; at 19:00 (10:00 UTC) it goes "
                "back to 2."), found)


question("08.q1", N_("Target tracking scales out after 3 breaching minutes, but in only after 15. Why the difference?"),
         [N_("CloudWatch keeps only 15 minutes of data for scale-in alarms."),
          N_("Too little capacity hurts users at once, while a server removed too early takes minutes to get back: so "
             "AWS adds fast and removes slowly."),
          N_("Scale-in has to wait for the 300-second cooldown three times."),
          N_("Removing an instance costs money, so AWS delays it.")],
         answer=1,
         why=N_("A missed scale-out means errors for users now; a scale-in that came too early needs a new launch "
                "(minutes) to undo, and a dip in traffic is often brief. So AlarmHigh wants 3 of 3 one-minute datapoints "
                "and AlarmLow 15 of 15: in the lab, AlarmLow needed 12 minutes more than AlarmHigh."),
         hints={0: N_("CloudWatch keeps one-minute data for 15 days; 15 is the alarm's datapoint count, not a limit."),
                2: N_("Target tracking uses warm-up, not cooldown; the cooldown is simple scaling's."),
                3: N_("Removing instances saves money; AWS waits to protect your users, not its bill.")})

question("08.q2", N_("Which kind of scaling policy does AWS recommend for most groups?"),
         [N_("Simple scaling: one alarm, one action, easy to reason about."),
          N_("Step scaling: it gives the most control."),
          N_("Target tracking: you set one target value; AWS creates and tunes the alarms, scales out in proportion to "
             "the load and scales in cautiously."),
          N_("Scheduled actions: no alarms at all.")],
         answer=2,
         why=N_("AWS recommends target tracking for most cases: one number to set, its alarms are made (and remade when you "
                "change the target) for you, and it adds capacity in proportion to how far the metric is above the "
                "target. Step scaling is for rules it cannot express; simple scaling AWS recommends against; schedules "
                "complement a policy for load you know in advance."),
         hints={0: N_("AWS recommends against simple scaling: after each action it ignores every alarm for the whole "
                      "cooldown, as the comparison showed."),
                1: N_("Step scaling is the choice when you need that control; for most groups it is more to get wrong "
                      "(you write and keep its alarms yourself)."),
                3: N_("A schedule only knows the clock: it cannot react to a surge nobody predicted.")})

question("08.q3", N_("A step policy just added 3 instances; they are still warming up and the alarm stays in ALARM "
                     "at the same step. What does the group do?"),
         [N_("Adds 3 more instances every minute until the alarm stops."),
          N_("Nothing more for that step: warming instances already count toward the capacity it asked for; it acts "
             "again when a bigger step is reached or the warm-up is over."),
          N_("Nothing for 300 seconds, the cooldown."),
          N_("Removes the 3 instances, because their metrics are missing.")],
         answer=1,
         why=N_("Step and target tracking policies use warm-up, not cooldown: while instances warm up they count toward "
                "current capacity, so repeated alarms at the same step do not stack, and their metrics stay out of the "
                "group's average. Simple scaling instead waits for the activity and then the whole cooldown before it "
                "answers any alarm: the comparison's step gaps were shorter than simple's."),
         hints={0: N_("That would stack launches: warm-up exists to prevent exactly that."),
                2: N_("That is simple scaling's cooldown. Step scaling has no cooldown; it uses warm-up."),
                3: N_("A warming instance's metrics are left out of the average; nothing removes it for that.")})

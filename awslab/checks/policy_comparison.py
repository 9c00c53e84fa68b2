"""Lab 15, the policy comparison: the settings the student gives each kind, then the same surge against each alone.

- A scheduled action sets the group's sizes on a cron ``Recurrence`` read in its ``TimeZone`` (UTC without one); it
  may start up to two minutes late:
  https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html
- A step scaling policy's steps are relative to its alarm's threshold; the alarm is yours to create and to change:
  https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html
- A target tracking policy creates and updates its own alarms ("Don't edit or delete"):
  https://docs.aws.amazon.com/autoscaling/ec2/userguide/target-tracking-scaling-policy-overview.html
"""
from __future__ import annotations

from typing import Any

from ..drills.policy_setups import SURGE_HOUR, SURGE_ZONE
from ..i18n import N_, _
from .registry import not_yet, ok, question, task

__all__ = ["LEAD_MIN", "TARGET", "FAST_PERIODS", "names", "the_group"]

#: Task 15.1: the action runs this many minutes before the lunch surge (a launch, a health check, up to 2 min late).
LEAD_MIN = (5, 20)
#: Task 15.3: the target tracking policy's new TargetValue.
TARGET = 50.0
#: Task 15.2: the fast step alarm decides on this many one-minute datapoints.
FAST_PERIODS = 1


def names(lab: Any) -> dict[str, str]:
    """The lab's resource names for the three tasks (the builder's target tracking policy among them)."""
    return {"action": lab.resource_name("before-lunch"), "step": lab.resource_name("step-fast"),
            "alarm": lab.resource_name("cpu-high-fast"), "target_tracking": lab.resource_name("target-tracking")}


def the_group(lab: Any) -> dict:
    name = lab.resource_name("asg")
    groups = lab.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    if not groups:
        raise not_yet(_("There is no Auto Scaling group named {name}: the drill's first cell builds it.").format(name=name),
                      _("Run the drill's first cell again: start(\"15\")."))
    return groups[0]


def _weekday_minute(a: dict, put: str) -> int:
    """Minutes after midnight (Seoul) at which the action runs on weekdays, or a not-yet naming what is wrong."""
    from ..sim.policies.scheduled import Cron

    name, cron, zone = a["ScheduledActionName"], a.get("Recurrence"), a.get("TimeZone")
    if not cron:
        raise not_yet(_("{name} runs once (StartTime {start}); the lunch rush comes every weekday: give it a "
                        "Recurrence.").format(name=name, start=a.get("StartTime")), put)
    if zone != SURGE_ZONE:
        raise not_yet(_("{name} has TimeZone {got}: its cron \"{cron}\" is read in {where}, and lunch is at 12:00 in "
                        "Seoul. Give TimeZone {want}.").format(name=name, got=zone or "-", cron=cron,
                                                             where=zone or "UTC", want=SURGE_ZONE), put)
    c = Cron.parse(cron)
    if len(c.hour) != 1 or len(c.minute) != 1 or not {1, 2, 3, 4, 5} <= set(c.day_of_week):
        raise not_yet(_("{name} runs on \"{cron}\": the rush is every weekday at one time, so the cron is \"minute "
                        "hour * * 1-5\".").format(name=name, cron=cron), put)
    return next(iter(c.hour)) * 60 + next(iter(c.minute))


@task("15.1", N_("Have the servers there before the lunch rush"))
def before_lunch(lab: Any) -> Any:
    g = the_group(lab)
    group, most, name = g["AutoScalingGroupName"], g["MaxSize"], names(lab)["action"]
    put = (f"aws autoscaling put-scheduled-update-group-action --auto-scaling-group-name {group} "
           f"--scheduled-action-name {name} --recurrence \"50 11 * * 1-5\" --time-zone {SURGE_ZONE} "
           f"--min-size {most} --desired-capacity {most}")
    found = lab.client("autoscaling").describe_scheduled_actions(
        AutoScalingGroupName=group, ScheduledActionNames=[name])["ScheduledUpdateGroupActions"]
    if not found:
        raise not_yet(_("{group} has no scheduled action named {name} yet.").format(group=group, name=name), put)
    a = found[0]
    lead = SURGE_HOUR * 60 - _weekday_minute(a, put)
    if not LEAD_MIN[0] <= lead <= LEAD_MIN[1]:
        raise not_yet(_("{name} runs {lead} minutes before 12:00. New servers need a few minutes to launch and pass a "
                        "health check, and a scheduled action may start up to 2 minutes late: run it {lo} to {hi} "
                        "minutes before.").format(name=name, lead=lead, lo=LEAD_MIN[0], hi=LEAD_MIN[1]), put)
    if (a.get("MinSize"), a.get("DesiredCapacity")) != (most, most):
        raise not_yet(_("{name} sets min {low} and desired {desired}; give both the group's maximum, {most}: desired so "
                        "the servers start, min so the scale-in alarms cannot take them away before the users "
                        "come.").format(name=name, low=a.get("MinSize"), desired=a.get("DesiredCapacity"), most=most), put)
    return ok(_("Every weekday {lead} minutes before 12:00 in Seoul, {group} goes to {most} servers and cannot scale in "
                "below them.").format(lead=lead, group=group, most=most), [f"{name}: {a['Recurrence']} {SURGE_ZONE}"])


def _step_put(lab: Any, group: str) -> str:
    n = names(lab)
    return (f"aws autoscaling put-scaling-policy --auto-scaling-group-name {group} --policy-name {n['step']} "
            "--policy-type StepScaling --adjustment-type ChangeInCapacity --step-adjustments "
            "MetricIntervalLowerBound=0,MetricIntervalUpperBound=20,ScalingAdjustment=1 "
            "MetricIntervalLowerBound=20,ScalingAdjustment=3; then aws cloudwatch put-metric-alarm --alarm-name "
            f"{n['alarm']} --namespace AWS/EC2 --metric-name CPUUtilization --statistic Average --period 60 "
            f"--evaluation-periods {FAST_PERIODS} --threshold 70 --comparison-operator GreaterThanOrEqualToThreshold "
            f"--dimensions Name=AutoScalingGroupName,Value={group} --alarm-actions <the policy's ARN>")


def _two_steps(name: str, steps: list[dict], fix: str) -> None:
    """Two steps from the threshold up, the second open-ended and bigger, or a not-yet saying which part is off."""
    steps = sorted(steps, key=lambda s: s.get("MetricIntervalLowerBound", float("-inf")))
    shown = ", ".join("[{lo}, {hi}) {adj:+d}".format(lo=s.get("MetricIntervalLowerBound", "-inf"),
                                                     hi=s.get("MetricIntervalUpperBound", "inf"),
                                                     adj=s["ScalingAdjustment"]) for s in steps)
    right = (len(steps) == 2 and steps[0].get("MetricIntervalLowerBound") == 0
             and steps[0].get("MetricIntervalUpperBound") == steps[1].get("MetricIntervalLowerBound")
             and "MetricIntervalUpperBound" not in steps[1]
             and 0 < steps[0]["ScalingAdjustment"] < steps[1]["ScalingAdjustment"])
    if not right:
        raise not_yet(_("{name} has the steps {steps}. A scale-out policy with two steps starts at its alarm's "
                        "threshold (lower bound 0), the second step begins where the first ends and has no upper "
                        "bound, and the further above the threshold, the more it adds.").format(name=name, steps=shown),
                      fix)


@task("15.2", N_("A step scaling policy with two steps, on an alarm of its own"))
def fast_step(lab: Any) -> Any:
    g = the_group(lab)
    group, n = g["AutoScalingGroupName"], names(lab)
    fix = _step_put(lab, group)
    found = lab.client("autoscaling").describe_policies(AutoScalingGroupName=group, PolicyNames=[n["step"]])[
        "ScalingPolicies"]
    if not found or found[0]["PolicyType"] != "StepScaling":
        raise not_yet(_("{group} has no step scaling policy named {name} yet.").format(group=group, name=n["step"]), fix)
    policy = found[0]
    _two_steps(n["step"], policy.get("StepAdjustments", []), fix)
    cw = lab.client("cloudwatch")
    alarms = [a for page in cw.get_paginator("describe_alarms").paginate() for a in page["MetricAlarms"]
              if policy["PolicyARN"] in a.get("AlarmActions", [])]
    if not alarms:
        raise not_yet(_("No alarm triggers {name}: a step policy does nothing until an alarm names it in its "
                        "AlarmActions.").format(name=n["step"]), fix)
    a = alarms[0]
    dims = {d["Name"]: d["Value"] for d in a.get("Dimensions", [])}
    if (a["MetricName"], a["Namespace"], dims.get("AutoScalingGroupName")) != ("CPUUtilization", "AWS/EC2", group):
        raise not_yet(_("{alarm} watches {metric} of {dims}; it should watch the group's CPUUtilization (AWS/EC2, "
                        "AutoScalingGroupName={group}).").format(alarm=a["AlarmName"], metric=a["MetricName"],
                                                                 dims=dims, group=group), fix)
    if not a["ComparisonOperator"].startswith("GreaterThan") or a["Period"] != 60 or \
            (a.get("DatapointsToAlarm") or a["EvaluationPeriods"]) != FAST_PERIODS:
        raise not_yet(_("{alarm}: {op} {threshold:g}, Period {period}, {m} of {n} datapoints. The fast alarm rings when "
                        "CPU is above its threshold for {want} one-minute datapoint: Period 60, EvaluationPeriods "
                        "{want}, a GreaterThan operator.").format(
            alarm=a["AlarmName"], op=a["ComparisonOperator"], threshold=a["Threshold"], period=a["Period"],
            m=a.get("DatapointsToAlarm") or a["EvaluationPeriods"], n=a["EvaluationPeriods"], want=FAST_PERIODS), fix)
    others = [arn for arn in a.get("AlarmActions", []) if arn != policy["PolicyARN"]]
    if others:
        raise not_yet(_("{alarm} also triggers {others}: give the new policy an alarm of its own.").format(
            alarm=a["AlarmName"], others=", ".join(arn.rsplit("/", 1)[-1] for arn in others)), fix)
    return ok(_("{name}: two steps on {alarm} (CPU {op} {threshold:g} for 1 minute).").format(
        name=n["step"], alarm=a["AlarmName"], op=a["ComparisonOperator"], threshold=a["Threshold"]),
        [n["step"], a["AlarmName"]])


@task("15.3", N_("Aim target tracking at 50 % CPU"))
def target_fifty(lab: Any) -> Any:
    g = the_group(lab)
    group, name = g["AutoScalingGroupName"], names(lab)["target_tracking"]
    fix = (f"aws autoscaling put-scaling-policy --auto-scaling-group-name {group} --policy-name {name} "
           "--policy-type TargetTrackingScaling --target-tracking-configuration "
           f"'{{\"TargetValue\": {TARGET:g}, \"PredefinedMetricSpecification\": "
           "{\"PredefinedMetricType\": \"ASGAverageCPUUtilization\"}}'")
    found = lab.client("autoscaling").describe_policies(AutoScalingGroupName=group, PolicyNames=[name])["ScalingPolicies"]
    if not found or found[0]["PolicyType"] != "TargetTrackingScaling":
        raise not_yet(_("{group} has no target tracking policy named {name}.").format(group=group, name=name), fix)
    target = found[0]["TargetTrackingConfiguration"]["TargetValue"]
    if target != TARGET:
        raise not_yet(_("{name} keeps CPU at {got:g} %; aim it at {want:g} %.").format(name=name, got=target,
                                                                                   want=TARGET), fix)
    alarms = [a["AlarmName"] for a in found[0].get("Alarms", [])]
    high = [a for a in lab.client("cloudwatch").describe_alarms(AlarmNames=alarms)["MetricAlarms"]
            if "AlarmHigh" in a["AlarmName"]] if alarms else []
    if not high or high[0]["Threshold"] != TARGET:
        raise not_yet(_("{name} keeps CPU at {want:g} %, but its AlarmHigh does not say so yet ({got}). Put the policy "
                        "again; do not edit its alarms by hand.").format(
            name=name, want=TARGET, got=high[0]["Threshold"] if high else "-"), fix)
    return ok(_("{name} keeps CPU at {want:g} %, and AWS moved its AlarmHigh to {want:g} % by itself.").format(
        name=name, want=TARGET), [name, high[0]["AlarmName"]])


question("15.q1", N_("Before the run: the same 1,000 users against each kind alone. Which setup answers the fewest "
                     "requests with a 5xx?"),
         [N_("Target tracking"), N_("Step scaling"), N_("Simple scaling"), N_("The scheduled action"), N_("No policy")],
         answer=3,
         why=N_("Every reactive policy waits for its alarm (Period x DatapointsToAlarm, then the delivery delay) and "
                "then for a launch and a health check: meanwhile two servers take 1,000 users and requests time out. "
                "Only the schedule has the servers in service before the users arrive."),
         hints={0: N_("Target tracking's AlarmHigh wants 3 datapoints of 60 s before it acts: the slowest alarm here."),
                1: N_("Step scaling reacts in proportion, but only after its alarm rings."),
                2: N_("Simple scaling adds one server, then waits its cooldown."),
                4: N_("No policy: two servers for 1,000 users, for the whole run.")})

question("15.q2", N_("Which setup costs the fewest instance-hours?"),
         [N_("Target tracking"), N_("Step scaling"), N_("The scheduled action"), N_("No policy")],
         answer=3,
         why=N_("Without a policy the group keeps its two servers whatever happens: the cheapest run and the one with "
                "the most errors. The schedule is the dearest: the group's maximum, from before the users arrive to "
                "the end."),
         hints={0: N_("Target tracking adds servers; every added server-minute counts."),
                1: N_("Step scaling adds servers, in bigger steps than the others."),
                2: N_("The schedule runs the most servers, and the longest.")})

question("15.q3", N_("You aimed target tracking at 50 % instead of 70 %. When does it first scale out after the surge?"),
         [N_("Earlier: CPU crosses 50 % before it crosses 70 %."),
          N_("At the same moment: its AlarmHigh still wants 3 datapoints of 60 s, and CPU jumps past both at once."),
          N_("Later: a lower target makes AWS more careful."),
          N_("Never: 50 % is below the step alarm's threshold.")],
         answer=1,
         why=N_("The surge takes CPU to 100 % within a minute, above 50 and 70 alike, so AlarmHigh has its 3 "
                "datapoints at the same time. What changes is how much it adds (capacity x CPU / target) and what it "
                "costs: fewer 5xx, more instance-hours, as the table shows."),
         hints={0: N_("Look at how fast CPU rises after the surge: past 50 % and past 70 % in the same minute."),
                2: N_("The target changes the threshold, not the number of datapoints the alarm needs."),
                3: N_("Each policy acts on its own alarm; the step alarm does not block target tracking.")})

#: Labels the lab's measurements show (``expect`` translates them).
LABELS = (N_("AlarmHigh: datapoints, period"), N_("the fewest 5xx"), N_("the most 5xx"), N_("the fewest instance-hours"),
          N_("the most instance-hours"), N_("the most 5xx of the reactive kinds"),
          N_("peak p95: one value for all but the schedule"), N_("scheduled: first scale-out"), N_("scheduled: 5xx"),
          N_("step: first scale-out"), N_("the first reactive kind to scale out"),
          N_("target tracking 50 %: first scale-out"), N_("target tracking 50 %: fewer 5xx than at 70 %"),
          N_("target tracking 50 %: more instance-hours than at 70 %"))

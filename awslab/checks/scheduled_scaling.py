"""Drill 13, a surge you know is coming: scheduled actions that have the capacity there before the users.

The evening sale starts every day at 20:00 in Seoul and ends at 20:30. A scheduled action sets the group's
sizes at a time, on a cron ``Recurrence`` read in its ``TimeZone``; it runs within seconds (up to two minutes
late) and ignores cooldowns:
https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html
"""
from __future__ import annotations

from typing import Any

from ..i18n import N_, _
from ..layers.autoscaling import AutoScalingSpec
from .registry import not_yet, ok, question, task

__all__ = ["SALE_ZONE", "SALE_HOUR", "SALE_MINUTES", "BEFORE_MIN", "the_group", "sale_actions"]

SALE_ZONE = "Asia/Seoul"
SALE_HOUR = 20
#: How long the sale lasts (its users leave at 20:30).
SALE_MINUTES = 30
#: The capacity must be asked for at least this long before the sale (a launch, a passing health check, and
#: AWS's "up to 2 minutes" late start), and not more than 20 minutes before (servers idle for nothing).
BEFORE_MIN = (5, 20)
#: The group's everyday size, as lab 07 and the builder set it.
EVERYDAY = AutoScalingSpec()

#: Labels the drill's measurements show (``expect`` translates them).
LABELS = (N_("first capacity change"), N_("minutes with ALB 5xx"),
          N_("servers in service when the sale starts"), N_("ALB 5xx during the sale"),
          N_("servers after the sale"))


def the_group(lab: Any) -> dict:
    name = lab.resource_name("asg")
    groups = lab.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    if not groups:
        raise not_yet(_("There is no Auto Scaling group named {name}: the drill's first cell builds it.").format(name=name),
                      _("Run the drill's first cell again: start(\"13\")."))
    return groups[0]


def sale_actions(lab: Any) -> tuple[str, str]:
    """The names of the two actions: before the sale, and after it."""
    return lab.resource_name("evening-sale"), lab.resource_name("after-sale")


def _action(lab: Any, group: str, name: str, put: str) -> dict:
    found = lab.client("autoscaling").describe_scheduled_actions(
        AutoScalingGroupName=group, ScheduledActionNames=[name])["ScheduledUpdateGroupActions"]
    if not found:
        raise not_yet(_("{group} has no scheduled action named {name} yet.").format(group=group, name=name), put)
    return found[0]


def _daily_time(a: dict, put: str) -> tuple[int, int]:
    """(hour, minute) of a daily action in Seoul, or a not-yet naming what is wrong with its schedule."""
    from ..sim.policies.scheduled import Cron

    name, cron, zone = a["ScheduledActionName"], a.get("Recurrence"), a.get("TimeZone")
    if not cron:
        raise not_yet(_("{name} runs once (StartTime {start}); the sale is every day: give it a Recurrence.").format(
            name=name, start=a.get("StartTime")), put)
    if zone != SALE_ZONE:
        raise not_yet(_("{name} has TimeZone {got}: its cron \"{cron}\" is read in {where}, and the sale's times are "
                        "Seoul's. Give TimeZone {want}.").format(name=name, got=zone or "-", cron=cron,
                                                                 where=zone or "UTC", want=SALE_ZONE), put)
    c = Cron.parse(cron)
    if not (c.dom_any and c.dow_any and len(c.month) == 12) or len(c.hour) != 1 or len(c.minute) != 1:
        raise not_yet(_("{name} runs on \"{cron}\": the sale is every day at one time, so the cron is \"minute hour "
                        "* * *\".").format(name=name, cron=cron), put)
    return next(iter(c.hour)), next(iter(c.minute))


@task("13.1", N_("Have the servers there before the evening sale"))
def before_sale(lab: Any) -> Any:
    g = the_group(lab)
    group, most = g["AutoScalingGroupName"], g["MaxSize"]
    name = sale_actions(lab)[0]
    put = (f"aws autoscaling put-scheduled-update-group-action --auto-scaling-group-name {group} "
           f"--scheduled-action-name {name} --recurrence \"50 19 * * *\" --time-zone {SALE_ZONE} "
           f"--min-size {most} --desired-capacity {most}")
    a = _action(lab, group, name, put)
    hour, minute = _daily_time(a, put)
    before = SALE_HOUR * 60 - (hour * 60 + minute)
    if not BEFORE_MIN[0] <= before <= BEFORE_MIN[1]:
        raise not_yet(_("{name} runs at {hh:02d}:{mm:02d}, {before} minutes before the sale's 20:00. New servers need a "
                        "few minutes to launch and pass a health check, and a scheduled action may start up to 2 "
                        "minutes late: run it {lo} to {hi} minutes before.").format(
            name=name, hh=hour, mm=minute, before=before, lo=BEFORE_MIN[0], hi=BEFORE_MIN[1]), put)
    desired, low = a.get("DesiredCapacity"), a.get("MinSize")
    if desired != most:
        raise not_yet(_("{name} sets desired {got}; the sale's 1,000 users needed the group's maximum, {most} servers, "
                        "in the first surge.").format(name=name, got=desired, most=most), put)
    if low != most:
        raise not_yet(_("{name} sets desired {most} but min {low}: ten idle minutes before the sale, the scale-in "
                        "alarms would take the servers away again. Set MinSize to {most} too.").format(
            name=name, most=most, low=low if low is not None else "-"), put)
    return ok(_("Every day at {hh:02d}:{mm:02d} in Seoul, {minutes} minutes before the sale, {group} goes to {most} "
                "servers and cannot scale in below them.").format(hh=hour, mm=minute, minutes=before, group=group,
                                                                  most=most), [f"{name}: {a['Recurrence']} {SALE_ZONE}"])


@task("13.2", N_("Give the servers back after the sale"))
def after_sale(lab: Any) -> Any:
    g = the_group(lab)
    group = g["AutoScalingGroupName"]
    name = sale_actions(lab)[1]
    size = EVERYDAY.min_size
    put = (f"aws autoscaling put-scheduled-update-group-action --auto-scaling-group-name {group} "
           f"--scheduled-action-name {name} --recurrence \"0 21 * * *\" --time-zone {SALE_ZONE} "
           f"--min-size {size} --desired-capacity {size}")
    a = _action(lab, group, name, put)
    hour, minute = _daily_time(a, put)
    end = SALE_HOUR * 60 + SALE_MINUTES
    if not end <= hour * 60 + minute < 24 * 60:
        raise not_yet(_("{name} runs at {hh:02d}:{mm:02d}; the sale ends at 20:30. Give the servers back after it, the "
                        "same evening.").format(name=name, hh=hour, mm=minute), put)
    if (a.get("MinSize"), a.get("DesiredCapacity")) != (size, size):
        raise not_yet(_("{name} sets min {low} and desired {desired}; back to the everyday {size} and {size}, or the "
                        "sale's servers run (and cost) all night.").format(
            name=name, low=a.get("MinSize"), desired=a.get("DesiredCapacity"), size=size), put)
    return ok(_("Every day at {hh:02d}:{mm:02d} in Seoul {group} goes back to min {size}, desired {size}.").format(
        hh=hour, mm=minute, group=group, size=size), [f"{name}: {a['Recurrence']} {SALE_ZONE}"])


question("13.q1", N_("The step alarm (2 of 2 minutes) and the simple alarm (2 of 2) both ring at the same evaluation; "
                     "step wants +2, simple +1. What does the group do?"),
         [N_("Adds 3: the policies' adjustments add up."),
          N_("Adds 2: when policies act at the same time, the one giving the largest capacity wins."),
          N_("Adds 1: simple scaling always goes first."),
          N_("Nothing until target tracking decides.")],
         answer=1,
         why=N_("AWS: when the scale-out criteria of several policies are met at the same time, Auto Scaling gives "
                "precedence to the policy that provides the largest capacity (for scale-in too, so that it never "
                "removes too many). You saw 2 -> 4 in the story."),
         hints={0: N_("They do not add up: AWS takes the largest, or several alarms at once would over-provision."),
                2: N_("No kind of policy has priority; the capacity each asks for decides."),
                3: N_("Every policy acts on its own alarm; target tracking's alarm needed a minute more.")})

question("13.q2", N_("The seed says users see 'no delay' during the surge. What did the first surge show?"),
         [N_("True: Auto Scaling adds servers before users notice."),
          N_("For the first minutes the ALB answered 5xx to part of the requests: the alarm needs its datapoints, "
             "they arrive late, and new servers need a launch and a health check."),
          N_("Users waited, but no request failed."),
          N_("Only the new servers returned errors.")],
         answer=1,
         why=N_("Reactive scaling always lags: Period x DatapointsToAlarm, the delivery delay, a launch and a passing "
                "health check (about 4-7 minutes on AWS). Until then the two servers are saturated and requests that "
                "wait past the ALB's 60-second idle timeout fail. 'No delay' holds for a surge you prepared for, as the "
                "sale showed."),
         hints={0: N_("Look at the ALB 5xx column of the first surge's table."),
                2: N_("Requests that waited longer than the ALB's idle timeout got a 504."),
                3: N_("The new servers only joined once healthy; the errors came from the saturated old ones.")})

question("13.q3", N_("Why must the scheduled action before the sale set MinSize, not only DesiredCapacity?"),
         [N_("AWS refuses a scheduled action without MinSize."),
          N_("Otherwise the scale-in alarms see ten idle minutes and take the servers away before the users arrive."),
          N_("MinSize makes the servers start faster."),
          N_("DesiredCapacity is ignored by scheduled actions.")],
         answer=1,
         why=N_("Before the sale the new servers are idle: the step scale-in alarm (CPU <= 30 % for 2 minutes) would "
                "remove them one a minute. MinSize holds them until the action after the sale lowers it again."),
         hints={0: N_("Any one of MinSize, MaxSize and DesiredCapacity is enough for AWS."),
                2: N_("Launch time does not depend on MinSize."),
                3: N_("DesiredCapacity is applied, and then the scaling policies may change it.")})

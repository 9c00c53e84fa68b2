"""What an Auto Scaling group did, and why, in AWS's own words: ``describe-scaling-activities`` as a table.

Every launch and termination is an *activity* with a Description
("Launching a new EC2 instance: i-0abc…"), a Cause ("At 2026-…Z an instance was
taken out of service in response to an ELB system health check failure."), a
StatusCode and start/end times
(https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-verify-scaling-activity.html).
A lab predicts when the group will act from the group's own settings, then
waits here for the activity and reads its StartTime: the cloud's clock
(simulated on the embedded cloud), so the number is AWS time however fast the
simulator runs. Read-only: standard describe calls only.
"""
from __future__ import annotations

import html
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..i18n import _
from ..progress import progress
from .watch import cloud_now

__all__ = ["Activity", "ActivityLog", "activities", "wait_for_activity", "wait_for_in_service", "GroupState"]

_INSTANCE = re.compile(r"\bi-[0-9a-f]+\b")


@dataclass(frozen=True)
class Activity:
    """One scaling activity; times are epoch seconds on the cloud's clock."""

    description: str
    cause: str
    status: str
    start: float
    end: float | None

    @property
    def instance_id(self) -> str:
        found = _INSTANCE.search(self.description)
        return found.group(0) if found else ""

    @property
    def verb(self) -> str:
        """``Launching`` or ``Terminating`` (the Description's first word)."""
        return self.description.split(" ", 1)[0]


def _activity(a: dict) -> Activity:
    end = a.get("EndTime")
    return Activity(a.get("Description", ""), a.get("Cause", ""), a.get("StatusCode", ""), a["StartTime"].timestamp(),
                    end.timestamp() if end else None)


def _read(lab: Any, group_name: str) -> list[Activity]:
    """Every activity of the group, oldest first (the API pages newest first)."""
    asg = lab.client("autoscaling")
    found: list[Activity] = []
    for page in asg.get_paginator("describe_scaling_activities").paginate(AutoScalingGroupName=group_name):
        found += [_activity(a) for a in page.get("Activities", [])]
    return sorted(found, key=lambda a: a.start)


@dataclass(repr=False)
class ActivityLog:
    """The group's activities since ``since`` (cloud epoch seconds), oldest first; a table in a notebook."""

    group: str
    since: float
    rows: list[Activity] = field(default_factory=list)

    def launched(self, instance_id: str) -> Activity | None:
        """The activity that launched ``instance_id``: its end is when the instance came InService."""
        return next((a for a in self.rows if a.verb == "Launching" and a.instance_id == instance_id), None)

    def text(self) -> str:
        lines = [_("{group}: {n} activities").format(group=self.group, n=len(self.rows))]
        lines += [f"  +{a.start - self.since:5.0f} s  {a.status:<11} {a.description}\n      {a.cause}"
                  for a in self.rows]
        return "\n".join(lines)

    __repr__ = text

    def _repr_html_(self) -> str:
        cell = "style='text-align:left;vertical-align:top'"
        rows = "".join(
            f"<tr><td {cell}><code>+{a.start - self.since:.0f}&nbsp;s</code></td>"
            f"<td {cell}>{html.escape(a.status)}</td>"
            f"<td {cell}>{_keep_ids(a.description)}</td><td {cell}><small>{_keep_ids(a.cause)}</small></td></tr>"
            for a in self.rows)
        head = "".join(f"<th {cell}>{html.escape(h)}</th>" for h in
                       (_("after"), "StatusCode", "Description", "Cause"))
        return f"<table style='table-layout:auto;width:100%'><tr>{head}</tr>{rows}</table>"


def _keep_ids(text: str) -> str:
    """HTML for ``text`` where an instance id never breaks across lines (``i-`` / ``0abc…``)."""
    return _INSTANCE.sub(lambda m: f"<span style='white-space:nowrap'>{m.group(0)}</span>", html.escape(text))


def activities(lab: Any, group_name: str, since: float | None = None) -> ActivityLog:
    """The group's activities since ``since`` (default: all of them), oldest first."""
    rows = _read(lab, group_name)
    start = since if since is not None else (rows[0].start if rows else cloud_now(lab))
    return ActivityLog(group_name, start, [a for a in rows if a.start >= start - 1e-6])


@dataclass(repr=False)
class Seen:
    """The activity a lab waited for: ``seconds`` after ``since`` on the cloud's clock, or not seen in time."""

    what: str
    reached: bool
    seconds: float
    activity: Activity | None = None

    def text(self) -> str:
        if not self.reached:
            return _("{what}: not seen after {s:.0f} s").format(what=self.what, s=self.seconds)
        a = self.activity
        return _("{what}: after {s:.0f} s").format(what=self.what, s=self.seconds) + f"\n  {a.description}\n  {a.cause}"

    __repr__ = text

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.reached else "#b42318"
        head, *rest = self.text().splitlines()
        more = "".join(f"<div>{html.escape(line.strip())}</div>" for line in rest)
        return f"<div style='border-left:4px solid {colour};padding:4px 10px'><b>{html.escape(head)}</b>{more}</div>"


def wait_for_activity(lab: Any, group_name: str, verb: str, since: float, instance_id: str | None = None,
                      timeout_s: float = 120.0) -> Seen:
    """Wait for the first ``verb`` ("Launching"/"Terminating") activity that started at or after ``since``.

    ``instance_id`` narrows it to one instance. ``timeout_s`` is wall time (at 20x, 120 s is 40 AWS minutes).
    """
    what = (_("{verb} {instance}").format(verb=verb, instance=instance_id) if instance_id
            else _("{verb} an instance").format(verb=verb))
    start = time.monotonic()
    with progress(_("Auto Scaling: {what}").format(what=what), None, getattr(lab, "backend", None) == "embedded") as shown:
        while True:
            for a in _read(lab, group_name):
                if a.start >= since - 1e-6 and a.verb == verb and (instance_id is None or a.instance_id == instance_id):
                    return Seen(what, True, a.start - since, a)
            if time.monotonic() >= start + timeout_s:
                shown.finish(False)
                return Seen(what, False, cloud_now(lab) - since)
            time.sleep(0.1)
            if shown.active:
                shown.update(cloud_now(lab) - since, (time.monotonic() - start) / timeout_s)


@dataclass(repr=False)
class GroupState:
    """The group's instances as describe-auto-scaling-groups shows them, and how long it took to get there."""

    group: str
    reached: bool
    seconds: float
    instances: list[dict] = field(default_factory=list)

    @property
    def in_service(self) -> list[str]:
        return [i["InstanceId"] for i in self.instances if i["LifecycleState"] == "InService"]

    @property
    def per_az(self) -> dict[str, int]:
        """InService instances per Availability Zone."""
        return dict(sorted(Counter(i["AvailabilityZone"] for i in self.instances
                                   if i["LifecycleState"] == "InService").items()))

    def text(self) -> str:
        head = _("{group}: {n} InService after {s:.0f} s ({spread})").format(
            group=self.group, n=len(self.in_service), s=self.seconds,
            spread=", ".join(f"{az}: {n}" for az, n in self.per_az.items()) or "-")
        rows = [f"  {i['InstanceId']}  {i['AvailabilityZone']}  {i['LifecycleState']:<12} {i['HealthStatus']}"
                for i in self.instances]
        return "\n".join([head, *rows])

    __repr__ = text

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.reached else "#b42318"
        head, *rows = self.text().splitlines()
        cells = ["".join(f"<td><code>{html.escape(c)}</code></td>" for c in r.split()) for r in rows]
        body = "".join(f"<tr>{c}</tr>" for c in cells)
        return (f"<div style='border-left:4px solid {colour};padding:4px 10px'><b>{html.escape(head)}</b>"
                f"<table>{body}</table></div>")


def wait_for_in_service(lab: Any, group_name: str, count: int, target_group_arn: str | None = None,
                        timeout_s: float = 120.0) -> GroupState:
    """Wait until ``count`` instances are InService and Healthy and none is still Pending.

    Instances on their way out (Terminating: draining, then shutting down) do not count. With
    ``target_group_arn``, also until each InService one is ``healthy`` there (the ALB sends it requests).
    """
    asg, elb = lab.client("autoscaling"), lab.client("elbv2")
    t0, start = cloud_now(lab), time.monotonic()
    awaited = _("{count} instances of {group} to be InService and healthy").format(count=count, group=group_name)
    with progress(awaited, None, getattr(lab, "backend", None) == "embedded") as shown:
        return _wait_in_service(lab, asg, elb, group_name, count, target_group_arn, t0, start, timeout_s, shown)


def _wait_in_service(lab: Any, asg: Any, elb: Any, group_name: str, count: int, target_group_arn: str | None,
                     t0: float, start: float, timeout_s: float, shown: Any) -> GroupState:
    while True:
        g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])["AutoScalingGroups"]
        instances = sorted(g[0].get("Instances", []) if g else [],
                           key=lambda i: (i["AvailabilityZone"], i["InstanceId"]))
        ready = [i["InstanceId"] for i in instances
                 if i["LifecycleState"] == "InService" and i["HealthStatus"] == "Healthy"]
        done = len(ready) == count and not any(i["LifecycleState"].startswith("Pending") for i in instances)
        if done and target_group_arn:
            health = elb.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
            healthy = {d["Target"]["Id"] for d in health if d["TargetHealth"]["State"] == "healthy"}
            done = set(ready) <= healthy
        if done or time.monotonic() >= start + timeout_s:
            shown.finish(done)
            return GroupState(group_name, done, cloud_now(lab) - t0, instances)
        time.sleep(0.1)
        if shown.active:
            shown.update(cloud_now(lab) - t0, (time.monotonic() - start) / timeout_s)

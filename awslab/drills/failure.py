"""The instance-failure drill: break one app server and watch AWS replace it.

The seed's failure scenario, step by step, as AWS runs it:

1. an instance's web app fails (it crashes, answers 500, hangs, or the instance stops);
2. the target group's health checks fail ``UnhealthyThresholdCount`` times in a row
   (AWS's default is 2, the seed's target group uses 3; one check every
   ``HealthCheckIntervalSeconds``, 30 s by default:
   https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html),
   so the ALB marks the target **unhealthy** and stops sending it requests; the
   other servers take the traffic;
3. Auto Scaling, whose health check type is ``ELB``, sees the verdict at its next periodic health
   check once the instance's grace period is over, marks the instance **Unhealthy**, terminates it
   and launches a replacement
   (https://docs.aws.amazon.com/autoscaling/ec2/userguide/replace-unhealthy-instance.html);
4. the new instance is registered when it is ``InService`` and is ``healthy`` after ONE passing check
   ("After your target is registered, it must pass one health check to be considered healthy";
   ``HealthyThresholdCount`` counts only for a target coming back from ``unhealthy``): back to full strength.

:func:`replacement_window` predicts step 3's time from the target group's and the group's own settings.

Everything here is *observed* through the standard APIs (``describe-target-health``,
``describe-auto-scaling-groups``, ``describe-instances``), so the same drill reads the
same on LocalStack or AWS. On the embedded cloud the simulator breaks the *app*; elsewhere
(a real account) SSM Run Command writes the app's fault file on the instance
(:mod:`awslab.drills.run_command`), which needs the instance to be a managed node. ``stop``
and ``terminate`` are plain EC2 calls and work on every backend.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar

from .. import config
from ..layers._base import Built
from ..errors import AwslabError, BackendError, ValidationError
from ..i18n import N_, _
from ..lab import Lab
from ..sim.asg_health import ASG_HEALTH_SWEEP_S
from . import run_command
from .polling import poll_until
from .simulator import Simulator, simulator
from .story import Story, short_name, tell

__all__ = ["fail_instance", "InstanceFailure", "FailureStatus", "DrillError", "FAILURE_KINDS", "MILESTONES",
           "replacement_window", "detection_window", "HEALTH_CHECK_PERIOD_S"]

#: What can go wrong with an instance. The first four break the web app (the simulator's faults);
#: stop and terminate are EC2 API calls.
FAILURE_KINDS = ("crash", "unhealthy", "hang", "slow", "stop", "terminate")
APP_FAULTS = FAILURE_KINDS[:4]
#: Lifecycle states of an instance that is (or is about to be) in service, not leaving the group.
_STAYING = ("InService", "Pending", "Pending:Wait", "Pending:Proceed")
#: How far a drill has got, in order.
MILESTONES = ("unhealthy", "replaced", "recovered")
#: The AWS CLI that breaks a real server the same way (an app fault: :func:`awslab.drills.run_command.cli_command`,
#: the SSM Run Command the drill itself sends where there is no simulator).
ON_AWS = {
    "stop": "aws ec2 stop-instances --instance-ids {id}",
    "terminate": "aws ec2 terminate-instances --instance-ids {id}",
}
#: What a wait for each milestone waits for (its progress line).
AWAITED = {"unhealthy": N_("{victim} to be unhealthy in {target_group}"),
           "replaced": N_("Auto Scaling to replace {victim} in {group}"),
           "recovered": N_("{group} to be back to full strength")}
#: How often Auto Scaling checks its instances' health. AWS does not publish it; "about a minute" is what people
#: observe (aws-semantics §4.1, UNCONFIRMED), and it is the embedded cloud's period.
HEALTH_CHECK_PERIOD_S = ASG_HEALTH_SWEEP_S


def detection_window(tg: dict) -> tuple[float, float]:
    """Seconds from an app's failure to its target's ``unhealthy``, from ``describe-target-groups``' settings.

    ``UnhealthyThresholdCount`` failed checks in a row, one every ``HealthCheckIntervalSeconds``; the first
    may come at once (the failure lands just before a check) or a whole interval later, and the last may take
    its whole ``HealthCheckTimeoutSeconds``: ``interval x (threshold - 1)`` to ``interval x threshold + timeout``.
    """
    interval, threshold = int(tg["HealthCheckIntervalSeconds"]), int(tg["UnhealthyThresholdCount"])
    return float(interval * (threshold - 1)), float(interval * threshold + int(tg["HealthCheckTimeoutSeconds"]))


def replacement_window(tg: dict, group: dict, in_service_at: datetime, broken_at: datetime,
                       period_s: float = HEALTH_CHECK_PERIOD_S) -> tuple[float, float]:
    """Seconds from an app's failure until Auto Scaling takes the instance out of service (``HealthCheckType`` ELB).

    The group acts at its first periodic health check after BOTH the target is ``unhealthy``
    (:func:`detection_window`) AND the instance's ``HealthCheckGracePeriod``, counted from ``InService``, is over
    (https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-check-grace-period.html). ``tg`` and ``group``
    are ``describe-target-groups`` and ``describe-auto-scaling-groups`` items; ``in_service_at`` is when the
    instance's launch activity ended (``describe-scaling-activities``' EndTime).
    """
    low, high = detection_window(tg)
    grace_left = (in_service_at - broken_at).total_seconds() + int(group.get("HealthCheckGracePeriod") or 0)
    return round(max(low, grace_left), 1), round(max(high, grace_left) + period_s, 1)


class DrillError(AwslabError):
    """A drill can't start, or didn't reach what it waited for."""


@dataclass
class FailureStatus(Built):
    """Where the drill stands, read from the standard APIs."""

    victim: str
    victim_target: str  # its state in the target group(s): healthy, unhealthy, draining, unused, or "deregistered"
    victim_reason: str
    victim_lifecycle: str  # its Auto Scaling lifecycle state, or "left the group"
    desired: int
    in_service: int
    healthy_targets: int
    replacements: list[str] = field(default_factory=list)
    #: Without the simulator: the Run Command that broke the app, as GetCommandInvocation reports it ("" otherwise).
    command_status: str = ""

    @property
    def unhealthy(self) -> bool:
        """The load balancer no longer sends the victim requests (or it is gone)."""
        return self.victim_target in ("unhealthy", "draining", "unused", "deregistered")

    @property
    def replaced(self) -> bool:
        """The victim has left service and Auto Scaling launched another instance."""
        return self.victim_lifecycle not in _STAYING and bool(self.replacements)

    @property
    def recovered(self) -> bool:
        """Back to full strength: as many healthy targets in service as desired."""
        return self.replaced and self.in_service >= self.desired and self.healthy_targets >= self.desired

    def reached(self, milestone: str) -> bool:
        return getattr(self, milestone)


@dataclass
class InstanceFailure(Built):
    """A running failure drill: which instance, how it was broken, and how to follow it."""

    #: How far it has got, in order (the Drill contract of :mod:`awslab.drills.registry`).
    milestones: ClassVar[tuple[str, ...]] = MILESTONES
    instance_id: str
    kind: str
    auto_scaling_group: str
    target_group_arns: list[str]
    health_check_type: str
    started_at: str
    how_on_aws: str
    _lab: Any = field(default=None, repr=False)
    _sim: Simulator | None = field(default=None, repr=False)
    _t0: float = field(default=0.0, repr=False)
    _members_before: frozenset = field(default=frozenset(), repr=False)
    #: Instances already leaving the group when the drill began (an earlier drill's victims, still draining):
    #: their last steps are not this drill's story.
    _leaving: frozenset = field(default=frozenset(), repr=False)
    #: Without the simulator: the SSM Run Command that wrote the fault file (None: the simulator broke it, or EC2).
    command_id: str | None = None
    #: The Run Command that wrote "ok" again (:meth:`repair`), if one was sent.
    repair_command_id: str | None = None
    _params: dict = field(default_factory=dict, repr=False)
    _command: run_command.CommandStatus | None = field(default=None, repr=False)

    @property
    def broken_at(self) -> datetime:
        """When the drill broke the instance, on the cloud's clock (compare it with AWS's timestamps)."""
        return datetime.fromtimestamp(self._t0, timezone.utc)

    def status(self) -> FailureStatus:
        """Read the victim's target health and the group's members now (``describe_*`` calls only)."""
        asg, elb = self._lab.client("autoscaling"), self._lab.client("elbv2")
        groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[self.auto_scaling_group])["AutoScalingGroups"]
        members = {i["InstanceId"]: i for i in (groups[0]["Instances"] if groups else [])}
        desired = groups[0]["DesiredCapacity"] if groups else 0
        health = [d for arn in self.target_group_arns
                  for d in elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]]
        mine = [d["TargetHealth"] for d in health if d["Target"]["Id"] == self.instance_id]
        in_service = {i for i, m in members.items() if m["LifecycleState"] == "InService"}
        healthy = {d["Target"]["Id"] for d in health if d["TargetHealth"]["State"] == "healthy"} & in_service
        return FailureStatus(
            self.instance_id, mine[0]["State"] if mine else "deregistered", mine[0].get("Reason", "") if mine else "",
            members[self.instance_id]["LifecycleState"] if self.instance_id in members else "left the group",
            desired, len(in_service), len(healthy), sorted(set(members) - self._members_before),
            self.command().status if self.command_id else "")

    def command(self) -> run_command.CommandStatus | None:
        """Without the simulator: the Run Command that broke the app (``GetCommandInvocation``, asked again only
        until the command has finished), else None."""
        if not self.command_id:
            return None
        if self._command is None or not self._command.finished:
            self._command = run_command.command_status(self._lab, self.command_id, self.instance_id)
        return self._command

    def wait_until(self, milestone: str = "recovered", timeout_s: float = 120.0, fast_forward: bool | None = None,
                   step_s: float = 15.0, raise_on_timeout: bool = True) -> FailureStatus:
        """Poll :meth:`status` until ``milestone`` ("unhealthy", "replaced", "recovered") or ``timeout_s`` wall seconds.

        ``fast_forward`` moves the simulated clock ``step_s`` at a time instead of waiting for it
        (the default when the simulator runs in virtual time, where the clock only moves when told).
        ``raise_on_timeout=False`` returns the last status instead of raising (``status.reached(milestone)`` says).
        """
        if milestone not in MILESTONES:
            raise ValidationError("milestone", milestone, _("a drill reaches {milestones}, in that order").format(
                milestones=", ".join(MILESTONES)),
                _("Use wait_until('unhealthy'), wait_until('replaced') or wait_until('recovered')."))
        failed = run_command.FAILED
        status, _done = poll_until(self.status, lambda st: st.reached(milestone) or st.command_status in failed,
                                   timeout_s, self._sim, fast_forward, step_s,
                                   what=self._awaited(milestone), expect_s=self._expected(milestone), since=self._t0)
        if status.command_status in failed and not status.reached(milestone):
            found = self.command()
            raise DrillError(_("Run Command did not break the app on {victim}: the command {command} ended {status} "
                               "({details}).").format(victim=self.instance_id, command=self.command_id,
                                                      status=found.status, details=found.status_details),
                             _("Read its output: aws ssm get-command-invocation --command-id {command} --instance-id "
                               "{victim}. The app's fault file is {file}.").format(
                                 command=self.command_id, victim=self.instance_id, file=run_command.FAULT_FILE))
        if not status.reached(milestone) and raise_on_timeout:
            raise DrillError(_("The drill did not reach {milestone} within {seconds:g} s: {victim} is {target} in the target "
                               "group and {lifecycle} in the group.").format(
                milestone=milestone, seconds=timeout_s, victim=status.victim, target=status.victim_target,
                lifecycle=status.victim_lifecycle), self._hint(milestone))
        return status

    def _awaited(self, milestone: str) -> str:
        """What a wait for ``milestone`` waits for, in words (its progress line)."""
        tg = short_name(self.target_group_arns[0]) if self.target_group_arns else self.auto_scaling_group
        return _(AWAITED[milestone]).format(victim=self.instance_id, target_group=tg, group=self.auto_scaling_group)

    def _expected(self, milestone: str) -> float | None:
        """The end of the window AWS's settings give for ``unhealthy`` (seconds from the failure), else None."""
        if milestone != "unhealthy" or not self.target_group_arns or self.kind not in APP_FAULTS:
            return None
        tg = self._lab.client("elbv2").describe_target_groups(TargetGroupArns=self.target_group_arns[:1])["TargetGroups"][0]
        return detection_window(tg)[1]

    def _hint(self, milestone: str) -> str:
        if milestone != "unhealthy" and self.health_check_type != "ELB" and self.kind in APP_FAULTS:
            return _("The group {group} uses {kind} health checks, so Auto Scaling never hears the load balancer's verdict "
                     "and keeps the broken instance. Set HealthCheckType=ELB (aws autoscaling update-auto-scaling-group "
                     "--health-check-type ELB) and run the drill again.").format(
                group=self.auto_scaling_group, kind=self.health_check_type)
        return _("Give it more time (timeout_s=...), or fast_forward=True to move the simulated clock. A replacement waits "
                 "for the group's health check grace period and for any other replacement still warming up.")

    def story(self) -> Story:
        """What happened since the drill began, in order (the simulator's timeline; on AWS, the scaling activities)."""
        ids = {self.instance_id}
        if self._sim is not None:
            told = tell(self._sim.timeline(since=self._t0), self._t0, ids, self.auto_scaling_group, set(self.target_group_arns))
            return Story([line for line in told
                          if line.resource not in self._leaving and not any(i in line.text for i in self._leaving)])
        activities = self._lab.client("autoscaling").describe_scaling_activities(
            AutoScalingGroupName=self.auto_scaling_group)["Activities"]
        events = [{"time": a["StartTime"].timestamp(), "iso": a["StartTime"].isoformat(), "component": "autoscaling",
                   "resource": self.auto_scaling_group, "event": "activity_started",
                   "details": {"description": a["Description"], "cause": a.get("Cause", "")}} for a in reversed(activities)]
        if not self.command_id:
            return tell(events, self._t0, ids, self.auto_scaling_group, set(self.target_group_arns))
        word = run_command.fault_word(self.kind, self._params.get("delay_ms"))
        events = run_command.command_events(self.instance_id, self.command_id, word, self._t0) + events
        told = tell(events, self._t0, ids, self.auto_scaling_group, set(self.target_group_arns))
        ended = run_command.command_line(self.command(), self._t0)
        return Story(sorted(told.lines + ([ended] if ended else []), key=lambda line: line.offset_s))

    def reset(self) -> None:
        """Leave the lab as the drill found it: the app fault is cleared (Auto Scaling has usually replaced the
        instance already, and the group's desired capacity never changed), without waiting for anything."""
        self.repair()

    def repair(self) -> None:
        """Undo an app fault (if the instance still exists: usually Auto Scaling has replaced it by now)."""
        if self.kind in APP_FAULTS and self._sim is not None:
            try:
                self._sim.clear(self.instance_id)
            except BackendError:
                pass  # the instance is gone
        elif self.command_id:
            try:  # Run Command writes "ok" (and starts a crashed app again) if the instance is still a managed node
                run_command.require_managed(self._lab, self.instance_id)
            except run_command.NotManaged:
                return  # terminated by Auto Scaling (the usual end), or its agent is gone: nothing to repair
            self.repair_command_id = run_command.send_fault(self._lab, self.instance_id, "ok")


def _lab_groups(lab: Lab) -> list[dict]:
    asg = lab.client("autoscaling")
    groups = [g for page in asg.get_paginator("describe_auto_scaling_groups").paginate() for g in page["AutoScalingGroups"]]
    return [g for g in groups if any(t["Key"] == config.LAB_TAG and t["Value"] == lab.name for t in g.get("Tags", []))]


def _pick(lab: Lab, groups: list[dict], instance_id: str | None) -> tuple[dict, str]:
    """The group and the victim: ``instance_id`` if given (it must be InService), else the first healthy InService one."""
    elb = lab.client("elbv2")
    for g in groups:
        in_service = sorted((i["AvailabilityZone"], i["InstanceId"]) for i in g["Instances"] if i["LifecycleState"] == "InService")
        if instance_id is not None:
            if any(iid == instance_id for _az, iid in in_service):
                return g, instance_id
            continue
        healthy = {d["Target"]["Id"] for arn in g.get("TargetGroupARNs", [])
                   for d in elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
                   if d["TargetHealth"]["State"] == "healthy"}
        for _az, iid in in_service:
            if iid in healthy or not g.get("TargetGroupARNs"):
                return g, iid
    if instance_id is not None:
        raise ValidationError("instance_id", instance_id, _("the drill breaks an InService instance of this lab's Auto Scaling group"),
                              _("Leave instance_id out to let the drill pick one, or pick one from "
                                "`aws autoscaling describe-auto-scaling-instances`."))
    raise DrillError(_("Lab {lab} has no Auto Scaling group with a healthy instance in service.").format(lab=lab.name),
                     _("Build the stack first (lab.build()), then wait a minute or two for the instances to pass their "
                       "health checks."))


def fail_instance(lab: Lab, kind: str = "crash", instance_id: str | None = None, **params: Any) -> InstanceFailure:
    """Break one InService instance of the lab's Auto Scaling group; returns the running drill.

    ``kind`` is one of :data:`FAILURE_KINDS`; ``params`` go to the fault (``delay_ms`` for "slow").
    """
    if kind not in FAILURE_KINDS:
        raise ValidationError("kind", kind, _("an instance can fail by {kinds}").format(kinds=", ".join(FAILURE_KINDS)),
                              _("Use kind='crash' (the app is gone), 'unhealthy' (/health answers 500), 'hang', 'slow', "
                                "'stop' or 'terminate'."))
    sim = simulator(lab)
    groups = _lab_groups(lab)
    if not groups:
        raise DrillError(_("Lab {lab} has no Auto Scaling group.").format(lab=lab.name),
                         _("Build it first: lab.build() (or lab.build(until='autoscaling'))."))
    group, victim = _pick(lab, groups, instance_id)
    command_id, word = None, run_command.fault_word(kind, params.get("delay_ms"))
    how = run_command.cli_command(victim, word) if kind in APP_FAULTS else ON_AWS[kind].format(id=victim)
    if kind in APP_FAULTS and sim is None:  # no simulator: SSM Run Command writes the app's fault file
        run_command.require_managed(lab, victim)
    t0 = sim.now() if sim else time.time()
    if kind in APP_FAULTS and sim is not None:
        sim.inject(victim, kind, **params)
    elif kind in APP_FAULTS:
        command_id = run_command.send_fault(lab, victim, word)
    elif kind == "stop":
        lab.client("ec2").stop_instances(InstanceIds=[victim])
    else:
        lab.client("ec2").terminate_instances(InstanceIds=[victim])
    from ..sim.timeline import iso8601

    return InstanceFailure(victim, kind, group["AutoScalingGroupName"], list(group.get("TargetGroupARNs", [])),
                           group.get("HealthCheckType", "EC2"), iso8601(t0), how,
                           lab, sim, t0, frozenset(i["InstanceId"] for i in group["Instances"]),
                           frozenset(i["InstanceId"] for i in group["Instances"] if i["LifecycleState"] not in _STAYING),
                           command_id, _params=dict(params))

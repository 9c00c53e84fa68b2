"""The bad-deploy drill: a release whose app fails its health checks, rolled out with an instance refresh that
fails and rolls back, as AWS documents it.

What happens, step by step:

1. the drill ships a release as a new launch template version (:mod:`.deploy_release`): the lab's own user data,
   plus the release's settings with a syntax error, so the web app answers ``GET /health`` with 500
   ("config error: ...") on every instance launched from it. Nothing in the simulator is switched: the failure
   comes from the user data, the way a real bad release would;
2. it starts an instance refresh (``StartInstanceRefresh``) with that version as the DesiredConfiguration,
   MinHealthyPercentage (default 90: "If no instance maintenance policy, this defaults to 90 percent"),
   a checkpoint and AutoRollback
   (https://docs.aws.amazon.com/autoscaling/ec2/userguide/understand-instance-refresh-default-values.html).
   AutoRollback needs the group on a numbered version ("The rollback option is not available if the Auto Scaling
   group is configured to use the $Latest or $Default launch template version",
   https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-rollback.html), so a group on
   ``$Default`` is first set to the version that is its default now (and set back on reset);
3. Auto Scaling terminates the first batch and launches replacements from the new version (**replacing**);
4. the replacements' targets fail ``UnhealthyThresholdCount`` checks in a row, and once the group's
   HealthCheckGracePeriod is over Auto Scaling takes them out of service: the refresh fails
   (**failed_health_checks**, ``RollbackInProgress``: "Auto rollback: Amazon EC2 Auto Scaling automatically
   reverses what was deployed if the instance refresh fails");
5. the rollback replaces what was deployed with instances of the group's own version: ``RollbackSuccessful``,
   the group's launch template unchanged, every instance on the old version and healthy (**rolled_back**).

Everything is read back through DescribeInstanceRefreshes, DescribeAutoScalingGroups, DescribeScalingActivities and
DescribeTargetHealth. ``reset()`` rolls back or waits out any refresh, puts the group back on the Version it named,
restores the template's default version and deletes the drill's version, using tags on the group.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationError
from ..i18n import _
from ..lab import Lab
from ..layers._base import Built
from .deploy_release import BAD_RELEASE, GroupTemplate, group_template, ship_release, write_tags
from .failure import DrillError, _lab_groups
from .polling import poll_until
from .simulator import Simulator, simulator
from .story import Story, tell

__all__ = ["bad_deploy", "follow_refresh", "BadDeploy", "DeployStatus", "DEPLOY_MILESTONES"]

#: How far a bad deploy has got, in order.
DEPLOY_MILESTONES = ("replacing", "failed_health_checks", "rolled_back")
_FAILED = ("Failed", "RollbackInProgress", "RollbackSuccessful", "RollbackFailed")
_ACTIVE = ("Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking")


@dataclass
class DeployStatus(Built):
    """The refresh, the group's instances by launch template version, and their targets, from the standard APIs."""

    refresh_status: str
    status_reason: str
    percentage_complete: int
    instances_to_update: int
    group_version: str  # the Version the group names now
    old_version: int
    new_version: int
    #: InService instances by the launch template version they were launched from: {"v2": 2, "v3": 1}
    versions: dict[str, int] = field(default_factory=dict)
    unhealthy_new: list[str] = field(default_factory=list)  # new-version instances whose target is unhealthy
    healthy_targets: int = 0
    desired: int = 0
    rollback_reason: str = ""

    @property
    def replacing(self) -> bool:
        """Auto Scaling launched instances from the new version (or the refresh is already past that)."""
        return self.versions.get(f"v{self.new_version}", 0) > 0 or self.refresh_status in _FAILED + ("Successful",)

    @property
    def failed_health_checks(self) -> bool:
        """A new instance's target is unhealthy, or the refresh has failed because of it."""
        return bool(self.unhealthy_new) or self.refresh_status in _FAILED

    @property
    def rolled_back(self) -> bool:
        """RollbackSuccessful, and the whole group back on the old version and healthy."""
        on_old = self.versions.get(f"v{self.old_version}", 0)
        return (self.refresh_status == "RollbackSuccessful" and on_old >= self.desired
                and sum(self.versions.values()) == on_old and self.healthy_targets >= self.desired)

    def reached(self, milestone: str) -> bool:
        return getattr(self, milestone)


@dataclass
class BadDeploy(Built):
    """A running bad deploy: the refresh, the versions, and how to follow and undo it."""

    auto_scaling_group: str
    refresh_id: str
    template_id: str
    old_version: int
    new_version: int
    preferences: dict
    target_group_arns: list[str]
    milestones: tuple = DEPLOY_MILESTONES
    _lab: Any = field(default=None, repr=False)
    _sim: Simulator | None = field(default=None, repr=False)
    _t0: float = field(default=0.0, repr=False)

    def status(self) -> DeployStatus:
        asg, elb = self._lab.client("autoscaling"), self._lab.client("elbv2")
        found = asg.describe_instance_refreshes(AutoScalingGroupName=self.auto_scaling_group,
                                                InstanceRefreshIds=[self.refresh_id])["InstanceRefreshes"]
        r = found[0] if found else {}
        group = asg.describe_auto_scaling_groups(
            AutoScalingGroupNames=[self.auto_scaling_group])["AutoScalingGroups"][0]
        in_service = {i["InstanceId"]: str(i.get("LaunchTemplate", {}).get("Version", "")) for i in group["Instances"]
                      if i["LifecycleState"] == "InService"}
        health = {d["Target"]["Id"]: d["TargetHealth"]["State"] for arn in self.target_group_arns
                  for d in elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]}
        versions: dict[str, int] = {}
        for version in in_service.values():
            versions[f"v{version}"] = versions.get(f"v{version}", 0) + 1
        new = str(self.new_version)
        return DeployStatus(
            r.get("Status", "unknown"), r.get("StatusReason", ""), int(r.get("PercentageComplete", 0)),
            int(r.get("InstancesToUpdate", 0)), str(group.get("LaunchTemplate", {}).get("Version", "")),
            self.old_version, self.new_version, versions,
            sorted(i for i, v in in_service.items() if v == new and health.get(i) == "unhealthy"),
            sum(1 for i in in_service if health.get(i) == "healthy"), int(group["DesiredCapacity"]),
            (r.get("RollbackDetails") or {}).get("RollbackReason", ""))

    def wait_until(self, milestone: str = "rolled_back", timeout_s: float = 120.0, fast_forward: bool | None = None,
                   step_s: float = 15.0, raise_on_timeout: bool = True) -> DeployStatus:
        """Poll :meth:`status` until ``milestone`` (see :data:`DEPLOY_MILESTONES`) or ``timeout_s`` wall seconds."""
        if milestone not in DEPLOY_MILESTONES:
            raise ValidationError("milestone", milestone, _("a bad deploy reaches {milestones}, in that order").format(
                milestones=", ".join(DEPLOY_MILESTONES)),
                _("Use wait_until('replacing'), wait_until('failed_health_checks') or wait_until('rolled_back')."))
        status, _done = poll_until(self.status, lambda st: st.reached(milestone), timeout_s, self._sim, fast_forward,
                                   step_s)
        if not status.reached(milestone) and raise_on_timeout:
            raise DrillError(_("The bad deploy did not reach {milestone} within {seconds:g} s: the instance refresh is "
                               "{status} ({reason}).").format(milestone=milestone, seconds=timeout_s,
                                                              status=status.refresh_status,
                                                              reason=status.status_reason or "-"),
                             _("Give it more time (timeout_s=...), or fast_forward=True to move the simulated clock. "
                               "Auto Scaling waits out the group's HealthCheckGracePeriod before it takes a failing "
                               "instance out of service."))
        return status

    def story(self) -> Story:
        """The deploy in AWS's words, with times: the refresh's statuses, the activities, the targets' health."""
        if self._sim is not None:
            return tell(self._sim.timeline(since=self._t0), self._t0, set(), self.auto_scaling_group,
                        set(self.target_group_arns))
        asg = self._lab.client("autoscaling")
        acts = asg.describe_scaling_activities(AutoScalingGroupName=self.auto_scaling_group)["Activities"]
        events = [{"time": a["StartTime"].timestamp(), "iso": a["StartTime"].isoformat(), "component": "autoscaling",
                   "resource": self.auto_scaling_group, "event": "activity_started",
                   "details": {"description": a["Description"], "cause": a.get("Cause", "")}} for a in reversed(acts)]
        return tell(events, self._t0, set(), self.auto_scaling_group, set(self.target_group_arns))

    def reset(self, timeout_s: float = 120.0, fast_forward: bool | None = None) -> None:
        """Leave the lab as the drill found it (see :func:`reset_bad_deploy`)."""
        from .deploy_reset import reset_bad_deploy

        reset_bad_deploy(self._lab, self.auto_scaling_group, timeout_s, fast_forward)


def _group_for(lab: Lab) -> dict:
    """The lab's group with a target group and ELB health checks, or a DrillError that says what is missing."""
    groups = _lab_groups(lab)
    if not groups:
        raise DrillError(_("Lab {lab} has no Auto Scaling group.").format(lab=lab.name),
                         _("Build it first: lab.build() (or lab.build(until='autoscaling'))."))
    with_tg = [g for g in groups if g.get("TargetGroupARNs")]
    if not with_tg:
        raise DrillError(_("The group {group} has no target group, so no health check can find the bad release."
                           ).format(group=groups[0]["AutoScalingGroupName"]),
            _("Attach the load balancer's target group: aws autoscaling attach-load-balancer-target-groups "
              "--auto-scaling-group-name <group> --target-group-arns <arn>."))
    elb = [g for g in with_tg if g.get("HealthCheckType") == "ELB"]
    if not elb:
        raise DrillError(_("The group {group} uses EC2 health checks: an instance whose app answers 500 still counts "
                           "as healthy, so the instance refresh would succeed and deploy the bad release everywhere."
                           ).format(group=with_tg[0]["AutoScalingGroupName"]),
            _("Turn on ELB health checks: aws autoscaling update-auto-scaling-group --auto-scaling-group-name <group> "
              "--health-check-type ELB --health-check-grace-period 300."))
    return elb[0]


def _check_params(min_healthy_percentage: Any, checkpoint_percentages: Any, checkpoint_delay: Any) -> list[int]:
    if isinstance(min_healthy_percentage, bool) or not isinstance(min_healthy_percentage, int) \
            or not 0 <= min_healthy_percentage <= 100:
        raise ValidationError("min_healthy_percentage", min_healthy_percentage, _("a whole percentage from 0 to 100"),
                              _("Use 90 (AWS's default) or 100 to replace one instance at a time."))
    cps = list(checkpoint_percentages or [])
    if any(isinstance(c, bool) or not isinstance(c, int) or not 1 <= c <= 100 for c in cps) or cps != sorted(set(cps)):
        raise ValidationError("checkpoint_percentages", checkpoint_percentages,
                              _("unique whole percentages from 1 to 100, in ascending order"),
                              _("For example checkpoint_percentages=(50, 100): pause when half the group is new."))
    if isinstance(checkpoint_delay, bool) or not isinstance(checkpoint_delay, int) \
            or not 0 <= checkpoint_delay <= 172800:
        raise ValidationError("checkpoint_delay", checkpoint_delay, _("whole seconds from 0 to 172800"),
                              _("Use 3600 (AWS's default) or less, for example checkpoint_delay=600."))
    return cps


def bad_deploy(lab: Lab, min_healthy_percentage: int = 90, checkpoint_percentages: tuple = (50, 100),
               checkpoint_delay: int = 600, instance_warmup: int | None = None,
               app_config: str = BAD_RELEASE) -> BadDeploy:
    """Roll out a release whose app fails its health checks with an instance refresh (AutoRollback on).

    Refuses, creating nothing, when the lab has no Auto Scaling group with a target group and ELB health checks,
    or when an instance refresh is already running on it. ``app_config`` is the release's settings (JSON text);
    pass :data:`awslab.drills.deploy_release.GOOD_RELEASE` to watch a deploy that succeeds.
    """
    cps = _check_params(min_healthy_percentage, checkpoint_percentages, checkpoint_delay)
    group = _group_for(lab)
    name = group["AutoScalingGroupName"]
    asg = lab.client("autoscaling")
    running = [r for r in asg.describe_instance_refreshes(AutoScalingGroupName=name)["InstanceRefreshes"]
               if r["Status"] in _ACTIVE]
    if running:
        raise DrillError(_("An instance refresh is already {status} on {group}.").format(
            status=running[0]["Status"], group=name),
            _("Wait for it to end, or undo an earlier drill with awslab.drills.reset_bad_deploy(lab)."))
    source = group_template(lab, group)
    sim = simulator(lab)
    t0 = sim.now() if sim else time.time()
    new = ship_release(lab, name, source, app_config)
    write_tags(lab, name, {"group_version": source.group_version, "template": source.template_id,
                           "default_version": source.default_version, "version": new})
    _pin(lab, name, source)
    prefs: dict[str, Any] = {"MinHealthyPercentage": min_healthy_percentage, "AutoRollback": True,
                             "SkipMatching": False}
    if cps:
        prefs.update(CheckpointPercentages=cps, CheckpointDelay=checkpoint_delay)
    if instance_warmup is not None:
        prefs["InstanceWarmup"] = int(instance_warmup)
    desired = {"LaunchTemplate": {"LaunchTemplateId": source.template_id, "Version": str(new)}}
    rid = asg.start_instance_refresh(AutoScalingGroupName=name, Strategy="Rolling", Preferences=prefs,
                                     DesiredConfiguration=desired)["InstanceRefreshId"]
    return BadDeploy(name, rid, source.template_id, source.number, new, prefs, list(group["TargetGroupARNs"]),
                     _lab=lab, _sim=sim, _t0=t0)


def follow_refresh(lab: Lab, refresh_id: str | None = None) -> BadDeploy:
    """Follow an instance refresh you started yourself (the newest of the lab's group, or ``refresh_id``) with the
    drill's status, milestones and story. The group must still name the version it ran before the refresh."""
    group = _group_for(lab)
    name = group["AutoScalingGroupName"]
    found = lab.client("autoscaling").describe_instance_refreshes(
        AutoScalingGroupName=name, **({"InstanceRefreshIds": [refresh_id]} if refresh_id else {}))["InstanceRefreshes"]
    if not found or not found[0].get("DesiredConfiguration"):
        raise DrillError(_("The group {group} has no instance refresh with a desired configuration to follow.").format(
            group=name), _("Start one first: autoscaling.start_instance_refresh(..., DesiredConfiguration=...)."))
    r, source = found[0], group_template(lab, group)
    new = int(r["DesiredConfiguration"]["LaunchTemplate"]["Version"])
    return BadDeploy(name, r["InstanceRefreshId"], source.template_id, source.number, new, r.get("Preferences", {}),
                     list(group["TargetGroupARNs"]), _lab=lab, _sim=simulator(lab), _t0=r["StartTime"].timestamp())


def _pin(lab: Lab, group_name: str, source: GroupTemplate) -> None:
    """A group on $Default/$Latest moves to the number it launches now (AutoRollback needs a numbered version)."""
    if source.group_version != str(source.number):
        lab.client("autoscaling").update_auto_scaling_group(AutoScalingGroupName=group_name, LaunchTemplate={
            "LaunchTemplateId": source.template_id, "Version": str(source.number)})


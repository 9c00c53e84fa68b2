"""Undo a bad-deploy drill from what it recorded on the group (works from a fresh kernel).

1. A refresh still deploying is rolled back (RollbackInstanceRefresh), one rolling back or being cancelled is
   waited out: no instance of the drill's version stays in service.
2. The group names its launch template Version again as before the drill ($Default, say), the template's default
   version is what it was, and the drill's version is deleted.
3. The drill's tags go.
"""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..i18n import _
from ..lab import Lab
from .deploy_release import delete_tags, read_tags
from .failure import DrillError, _lab_groups
from .polling import poll_until
from .simulator import simulator

__all__ = ["reset_bad_deploy"]

_ACTIVE = ("Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking")


def reset_bad_deploy(lab: Lab, group_name: str | None = None, timeout_s: float = 120.0,
                     fast_forward: bool | None = None) -> list[str]:
    """Undo every bad-deploy drill recorded on the lab's groups (or on ``group_name``); returns the groups reset."""
    done = []
    for group in _lab_groups(lab):
        recorded = read_tags(group)
        if recorded and group_name in (None, group["AutoScalingGroupName"]):
            _reset_group(lab, group, recorded, timeout_s, fast_forward)
            done.append(group["AutoScalingGroupName"])
    return done


def _active(lab: Lab, name: str) -> dict | None:
    refreshes = lab.client("autoscaling").describe_instance_refreshes(AutoScalingGroupName=name)["InstanceRefreshes"]
    return next((r for r in refreshes if r["Status"] in _ACTIVE), None)


def _reset_group(lab: Lab, group: dict, recorded: dict[str, str], timeout_s: float, fast_forward: bool | None) -> None:
    asg, name = lab.client("autoscaling"), group["AutoScalingGroupName"]
    running = _active(lab, name)
    if running is not None and running["Status"] in ("Pending", "InProgress", "Baking"):
        try:
            asg.rollback_instance_refresh(AutoScalingGroupName=name)
        except ClientError as e:  # no desired configuration: stop it instead
            if e.response["Error"]["Code"] != "IrreversibleInstanceRefresh":
                raise
            asg.cancel_instance_refresh(AutoScalingGroupName=name)
    _last, ended = poll_until(lambda: _active(lab, name), lambda r: r is None, timeout_s, simulator(lab), fast_forward,
                          15.0)
    if not ended:
        raise DrillError(_("The instance refresh on {group} is still running after {seconds:g} s.").format(
            group=name, seconds=timeout_s),
            _("Call reset() again with a longer timeout_s, or fast_forward=True on the embedded cloud."))
    template, version = recorded.get("template"), recorded.get("version")
    if template:
        asg.update_auto_scaling_group(AutoScalingGroupName=name, LaunchTemplate={
            "LaunchTemplateId": template, "Version": recorded.get("group_version") or "$Default"})
        _restore_template(lab, template, recorded.get("default_version"), version)
    _replace_stragglers(lab, name, version)
    delete_tags(lab, name)


def _restore_template(lab: Lab, template: str, default_version: str | None, version: str | None) -> None:
    ec2 = lab.client("ec2")
    if default_version:
        ec2.modify_launch_template(LaunchTemplateId=template, DefaultVersion=default_version)
    if version and version != default_version:
        try:
            ec2.delete_launch_template_versions(LaunchTemplateId=template, Versions=[version])
        except ClientError:
            pass  # already deleted (a second reset)


def _replace_stragglers(lab: Lab, name: str, version: str | None) -> None:
    """Instances still on the drill's version (a refresh that failed without rollback) are replaced."""
    asg = lab.client("autoscaling")
    group: Any = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    for i in group["Instances"]:
        if version and str(i.get("LaunchTemplate", {}).get("Version")) == version and \
                i["LifecycleState"] in ("InService", "Pending"):
            asg.terminate_instance_in_auto_scaling_group(InstanceId=i["InstanceId"],
                                                         ShouldDecrementDesiredCapacity=False)

"""Lab 17's catch-up steps: the release 2.0.0 version, its instance refresh, and the rolled-back 2.0.1.

Each step acts only when its task's check does not pass, so what a student did stays as it is.
"""
from __future__ import annotations

from typing import Any

from ..prepare import step

__all__: list[str] = []

#: The preferences the lab's refreshes use (task 17.2).
PREFERENCES = {"MinHealthyPercentage": 50, "InstanceWarmup": 90, "AutoRollback": True,
               "CheckpointPercentages": [50, 100], "CheckpointDelay": 120}


def _group(lab: Any) -> dict:
    from ...checks.failure_drill import the_group

    return the_group(lab)


def _passed(lab: Any, task_id: str) -> bool:
    from ...checks.registry import run_check

    return run_check(task_id, lab).passed


def _refresh(lab: Any, version: int) -> str:
    """Pin the group to the version it runs (AutoRollback needs a number), then deploy ``version``."""
    from ...drills.deploy_release import group_template

    group = _group(lab)
    source = group_template(lab, group)
    asg = lab.client("autoscaling")
    asg.update_auto_scaling_group(AutoScalingGroupName=group["AutoScalingGroupName"], LaunchTemplate={
        "LaunchTemplateId": source.template_id, "Version": str(source.number)})
    return asg.start_instance_refresh(AutoScalingGroupName=group["AutoScalingGroupName"], Preferences=PREFERENCES,
                                      DesiredConfiguration={"LaunchTemplate": {
                                          "LaunchTemplateId": source.template_id, "Version": str(version)}})[
        "InstanceRefreshId"]


def _wait_for_refreshes(lab: Any) -> None:
    """Fast-forward until no instance refresh of the group is active (bounded)."""
    from ...drills.polling import poll_until
    from ...drills.simulator import simulator

    name = _group(lab)["AutoScalingGroupName"]
    asg = lab.client("autoscaling")
    active = ("Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking")
    poll_until(lambda: asg.describe_instance_refreshes(AutoScalingGroupName=name)["InstanceRefreshes"],
               lambda rs: not any(r["Status"] in active for r in rs), 120.0, simulator(lab), None, 15.0)


@step("17.1")
def _new_version(lab: Any, resources: dict) -> dict:
    from ...checks.bad_deploy import good_release, the_template
    from ...drills.deploy_release import GOOD_RELEASE, group_template, ship_release

    group = _group(lab)
    lt = the_template(lab, group)
    if not _passed(lab, "17.1"):
        ship_release(lab, group["AutoScalingGroupName"], group_template(lab, group), GOOD_RELEASE)
    return {"template": lt, "version": good_release(lab, lt)}


@step("17.2")
def _deploy(lab: Any, resources: dict) -> dict:
    from ...checks.bad_deploy import good_release, refreshes, the_template

    group = _group(lab)
    good = good_release(lab, the_template(lab, group))
    if not _passed(lab, "17.2"):
        _wait_for_refreshes(lab)
        _refresh(lab, good)
    return {"version": good, "refresh_id": refreshes(lab, group["AutoScalingGroupName"])[0]["InstanceRefreshId"]}


@step("17.3")
def _broken(lab: Any, resources: dict) -> dict:
    from ...checks.bad_deploy import refreshes
    from ...drills.deploy_release import BAD_RELEASE, group_template, ship_release

    if not _passed(lab, "17.3"):
        _wait_for_refreshes(lab)
        group = _group(lab)
        bad = ship_release(lab, group["AutoScalingGroupName"], group_template(lab, group), BAD_RELEASE)
        _refresh(lab, bad)
        _wait_for_refreshes(lab)
    return {"refresh_id": refreshes(lab, _group(lab)["AutoScalingGroupName"])[0]["InstanceRefreshId"]}

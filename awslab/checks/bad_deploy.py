"""Lab 17, the bad deploy: a release as a launch template version, rolled out with an instance refresh.

- A release ships in the user data: its settings (``AWSLAB_APP_CONFIG``) go into the app's environment file.
- ``StartInstanceRefresh`` replaces the group's instances with ones launched from the DesiredConfiguration;
  its preferences (MinHealthyPercentage, InstanceWarmup, CheckpointPercentages, AutoRollback):
  https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html
- AutoRollback "is not available if the Auto Scaling group is configured to use the $Latest or $Default launch
  template version": https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-rollback.html
"""
from __future__ import annotations

import base64
import binascii
from typing import Any

from ..i18n import N_, _
from ..webapp import app_config_of, config_problem
from .failure_drill import the_group
from .registry import not_yet, ok, question, task

#: Task 17.2: the least MinHealthyPercentage the lab accepts (half the group stays healthy).
MIN_HEALTHY_FLOOR = 50


def the_template(lab: Any, group: dict) -> str:
    spec = group.get("LaunchTemplate") or {}
    if not spec.get("LaunchTemplateId"):
        raise not_yet(_("{group} has no launch template.").format(group=group["AutoScalingGroupName"]),
                      _("Run the lab's first cell again: lab = start(\"17\")."))
    return spec["LaunchTemplateId"]


def releases(lab: Any, template_id: str) -> dict[int, tuple[str | None, str | None]]:
    """Each version's release settings and what is wrong with them: ``{number: (settings, problem)}``."""
    out = {}
    pages = lab.client("ec2").get_paginator("describe_launch_template_versions").paginate(LaunchTemplateId=template_id)
    for page in pages:
        for v in page["LaunchTemplateVersions"]:
            try:
                script = base64.b64decode(v["LaunchTemplateData"].get("UserData") or "").decode()
            except (binascii.Error, UnicodeDecodeError):
                script = ""
            settings = app_config_of(script)
            out[int(v["VersionNumber"])] = (settings, config_problem(settings))
    return out


def good_release(lab: Any, template_id: str) -> int | None:
    """The newest version whose release settings the app can read, or None."""
    good = [n for n, (settings, problem) in releases(lab, template_id).items() if settings and not problem]
    return max(good) if good else None


def refreshes(lab: Any, group_name: str) -> list[dict]:
    return lab.client("autoscaling").describe_instance_refreshes(AutoScalingGroupName=group_name)["InstanceRefreshes"]


def _deploys(refresh: dict) -> str:
    return str(((refresh.get("DesiredConfiguration") or {}).get("LaunchTemplate") or {}).get("Version", ""))


@task("17.1", N_("Create a launch template version that ships release 2.0.0"))
def new_version(lab: Any) -> Any:
    g = the_group(lab)
    lt = the_template(lab, g)
    found = releases(lab, lt)
    shipped = {n: r for n, r in found.items() if r[0]}
    if not shipped:
        raise not_yet(_("No version of {template} ships release settings yet: its user data never writes "
                        "AWSLAB_APP_CONFIG.").format(template=lt),
                      _("Create a version from the default one with with_app_config(script, release) as its UserData "
                        "(base64)."))
    newest = max(shipped)
    if shipped[newest][1] and good_release(lab, lt) is None:
        raise not_yet(_("Version {version} ships settings the app cannot read: {problem}.").format(
            version=newest, problem=shipped[newest][1]),
            _("Give with_app_config a JSON object, for example json.dumps({\"release\": \"2.0.0\"})."))
    good = good_release(lab, lt)
    data = lab.client("ec2").describe_launch_template_versions(LaunchTemplateId=lt, Versions=[str(good)])[
        "LaunchTemplateVersions"][0]["LaunchTemplateData"]
    if not data.get("ImageId"):
        raise not_yet(_("Version {version} has no ImageId: it was created without SourceVersion, so it kept only the "
                        "user data.").format(version=good),
                      _("Create it again with SourceVersion set to the default version's number."))
    return ok(_("Version {version} of {template} ships release settings the app reads ({settings}); nothing runs it "
                "yet: a new version changes no running instance.").format(
        version=good, template=lt, settings=releases(lab, lt)[good][0]), [lt, str(good)])


def _preference_problem(prefs: dict) -> str | None:
    """What the lab's refresh still misses in its Preferences, or None."""
    if not prefs.get("AutoRollback"):
        return _("AutoRollback is off: a release that fails its health checks would leave the refresh Failed halfway, "
                 "with some instances on the bad release.")
    if int(prefs.get("MinHealthyPercentage", 90)) < MIN_HEALTHY_FLOOR:
        return _("MinHealthyPercentage {value} lets more than half the group go at once.").format(
            value=prefs.get("MinHealthyPercentage"))
    if prefs.get("InstanceWarmup") is None:
        return _("No InstanceWarmup: say how long a new instance needs before it counts as updated.")
    cps = list(prefs.get("CheckpointPercentages") or [])
    if not cps or cps[-1] != 100:
        return _("No checkpoint ending at 100: CheckpointPercentages such as [50, 100] pause halfway so you can look "
                 "before the rest is replaced.")
    return None


@task("17.2", N_("Roll release 2.0.0 out with an instance refresh (AutoRollback, a checkpoint)"))
def refresh_started(lab: Any) -> Any:
    g = the_group(lab)
    name, lt = g["AutoScalingGroupName"], the_template(lab, g)
    good = good_release(lab, lt)
    fix = ('autoscaling.start_instance_refresh(AutoScalingGroupName="{group}", DesiredConfiguration='
           '{{"LaunchTemplate": {{"LaunchTemplateId": "{template}", "Version": "{version}"}}}}, '
           'Preferences={{...}})').format(
        group=name, template=lt, version=good)
    mine = [r for r in refreshes(lab, name) if good is not None and _deploys(r) == str(good)]
    if not mine:
        raise not_yet(_("No instance refresh of {group} deploys version {version} yet.").format(
            group=name, version=good), fix)
    r = mine[0]
    problem = _preference_problem(r.get("Preferences") or {})
    if problem:
        raise not_yet(problem, fix)
    if r["Status"] in ("Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"):
        raise not_yet(_("The refresh {id} ended {status}: {reason}").format(
            id=r["InstanceRefreshId"], status=r["Status"], reason=r.get("StatusReason", "")), fix)
    return ok(_("Instance refresh {id} deploys version {version} ({status}, {pct}% complete), with AutoRollback and "
                "checkpoints {cps}.").format(id=r["InstanceRefreshId"], version=good, status=r["Status"],
                                             pct=r.get("PercentageComplete", 0),
                                             cps=r["Preferences"].get("CheckpointPercentages")),
              [r["InstanceRefreshId"]])


@task("17.3", N_("Deploy the broken release 2.0.1 and see it rolled back"))
def rolled_back(lab: Any) -> Any:
    g = the_group(lab)
    name, lt = g["AutoScalingGroupName"], the_template(lab, g)
    found = releases(lab, lt)
    broken = {str(n) for n, (settings, problem) in found.items() if settings and problem}
    mine = [r for r in refreshes(lab, name) if _deploys(r) in broken]
    if not mine:
        raise not_yet(_("No instance refresh of {group} deploys a version whose settings the app cannot read.").format(
            group=name), _("Create the version with release 2.0.1's settings (the trailing comma), then start the "
                           "refresh with AutoRollback, as in task 17.2."))
    r = mine[0]
    if r["Status"] != "RollbackSuccessful":
        raise not_yet(_("The refresh {id} is {status}; the lab waits for RollbackSuccessful. {reason}").format(
            id=r["InstanceRefreshId"], status=r["Status"], reason=r.get("StatusReason", "")),
            _("Wait (fast_forward) for the failed health checks and the rollback; without AutoRollback start it again "
              "with AutoRollback=True."))
    version = str((g.get("LaunchTemplate") or {}).get("Version"))
    running = {str(i.get("LaunchTemplate", {}).get("Version")) for i in g["Instances"]
               if i["LifecycleState"] == "InService"}
    if version in broken or running & broken:
        raise not_yet(_("{group} still runs the broken release (version {version}).").format(
            group=name, version=version), _("Wait for the rollback's replacements to come into service."))
    return ok(_("The refresh {id} failed its health checks and rolled back: {group} launches version {version} and "
                "every instance in service runs it.").format(id=r["InstanceRefreshId"], group=name, version=version),
              [r["InstanceRefreshId"]])


question("17.q1", N_("Four instances, MinHealthyPercentage 90. How many does the instance refresh replace at a time, "
                     "and what changes with 50?"),
         [N_("None: 90 % of 4 is 3.6, so no instance may go."),
          N_("One at a time: 4 - ceil(3.6) is 0, and AWS always replaces at least one. With 50, two at a time: faster, "
             "with half the capacity during each batch."),
          N_("All four at once with 50, one at a time with 90."),
          N_("MinHealthyPercentage only decides when the refresh fails.")],
         answer=1,
         why=N_("AWS: 'Setting the minimum healthy percentage to 100 percent limits the rate of replacement to one "
                "instance at a time. In contrast, setting it to 0 percent has the effect of replacing all instances at "
                "the same time.' The percentage is of the desired capacity, rounded up: it trades speed for capacity."),
         hints={0: N_("A refresh that could never replace anything would never finish: AWS replaces at least one."),
                2: N_("50 % of 4 must stay healthy: two may go at once, not four."),
                3: N_("It sets how many instances may be out of service at once.")})

question("17.q2", N_("The refresh to 2.0.1 failed and rolled back. What did the rollback restore?"),
         [N_("Every instance of the group, old and new, was replaced."),
          N_("The instances the refresh had deployed were replaced with instances of the configuration the group had "
             "before the refresh; the group's launch template stayed on that version."),
          N_("The launch template's default version was changed back."),
          N_("Nothing: a rollback only stops the refresh.")],
         answer=1,
         why=N_("AWS: 'When rolling back, Amazon EC2 Auto Scaling replaces the instances that have been deployed so "
                "far. The new instances match the configuration that you last saved on the Auto Scaling group before "
                "starting the instance refresh.' Instances it had not reached were never touched."),
         hints={0: N_("The instances the refresh had not reached yet already run the old release."),
                2: N_("A refresh never changes the template's default version; it names a version for the group."),
                3: N_("That is CancelInstanceRefresh: it stops, and keeps what was deployed.")})

question("17.q3", N_("Immutable infrastructure: why deploy 2.0.1 as a new launch template version and new instances, "
                     "instead of editing the settings file on the running servers?"),
         [N_("It is faster to start new instances than to edit a file."),
          N_("Every server is built from one versioned template, so a release is known exactly, a bad one is undone by "
             "replacing instances with the previous version, and no server drifts from the others."),
          N_("EC2 does not allow changing files on a running instance."),
          N_("Instance refresh is cheaper than SSH.")],
         answer=1,
         why=N_("The seed: 'Immutable Infrastructure: replace servers instead of modifying them'. The template version "
                "is the release; the rollback was a replacement with the previous version, with no one logging in."),
         hints={0: N_("Editing a file is faster; what you lose is knowing what runs where."),
                2: N_("You can change files on an instance (SSH, SSM); the point is that you should not."),
                3: N_("Cost is not the reason: the replacements run the same instance type.")})

"""A release as a launch template version: the lab's user data, shipping the release's settings.

The lab's launch template carries the user data from :func:`awslab.webapp.user_data`, which installs and starts
the web app. A release ships its settings the same way a real one would: a new launch template version whose
user data writes them (``AWSLAB_APP_CONFIG``, JSON) into the app's environment file
(:func:`awslab.webapp.with_app_config`). Settings the app cannot parse make it answer ``GET /health`` with 500
("config error: ..."), so every instance launched from that version fails its target group's health checks:
a bad deploy, caused by the user data itself, not by a switch in the simulator.

What a drill changes is recorded in tags on the Auto Scaling group (:data:`TAGS`), so ``reset()`` can undo it
from a fresh kernel.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from ..i18n import _
from ..lab import Lab
from ..webapp import with_app_config
from .failure import DrillError

__all__ = ["GOOD_RELEASE", "BAD_RELEASE", "TAGS", "GroupTemplate", "group_template", "ship_release", "read_tags"]

#: A release whose settings the app reads: its instances pass their health checks.
GOOD_RELEASE = '{"release": "2.0.0", "greeting": "Hello"}'
#: The same release with a trailing comma: not JSON, so the app's /health answers 500 ("config error").
BAD_RELEASE = '{"release": "2.0.1", "greeting": "Hello",}'
#: Tags on the group that remember what the drill changed (keys of ``awslab:bad-deploy:*``).
TAGS = {"group_version": "awslab:bad-deploy:group-version", "template": "awslab:bad-deploy:template",
        "default_version": "awslab:bad-deploy:default-version", "version": "awslab:bad-deploy:version"}


@dataclass(frozen=True)
class GroupTemplate:
    """The group's launch template: its id, the Version the group names, and that version's number."""

    template_id: str
    group_version: str  # "$Default", "$Latest" or "3"
    number: int
    default_version: int


def group_template(lab: Lab, group: dict) -> GroupTemplate:
    """The launch template a group launches from (a DrillError if it uses a launch configuration)."""
    spec = group.get("LaunchTemplate") or {}
    if not spec:
        raise DrillError(_("The group {group} launches from a launch configuration or a mixed instances policy, "
                           "not a launch template.").format(group=group["AutoScalingGroupName"]),
                         _("An instance refresh with a desired configuration needs a launch template: build the lab's "
                           "compute and autoscaling layers (lab.build(until='autoscaling')).")) from None
    ec2 = lab.client("ec2")
    template = ec2.describe_launch_templates(LaunchTemplateIds=[spec["LaunchTemplateId"]])["LaunchTemplates"][0]
    version = str(spec.get("Version") or "$Default")
    number = {"$Default": template["DefaultVersionNumber"], "$Latest": template["LatestVersionNumber"]}.get(version)
    return GroupTemplate(spec["LaunchTemplateId"], version, int(number if number is not None else version),
                         int(template["DefaultVersionNumber"]))


def _user_data(lab: Lab, template_id: str, number: int) -> str:
    ec2 = lab.client("ec2")
    data = ec2.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=[str(number)])[
        "LaunchTemplateVersions"][0]["LaunchTemplateData"]
    try:
        return base64.b64decode(data.get("UserData") or "").decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""


def ship_release(lab: Lab, group_name: str, source: GroupTemplate, app_config: str) -> int:
    """Create the launch template version that deploys ``app_config``; returns its number."""
    script = _user_data(lab, source.template_id, source.number)
    try:
        shipped = with_app_config(script, app_config)
    except ValueError:
        raise DrillError(_("Version {version} of {template} has no user data from awslab.webapp.user_data, so the "
                           "drill cannot ship a release through it.").format(version=source.number,
                                                                            template=source.template_id),
                         _("Build the lab's compute layer (lab.build(until='compute')): its launch template runs the "
                           "lab's web app from its user data.")) from None
    got = lab.client("ec2").create_launch_template_version(
        LaunchTemplateId=source.template_id, SourceVersion=str(source.number),
        VersionDescription="awslab drill: release with settings {}".format(app_config)[:255],
        LaunchTemplateData={"UserData": base64.b64encode(shipped.encode()).decode()})
    return int(got["LaunchTemplateVersion"]["VersionNumber"])


def read_tags(group: dict) -> dict[str, str]:
    """What an earlier bad-deploy drill recorded on the group (empty if nothing)."""
    keys = {v: k for k, v in TAGS.items()}
    return {keys[t["Key"]]: t["Value"] for t in group.get("Tags", []) if t["Key"] in keys}


def write_tags(lab: Lab, group_name: str, values: dict[str, str]) -> None:
    lab.client("autoscaling").create_or_update_tags(Tags=[
        {"ResourceId": group_name, "ResourceType": "auto-scaling-group", "Key": TAGS[k], "Value": str(v),
         "PropagateAtLaunch": False} for k, v in values.items()])


def delete_tags(lab: Lab, group_name: str) -> None:
    lab.client("autoscaling").delete_tags(Tags=[
        {"ResourceId": group_name, "ResourceType": "auto-scaling-group", "Key": key} for key in TAGS.values()])

"""EC2 launch templates: a new version built on a source version, and instances that get the template's settings.

Two answers moto 5.2.5 gets wrong, each against AWS's own page:

- **CreateLaunchTemplateVersion with ``SourceVersion``.** AWS: "If you specify this
  parameter, the new version inherits the launch parameters from the source version.
  If you specify additional launch parameters for the new version, they overwrite any
  corresponding launch parameters inherited from the source version"
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplateVersion.html).
  moto ignores ``SourceVersion``, so a version 2 that only turns on IMDSv2 lost the
  AMI, the user data and the tags of version 1. moto also keeps a new version's
  ``UserData`` as a plain string, which its own launch path then refuses.
  Patched: ``LaunchTemplates.create_launch_template_version`` sees the source version's
  data with the request's parameters laid over it, and the user data parsed as
  CreateLaunchTemplate parses it.
- **RunInstances from a template.** AWS launches the instance with the template's
  parameters: ``MetadataOptions`` (IMDSv2) and ``Monitoring`` (detailed monitoring)
  included (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-launch-templates.html).
  moto copies the AMI, type, key, groups and user data, and drops those two: an
  instance from a template that requires IMDSv2 reported ``HttpTokens: optional``.
  Patched: ``InstanceBackend.run_instances`` takes them from the template unless the
  request sets them. (moto passes ``monitoring_state="disabled"`` when the request says
  nothing, so an explicit ``Monitoring={"Enabled": False}`` cannot override a template
  that enables it.)
"""
from __future__ import annotations

import copy
from typing import Any

from moto.ec2.models.instances import InstanceBackend
from moto.ec2.responses.launch_templates import LaunchTemplates
from moto.ec2.utils import parse_user_data

__all__ = ["install", "merged_version_data", "template_launch_settings"]

_ORIG: dict[str, Any] = {}


def merged_version_data(source: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """A new version's data: the source version's parameters, each one the request names replaced by it."""
    merged = copy.deepcopy(source)
    merged.update(given)
    return merged


def _create_version(self: Any) -> Any:
    source = self._get_param("SourceVersion")
    given = self._get_param("LaunchTemplateData", {})
    if "UserData" in given:  # as create_launch_template does: a Base64EncodedString (or InvalidUserData.Malformed)
        given["UserData"] = parse_user_data(self._get_param("LaunchTemplateData.UserData"))
    if source is not None:
        name, tid = self._get_param("LaunchTemplateName"), self._get_param("LaunchTemplateId")
        template = self.ec2_backend.get_launch_template(tid) if tid else self.ec2_backend.get_launch_template_by_name(name)
        given = merged_version_data(template.get_version(source).data, given)
    moto_get = self._get_param

    def get_param(param_name: str, *args: Any, **kwargs: Any) -> Any:
        return given if param_name == "LaunchTemplateData" else moto_get(param_name, *args, **kwargs)

    self._get_param = get_param  # one response object per request: the override dies with it
    try:
        return _ORIG["create_version"](self)
    finally:
        del self._get_param


def template_launch_settings(data: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """RunInstances arguments completed with the template's metadata options and monitoring."""
    out = dict(kwargs)
    if not out.get("metadata_options") and data.get("MetadataOptions"):
        out["metadata_options"] = dict(data["MetadataOptions"])
    if out.get("monitoring_state", "disabled") == "disabled" and (data.get("Monitoring") or {}).get("Enabled"):
        out["monitoring_state"] = "enabled"
    return out


def _run_instances(self: Any, image_id: Any, count: int, user_data: Any, security_group_names: list, **kwargs: Any) -> Any:
    if kwargs.get("launch_template"):
        data = self._get_template_from_args(kwargs["launch_template"]).data
        kwargs = template_launch_settings(data, kwargs)
    return _ORIG["run_instances"](self, image_id, count, user_data, security_group_names, **kwargs)


def install() -> None:
    if _ORIG:
        return
    _ORIG.update(create_version=LaunchTemplates.create_launch_template_version, run_instances=InstanceBackend.run_instances)
    LaunchTemplates.create_launch_template_version = _create_version
    InstanceBackend.run_instances = _run_instances

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
- **CreateLaunchTemplate's own tags.** The request's ``TagSpecifications`` tag the launch
  template; ``LaunchTemplateData.TagSpecifications`` tag what a launch creates
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html). moto
  copies the former into version 1's data, so describe-launch-template-versions showed a
  ``launch-template`` tag specification AWS never lists there. Patched:
  ``LaunchTemplates.create_launch_template`` takes it out of version 1 again.
- **RunInstances from a template.** AWS launches the instance with the template's
  parameters: ``MetadataOptions`` (IMDSv2) and ``Monitoring`` (detailed monitoring)
  included (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-launch-templates.html).
  moto copies the AMI, type, key, groups and user data, and drops those two: an
  instance from a template that requires IMDSv2 reported ``HttpTokens: optional``.
  Patched: ``InstanceBackend.run_instances`` takes them from the template unless the
  request sets them. (moto passes ``monitoring_state="disabled"`` when the request says
  nothing, so an explicit ``Monitoring={"Enabled": False}`` cannot override a template
  that enables it.)
- **AMIs that ask for IMDSv2.** "By default, any instances launched with the AL2023 AMI
  require IMDSv2-only and your default hop limit will be set to 2 ... This is done by
  setting the imds-support parameter to v2.0"
  (https://docs.aws.amazon.com/linux/al2023/ug/imdsv2.html); the launch parameters
  (request, then template) come first
  (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html).
  moto's AMIs carry no ImdsSupport. Patched: ``AmiBackend._load_amis`` marks Amazon's
  AL2023 images ``ImdsSupport: v2.0`` (describe-images shows it), and ``run_instances``
  applies it when the launch parameters leave ``HttpTokens`` unset. Account-level
  defaults (ModifyInstanceMetadataDefaults) are not modelled.
- **ModifyInstanceMetadataOptions keeps what it is not told.** AWS: "If this parameter is
  not specified, the existing state is maintained"
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceMetadataOptions.html).
  moto rebuilt the options from the request alone, so turning tokens off also dropped
  ``HttpEndpoint`` and reset the hop limit to 1. Patched: the backend method fills the
  parameters the request leaves out from the instance's current options.
"""
from __future__ import annotations

import copy
from typing import Any

from moto.ec2.models.amis import AmiBackend
from moto.ec2.models.instances import InstanceBackend
from moto.ec2.responses.launch_templates import LaunchTemplates
from moto.ec2.utils import parse_user_data

__all__ = ["install", "merged_version_data", "template_launch_settings", "ami_launch_settings", "AL2023_PREFIX"]

#: Amazon's Amazon Linux 2023 images (al2023-ami-2023..., al2023-ami-minimal-..., al2023-ami-ecs-...).
AL2023_PREFIX = "al2023-ami-"

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


def _create_template(self: Any) -> Any:
    given = copy.deepcopy(self._get_param("LaunchTemplateData", {}).get("TagSpecifications", []))
    answer = _ORIG["create_template"](self)
    template = self.ec2_backend.get_launch_template_by_name(self._get_param("LaunchTemplateName"))
    data = template.versions[0].data
    if "TagSpecifications" in data:  # keep only what the request put in LaunchTemplateData
        kept = [s for s in data["TagSpecifications"] if s.get("ResourceType") != "launch-template" or s in given]
        if kept:
            data["TagSpecifications"] = kept
        else:
            del data["TagSpecifications"]
    return answer


def template_launch_settings(data: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """RunInstances arguments completed with the template's metadata options and monitoring."""
    out = dict(kwargs)
    if not out.get("metadata_options") and data.get("MetadataOptions"):
        out["metadata_options"] = dict(data["MetadataOptions"])
    if out.get("monitoring_state", "disabled") == "disabled" and (data.get("Monitoring") or {}).get("Enabled"):
        out["monitoring_state"] = "enabled"
    return out


def ami_launch_settings(ami: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """RunInstances arguments completed with the AMI's IMDS default: ImdsSupport v2.0 -> tokens required, hop limit 2."""
    options = dict(kwargs.get("metadata_options") or {})
    if getattr(ami, "imds_support", None) != "v2.0" or options.get("HttpTokens"):
        return kwargs
    options["HttpTokens"] = "required"
    options.setdefault("HttpPutResponseHopLimit", 2)
    return dict(kwargs, metadata_options=options)


def _run_instances(self: Any, image_id: Any, count: int, user_data: Any, security_group_names: list, **kwargs: Any) -> Any:
    image = image_id
    if kwargs.get("launch_template"):
        data = self._get_template_from_args(kwargs["launch_template"]).data
        kwargs = template_launch_settings(data, kwargs)
        image = image or data.get("ImageId")
    kwargs = ami_launch_settings(self.amis.get(image), kwargs)
    return _ORIG["run_instances"](self, image_id, count, user_data, security_group_names, **kwargs)


def _modify_metadata_options(self: Any, instance_id: str, http_tokens: str | None = None, hop_limit: int | None = None,
                             http_endpoint: str | None = None, dry_run: bool | None = False,
                             http_protocol: str | None = None, metadata_tags: str | None = None) -> Any:
    now = self.get_instance(instance_id).metadata_options
    return _ORIG["modify_metadata"](
        self, instance_id, http_tokens or now.http_tokens, hop_limit or now.http_put_response_hop_limit,
        http_endpoint or now.http_endpoint, dry_run, http_protocol or now.http_protocol_ipv6,
        metadata_tags or now.instance_metadata_tags)


def _load_amis(self: Any) -> None:
    _ORIG["load_amis"](self)
    for ami in self.amis.values():
        if getattr(ami, "owner_alias", None) == "amazon" and str(getattr(ami, "name", "")).startswith(AL2023_PREFIX):
            ami.imds_support = "v2.0"


def install() -> None:
    if _ORIG:
        return
    _ORIG.update(create_version=LaunchTemplates.create_launch_template_version, run_instances=InstanceBackend.run_instances,
                 create_template=LaunchTemplates.create_launch_template, load_amis=AmiBackend._load_amis,
                 modify_metadata=InstanceBackend.modify_instance_metadata_options)
    LaunchTemplates.create_launch_template_version = _create_version
    LaunchTemplates.create_launch_template = _create_template
    InstanceBackend.run_instances = _run_instances
    AmiBackend._load_amis = _load_amis
    InstanceBackend.modify_instance_metadata_options = _modify_metadata_options

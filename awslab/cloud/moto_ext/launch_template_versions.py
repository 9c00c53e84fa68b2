"""Deleting launch template versions (DeleteLaunchTemplateVersions), which moto 5.2.5 lacks.

"You can't delete the default version of a launch template; you must first assign a different version as the
default" and a deleted version is gone: describing or launching it answers InvalidLaunchTemplateId.VersionNotFound,
``$Latest`` is the highest version left, and new versions keep counting up
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteLaunchTemplateVersions.html,
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/delete-launch-template.html).

moto keeps a template's versions in a list indexed by number, so a deleted version stays in the list, marked
(``_awslab_deleted``); ``get_version``, ``latest_version`` and the backend's version listing skip it. The answer has
AWS's two lists: SuccessfullyDeletedLaunchTemplateVersions and UnsuccessfullyDeletedLaunchTemplateVersions (each with
a ResponseError Code of the API's enum: launchTemplateVersionDoesNotExist; unexpectedError for the default version,
whose exact Code AWS does not document: UNCONFIRMED).
"""
from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import InvalidLaunchTemplateVersionNotFound
from moto.ec2.models.launch_templates import LaunchTemplate, LaunchTemplateBackend
from moto.ec2.responses.launch_templates import LaunchTemplates

__all__ = ["install", "DELETED"]

#: The mark on a deleted moto ``LaunchTemplateVersion``.
DELETED = "_awslab_deleted"
_ORIG: dict[str, Any] = {}


def install() -> None:
    if _ORIG:
        return
    _ORIG.update(get_version=LaunchTemplate.get_version, latest=LaunchTemplate.latest_version,
                 describe=LaunchTemplateBackend.describe_launch_template_versions)
    LaunchTemplate.get_version = _get_version
    LaunchTemplate.latest_version = _latest_version
    LaunchTemplateBackend.describe_launch_template_versions = _describe_versions
    LaunchTemplates.delete_launch_template_versions = _delete_launch_template_versions


def _alive(template) -> list:
    return [v for v in template.versions if not getattr(v, DELETED, False)]


def _get_version(self, num: Any):
    if str(num).lower() == "$latest":
        return _latest_version(self)
    version = _ORIG["get_version"](self, num)
    if getattr(version, DELETED, False):
        raise InvalidLaunchTemplateVersionNotFound(template_id=self.id, version=num)
    return version


def _latest_version(self):
    alive = _alive(self)
    return alive[-1] if alive else _ORIG["latest"](self)


def _describe_versions(self, *args: Any, **kwargs: Any):
    return [(t, v) for t, v in _ORIG["describe"](self, *args, **kwargs) if not getattr(v, DELETED, False)]


def _delete_launch_template_versions(self) -> ActionResult:
    name, tid = self._get_param("LaunchTemplateName"), self._get_param("LaunchTemplateId")
    self.error_on_dryrun()
    template = self.ec2_backend.get_launch_template(tid) if tid else self.ec2_backend.get_launch_template_by_name(name)
    ok, failed = [], []
    for raw in self._get_param("Versions", []) or []:
        who = {"LaunchTemplateId": template.id, "LaunchTemplateName": template.name}
        number = int(raw) if str(raw).isdigit() else None
        alive = {v.number: v for v in _alive(template)}
        if number is None or number not in alive:
            failed.append(dict(who, VersionNumber=number or 0, ResponseError={
                "Code": "launchTemplateVersionDoesNotExist",
                "Message": f"The specified launch template version, {raw}, does not exist."}))
        elif number == template.default_version_number:
            failed.append(dict(who, VersionNumber=number, ResponseError={
                "Code": "unexpectedError", "Message": "You can't delete the default version of a launch template; "
                                                      "assign a different version as the default first."}))
        else:
            setattr(alive[number], DELETED, True)
            ok.append(dict(who, VersionNumber=number))
    return ActionResult({"SuccessfullyDeletedLaunchTemplateVersions": ok,
                         "UnsuccessfullyDeletedLaunchTemplateVersions": failed})

"""CloudFormation updates an Auto Scaling group in place, as AWS does.

moto's ``FakeAutoScalingGroup.update_from_cloudformation_json`` deletes the group and creates it again under
the same name. With the simulator, DeleteAutoScalingGroup leaves the group listed ("Delete in progress") until
its instances are terminated, as on AWS, so the create answered ``AlreadyExists`` and UpdateStack failed.

AWS replaces the group only when ``AutoScalingGroupName`` changes: every other property of
``AWS::AutoScaling::AutoScalingGroup`` that moto models (LaunchConfigurationName, LaunchTemplate, MinSize,
MaxSize, DesiredCapacity, VPCZoneIdentifier, HealthCheckGracePeriod, HealthCheckType, TargetGroupARNs,
LoadBalancerNames, ...) is updated with "No interruption" or "Some interruptions", never "Replacement"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-autoscaling-autoscalinggroup.html).
So when the name stays, the group is updated in place through the backend (and so through the simulator):
its instances keep running. A new name keeps moto's delete-and-create.
"""
from __future__ import annotations

from typing import Any

from moto.autoscaling.models import FakeAutoScalingGroup, autoscaling_backends

__all__ = ["install", "update_in_place"]

_ORIG: dict[str, Any] = {}


def install() -> None:
    if _ORIG:
        return
    _ORIG["update"] = FakeAutoScalingGroup.update_from_cloudformation_json
    FakeAutoScalingGroup.update_from_cloudformation_json = classmethod(_update_from_cloudformation_json)


def _update_from_cloudformation_json(cls: type, original_resource: Any, new_resource_name: str,
                                     cloudformation_json: dict[str, Any], account_id: str, region_name: str):
    backend = autoscaling_backends[account_id][region_name]
    if original_resource.name != new_resource_name or new_resource_name not in backend.autoscaling_groups:
        return _ORIG["update"].__func__(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name)
    return update_in_place(backend, new_resource_name, cloudformation_json.get("Properties", {}))


def update_in_place(backend: Any, name: str, properties: dict[str, Any]) -> FakeAutoScalingGroup:
    """Apply a template's group ``properties`` to the existing group ``name`` (UpdateAutoScalingGroup and the
    attach/detach calls), as CloudFormation does for an update that needs no replacement."""
    group = backend.update_auto_scaling_group(
        name=name, availability_zones=properties.get("AvailabilityZones", []),
        desired_capacity=_int(properties.get("DesiredCapacity")), max_size=_int(properties.get("MaxSize")),
        min_size=_int(properties.get("MinSize")), launch_config_name=properties.get("LaunchConfigurationName"),
        launch_template=properties.get("LaunchTemplate", {}),
        vpc_zone_identifier=",".join(properties.get("VPCZoneIdentifier", [])) or None,
        health_check_period=_int(properties.get("HealthCheckGracePeriod")),
        health_check_type=properties.get("HealthCheckType"),
        new_instances_protected_from_scale_in=properties.get("NewInstancesProtectedFromScaleIn"),
        mixed_instances_policy=properties.get("MixedInstancesPolicy") or None)
    _sync(list(group.target_group_arns), properties.get("TargetGroupARNs", []), name,
          backend.attach_load_balancer_target_groups, backend.detach_load_balancer_target_groups)
    _sync(list(group.load_balancer_names), properties.get("LoadBalancerNames", []), name,
          backend.attach_load_balancers, backend.detach_load_balancers)
    return backend.autoscaling_groups[name]


def _sync(current: list[str], wanted: list[str], name: str, attach: Any, detach: Any) -> None:
    """Attach what the template adds and detach what it drops."""
    added = [x for x in wanted if x not in current]
    dropped = [x for x in current if x not in wanted]
    if dropped:
        detach(name, dropped)
    if added:
        attach(name, added)


def _int(value: Any) -> int | None:
    """Template numbers may be strings ("5"); moto's create passes them on, UpdateAutoScalingGroup wants ints."""
    return None if value is None else int(value)

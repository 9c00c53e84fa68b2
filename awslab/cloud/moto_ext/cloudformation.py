"""CloudFormation on the embedded cloud: what moto 5.2.5's CloudFormation lacks for a lab's template.

- ``AWS::AutoScaling::ScalingPolicy``, ``AWS::CloudWatch::Alarm`` and ``AWS::SecretsManager::Secret`` are
  not modelled by moto's CloudFormation (it skips them with a warning, and a ``!Ref`` to one fails the stack).
  Each is added here as a small model that calls the service's own backend method, the one the API calls
  (so a policy or an alarm made by a stack gets the simulator's behaviour, as one made by PutScalingPolicy
  does). Their ``Ref`` and attributes are AWS's: a policy's ARN, an alarm's name (``Arn`` by ``!GetAtt``),
  a secret's ARN (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-autoscaling-scalingpolicy.html,
  .../aws-resource-cloudwatch-alarm.html, .../aws-resource-secretsmanager-secret.html).
- ``Fn::GetAtt`` of an attribute whose name has a dot (``Database.Endpoint.Address``, also inside ``!Sub``)
  failed: moto split it at every dot. AWS splits at the first.
- Properties moto's models read past (tags of several types, a VPC's DNS settings, ...) are applied after the
  create (:mod:`.cloudformation_properties`).
- ``!GetAtt Alb.CanonicalHostedZoneID`` and ``Alb.LoadBalancerFullName`` raised NotImplementedError.
- ``AWS::RDS::DBInstance``'s ``VPCSecurityGroups`` was ignored (moto read ``VpcSecurityGroupIds``).
- A ``List<...>`` or ``CommaDelimitedList`` parameter left at its ``Default`` stayed one string in moto (only a
  value passed in was split), so ``!Select [0, !Ref AvailabilityZones]`` picked a letter. AWS splits both.

Still not modelled (a stack skips them, and a reference to one fails it): ``AWS::CloudFront::Distribution``,
``AWS::CloudFront::OriginAccessControl``, ``AWS::S3::BucketPolicy`` (docs/decisions.md).
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from typing import Any

from moto.autoscaling.models import autoscaling_backends
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel

__all__ = ["install", "MODELLED_HERE"]

MODELLED_HERE = ("AWS::AutoScaling::ScalingPolicy", "AWS::CloudWatch::Alarm", "AWS::SecretsManager::Secret")
_ORIG: dict[str, Any] = {}


PARSING = "moto.cloudformation.parsing"


def install() -> None:
    """Patch moto's CloudFormation when it is first imported: importing it imports every moto service (about 2.5 s
    of CPU), which a cloud nobody asks for a stack should not pay at start."""
    if PARSING in sys.modules:
        _patch()
    elif not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport())


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs :func:`_patch` right after ``moto.cloudformation.parsing`` is imported (by moto, on the first request)."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != PARSING:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module: Any) -> None:
            run(module)
            _patch()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _patch() -> None:
    if _ORIG:
        return
    from moto.cloudformation import parsing
    from moto.rds.models import DBInstance

    _ORIG["load_parameters"] = parsing.ResourceMap.load_parameters
    parsing.ResourceMap.load_parameters = _load_parameters
    _ORIG["clean_json"] = parsing.clean_json
    parsing.clean_json = _clean_json  # it calls itself through the module's name, so nested values come here too
    _ORIG["create"] = parsing.parse_and_create_resource
    parsing.parse_and_create_resource = _parse_and_create_resource
    _ORIG["db_instance"] = DBInstance.create_from_cloudformation_json
    DBInstance.create_from_cloudformation_json = classmethod(_db_instance)
    from moto.elbv2.models import FakeLoadBalancer

    _ORIG["lb_attribute"] = FakeLoadBalancer.get_cfn_attribute
    FakeLoadBalancer.get_cfn_attribute = _lb_attribute
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()  # the models below are CloudFormationModel subclasses: list them too


def _parsing() -> Any:
    return sys.modules[PARSING]


def _load_parameters(self: Any) -> None:
    _ORIG["load_parameters"](self)
    for name, slot in self._template.get("Parameters", {}).items():
        kind, value = slot.get("Type", "String"), self.resolved_parameters.get(name)
        if isinstance(value, str) and (kind == "CommaDelimitedList" or kind.startswith("List<")):
            self.resolved_parameters[name] = self._parsed_resources[name] = value.split(",") if value else []


def _clean_json(resource_json: Any, resources_map: Any) -> Any:
    """An attribute with a dot in its name (``!GetAtt Database.Endpoint.Address``) is one attribute, as on AWS;
    moto split it at every dot and looked for an attribute ``Endpoint``."""
    if isinstance(resource_json, dict):
        att = resource_json.get("Fn::GetAtt")
        if isinstance(att, list) and len(att) > 2:
            resource_json = dict(resource_json, **{"Fn::GetAtt": [att[0], ".".join(att[1:])]})
    return _ORIG["clean_json"](resource_json, resources_map)


def _parse_and_create_resource(logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str,
                               region_name: str) -> Any:
    """moto's create, then the properties its model reads past (:mod:`.cloudformation_properties`)."""
    parsing = _parsing()
    resource = _ORIG["create"](logical_id, resource_json, resources_map, account_id, region_name)
    if resource is not None:
        from .cloudformation_properties import apply

        props = parsing.clean_json(resource_json.get("Properties") or {}, resources_map)
        apply(resource, resource_json["Type"], props, account_id, region_name)
    return resource


def _lb_attribute(self: Any, attribute_name: str) -> Any:
    """``CanonicalHostedZoneID`` (what a Route 53 alias to the ALB names) and ``LoadBalancerFullName``
    (``app/<name>/<id>``, a CloudWatch dimension): moto raised NotImplementedError, and the alias record got the
    unresolved ``Fn::GetAtt`` as its hosted zone."""
    if attribute_name == "CanonicalHostedZoneID":
        return self.canonical_hosted_zone_id
    if attribute_name == "LoadBalancerFullName":
        return self.arn.split(":loadbalancer/", 1)[1]
    return _ORIG["lb_attribute"](self, attribute_name)


def _db_instance(cls: type, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str,
                 **kwargs: Any) -> Any:
    """``VPCSecurityGroups`` is the property's name in ``AWS::RDS::DBInstance``; moto read ``VpcSecurityGroupIds``
    only, so a stack's database landed in the VPC's default group instead of the db group."""
    props = cloudformation_json.get("Properties", {})
    if props.get("VPCSecurityGroups") and not props.get("VpcSecurityGroupIds"):
        props = dict(props, VpcSecurityGroupIds=props["VPCSecurityGroups"])
        cloudformation_json = dict(cloudformation_json, Properties=props)
    return _ORIG["db_instance"].__func__(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class StackScalingPolicy(CloudFormationModel):
    """``AWS::AutoScaling::ScalingPolicy``: PutScalingPolicy with the template's properties."""

    def __init__(self, policy: Any):
        self.policy = policy

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::AutoScaling::ScalingPolicy"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "PolicyName"

    @property
    def physical_resource_id(self) -> str:
        return self.policy.arn

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "PolicyName")

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.policy.arn if attribute_name == "Arn" else self.policy.name

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> "StackScalingPolicy":
        p = cloudformation_json.get("Properties", {})
        backend = autoscaling_backends[account_id][region_name]
        policy = backend.put_scaling_policy(
            name=resource_name, policy_type=p.get("PolicyType", "SimpleScaling"),
            metric_aggregation_type=p.get("MetricAggregationType"), adjustment_type=p.get("AdjustmentType"),
            as_name=p["AutoScalingGroupName"], min_adjustment_magnitude=p.get("MinAdjustmentMagnitude"),
            scaling_adjustment=_int(p.get("ScalingAdjustment")), cooldown=_int(p.get("Cooldown")),
            target_tracking_config=p.get("TargetTrackingConfiguration", {}), step_adjustments=p.get("StepAdjustments", []),
            estimated_instance_warmup=_int(p.get("EstimatedInstanceWarmup")),
            predictive_scaling_configuration=p.get("PredictiveScalingConfiguration", {}))
        return cls(policy)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str) -> None:
        backend = autoscaling_backends[account_id][region_name]
        for name, policy in list(backend.policies.items()):
            if name == resource_name or policy.arn == resource_name:
                backend.delete_policy(name)

    def delete(self, account_id: str, region_name: str) -> None:
        autoscaling_backends[account_id][region_name].delete_policy(self.policy.name)


class StackAlarm(CloudFormationModel):
    """``AWS::CloudWatch::Alarm``: PutMetricAlarm with the template's properties."""

    def __init__(self, alarm: Any):
        self.alarm = alarm

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @property
    def physical_resource_id(self) -> str:
        return self.alarm.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.alarm.alarm_arn

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> "StackAlarm":
        p = cloudformation_json.get("Properties", {})
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=p.get("AlarmName") or resource_name, namespace=p.get("Namespace"), metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"], evaluation_periods=int(p["EvaluationPeriods"]),
            period=_int(p.get("Period")), threshold=float(p["Threshold"]) if p.get("Threshold") is not None else None,
            statistic=p.get("Statistic"), description=p.get("AlarmDescription"), dimensions=p.get("Dimensions", []),
            alarm_actions=p.get("AlarmActions", []), datapoints_to_alarm=_int(p.get("DatapointsToAlarm")),
            ok_actions=p.get("OKActions", []), insufficient_data_actions=p.get("InsufficientDataActions", []),
            unit=p.get("Unit"), treat_missing_data=p.get("TreatMissingData"), tags=p.get("Tags", []))
        return cls(alarm)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.alarm.name])


class StackSecret(CloudFormationModel):
    """``AWS::SecretsManager::Secret``: CreateSecret with the template's string (``Ref`` is the secret's ARN)."""

    def __init__(self, arn: str, name: str):
        self.arn, self.name = arn, name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> "StackSecret":
        p = cloudformation_json.get("Properties", {})
        name = p.get("Name") or resource_name
        from moto.secretsmanager.models import secretsmanager_backends

        made = secretsmanager_backends[account_id][region_name].create_secret(
            name=name, secret_string=p.get("SecretString"), secret_binary=None, description=p.get("Description"),
            tags=p.get("Tags", []), kms_key_id=p.get("KmsKeyId"), client_request_token=None, replica_regions=[],
            force_overwrite=False)
        return cls(_arn(made), name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str) -> None:
        from moto.secretsmanager.models import secretsmanager_backends

        secretsmanager_backends[account_id][region_name].delete_secret(
            secret_id=resource_name, recovery_window_in_days=None, force_delete_without_recovery=True)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.secretsmanager.models import secretsmanager_backends

        secretsmanager_backends[account_id][region_name].delete_secret(
            secret_id=self.arn, recovery_window_in_days=None, force_delete_without_recovery=True)


def _arn(made: Any) -> str:
    """CreateSecret answers a JSON string or a dict with the ARN, by moto version."""
    import json

    return (json.loads(made) if isinstance(made, str) else made)["ARN"]

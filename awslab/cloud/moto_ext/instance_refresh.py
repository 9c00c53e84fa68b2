"""Instance refresh part of the moto extension: StartInstanceRefresh, DescribeInstanceRefreshes,
CancelInstanceRefresh and RollbackInstanceRefresh.

moto 5.2.5 has none of the four (``moto/autoscaling/responses.py``). They are added to moto's
``AutoScalingResponse`` here, with AWS's request validation and error codes; the refresh itself runs in the
simulator (:mod:`awslab.sim.instance_refresh`). Without a simulator they answer as moto does for any action it
lacks.

Validation, from https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html and
API_StartInstanceRefresh.html / API_CancelInstanceRefresh.html / API_RollbackInstanceRefresh.html:
MinHealthyPercentage 0-100; MaxHealthyPercentage 100-200 and at most 100 above the minimum; InstanceWarmup >= 0;
CheckpointPercentages ascending, unique, 1-100; CheckpointDelay 0-172800 and only with CheckpointPercentages;
BakeTime 0-172800; AutoRollback only with a DesiredConfiguration and a group on a numbered launch template version
("The rollback option is not available if the Auto Scaling group is configured to use the $Latest or $Default
launch template version", instance-refresh-rollback.html). Errors: InstanceRefreshInProgress,
ActiveInstanceRefreshNotFound, IrreversibleInstanceRefresh, ValidationError.

Not modelled (refused with ValidationError naming what to do instead, never silently ignored): a MaxHealthyPercentage
above 100 (launch before terminate), the ReplaceRootVolume strategy, AlarmSpecification, and a DesiredConfiguration
with a MixedInstancesPolicy.
"""
from __future__ import annotations

from typing import Any

from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult

from . import active

__all__ = ["install", "preferences_with_defaults", "RefreshRefused"]

_ORIG: dict[str, Any] = {}
_PERCENT = range(0, 101)
_DELAY = range(0, 172801)


class RefreshRefused(AutoscalingClientError):
    """What an instance refresh refuses, with AWS's error code (raised by :mod:`awslab.sim.instance_refresh`)."""

    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.code, self.message = code, message


def install() -> None:
    if _ORIG:
        return
    _ORIG["installed"] = True
    R = AutoScalingResponse
    R.start_instance_refresh = _start_instance_refresh
    R.describe_instance_refreshes = _describe_instance_refreshes
    R.cancel_instance_refresh = _cancel_instance_refresh
    R.rollback_instance_refresh = _rollback_instance_refresh


def _sim_or_not_implemented(action: str):
    sim = active()
    if sim is None:
        raise NotImplementedError(f"The {action} action has not been implemented")
    return sim


def _group(self, sim):
    name = self._get_param("AutoScalingGroupName")
    group = self.autoscaling_backend.autoscaling_groups.get(name)
    if group is None or name not in sim.autoscaling.groups:
        raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")
    return group


def _start_instance_refresh(self):
    sim = _sim_or_not_implemented("StartInstanceRefresh")
    group = _group(self, sim)
    strategy = self._get_param("Strategy") or "Rolling"
    if strategy != "Rolling":
        raise ValidationError(f"Strategy {strategy} is not modelled by the embedded cloud; use Strategy Rolling.")
    desired = self._get_param("DesiredConfiguration") or None
    desired_config = _desired_config(group, desired) if desired else None
    prefs = preferences_with_defaults(self._get_param("Preferences") or {})
    if prefs.get("AutoRollback"):
        _check_rollback_possible(group, desired)
    r = sim.instance_refresh.begin(group, prefs, desired, desired_config)
    return ActionResult({"InstanceRefreshId": r.refresh_id})


def _describe_instance_refreshes(self):
    sim = _sim_or_not_implemented("DescribeInstanceRefreshes")
    name = self._get_param("AutoScalingGroupName")
    ids = set(self._get_param("InstanceRefreshIds", []) or [])
    size = self._get_int_param("MaxRecords") or 50
    if not 1 <= size <= 100:
        raise ValidationError("MaxRecords must be between 1 and 100.")
    token = self._get_param("NextToken") or "0"
    if not str(token).isdigit():
        raise AutoscalingClientError("InvalidNextToken", "The token provided is not valid.")
    items = sim.instance_refresh.describe(name, ids) if name in sim.autoscaling.groups else []
    start = int(token)
    result: dict[str, Any] = {"InstanceRefreshes": items[start:start + size]}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return ActionResult(result)


def _cancel_instance_refresh(self):
    sim = _sim_or_not_implemented("CancelInstanceRefresh")
    group = _group(self, sim)
    return ActionResult({"InstanceRefreshId": sim.instance_refresh.cancel(group.name)})


def _rollback_instance_refresh(self):
    sim = _sim_or_not_implemented("RollbackInstanceRefresh")
    group = _group(self, sim)
    return ActionResult({"InstanceRefreshId": sim.instance_refresh.roll_back(group.name)})


def preferences_with_defaults(given: dict) -> dict[str, Any]:
    """The request's Preferences, validated, with AWS's CLI/SDK defaults filled in (default values page:
    https://docs.aws.amazon.com/autoscaling/ec2/userguide/understand-instance-refresh-default-values.html)."""
    p = dict(given)
    _int_in(p, "MinHealthyPercentage", _PERCENT)
    _int_in(p, "MaxHealthyPercentage", range(100, 201))
    _int_in(p, "InstanceWarmup", range(0, 2**31))
    _int_in(p, "CheckpointDelay", _DELAY)
    _int_in(p, "BakeTime", _DELAY)
    if p.get("MaxHealthyPercentage") not in (None, 100):
        raise ValidationError("MaxHealthyPercentage above 100 (launch before terminate) is not modelled by the "
                              "embedded cloud; leave it out (100: terminate, then launch).")
    if p.get("AlarmSpecification"):
        raise ValidationError("AlarmSpecification is not modelled by the embedded cloud's instance refresh; leave it "
                              "out and rely on AutoRollback after failed health checks.")
    cps = [int(c) for c in p.get("CheckpointPercentages") or []]
    if cps and (any(c not in range(1, 101) for c in cps) or cps != sorted(set(cps))):
        raise ValidationError("CheckpointPercentages must be unique values from 1 to 100 in ascending order.")
    if "CheckpointDelay" in p and not cps:
        raise ValidationError("CheckpointDelay can only be specified together with CheckpointPercentages.")
    if cps:
        p["CheckpointPercentages"] = cps
        p.setdefault("CheckpointDelay", 3600)  # "the CheckpointDelay defaults to 3600 (1 hour)"
    p.setdefault("MinHealthyPercentage", 90)
    for flag in ("SkipMatching", "AutoRollback"):
        p[flag] = str(p.get(flag, False)).lower() == "true"
    return p


def _int_in(p: dict, key: str, allowed: range) -> None:
    if p.get(key) is None:
        p.pop(key, None)
        return
    value = str(p[key]).strip()
    if not value.lstrip("-").isdigit() or int(value) not in allowed:
        raise ValidationError(f"{key} must be an integer from {allowed.start} to {allowed.stop - 1}, not {p[key]}.")
    p[key] = int(value)


def _desired_config(group, desired: dict) -> tuple[str, int]:
    """The launch template id and numbered version a DesiredConfiguration names."""
    if desired.get("MixedInstancesPolicy"):
        raise ValidationError("A DesiredConfiguration with a MixedInstancesPolicy is not modelled by the embedded "
                              "cloud; give a LaunchTemplate instead.")
    spec = desired.get("LaunchTemplate") or {}
    tid, tname = spec.get("LaunchTemplateId"), spec.get("LaunchTemplateName")
    if bool(tid) == bool(tname):
        raise ValidationError("Valid requests must contain either launchTemplateId or LaunchTemplateName")
    ec2 = group.ec2_backend
    try:
        template = ec2.get_launch_template(tid) if tid else ec2.get_launch_template_by_name(tname)
    except Exception:
        raise ValidationError(f"The specified launch template, {tid or tname}, does not exist.") from None
    version = str(spec.get("Version") or "$Default")
    try:
        return template.id, template.get_version(version).number
    except Exception:
        raise ValidationError(f"The specified launch template version, {version}, of {template.id} does not "
                              "exist.") from None


def _check_rollback_possible(group, desired: dict | None) -> None:
    if not desired:
        raise ValidationError("AutoRollback needs a DesiredConfiguration: the rollback option is only available if you "
                              "specify a desired configuration as part of starting an instance refresh.")
    version = str(getattr(group, "launch_template_version", "") or "")
    if group.ec2_launch_template is None or not version.isdigit():
        raise ValidationError(f"AutoRollback is not available while the Auto Scaling group uses launch template "
                              f"version {version or 'none'}: set the group to a specific numbered version first "
                              "(update-auto-scaling-group --launch-template LaunchTemplateId=...,Version=N).")

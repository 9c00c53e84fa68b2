"""Contract with the pinned moto: the internals awslab.cloud.moto_ext patches must exist with the
shapes it relies on. A moto upgrade that changes any of them fails HERE, with a message naming it,
instead of as a mysterious simulator bug."""
from __future__ import annotations

import inspect

import moto
import pytest
from moto.autoscaling import models as asg_models
from moto.autoscaling import responses as asg_responses
from moto.ec2.models import instances as ec2_instances
from moto.elbv2 import models as elbv2_models

from awslab.cloud import moto_ext


def test_moto_is_the_pinned_version():
    assert moto.__version__ == moto_ext.PINNED_MOTO_VERSION, (
        f"moto {moto.__version__} is installed but awslab.cloud.moto_ext was written against "
        f"{moto_ext.PINNED_MOTO_VERSION}: re-check every patched internal, then bump PINNED_MOTO_VERSION")


def _params(fn) -> list[str]:
    fn = getattr(fn, "fget", fn)
    return list(inspect.signature(fn).parameters)


# (owner, attribute, the leading parameters we call/replace it with; None = a property)
METHODS = [
    (ec2_instances.Instance, "__init__", ["self", "ec2_backend", "image_id", "user_data", "security_groups", "kwargs"]),
    (ec2_instances.Instance, "start", ["self"]),
    (ec2_instances.Instance, "stop", ["self"]),
    (ec2_instances.Instance, "terminate", ["self"]),
    (ec2_instances.Instance, "instance_status", ["self"]),
    (ec2_instances.InstanceBackend, "run_instances", ["self", "image_id", "count", "user_data", "security_group_names", "kwargs"]),
    (ec2_instances.InstanceBackend, "terminate_instances", ["self", "instance_ids"]),
    (elbv2_models.FakeTargetGroup, "register", ["self", "targets"]),
    (elbv2_models.FakeTargetGroup, "deregister", ["self", "targets"]),
    (elbv2_models.FakeTargetGroup, "deregister_terminated_instances", ["self", "instance_ids"]),
    (elbv2_models.FakeTargetGroup, "health_for", ["self", "target", "ec2_backend"]),
    (elbv2_models.ELBv2Backend, "describe_target_health", ["self", "target_group_arn", "targets"]),
    (elbv2_models.ELBv2Backend, "delete_target_group", ["self", "target_group_arn"]),
    (elbv2_models.ELBv2Backend, "register_targets", ["self", "target_group_arn", "instances"]),
    (elbv2_models.ELBv2Backend, "deregister_targets", ["self", "target_group_arn", "instances"]),
    (asg_models.FakeAutoScalingGroup, "set_desired_capacity", ["self", "new_capacity"]),
    (asg_models.FakeAutoScalingGroup, "get_propagated_tags", ["self"]),
    (asg_models.AutoScalingBackend, "create_auto_scaling_group", ["self", "name"]),
    (asg_models.AutoScalingBackend, "update_auto_scaling_group", ["self", "name"]),
    (asg_models.AutoScalingBackend, "set_desired_capacity", ["self", "group_name", "desired_capacity"]),
    (asg_models.AutoScalingBackend, "delete_auto_scaling_group", ["self", "group_name"]),
    (asg_models.AutoScalingBackend, "terminate_instance", ["self", "instance_id", "should_decrement"]),
    (asg_models.AutoScalingBackend, "set_instance_health", ["self", "instance_id", "health_status"]),
    (asg_models.AutoScalingBackend, "notify_terminate_instances", ["self", "instance_ids"]),
    (asg_models.AutoScalingBackend, "update_attached_target_groups", ["self", "group_name"]),
    (asg_models.AutoScalingBackend, "describe_auto_scaling_instances", ["self", "instance_ids"]),
    (asg_responses.AutoScalingResponse, "describe_scaling_activities", ["self"]),
    (asg_responses.AutoScalingResponse, "create_auto_scaling_group", ["self"]),
    (asg_responses.AutoScalingResponse, "update_auto_scaling_group", ["self"]),
    (asg_responses.AutoScalingResponse, "set_instance_health", ["self"]),
    (asg_responses.AutoScalingResponse, "delete_auto_scaling_group", ["self"]),
]


def _original(owner, name):
    """moto's own function, even when the extension has already patched it in this process."""
    for mod in _ext_modules():
        for orig in mod._ORIG.values():
            if getattr(getattr(orig, "fget", orig), "__qualname__", "") == f"{owner.__name__}.{name}":
                return orig
    return inspect.getattr_static(owner, name)


@pytest.mark.parametrize("owner,name,params", METHODS, ids=[f"{o.__name__}.{n}" for o, n, _ in METHODS])
def test_patched_moto_internals_keep_their_shape(owner, name, params):
    fn = _original(owner, name)
    assert callable(getattr(fn, "fget", fn)), f"moto {owner.__name__}.{name} is gone"
    assert _params(fn)[:len(params)] == params, f"moto {owner.__name__}.{name} changed its signature: {_params(fn)}"


def test_model_attributes_the_extension_reads_and_writes():
    """Attribute names set in moto's constructors (read by source, so no backend is needed)."""
    checks = {
        (ec2_instances.Instance, "__init__"): ["self._state = InstanceState(", "self._reason", "self.state_reason",
                                               "self.launch_time", "self._placement",
                                               'self.ec2_backend.describe_images(filters={"image-id": self.image_id})'],
        (elbv2_models.FakeTargetGroup, "__init__"): [
            "self.targets", "self.deregistered_targets", "self.attributes", "deregistration_delay.timeout_seconds",
            "self.health_check_interval_seconds", "self.health_check_timeout_seconds", "self.healthy_threshold_count",
            "self.unhealthy_threshold_count", "self.matcher", "self.health_check_path"],
        (asg_models.FakeAutoScalingGroup, "__init__"): [
            "self.instance_states", "self._set_azs_and_vpcs(", "self.health_check_grace_period", "self.health_check_type",
            "self.target_group_arns", "self.termination_policies", "self.default_cooldown", "self.suspended_processes",
            "self.new_instances_protected_from_scale_in", "self.created_time = datetime.now().isoformat()"],
        (asg_models.FakeAutoScalingGroup, "_set_azs_and_vpcs"): ["self.availability_zones", "self.vpc_zone_identifier"],
        (asg_models.InstanceState, "__init__"): ["self.lifecycle_state", "self.health_status", "self.protected_from_scale_in",
                                                 "self.availability_zone"],
        (asg_models.Activity, "__init__"): ["self.activity_id", "self.description", "self.cause", "self.start_time",
                                            "self.end_time", "self.status_code", "self.progress"],
        (elbv2_models.FakeLoadBalancer, "__init__"): ["self.created_time = iso_8601_datetime_with_milliseconds()"],
    }
    for (owner, name), needles in checks.items():
        src = inspect.getsource(_original(owner, name))
        missing = [n for n in needles if n not in src]
        assert not missing, f"moto {owner.__name__}.{name} no longer has {missing}"
    assert asg_models.ASG_NAME_TAG == "aws:autoscaling:groupName"
    assert set(inspect.signature(elbv2_models.FakeHealthStatus.__init__).parameters) >= {
        "instance_id", "port", "health_port", "status", "reason", "description"}


def test_module_clocks_we_replace_exist():
    """moto stamps times with names imported into these modules; the extension swaps them for the simulated clock."""
    from moto.autoscaling import models as a
    from moto.ec2.models import instances as i
    from moto.elbv2 import models as e

    assert callable(i.utcnow) and callable(a.utcnow) and callable(e.iso_8601_datetime_with_milliseconds)


def test_moto_still_lacks_what_we_add():
    """If moto starts returning scaling activities itself, our response wrapper should be revisited."""
    from awslab.cloud.moto_ext import autoscaling

    autoscaling.install()
    src = inspect.getsource(autoscaling._ORIG["r_describe_activities"])
    assert '{"Activities": []}' in src


def _ext_modules():
    from awslab.cloud.moto_ext import autoscaling, ec2, elbv2

    for mod in (ec2, elbv2, autoscaling):
        mod.install()
    return (ec2, elbv2, autoscaling)

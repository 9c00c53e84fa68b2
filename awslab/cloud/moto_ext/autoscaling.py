"""Auto Scaling part of the moto extension: the simulator reconciles groups.

moto launches a group's instances synchronously, all in the first subnet, and
records no activities. With a simulator installed:

- ``FakeAutoScalingGroup.set_desired_capacity`` only records the new desired
  capacity; the simulator launches/terminates over time (AZ-balanced).
- ``create/update/set_desired_capacity/delete`` on the backend tell the
  simulator why desired capacity changed (for the activity Cause text).
- ``terminate_instance``, ``set_instance_health``, ``notify_terminate_instances``
  and ``update_attached_target_groups`` go through the simulator.
- ``describe_scaling_activities`` (moto's response returns an empty list) and the
  parameters moto's responses drop (``DefaultInstanceWarmup``, ``ShouldRespectGracePeriod``,
  ``ForceDelete``) need thin response wrappers; everything else is model-level.
- DescribeAutoScalingInstances spells health in capitals, as AWS does.
- An instance's ``LaunchTemplate.Version`` is the version it was launched from (moto reported the template's
  current default version for every instance, so a rolled-out version looked as if it ran everywhere).
- DeleteAutoScalingGroup leaves the group listed with Status "Delete in progress" until its
  instances are terminated (:mod:`awslab.sim.asg_delete`); changing such a group is refused, and
  creating a group whose name is taken answers AlreadyExists, as on AWS.
- EnableMetricsCollection without ``Metrics`` enables every group metric, as AWS does (moto enabled none).
"""
from __future__ import annotations

import threading

from moto.autoscaling import models as _asg_module
from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
from moto.autoscaling.models import ASG_NAME_TAG, AutoScalingBackend, FakeAutoScalingGroup, InstanceState
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult

from . import active, sim_utcnow

__all__ = ["install", "launch_instance", "launched_version", "launched_template", "ALL_GROUP_METRICS",
           "LAUNCH_OVERRIDE"]

#: Attribute on a moto group: ``(FakeLaunchTemplate, version)`` its launches use instead of the group's own launch
#: template while an instance refresh with a DesiredConfiguration replaces its instances
#: (:mod:`awslab.sim.instance_refresh`).
LAUNCH_OVERRIDE = "_awslab_launch_override"

#: "If you specify Granularity and don't specify any metrics, all metrics are enabled."
#: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_EnableMetricsCollection.html
ALL_GROUP_METRICS = (
    "GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances",
    "GroupStandbyInstances", "GroupTerminatingInstances", "GroupTotalInstances", "GroupInServiceCapacity",
    "GroupPendingCapacity", "GroupStandbyCapacity", "GroupTerminatingCapacity", "GroupTotalCapacity",
    "WarmPoolDesiredCapacity", "WarmPoolWarmedCapacity", "WarmPoolPendingCapacity", "WarmPoolTerminatingCapacity",
    "WarmPoolTotalCapacity", "GroupAndWarmPoolDesiredCapacity", "GroupAndWarmPoolTotalCapacity")

_ORIG: dict[str, object] = {}
_HINT = threading.local()  # why desired capacity is changing (set by the backend-level wrappers)


def launch_instance(group, zone: str, subnet_id: str | None) -> InstanceState:
    """RunInstances for one group instance in ``zone``/``subnet_id`` (moto's own arguments otherwise,
    plus the group's region, which moto omits: instances then get the region's DNS names)."""
    override = getattr(group, LAUNCH_OVERRIDE, None)  # an instance refresh's DesiredConfiguration
    saved = (group.ec2_launch_template, getattr(group, "launch_template_version", None))
    if override is not None:
        group.ec2_launch_template, group.launch_template_version = override
    try:
        instance = _run_one(group, zone, subnet_id)
    finally:
        group.ec2_launch_template, group.launch_template_version = saved
    instance.autoscaling_group = group
    state = InstanceState(instance, lifecycle_state="Pending",
                          protected_from_scale_in=group.new_instances_protected_from_scale_in)
    group.instance_states.append(state)
    return state


def _run_one(group, zone: str, subnet_id: str | None):
    tags = group.get_propagated_tags()
    tags[ASG_NAME_TAG] = group.name
    tags.update(group.instance_tags)
    lt = None
    if group.ec2_launch_template is not None:
        t = group.ec2_launch_template
        lt = {"LaunchTemplateId": t.id} if t.id else {"LaunchTemplateName": t.name}
        # The version the group names (moto tagged every instance with the template's default version, so an
        # instance launched from version 3 of a template whose default is 1 said "1").
        lt["Version"] = str(group.ec2_launch_template.get_version(group.launch_template_version).number)
    reservation = group.autoscaling_backend.ec2_backend.run_instances(
        group.image_id, 1, group.user_data, group.security_groups, instance_type=group.instance_type,
        tags={"instance": tags}, placement=zone, launch_config=group.launch_config, launch_template=lt,
        is_instance_type_default=False, subnet_id=subnet_id, region_name=group.region,
        associate_public_ip=group.launch_config.associate_public_ip_address if group.launch_config else None)
    return reservation.instances[0]


def _why(default: str) -> str:
    return getattr(_HINT, "why", None) or default


def install() -> None:
    if _ORIG:
        return
    _asg_module.utcnow = sim_utcnow  # launch configurations' CreatedTime, moto's own activities
    B, G, R = AutoScalingBackend, FakeAutoScalingGroup, AutoScalingResponse
    _ORIG.update(group_set_desired=G.set_desired_capacity, create=B.create_auto_scaling_group,
                 update=B.update_auto_scaling_group, set_desired=B.set_desired_capacity,
                 delete=B.delete_auto_scaling_group, terminate_instance=B.terminate_instance,
                 set_instance_health=B.set_instance_health, notify_terminate=B.notify_terminate_instances,
                 update_tgs=B.update_attached_target_groups, r_describe_activities=R.describe_scaling_activities,
                 r_create=R.create_auto_scaling_group, r_update=R.update_auto_scaling_group,
                 r_set_instance_health=R.set_instance_health, describe_instances=B.describe_auto_scaling_instances,
                 r_delete=R.delete_auto_scaling_group, group_enable_metrics=G.enable_metrics_collection)
    G.enable_metrics_collection = _asg_group_enable_metrics_collection
    _ORIG["instance_launch_template"] = InstanceState.launch_template
    InstanceState.launch_template = property(_asg_instance_launch_template)
    R.delete_auto_scaling_group = _asg_r_delete_auto_scaling_group
    B.describe_auto_scaling_instances = _asg_describe_auto_scaling_instances
    G.set_desired_capacity = _asg_group_set_desired_capacity
    B.create_auto_scaling_group = _asg_create_auto_scaling_group
    B.update_auto_scaling_group = _asg_update_auto_scaling_group
    B.set_desired_capacity = _asg_set_desired_capacity
    B.delete_auto_scaling_group = _asg_delete_auto_scaling_group
    B.terminate_instance = _asg_terminate_instance
    B.set_instance_health = _asg_set_instance_health
    B.notify_terminate_instances = _asg_notify_terminate_instances
    B.update_attached_target_groups = _asg_update_attached_target_groups
    R.describe_scaling_activities = _asg_r_describe_scaling_activities
    R.create_auto_scaling_group = _asg_with_warmup(_ORIG["r_create"])
    R.update_auto_scaling_group = _asg_with_warmup(_ORIG["r_update"])
    R.set_instance_health = _asg_r_set_instance_health


def _asg_group_enable_metrics_collection(self, metrics):
    """No ``Metrics`` means every metric (moto kept an empty list: no EnabledMetrics, no group metrics)."""
    return _ORIG["group_enable_metrics"](self, list(metrics or ALL_GROUP_METRICS))


def _asg_instance_launch_template(self):
    """The template and the version this instance was launched from: EC2 tags the instance with it at launch.

    AWS: an instance's LaunchTemplate is "the launch template for the instance", so instances launched before a new
    default version keep reporting theirs (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Instance.html).
    """
    lt = _ORIG["instance_launch_template"].fget(self)
    version = launched_version(self.instance)
    return dict(lt, Version=str(version)) if lt is not None and version is not None else lt


def launched_version(instance) -> int | None:
    """The launch template version an EC2 instance was launched from (its ``aws:ec2launchtemplate:version`` tag),
    or None for an instance launched without a template. moto keeps tags in the backend, not on the instance."""
    for tag in instance.get_tags() if hasattr(instance, "get_tags") else []:
        if tag.get("key") == "aws:ec2launchtemplate:version" and str(tag.get("value", "")).isdigit():
            return int(tag["value"])
    return None


def launched_template(instance) -> tuple[str, int] | None:
    """``(launch template id, version)`` an EC2 instance was launched from (EC2's ``aws:ec2launchtemplate:*`` tags)."""
    tags = {t.get("key"): t.get("value") for t in (instance.get_tags() if hasattr(instance, "get_tags") else [])}
    version = str(tags.get("aws:ec2launchtemplate:version", ""))
    template = tags.get("aws:ec2launchtemplate:id")
    return (template, int(version)) if template and version.isdigit() else None


def _asg_group_set_desired_capacity(self, new_capacity):
    sim = active()
    if sim is None:
        return _ORIG["group_set_desired"](self, new_capacity)
    old = int(getattr(self, "desired_capacity", 0) or 0)
    self.desired_capacity = self.min_size if new_capacity is None else new_capacity
    sim.autoscaling.on_desired_changed(self, old, _why("a user request explicitly set group desired capacity"))


def _asg_create_auto_scaling_group(self, name, *args, **kwargs):
    sim = active()
    if sim is None:
        return _ORIG["create"](self, name, *args, **kwargs)
    if name in self.autoscaling_groups:  # moto would replace it (and orphan its instances); AWS refuses
        raise AutoscalingClientError("AlreadyExists", f"AutoScalingGroup by this name already exists - A group with the "
                                     f"name {name} already exists")
    _HINT.why = "a user request created an AutoScalingGroup"
    try:
        group = _ORIG["create"](self, name, *args, **kwargs)
    finally:
        _HINT.why = None
    # moto defaults the grace period to 300 (the console's default); the API's default is 0:
    # https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-check-grace-period.html
    period = kwargs.get("health_check_period")
    group.health_check_grace_period = int(period) if period is not None else 0
    group.created_time = sim_utcnow().isoformat()  # moto stamps the wall clock
    sim.autoscaling.on_group_created(group)
    return group


def _asg_update_auto_scaling_group(self, name, *args, **kwargs):
    sim = active()
    if sim is None:
        return _ORIG["update"](self, name, *args, **kwargs)
    _refuse_while_pending_delete(sim, name)
    g = self.autoscaling_groups.get(name)
    mn, mx, ds = kwargs.get("min_size"), kwargs.get("max_size"), kwargs.get("desired_capacity")
    if g is not None:
        mn = g.min_size if mn is None else mn
        mx = g.max_size if mx is None else mx
    _HINT.why = f"a user request update of AutoScalingGroup constraints to min: {mn}, max: {mx}, desired: {ds if ds is not None else (g.desired_capacity if g else '')}"
    try:
        group = _ORIG["update"](self, name, *args, **kwargs)
        if ds is None and group is not None:
            _clamp_desired(group)
    finally:
        _HINT.why = None
    sim.autoscaling.reconcile(sim.autoscaling.groups[name]) if name in sim.autoscaling.groups else None
    return group


def _clamp_desired(group) -> None:
    """A new MaxSize below (or MinSize above) the desired capacity, with no DesiredCapacity given, moves the desired
    capacity to it (moto compares with the instances it has, which the simulator launches over time):
    https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html"""
    desired = int(group.desired_capacity or 0)
    bounded = max(int(group.min_size or 0), min(int(group.max_size or 0), desired))
    if bounded != desired:
        group.set_desired_capacity(bounded)


def _asg_set_desired_capacity(self, group_name, desired_capacity):
    sim = active()
    if sim is not None:
        _refuse_while_pending_delete(sim, group_name)
    _HINT.why = "a user request explicitly set group desired capacity"
    try:
        return _ORIG["set_desired"](self, group_name, desired_capacity)
    finally:
        _HINT.why = None


def _asg_delete_auto_scaling_group(self, group_name):
    sim = active()
    if sim is None or group_name not in self.autoscaling_groups or group_name not in sim.autoscaling.groups:
        return _ORIG["delete"](self, group_name)
    if sim.autoscaling.is_deleting(group_name):
        return  # already "Delete in progress": asking again changes nothing
    if self.autoscaling_groups[group_name].instance_states and not getattr(_HINT, "force_delete", True):
        # https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DeleteAutoScalingGroup.html (ForceDelete)
        raise AutoscalingClientError("ResourceInUse", "You cannot delete an AutoScalingGroup while there are instances "
                                     "or pending Spot instance request(s) still in the group.")
    # The group stays listed, Status "Delete in progress", until its instances are terminated (sim.asg_delete).
    sim.autoscaling.begin_delete(group_name)


def _refuse_while_pending_delete(sim, group_name: str) -> None:
    """What AWS answers a change to a group being deleted (ValidationError, as AWS words it; observed in
    https://github.com/kubernetes/kops/issues/844 for UpdateAutoScalingGroup)."""
    if sim.autoscaling.is_deleting(group_name):
        raise ValidationError("The AutoScaling group may not be modified while it is pending delete")


def _asg_terminate_instance(self, instance_id, should_decrement):
    sim = active()
    if sim is None:
        return _ORIG["terminate_instance"](self, instance_id, should_decrement)
    try:
        return sim.autoscaling.terminate_instance_api(instance_id, should_decrement)
    except KeyError:  # not an instance of any group: AWS's ValidationError, in AWS's words
        raise AutoscalingClientError("ValidationError", "Instance Id not found - No managed instance found for "
                                     f"instance ID {instance_id}") from None


def _asg_set_instance_health(self, instance_id, health_status):
    sim = active()
    if sim is None:
        return _ORIG["set_instance_health"](self, instance_id, health_status)
    sim.autoscaling.set_instance_health(instance_id, health_status, getattr(_HINT, "respect_grace", None))


def _asg_notify_terminate_instances(self, instance_ids):
    if active() is None:
        return _ORIG["notify_terminate"](self, instance_ids)
    # Otherwise nothing: the simulator sees the instance leave "running" and replaces it itself.


def _asg_update_attached_target_groups(self, group_name):
    sim = active()
    if sim is None:
        return _ORIG["update_tgs"](self, group_name)
    sim.autoscaling.sync_members(self.autoscaling_groups[group_name])


class _UpperCaseHealth:
    """DescribeAutoScalingInstances spells health ``HEALTHY``/``UNHEALTHY`` (DescribeAutoScalingGroups
    says ``Healthy``), as in the AWS CLI reference's example output:
    https://docs.aws.amazon.com/cli/latest/reference/autoscaling/describe-auto-scaling-instances.html
    (source: aws/aws-cli awscli/examples/autoscaling/describe-auto-scaling-instances.rst)"""

    def __init__(self, state):
        self._state = state

    def __getattr__(self, name):
        return getattr(self._state, name)

    @property
    def health_status(self):
        return str(self._state.health_status).upper()


def _asg_describe_auto_scaling_instances(self, instance_ids):
    states = _ORIG["describe_instances"](self, instance_ids)
    return states if active() is None else [_UpperCaseHealth(st) for st in states]


# -- response wrappers (moto drops these parameters / returns no activities) --
def _asg_r_describe_scaling_activities(self):
    sim = active()
    if sim is None:
        return _ORIG["r_describe_activities"](self)
    name = self._get_param("AutoScalingGroupName")
    ids = set(self._get_param("ActivityIds", []) or [])
    items = [a for a in sim.autoscaling.activities_of(name) if not ids or a.activity_id in ids]
    start = int(self._get_param("NextToken") or 0)
    size = int(self._get_int_param("MaxRecords") or 100)
    page = items[start:start + size]
    result = {"Activities": page}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return ActionResult(result)


def _asg_with_warmup(orig):
    def wrapper(self):
        out = orig(self)
        warm = self._get_int_param("DefaultInstanceWarmup")
        group = self.autoscaling_backend.autoscaling_groups.get(self._get_param("AutoScalingGroupName"))
        if group is not None and warm is not None:
            group.default_instance_warmup = warm
        return out
    return wrapper


def _asg_r_set_instance_health(self):
    _HINT.respect_grace = self._get_bool_param("ShouldRespectGracePeriod")
    try:
        return _ORIG["r_set_instance_health"](self)
    finally:
        _HINT.respect_grace = None


def _asg_r_delete_auto_scaling_group(self):
    _HINT.force_delete = self._get_bool_param("ForceDelete", False)
    try:
        return _ORIG["r_delete"](self)
    finally:
        _HINT.force_delete = True

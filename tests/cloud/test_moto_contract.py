"""Contract with the pinned moto: the internals awslab.cloud.moto_ext patches must exist with the
shapes it relies on. A moto upgrade that changes any of them fails HERE, with a message naming it,
instead of as a mysterious simulator bug."""
from __future__ import annotations

import ast
import inspect
import json
import pathlib

import moto
import pytest
from moto.autoscaling import models as asg_models
from moto.autoscaling import responses as asg_responses
from moto.cloudfront import models as cloudfront_models
from moto.cloudwatch import models as cw_models
from moto.cloudwatch import responses as cw_responses
from moto.core import base_backend
from moto.core import responses as core_responses
from moto.core import utils as moto_utils
from moto.ec2.models import instances as ec2_instances
from moto.ec2.models import launch_templates as ec2_launch_templates
from moto.ec2.models import amis as ec2_amis
from moto.ec2.models import security_groups as sg_models
from moto.ec2.models import subnets as ec2_subnets
from moto.ec2.responses import launch_templates as ec2_lt_responses
from moto.elbv2 import models as elbv2_models
from moto.route53 import models as route53_models
from moto.s3 import models as s3_models

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
    (ec2_subnets.Subnet, "get_available_subnet_ip", ["self", "instance"]),
    (ec2_subnets.SubnetBackend, "delete_subnet", ["self", "subnet_id"]),
    (ec2_instances.InstanceBackend, "run_instances", ["self", "image_id", "count", "user_data", "security_group_names", "kwargs"]),
    (ec2_instances.InstanceBackend, "terminate_instances", ["self", "instance_ids"]),
    (ec2_instances.InstanceBackend, "_get_template_from_args", ["self", "launch_template_arg"]),
    (ec2_lt_responses.LaunchTemplates, "create_launch_template_version", ["self"]),
    (ec2_lt_responses.LaunchTemplates, "create_launch_template", ["self"]),
    (ec2_amis.AmiBackend, "_load_amis", ["self"]),
    (ec2_instances.InstanceBackend, "modify_instance_metadata_options",
     ["self", "instance_id", "http_tokens", "hop_limit", "http_endpoint", "dry_run", "http_protocol", "metadata_tags"]),
    (elbv2_models.FakeTargetGroup, "register", ["self", "targets"]),
    (elbv2_models.FakeTargetGroup, "deregister", ["self", "targets"]),
    (elbv2_models.FakeTargetGroup, "deregister_terminated_instances", ["self", "instance_ids"]),
    (elbv2_models.FakeTargetGroup, "health_for", ["self", "target", "ec2_backend"]),
    (elbv2_models.ELBv2Backend, "describe_target_health", ["self", "target_group_arn", "targets"]),
    (elbv2_models.ELBv2Backend, "delete_target_group", ["self", "target_group_arn"]),
    (elbv2_models.ELBv2Backend, "register_targets", ["self", "target_group_arn", "instances"]),
    (elbv2_models.ELBv2Backend, "deregister_targets", ["self", "target_group_arn", "instances"]),
    (elbv2_models.FakeLoadBalancer, "__init__", ["self", "name", "security_groups", "subnets", "vpc_id", "arn"]),
    (asg_models.FakeAutoScalingGroup, "set_desired_capacity", ["self", "new_capacity"]),
    (asg_models.FakeAutoScalingGroup, "get_propagated_tags", ["self"]),
    (asg_models.FakeAutoScalingGroup, "enable_metrics_collection", ["self", "metrics"]),
    (asg_models.AutoScalingBackend, "create_auto_scaling_group", ["self", "name"]),
    (asg_models.AutoScalingBackend, "update_auto_scaling_group", ["self", "name"]),
    (asg_models.AutoScalingBackend, "set_desired_capacity", ["self", "group_name", "desired_capacity"]),
    (asg_models.AutoScalingBackend, "delete_auto_scaling_group", ["self", "group_name"]),
    (asg_models.AutoScalingBackend, "terminate_instance", ["self", "instance_id", "should_decrement"]),
    (asg_models.AutoScalingBackend, "set_instance_health", ["self", "instance_id", "health_status"]),
    (asg_models.AutoScalingBackend, "notify_terminate_instances", ["self", "instance_ids"]),
    (asg_models.AutoScalingBackend, "update_attached_target_groups", ["self", "group_name"]),
    (asg_models.AutoScalingBackend, "describe_auto_scaling_instances", ["self", "instance_ids"]),
    (asg_models.InstanceState, "launch_template", ["self"]),
    (route53_models.Route53Backend, "change_resource_record_sets", ["self", "zoneid", "change_list"]),
    (elbv2_models.ELBv2Backend, "modify_load_balancer_attributes", ["self", "arn", "attrs"]),
    # moto_ext.elbv2 maps modify_target_group's positional arguments by these names (ELBV2_MODIFY_PARAMS).
    (elbv2_models.ELBv2Backend, "modify_target_group",
     ["self", "arn", "health_check_proto", "health_check_port", "health_check_path", "health_check_interval",
      "health_check_timeout", "healthy_threshold_count", "unhealthy_threshold_count", "http_codes",
      "health_check_enabled"]),
    (route53_models.Route53Backend, "get_hosted_zone", ["self", "id_"]),  # a property: moto_ext.autoscaling reports the launched version
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
                                               'self.ec2_backend.describe_images(filters={"image-id": self.image_id})',
                                               # moto_ext.autoscaling.launched_version reads this tag:
                                               '"aws:ec2launchtemplate:version": str(template_version.number)'],
        # moto_ext.ec2._unique_subnet_ip: draws from moto's pool, puts skipped IPs back as unused.
        (ec2_subnets.Subnet, "__init__"): ["self._unused_ips: set[str]", "self._subnet_ips: dict[str, Instance]"],
        (ec2_subnets.Subnet, "get_available_subnet_ip"): ["self._unused_ips.pop()", "self._subnet_ips[new_ip] = instance"],
        (ec2_subnets.SubnetBackend, "__init__"): ["self.subnets: dict[str, dict[str, Subnet]]"],
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
        # moto_ext.elbv2._elbv2_lb_init completes moto's attribute dict with AWS's ALB defaults (moto says cross-zone off).
        (elbv2_models.FakeLoadBalancer, "__init__"): ["self.created_time = iso_8601_datetime_with_milliseconds()",
                                                      "self.attrs = {", '"load_balancing.cross_zone.enabled": "false"',
                                                      '# "idle_timeout.timeout_seconds": "60"', "self.type =",
                                                      "self.security_groups = security_groups", "self.subnets ="],
        # moto_ext.security_groups gives a VPC's default group its inbound rule from itself; moto makes the outbound one.
        (sg_models.SecurityGroupBackend, "create_security_group"): ["is_default=is_default", "return group"],
        (sg_models.SecurityGroupBackend, "get_default_security_group"): ["if group.is_default"],
        # moto_ext.access_logs reads a bucket's policy and region, and a load balancer's attributes.
        (s3_models.FakeBucket, "__init__"): ["self.policy: bytes | None = None", "self.region_name = region_name"],
        # moto_ext.cloudfront keeps an origin's OAC beside what moto keeps.
        (cloudfront_models.Origin, "__init__"): ['self.domain_name = origin["DomainName"]', "self.s3_access_identity"],
        # moto_ext.route53.cname_conflict reads a zone's name and its record sets' names and types.
        (route53_models.FakeZone, "__init__"): ["self.name = name", "self.rrsets: list[RecordSet]"],
        (route53_models.RecordSet, "__init__"): ['self.name = kwargs.get("Name", "")', 'self.type = kwargs.get("Type")'],
    }
    for (owner, name), needles in checks.items():
        src = inspect.getsource(_original(owner, name))
        missing = [n for n in needles if n not in src]
        assert not missing, f"moto {owner.__name__}.{name} no longer has {missing}"
    assert asg_models.ASG_NAME_TAG == "aws:autoscaling:groupName"
    _deletion_contract()
    assert set(inspect.signature(elbv2_models.FakeHealthStatus.__init__).parameters) >= {
        "instance_id", "port", "health_port", "status", "reason", "description"}


def _deletion_contract() -> None:
    """moto_ext.ec2._ec2_delete_subnet scans instances by subnet; moto_ext.autoscaling keeps a group being deleted
    in the backend's dict with a ``status`` (which moto's serializer writes as Status) and raises moto's errors."""
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.models import vpcs as ec2_vpcs

    src = inspect.getsource(_original(ec2_instances.Instance, "__init__"))
    assert "self.subnet_id" in src, "moto Instance no longer has subnet_id (awslab.cloud.moto_ext.ec2 reads it)"
    assert "self.reservations" in inspect.getsource(ec2_instances.InstanceBackend.__init__)
    assert DependencyViolationError("x").code == "DependencyViolation"
    # DeleteVpc is moto's own: it refuses a VPC with subnets, worded as AWS words it. If this goes, patch it too.
    assert "has dependencies and cannot be deleted." in inspect.getsource(ec2_vpcs.VPCBackend.delete_vpc)
    assert "self.status" not in inspect.getsource(_original(asg_models.FakeAutoScalingGroup, "__init__")), (
        "moto's FakeAutoScalingGroup now sets a status itself: check it against awslab.sim.asg_delete")


def test_module_clocks_we_replace_exist():
    """moto stamps times with names imported into these modules; the extension swaps them for the simulated clock."""
    from moto.autoscaling import models as a
    from moto.ec2.models import instances as i
    from moto.elbv2 import models as e

    assert callable(i.utcnow) and callable(a.utcnow) and callable(e.iso_8601_datetime_with_milliseconds)
    assert callable(cw_models.utcnow)  # PutMetricData without a Timestamp (awslab.cloud.moto_ext.cloudwatch)
    from moto.logs import models as logs_models

    # PutLogEvents' 14 days / 2 hours acceptance window reads this name (awslab.cloud.moto_ext.logs)
    assert "utcnow() - timedelta(days=14)" in inspect.getsource(logs_models.LogsBackend.put_log_events)


def test_the_aws_managed_policies_the_builder_attaches_are_in_motos_data():
    """awslab.cloud.moto_ext.iam creates these from moto's copy of AWS's managed policies."""
    from moto.iam import models as iam_models
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    from awslab.cloud.moto_ext.iam import MANAGED_POLICIES_USED

    data = json.loads(aws_managed_policies_data)
    assert all(name in data for name in MANAGED_POLICIES_USED)
    assert "logs:PutLogEvents" in data["CloudWatchAgentServerPolicy"]["Document"]["Statement"][0]["Action"]
    assert "ssm:UpdateInstanceInformation" in data["AmazonSSMManagedInstanceCore"]["Document"]["Statement"][0]["Action"]
    assert "load_iam_aws_managed_policies()" in inspect.getsource(iam_models.IAMBackend._init_aws_policies)


def test_moto_still_lacks_what_we_add():
    """If moto starts returning scaling activities itself, our response wrapper should be revisited."""
    from awslab.cloud.moto_ext import autoscaling

    autoscaling.install()
    src = inspect.getsource(autoscaling._ORIG["r_describe_activities"])
    assert '{"Activities": []}' in src
    # EnableMetricsCollection without Metrics: moto enables none, AWS all (our wrapper passes the full list).
    assert "self.metrics = metrics or []" in inspect.getsource(autoscaling._ORIG["group_enable_metrics"])
    assert "for metric in self.metrics" in inspect.getsource(asg_models.FakeAutoScalingGroup.enabled_metrics.fget)


def _ext_modules():
    from awslab.cloud.moto_ext import (access_logs, autoscaling, cloudfront, cloudwatch, ec2, ec2_launch, elbv2,
                                       launch_templates, route53, security_groups)

    for mod in (ec2, elbv2, autoscaling, cloudwatch, launch_templates, route53, cloudfront, access_logs, security_groups):
        mod.install()
    # ec2_launch and launch_templates both wrap run_instances: whichever was installed first holds moto's own
    return (ec2, ec2_launch, elbv2, autoscaling, cloudwatch, launch_templates, route53, cloudfront, access_logs,
            security_groups)


# -- CloudWatch and scaling policies (moto_ext.cloudwatch, sim.cloudwatch, sim.policies) ---------

CW_EXT = "awslab.cloud.moto_ext.cloudwatch"
PUBLISHER = "awslab.sim.cloudwatch.publisher"
ALARMS = "awslab.sim.cloudwatch.alarms"
STORE = "awslab.sim.cloudwatch.store"
EVALUATOR = "awslab.sim.cloudwatch.evaluator"
EXECUTOR = "awslab.sim.policies.executor"
WARMUP = "awslab.sim.policies.warmup"

# (owner, attribute, the leading parameters we call/replace it with, the awslab module relying on it)
CLOUDWATCH_METHODS = [
    (cw_models.Alarm, "__init__", ["self"], CW_EXT),  # wrapped; arguments passed through as given
    (cw_models.Alarm, "update_state", ["self", "reason", "reason_data", "state_value"], CW_EXT),
    (cw_models.CloudWatchBackend, "put_metric_alarm", ["self", "name"], CW_EXT),
    (cw_models.CloudWatchBackend, "set_alarm_state", ["self", "alarm_name", "reason", "reason_data", "state_value"],
     CW_EXT),
    (cw_models.CloudWatchBackend, "get_metric_statistics",
     ["self", "namespace", "metric_name", "start_time", "end_time", "period", "stats", "dimensions", "unit"], CW_EXT),
    (cw_models.CloudWatchBackend, "get_all_metrics", ["self"], CW_EXT),
    (cw_models.MetricDatum, "__init__", ["self", "namespace", "name", "value", "dimensions", "timestamp", "unit"],
     STORE),
    (cw_models.MetricAggregatedDatum, "__init__", ["self", "namespace", "name", "min_stat", "max_stat", "sample_count",
                                                   "sum_stat", "dimensions", "timestamp", "unit"], STORE),
    (cw_models.CloudWatchBackend, "get_metric_data", ["self", "queries", "start_time", "end_time"], CW_EXT),
    (cw_models.Statistics, "get_statistics_for_type", ["self", "stat"], CW_EXT),
    (cw_responses.CloudWatchResponse, "cloudwatch_backend", ["self"], CW_EXT),
    (cw_responses.CloudWatchResponse, "_get_param", ["self", "param_name"], CW_EXT),
    (asg_models.AutoScalingBackend, "put_scaling_policy",  # our wrapper reads target_tracking_config as args[6]
     ["self", "name", "policy_type", "metric_aggregation_type", "adjustment_type", "as_name",
      "min_adjustment_magnitude", "scaling_adjustment", "cooldown", "target_tracking_config"], CW_EXT),
    (asg_models.AutoScalingBackend, "delete_policy", ["self", "group_name"], CW_EXT),
    (asg_models.AutoScalingBackend, "describe_policies",
     ["self", "autoscaling_group_name", "policy_names", "policy_types"], CW_EXT),
    (asg_responses.AutoScalingResponse, "put_scaling_policy", ["self"], CW_EXT),
    (asg_responses.AutoScalingResponse, "autoscaling_backend", ["self"], CW_EXT),
    (asg_models.FakeScalingPolicy, "arn", ["self"], EXECUTOR),
    (asg_models.FakeAutoScalingGroup, "suspended_processes", ["self"], EXECUTOR),
    (ec2_launch_templates.LaunchTemplate, "get_version", ["self", "num"], PUBLISHER),
]


@pytest.mark.parametrize("owner,name,params,user", CLOUDWATCH_METHODS,
                         ids=[f"{o.__name__}.{n}" for o, n, _, _ in CLOUDWATCH_METHODS])
def test_cloudwatch_and_policy_internals_keep_their_shape(owner, name, params, user):
    fn = _original(owner, name)
    assert callable(getattr(fn, "fget", fn)), f"moto {owner.__name__}.{name} is gone ({user} uses it)"
    assert _params(fn)[:len(params)] == params, (
        f"moto {owner.__name__}.{name} changed its signature to {_params(fn)}; {user} relies on {params}")


def test_cloudwatch_and_policy_model_attributes():
    """Attributes the extension and the simulator read or write, by the moto source that sets them."""
    checks = {
        (cw_models.Alarm, "__init__"): ((CW_EXT, ALARMS, PUBLISHER, EXECUTOR), [
            "self.name", "self.alarm_arn", "self.namespace", "self.metric_name", "self.comparison_operator",
            "self.evaluation_periods", "self.datapoints_to_alarm", "self.period", "self.threshold", "self.statistic",
            "self.extended_statistic", 'Dimension(dimension["Name"], dimension["Value"])', "self.actions_enabled",
            "self.alarm_actions", "self.ok_actions", "self.insufficient_data_actions", "self.treat_missing_data",
            "self.state_reason", "self.state_reason_data", "self.state_value", "self.state_updated_timestamp",
            "self.configuration_updated_timestamp", "self.rule"]),
        (cw_models.Alarm, "update_state"): ((CW_EXT,), [  # SetAlarmState's writes, undone to record the transition
            "self.state_reason = reason", "self.state_reason_data = reason_data", "self.state_value = state_value"]),
        (cw_models.Dimension, "__init__"): ((CW_EXT, ALARMS, PUBLISHER), ["self.name = name", "self.value = value"]),
        (cw_models.MetricDatumBase, "__init__"): ((CW_EXT, STORE, EVALUATOR), [
            "self.namespace", "self.name", "self.timestamp = timestamp or utcnow()", "self.dimensions", "self.unit",
            'Dimension(dimension["Name"], dimension["Value"])']),
        (cw_models.MetricDatum, "__init__"): ((STORE, EVALUATOR), ["self.value = value"]),
        (cw_models.MetricAggregatedDatum, "__init__"): ((STORE, EVALUATOR), [  # statistic sets: basic monitoring
            "self.min = min_stat", "self.max = max_stat", "self.sample_count = sample_count", "self.sum = sum_stat"]),
        (cw_models.Statistics, "calc_sum"): ((STORE,), ["s.sum for s in self.metric_aggregated_list"]),
        (cw_models.Statistics, "calc_sample_count"): ((STORE,), ["s.sample_count for s in self.metric_aggregated_list"]),
        (cw_models.CloudWatchBackend, "__init__"): ((CW_EXT, PUBLISHER, EXECUTOR), [
            "self.alarms: dict[str, Alarm] = {}", "self.metric_data: list[MetricDatumBase] = []"]),
        (cw_models.CloudWatchBackend, "put_metric_alarm"): ((CW_EXT,), [
            "alarm = Alarm(", "self.alarms[name] = alarm", "return alarm"]),
        (cw_models.CloudWatchBackend, "set_alarm_state"): ((CW_EXT,), [  # validates before it writes
            "if alarm_name not in self.alarms", "raise ResourceNotFound",
            "self.alarms[alarm_name].update_state(reason, reason_data, state_value)"]),
        (cw_models.CloudWatchBackend, "get_metric_statistics"): ((CW_EXT,), [  # we narrow get_all_metrics per call
            "for md in self.get_all_metrics()"]),
        (cw_responses.CloudWatchResponse, "set_alarm_state"): ((CW_EXT,), [
            "self.cloudwatch_backend.set_alarm_state("]),
        (asg_models.AutoScalingBackend, "__init__"): ((CW_EXT, EXECUTOR), [
            "self.autoscaling_groups", "self.scheduled_actions: dict[str, FakeScheduledAction]",
            "self.policies: dict[str, FakeScalingPolicy] = {}"]),
        (asg_models.AutoScalingBackend, "put_scaling_policy"): ((CW_EXT,), ["self.policies[name] = policy",
                                                                            "return policy"]),
        (asg_models.AutoScalingBackend, "delete_policy"): ((CW_EXT,), ["self.policies.pop(group_name"]),
        (asg_models.AutoScalingBackend, "describe_policies"): ((CW_EXT,), ["for policy in self.policies.values()"]),
        (asg_models.AutoScalingBackend, "put_scheduled_update_group_action"): ((EXECUTOR,), [
            "self.scheduled_actions[scheduled_action_name] = scheduled_action"]),
        (asg_responses.AutoScalingResponse, "put_scaling_policy"): ((CW_EXT,), [  # we rename PolicyArn -> PolicyARN
            'params.get("PolicyName")', 'ActionResult({"PolicyArn": policy.arn})']),
        (asg_models.FakeScalingPolicy, "__init__"): ((CW_EXT, EXECUTOR, WARMUP), [
            "self.name", "self.policy_type", "self.auto_scaling_group_name", "self.adjustment_type",
            "self.min_adjustment_magnitude", "self.scaling_adjustment", "self.cooldown",
            "self.target_tracking_configuration", "self.step_adjustments", "self.autoscaling_backend",
            "self.estimated_instance_warmup"]),
        (asg_models.TargetTrackingConfiguration, "__init__"): ((EXECUTOR,), ["self.__dict__.update(data)"]),
        (asg_models.FakeScheduledAction, "__init__"): ((EXECUTOR,), [
            "self.auto_scaling_group_name", "self.desired_capacity", "self.max_size", "self.min_size",
            "self.start_time", "self.end_time", "self.recurrence", "self.scheduled_action_name", "self.time_zone"]),
        (asg_models.FakeAutoScalingGroup, "__init__"): ((PUBLISHER, EXECUTOR), [
            "self.ec2_backend = ec2_backend", "self.account_id", "self.name", "self.max_size", "self.min_size",
            "self.ec2_launch_template", "self.metrics", "self.default_cooldown"]),
        (asg_models.FakeAutoScalingGroup, "_set_launch_configuration"): ((PUBLISHER,), [
            "self.launch_config", "self.launch_template_version", "self.ec2_launch_template"]),
        (asg_models.FakeAutoScalingGroup, "set_desired_capacity"): ((EXECUTOR,), ["self.desired_capacity"]),
        (asg_models.FakeLaunchConfiguration, "__init__"): ((PUBLISHER,), ["self.instance_monitoring_enabled"]),
        (ec2_launch_templates.LaunchTemplateVersion, "__init__"): ((PUBLISHER,), ["self.data = data"]),
        (ec2_instances.Instance, "__init__"): ((PUBLISHER,), [
            "self.ec2_backend", "self.instance_type", "self.monitoring_state", "self.region_name"]),
        (elbv2_models.FakeTargetGroup, "__init__"): ((PUBLISHER,), [
            "self.account_id", "self.region_name", "self.arn", "self.load_balancer_arns"]),
        (elbv2_models.ELBv2Backend, "__init__"): ((PUBLISHER,), ["self.target_groups"]),
    }
    for (owner, name), (users, needles) in checks.items():
        src = inspect.getsource(_original(owner, name))
        missing = [n for n in needles if n not in src]
        assert not missing, f"moto {owner.__name__}.{name} no longer has {missing} ({', '.join(users)} rely on it)"
    assert isinstance(inspect.getattr_static(asg_models.FakeAutoScalingGroup, "suspended_processes"), property)
    assert isinstance(inspect.getattr_static(core_responses.ActionResult, "result"), property), (
        f"moto ActionResult.result is gone ({CW_EXT} reads the PutScalingPolicy result through it)")


def _calls(path: str, name: str) -> list[ast.Call]:
    """The calls of ``name`` (a plain name or an attribute) in the Python file ``path``."""
    tree = ast.parse(pathlib.Path(path).read_text())
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and name == (n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", None))]


def _binds(fn, call: ast.Call, self_arg: bool = True) -> None:
    """Does ``call`` (positional count and keyword names) fit the signature of ``fn``?"""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return  # *args / **kwargs pass-through: nothing to check statically
    args = [None] * (len(call.args) + self_arg)
    inspect.signature(fn).bind(*args, **{k.arg: None for k in call.keywords})


def test_moto_calls_fit_our_wrappers():
    """moto's responses call the backend methods we replace; our wrappers must accept those calls."""
    from awslab.cloud.moto_ext import cloudwatch

    _ext_modules()
    wrappers = {"put_metric_alarm": (cloudwatch._put_metric_alarm, cw_models, cw_responses),
                "set_alarm_state": (cloudwatch._set_alarm_state, cw_models, cw_responses),
                "get_metric_statistics": (cloudwatch._get_metric_statistics, cw_models, cw_responses),
                "delete_policy": (cloudwatch._delete_policy, asg_models, asg_responses),
                "describe_policies": (cloudwatch._describe_policies, asg_models, asg_responses)}
    wrappers["put_scaling_policy"] = (cloudwatch._put_scaling_policy, asg_models, asg_responses)
    for name, (wrapper, *modules) in wrappers.items():
        calls = [c for m in modules for c in _calls(m.__file__, name) if c.args or c.keywords]
        assert calls, f"moto no longer calls {name}: re-check why {CW_EXT} wraps it"
        for call in calls:
            try:
                _binds(wrapper, call)
            except TypeError as e:
                pytest.fail(f"moto calls {name}({ast.unparse(call)[:120]}...) in a way {CW_EXT}'s wrapper "
                            f"does not accept: {e}")


def test_our_calls_fit_moto():
    """The calls awslab makes into moto bind to moto's signatures (keywords exist, required ones given)."""
    import awslab.cloud.moto_ext.cloudwatch as ext
    import awslab.sim.cloudwatch.publisher as pub
    import awslab.sim.cloudwatch.store as store

    cases = [(ext, "put_metric_alarm", _original(cw_models.CloudWatchBackend, "put_metric_alarm")),
             (store, "MetricDatum", cw_models.MetricDatum.__init__),
             (store, "MetricAggregatedDatum", cw_models.MetricAggregatedDatum.__init__),
             (pub, "get_version", ec2_launch_templates.LaunchTemplate.get_version)]
    for module, name, moto_fn in cases:
        calls = _calls(module.__file__, name)
        assert calls, f"{module.__name__} no longer calls {name}: update this contract"
        for call in calls:
            try:
                _binds(moto_fn, call)
            except TypeError as e:
                pytest.fail(f"{module.__name__} calls moto {name}({ast.unparse(call)[:120]}...), which moto's "
                            f"{moto_fn.__qualname__}{inspect.signature(moto_fn)} rejects: {e}")
    stats = _original(cw_models.CloudWatchBackend, "get_metric_statistics")
    assert len(inspect.signature(stats).parameters) == 9, (
        f"{CW_EXT} calls moto get_metric_statistics with 9 positional arguments; it now takes "
        f"{list(inspect.signature(stats).parameters)}")


def test_policy_arn_and_scheduled_action_read_like_the_simulator_expects():
    """moto's policy ARN and scheduled-action attributes, read through the simulator's own helpers."""
    from types import SimpleNamespace

    from awslab.sim.cloudwatch.alarms import is_autoscaling_action
    from awslab.sim.policies import executor

    backend = SimpleNamespace(region_name="ap-northeast-2", account_id="123456789012")
    config = {"TargetValue": 50.0, "DisableScaleIn": True,
              "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}}
    policy = asg_models.FakeScalingPolicy("cpu50", "TargetTrackingScaling", None, adjustment_type=None, as_name="web",
                                          min_adjustment_magnitude=None, scaling_adjustment=None, cooldown=None,
                                          target_tracking_config=dict(config), step_adjustments=[],
                                          estimated_instance_warmup=None, predictive_scaling_configuration={},
                                          autoscaling_backend=backend)
    m = executor._ARN.search(policy.arn)
    assert m and (m["group"], m["policy"]) == ("web", "cpu50"), (
        f"moto's policy ARN {policy.arn} no longer matches {EXECUTOR}._ARN")
    assert is_autoscaling_action(policy.arn), f"{ALARMS}.is_autoscaling_action misses moto's ARN {policy.arn}"
    assert executor._config(policy) == config, (
        f"moto's TargetTrackingConfiguration no longer keeps the API's keys as attributes ({EXECUTOR}._config)")
    action = asg_models.FakeScheduledAction("web", 4, 6, 2, "morning", "2026-01-01T09:00:00Z", None, "0 9 * * *",
                                            "Asia/Seoul")
    spec = executor._spec(action)
    assert (spec.scheduled_action_name, spec.auto_scaling_group_name, spec.min_size, spec.max_size,
            spec.desired_capacity, spec.recurrence, spec.time_zone) == (
        "morning", "web", 2, 6, 4, "0 9 * * *", "Asia/Seoul"), f"moto FakeScheduledAction changed ({EXECUTOR}._spec)"


def test_backend_dicts_iterate_without_creating_backends():
    """``publisher.moto_backends`` walks BackendDicts with ``dict.values`` (never creating a region)."""
    from moto.autoscaling.models import autoscaling_backends
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.elbv2.models import elbv2_backends

    assert issubclass(base_backend.BackendDict, dict) and issubclass(base_backend.AccountSpecificBackend, dict), (
        f"moto's BackendDict is no longer a dict; {PUBLISHER}.moto_backends relies on dict.values")
    for backends in (cloudwatch_backends, autoscaling_backends, elbv2_backends):
        assert isinstance(backends, base_backend.BackendDict), f"{backends!r} is no BackendDict ({PUBLISHER})"


def test_moto_still_lacks_alarm_history_and_dispatches_by_class_method():
    """DescribeAlarmHistory is ours; moto finds an action's method on the class, so our added one answers."""
    from awslab.cloud.moto_ext import cloudwatch

    cloudwatch.install()
    own = inspect.getattr_static(cw_responses.CloudWatchResponse, "describe_alarm_history", None)
    assert own in (None, cloudwatch._describe_alarm_history), (
        f"moto now has CloudWatchResponse.describe_alarm_history: revisit {CW_EXT}, which replaces it")
    assert "method_names_from_class(self.__class__)" in inspect.getsource(core_responses.BaseResponse.call_action)
    assert "describe_alarm_history" in moto_utils.method_names_from_class(cw_responses.CloudWatchResponse), (
        f"moto no longer dispatches to a method added to the response class ({CW_EXT}.describe_alarm_history)")


WIRE = "awslab.cloud.wire"


def test_the_front_door_relies_on_motos_dispatcher_parsers_serializers_and_propagation():
    """awslab.cloud.wire patches nothing, but reads moto's routing, parses with moto's parsers and writes
    errors with moto's serializers; each of those must still be there, with the shape it calls."""
    from moto.core.exceptions import ServiceException
    from moto.core.parse import PROTOCOL_PARSERS, QueryParser
    from moto.core.request import determine_request_protocol
    from moto.core.serialize import get_serializer_class
    from moto.ec2 import exceptions as ec2_exceptions
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    assert {"ec2", "query", "json", "rest-xml"} <= set(PROTOCOL_PARSERS), f"moto's parsers changed ({WIRE}.checks)"
    assert _params(QueryParser._parse_shape) == ["self", "shape", "node", "prefix"], f"{WIRE}.checks._NamingQueryParser"
    assert _params(determine_request_protocol)[:2] == ["service_model", "content_type"], f"{WIRE}.request"
    assert _params(get_serializer_class) == ["service_name", "protocol"], f"{WIRE}.errors.render"
    assert ServiceException("Code", "text").code == "Code", f"{WIRE}.errors.AwsError"
    infer = DomainDispatcherApplication.infer_service_region_host
    assert _params(infer) == ["self", "environ", "path"], f"{WIRE}.request"
    assert _params(DomainDispatcherApplication.get_backend_for_host) == ["self", "host"], f"{WIRE}.request"
    assert issubclass(ec2_exceptions.FilterNotImplementedError, NotImplementedError), f"{WIRE}.front.from_failure"
    # A failure inside moto must reach the front door as an exception, not as Flask's own 500 page.
    assert create_backend_app("sts").debug is True, f"moto's backend apps no longer propagate exceptions ({WIRE}.front)"


# -- speed (awslab.cloud.moto_ext.speed): every assumption its memos make --------------------------------------

SPEED = "awslab.cloud.moto_ext.speed"


def _in_order(src: str, needles: list[str]) -> list[str]:
    """The needles not found in ``src`` in this order."""
    missing, at = [], 0
    for needle in needles:
        found = src.find(needle, at)
        if found < 0:
            missing.append(needle)
        else:
            at = found + len(needle)
    return missing


def test_attribute_picker_call_is_what_speed_reimplements():
    """speed._pick replaces AttributePicker.__call__ statement for statement; moto's must still be this."""
    from moto.core import serialize

    from awslab.cloud.moto_ext import speed

    original = speed._ORIGINAL.get("pick", serialize.AttributePicker.__call__)
    missing = _in_order(inspect.getsource(original), [
        "obj = context.obj", "for possible_key in self.get_possible_keys(context):",
        "value = get_value(obj, possible_key, MISSING)", "if value is not MISSING:", "break", "else:", "value = None",
        'key_path = f"{context.key_path}.{context.key}"',
        "for transform_path, transform in self.response_transformers.items():",
        "if key_path.endswith(transform_path):", "value = transform(value)", "break", "return value"])
    assert not missing, f"moto AttributePicker.__call__ changed ({missing} not found in order): re-check {SPEED}._pick"


def _reads(cls) -> dict[str, set[str]]:
    """What a class's methods read from ``self.context``: {'obj': {'Meta', ...}, 'shape': {...}, 'other': {...}}.

    Reads through a local bound to ``self.context.X`` count as reads of X. ``hasattr(obj, "A")`` reads obj.A;
    ``obj`` passed anywhere else counts as ``obj.<passed>`` (something we cannot see into)."""
    tree = ast.parse(inspect.getsource(cls).strip())
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            v = node.value
            if (isinstance(v, ast.Attribute) and isinstance(v.value, ast.Attribute) and v.value.attr == "context"
                    and isinstance(v.value.value, ast.Name) and v.value.value.id == "self"):
                aliases[node.targets[0].id] = v.attr
    reads: dict[str, set[str]] = {}

    def root(node) -> str | None:
        if isinstance(node, ast.Name) and node.id in aliases:
            return aliases[node.id]
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "context"
                and isinstance(node.value.value, ast.Name) and node.value.value.id == "self"):
            return node.attr
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and root(node.value):
            reads.setdefault(root(node.value), set()).add(node.attr)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "hasattr" and root(node.args[0]):
            reads.setdefault(root(node.args[0]), set()).add(node.args[1].value)
        elif isinstance(node, ast.Call):
            for arg in node.args:
                if root(arg) == "obj" and getattr(node.func, "id", None) != "hasattr":
                    reads.setdefault("obj", set()).add("<passed>")
    return reads


def test_alias_providers_read_only_what_the_memo_is_keyed_on():
    """The memo keys on (picker class, providers, obj.__class__, key, shape, shape.parent) and skips objects with a
    Meta. So a provider may read: obj.Meta (ExplicitAlias only), obj.__class__, and the member shape and its parent,
    which botocore builds once per process (next test)."""
    from moto.core import serialize

    from awslab.cloud.moto_ext import speed

    assert set(serialize.DEFAULT_ALIAS_PROVIDERS) <= speed.KNOWN_ALIAS_PROVIDERS, (
        f"moto has a new default alias provider: check what it reads, then add it to {SPEED}.KNOWN_ALIAS_PROVIDERS")
    shape_reads = {"serialization", "parent", "type_name", "name"}
    for provider in speed.KNOWN_ALIAS_PROVIDERS:
        own = {n for n in vars(provider) if not n.startswith("_")}
        assert own <= {"has_alias", "get_alias"}, f"moto {provider.__name__} has new methods {own}: re-check {SPEED}"
        reads = _reads(provider)
        assert set(reads) <= {"obj", "shape"}, f"moto {provider.__name__} reads context.{set(reads) - {'obj', 'shape'}}"
        allowed_obj = {"Meta", "__class__"} if provider is serialize.ExplicitAlias else {"__class__"}
        assert reads.get("obj", set()) <= allowed_obj, (
            f"moto {provider.__name__} reads obj.{reads['obj'] - allowed_obj}, which {SPEED}'s memo does not key on")
        assert reads.get("shape", set()) <= shape_reads, (
            f"moto {provider.__name__} reads shape.{reads['shape'] - shape_reads}: is it fixed once built? ({SPEED})")
    parent_src = inspect.getsource(serialize.ShapePrefixAlias) + inspect.getsource(serialize.ShapeNameAlias)
    assert _in_order(parent_src, ["shape.parent.type_name", "shape.parent.name", "shape.parent.members"]) == []


def test_the_shapes_the_memo_keys_on_are_built_once_per_process():
    """id(shape) is a stable key only because moto's service model, operation models and member shapes are cached."""
    from moto.core.utils import get_service_model

    ec2 = get_service_model("ec2")
    assert ec2 is get_service_model("ec2"), f"moto builds a new ServiceModel per call: {SPEED}'s memo would grow"
    op = ec2.operation_model("DescribeInstances")
    assert op is ec2.operation_model("DescribeInstances") and op.output_shape is op.output_shape
    reservations = op.output_shape.members["Reservations"]
    assert reservations is op.output_shape.members["Reservations"] and reservations.member is reservations.member
    instances = reservations.member.members["Instances"]
    assert instances.member.members["InstanceId"] is instances.member.members["InstanceId"]


def test_the_pickers_speed_memoises_for():
    """moto makes one XFormedAttributePicker per response with its default providers; both known pickers' key lists
    are the providers' aliases (through xform_name, a pure function of the string)."""
    from moto.core import responses, serialize

    from awslab.cloud.moto_ext import speed

    assert speed.KNOWN_PICKERS == {serialize.AttributePicker, serialize.XFormedAttributePicker}
    assert "value_picker = XFormedAttributePicker(\n            response_transformers=response_transformers\n        )" in (
        inspect.getsource(responses.ActionResult.execute_result))
    assert _in_order(inspect.getsource(serialize.AttributePicker.get_possible_keys), [
        "for alias_provider_cls in self.alias_providers:", "alias_provider = alias_provider_cls(context)",
        "if alias_provider.has_alias(key):", "yield alias"]) == []
    assert _in_order(inspect.getsource(serialize.XFormedAttributePicker.get_possible_keys), [
        "for possible_key in super().get_possible_keys(context):", "yield possible_key",
        "yield xform_name(possible_key)"]) == []


def test_the_module_list_is_read_from_moto_s_own_folder_and_only_tested_for_membership():
    """speed reads list_of_moto_modules once: it lists the imported moto's folders, and moto only asks `in` of it."""
    from moto import backends

    from awslab.cloud.moto_ext import speed

    original = speed._ORIGINAL.get("modules", backends.list_of_moto_modules)
    assert _in_order(inspect.getsource(original), ["os.path.dirname(moto.__file__)", "os.listdir(path)"]) == []
    root = pathlib.Path(moto.__file__).parent
    users = [p for p in root.rglob("*.py") if "list_of_moto_modules()" in p.read_text(errors="ignore")]
    tested = 0
    for path in users:
        tree = ast.parse(path.read_text())
        every = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and "list_of_moto_modules" ==
                 getattr(n.func, "attr", getattr(n.func, "id", None))]
        membership = [c for n in ast.walk(tree) if isinstance(n, ast.Compare) and isinstance(n.ops[0], (ast.In, ast.NotIn))
                      for c in n.comparators if c in every]
        assert len(membership) == len(every), (
            f"moto {path.relative_to(root)} uses list_of_moto_modules() other than with `in` ({SPEED} returns a tuple)")
        tested += len(membership)
    assert tested, f"moto no longer routes by list_of_moto_modules: drop {SPEED}'s memo of it"


# -- shapes (awslab.cloud.moto_ext.shapes): what it adds moto still lacks, and how it adds it ------------------

SHAPES = "awslab.cloud.moto_ext.shapes"


def test_moto_still_lacks_the_members_shapes_adds():
    """When moto sends these itself, the corresponding fix in moto_ext.shapes should go."""
    from moto.autoscaling import models as asg
    from moto.cloudfront import models as cloudfront

    from awslab.cloud.moto_ext import shapes

    shapes.install()
    by_name = inspect.getsource(shapes._ORIG["list_hosted_zones_by_name"])
    assert 'result = {"DNSName": dnsname, "HostedZones": zones}' in by_name and "return ActionResult(result)" in by_name, (
        f"moto's ListHostedZonesByName changed: re-check {SHAPES}")
    assert "staging" not in inspect.getsource(cloudfront).lower(), f"moto knows staging distributions: re-check {SHAPES}"
    assert "self.predictive_scaling_configuration = predictive_scaling_configuration" in inspect.getsource(
        asg.FakeScalingPolicy.__init__), f"moto's FakeScalingPolicy changed: re-check {SHAPES}"


def test_shapes_gives_each_patched_response_class_a_table_of_its_own():
    """moto's BaseResponse holds one class-level transformer table that every response class without its own shares;
    moto_ext.shapes must never write into that shared one."""
    from moto.core.responses import BaseResponse

    from awslab.cloud.moto_ext import shapes

    shapes.install()
    assert isinstance(BaseResponse.__dict__.get("RESPONSE_KEY_PATH_TO_TRANSFORMER"), dict)
    for cls, table in shapes.TRANSFORMERS.items():
        own = vars(cls).get("RESPONSE_KEY_PATH_TO_TRANSFORMER")
        assert own is not None and own is not BaseResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER
        assert all(own[k] is v for k, v in table.items())
    assert not set(BaseResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER) & {k for t in shapes.TRANSFORMERS.values() for k in t}


def test_address_internals_the_extension_releases_through():
    """moto_ext.ec2_launch: run_instances' arguments, the interfaces' and subnets' address books, and the
    ``_private_ips`` that Instance.__del__ hands back (the extension empties it once the addresses are released)."""
    from moto.ec2.models import elastic_network_interfaces as enis

    from awslab.cloud.moto_ext import ec2_launch

    ec2_launch.install(moto_ext.active)
    run = _original(ec2_instances.InstanceBackend, "run_instances")  # moto's, whichever wrapper came first
    assert _params(run)[:6] == ["self", "image_id", "count", "user_data", "security_group_names", "kwargs"]
    checks = {
        enis.NetworkInterface.__init__: ["self.delete_on_termination = delete_on_termination",
                                         "self.private_ip_addresses", "self.subnet", "self.status"],
        enis.NetworkInterfaceBackend.__init__: ["self.enis: dict[str, NetworkInterface]"],
        ec2_subnets.Subnet.available_ip_address_count.fget: ["get_all_network_interfaces()", "eni.private_ip_addresses"],
        ec2_subnets.Subnet.del_subnet_ip: ["del self._subnet_ips[ip]", "self._unused_ips.add(ip)"],
        ec2_instances.Instance.__del__: ["for ip in self._private_ips:", "subnet.del_subnet_ip(ip)"],
        ec2_instances.Instance.prep_nics: ['delete_on_termination=nic.get("DeleteOnTermination") is True',
                                           "self._private_ips.add(private_ip)"],
        _original(ec2_instances.Instance, "terminate"): ["if nic.delete_on_termination:", "nic.delete()"],
        run: ["self.reservations[new_reservation.id] = new_reservation"],
    }
    for fn, needles in checks.items():
        src = inspect.getsource(fn)
        missing = [n for n in needles if n not in src]
        assert not missing, f"moto {fn.__qualname__} no longer has {missing} (awslab.cloud.moto_ext.ec2_launch)"


def test_moto_dimension_order_still_compares_a_value_with_a_name():
    """moto 5.2.5 sorts two dimension lists to compare them, with a ``__lt__`` that compares a value with a name;
    awslab.cloud.moto_ext.cloudwatch orders by (name, value). If moto fixes it, drop that patch."""
    from awslab.cloud.moto_ext import cloudwatch

    cloudwatch.install()
    assert "self.value < other.name" in inspect.getsource(cloudwatch._ORIG["dimension_lt"])


def test_moto_still_replaces_a_group_on_every_stack_update():
    """moto 5.2.5 updates an AWS::AutoScaling::AutoScalingGroup by deleting and re-creating it, and passes the
    template's properties to UpdateAutoScalingGroup and the attach/detach calls by these names;
    awslab.cloud.moto_ext.asg_cloudformation updates in place instead. If moto does too, drop that patch."""
    from awslab.cloud.moto_ext import asg_cloudformation, autoscaling

    asg_cloudformation.install()
    autoscaling.install()
    src = inspect.getsource(asg_cloudformation._ORIG["update"])
    assert "delete_from_cloudformation_json" in src and "create_from_cloudformation_json" in src
    update = inspect.signature(autoscaling._ORIG["update"]).parameters  # moto's own, under our wrapper
    assert {"name", "availability_zones", "desired_capacity", "max_size", "min_size", "launch_config_name",
            "launch_template", "vpc_zone_identifier", "health_check_period", "health_check_type",
            "new_instances_protected_from_scale_in", "mixed_instances_policy"} <= set(update)
    for attach in ("attach_load_balancer_target_groups", "detach_load_balancer_target_groups",
                   "attach_load_balancers", "detach_load_balancers"):
        assert list(inspect.signature(getattr(asg_models.AutoScalingBackend, attach)).parameters)[1] == "group_name"
    init = inspect.getsource(asg_models.FakeAutoScalingGroup.__init__)
    assert "self.load_balancer_names = " in init and "self.target_group_arns = " in init


def test_moto_still_lacks_instance_refresh_and_its_shapes_serialize_ours():
    """moto 5.2.5 has no instance refresh actions (ours answer them); moto's serializer renders our dicts by
    the botocore model, so the four output shapes must exist there with the members we fill in."""
    from moto.core.model import ServiceModel  # noqa: F401  (moto's serializer reads botocore's models)
    import botocore.session

    from awslab.cloud.moto_ext import instance_refresh

    actions = ("start_instance_refresh", "describe_instance_refreshes", "cancel_instance_refresh",
               "rollback_instance_refresh")
    ours = {instance_refresh._start_instance_refresh, instance_refresh._describe_instance_refreshes,
            instance_refresh._cancel_instance_refresh, instance_refresh._rollback_instance_refresh}
    for action in actions:
        own = inspect.getattr_static(asg_responses.AutoScalingResponse, action, None)
        assert own is None or own in ours, f"moto now has AutoScalingResponse.{action}: revisit moto_ext.instance_refresh"
    model = botocore.session.get_session().get_service_model("autoscaling")
    members = set(model.shape_for("InstanceRefresh").members)
    assert {"InstanceRefreshId", "AutoScalingGroupName", "Status", "StatusReason", "StartTime", "EndTime",
            "PercentageComplete", "InstancesToUpdate", "ProgressDetails", "Preferences", "DesiredConfiguration",
            "RollbackDetails", "Strategy"} <= members
    assert set(model.shape_for("InstanceRefreshStatus").enum) == {
        "Pending", "InProgress", "Successful", "Failed", "Cancelling", "Cancelled", "RollbackInProgress",
        "RollbackFailed", "RollbackSuccessful", "Baking"}
    assert "_get_param" in dir(asg_responses.AutoScalingResponse)


def test_moto_still_lacks_delete_launch_template_versions_and_keeps_versions_in_a_numbered_list():
    """moto_ext.launch_template_versions marks deleted versions in moto's list (indexed by number - 1)."""
    from awslab.cloud.moto_ext import launch_template_versions

    launch_template_versions.install()
    own = inspect.getattr_static(ec2_lt_responses.LaunchTemplates, "delete_launch_template_versions", None)
    assert own in (None, launch_template_versions._delete_launch_template_versions)
    src = inspect.getsource(launch_template_versions._ORIG["get_version"])
    assert "self.versions[int(num) - 1]" in src and "self.versions[-1]" in src
    assert "len(self.versions) + 1" in inspect.getsource(ec2_launch_templates.LaunchTemplate.create_version)
    assert _params(launch_template_versions._ORIG["describe"])[:1] == ["self"]

def test_moto_still_has_no_percentiles_and_keeps_the_fields_we_rank():
    """GetMetricData's percentiles (awslab.cloud.moto_ext.cloudwatch.percentile_of): moto computes none itself,
    and its datapoints keep the fields we read."""
    src = inspect.getsource(_original(cw_models.Statistics, "get_statistics_for_type"))
    assert "percentile" not in src.lower() and 'if stat == "SampleCount"' in src
    assert "self.metric_data" in inspect.getsource(cw_models.Statistics.__init__)
    agg = inspect.getsource(cw_models.MetricAggregatedDatum.__init__)
    assert all(f"self.{f} =" in agg for f in ("min", "max", "sum", "sample_count"))
    assert "self.value = value" in inspect.getsource(cw_models.MetricDatum.__init__)
    assert '"values": result_vals' in inspect.getsource(_original(cw_models.CloudWatchBackend, "get_metric_data"))


def test_the_cloudformation_internals_moto_ext_patches_keep_their_shape():
    """moto_ext/cloudformation.py wraps these; if moto renames one, or starts doing what the patch adds, this says so."""
    from moto.cloudformation import parsing
    from moto.ec2.models.subnets import SubnetRouteTableAssociation
    from moto.elbv2.models import FakeLoadBalancer
    from moto.rds.models import DBInstance

    assert list(inspect.signature(parsing.parse_and_create_resource).parameters) == [
        "logical_id", "resource_json", "resources_map", "account_id", "region_name"]
    assert list(inspect.signature(parsing.clean_json).parameters) == ["resource_json", "resources_map"]
    assert hasattr(parsing.ResourceMap, "load_parameters")
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        assert hasattr(cached, "cache_clear")
    types = {m.cloudformation_type() for m in parsing.CloudFormationModel.__subclasses__()
             if m.__module__.startswith("moto.")}
    assert not types & {"AWS::AutoScaling::ScalingPolicy", "AWS::CloudWatch::Alarm", "AWS::SecretsManager::Secret"}
    from awslab.cloud.moto_ext import cloudformation as cfn_patch

    # moto's own functions, even when this worker already ran a test that patched them
    db_src = inspect.getsource(cfn_patch._ORIG.get("db_instance", DBInstance.create_from_cloudformation_json))
    lb_src = inspect.getsource(cfn_patch._ORIG.get("lb_attribute", FakeLoadBalancer.get_cfn_attribute))
    assert "VpcSecurityGroupIds" in db_src
    assert "VPCSecurityGroups" not in db_src
    assert "CanonicalHostedZoneID" in lb_src
    assert "create_subnet_association" in inspect.getsource(SubnetRouteTableAssociation.create_from_cloudformation_json)


def test_moto_rds_still_places_in_region_a_ignores_force_failover_and_keeps_the_password_privately():
    """What awslab.cloud.moto_ext.rds relies on (and replaces) in moto's RDS."""
    from moto.rds import models as rds_models
    from moto.rds import responses as rds_responses

    assert _params(rds_models.RDSBackend.create_db_instance)[:2] == ["self", "db_kwargs"]
    assert _params(rds_models.RDSBackend.modify_db_instance)[:3] == ["self", "db_instance_identifier", "db_kwargs"]
    assert _params(rds_models.RDSBackend.reboot_db_instance) == ["self", "db_instance_identifier"]  # no ForceFailover
    moto_src = inspect.getsource(rds_responses)  # moto's file, whatever is patched in now
    reboot = moto_src[moto_src.index("def reboot_db_instance"):][:600].split("\n    def ", 1)[0]
    assert "ForceFailover" not in reboot, "moto now reads ForceFailover: check whether moto_ext.rds is still needed"
    src = inspect.getsource(rds_models.DBInstance.__init__)
    assert 'availability_zone or f"{self.region}a"' in src  # moto's placement, which the patch corrects
    assert "self.master_user_password = master_user_password" in src
    assert "_master_user_password" in inspect.getsource(rds_models.DBInstance)  # where master_password() reads it
    assert "_subnets" in inspect.getsource(rds_models.DBSubnetGroup.__init__)
    for attr in ("source_identifier", "source_type", "message", "event_categories", "source_arn", "date"):
        assert f"self.{attr} =" in inspect.getsource(rds_models.Event.__init__), attr


def test_acm_and_listener_certificate_internals_the_extension_patches():
    """moto_ext.acm and moto_ext.listener_tls: the ACM model's hooks and fields, and what moto still does itself."""
    from moto.acm import models as acm_models
    from moto.acm import responses as acm_responses
    from moto.elbv2 import ssl_policies

    from awslab.cloud.moto_ext import acm, listener_tls

    acm.install()
    listener_tls.install()
    gen = acm._ORIG["generate_cert"]
    assert isinstance(gen, classmethod)
    assert _params(gen.__func__)[:6] == ["cls", "domain_name", "account_id", "region", "sans", "cert_authority_arn"]
    assert _params(acm_models.CertBundle.__init__)[:5] == ["self", "account_id", "certificate", "private_key", "chain"]
    for fn, params in [(acm._ORIG["check"], ["self"]), (acm._ORIG["describe"], ["self"]),
                       (acm._ORIG["get_response"], ["self"]),
                       (acm_models.AWSCertificateManagerBackend.get_certificate, ["self", "arn"]),
                       (listener_tls._ORIG["create"],
                        ["self", "load_balancer_arn", "protocol", "port", "ssl_policy", "certificate", "actions"]),
                       (listener_tls._ORIG["modify"],
                        ["self", "arn", "port", "protocol", "ssl_policy", "certificates", "actions"]),
                       (listener_tls._ORIG["add"], ["self", "arn", "certificates"])]:
        assert fn.__module__.startswith("moto."), f"{fn.__qualname__} is not moto's own"
        assert _params(fn)[:len(params)] == params, f"moto {fn.__qualname__} changed: {_params(fn)}"
    init = inspect.getsource(acm_models.CertBundle.__init__)
    for attr in ("self.cert =", "self.key =", "self.chain =", "self.status =", "self.type =", "self.sans",
                 "self.common_name", "self.created_at", "self.arn ="):
        assert attr in init, f"CertBundle no longer sets {attr}"
    assert "AWS_ROOT_CA" in init  # certificate_material strips the Amazon root moto appends to every chain
    # moto still issues on a timer, not on DNS, and still signs under an unverifiable "Amazon" issuer:
    assert "ACM_VALIDATION_WAIT" in inspect.getsource(acm._ORIG["check"])
    assert '"Amazon"' in inspect.getsource(acm._ORIG["generate_cert"].__func__)
    assert "_d930b28be6c5927595552b219965053e" in inspect.getsource(acm._ORIG["describe"])
    zone_init = inspect.getsource(route53_models.FakeZone.__init__)
    assert "self.rrsets" in zone_init and "self.private_zone" in zone_init
    rrset_init = inspect.getsource(route53_models.RecordSet.__init__)
    assert "self.records" in rrset_init and "self.type" in rrset_init
    assert ssl_policies.SSL_POLICIES["ELBSecurityPolicy-TLS13-1-2-2021-06"]["ssl_protocols"] == ["TLSv1.3", "TLSv1.2"]


"""What the health-check tuning drill builds beside the lab, and takes away again.

Per setting, a target group ``<lab>-hct<N>`` with that health check (the lab's target group's
VPC, port, path and matcher), used by a listener rule on the lab's ALB (path
``/awslab-drill/health-check-tuning/<N>``, which no student request uses; a rule is enough for
the ALB to check the group's targets). Two servers of the drill's own, launched from the lab's
Auto Scaling group's launch template into the group's first subnet, outside the group,
registered in every one of those groups.

Each carries the lab's tags and ``awslab:drill=health_check_tuning``: :func:`reset_health_check_tuning`
finds them by that tag, so it works from a fresh kernel, and ``lab.teardown()`` finds them too.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import config
from ..errors import BackendError
from ..i18n import _
from ..lab import Lab
from ..layers._base import paginate
from ..layers.waits import pace_of, wait_for, waiter
from .failure import DrillError, _lab_groups
from .health_check_results import HealthCheckSetting
from .simulator import simulator

__all__ = ["DRILL_TAG", "DRILL_KEY", "Setup", "prepare", "reset_health_check_tuning", "record_measurements",
           "drill_target_groups",
           "MEASURED_DETECTION", "MEASURED_FALSE_ALARMS", "MEASURED_SPAN"]

DRILL_TAG = "awslab:drill"
DRILL_KEY = "health_check_tuning"
#: Listener rule priorities (1-50000): far above any rule the course makes.
FIRST_PRIORITY = 49_000
RULE_PATH = "/awslab-drill/health-check-tuning/{n}"
#: Tags on each of the drill's target groups once a result is read: what the run measured there, so that a check (which
#: reads only AWS APIs) and a fresh kernel can see it. Values are seconds and counts as text ("" = not detected).
MEASURED_DETECTION, MEASURED_FALSE_ALARMS, MEASURED_SPAN = ("awslab:measured-detection-s",
                                                            "awslab:measured-false-alarms", "awslab:measured-span-s")


@dataclass
class Setup:
    """The drill's target groups (one per setting, in order), their listener rules, and its two servers."""

    target_group_arns: list[str]
    rule_arns: list[str]
    crashed: str
    slow: str

    def all_healthy(self, lab: Lab) -> bool:
        """Both servers ``healthy`` in every group (``describe-target-health``)."""
        elb = lab.client("elbv2")
        def healthy(arn: str) -> set[str]:
            found = elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
            return {d["Target"]["Id"] for d in found if d["TargetHealth"]["State"] == "healthy"}

        return all(healthy(arn) >= {self.crashed, self.slow} for arn in self.target_group_arns)


def _tags(lab: Lab, name: str) -> list[dict[str, str]]:
    return lab.tags(name, "drill", **{DRILL_TAG: DRILL_KEY})


def _lab_group(lab: Lab) -> dict:
    """The lab's Auto Scaling group: the drill's servers are launched from its launch template."""
    groups = [g for g in _lab_groups(lab) if g.get("LaunchTemplate") and g.get("TargetGroupARNs")]
    if not groups:
        raise DrillError(_("Lab {lab} has no Auto Scaling group with a launch template and a target group, and the "
                           "tuning drill launches its servers like the lab's own.").format(lab=lab.name),
                         _("Build the stack first: lab.build() (or start() in a drill lab)."))
    return groups[0]


def _lab_listener(lab: Lab, group: dict) -> tuple[str, dict]:
    """The HTTP:80 listener of the load balancer in front of the group's target group, and that target group."""
    elb = lab.client("elbv2")
    tg = elb.describe_target_groups(TargetGroupArns=group["TargetGroupARNs"][:1])["TargetGroups"][0]
    for lb_arn in tg.get("LoadBalancerArns", []):
        for listener in paginate(elb, "describe_listeners", "Listeners", LoadBalancerArn=lb_arn):
            if listener["Port"] == 80:
                return listener["ListenerArn"], tg
    raise DrillError(_("No load balancer has an HTTP:80 listener for the target group {name}, and the tuning drill "
                       "checks its target groups through one.").format(name=tg["TargetGroupName"]),
                     _("Build the load balancing layer: lab.build(until='loadbalancing')."))


def _target_group(lab: Lab, n: int, setting: HealthCheckSetting, model: dict) -> str:
    """A target group like the lab's (its VPC, port, path and matcher) with ``setting``'s health check."""
    name = f"{lab.name[:24]}-hct{n}"
    return lab.client("elbv2").create_target_group(
        Name=name, Protocol="HTTP", Port=model["Port"], VpcId=model["VpcId"], TargetType="instance",
        HealthCheckProtocol="HTTP", HealthCheckPath=model.get("HealthCheckPath") or "/health",
        Matcher=model.get("Matcher") or {"HttpCode": "200"}, Tags=_tags(lab, name),
        **setting.parameters())["TargetGroups"][0]["TargetGroupArn"]


def _rule(lab: Lab, listener_arn: str, n: int, arn: str) -> str:
    elb = lab.client("elbv2")
    used = {r["Priority"] for r in paginate(elb, "describe_rules", "Rules", ListenerArn=listener_arn)}
    priority = next(p for p in range(FIRST_PRIORITY + n, 50_001) if str(p) not in used)
    return elb.create_rule(ListenerArn=listener_arn, Priority=priority,
                           Conditions=[{"Field": "path-pattern", "Values": [RULE_PATH.format(n=n)]}],
                           Actions=[{"Type": "forward", "TargetGroupArn": arn}],
                           Tags=_tags(lab, f"{lab.name}-hct{n}-rule"))["Rules"][0]["RuleArn"]


def _servers(lab: Lab, template: dict, subnet_id: str) -> tuple[str, str]:
    """Launch the two servers (one to crash, one to slow down); wait until they run (``instance_running``)."""
    ec2 = lab.client("ec2")
    ids = []
    for role in ("crash", "slow"):
        name = lab.resource_name(f"hct-{role}")
        launched = ec2.run_instances(LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"],
                                                     "Version": template.get("Version") or "$Default"},
                                     SubnetId=subnet_id, MinCount=1, MaxCount=1,
                                     TagSpecifications=[{"ResourceType": "instance", "Tags": _tags(lab, name)}])
        ids.append(launched["Instances"][0]["InstanceId"])
    wait_for(waiter(ec2, "instance_running", _("the drill's servers {ids} to be running").format(ids=", ".join(ids)),
                    _("Look at their state: aws ec2 describe-instances --instance-ids {ids}").format(ids=" ".join(ids)),
                    InstanceIds=ids), pace_of(lab))
    return ids[0], ids[1]


def prepare(lab: Lab, settings: tuple[HealthCheckSetting, ...]) -> Setup:
    """Build the drill's target groups, rules and servers (after removing any an earlier run left)."""
    group = _lab_group(lab)
    listener_arn, model = _lab_listener(lab, group)
    subnet_id = group["VPCZoneIdentifier"].split(",")[0]  # where the group launches its own servers
    reset_health_check_tuning(lab)
    arns = [_target_group(lab, n, s, model) for n, s in enumerate(settings, 1)]
    rules = [_rule(lab, listener_arn, n, arn) for n, arn in enumerate(arns, 1)]
    crashed, slow = _servers(lab, group["LaunchTemplate"], subnet_id)
    elb = lab.client("elbv2")
    for arn in arns:
        elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": crashed}, {"Id": slow}])
    return Setup(arns, rules, crashed, slow)


def record_measurements(lab: Lab, arn: str, detection_s: float | None, false_alarms: int, span_s: float) -> None:
    """Write what the run measured on target group ``arn`` into its tags (``add-tags`` replaces older values)."""
    lab.client("elbv2").add_tags(ResourceArns=[arn], Tags=[
        {"Key": MEASURED_DETECTION, "Value": "" if detection_s is None else f"{detection_s:g}"},
        {"Key": MEASURED_FALSE_ALARMS, "Value": str(false_alarms)}, {"Key": MEASURED_SPAN, "Value": f"{span_s:.0f}"}])


def _ours(tags: list[dict], lab: Lab) -> bool:
    found = {t["Key"]: t["Value"] for t in tags}
    return found.get(DRILL_TAG) == DRILL_KEY and found.get(config.LAB_TAG) == lab.name


def drill_target_groups(lab: Lab) -> list[tuple[dict, dict[str, str]]]:
    """Every target group a tuning drill made in ``lab`` (found by its tags), with its tags (probe)."""
    elb = lab.client("elbv2")
    groups = list(paginate(elb, "describe_target_groups", "TargetGroups"))
    ours = []
    for i in range(0, len(groups), 20):  # DescribeTags takes at most 20 ARNs
        batch = {g["TargetGroupArn"]: g for g in groups[i:i + 20]}
        for d in elb.describe_tags(ResourceArns=list(batch))["TagDescriptions"]:
            if _ours(d.get("Tags", []), lab):
                ours.append((batch[d["ResourceArn"]], {t["Key"]: t["Value"] for t in d["Tags"]}))
    return ours


def reset_health_check_tuning(lab: Lab) -> None:
    """Remove everything a tuning drill made in ``lab`` (found by its tag): faults, servers, rules, target groups.

    Idempotent: a second call finds nothing and does nothing.
    """
    elb, ec2 = lab.client("elbv2"), lab.client("ec2")
    groups = [g for g, _tags in drill_target_groups(lab)]
    arns = {g["TargetGroupArn"] for g in groups}
    for lb_arn in {lb for g in groups for lb in g.get("LoadBalancerArns", [])}:
        for listener in paginate(elb, "describe_listeners", "Listeners", LoadBalancerArn=lb_arn):
            for rule in paginate(elb, "describe_rules", "Rules", ListenerArn=listener["ListenerArn"]):
                if not rule.get("IsDefault") and any(a.get("TargetGroupArn") in arns for a in rule.get("Actions", [])):
                    elb.delete_rule(RuleArn=rule["RuleArn"])
    live = ["pending", "running", "stopping", "stopped"]
    filters = lab.lab_filters() + [{"Name": f"tag:{DRILL_TAG}", "Values": [DRILL_KEY]},
                                   {"Name": "instance-state-name", "Values": live}]
    ids = [i["InstanceId"] for r in paginate(ec2, "describe_instances", "Reservations", Filters=filters)
           for i in r["Instances"]]
    _clear_faults(lab, ids)
    if ids:
        ec2.terminate_instances(InstanceIds=ids)
    for arn in arns:
        elb.delete_target_group(TargetGroupArn=arn)


def _clear_faults(lab: Lab, ids: list[str]) -> None:
    sim = simulator(lab) if ids else None
    for iid in ids if sim is not None else ():
        try:
            sim.clear(iid)
        except BackendError:
            pass  # the instance is already gone from the simulator

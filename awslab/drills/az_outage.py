"""The AZ outage drill: cut one Availability Zone off the network and watch the ALB and Auto Scaling route around it.

As AWS's Well-Architected reliability lab runs it (its ``fail_az`` script, :mod:`.nacl_isolation`), then
what AWS does, through the standard APIs:

1. a network ACL that denies all traffic in and out replaces the NACL of every subnet in the AZ;
2. the ALB's health checks to the AZ's targets get no answer: each times out (``Target.Timeout``) and after
   ``UnhealthyThresholdCount`` of them, one every ``HealthCheckIntervalSeconds``, the target is ``unhealthy``
   (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html);
   the ALB sends requests only to the healthy targets, in the other AZ, and DNS stops returning the AZ's node
   (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health.html);
3. Auto Scaling (``HealthCheckType`` ELB) marks each instance Unhealthy at its next health check after the grace
   period and replaces it. It launches where the group is thinnest, to keep the AZs balanced: **the same AZ**,
   where the replacement fails its checks too - unless the AZ's subnets were taken out of the group
   (``remove_subnets=True``), as the Well-Architected lab does; then it launches in the surviving AZ;
4. when the AZ comes back (:meth:`AzOutage.reset`), AZRebalance launches in the restored AZ first, then
   terminates one in the fuller AZ ("launches new instances before terminating the earlier ones, so that
   rebalancing does not compromise the performance or availability of your application":
   https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-benefits.html#AutoScalingBehavior.Rebalancing,
   https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-benefits.html#AutoScalingBehavior.InstanceUsage).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..errors import ValidationError
from ..i18n import _
from ..lab import Lab
from ..layers._base import Built
from ..sim.timeline import iso8601
from .failure import DrillError, _lab_groups
from .nacl_isolation import Isolation, find_isolations, isolate, nacl_of_subnets, restore, sim_or_wall_now
from .polling import poll_until
from .simulator import Simulator, simulator
from .story import Story, StoryLine, tell

__all__ = ["az_outage", "find_az_outage", "AzOutage", "AzOutageStatus", "AZ_OUTAGE_MILESTONES"]

#: How far an AZ outage has got, in order ("restored" and "rebalanced" only after :meth:`AzOutage.reset`).
AZ_OUTAGE_MILESTONES = ("isolated", "unhealthy", "replaced", "restored", "rebalanced")
_STAYING = ("InService", "Pending", "Pending:Wait", "Pending:Proceed")
_GONE = ("unhealthy", "draining", "unused", "deregistered")


@dataclass
class AzOutageStatus(Built):
    """Where the outage stands, read from ``describe-network-acls``, ``describe-auto-scaling-groups`` and
    ``describe-target-health``."""

    availability_zone: str
    isolated: bool  # every subnet of the AZ is on the drill's deny-all NACL
    restored: bool  # the drill's NACL is gone, every subnet has its NACL from before, the group its subnets
    desired: int
    in_service_by_az: dict[str, int]
    healthy_by_az: dict[str, int]
    group_azs: list[str]
    victims: dict[str, str] = field(default_factory=dict)  # instance in the AZ at the start -> its target state
    replacements: dict[str, str] = field(default_factory=dict)  # instance launched since -> its AZ
    settled: bool = True  # no instance Pending or Terminating
    _seen: frozenset = field(default=frozenset(), repr=False)

    @property
    def unhealthy(self) -> bool:
        """The ALB no longer routes to the AZ: none of its targets is healthy."""
        return self.healthy_by_az.get(self.availability_zone, 0) == 0 and \
            all(state in _GONE for state in self.victims.values())

    @property
    def replaced(self) -> bool:
        """Auto Scaling launched a replacement and it is in service (in which AZ: :attr:`replacements`)."""
        return bool(self.replacements)

    @property
    def replaced_elsewhere(self) -> bool:
        """A replacement is in service in another AZ than the one that failed."""
        return any(az != self.availability_zone for az in self.replacements.values())

    @property
    def rebalanced(self) -> bool:
        """Restored, at full strength, every target healthy and the AZs within one instance of each other."""
        counts = [self.in_service_by_az.get(z, 0) for z in self.group_azs]
        return (self.restored and self.settled and sum(counts) >= self.desired > 0
                and sum(self.healthy_by_az.values()) >= self.desired and bool(counts) and max(counts) - min(counts) <= 1)

    def reached(self, milestone: str) -> bool:
        """Reached now or earlier in this drill (a milestone, once passed, stays passed)."""
        return milestone in self._seen or bool(getattr(self, milestone))


@dataclass
class AzOutage(Built):
    """A running AZ outage: the drill's NACL, the AZ, the group, and how to follow and undo it."""

    availability_zone: str
    network_acl_id: str
    auto_scaling_group: str
    subnet_ids: list[str]
    remove_subnets: bool
    started_at: str
    how_on_aws: str
    milestones: tuple[str, ...] = AZ_OUTAGE_MILESTONES
    _lab: Any = field(default=None, repr=False)
    _sim: Simulator | None = field(default=None, repr=False)
    _iso: Isolation | None = field(default=None, repr=False)
    _victims: frozenset = field(default=frozenset(), repr=False)
    _members_before: frozenset = field(default=frozenset(), repr=False)
    _target_groups: tuple = field(default=(), repr=False)
    _steps: list = field(default_factory=list, repr=False)  # (time, resource, text): what the drill itself did
    _seen: set = field(default_factory=set, repr=False)
    _restored_at: float | None = field(default=None, repr=False)

    @property
    def began_at(self) -> datetime:
        """When the AZ was cut off, on the cloud's clock (compare it with AWS's timestamps)."""
        return datetime.fromtimestamp(self._iso.started_at, timezone.utc)

    def status(self) -> AzOutageStatus:
        """Read the AZ's NACLs, the group's members and its targets' health now (``describe_*`` calls only)."""
        lab, iso = self._lab, self._iso
        groups = lab.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[self.auto_scaling_group])["AutoScalingGroups"]
        group = groups[0] if groups else {"Instances": [], "DesiredCapacity": 0, "AvailabilityZones": []}
        members = {i["InstanceId"]: i for i in group["Instances"]}
        health = {d["Target"]["Id"]: d["TargetHealth"]["State"] for arn in self._target_groups
                  for d in lab.client("elbv2").describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]}
        in_service = {i: m for i, m in members.items() if m["LifecycleState"] == "InService"}
        by_az: dict[str, int] = {}
        healthy: dict[str, int] = {}
        for iid, m in in_service.items():
            by_az[m["AvailabilityZone"]] = by_az.get(m["AvailabilityZone"], 0) + 1
            if health.get(iid) == "healthy" or not self._target_groups:
                healthy[m["AvailabilityZone"]] = healthy.get(m["AvailabilityZone"], 0) + 1
        nacls = nacl_of_subnets(lab, self.subnet_ids)
        on_drill = [s for s in self.subnet_ids if nacls.get(s, ("", ""))[1] == self.network_acl_id]
        restored = (not on_drill and all(nacls.get(s, ("", a))[1] == a for s, a in iso.original.items())
                    and (not iso.group_subnets or group.get("VPCZoneIdentifier") == iso.group_subnets))
        status = AzOutageStatus(
            self.availability_zone, len(on_drill) == len(self.subnet_ids), restored and self._restored_at is not None,
            int(group["DesiredCapacity"]), by_az, healthy, sorted(group.get("AvailabilityZones", [])),
            {v: health.get(v, "deregistered") if v in members else "deregistered" for v in sorted(self._victims)},
            {i: m["AvailabilityZone"] for i, m in sorted(in_service.items()) if i not in self._members_before},
            all(m["LifecycleState"] in ("InService", "Standby") for m in members.values()), frozenset(self._seen))
        self._seen.update(m for m in self.milestones if getattr(status, m))
        return dataclasses.replace(status, _seen=frozenset(self._seen))

    def wait_until(self, milestone: str = "replaced", timeout_s: float = 180.0, fast_forward: bool | None = None,
                   step_s: float = 15.0, raise_on_timeout: bool = True) -> AzOutageStatus:
        """Poll :meth:`status` until ``milestone`` or ``timeout_s`` wall seconds (see :func:`~.polling.poll_until`).

        "restored" and "rebalanced" come only after :meth:`reset`.
        """
        if milestone not in self.milestones:
            raise ValidationError("milestone", milestone, _("an AZ outage reaches {milestones}, in that order").format(
                milestones=", ".join(self.milestones)), _("Use wait_until('unhealthy'), wait_until('replaced'), or after "
                                                          "reset(), wait_until('rebalanced')."))
        if milestone in ("restored", "rebalanced") and self._restored_at is None:
            raise DrillError(_("The AZ {az} is still cut off: it is restored only by reset().").format(
                az=self.availability_zone), _("Call drill.reset() first, then drill.wait_until('{milestone}').").format(
                milestone=milestone))
        status, _done = poll_until(self.status, lambda st: st.reached(milestone), timeout_s, self._sim, fast_forward,
                                   step_s)
        if not status.reached(milestone) and raise_on_timeout:
            raise DrillError(_("The AZ outage did not reach {milestone} within {seconds:g} s: in service by AZ "
                               "{in_service}, healthy by AZ {healthy}.").format(
                milestone=milestone, seconds=timeout_s, in_service=status.in_service_by_az, healthy=status.healthy_by_az),
                _("Give it more time (timeout_s=...), or fast_forward=True to move the simulated clock. Auto Scaling "
                  "waits for the group's health check grace period before it replaces an instance."))
        return status

    def story(self) -> Story:
        """What happened since the outage began, each step with its time, in AWS's words."""
        t0 = self._iso.started_at
        own = [StoryLine(t - t0, iso8601(t), "Auto Scaling" if resource == self.auto_scaling_group else "EC2",
                         resource, text, "", "drill_step") for t, resource, text in self._steps]
        if self._sim is not None:
            told = tell(self._sim.timeline(since=t0), t0, set(self._victims), self.auto_scaling_group,
                        set(self._target_groups)).lines
        else:
            told = _activities_story(self._lab, self.auto_scaling_group, t0, set(self._victims), set(self._target_groups))
        zones = self._zones()
        told = [dataclasses.replace(line, resource=f"{line.resource} ({zones[line.resource]})")
                if line.resource in zones else line for line in told]
        return Story(sorted(own + told, key=lambda line: line.offset_s))

    def _zones(self) -> dict[str, str]:
        """Instance id -> its AZ, for the instances the story names (describe-instances)."""
        ids = sorted(set(self._victims) | set(self.status().replacements))
        if not ids:
            return {}
        try:
            res = self._lab.client("ec2").describe_instances(InstanceIds=ids)["Reservations"]
        except Exception:  # an instance long gone: the story still tells, without AZs
            return {}
        return {i["InstanceId"]: i["Placement"]["AvailabilityZone"] for r in res for i in r["Instances"]}

    def reset(self) -> None:
        """Bring the AZ back: every subnet's NACL as it was, the AZ's subnets back in the group, the drill's NACL
        deleted. Harmless when done already. Then AZRebalance evens the group out (``wait_until('rebalanced')``)."""
        done = restore(self._lab, self._iso)
        if self._sim is not None:
            self._sim.settled()
        now = sim_or_wall_now(self._sim)
        self._steps += [(now, resource, text) for resource, text in done]
        if self._restored_at is None:
            self._restored_at = now


def _activities_story(lab: Lab, group: str, t0: float, ids: set[str], tgs: set[str]) -> list[StoryLine]:
    """Without a simulator (LocalStack, AWS): the group's scaling activities tell the story."""
    activities = lab.client("autoscaling").describe_scaling_activities(AutoScalingGroupName=group)["Activities"]
    events = [{"time": a["StartTime"].timestamp(), "iso": a["StartTime"].isoformat(), "component": "autoscaling",
               "resource": group, "event": "activity_started",
               "details": {"description": a["Description"], "cause": a.get("Cause", "")}} for a in reversed(activities)]
    return tell(events, t0, ids, group, tgs).lines


def _pick_group(lab: Lab) -> dict:
    groups = _lab_groups(lab)
    if not groups:
        raise DrillError(_("Lab {lab} has no Auto Scaling group.").format(lab=lab.name),
                         _("Build it first: lab.build() (or lab.build(until='autoscaling'))."))
    spread = [g for g in groups if len(set(g.get("AvailabilityZones", []))) >= 2]
    if not spread:
        raise DrillError(_("The Auto Scaling group {group} runs in one Availability Zone ({azs}), so an AZ outage takes "
                           "the whole service down.").format(group=groups[0]["AutoScalingGroupName"],
                                                             azs=", ".join(groups[0].get("AvailabilityZones", []))),
                         _("Give the group a subnet in a second AZ: aws autoscaling update-auto-scaling-group "
                           "--vpc-zone-identifier subnet-a,subnet-b (one private subnet per AZ)."))
    return spread[0]


def _pick_az(group: dict, az: str | None) -> str:
    zones = sorted(set(group.get("AvailabilityZones", [])))
    if az is None:
        busy = sorted({i["AvailabilityZone"] for i in group["Instances"] if i["LifecycleState"] == "InService"})
        return (busy or zones)[0]
    if az not in zones:
        raise ValidationError("az", az, _("the group {group} runs in {azs}").format(
            group=group["AutoScalingGroupName"], azs=", ".join(zones)),
            _("Pick one of the group's Availability Zones, for example az='{example}'.").format(example=zones[0]))
    return az


def _vpc_of(lab: Lab, group: dict) -> str:
    subnet = (group.get("VPCZoneIdentifier") or "").split(",")[0].strip()
    if not subnet:
        raise DrillError(_("The Auto Scaling group {group} has no subnets (VPCZoneIdentifier is empty).").format(
            group=group["AutoScalingGroupName"]), _("Launch the group into the lab's private subnets, one per AZ."))
    return lab.client("ec2").describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]


def _refuse_running(lab: Lab, vpc_id: str, az: str) -> None:
    for iso in find_isolations(lab, vpc_id):
        raise DrillError(_("An AZ outage is already running: {running} is cut off by network ACL {acl}, so {az} "
                           "stays as it is.").format(running=iso.availability_zone, acl=iso.network_acl_id, az=az),
                         _("Follow it, or end it first: awslab.drills.find_az_outage(lab).reset()."))


def _how_on_aws(vpc_id: str, az: str, remove: bool) -> str:
    text = _("aws ec2 create-network-acl --vpc-id {vpc}; aws ec2 create-network-acl-entry ... --rule-action deny "
             "(in and out); aws ec2 replace-network-acl-association for every subnet in {az}").format(vpc=vpc_id, az=az)
    if remove:
        text += _("; aws autoscaling update-auto-scaling-group --vpc-zone-identifier <the other AZs' subnets>")
    return text


def az_outage(lab: Lab, az: str | None = None, remove_subnets: bool = False) -> AzOutage:
    """Cut ``az`` (default: the first AZ the group serves from) off the network; returns the running drill.

    ``remove_subnets=True`` also takes the AZ's subnets out of the Auto Scaling group, as the Well-Architected
    lab does, so replacements launch in the surviving AZ. Refused, before anything changes, when the lab has no
    Auto Scaling group across two AZs, ``az`` is not one of them, or an outage is already running.
    """
    group = _pick_group(lab)
    zone = _pick_az(group, az)
    vpc_id = _vpc_of(lab, group)
    _refuse_running(lab, vpc_id, zone)
    sim = simulator(lab)
    t0 = sim_or_wall_now(sim)
    iso = isolate(lab, group, vpc_id, zone, bool(remove_subnets), t0)
    if sim is not None:
        sim.settled()  # the cut takes effect at t0 in the traffic too, however busy the machine
    victims = frozenset(i["InstanceId"] for i in group["Instances"]
                        if i["AvailabilityZone"] == zone and i["LifecycleState"] in _STAYING)
    steps = [(t0, iso.network_acl_id, _("CreateNetworkAcl + 2 entries: deny all traffic in and out"))]
    if iso.group_subnets:
        steps.append((t0, group["AutoScalingGroupName"], _("UpdateAutoScalingGroup: the subnets of {az} taken out of "
                                                           "the group").format(az=zone)))
    steps += [(t0, sid, _("ReplaceNetworkAclAssociation: {subnet} -> {acl} (was {old})").format(
        subnet=sid, acl=iso.network_acl_id, old=iso.original.get(sid, "-"))) for sid in iso.subnet_ids]
    return AzOutage(zone, iso.network_acl_id, group["AutoScalingGroupName"], iso.subnet_ids, bool(iso.group_subnets),
                    iso8601(t0), _how_on_aws(vpc_id, zone, bool(remove_subnets)), _lab=lab, _sim=sim, _iso=iso,
                    _victims=victims, _members_before=frozenset(i["InstanceId"] for i in group["Instances"]),
                    _target_groups=tuple(group.get("TargetGroupARNs", [])), _steps=steps)


def find_az_outage(lab: Lab) -> AzOutage | None:
    """The AZ outage running in ``lab``, rebuilt from its NACL's tags (a fresh kernel can follow or reset it), or None."""
    found = find_isolations(lab)
    if not found:
        return None
    iso = found[0]
    groups = lab.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[iso.auto_scaling_group])["AutoScalingGroups"]
    members = groups[0]["Instances"] if groups else []
    victims = frozenset(i["InstanceId"] for i in members if i["AvailabilityZone"] == iso.availability_zone)
    return AzOutage(iso.availability_zone, iso.network_acl_id, iso.auto_scaling_group, iso.subnet_ids,
                    bool(iso.group_subnets), iso8601(iso.started_at), _how_on_aws(iso.vpc_id, iso.availability_zone,
                                                                                bool(iso.group_subnets)),
                    _lab=lab, _sim=simulator(lab), _iso=iso, _victims=victims,
                    _members_before=frozenset(i["InstanceId"] for i in members),
                    _target_groups=tuple(groups[0].get("TargetGroupARNs", []) if groups else ()))

"""Cutting an Availability Zone off with a network ACL, as AWS's Well-Architected reliability lab does it.

The lab "Test Resiliency Using Failure Injection" simulates the loss of an AZ with its ``fail_az``
script (https://www.wellarchitectedlabs.com/reliability/300_labs/300_testing_for_resiliency_of_ec2_rds_and_s3/):

1. note which network ACL each of the AZ's subnets uses now (to put it back afterwards);
2. create a network ACL in the VPC and add two entries that deny all traffic, every protocol, every
   address: outbound rule 100 and inbound rule 101 (a custom NACL's ``*`` rules deny as well:
   https://docs.aws.amazon.com/vpc/latest/userguide/custom-network-acl.html);
3. replace the association of every subnet in the AZ (public, app and database tiers) with it
   (``ReplaceNetworkAclAssociation``: a subnet always has exactly one NACL);
4. optionally take the AZ's subnets out of the Auto Scaling group (``UpdateAutoScalingGroup
   --vpc-zone-identifier``): "in a real AZ failure ASG would not put new instances into this AZ".

Restoring is the same steps backwards. What the drill changed is written in tags on the drill's own
NACL, so a fresh notebook kernel (or another process) can find and undo it: :func:`find_isolations`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..i18n import _
from ..lab import Lab
from ..layers._base import Built, tag_spec

__all__ = ["Isolation", "isolate", "restore", "find_isolations", "az_subnets", "nacl_of_subnets", "denies_all",
           "DRILL_TAG", "DRILL_NAME", "DENY_ALL_ENTRIES"]

DRILL_TAG = "awslab:drill"
DRILL_NAME = "az-outage"
AZ_TAG = "awslab:az-outage:az"
GROUP_TAG = "awslab:az-outage:group"
#: The group's VPCZoneIdentifier before the drill took the AZ's subnets out ("" when it did not).
GROUP_SUBNETS_TAG = "awslab:az-outage:group-subnets"
STARTED_TAG = "awslab:az-outage:started"
#: One tag per isolated subnet: ``awslab:restore:<subnet id>`` = the NACL it had before.
RESTORE_PREFIX = "awslab:restore:"
#: The Well-Architected lab's entries: deny everything out (rule 100) and in (rule 101).
DENY_ALL_ENTRIES = ({"Egress": True, "RuleNumber": 100}, {"Egress": False, "RuleNumber": 101})


@dataclass
class Isolation(Built):
    """One AZ cut off: the drill's NACL, the subnets it holds, and what they had before."""

    network_acl_id: str
    vpc_id: str
    availability_zone: str
    auto_scaling_group: str
    subnet_ids: list[str]
    original: dict[str, str] = field(default_factory=dict)  # subnet id -> its NACL before the drill
    group_subnets: str = ""  # the group's VPCZoneIdentifier before the drill removed the AZ ("" = untouched)
    started_at: float = 0.0


def az_subnets(lab: Lab, vpc_id: str, az: str) -> list[str]:
    """Every subnet of the VPC in ``az`` (every tier: the fail_az script takes them all)."""
    subnets = lab.client("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                          {"Name": "availability-zone", "Values": [az]}])["Subnets"]
    return sorted(s["SubnetId"] for s in subnets)


def nacl_of_subnets(lab: Lab, subnet_ids: list[str]) -> dict[str, tuple[str, str]]:
    """``{subnet id: (association id, network ACL id)}`` from ``describe-network-acls``."""
    acls = lab.client("ec2").describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": list(subnet_ids)}])["NetworkAcls"]
    return {a["SubnetId"]: (a["NetworkAclAssociationId"], acl["NetworkAclId"])
            for acl in acls for a in acl.get("Associations", []) if a.get("SubnetId") in subnet_ids}


def denies_all(acl: dict) -> bool:
    """Does this ``describe-network-acls`` item deny every packet, in and out?

    True when, in each direction, the first entry (lowest rule number) that matches all traffic
    (protocol -1, 0.0.0.0/0) denies, and no lower-numbered entry allows anything.
    """
    for egress in (True, False):
        entries = sorted((e for e in acl.get("Entries", []) if bool(e.get("Egress")) == egress),
                         key=lambda e: e["RuleNumber"])
        for e in entries:
            if e["RuleAction"] == "allow":
                return False
            if str(e.get("Protocol")) == "-1" and e.get("CidrBlock") == "0.0.0.0/0":
                break
        else:
            return False
    return True


def _tags(lab: Lab, az: str, group: str, original: dict[str, str], group_subnets: str, started_at: float) -> list[dict]:
    tags = lab.tags(lab.resource_name(f"az-outage-{az}"), "drill", **{DRILL_TAG: DRILL_NAME, AZ_TAG: az, GROUP_TAG: group,
                                                                      STARTED_TAG: f"{started_at:.3f}"})
    if group_subnets:
        tags.append({"Key": GROUP_SUBNETS_TAG, "Value": group_subnets})
    return tags + [{"Key": RESTORE_PREFIX + sid, "Value": acl} for sid, acl in sorted(original.items())]


def isolate(lab: Lab, group: dict, vpc_id: str, az: str, remove_subnets: bool, started_at: float) -> Isolation:
    """Steps 1-4 above; the drill's NACL carries, in tags, everything :func:`restore` needs."""
    ec2 = lab.client("ec2")
    subnets = az_subnets(lab, vpc_id, az)
    before = nacl_of_subnets(lab, subnets)
    original = {sid: acl for sid, (_assoc, acl) in before.items()}
    zone_ids = [s.strip() for s in (group.get("VPCZoneIdentifier") or "").split(",") if s.strip()]
    keep = [s for s in zone_ids if s not in subnets]
    group_subnets = ",".join(zone_ids) if remove_subnets and len(keep) < len(zone_ids) else ""
    acl_id = ec2.create_network_acl(VpcId=vpc_id, TagSpecifications=tag_spec(
        _tags(lab, az, group["AutoScalingGroupName"], original, group_subnets, started_at), "network-acl")
    )["NetworkAcl"]["NetworkAclId"]
    for entry in DENY_ALL_ENTRIES:
        ec2.create_network_acl_entry(NetworkAclId=acl_id, CidrBlock="0.0.0.0/0", Protocol="-1", RuleAction="deny",
                                     PortRange={"From": 0, "To": 65535}, **entry)
    if group_subnets:
        lab.client("autoscaling").update_auto_scaling_group(AutoScalingGroupName=group["AutoScalingGroupName"],
                                                            VPCZoneIdentifier=",".join(keep))
    for sid, (assoc, _acl) in sorted(before.items()):
        ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl_id)
    return Isolation(acl_id, vpc_id, az, group["AutoScalingGroupName"], subnets, original, group_subnets, started_at)


def _from_tags(acl: dict) -> Isolation:
    tags = {t["Key"]: t["Value"] for t in acl.get("Tags", [])}
    original = {k[len(RESTORE_PREFIX):]: v for k, v in tags.items() if k.startswith(RESTORE_PREFIX)}
    return Isolation(acl["NetworkAclId"], acl["VpcId"], tags.get(AZ_TAG, ""), tags.get(GROUP_TAG, ""), sorted(original),
                     original, tags.get(GROUP_SUBNETS_TAG, ""), float(tags.get(STARTED_TAG) or 0.0))


def find_isolations(lab: Lab, vpc_id: str | None = None) -> list[Isolation]:
    """Every AZ outage of this lab still in place, read back from its NACL's tags (works from a fresh kernel)."""
    filters = lab.lab_filters() + [{"Name": f"tag:{DRILL_TAG}", "Values": [DRILL_NAME]}]
    if vpc_id:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    acls = lab.client("ec2").describe_network_acls(Filters=filters)["NetworkAcls"]
    return [_from_tags(a) for a in acls]


def restore(lab: Lab, iso: Isolation) -> list[tuple[str, str]]:
    """Put every subnet back on its original NACL, the AZ's subnets back in the group, delete the drill's NACL.

    Harmless when done already. Returns what it did: (resource, step in AWS's API names), one per call.
    """
    ec2, done = lab.client("ec2"), []
    acls = {a["NetworkAclId"]: a for a in ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [iso.vpc_id]}])["NetworkAcls"]}
    default = next((i for i, a in acls.items() if a.get("IsDefault")), None)
    now = nacl_of_subnets(lab, iso.subnet_ids)
    for sid in iso.subnet_ids:
        assoc, current = now.get(sid, (None, None))
        if assoc is None or current != iso.network_acl_id:
            continue  # the subnet is gone, or someone already moved it
        target = iso.original.get(sid) if iso.original.get(sid) in acls else default
        ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=target)
        done.append((sid, _("ReplaceNetworkAclAssociation: {subnet} -> {acl}").format(subnet=sid, acl=target)))
    if iso.group_subnets:
        done += _restore_group(lab, iso)
    if iso.network_acl_id in acls:
        ec2.delete_network_acl(NetworkAclId=iso.network_acl_id)
        done.append((iso.network_acl_id, _("DeleteNetworkAcl: {acl}").format(acl=iso.network_acl_id)))
    return done


def _restore_group(lab: Lab, iso: Isolation) -> list[tuple[str, str]]:
    asg = lab.client("autoscaling")
    groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[iso.auto_scaling_group])["AutoScalingGroups"]
    if not groups or groups[0].get("VPCZoneIdentifier") == iso.group_subnets:
        return []
    asg.update_auto_scaling_group(AutoScalingGroupName=iso.auto_scaling_group, VPCZoneIdentifier=iso.group_subnets)
    return [(iso.auto_scaling_group, _("UpdateAutoScalingGroup: VPCZoneIdentifier={subnets} (the AZ's subnets are back)"
                                       ).format(subnets=iso.group_subnets))]


def sim_or_wall_now(sim: Any) -> float:
    """The cloud's simulated time when there is a simulator, else the wall clock (AWS's timestamps are real there)."""
    return sim.now() if sim is not None else time.time()

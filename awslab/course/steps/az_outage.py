"""Lab 14's catch-up steps: the drill's network ACL, cutting AZ a off, the group without it, and putting it all back.

Each step acts only when its task's check does not pass yet, so what a student did stays as it is; once task 14.4
has undone the outage, the steps of 14.1-14.3 are retired (they would cut AZ a off again).
"""
from __future__ import annotations

from typing import Any

from ..prepare import step


def _over(lab: Any) -> bool:
    """Task 14.4 undid tasks 14.1-14.3 on purpose: their steps build nothing back."""
    from ...checks.az_outage import outage_over

    return outage_over(lab)

__all__: list[str] = []


def _passed(task_id: str, lab: Any) -> bool:
    from ...checks.registry import run_check

    return run_check(task_id, lab).passed


def _nacl(lab: Any) -> dict:
    """The drill's NACL ``<lab>-az-outage`` with its two deny entries (created, or completed, as task 14.1 asks)."""
    from ...checks.az_outage import OUTAGE_NACL, deny_entries_missing, the_nacl, the_vpc
    from ...checks.registry import Unmet
    from ...drills.nacl_isolation import DENY_ALL_ENTRIES

    ec2, vpc = lab.client("ec2"), the_vpc(lab)
    try:
        acl = the_nacl(lab, vpc)
    except Unmet:
        acl = ec2.create_network_acl(VpcId=vpc["VpcId"], TagSpecifications=lab.tag_spec(
            "network-acl", lab.resource_name(OUTAGE_NACL)))["NetworkAcl"]
    for entry in DENY_ALL_ENTRIES:
        if entry["Egress"] in deny_entries_missing(acl):
            ec2.create_network_acl_entry(NetworkAclId=acl["NetworkAclId"], CidrBlock="0.0.0.0/0", Protocol="-1",
                                         RuleAction="deny", PortRange={"From": 0, "To": 65535}, **entry)
    return {"network_acl": acl["NetworkAclId"], "vpc": vpc["VpcId"]}


@step("14.1", retired=_over)
def _deny_all(lab: Any, resources: dict) -> dict:
    return _nacl(lab)


@step("14.2", retired=_over)
def _cut_off(lab: Any, resources: dict) -> dict:
    from ...checks.az_outage import lab_subnets, outage_az
    from ...drills.nacl_isolation import nacl_of_subnets

    found = _nacl(lab)
    az = outage_az(lab)
    if not _passed("14.2", lab):
        inside = [s["SubnetId"] for s in lab_subnets(lab) if s["AvailabilityZone"] == az]
        for sid, (assoc, acl) in sorted(nacl_of_subnets(lab, inside).items()):
            if acl != found["network_acl"]:
                lab.client("ec2").replace_network_acl_association(AssociationId=assoc, NetworkAclId=found["network_acl"])
    return {**found, "az": az}


@step("14.3", retired=_over)
def _out_of_group(lab: Any, resources: dict) -> dict:
    from ...checks.az_outage import lab_subnets, outage_az, the_group

    group, az = the_group(lab), outage_az(lab)
    if not _passed("14.3", lab):
        other = {s["SubnetId"] for s in lab_subnets(lab) if s["AvailabilityZone"] != az}
        keep = [s for s in (group.get("VPCZoneIdentifier") or "").split(",") if s.strip() in other]
        lab.client("autoscaling").update_auto_scaling_group(AutoScalingGroupName=group["AutoScalingGroupName"],
                                                            VPCZoneIdentifier=",".join(keep))
    return {"group": group["AutoScalingGroupName"], "az": az}


@step("14.4")
def _restored(lab: Any, resources: dict) -> dict:
    from ...checks.az_outage import OUTAGE_NACL, lab_subnets, the_group, the_vpc
    from ...checks.probes import name_of, tags_of
    from ...drills.nacl_isolation import nacl_of_subnets

    ec2, vpc, group = lab.client("ec2"), the_vpc(lab), the_group(lab)
    if not _passed("14.4", lab):
        subnets = lab_subnets(lab)
        acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["NetworkAcls"]
        default = next(a["NetworkAclId"] for a in acls if a.get("IsDefault"))
        drill = {a["NetworkAclId"] for a in acls if name_of(a) == lab.resource_name(OUTAGE_NACL)}
        for sid, (assoc, acl) in sorted(nacl_of_subnets(lab, [s["SubnetId"] for s in subnets]).items()):
            if acl in drill:
                ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=default)
        for acl in sorted(drill):
            ec2.delete_network_acl(NetworkAclId=acl)
        private = sorted((s["AvailabilityZone"], s["SubnetId"]) for s in subnets
                         if tags_of(s).get("awslab:tier") == "private")
        lab.client("autoscaling").update_auto_scaling_group(AutoScalingGroupName=group["AutoScalingGroupName"],
                                                            VPCZoneIdentifier=",".join(sid for _az, sid in private))
    return {"group": group["AutoScalingGroupName"]}

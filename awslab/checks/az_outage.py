"""Lab 14, the AZ outage drill: a network ACL that cuts Availability Zone a off, and Auto Scaling around it.

As AWS's Well-Architected reliability lab simulates an AZ failure (its ``fail_az`` script): a network ACL whose
entries deny all traffic in (rule 101) and out (rule 100), associated with every subnet of the AZ, and the AZ's
subnets taken out of the Auto Scaling group; then everything put back.
https://www.wellarchitectedlabs.com/reliability/300_labs/300_testing_for_resiliency_of_ec2_rds_and_s3/

- Network ACLs are stateless and act at the subnet's edge; rules are evaluated lowest number first and the first
  match decides: https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html
- A subnet is associated with exactly one network ACL; ``ReplaceNetworkAclAssociation`` moves it:
  https://docs.aws.amazon.com/vpc/latest/userguide/network-acls.html
"""
from __future__ import annotations

from typing import Any

from ..drills.nacl_isolation import denies_all
from ..i18n import N_, _
from .probes import label, lab_items, name_of, pages, tags_of
from .registry import not_yet, ok, question, task

__all__ = ["OUTAGE_NACL", "the_vpc", "outage_az", "the_nacl", "lab_subnets", "deny_entries_missing", "outage_over"]

#: The drill NACL's Name: ``<lab>-az-outage``.
OUTAGE_NACL = "az-outage"


def the_vpc(lab: Any) -> dict:
    vpcs = lab_items(lab, "describe_vpcs", "Vpcs")
    if not vpcs:
        raise not_yet(_("Lab {lab} has no VPC: the lab's first cell builds the architecture.").format(lab=lab.name),
                      _("Run the lab's first cell again: lab = start(\"14\")."))
    return vpcs[0]


def lab_subnets(lab: Any) -> list[dict]:
    """The lab's subnets (every tier), as describe-subnets shows them."""
    return lab_items(lab, "describe_subnets", "Subnets")


def outage_az(lab: Any) -> str:
    """The AZ the drill cuts off: the first of the lab's Availability Zones (AZ a)."""
    zones = sorted({s["AvailabilityZone"] for s in lab_subnets(lab)})
    if len(zones) < 2:
        raise not_yet(_("Lab {lab} has subnets in {n} Availability Zone(s); the drill needs two.").format(
            lab=lab.name, n=len(zones)), _("Run the lab's first cell again: lab = start(\"14\")."))
    return zones[0]


def the_nacl(lab: Any, vpc: dict) -> dict:
    """The network ACL named ``<lab>-az-outage`` in the lab's VPC, or a not-yet saying what is wrong."""
    name = lab.resource_name(OUTAGE_NACL)
    found = [a for a in pages(lab.client("ec2"), "describe_network_acls", "NetworkAcls",
                              Filters=[{"Name": "tag:Name", "Values": [name]}]) if name_of(a) == name]
    create = (f"aws ec2 create-network-acl --vpc-id {vpc['VpcId']} --tag-specifications "
              f"'ResourceType=network-acl,Tags=[{{Key=Name,Value={name}}}]'")
    if not found:
        raise not_yet(_("There is no network ACL named {name}.").format(name=name), create)
    elsewhere = [a for a in found if a["VpcId"] != vpc["VpcId"]]
    if len(elsewhere) == len(found):
        raise not_yet(_("{acl} is in {other}, not in the lab's VPC {vpc}: a network ACL only acts on subnets of its own "
                        "VPC.").format(acl=label(found[0]["NetworkAclId"], name), other=found[0]["VpcId"],
                                       vpc=vpc["VpcId"]), create)
    mine = [a for a in found if a["VpcId"] == vpc["VpcId"]]
    if len(mine) > 1:
        extra = mine[1]["NetworkAclId"]
        raise not_yet(_("There are {n} network ACLs named {name} in the VPC (the cell ran twice?): keep one.").format(
            n=len(mine), name=name), f"aws ec2 delete-network-acl --network-acl-id {extra}")
    return mine[0]


def deny_entries_missing(acl: dict) -> list[bool]:
    """The directions (``Egress`` True/False) without an explicit deny-all entry of their own (protocol -1,
    0.0.0.0/0, a rule number below AWS's ``*`` rule)."""
    missing = []
    for egress in (True, False):
        if not any(e["RuleAction"] == "deny" and str(e.get("Protocol")) == "-1" and e.get("CidrBlock") == "0.0.0.0/0"
                   and e["RuleNumber"] < 32767 and bool(e.get("Egress")) == egress for e in acl.get("Entries", [])):
            missing.append(egress)
    return missing


def _entry_fix(acl_id: str, egress: bool) -> str:
    rule, flag = (100, "--egress") if egress else (101, "--ingress")
    return (f"aws ec2 create-network-acl-entry --network-acl-id {acl_id} {flag} --rule-number {rule} "
            "--protocol -1 --cidr-block 0.0.0.0/0 --rule-action deny")


@task("14.1", N_("Create a network ACL that denies all traffic in and out"))
def deny_all_nacl(lab: Any) -> Any:
    vpc = the_vpc(lab)
    acl = the_nacl(lab, vpc)
    acl_id = acl["NetworkAclId"]
    allows = [e for e in acl.get("Entries", []) if e["RuleAction"] == "allow"]
    if allows:
        e = allows[0]
        raise not_yet(_("{acl} has an allow entry: {direction} rule {rule} allows {cidr}. The drill's NACL must let nothing "
                        "through.").format(acl=acl_id, direction=_("outbound") if e.get("Egress") else _("inbound"),
                                           rule=e["RuleNumber"], cidr=e.get("CidrBlock")),
                      f"aws ec2 delete-network-acl-entry --network-acl-id {acl_id} "
                      f"{'--egress' if e.get('Egress') else '--ingress'} --rule-number {e['RuleNumber']}")
    missing = deny_entries_missing(acl)
    if missing:
        raise not_yet(_("{acl} has no explicit {direction} entry that denies all traffic (protocol -1, 0.0.0.0/0). The "
                        "'*' rule of a new NACL denies too, but the Well-Architected lab writes its two deny entries out, "
                        "so that anyone reading the NACL sees what it is for.").format(
            acl=acl_id, direction=_("outbound") if missing[0] else _("inbound")), _entry_fix(acl_id, missing[0]))
    if not denies_all(acl):
        raise not_yet(_("{acl} does not deny every packet in both directions.").format(acl=acl_id), _entry_fix(acl_id, True))
    return ok(_("{acl}: denies all traffic in and out (explicit deny entries, and AWS's '*' rules).").format(
        acl=label(acl_id, name_of(acl))), [acl_id])


def _associated(lab: Any, subnet_ids: list[str]) -> dict[str, tuple[str, str]]:
    acls = lab.client("ec2").describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": subnet_ids}])["NetworkAcls"] if subnet_ids else []
    return {a["SubnetId"]: (a["NetworkAclAssociationId"], acl["NetworkAclId"])
            for acl in acls for a in acl.get("Associations", []) if a.get("SubnetId") in subnet_ids}


@task("14.2", N_("Associate it with every subnet of Availability Zone a"))
def az_cut_off(lab: Any) -> Any:
    vpc, az = the_vpc(lab), outage_az(lab)
    acl = the_nacl(lab, vpc)
    subnets = lab_subnets(lab)
    now = _associated(lab, [s["SubnetId"] for s in subnets])
    inside = [s for s in subnets if s["AvailabilityZone"] == az]
    outside = [s for s in subnets if s["AvailabilityZone"] != az and now.get(s["SubnetId"], ("", ""))[1] == acl["NetworkAclId"]]
    if outside:
        s = outside[0]
        raise not_yet(_("{subnet} is in {other}, not in {az}: with the deny-all NACL on it, that AZ is cut off too and the "
                        "whole service goes down.").format(subnet=label(s["SubnetId"], name_of(s)),
                                                             other=s["AvailabilityZone"], az=az),
                      _("Put it back on the VPC's default network ACL: aws ec2 replace-network-acl-association "
                        "--association-id {assoc} --network-acl-id <the default NACL>").format(assoc=now[s["SubnetId"]][0]))
    left = [s for s in inside if now.get(s["SubnetId"], ("", ""))[1] != acl["NetworkAclId"]]
    if left:
        s = left[0]
        assoc = now.get(s["SubnetId"], ("<association id>", ""))[0]
        raise not_yet(_("{n} of the {total} subnets in {az} still use another network ACL, for example {subnet} ({tier}). "
                        "An AZ outage takes every tier: public, app and database.").format(
            n=len(left), total=len(inside), az=az, subnet=label(s["SubnetId"], name_of(s)),
            tier=tags_of(s).get("awslab:tier", "?")),
            f"aws ec2 replace-network-acl-association --association-id {assoc} --network-acl-id {acl['NetworkAclId']}")
    if not denies_all(acl):
        raise not_yet(_("{acl} holds the subnets of {az} but lets traffic through: finish task 14.1 first.").format(
            acl=acl["NetworkAclId"], az=az), _entry_fix(acl["NetworkAclId"], True))
    return ok(_("{az} is cut off: its {n} subnets use {acl}, which denies all traffic.").format(
        az=az, n=len(inside), acl=acl["NetworkAclId"]), [s["SubnetId"] for s in inside])


def the_group(lab: Any) -> dict:
    name = lab.resource_name("asg")
    groups = lab.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    if not groups:
        raise not_yet(_("There is no Auto Scaling group named {name}: the lab's first cell builds it.").format(name=name),
                      _("Run the lab's first cell again: lab = start(\"14\")."))
    return groups[0]


def _group_subnets(group: dict) -> list[str]:
    return [s.strip() for s in (group.get("VPCZoneIdentifier") or "").split(",") if s.strip()]


@task("14.3", N_("Take AZ a's subnets out of the Auto Scaling group"))
def az_out_of_group(lab: Any) -> Any:
    group, az = the_group(lab), outage_az(lab)
    name = group["AutoScalingGroupName"]
    by_id = {s["SubnetId"]: s for s in lab_subnets(lab)}
    mine = _group_subnets(group)
    keep = [s for s in mine if by_id.get(s, {}).get("AvailabilityZone") != az]
    if not keep:
        raise not_yet(_("{group} has no subnet outside {az} left: it could launch nowhere. Keep the private subnet of the "
                        "other AZ.").format(group=name, az=az),
                      f"aws autoscaling update-auto-scaling-group --auto-scaling-group-name {name} "
                      "--vpc-zone-identifier <the other AZ's private subnet>")
    if len(keep) < len(mine):
        raise not_yet(_("{group} still launches into {az} (VPCZoneIdentifier {subnets}): a replacement there fails its "
                        "health checks like the instance it replaces.").format(
            group=name, az=az, subnets=group.get("VPCZoneIdentifier")),
            f"aws autoscaling update-auto-scaling-group --auto-scaling-group-name {name} "
            f"--vpc-zone-identifier {','.join(keep)}")
    return ok(_("{group} launches only into {azs} now.").format(group=name, azs=", ".join(group["AvailabilityZones"])),
              keep)


def outage_over(lab: Any) -> bool:
    """Did the outage run and end? Task 14.4's state (nothing cut off, the group in every AZ) looks like the state
    before task 14.1; what tells them apart is Auto Scaling's record of an instance of AZ a it replaced on an ELB
    health check (``describe-scaling-activities``)."""
    from .registry import run_check

    if not run_check("14.4", lab).passed:
        return False
    az, name = outage_az(lab), lab.resource_name("asg")
    return any(a["Description"].startswith("Terminating") and "ELB system health check failure" in a.get("Cause", "")
               and az in a.get("Details", "") for a in pages(lab.client("autoscaling"), "describe_scaling_activities",
                                                             "Activities", AutoScalingGroupName=name))


@task("14.4", N_("Bring AZ a back: restore the network ACLs and the group's subnets"))
def az_restored(lab: Any) -> Any:
    vpc, group = the_vpc(lab), the_group(lab)
    subnets = lab_subnets(lab)
    now = _associated(lab, [s["SubnetId"] for s in subnets])
    acls = {a["NetworkAclId"]: a for a in pages(lab.client("ec2"), "describe_network_acls", "NetworkAcls",
                                                Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])}
    default = next((i for i, a in acls.items() if a.get("IsDefault")), "<the default NACL>")
    cut = [s for s in subnets if denies_all(acls.get(now.get(s["SubnetId"], ("", ""))[1], {}))]
    if cut:
        s = cut[0]
        raise not_yet(_("{n} subnet(s) still use a network ACL that denies all traffic, for example {subnet}.").format(
            n=len(cut), subnet=label(s["SubnetId"], name_of(s))),
            f"aws ec2 replace-network-acl-association --association-id {now[s['SubnetId']][0]} --network-acl-id {default}")
    name = lab.resource_name(OUTAGE_NACL)
    left = [a for a in acls.values() if name_of(a) == name]
    if left:
        raise not_yet(_("{acl} holds no subnet any more: delete it, as the Well-Architected lab does.").format(
            acl=label(left[0]["NetworkAclId"], name)), f"aws ec2 delete-network-acl --network-acl-id {left[0]['NetworkAclId']}")
    zones = {s["AvailabilityZone"] for s in subnets}
    by_id = {s["SubnetId"]: s for s in subnets}
    served = {by_id[s]["AvailabilityZone"] for s in _group_subnets(group) if s in by_id}
    if served != zones:
        private = sorted(s["SubnetId"] for s in subnets if tags_of(s).get("awslab:tier") == "private")
        raise not_yet(_("{group} launches into {served} only; the lab's AZs are {zones}.").format(
            group=group["AutoScalingGroupName"], served=", ".join(sorted(served)), zones=", ".join(sorted(zones))),
            f"aws autoscaling update-auto-scaling-group --auto-scaling-group-name {group['AutoScalingGroupName']} "
            f"--vpc-zone-identifier {','.join(private)}")
    return ok(_("Every subnet is back on its network ACL, the drill's NACL is gone, and {group} launches into {zones} "
                "again.").format(group=group["AutoScalingGroupName"], zones=", ".join(sorted(zones))),
              [group["AutoScalingGroupName"]])


question("14.q1", N_("Why does the drill cut the AZ off with a network ACL and not by changing security groups?"),
         [N_("A network ACL acts on the whole subnet, stateless, in both directions, and can deny: every tier of the AZ "
             "(the ALB's node, the app servers, the database, the NAT gateway) loses its network at once, as in an AZ "
             "outage."),
          N_("Security groups cannot be changed while instances use them."),
          N_("A network ACL is faster: security group changes take minutes to apply."),
          N_("Security groups only apply to inbound traffic.")],
         answer=0,
         why=N_("A security group belongs to a network interface, only allows (it has no deny rule) and is stateful: "
                "replies to allowed traffic always pass. A network ACL belongs to the subnet, evaluates its rules in "
                "order including deny, and is stateless: both directions are checked. So one NACL per subnet models "
                "'this part of the data centre lost its network', which no set of security group rules can."),
         hints={1: N_("You changed security groups on running instances in lab 02: the change applies at once."),
                2: N_("Both take effect within seconds; the difference is what they can express and where they act."),
                3: N_("Security groups have outbound rules too (lab 02 left them at 'all traffic').")})

question("14.q2", N_("The seed's network has one NAT gateway, in AZ a. AZ a goes down. What happens to the app servers "
                     "in AZ b?"),
         [N_("Nothing: they keep serving users through the ALB and keep reaching the internet."),
          N_("They keep serving users through the ALB, but can no longer reach the internet (package updates, external "
             "APIs): their route table sends 0.0.0.0/0 to the NAT gateway in AZ a."),
          N_("They stop serving users: the ALB needs the NAT gateway to reach them."),
          N_("AWS moves the NAT gateway to AZ b automatically.")],
         answer=1,
         why=N_("A NAT gateway lives in one AZ. AWS: 'If you have resources in multiple Availability Zones and they share "
                "one NAT gateway, and if the NAT gateway's Availability Zone is down, resources in the other Availability "
                "Zones lose internet access. To improve resiliency, create a NAT gateway in each Availability Zone' "
                "(https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-basics.html). Users still reach AZ b "
                "through the ALB, whose nodes are in the public subnets."),
         hints={0: N_("Look at AZ b's private route table: where does 0.0.0.0/0 go?"),
                2: N_("The ALB reaches the app servers inside the VPC (the local route); the NAT gateway is only for "
                      "traffic out to the internet."),
                3: N_("A NAT gateway is zonal: AWS does not move it. One per AZ is the fix.")})

question("14.q3", N_("The group ran 1 instance in each AZ. After AZ a went down, users were served by one instance until "
                     "the replacement passed its checks. What would 'static stability' have meant here?"),
         [N_("Never changing the group's settings during an outage."),
          N_("Running enough instances in each AZ beforehand that the surviving AZ carries the full load on its own, so "
             "nothing has to be launched during the outage."),
          N_("Turning off Auto Scaling so that it cannot launch into the failed AZ."),
          N_("Keeping the instances' IP addresses fixed.")],
         answer=1,
         why=N_("AWS's Well-Architected reliability pillar (REL11-BP05, 'Use static stability to prevent bimodal "
                "behavior'): provision so that the workload keeps working through an AZ's loss without making changes, "
                "because launching capacity needs the control plane exactly when it is most stressed. With 2 AZs that "
                "means each AZ can carry 100 % of the load."),
         hints={0: N_("Not changing settings doesn't add capacity: one instance still carries everything."),
                2: N_("Auto Scaling's replacements are the recovery; static stability means not needing them to survive."),
                3: N_("Addresses are not the issue: capacity in the surviving AZ is.")})

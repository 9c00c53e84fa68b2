"""Lab 01, the network: the VPC, four subnets over two AZs, the internet gateway, the NAT gateway, routes.

Each check reads the cloud with describe calls, compares it with the lab's
plan and names the first thing that differs, with the command that fixes it.
"""
from __future__ import annotations

from typing import Any

from ..i18n import N_, _
from .probes import by_name, lab_items, label, name_of, pages, tags_of
from .registry import not_yet, ok, question, task

VPC_CIDR = "10.0.0.0/16"
#: (tier, AZ index) -> the subnet's CIDR in the lab's plan (the builder's defaults, awslab.layers.network).
PLAN = {("public", 0): "10.0.1.0/24", ("public", 1): "10.0.2.0/24",
        ("private", 0): "10.0.11.0/24", ("private", 1): "10.0.12.0/24"}


TIERS = (N_("public"), N_("private"))  # the words a message puts in {tier}


def _azs(lab: Any) -> list[str]:
    zones = lab.client("ec2").describe_availability_zones()["AvailabilityZones"]
    return sorted(z["ZoneName"] for z in zones if z.get("State", "available") == "available")[:2]


def the_vpc(lab: Any) -> dict:
    """The lab's VPC (task 01.1's), or a not-yet that says to do 01.1 first."""
    found = by_name(lab_items(lab, "describe_vpcs", "Vpcs"), f"{lab.name}-vpc")
    if len(found) != 1:
        raise not_yet(_("Task 01.1 is not done yet: this needs the VPC {name}.").format(name=f"{lab.name}-vpc"),
                      _("Do task 01.1 first, then run this check again."))
    return found[0]


@task("01.1", N_("Create the VPC"))
def vpc(lab: Any) -> Any:
    ec2 = lab.client("ec2")
    name = f"{lab.name}-vpc"
    mine = lab_items(lab, "describe_vpcs", "Vpcs")
    named = by_name(mine, name)
    if not named:
        untagged = [v for v in pages(ec2, "describe_vpcs", "Vpcs")
                    if v.get("CidrBlock") == VPC_CIDR and tags_of(v).get("awslab:lab") != lab.name and not v.get("IsDefault")]
        if untagged:
            v = untagged[0]
            raise not_yet(
                _("{vpc} has the lab's CIDR but not both of the lab's tags (Name={name}, awslab:lab={lab}), so nothing "
                  "in the lab can find it.").format(vpc=label(v["VpcId"], name_of(v)), name=name, lab=lab.name),
                f"aws ec2 create-tags --resources {v['VpcId']} --tags Key=Name,Value={name} Key=awslab:lab,Value={lab.name}")
        raise not_yet(_("There is no VPC named {name} with the tag awslab:lab={lab} yet.").format(name=name, lab=lab.name),
                      f"aws ec2 create-vpc --cidr-block {VPC_CIDR} --tag-specifications "
                      f"'ResourceType=vpc,Tags=[{{Key=Name,Value={name}}},{{Key=awslab:lab,Value={lab.name}}}]'")
    if len(named) > 1:
        extra = named[1:]
        raise not_yet(
            _("There are {n} VPCs named {name}: {ids}. Running the task cell twice creates two - AWS does not stop you. "
              "Keep one and delete the others.").format(n=len(named), name=name, ids=", ".join(v["VpcId"] for v in named)),
            "\n".join(f"aws ec2 delete-vpc --vpc-id {v['VpcId']}" for v in extra))
    v = named[0]
    if v.get("CidrBlock") != VPC_CIDR:
        raise not_yet(
            _("{vpc} has the CIDR {cidr}; the lab plans {want} (65,536 addresses, room for every subnet). A VPC's "
              "first CIDR cannot change: delete the VPC and create it again.").format(
                vpc=label(v["VpcId"], name), cidr=v.get("CidrBlock"), want=VPC_CIDR),
            f"aws ec2 delete-vpc --vpc-id {v['VpcId']}")
    dns = ec2.describe_vpc_attribute(VpcId=v["VpcId"], Attribute="enableDnsHostnames")
    if not dns.get("EnableDnsHostnames", {}).get("Value"):
        raise not_yet(
            _("{vpc} has DNS hostnames turned off. The ALB and the database are reached by DNS name; their names resolve "
              "only in a VPC with DNS hostnames on.").format(vpc=label(v["VpcId"], name)),
            f"aws ec2 modify-vpc-attribute --vpc-id {v['VpcId']} --enable-dns-hostnames '{{\"Value\":true}}'")
    return ok(_("{vpc}: {cidr}, DNS hostnames on.").format(vpc=label(v["VpcId"], name), cidr=VPC_CIDR),
              [label(v["VpcId"], name)])


@task("01.2", N_("Create two public and two private subnets in two AZs"))
def subnets(lab: Any) -> Any:
    v = the_vpc(lab)
    azs = _azs(lab)
    mine = [s for s in lab_items(lab, "describe_subnets", "Subnets") if s.get("VpcId") == v["VpcId"]]
    found = []
    for (tier, i), cidr in PLAN.items():
        name = f"{lab.name}-{tier}-{azs[i][-1]}"
        named = by_name(mine, name)
        if not named:
            raise not_yet(_("There is no subnet named {name} in {vpc} yet. It is the {tier} subnet in {az}, {cidr}.").format(
                name=name, vpc=v["VpcId"], tier=_(tier), az=azs[i], cidr=cidr),
                f"aws ec2 create-subnet --vpc-id {v['VpcId']} --cidr-block {cidr} --availability-zone {azs[i]} "
                f"--tag-specifications 'ResourceType=subnet,Tags=[{{Key=Name,Value={name}}},{{Key=awslab:lab,Value={lab.name}}}]'")
        if len(named) > 1:
            raise not_yet(_("There are {n} subnets named {name}: {ids}. Delete all but one.").format(
                n=len(named), name=name, ids=", ".join(s["SubnetId"] for s in named)),
                "\n".join(f"aws ec2 delete-subnet --subnet-id {s['SubnetId']}" for s in named[1:]))
        s = named[0]
        if s.get("AvailabilityZone") != azs[i]:
            raise not_yet(_("{subnet} is in {got}; the plan puts it in {want}, so that each AZ has its own {tier} subnet and "
                            "one AZ can fail alone. A subnet cannot move: delete it and create it in {want}.").format(
                subnet=label(s["SubnetId"], name), got=s.get("AvailabilityZone"), want=azs[i], tier=_(tier)),
                f"aws ec2 delete-subnet --subnet-id {s['SubnetId']}")
        if s.get("CidrBlock") != cidr:
            raise not_yet(_("{subnet} has the CIDR {got}; the plan gives it {want}. A subnet's CIDR cannot change: delete "
                            "it and create it again.").format(subnet=label(s["SubnetId"], name), got=s.get("CidrBlock"), want=cidr),
                          f"aws ec2 delete-subnet --subnet-id {s['SubnetId']}")
        if tier == "public" and not s.get("MapPublicIpOnLaunch"):
            raise not_yet(_("{subnet} does not give instances a public IP address on launch, so the bastion launched there "
                            "could not be reached from the internet.").format(subnet=label(s["SubnetId"], name)),
                          f"aws ec2 modify-subnet-attribute --subnet-id {s['SubnetId']} --map-public-ip-on-launch")
        found.append(f"{label(s['SubnetId'], name)} {cidr} {azs[i]}")
    return ok(_("Four subnets, one public and one private in each of {a} and {b}.").format(a=azs[0], b=azs[1]), found)


def _route_table(lab: Any, vpc_id: str, name: str, purpose: str) -> dict:
    tables = by_name([t for t in lab_items(lab, "describe_route_tables", "RouteTables") if t.get("VpcId") == vpc_id], name)
    if not tables:
        raise not_yet(_("There is no route table named {name} in {vpc} yet: {purpose}").format(
            name=name, vpc=vpc_id, purpose=purpose),
            f"aws ec2 create-route-table --vpc-id {vpc_id} --tag-specifications "
            f"'ResourceType=route-table,Tags=[{{Key=Name,Value={name}}},{{Key=awslab:lab,Value={lab.name}}}]'")
    return tables[0]


def _default_route(table: dict) -> dict | None:
    return next((r for r in table.get("Routes", []) if r.get("DestinationCidrBlock") == "0.0.0.0/0"
                 and r.get("State", "active") != "blackhole"), None)


def _subnet(lab: Any, vpc_id: str, name: str) -> dict:
    found = by_name([s for s in lab_items(lab, "describe_subnets", "Subnets") if s.get("VpcId") == vpc_id], name)
    if not found:
        raise not_yet(_("Task 01.2 is not done yet: this needs the subnet {name}.").format(name=name),
                      _("Do task 01.2 first, then run this check again."))
    return found[0]


def _associated(table: dict) -> set[str]:
    return {a.get("SubnetId") for a in table.get("Associations", []) if a.get("SubnetId")}


@task("01.3", N_("Connect the public subnets to the internet"))
def internet(lab: Any) -> Any:
    v = the_vpc(lab)
    azs = _azs(lab)
    igws = by_name(lab_items(lab, "describe_internet_gateways", "InternetGateways"), f"{lab.name}-igw")
    if not igws:
        raise not_yet(_("There is no internet gateway named {name} yet.").format(name=f"{lab.name}-igw"),
                      "aws ec2 create-internet-gateway --tag-specifications "
                      f"'ResourceType=internet-gateway,Tags=[{{Key=Name,Value={lab.name}-igw}},{{Key=awslab:lab,Value={lab.name}}}]'")
    igw = igws[0]
    if v["VpcId"] not in {a.get("VpcId") for a in igw.get("Attachments", [])}:
        raise not_yet(_("{igw} exists but is not attached to {vpc}: a gateway carries traffic only for the VPC it is "
                        "attached to.").format(igw=label(igw["InternetGatewayId"], name_of(igw)), vpc=v["VpcId"]),
                      f"aws ec2 attach-internet-gateway --internet-gateway-id {igw['InternetGatewayId']} --vpc-id {v['VpcId']}")
    table = _route_table(lab, v["VpcId"], f"{lab.name}-public-rt", _("the route table of the public subnets."))
    route = _default_route(table)
    if route is None or route.get("GatewayId") != igw["InternetGatewayId"]:
        got = (route or {}).get("GatewayId") or (route or {}).get("NatGatewayId") or _("no route")
        raise not_yet(_("{table} sends 0.0.0.0/0 to {got}; a public subnet's default route goes to the internet gateway "
                        "{igw}. That route is what makes a subnet public.").format(
            table=label(table["RouteTableId"], name_of(table)), got=got, igw=igw["InternetGatewayId"]),
            f"aws ec2 create-route --route-table-id {table['RouteTableId']} --destination-cidr-block 0.0.0.0/0 "
            f"--gateway-id {igw['InternetGatewayId']}")
    members = _associated(table)
    for az in azs:
        s = _subnet(lab, v["VpcId"], f"{lab.name}-public-{az[-1]}")
        if s["SubnetId"] not in members:
            raise not_yet(_("{subnet} is not associated with {table}, so it still uses the VPC's main route table and has "
                            "no way to the internet.").format(subnet=label(s["SubnetId"], name_of(s)), table=name_of(table)),
                          f"aws ec2 associate-route-table --route-table-id {table['RouteTableId']} --subnet-id {s['SubnetId']}")
    for az in azs:
        s = _subnet(lab, v["VpcId"], f"{lab.name}-private-{az[-1]}")
        if s["SubnetId"] in members:
            assoc = next(a for a in table["Associations"] if a.get("SubnetId") == s["SubnetId"])
            raise not_yet(_("{subnet} is associated with the PUBLIC route table: its instances would have a route to the "
                            "internet gateway. Private subnets must not. Remove that association.").format(
                subnet=label(s["SubnetId"], name_of(s))),
                f"aws ec2 disassociate-route-table --association-id {assoc['RouteTableAssociationId']}")
    return ok(_("{igw} is attached; {table} sends 0.0.0.0/0 to it for both public subnets.").format(
        igw=igw["InternetGatewayId"], table=name_of(table)),
        [label(igw["InternetGatewayId"], name_of(igw)), label(table["RouteTableId"], name_of(table))])


@task("01.4", N_("Give the private subnets a way out through a NAT gateway"))
def nat(lab: Any) -> Any:
    v = the_vpc(lab)
    azs = _azs(lab)
    public_a = _subnet(lab, v["VpcId"], f"{lab.name}-public-{azs[0][-1]}")
    name = f"{lab.name}-nat-{azs[0][-1]}"
    nats = [n for n in lab_items(lab, "describe_nat_gateways", "NatGateways") if n.get("State") in ("pending", "available")]
    nats = by_name([n for n in nats if n.get("VpcId") == v["VpcId"]], name)
    if not nats:
        raise not_yet(_("There is no NAT gateway named {name} (pending or available) in {vpc} yet. It needs an Elastic IP "
                        "and a PUBLIC subnet.").format(name=name, vpc=v["VpcId"]),
                      f"aws ec2 create-nat-gateway --subnet-id {public_a['SubnetId']} --allocation-id $EIP_ALLOC "
                      f"--tag-specifications 'ResourceType=natgateway,Tags=[{{Key=Name,Value={name}}},{{Key=awslab:lab,Value={lab.name}}}]'")
    gw = nats[0]
    if gw.get("SubnetId") != public_a["SubnetId"]:
        raise not_yet(_("{nat} is in {subnet}, not in {public}. A NAT gateway forwards traffic to the internet gateway, so "
                        "it must sit in a public subnet; in a private one it has no way out. Delete it and create it in "
                        "{public}.").format(nat=gw["NatGatewayId"], subnet=gw.get("SubnetId"), public=name_of(public_a)),
                      f"aws ec2 delete-nat-gateway --nat-gateway-id {gw['NatGatewayId']}")
    found = [f"{label(gw['NatGatewayId'], name)} {gw.get('State')}"]
    for az in azs:
        table = _route_table(lab, v["VpcId"], f"{lab.name}-private-rt-{az[-1]}",
                             _("the route table of the private subnet in {az}.").format(az=az))
        route = _default_route(table)
        if route is None or route.get("NatGatewayId") != gw["NatGatewayId"]:
            got = (route or {}).get("NatGatewayId") or (route or {}).get("GatewayId") or _("no route")
            raise not_yet(_("{table} sends 0.0.0.0/0 to {got}; a private subnet's default route goes to the NAT gateway "
                            "{nat}: out to the internet, never in.").format(
                table=label(table["RouteTableId"], name_of(table)), got=got, nat=gw["NatGatewayId"]),
                f"aws ec2 create-route --route-table-id {table['RouteTableId']} --destination-cidr-block 0.0.0.0/0 "
                f"--nat-gateway-id {gw['NatGatewayId']}")
        s = _subnet(lab, v["VpcId"], f"{lab.name}-private-{az[-1]}")
        if s["SubnetId"] not in _associated(table):
            raise not_yet(_("{subnet} is not associated with {table}.").format(
                subnet=label(s["SubnetId"], name_of(s)), table=name_of(table)),
                f"aws ec2 associate-route-table --route-table-id {table['RouteTableId']} --subnet-id {s['SubnetId']}")
        found.append(label(table["RouteTableId"], name_of(table)))
    state = gw.get("State")
    tail = "" if state == "available" else " " + _("(It is still {state}: AWS takes a minute or more to make one available.)").format(state=state)
    return ok(_("{nat} in {public}; both private route tables send 0.0.0.0/0 to it.").format(
        nat=gw["NatGatewayId"], public=name_of(public_a)) + tail, found)


question("01.q1", N_("Why do the app servers go in private subnets?"),
         [N_("Private subnets are faster inside AWS."),
          N_("Nothing on the internet can open a connection to them: requests reach them only through the ALB."),
          N_("Private subnets are free; public ones are billed."),
          N_("Instances in private subnets cannot reach the internet at all.")],
         answer=1,
         why=N_("A private subnet has no route from the internet gateway, and its instances have no public IP. Users "
                "reach the app only through the ALB in the public subnets; the servers still reach out through the NAT gateway."),
         hints={0: N_("Both kinds of subnet are the same network; only their routes differ."),
                2: N_("Subnets cost nothing; what is billed is what runs in them (and the NAT gateway by the hour)."),
                3: N_("They can: their default route goes to the NAT gateway, which lets them reach out (to install "
                      "packages, say) but lets nothing in.")})

question("01.q2", N_("The lab has one NAT gateway, in AZ a. AZ a fails. What happens to the app servers in AZ b?"),
         [N_("Nothing: the NAT gateway fails over to AZ b by itself."),
          N_("They keep serving users through the ALB, but they can no longer reach the internet."),
          N_("They stop serving users."),
          N_("They move to AZ a.")],
         answer=1,
         why=N_("A NAT gateway lives in one AZ. Requests from users still reach AZ b through the ALB, but AZ b's route "
                "table points at a gateway that is gone, so outbound calls fail. AWS recommends one NAT gateway per AZ "
                "(NetworkSpec(nat_gateway_per_az=True)); one is cheaper, which is why the lab uses one."),
         hints={0: N_("A NAT gateway does not move between AZs; you create one per AZ to survive an AZ outage."),
                2: N_("Users' requests come in through the ALB, which never passes through the NAT gateway."),
                3: N_("An instance stays in its subnet's AZ for its whole life.")})

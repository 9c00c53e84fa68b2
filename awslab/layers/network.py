"""Layer 1, the network: a VPC across two or more AZs, the seed's "virtual data centre".

- **Public subnets** hold what the internet must reach: the ALB and the NAT gateway.
  Their route table sends ``0.0.0.0/0`` to the **internet gateway**.
- **Private subnets** hold the app servers and the database. Their route table sends
  ``0.0.0.0/0`` to the **NAT gateway**, so they can reach out (to install packages)
  but nothing on the internet can reach in.

Each subnet lives in one AZ; putting a copy of every tier in each AZ is what
lets the service survive the loss of a whole AZ.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import NetworkError, ValidationError
from ..lab import Lab
from . import spec_types, validate
from ._base import Built, call, cli_tags, lab_nat_gateways, paginate, tag_spec
from ..i18n import _

LAYER = "network"
__all__ = ["NetworkSpec", "Subnet", "Network", "build_network", "describe_network"]


@dataclass
class NetworkSpec:
    """What to build. The defaults are the seed's three-tier layout over two AZs.

    ``public_subnets[i]``, ``private_subnets[i]`` and ``db_subnets[i]`` go into
    ``availability_zones[i]``; ``None`` means the first AZs of the region.
    """

    vpc_cidr: str = "10.0.0.0/16"
    availability_zones: list[str] | None = None
    public_subnets: list[str] = field(default_factory=lambda: ["10.0.1.0/24", "10.0.2.0/24"])
    private_subnets: list[str] = field(default_factory=lambda: ["10.0.11.0/24", "10.0.12.0/24"])
    db_subnets: list[str] = field(default_factory=lambda: ["10.0.21.0/24", "10.0.22.0/24"])
    #: One NAT gateway per AZ survives an AZ outage; one in total is cheaper. AWS recommends one per AZ.
    nat_gateway_per_az: bool = False


@dataclass
class Subnet(Built):
    subnet_id: str
    cidr_block: str
    availability_zone: str
    tier: str  # public | private | db


@dataclass
class Network(Built):
    """The VPC and everything in it that routes packets."""

    vpc_id: str
    vpc_cidr: str
    availability_zones: list[str]
    public_subnets: list[Subnet]
    private_subnets: list[Subnet]
    db_subnets: list[Subnet]
    internet_gateway_id: str
    nat_gateway_ids: list[str]
    elastic_ip_allocation_ids: list[str]
    public_route_table_id: str
    private_route_table_ids: list[str]
    created: list[str] = field(default_factory=list)

    def subnet_ids(self, tier: str) -> list[str]:
        return [s.subnet_id for s in getattr(self, f"{tier}_subnets")]


def check_spec(lab: Lab, spec: NetworkSpec | None) -> NetworkSpec:
    """Check the spec (and that its AZs exist) before any call that creates anything; return it with its defaults."""
    spec = spec_types.spec(spec, NetworkSpec, "network")
    validate_spec(lab, spec)
    return spec


def validate_spec(lab: Lab, spec: NetworkSpec | None) -> list[str]:
    """Check the spec before any call that creates anything; return the AZs to use."""
    spec = spec_types.spec(spec, NetworkSpec, "network")
    validate.private_cidr("vpc_cidr", spec.vpc_cidr)
    tiers = {"public_subnets": spec.public_subnets, "private_subnets": spec.private_subnets, "db_subnets": spec.db_subnets}
    subnets = {f"{tier}[{i}]": cidr for tier, cidrs in tiers.items() for i, cidr in enumerate(cidrs)}
    validate.subnets_in_vpc(spec.vpc_cidr, subnets)
    zones = lab.client("ec2").describe_availability_zones()["AvailabilityZones"]  # a probe: it changes nothing
    available = [z["ZoneName"] for z in zones if z.get("State", "available") == "available"]
    if spec.availability_zones is None and not 2 <= len(spec.public_subnets) <= len(available):
        raise ValidationError("public_subnets", spec.public_subnets, _("give one public subnet per Availability Zone, in 2 to {n} "
                              "AZs ({azs})").format(n=len(available), azs=", ".join(available)),
                              _("List two CIDR blocks (one per AZ), e.g. ['10.0.1.0/24', '10.0.2.0/24']."))
    azs = list(spec.availability_zones) if spec.availability_zones is not None else available[:len(spec.public_subnets)]
    validate.availability_zones(azs, available, lab.region)
    for tier, cidrs in tiers.items():
        if len(cidrs) != len(azs):
            raise ValidationError(tier, cidrs, _("give one subnet per Availability Zone ({n} AZs: {azs})").format(
                n=len(azs), azs=", ".join(azs)), _("List exactly {n} CIDR blocks, one for each AZ.").format(n=len(azs)))
    return azs


def build_network(lab: Lab, spec: NetworkSpec | None = None) -> Network:
    """Ensure the whole network layer: VPC, subnets, IGW, NAT gateway(s) and route tables."""
    spec = spec_types.spec(spec, NetworkSpec, "network")
    azs = validate_spec(lab, spec)
    created: list[str] = []
    vpc_id = ensure_vpc(lab, spec.vpc_cidr, created)
    subnets = {
        tier: [ensure_subnet(lab, vpc_id, cidr, az, tier, i, created) for i, (cidr, az) in enumerate(zip(cidrs, azs))]
        for tier, cidrs in (("public", spec.public_subnets), ("private", spec.private_subnets), ("db", spec.db_subnets))
    }
    igw_id = ensure_internet_gateway(lab, vpc_id, created)
    public_rt = ensure_route_table(lab, vpc_id, "public-rt", [s.subnet_id for s in subnets["public"]], created,
                                   gateway_id=igw_id, cli_target="--gateway-id $IGW_ID",
                                   subnet_vars=tuple(_var("public", i) for i in range(len(azs))))
    nat_azs = azs if spec.nat_gateway_per_az else azs[:1]
    nats, eips = [], []
    for i, az in enumerate(nat_azs):
        eip = ensure_elastic_ip(lab, f"nat-eip-{az[-1]}", created)
        nats.append(ensure_nat_gateway(lab, subnets["public"][i].subnet_id, eip, az, created))
        eips.append(eip)
    private_rts = []
    for i, az in enumerate(azs):
        nat = nats[i] if spec.nat_gateway_per_az else nats[0]
        members = [subnets["private"][i].subnet_id, subnets["db"][i].subnet_id]
        nat_var = "$NAT_" + (az if spec.nat_gateway_per_az else azs[0])[-1].upper()
        private_rts.append(ensure_route_table(lab, vpc_id, f"private-rt-{az[-1]}", members, created, nat_gateway_id=nat,
                                              cli_target=f"--nat-gateway-id {nat_var}", subnet_vars=(_var("private", i), _var("db", i))))
    return Network(vpc_id, spec.vpc_cidr, azs, subnets["public"], subnets["private"], subnets["db"], igw_id, nats, eips,
                   public_rt, private_rts, created)


def _find(lab: Lab, operation: str, key: str, name: str, extra: list | None = None) -> dict | None:
    ec2 = lab.client("ec2")
    items = list(paginate(ec2, operation, key, Filters=lab.lab_filters(name) + (extra or [])))
    return items[0] if items else None


def ensure_vpc(lab: Lab, cidr: str, created: list[str]) -> str:
    """A VPC with DNS hostnames on (the ALB's and RDS's DNS names need them)."""
    ec2 = lab.client("ec2")
    name = lab.resource_name("vpc")
    tags = lab.tags(name, LAYER)
    found = _find(lab, "describe_vpcs", "Vpcs", name)
    if found:
        vpc_id = found["VpcId"]
    else:
        vpc_id = call(ec2.create_vpc, _("creating the VPC"), error=NetworkError, CidrBlock=cidr,
                      TagSpecifications=tag_spec(tags, "vpc"))["Vpc"]["VpcId"]
        created.append(vpc_id)
        call(ec2.modify_vpc_attribute, _("turning on DNS hostnames"), error=NetworkError, VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    lab.record("network/vpc", ["aws", "ec2", "create-vpc", "--cidr-block", cidr, "--tag-specifications", cli_tags("vpc", tags)],
               _("The VPC, a private address space of its own"), var="VPC_ID", query="Vpc.VpcId")
    lab.record("network/vpc-dns", ["aws", "ec2", "modify-vpc-attribute", "--vpc-id", "$VPC_ID", "--enable-dns-hostnames", "{\"Value\":true}"])
    return vpc_id


def _var(tier: str, index: int) -> str:
    return f"{tier.upper()}_SUBNET_{index + 1}"


def ensure_subnet(lab: Lab, vpc_id: str, cidr: str, az: str, tier: str, index: int, created: list[str]) -> Subnet:
    """One subnet of ``tier`` in ``az``. Public subnets give instances a public IP on launch."""
    ec2 = lab.client("ec2")
    name = lab.resource_name(f"{tier}-{az[-1]}")
    tags = lab.tags(name, LAYER, **{"awslab:tier": tier})
    found = _find(lab, "describe_subnets", "Subnets", name, [{"Name": "vpc-id", "Values": [vpc_id]}])
    if found:
        subnet_id = found["SubnetId"]
    else:
        subnet_id = call(ec2.create_subnet, _("creating the {tier} subnet {cidr} in {az}").format(
            tier=tier, cidr=cidr, az=az), error=NetworkError, VpcId=vpc_id,
                         CidrBlock=cidr, AvailabilityZone=az, TagSpecifications=tag_spec(tags, "subnet"))["Subnet"]["SubnetId"]
        created.append(subnet_id)
        if tier == "public":
            call(ec2.modify_subnet_attribute, _("turning on public IPs"), error=NetworkError, SubnetId=subnet_id,
                 MapPublicIpOnLaunch={"Value": True})
    lab.record(f"network/subnet-{tier}-{index}", ["aws", "ec2", "create-subnet", "--vpc-id", "$VPC_ID", "--cidr-block", cidr,
               "--availability-zone", az, "--tag-specifications", cli_tags("subnet", tags)],
               _("{tier} subnet in {az}").format(tier=tier, az=az), var=_var(tier, index), query="Subnet.SubnetId")
    if tier == "public":
        lab.record(f"network/subnet-{tier}-{index}-public-ip", f"aws ec2 modify-subnet-attribute --subnet-id ${_var(tier, index)} "
                   "--map-public-ip-on-launch", _("Instances launched here get a public IP"))
    return Subnet(subnet_id, cidr, az, tier)


def ensure_internet_gateway(lab: Lab, vpc_id: str, created: list[str]) -> str:
    """The internet gateway: the VPC's door to the internet, attached to the VPC."""
    ec2 = lab.client("ec2")
    name = lab.resource_name("igw")
    tags = lab.tags(name, LAYER)
    found = _find(lab, "describe_internet_gateways", "InternetGateways", name)
    if found:
        igw_id = found["InternetGatewayId"]
        attached = [a["VpcId"] for a in found.get("Attachments", [])]
    else:
        igw_id = call(ec2.create_internet_gateway, _("creating the internet gateway"), error=NetworkError,
                      TagSpecifications=tag_spec(tags, "internet-gateway"))["InternetGateway"]["InternetGatewayId"]
        created.append(igw_id)
        attached = []
    if vpc_id not in attached:
        call(ec2.attach_internet_gateway, _("attaching the internet gateway"), error=NetworkError, InternetGatewayId=igw_id, VpcId=vpc_id)
    lab.record("network/igw", ["aws", "ec2", "create-internet-gateway", "--tag-specifications", cli_tags("internet-gateway", tags)],
               _("The internet gateway"), var="IGW_ID", query="InternetGateway.InternetGatewayId")
    lab.record("network/igw-attach", ["aws", "ec2", "attach-internet-gateway", "--internet-gateway-id", "$IGW_ID", "--vpc-id", "$VPC_ID"])
    return igw_id


def ensure_elastic_ip(lab: Lab, suffix: str, created: list[str]) -> str:
    """An Elastic IP: the NAT gateway's fixed public address."""
    ec2 = lab.client("ec2")
    name = lab.resource_name(suffix)
    tags = lab.tags(name, LAYER)
    found = [a for a in ec2.describe_addresses(Filters=lab.lab_filters(name))["Addresses"]]
    if found:
        alloc = found[0]["AllocationId"]
    else:
        alloc = call(ec2.allocate_address, _("allocating an Elastic IP"), error=NetworkError, Domain="vpc",
                     TagSpecifications=tag_spec(tags, "elastic-ip"))["AllocationId"]
        created.append(alloc)
    lab.record(f"network/{suffix}", ["aws", "ec2", "allocate-address", "--domain", "vpc", "--tag-specifications", cli_tags("elastic-ip", tags)],
               _("An Elastic IP for the NAT gateway"), var="EIP_" + suffix[-1].upper(), query="AllocationId")
    return alloc


def ensure_nat_gateway(lab: Lab, public_subnet_id: str, allocation_id: str, az: str, created: list[str]) -> str:
    """A NAT gateway in a public subnet: private instances reach out through it; nobody reaches in."""
    ec2 = lab.client("ec2")
    name = lab.resource_name(f"nat-{az[-1]}")
    tags = lab.tags(name, LAYER)
    found = lab_nat_gateways(lab, name)
    if found:
        nat_id = found[0]["NatGatewayId"]
    else:
        nat_id = call(ec2.create_nat_gateway, _("creating the NAT gateway"), error=NetworkError, SubnetId=public_subnet_id,
                      AllocationId=allocation_id, TagSpecifications=tag_spec(tags, "natgateway"))["NatGateway"]["NatGatewayId"]
        created.append(nat_id)
    lab.record(f"network/nat-{az[-1]}", ["aws", "ec2", "create-nat-gateway", "--subnet-id", "$PUBLIC_SUBNET_1", "--allocation-id",
               "$EIP_" + az[-1].upper(), "--tag-specifications", cli_tags("natgateway", tags)],
               _("The NAT gateway, in a public subnet"), var="NAT_" + az[-1].upper(), query="NatGateway.NatGatewayId")
    return nat_id


def ensure_route_table(lab: Lab, vpc_id: str, suffix: str, subnet_ids: list[str], created: list[str],
                       gateway_id: str | None = None, nat_gateway_id: str | None = None, cli_target: str = "",
                       subnet_vars: tuple[str, ...] = ()) -> str:
    """A route table with a default route (to the IGW or a NAT gateway), associated with ``subnet_ids``."""
    ec2 = lab.client("ec2")
    name = lab.resource_name(suffix)
    tags = lab.tags(name, LAYER)
    found = _find(lab, "describe_route_tables", "RouteTables", name, [{"Name": "vpc-id", "Values": [vpc_id]}])
    if found:
        rt_id = found["RouteTableId"]
        routes = {r.get("DestinationCidrBlock"): r for r in found.get("Routes", [])}
        associated = {a.get("SubnetId") for a in found.get("Associations", [])}
    else:
        rt_id = call(ec2.create_route_table, _("creating a route table"), error=NetworkError, VpcId=vpc_id,
                     TagSpecifications=tag_spec(tags, "route-table"))["RouteTable"]["RouteTableId"]
        created.append(rt_id)
        routes, associated = {}, set()
    target = {"GatewayId": gateway_id} if gateway_id else {"NatGatewayId": nat_gateway_id}
    if "0.0.0.0/0" not in routes:
        call(ec2.create_route, _("adding the default route"), error=NetworkError, RouteTableId=rt_id, DestinationCidrBlock="0.0.0.0/0", **target)
    for subnet_id in subnet_ids:
        if subnet_id not in associated:
            call(ec2.associate_route_table, _("associating a subnet with its route table"), error=NetworkError, RouteTableId=rt_id, SubnetId=subnet_id)
    var = suffix.upper().replace("-", "_")
    lab.record(f"network/{suffix}", ["aws", "ec2", "create-route-table", "--vpc-id", "$VPC_ID", "--tag-specifications", cli_tags("route-table", tags)],
               (_("Route table {suffix}: 0.0.0.0/0 to the internet gateway") if gateway_id else
                _("Route table {suffix}: 0.0.0.0/0 to the NAT gateway")).format(suffix=suffix),
               var=var, query="RouteTable.RouteTableId")
    lab.record(f"network/{suffix}-default", f"aws ec2 create-route --route-table-id ${var} --destination-cidr-block 0.0.0.0/0 {cli_target}")
    for i, var_subnet in enumerate(subnet_vars):
        lab.record(f"network/{suffix}-assoc-{i}", f"aws ec2 associate-route-table --route-table-id ${var} --subnet-id ${var_subnet}")
    return rt_id


def describe_network(lab: Lab) -> dict[str, list[dict]]:
    """Probe: the lab's VPCs, subnets, gateways and route tables as AWS describes them. Changes nothing."""
    ec2 = lab.client("ec2")
    f = lab.lab_filters()
    return {
        "vpcs": list(paginate(ec2, "describe_vpcs", "Vpcs", Filters=f)),
        "subnets": list(paginate(ec2, "describe_subnets", "Subnets", Filters=f)),
        "internet_gateways": list(paginate(ec2, "describe_internet_gateways", "InternetGateways", Filters=f)),
        "nat_gateways": lab_nat_gateways(lab, states=("pending", "available", "deleting", "failed")),
        "route_tables": list(paginate(ec2, "describe_route_tables", "RouteTables", Filters=f)),
    }

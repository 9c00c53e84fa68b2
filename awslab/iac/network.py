"""The network layer as CloudFormation: VPC, subnets, internet gateway, NAT gateways with their Elastic IPs,
route tables, their default routes and their subnet associations. Read with EC2's describe calls."""
from __future__ import annotations

from typing import Any

from ..layers._base import tag_value
from ..layers.network import describe_network
from .template import GetAtt, Ref, Template, logical_id

__all__ = ["export_network"]


def _suffix(t: Template, tags: list[dict] | None) -> str:
    """The part of the Name tag after the lab's name: ``awslab-public-a`` -> ``public-a``."""
    name = tag_value(tags, "Name") or ""
    return name[len(t.lab) + 1:] if name.startswith(t.lab + "-") else name


def export_network(lab: Any, t: Template) -> None:
    found = describe_network(lab)
    ec2 = lab.client("ec2")
    for vpc in found["vpcs"]:
        dns = ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"]
        support = ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"]
        t.add("Vpc", "AWS::EC2::VPC", {"CidrBlock": vpc["CidrBlock"], "EnableDnsHostnames": dns, "EnableDnsSupport": support,
                                       "Tags": t.tags(vpc.get("Tags"))}, (vpc["VpcId"],))
    zones = sorted({s["AvailabilityZone"] for s in found["subnets"]})
    if zones:
        t.parameter("AvailabilityZones", Type="List<AWS::EC2::AvailabilityZone::Name>", Default=",".join(zones),
                    Description="The AZs the tiers are spread over, in order (AZ names belong to one region)")
    for subnet in sorted(found["subnets"], key=lambda s: (_tier_order(s), s["AvailabilityZone"])):
        tier = tag_value(subnet.get("Tags"), "awslab:tier") or "other"
        az = subnet["AvailabilityZone"]
        t.add(logical_id(tier, "subnet", az[-1]), "AWS::EC2::Subnet", {
            "VpcId": t.ref(subnet["VpcId"]), "CidrBlock": subnet["CidrBlock"],
            "AvailabilityZone": {"Fn::Select": [zones.index(az), Ref("AvailabilityZones")]},
            "MapPublicIpOnLaunch": bool(subnet.get("MapPublicIpOnLaunch")) or None, "Tags": t.tags(subnet.get("Tags"))},
            (subnet["SubnetId"],))
    for igw in found["internet_gateways"]:
        t.add("InternetGateway", "AWS::EC2::InternetGateway", {"Tags": t.tags(igw.get("Tags"))}, (igw["InternetGatewayId"],))
        for attached in igw.get("Attachments", []):
            t.add("InternetGatewayAttachment", "AWS::EC2::VPCGatewayAttachment",
                  {"VpcId": t.ref(attached["VpcId"]), "InternetGatewayId": t.ref(igw["InternetGatewayId"])})
    _nat_gateways(lab, t, found["nat_gateways"])
    _route_tables(t, found["route_tables"])


def _tier_order(subnet: dict) -> int:
    return ["public", "private", "db"].index(tag_value(subnet.get("Tags"), "awslab:tier") or "db")


def _nat_gateways(lab: Any, t: Template, nats: list[dict]) -> None:
    """Each live NAT gateway and the Elastic IP it holds (its address is the one public face of the private tier)."""
    addresses = {a["AllocationId"]: a for a in lab.client("ec2").describe_addresses(Filters=lab.lab_filters())["Addresses"]}
    for nat in nats:
        if nat.get("State") not in ("pending", "available"):
            continue
        letter = _suffix(t, nat.get("Tags")).rsplit("-", 1)[-1]
        allocation = next((a.get("AllocationId") for a in nat.get("NatGatewayAddresses", []) if a.get("AllocationId")), None)
        eip = t.add(logical_id("nat", "eip", letter), "AWS::EC2::EIP", {
            "Domain": "vpc", "Tags": t.tags(addresses.get(allocation, {}).get("Tags"))}, (allocation or "",))
        t.add(logical_id("nat", "gateway", letter), "AWS::EC2::NatGateway", {
            "SubnetId": t.ref(nat["SubnetId"]), "AllocationId": GetAtt(eip, "AllocationId"), "Tags": t.tags(nat.get("Tags"))},
            (nat["NatGatewayId"],))


def _route_tables(t: Template, tables: list[dict]) -> None:
    """A route table, its routes other than the VPC's local one, and the subnets associated with it."""
    for rt in tables:
        name = logical_id(_suffix(t, rt.get("Tags")).replace("-rt", "-route-table")) or "RouteTable"
        logical = t.add(name, "AWS::EC2::RouteTable", {"VpcId": t.ref(rt["VpcId"]), "Tags": t.tags(rt.get("Tags"))},
                        (rt["RouteTableId"],))
        for route in rt.get("Routes", []):
            target = _target(t, route)
            if target is None or not route.get("DestinationCidrBlock"):
                continue
            attached = "GatewayId" in target and "InternetGatewayAttachment" in t.resources
            extra = {"DependsOn": "InternetGatewayAttachment"} if attached else {}
            t.add(logical + "DefaultRoute" if route["DestinationCidrBlock"] == "0.0.0.0/0" else logical + "Route",
                  "AWS::EC2::Route", {"RouteTableId": t.ref(rt["RouteTableId"]),
                                      "DestinationCidrBlock": route["DestinationCidrBlock"], **target}, **extra)
        for assoc in rt.get("Associations", []):
            if assoc.get("SubnetId") and not assoc.get("Main"):
                subnet = t.ref(assoc["SubnetId"])
                t.add(f"{getattr(subnet, 'name', logical)}RouteTableAssociation", "AWS::EC2::SubnetRouteTableAssociation",
                      {"SubnetId": subnet, "RouteTableId": t.ref(rt["RouteTableId"])})


def _target(t: Template, route: dict) -> dict | None:
    if route.get("GatewayId", "").startswith("igw-"):
        return {"GatewayId": t.ref(route["GatewayId"])}
    if route.get("NatGatewayId"):
        return {"NatGatewayId": t.ref(route["NatGatewayId"])}
    return None  # the VPC's own local route comes with the VPC

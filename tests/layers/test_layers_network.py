"""The network layer: VPC, subnets in two AZs, IGW, NAT, route tables - idempotent and tagged."""
import pytest

from awslab import ValidationError
from awslab.layers.network import NetworkSpec, build_network


def test_network_builds_three_tiers_over_two_azs(lab):
    net = build_network(lab)
    ec2 = lab.client("ec2")
    assert len(set(net.availability_zones)) == 2
    subnets = {s["SubnetId"]: s for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [net.vpc_id]}])["Subnets"]}
    for tier in ("public", "private", "db"):
        assert {subnets[i]["AvailabilityZone"] for i in net.subnet_ids(tier)} == set(net.availability_zones)
    rts = {r["RouteTableId"]: r for r in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [net.vpc_id]}])["RouteTables"]}
    public_default = [r for r in rts[net.public_route_table_id]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"][0]
    assert public_default["GatewayId"] == net.internet_gateway_id
    for rt in net.private_route_table_ids:
        default = [r for r in rts[rt]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"][0]
        assert default["NatGatewayId"] in net.nat_gateway_ids
    assert all(s["MapPublicIpOnLaunch"] for i, s in subnets.items() if i in net.subnet_ids("public"))
    assert not any(s["MapPublicIpOnLaunch"] for i, s in subnets.items() if i in net.subnet_ids("private"))


def test_network_second_run_creates_nothing(lab):
    first = build_network(lab)
    second = build_network(lab)
    assert first.created and second.created == []
    assert (second.vpc_id, second.nat_gateway_ids, second.subnet_ids("private")) == (first.vpc_id, first.nat_gateway_ids, first.subnet_ids("private"))


def test_network_cli_log_is_replayable_script(lab):
    build_network(lab)
    script = lab.cli_log().script()
    assert "VPC_ID=$(aws ec2 create-vpc --cidr-block 10.0.0.0/16" in script
    assert "--nat-gateway-id $NAT_A" in script


@pytest.mark.parametrize("field,kwargs,rule", [
    ("vpc_cidr", {"vpc_cidr": "10.0.0.0/33"}, "not a CIDR"),
    ("vpc_cidr", {"vpc_cidr": "8.8.0.0/16"}, "private"),
    ("vpc_cidr", {"vpc_cidr": "10.0.0.1/16"}, "host bits"),
    ("vpc_cidr", {"vpc_cidr": "10.0.0.0/8"}, "/16 to /28"),
    ("private_subnets[0]", {"private_subnets": ["10.1.11.0/24", "10.0.12.0/24"]}, "inside its VPC"),
    ("private_subnets[0]", {"private_subnets": ["10.0.1.0/24", "10.0.12.0/24"]}, "overlaps"),
    ("availability_zones", {"availability_zones": ["ap-northeast-2a", "ap-northeast-2z"]}, "no such Availability Zone"),
    ("availability_zones", {"availability_zones": ["ap-northeast-2a", "ap-northeast-2a"]}, "two or more"),
])
def test_network_rejects_bad_input_before_creating_anything(lab, field, kwargs, rule):
    with pytest.raises(ValidationError) as e:
        build_network(lab, NetworkSpec(**kwargs))
    assert e.value.field == field and rule in str(e.value) and "How to fix" in str(e.value)
    assert lab.client("ec2").describe_vpcs(Filters=lab.lab_filters())["Vpcs"] == []


def test_two_labs_on_one_cloud_keep_their_own_nat_gateways(lab, cloud_url):
    """moto ignores tag filters on DescribeNatGateways; awslab must not borrow (or delete) another lab's NAT."""
    from awslab import Lab
    from awslab.layers.teardown import teardown

    other = Lab(name=lab.name + "b", endpoint_url=cloud_url)
    mine, theirs = build_network(lab), build_network(other)
    assert set(mine.nat_gateway_ids).isdisjoint(theirs.nat_gateway_ids)
    teardown(other)
    ec2 = lab.client("ec2")
    state = {n["NatGatewayId"]: n["State"] for n in ec2.describe_nat_gateways(NatGatewayIds=mine.nat_gateway_ids)["NatGateways"]}
    assert set(state.values()) == {"available"}

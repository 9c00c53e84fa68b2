"""Security groups, NACLs and routes: allowed and denied cases, including the two stories of issue 5."""
from __future__ import annotations

import copy

import pytest

from awslab.dataplane.netpolicy import Endpoint, Network, internet


def vpc(app_ingress=None, acl_entries=None, private_default_route="nat-1"):
    """A two-tier VPC as describe_* dicts: public subnet (ALB, igw route), private subnet (app, NAT route)."""
    subnets = [
        {"SubnetId": "subnet-pub", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "ap-northeast-2a"},
        {"SubnetId": "subnet-app", "VpcId": "vpc-1", "CidrBlock": "10.0.10.0/24", "AvailabilityZone": "ap-northeast-2a"},
    ]
    all_out = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    groups = [
        {"GroupId": "sg-alb", "GroupName": "alb-sg", "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
         "IpPermissionsEgress": all_out},
        {"GroupId": "sg-app", "GroupName": "app-sg", "IpPermissions": app_ingress if app_ingress is not None else [
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": "sg-alb"}]}],
         "IpPermissionsEgress": all_out},
    ]
    default_entries = [
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": False, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": True, "CidrBlock": "0.0.0.0/0"},
    ]
    acls = [
        {"NetworkAclId": "acl-default", "VpcId": "vpc-1", "IsDefault": True, "Entries": default_entries,
         "Associations": [{"SubnetId": "subnet-pub"}]},
        {"NetworkAclId": "acl-app", "VpcId": "vpc-1", "IsDefault": False,
         "Entries": acl_entries if acl_entries is not None else copy.deepcopy(default_entries),
         "Associations": [{"SubnetId": "subnet-app"}]},
    ]
    local = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}
    private_routes = [local] + ([{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": private_default_route, "State": "active"}]
                                if private_default_route else [])
    tables = [
        {"RouteTableId": "rtb-main", "VpcId": "vpc-1", "Associations": [{"Main": True}], "Routes": [local]},
        {"RouteTableId": "rtb-pub", "VpcId": "vpc-1", "Associations": [{"SubnetId": "subnet-pub"}],
         "Routes": [local, {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"}]},
        {"RouteTableId": "rtb-app", "VpcId": "vpc-1", "Associations": [{"SubnetId": "subnet-app"}], "Routes": private_routes},
    ]
    instances = [{"Instances": [
        {"InstanceId": "i-app", "PrivateIpAddress": "10.0.10.5", "SubnetId": "subnet-app", "VpcId": "vpc-1",
         "SecurityGroups": [{"GroupId": "sg-app"}]},
        {"InstanceId": "i-web", "PrivateIpAddress": "10.0.1.7", "PublicIpAddress": "3.34.1.7", "SubnetId": "subnet-pub",
         "VpcId": "vpc-1", "SecurityGroups": [{"GroupId": "sg-app"}]},
    ]}]
    net = Network.from_describe(subnets=subnets, security_groups=groups, network_acls=acls, route_tables=tables,
                                instances=instances, nat_gateways=[{"NatGatewayId": "nat-1", "SubnetId": "subnet-pub"}])
    alb = net.add(Endpoint("alb-node-a", "10.0.1.250", "subnet-pub", ("sg-alb",), public=True))
    return net, alb


def test_alb_reaches_app_through_referenced_group():
    net, alb = vpc()
    d = net.check(alb, net.instances["i-app"], 8080)
    assert d.allowed, d


def test_forgotten_alb_to_app_rule_blocks_the_alb():
    net, alb = vpc(app_ingress=[])
    d = net.check(alb, net.instances["i-app"], 8080)
    assert not d.allowed
    assert d.layer == "security-group" and "sg-app" in d.rule and "implicit deny" in d.rule


def test_wrong_port_in_sg_rule_is_denied():
    net, alb = vpc()
    assert not net.check(alb, net.instances["i-app"], 80).allowed


def test_app_port_open_to_world_reaches_public_instance_directly():
    world = [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    net, _ = vpc(app_ingress=world)
    d = net.check(internet(), net.instances["i-web"], 8080)
    assert d.allowed, d


def test_without_world_rule_the_internet_cannot_reach_the_instance():
    net, _ = vpc()
    d = net.check(internet(), net.instances["i-web"], 8080)
    assert not d.allowed and d.layer == "security-group"


def test_private_subnet_is_unreachable_from_the_internet_even_if_sg_is_open():
    world = [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    net, _ = vpc(app_ingress=world)
    d = net.check(internet(), net.instances["i-app"], 8080)
    assert not d.allowed and d.layer == "route-table"


def test_sg_cidr_rule_matches_only_inside_the_cidr():
    rule = [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.0.1.0/24"}]}]
    net, alb = vpc(app_ingress=rule)
    assert net.check(alb, net.instances["i-app"], 8080).allowed
    assert not net.check(internet(), net.instances["i-web"], 8080).allowed


def test_nacl_deny_rule_with_lower_number_wins():
    entries = [
        {"RuleNumber": 50, "Protocol": "6", "RuleAction": "deny", "Egress": False, "CidrBlock": "10.0.1.0/24", "PortRange": {"From": 8080, "To": 8080}},
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0"},
    ]
    net, alb = vpc(acl_entries=entries)
    d = net.check(alb, net.instances["i-app"], 8080)
    assert not d.allowed and d.layer == "network-acl" and "#50" in d.rule


def test_nacl_higher_number_allow_after_lower_allow():
    entries = [
        {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": False, "CidrBlock": "10.0.1.0/24", "PortRange": {"From": 8080, "To": 8080}},
        {"RuleNumber": 200, "Protocol": "-1", "RuleAction": "deny", "Egress": False, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 1024, "To": 65535}},
    ]
    net, alb = vpc(acl_entries=entries)
    assert net.check(alb, net.instances["i-app"], 8080).allowed


def test_nacl_without_ephemeral_outbound_blocks_the_reply():
    entries = [
        {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 8080, "To": 8080}},
        {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 80, "To": 80}},
    ]
    net, alb = vpc(acl_entries=entries)
    d = net.check(alb, net.instances["i-app"], 8080)
    assert not d.allowed and d.layer == "network-acl"
    assert "ephemeral" in d.reason and "outbound rule *" in d.rule


def test_nacl_does_not_apply_inside_one_subnet():
    entries = [{"RuleNumber": 1, "Protocol": "-1", "RuleAction": "deny", "Egress": False, "CidrBlock": "0.0.0.0/0"}]
    net, _ = vpc(acl_entries=entries)
    peer = net.add(Endpoint("i-peer", "10.0.10.9", "subnet-app", ("sg-alb",)))
    assert net.check(peer, net.instances["i-app"], 8080).allowed


def test_nat_gives_private_subnet_outbound_and_no_route_blocks_it():
    net, _ = vpc()
    assert net.check(net.instances["i-app"], internet("198.51.100.9"), 443).allowed
    net2, _ = vpc(private_default_route=None)
    d = net2.check(net2.instances["i-app"], internet("198.51.100.9"), 443)
    assert not d.allowed and d.layer == "route-table" and "no matching route" in d.rule


def test_sg_egress_is_enforced():
    net, alb = vpc()
    net.groups["sg-alb"]["IpPermissionsEgress"] = []
    net._cache.clear()
    d = net.check(alb, net.instances["i-app"], 8080)
    assert not d.allowed and "outbound" in d.rule


@pytest.mark.parametrize("ip,expected", [("10.0.10.5", "i-app"), ("10.9.9.9", "internet"), (None, "internet")])
def test_endpoint_lookup(ip, expected):
    net, _ = vpc()
    assert net.endpoint(ip).name == expected


def test_an_instance_reaches_its_own_app_whatever_its_groups_say():
    """curl localhost/ on the server: the packets never leave it, so no security group or NACL sees them."""
    net, _ = vpc()
    app = net.instances["i-app"]
    assert net.check(app, app, 8080).allowed and net.check(app, app, 8080).layer == "host"
    assert not net.check(net.instances["i-web"], app, 8080).allowed, "another instance with the same group is still denied"

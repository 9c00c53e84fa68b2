"""awslab.cloud.moto_ext.speed must change speed only: every response, byte for byte, as moto writes it, whatever came before.

Each call is made twice on the same moto state, once with moto's own serializer and once with
awslab's, and the raw HTTP bodies are compared (request ids aside). The state holds what makes
XML writing go wrong: markup characters and Korean in tags, empty lists, booleans, attributes
(xmlns), nested lists, timestamps, and error responses.
"""
from __future__ import annotations

import re

import boto3
import pytest
from moto import mock_aws

from awslab.cloud.moto_ext import speed

REGION = "ap-northeast-2"
TRICKY = "web <&> \"quoted\" 'single' 웹서버"
REQUEST_ID = re.compile(rb"<(requestId|RequestId|RequestID)>[^<]*</\1>|\"(RequestId|requestId)\": ?\"[^\"]*\"")


@pytest.fixture
def moto_account():
    speed.uninstall()
    with mock_aws():
        yield
    speed.uninstall()


def _capture(client) -> list[bytes]:
    bodies: list[bytes] = []
    client.meta.events.register("before-parse.*.*", lambda response_dict, **_: bodies.append(response_dict["body"]))
    return bodies


def _both(client, op: str, **kwargs) -> tuple[bytes, bytes]:
    """The raw response of ``op`` with moto's serializer, then with awslab's (errors included)."""
    bodies = _capture(client)
    out = []
    for install in (speed.uninstall, speed.install):
        install()
        bodies.clear()
        try:
            getattr(client, op)(**kwargs)
        except client.exceptions.ClientError:
            pass
        assert bodies, f"{op} produced no HTTP response"
        out.append(REQUEST_ID.sub(b"", bodies[-1]))
    speed.uninstall()
    return out[0], out[1]


def _build(ec2, elb, asg, cw) -> dict:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": TRICKY}]}])["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
               for i, z in enumerate("ac")]
    sg = ec2.create_security_group(GroupName="web", Description=TRICKY, VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": TRICKY}]}])
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=3, MaxCount=3, SubnetId=subnets[0], SecurityGroupIds=[sg],
                      UserData="#!/bin/bash\necho '<html>'", TagSpecifications=[
                          {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": TRICKY}, {"Key": "empty", "Value": ""}]}])
    lb = elb.create_load_balancer(Name="web-alb", Subnets=subnets, SecurityGroups=[sg])["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="web-tg", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckPath="/health?a=1&b=<2>")[
        "TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    ec2.create_launch_template(LaunchTemplateName="web-lt", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"})
    asg.create_auto_scaling_group(AutoScalingGroupName="web-asg", MinSize=1, MaxSize=4, DesiredCapacity=2,
                                  LaunchTemplate={"LaunchTemplateName": "web-lt"}, VPCZoneIdentifier=",".join(subnets),
                                  TargetGroupARNs=[tg], Tags=[{"Key": "Name", "Value": TRICKY, "PropagateAtLaunch": True}])
    asg.put_scaling_policy(AutoScalingGroupName="web-asg", PolicyName="cpu70", PolicyType="TargetTrackingScaling",
                           TargetTrackingConfiguration={"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                                                        "TargetValue": 70.0})
    cw.put_metric_alarm(AlarmName="cpu-high", AlarmDescription=TRICKY, MetricName="CPUUtilization", Namespace="AWS/EC2",
                        Statistic="Average", Period=60, EvaluationPeriods=3, Threshold=70, ComparisonOperator="GreaterThanThreshold")
    return {"vpc": vpc, "lb": lb, "tg": tg}


def test_every_response_is_byte_for_byte_moto_s(moto_account):
    ec2, elb, asg, cw, rds, iam = (boto3.client(s, region_name=REGION) for s in ("ec2", "elbv2", "autoscaling", "cloudwatch", "rds", "iam"))
    ids = _build(ec2, elb, asg, cw)
    iam.create_role(RoleName="web-role", AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}', Description=TRICKY)
    calls = [
        (ec2, "describe_instances", {}), (ec2, "describe_instance_status", {"IncludeAllInstances": True}),
        (ec2, "describe_vpcs", {}), (ec2, "describe_subnets", {}), (ec2, "describe_security_groups", {}),
        (ec2, "describe_route_tables", {}), (ec2, "describe_network_acls", {}), (ec2, "describe_launch_templates", {}),
        (ec2, "describe_availability_zones", {}), (ec2, "describe_tags", {}),
        (ec2, "describe_instances", {"InstanceIds": ["i-0123456789abcdef0"]}),  # an error response
        (elb, "describe_load_balancers", {}), (elb, "describe_target_groups", {}), (elb, "describe_listeners", {"LoadBalancerArn": ids["lb"]}),
        (elb, "describe_target_health", {"TargetGroupArn": ids["tg"]}), (elb, "describe_load_balancer_attributes", {"LoadBalancerArn": ids["lb"]}),
        (elb, "describe_target_groups", {"Names": ["no-such-tg"]}),  # an error response
        (asg, "describe_auto_scaling_groups", {}), (asg, "describe_auto_scaling_instances", {}), (asg, "describe_policies", {}),
        (asg, "describe_scaling_activities", {}), (cw, "describe_alarms", {}), (rds, "describe_db_instances", {}),
        (iam, "get_role", {"RoleName": "web-role"}), (iam, "get_role", {"RoleName": "nobody"}),
    ]
    compared = 0
    for client, op, kwargs in calls:
        moto_body, awslab_body = _both(client, op, **kwargs)
        assert awslab_body == moto_body, f"{op}({kwargs}) differs from moto's own response"
        compared += len(moto_body)
    assert compared > 20_000  # the comparison saw real responses, not empty ones
    described = _both(ec2, "describe_instances")[1]
    assert "web &lt;&amp;&gt;".encode() in described and "웹서버".encode() in described  # escaped, not dropped


def test_the_memo_tells_objects_of_one_class_apart(moto_account):
    """The memo caches which attribute NAME to read, never a value: two instances stay two."""
    speed.install()
    ec2 = boto3.client("ec2", region_name=REGION)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    first = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]["InstanceId"]
    second = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="m5.large")["Instances"][0]["InstanceId"]
    types = {i["InstanceId"]: i["InstanceType"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]}
    assert types == {first: "t3.micro", second: "m5.large"}


def _public_keys(ec2, include: bool) -> list[bool]:
    return ["PublicKey" in k for k in ec2.describe_key_pairs(IncludePublicKey=include)["KeyPairs"]]


@pytest.mark.parametrize("first", [True, False], ids=["with-first", "without-first"])
def test_include_public_key_answers_every_request_by_its_own_parameter(moto_account, first):
    """moto switches DescribeKeyPairs' PublicKey transformer per request: the first call must not decide for the rest."""
    speed.install()
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.create_key_pair(KeyName="one", KeyType="ed25519")
    ec2.create_key_pair(KeyName="two", KeyType="rsa")
    for include in (first, not first, first, not first):
        assert _public_keys(ec2, include) == [include, include], f"IncludePublicKey={include} after another order"


def test_a_response_transformer_changed_between_requests_applies(moto_account):
    """CreateVpcPeeringConnection inserts a transformer per request; any change to the table is read on the next call."""
    from moto.ec2.responses import EC2Response

    speed.install()
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.create_vpc(CidrBlock="10.0.0.0/16")
    path = "DescribeVpcsResult.Vpcs.Vpc.CidrBlock"
    table = EC2Response.RESPONSE_KEY_PATH_TO_TRANSFORMER
    before = [v["CidrBlock"] for v in ec2.describe_vpcs()["Vpcs"]]
    table[path] = lambda _: "192.0.2.0/24"
    try:
        assert {v["CidrBlock"] for v in ec2.describe_vpcs()["Vpcs"]} == {"192.0.2.0/24"}
    finally:
        del table[path]
    assert [v["CidrBlock"] for v in ec2.describe_vpcs()["Vpcs"]] == before


def test_vpc_peering_reports_its_initial_status_on_create_only(moto_account):
    speed.install()
    ec2 = boto3.client("ec2", region_name=REGION)
    vpcs = [ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")["Vpc"]["VpcId"] for i in range(3)]
    for peer in vpcs[1:]:
        created = ec2.create_vpc_peering_connection(VpcId=vpcs[0], PeerVpcId=peer)["VpcPeeringConnection"]
        assert created["Status"]["Code"] == "initiating-request"
        described = ec2.describe_vpc_peering_connections(
            VpcPeeringConnectionIds=[created["VpcPeeringConnectionId"]])["VpcPeeringConnections"][0]
        assert described["Status"]["Code"] == "pending-acceptance"


def test_an_action_added_to_a_response_class_after_its_first_request_answers(moto_account):
    """moto dispatches by the response class's methods; a method added later must be found (no stale list)."""
    from moto.core.responses import ActionResult
    from moto.ec2.responses import EC2Response

    speed.install()
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.describe_vpcs()  # the class has answered a request before the method exists
    assert not hasattr(EC2Response, "describe_capacity_blocks")

    def describe_capacity_blocks(self):
        return ActionResult({"CapacityBlocks": []})

    EC2Response.describe_capacity_blocks = describe_capacity_blocks
    try:
        assert ec2.describe_capacity_blocks()["CapacityBlocks"] == []
    finally:
        del EC2Response.describe_capacity_blocks


def test_the_memo_is_bounded_by_the_model_not_by_requests(moto_account):
    """Shapes come from moto's cached service model, so repeating a call adds no memo entries."""
    speed.install()
    ec2 = boto3.client("ec2", region_name=REGION)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2)
    ec2.describe_instances()
    size = len(speed._KEYS)
    for _ in range(3):
        ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)
        ec2.describe_instances()
    assert size > 50 and len(speed._KEYS) == size


def test_objects_with_their_own_serialization_aliases_are_not_memoised(moto_account):
    """ExplicitAlias reads ``obj.Meta``; such objects go through moto's own lookup every time."""
    from types import SimpleNamespace

    from moto.core.serialize import AttributePickerContext, XFormedAttributePicker

    speed.install()
    picker = XFormedAttributePicker()
    shape = SimpleNamespace(serialization={}, type_name="string", name="String")

    class Stack:
        class Meta:
            serialization_aliases = {"Parameters": "parameter_list"}

    stack = Stack()
    stack.parameter_list, stack.parameters = ["explicit"], ["plain"]
    assert picker(AttributePickerContext(stack, "Parameters", shape)) == ["explicit"]
    Stack.Meta.serialization_aliases = {}
    assert picker(AttributePickerContext(stack, "Parameters", shape)) == ["plain"]
    assert not any(k[2] is Stack for k in speed._KEYS)


def test_the_request_routing_memo_answers_as_moto_does(moto_account):
    from moto import backends

    modules = list(backends.list_of_moto_modules())
    speed.install()
    assert list(backends.list_of_moto_modules()) == modules and "ec2" in modules and "ec2" in backends.list_of_moto_modules()

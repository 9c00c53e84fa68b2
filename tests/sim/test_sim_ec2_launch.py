"""RunInstances and a subnet's private addresses: taken at launch, kept while stopped, given back at
termination; EC2's own errors for a full subnet and a missing launch template - all read through the APIs."""
from __future__ import annotations

import gc

import pytest
from botocore.exceptions import ClientError

from awslab.sim.ec2 import (PENDING_TO_RUNNING_S, SHUTTING_DOWN_TO_TERMINATED_S, STOPPING_TO_STOPPED_S,
                            TERMINATED_VISIBLE_S)

#: A /28 has 16 addresses; AWS reserves 5 (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
SMALL_CIDR, SMALL_FREE = "10.0.99.0/28", 11


def _small_subnet(w) -> str:
    w.network()
    subnet = w.ec2.create_subnet(VpcId=w.vpc_id, CidrBlock=SMALL_CIDR, AvailabilityZone="ap-northeast-2a")
    return subnet["Subnet"]["SubnetId"]


def _free(w, subnet_id) -> int:
    return w.ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["AvailableIpAddressCount"]


def _launch(w, subnet_id, count=1) -> list[dict]:
    return w.ec2.run_instances(ImageId="ami-12c6146b", MinCount=count, MaxCount=count, InstanceType="t3.micro",
                               SubnetId=subnet_id)["Instances"]


def _instance_count(w) -> int:
    return sum(len(r["Instances"]) for r in w.ec2.describe_instances()["Reservations"])


def test_terminated_instances_give_their_address_back_and_stopped_ones_keep_it(world):
    w = world
    sid = _small_subnet(w)
    assert _free(w, sid) == SMALL_FREE
    first, second = _launch(w, sid, 2)
    assert _free(w, sid) == SMALL_FREE - 2
    eni = first["NetworkInterfaces"][0]
    assert eni["Attachment"]["DeleteOnTermination"] is True  # the primary interface RunInstances creates
    w.advance(PENDING_TO_RUNNING_S[1])

    w.ec2.stop_instances(InstanceIds=[second["InstanceId"]])
    w.advance(STOPPING_TO_STOPPED_S[1])
    assert _free(w, sid) == SMALL_FREE - 2, "a stopped instance keeps its address (API_Subnet)"

    w.ec2.terminate_instances(InstanceIds=[first["InstanceId"]])
    assert _free(w, sid) == SMALL_FREE - 2, "the address is held while the instance is shutting-down"
    w.advance(SHUTTING_DOWN_TO_TERMINATED_S[1])
    assert _free(w, sid) == SMALL_FREE - 1
    enis = w.ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [sid]}])["NetworkInterfaces"]
    assert eni["NetworkInterfaceId"] not in {e["NetworkInterfaceId"] for e in enis}
    reused = _launch(w, sid)[0]
    assert reused["PrivateIpAddress"] == first["PrivateIpAddress"]


def test_a_full_subnet_answers_insufficient_free_addresses_and_creates_nothing(world):
    w = world
    sid = _small_subnet(w)
    _launch(w, sid, SMALL_FREE)
    assert _free(w, sid) == 0
    before = _instance_count(w)
    with pytest.raises(ClientError) as e:
        _launch(w, sid)
    err = e.value.response["Error"]
    assert err["Code"] == "InsufficientFreeAddressesInSubnet"
    assert err["Message"] == (f"There are not enough free addresses in subnet '{sid}' to satisfy the requested "
                              "number of instances.")
    assert _instance_count(w) == before
    assert all(r["Instances"] for r in w.ec2.describe_instances()["Reservations"]), "no empty reservation is left"


def test_a_forgotten_instance_never_takes_back_an_address_someone_else_holds(world):
    """moto's Instance.__del__ gives its addresses back when the object is collected; the new holder keeps it."""
    w = world
    sid = _small_subnet(w)
    old = _launch(w, sid)[0]
    w.advance(PENDING_TO_RUNNING_S[1])
    w.ec2.terminate_instances(InstanceIds=[old["InstanceId"]])
    w.advance(SHUTTING_DOWN_TO_TERMINATED_S[1])
    new = _launch(w, sid)[0]
    assert new["PrivateIpAddress"] == old["PrivateIpAddress"]
    w.advance(TERMINATED_VISIBLE_S + 60)  # the old instance leaves DescribeInstances and moto
    gc.collect()
    assert _free(w, sid) == SMALL_FREE - 1
    others = {i["PrivateIpAddress"] for i in _launch(w, sid, SMALL_FREE - 1)}
    assert new["PrivateIpAddress"] not in others


def test_a_missing_launch_template_answers_ec2s_not_found_error(world):
    w = world
    sid = _small_subnet(w)
    for spec, code, text in (({"LaunchTemplateId": "lt-0123456789abcdef0"}, "InvalidLaunchTemplateId.NotFound",
                              "The specified launch template, with template ID lt-0123456789abcdef0, does not exist."),
                             ({"LaunchTemplateName": "gone"}, "InvalidLaunchTemplateName.NotFoundException",
                              "The specified launch template, with template name gone, does not exist.")):
        with pytest.raises(ClientError) as e:
            w.ec2.run_instances(MinCount=1, MaxCount=1, SubnetId=sid, LaunchTemplate=spec)
        assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (code, text)
    assert _instance_count(w) == 0

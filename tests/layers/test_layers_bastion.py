"""The bastion: one small AL2023 instance in the first public subnet, in the bastion group, with the lab's key."""
import dataclasses
import uuid

import pytest

from awslab import Lab, ValidationError
from awslab.layers.bastion import AL2023_NAME, BastionSpec, build_bastion, describe_bastion, find_al2023_ami
from awslab.layers.keys import create_key_pair
from awslab.layers.network import build_network
from awslab.layers.security import build_security


def prerequisites(lab):
    net = build_network(lab)
    return net, build_security(lab, net), create_key_pair(lab)


@pytest.fixture(scope="module")
def built(cloud_url):
    """A lab with its network, security groups, key pair and bastion, for the tests that only read."""
    lab = Lab(name="b" + uuid.uuid4().hex[:8], backend="embedded", endpoint_url=cloud_url)
    net, sec, key = prerequisites(lab)
    return lab, net, sec, key, build_bastion(lab, net, sec, key)


def instance(lab, instance_id):
    return lab.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def test_bastion_sits_in_the_first_public_subnet_with_its_group_and_key(built):
    lab, net, sec, key, bastion = built
    i = instance(lab, bastion.instance_id)
    assert i["State"]["Name"] == "running" and i["InstanceType"] == "t3.micro"
    assert i["SubnetId"] == bastion.subnet_id == net.public_subnets[0].subnet_id
    assert [g["GroupId"] for g in i["SecurityGroups"]] == [sec.bastion_sg_id]
    assert i["KeyName"] == key.key_name == bastion.key_name
    assert (bastion.public_ip, bastion.private_ip) == (i["PublicIpAddress"], i["PrivateIpAddress"])
    assert bastion.ssh_command == f"ssh -i {key.private_key_path} ec2-user@{i['PublicIpAddress']}"
    assert bastion.availability_zone == net.public_subnets[0].availability_zone


def test_bastion_runs_amazon_linux_2023(built):
    lab, _, _, _, bastion = built
    image = lab.client("ec2").describe_images(ImageIds=[bastion.image_id])["Images"][0]
    assert image["Name"].startswith("al2023-ami-2023.") and image["Architecture"] == "x86_64"


def test_find_al2023_ami_picks_the_newest_standard_image(lab):
    images = lab.client("ec2").describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": [AL2023_NAME]}])["Images"]
    assert images and not any("minimal" in i["Name"] or "ecs" in i["Name"] for i in images)
    newest = max(images, key=lambda i: (i["CreationDate"], i["Name"]))
    assert find_al2023_ami(lab) == newest["ImageId"]
    assert "AMI_ID=$(aws ec2 describe-images --owners amazon" in lab.cli_log().script()


def test_bastion_instance_and_volume_are_tagged(built):
    lab, _, _, _, bastion = built
    ec2 = lab.client("ec2")
    expected = {"Name": f"{lab.name}-bastion", "awslab:lab": lab.name, "awslab:layer": "bastion"}
    assert {t["Key"]: t["Value"] for t in instance(lab, bastion.instance_id)["Tags"]} == expected
    volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [bastion.instance_id]}])["Volumes"]
    assert volumes and all({t["Key"]: t["Value"] for t in v["Tags"]} == expected for v in volumes)
    assert [i["InstanceId"] for i in describe_bastion(lab)] == [bastion.instance_id]


def test_bastion_second_run_launches_nothing(built):
    lab, net, sec, key, first = built
    second = build_bastion(lab, net, sec, key)
    assert first.created == [first.instance_id] and second.created == []
    assert (second.instance_id, second.public_ip) == (first.instance_id, first.public_ip)
    assert len(describe_bastion(lab)) == 1


def test_bastion_terminated_is_replaced_and_stopped_is_started(built, lab):
    _, net, _, _, _ = built  # a fresh lab's groups, key and bastion in the shared VPC
    sec, key = build_security(lab, net), create_key_pair(lab)
    first = build_bastion(lab, net, sec, key)
    ec2 = lab.client("ec2")
    ec2.stop_instances(InstanceIds=[first.instance_id])
    restarted = build_bastion(lab, net, sec, key)
    assert restarted.created == [] and instance(lab, first.instance_id)["State"]["Name"] == "running"
    ec2.terminate_instances(InstanceIds=[first.instance_id])
    replaced = build_bastion(lab, net, sec, key)
    assert replaced.created == [replaced.instance_id] and replaced.instance_id != first.instance_id
    assert [i["InstanceId"] for i in describe_bastion(lab)] == [replaced.instance_id]


def test_bastion_with_a_chosen_image(built, lab):
    _, net, sec, _, _ = built
    key = create_key_pair(lab)
    other = lab.client("ec2").describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-minimal-*"]}])["Images"][0]
    bastion = build_bastion(lab, net, sec, key, BastionSpec(image_id=other["ImageId"], instance_type="t3.small"))
    i = instance(lab, bastion.instance_id)
    assert (i["ImageId"], i["InstanceType"]) == (other["ImageId"], "t3.small")
    assert f"AMI_ID={other['ImageId']}" in lab.cli_log().script()


def test_bastion_cli_log(built):
    lab, *_ = built
    script = lab.cli_log().script()
    assert ("BASTION_ID=$(aws ec2 run-instances --image-id $AMI_ID --instance-type t3.micro --key-name $KEY_NAME "
            "--subnet-id $PUBLIC_SUBNET_1 --security-group-ids $BASTION_SG_ID --tag-specifications") in script
    assert "ResourceType=volume" in script and "aws ec2 wait instance-running --instance-ids $BASTION_ID" in script
    assert "BASTION_IP=$(aws ec2 describe-instances --instance-ids $BASTION_ID" in script


@pytest.mark.parametrize("field,kwargs,rule", [
    ("instance_type", {"instance_type": "t3micro"}, "<family><generation>.<size>"),
    ("instance_type", {"instance_type": "T3.Micro"}, "<family><generation>.<size>"),
    ("image_id", {"image_id": "ami-xyz"}, "8 or 17 hex digits"),
    ("image_id", {"image_id": "i-0123456789abcdef0"}, "8 or 17 hex digits"),
])
def test_bastion_rejects_bad_input_before_creating_anything(built, lab, field, kwargs, rule):
    _, net, sec, key, _ = built
    with pytest.raises(ValidationError) as e:
        build_bastion(lab, net, sec, key, BastionSpec(**kwargs))
    assert e.value.field == field and rule in str(e.value) and "How to fix" in str(e.value)
    assert describe_bastion(lab) == []


def test_bastion_needs_a_public_subnet(built, lab):
    _, net, sec, key, _ = built
    with pytest.raises(ValidationError) as e:
        build_bastion(lab, dataclasses.replace(net, public_subnets=[]), sec, key)
    assert e.value.field == "network.public_subnets"
    assert describe_bastion(lab) == []

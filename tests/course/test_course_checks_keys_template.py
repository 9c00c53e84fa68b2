"""Labs 03 and 04's checks name the likely mistakes one by one (the solution runs show they pass; these show how they
fail): a key pair without the lab's tags or not the local key, a key file others can read, SSH open to the world,
a template with the ALB's group, a version 2 built without SourceVersion, a server launched from an old version."""
from __future__ import annotations

import base64
import os

import pytest

from awslab.checks.registry import run_check
from awslab.course.prepare import catch_up
from awslab.layers.keys import default_key_dir
from awslab.webapp import user_data_base64


def message(lab, task_id: str) -> str:
    verdict = run_check(task_id, lab)
    assert not verdict.passed, f"{task_id} passed: {verdict.message}"
    return verdict.message


def test_the_key_pair_checks_read_ec2_and_the_local_files(lab):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    ec2, name = lab.client("ec2"), f"{lab.name}-key"
    assert "no key pair" in message(lab, "03.1")
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2)]
    pubs = [k.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH) for k in keys]
    kid = ec2.import_key_pair(KeyName=name, PublicKeyMaterial=pubs[0])["KeyPairId"]
    assert "no tag awslab:lab" in message(lab, "03.1")
    ec2.create_tags(Resources=[kid], Tags=[{"Key": "awslab:lab", "Value": lab.name}])
    folder = default_key_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.pub").write_bytes(pubs[1] + b"\n")
    assert "is not your local key" in message(lab, "03.1")
    (folder / f"{name}.pub").write_bytes(pubs[0] + b"\n")
    assert run_check("03.1", lab).passed

    assert "no private key" in message(lab, "03.2")
    private = folder / name
    private.write_bytes(keys[0].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                              serialization.NoEncryption()))
    os.chmod(private, 0o644)
    assert "UNPROTECTED PRIVATE KEY FILE" in message(lab, "03.2")
    os.chmod(private, 0o600)
    assert "chmod 400" in message(lab, "03.2")
    os.chmod(private, 0o400)
    assert run_check("03.2", lab).passed


def _rule(cidr=None, group=None, port=22):
    rule = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    rule["IpRanges" if cidr else "UserIdGroupPairs"] = [{"CidrIp": cidr} if cidr else {"GroupId": group}]
    return [rule]


def test_the_bastion_group_admits_your_address_alone(lab):
    lab.build(until="network")
    groups = catch_up(lab, "02.3").resources
    ec2, name = lab.client("ec2"), f"{lab.name}-bastion-sg"
    vpc = lab.client("ec2").describe_security_groups(GroupIds=[groups["app_sg_id"]])["SecurityGroups"][0]["VpcId"]
    assert "no security group named" in message(lab, "03.3")
    sg = ec2.create_security_group(GroupName=name, Description="bastion", VpcId=vpc,
                                   TagSpecifications=lab.tag_spec("security-group", name))["GroupId"]
    for cidr, words in (("0.0.0.0/0", "the whole internet"), ("10.1.2.0/24", "256 addresses"),
                        ("203.0.113.5/32", "you are 127.0.0.1")):
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_rule(cidr))
        assert words in message(lab, "03.3")
        ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=_rule(cidr))
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_rule("127.0.0.1/32"))
    assert "does not admit port 22 from the" in message(lab, "03.3")
    ec2.authorize_security_group_ingress(GroupId=groups["app_sg_id"], IpPermissions=_rule("10.0.1.0/24"))
    assert "a CIDR, not the" in message(lab, "03.3")
    ec2.revoke_security_group_ingress(GroupId=groups["app_sg_id"], IpPermissions=_rule("10.0.1.0/24"))
    ec2.authorize_security_group_ingress(GroupId=groups["app_sg_id"], IpPermissions=_rule(group=sg))
    assert run_check("03.3", lab).passed

    private = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [f"{lab.name}-private-a"]}])["Subnets"][0]
    ec2.run_instances(ImageId="ami-06e9e3574a0459db2", InstanceType="t3.micro", MinCount=1, MaxCount=1,
                      SubnetId=private["SubnetId"], SecurityGroupIds=[sg], KeyName=f"{lab.name}-key",
                      TagSpecifications=lab.tag_spec("instance", f"{lab.name}-bastion", "bastion"))
    assert "the bastion belongs in" in message(lab, "03.4")


def _data(lab, stack, **changes):
    data = {"ImageId": "ami-0870825cefcaafcc8", "InstanceType": "t3.micro", "SecurityGroupIds": [stack.security.app_sg_id],
            "KeyName": f"{lab.name}-key", "UserData": user_data_base64(80),
            "TagSpecifications": lab.tag_spec("instance", f"{lab.name}-app")}
    data.update(changes)
    return data


def _template(lab, data):
    name = f"{lab.name}-app-lt"
    return lab.client("ec2").create_launch_template(LaunchTemplateName=name, LaunchTemplateData=data,
                                                    TagSpecifications=lab.tag_spec("launch-template", name))[
        "LaunchTemplate"]["LaunchTemplateId"]


@pytest.mark.parametrize("changes,words", [
    ({"ImageId": "ami-12c6146b"}, "not an Amazon Linux 2023"),
    ({"SecurityGroupIds": "alb"}, "the ALB's group would open"),
    ({"KeyName": None}, "the key pair"),
    ({"UserData": base64.b64encode(b"#!/bin/bash\necho hello\n").decode()}, "not the script"),
    ({"TagSpecifications": []}, "would not carry the tags"),
])
def test_the_templates_version_1_is_checked_setting_by_setting(lab, changes, words):
    stack = lab.build(until="keys")
    if changes.get("SecurityGroupIds") == "alb":
        changes = {"SecurityGroupIds": [stack.security.alb_sg_id]}
    data = {k: v for k, v in _data(lab, stack, **changes).items() if v is not None}
    _template(lab, data)
    assert words in message(lab, "04.1")


def test_version_2_must_build_on_version_1_be_the_default_and_be_what_servers_launch_from(lab):
    stack = lab.build(until="keys")
    ec2 = lab.client("ec2")
    lt = _template(lab, _data(lab, stack))
    assert run_check("04.1", lab).passed and "no version 2" in message(lab, "04.2")
    imdsv2 = {"MetadataOptions": {"HttpTokens": "required"}, "Monitoring": {"Enabled": True}}
    ec2.create_launch_template_version(LaunchTemplateId=lt, LaunchTemplateData=imdsv2)
    ec2.modify_launch_template(LaunchTemplateId=lt, DefaultVersion="2")
    assert "lost version 1's settings" in message(lab, "04.2")
    ec2.create_launch_template_version(LaunchTemplateId=lt, SourceVersion="1", LaunchTemplateData=imdsv2)
    assert "The default version 2" in message(lab, "04.2"), "version 3 is right, but the default is still the broken 2"
    ec2.modify_launch_template(LaunchTemplateId=lt, DefaultVersion="3")
    assert run_check("04.2", lab).passed
    private = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [f"{lab.name}-private-a"]}])["Subnets"][0]
    ec2.run_instances(LaunchTemplate={"LaunchTemplateId": lt, "Version": "1"}, SubnetId=private["SubnetId"],
                      MinCount=1, MaxCount=1)
    assert "launched from version 1" in message(lab, "04.3")

"""Lab 03's catch-up steps: the key pair, the bastion's group with the SSH rules, the bastion (the builder's own calls).

Task 03.2 (chmod 400) has no step: nothing later depends on it, and the builder writes its keys 0400 anyway.
"""
from __future__ import annotations

from typing import Any

from ..prepare import step

#: The admin address on the embedded cloud (127.0.0.1 plays your machine), as SecuritySpec's default.
ADMIN_CIDR = "127.0.0.1/32"


@step("03.1")
def _key_pair(lab: Any, resources: dict) -> dict:
    from ...checks.keys_bastion import key_name, key_path
    from ...layers.keys import create_key_pair, describe_key_pair

    if describe_key_pair(lab, key_name(lab)) is None:  # only then: the builder would also chmod the student's files
        create_key_pair(lab)  # a local key the student made is imported; else a new one is made and imported
    return {"key_name": key_name(lab), "key_path": str(key_path(lab))}


@step("03.3")
def _bastion_group(lab: Any, resources: dict) -> dict:
    from ...checks.network import the_vpc
    from ...layers.security import ensure_ingress, ensure_security_group

    vpc_id = the_vpc(lab)["VpcId"]
    bastion = ensure_security_group(lab, vpc_id, "bastion", [])
    app = ensure_security_group(lab, vpc_id, "app", [])
    ensure_ingress(lab, bastion, "bastion", 22, [], cidr=ADMIN_CIDR)
    ensure_ingress(lab, app, "app", 22, [], source_group_id=bastion, source_role="bastion")
    return {"bastion_sg_id": bastion, "app_sg_id": app}


@step("03.4")
def _bastion(lab: Any, resources: dict) -> dict:
    from ...checks.keys_bastion import _public_subnet_a, key_name
    from ...layers.bastion import ensure_bastion_instance, find_al2023_ami

    subnet = _public_subnet_a(lab)["SubnetId"]
    group = resources.get("bastion_sg_id") or _bastion_group(lab, resources)["bastion_sg_id"]
    instance = ensure_bastion_instance(lab, subnet, group, key_name(lab), find_al2023_ami(lab), "t3.micro", [])
    return {"bastion_id": instance["InstanceId"], "bastion_ip": instance.get("PublicIpAddress")}

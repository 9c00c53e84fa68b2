"""Layer 4, the bastion host: the one machine you may SSH to from outside.

The app servers and the database live in private subnets: nothing on the
internet can reach them, and that includes you. A **bastion** (jump host) is a
small instance in a *public* subnet whose security group admits SSH from your
own address only. You SSH to it, and from it to private instances (the app
group admits port 22 from the bastion group only).

The seed's warning: the bastion is the most exposed machine, so it must **not**
hold your private key. Use ``ssh-agent`` with ``ssh -A``, or better ``ssh -J``
(see :func:`awslab.layers.keys.ssh_agent_commands`). On real AWS, Session
Manager can replace the bastion entirely; the seed's design uses one.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from botocore.exceptions import WaiterError

from ..errors import ComputeError, ValidationError
from ..lab import Lab
from . import spec_types, validate
from ._base import Built, call, check_image, check_instance_type, cli_tags, paginate, tag_spec
from .keys import KeyPair
from .network import Network
from .security import SecurityGroups
from .waits import WaitTimeout, pace_of, wait_for, waiter
from ..i18n import _

LAYER = "bastion"
__all__ = ["BastionSpec", "Bastion", "build_bastion", "find_al2023_ami", "ensure_bastion_instance", "describe_bastion"]

#: Amazon Linux 2023, x86_64, the standard image: "al2023-ami-2023.<ver>-kernel-<k>-x86_64". The pattern
#: deliberately skips the "al2023-ami-minimal-*" and "al2023-ami-ecs-*" variants that "al2023-ami-*" would match.
#: On real AWS the SSM parameter /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64 names the
#: current default-kernel image (https://docs.aws.amazon.com/linux/al2023/ug/ec2.html).
AL2023_NAME = "al2023-ami-2023.*-x86_64"
#: Used when describe_images finds nothing: the AL2023 (kernel 6.1, x86_64) image that moto 5.2.5 ships for
#: ap-northeast-2 (moto/ec2/resources/latest_amis/ap-northeast-2.json.gz). moto accepts it in every region;
#: on real AWS an AMI ID belongs to one region, so there the lookup must succeed (it does for amazon-owned AMIs).
AL2023_FALLBACK_AMI = "ami-06e9e3574a0459db2"
#: Instance states that count as "the bastion exists" (terminated ones linger in describe for about an hour).
LIVE_STATES = ["pending", "running", "stopping", "stopped"]


@dataclass
class BastionSpec:
    """One small instance; ``image_id=None`` means the newest Amazon Linux 2023."""

    instance_type: str = "t3.micro"
    image_id: str | None = None
    user: str = "ec2-user"  # Amazon Linux's login user


@dataclass
class Bastion(Built):
    """The bastion instance, its addresses, and the command to reach it."""

    instance_id: str
    public_ip: str | None
    private_ip: str | None
    subnet_id: str
    ssh_command: str
    image_id: str
    instance_type: str
    availability_zone: str
    key_name: str
    created: list[str] = field(default_factory=list)


def check_spec(lab: Lab, spec: BastionSpec | None) -> BastionSpec:
    """Check the spec on its own (and ask EC2 whether the type and image exist) before any AWS call that creates."""
    spec = spec_types.spec(spec, BastionSpec, "bastion")
    check_instance_type(lab, "instance_type", spec.instance_type)
    if spec.image_id is not None:
        check_image(lab, "image_id", spec.image_id)
    validate.LOGIN_USER.check("user", spec.user, "Use 'ec2-user', Amazon Linux's login user.")
    return spec


def validate_spec(lab: Lab, network: Network, key: KeyPair, spec: BastionSpec | None) -> BastionSpec:
    """Check the spec and the layers it stands on before any AWS call."""
    spec = check_spec(lab, spec)
    if not network.public_subnets:
        raise ValidationError("network.public_subnets", [], _("a bastion must sit in a public subnet"),
                              _("Build the network with at least one public subnet."))
    if not key.key_name:
        raise ValidationError("key.key_name", key.key_name, _("the bastion needs a key pair to log in with"), _("Call create_key_pair(lab) first."))
    return spec


def build_bastion(lab: Lab, network: Network, security: SecurityGroups, key: KeyPair, spec: BastionSpec | None = None) -> Bastion:
    """Ensure one bastion in the first public subnet, with the bastion group and ``key``."""
    spec = validate_spec(lab, network, key, spec)
    if spec.image_id:
        image_id = spec.image_id
        lab.record("bastion/ami", f"AMI_ID={image_id}", _("The bastion's image, as you chose it"))
    else:
        image_id = find_al2023_ami(lab)
    created: list[str] = []
    instance = ensure_bastion_instance(lab, network.public_subnets[0].subnet_id, security.bastion_sg_id, key.key_name,
                                       image_id, spec.instance_type, created)
    public_ip, private_ip = instance.get("PublicIpAddress"), instance.get("PrivateIpAddress")
    ssh = f"ssh -i {shlex.quote(key.private_key_path)} {spec.user}@{public_ip or '<public-ip>'}"
    return Bastion(instance["InstanceId"], public_ip, private_ip, instance["SubnetId"], ssh, instance["ImageId"],
                   instance["InstanceType"], instance["Placement"]["AvailabilityZone"], key.key_name, created)


def find_al2023_ami(lab: Lab) -> str:
    """Probe: the newest Amazon Linux 2023 x86_64 AMI owned by Amazon, or the documented fallback."""
    ec2 = lab.client("ec2")
    filters = [{"Name": "name", "Values": [AL2023_NAME]}, {"Name": "architecture", "Values": ["x86_64"]},
               {"Name": "state", "Values": ["available"]}]
    images = call(ec2.describe_images, _("looking up the Amazon Linux 2023 AMI"), error=ComputeError, Owners=["amazon"], Filters=filters)
    lab.record("bastion/ami", ["aws", "ec2", "describe-images", "--owners", "amazon", "--filters", f"Name=name,Values={AL2023_NAME}",
               "Name=architecture,Values=x86_64"], _("The bastion's image: the newest Amazon Linux 2023"),
               var="AMI_ID", query="sort_by(Images, &CreationDate)[-1].ImageId")
    if not images["Images"]:
        return AL2023_FALLBACK_AMI
    return max(images["Images"], key=lambda i: (i.get("CreationDate", ""), i.get("Name", "")))["ImageId"]


def _find(lab: Lab, name: str) -> dict | None:
    instances = describe_bastion(lab)
    return instances[0] if instances else None


def ensure_bastion_instance(lab: Lab, subnet_id: str, group_id: str, key_name: str, image_id: str, instance_type: str,
                            created: list[str]) -> dict:
    """The bastion instance, found by its tags among non-terminated instances before one is launched."""
    ec2 = lab.client("ec2")
    name = lab.resource_name("bastion")
    tags = lab.tags(name, LAYER)
    instance = _find(lab, name)
    if instance is None:
        instance = call(ec2.run_instances, _("launching the bastion"), error=ComputeError, ImageId=image_id, InstanceType=instance_type,
                        MinCount=1, MaxCount=1, KeyName=key_name, SubnetId=subnet_id, SecurityGroupIds=[group_id],
                        TagSpecifications=tag_spec(tags, "instance", "volume"))["Instances"][0]
        created.append(instance["InstanceId"])
    if instance["State"]["Name"] != "running" or not instance.get("PublicIpAddress"):
        instance = _wait_running(lab, instance["InstanceId"])
    lab.record("bastion/instance", ["aws", "ec2", "run-instances", "--image-id", "$AMI_ID", "--instance-type", instance_type,
               "--key-name", "$KEY_NAME", "--subnet-id", "$PUBLIC_SUBNET_1", "--security-group-ids", "$BASTION_SG_ID",
               "--tag-specifications", cli_tags("instance", tags), cli_tags("volume", tags)],
               _("The bastion, in the first public subnet"), var="BASTION_ID", query="Instances[0].InstanceId")
    lab.record("bastion/wait", ["aws", "ec2", "wait", "instance-running", "--instance-ids", "$BASTION_ID"])
    lab.record("bastion/ip", ["aws", "ec2", "describe-instances", "--instance-ids", "$BASTION_ID"], var="BASTION_IP",
               query="Reservations[0].Instances[0].PublicIpAddress")
    return instance


def _wait_running(lab: Lab, instance_id: str) -> dict:
    """Wait (bounded) for ``running``; a public IP is assigned by then. Starts a stopped (or stopping) bastion first.

    AWS's own waiters (``aws ec2 wait instance-running``), at the backend's pace, with progress (:mod:`.waits`).
    """
    ec2 = lab.client("ec2")
    state = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]
    pace = pace_of(lab)
    fix = _("Look at its state and state reason: aws ec2 describe-instances --instance-ids {id}").format(id=instance_id)
    try:
        if state == "stopping":  # an instance can be started only once it is fully stopped
            wait_for(waiter(ec2, "instance_stopped", _("the bastion {id} to stop").format(id=instance_id), fix,
                            InstanceIds=[instance_id]), pace)
        if state in ("stopping", "stopped"):
            call(ec2.start_instances, _("starting the stopped bastion"), error=ComputeError, InstanceIds=[instance_id])
        wait_for(waiter(ec2, "instance_running", _("the bastion {id} to be running").format(id=instance_id), fix,
                        InstanceIds=[instance_id]), pace)
    except (WaiterError, WaitTimeout) as e:
        raise ComputeError(_("The bastion {instance_id} did not reach 'running': {error}").format(
            instance_id=instance_id, error=e), fix) from e
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def describe_bastion(lab: Lab) -> list[dict]:
    """Probe: the lab's non-terminated bastion instances, as AWS describes them. Changes nothing."""
    filters = lab.lab_filters(lab.resource_name("bastion")) + [{"Name": "instance-state-name", "Values": LIVE_STATES}]
    return [i for r in paginate(lab.client("ec2"), "describe_instances", "Reservations", Filters=filters) for i in r["Instances"]]

"""EC2 part of the moto extension: what RunInstances checks before it creates anything, and the private
addresses an instance takes at launch and gives back at termination.

What AWS does, and moto 5.2.5 does not:

- The primary network interface that RunInstances creates is deleted when the instance terminates
  (its ``DeleteOnTermination`` is true; moto leaves it false), and deleting a network interface
  "releases any private IP addresses ... to be used by another instance"
  (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/delete_eni.html). So DescribeSubnets'
  ``AvailableIpAddressCount`` ("the number of unused private IPv4 addresses in the subnet. The IPv4
  addresses for any stopped instances are considered unavailable",
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Subnet.html) comes back once an instance
  is ``terminated``; a stopped instance keeps its address.
- A launch into a subnet with too few free addresses fails with ``InsufficientFreeAddressesInSubnet``
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html) and creates nothing.
  moto raised a bare ``StopIteration`` half-way through the launch, which an Auto Scaling activity
  showed as an empty status reason.
- A launch from a launch template that no longer exists fails with ``InvalidLaunchTemplateId.NotFound``
  (or ``InvalidLaunchTemplateName.NotFoundException``), moto's own errors for DescribeLaunchTemplates;
  moto's RunInstances raised an ``IndexError`` (HTTP 500, and "list index out of range" in an activity).
"""
from __future__ import annotations

from typing import Callable

from moto.ec2.exceptions import (EC2ClientError, InvalidLaunchTemplateIdNotFound,
                                 InvalidLaunchTemplateNameNotFoundWithNameError)
from moto.ec2.models.instances import InstanceBackend

__all__ = ["install", "release_addresses", "insufficient_addresses", "mark_primary_delete_on_termination",
           "INSUFFICIENT_ADDRESSES_CODE"]

INSUFFICIENT_ADDRESSES_CODE = "InsufficientFreeAddressesInSubnet"
#: RunInstances' message for a full subnet, word for word as EC2 returns it (the wording is quoted in
#: public RunInstances error logs; the code and its meaning are on the EC2 error-codes page above).
INSUFFICIENT_ADDRESSES_MESSAGE = ("There are not enough free addresses in subnet '{subnet_id}' to satisfy the "
                                  "requested number of instances.")

_ORIG: dict[str, object] = {}
#: ``moto_ext.active``, handed in by :func:`install` (importing the package here would close an import cycle).
_ACTIVE: list[Callable[[], object]] = []


def install(active: Callable[[], object]) -> None:
    """Patch moto; ``active()`` is the installed simulator or None (then moto's own behaviour runs)."""
    _ACTIVE[:] = [active]
    if _ORIG:
        return
    _ORIG["run_instances"] = InstanceBackend.run_instances
    InstanceBackend.run_instances = _run_instances


def insufficient_addresses(subnet_id: str) -> EC2ClientError:
    """EC2's error for a subnet without enough free private addresses."""
    return EC2ClientError(INSUFFICIENT_ADDRESSES_CODE, INSUFFICIENT_ADDRESSES_MESSAGE.format(subnet_id=subnet_id))


def _run_instances(self, image_id, count, user_data, security_group_names, **kwargs):
    """Refuse a launch the subnet has no room for before anything is created, as EC2 does."""
    if not _ACTIVE or _ACTIVE[0]() is None:
        return _ORIG["run_instances"](self, image_id, count, user_data, security_group_names, **kwargs)
    _check_launch_template(self, kwargs.get("launch_template") or {})
    subnet_id = kwargs.get("subnet_id")
    if subnet_id and self.get_subnet(subnet_id).available_ip_address_count < int(count or 1):
        raise insufficient_addresses(subnet_id)  # (an unknown subnet raised moto's InvalidSubnetID.NotFound)
    before = set(self.reservations)
    try:
        return _ORIG["run_instances"](self, image_id, count, user_data, security_group_names, **kwargs)
    except EC2ClientError:
        for rid in set(self.reservations) - before:  # a launch that failed half-way leaves no empty reservation
            if not self.reservations[rid].instances:
                del self.reservations[rid]
        raise


def _check_launch_template(backend, spec: dict) -> None:
    """The launch template RunInstances names must exist (EC2's NotFound errors, not moto's IndexError)."""
    if spec.get("LaunchTemplateId") and spec["LaunchTemplateId"] not in backend.launch_templates:
        raise InvalidLaunchTemplateIdNotFound(spec["LaunchTemplateId"])
    if (not spec.get("LaunchTemplateId") and spec.get("LaunchTemplateName")
            and spec["LaunchTemplateName"] not in backend.launch_template_name_to_ids):
        raise InvalidLaunchTemplateNameNotFoundWithNameError(spec["LaunchTemplateName"])


def mark_primary_delete_on_termination(instance, existing_eni_ids: set[str], nic_specs: list | None) -> None:
    """The primary interface RunInstances created goes away with the instance (unless the request said otherwise)."""
    specs = {int(s.get("DeviceIndex", 0)): s for s in (nic_specs or []) if isinstance(s, dict)}
    nic = instance.nics.get(0)
    if nic is None or nic.id in existing_eni_ids:
        return  # an existing interface attached at launch keeps its own setting
    if str(specs.get(0, {}).get("DeleteOnTermination", True)).lower() != "false":
        nic.delete_on_termination = True


def release_addresses(instance) -> list[str]:
    """The instance reached ``terminated``: delete its delete-on-termination interfaces and give their
    private addresses back to their subnets. Returns the addresses released.

    The instance keeps its (now detached) interface objects, so moto can still render the terminated
    instance for the hour AWS keeps listing it.
    """
    backend = instance.ec2_backend
    released: list[str] = []
    for nic in list(instance.nics.values()):
        if not nic.delete_on_termination or nic.id not in backend.enis:
            continue
        del backend.enis[nic.id]
        nic.status = "available"
        for entry in nic.private_ip_addresses:
            ip = entry.get("PrivateIpAddress") if isinstance(entry, dict) else entry
            if ip and nic.subnet is not None:
                nic.subnet.del_subnet_ip(ip)
                released.append(ip)
    # moto's Instance.__del__ hands ``_private_ips`` back to the subnet when the object is collected; by then
    # another instance may hold the address, so the instance forgets them here.
    instance._private_ips = set()
    return released

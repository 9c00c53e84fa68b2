"""EC2 part of the moto extension: instance states follow the simulator's clock.

Patched: ``Instance.__init__`` (new instances start ``pending``, LaunchTime in
simulated time), ``Instance.start/stop/terminate`` (``pending``/``stopping``/
``shutting-down`` first; the simulator finishes the transition later) and
``Instance.instance_status`` (``initializing`` until status checks pass),
``Subnet.get_available_subnet_ip`` (a private IP no other VPC in this cloud uses) and
``SubnetBackend.delete_subnet`` (refused while an instance in it is not yet terminated). Addresses are
given back at termination, and a full subnet answers EC2's error (:mod:`.ec2_launch`).
"""
from __future__ import annotations

from moto.ec2.models import instances as _instances_module
from moto.ec2.models.instances import Instance, InstanceState, StateReason
from moto.ec2.exceptions import DependencyViolationError
from moto.ec2.models.subnets import Subnet, SubnetBackend

from . import active, ec2_launch, sim_utcnow

__all__ = ["install", "apply_state", "forget_instance", "STATUS_CHECK_INITIALIZING_S"]

#: After reaching running, DescribeInstanceStatus reports ``initializing`` until the status
#: checks pass. UNCONFIRMED: no documented figure; a couple of minutes is commonly seen.
STATUS_CHECK_INITIALIZING_S = 120.0

_ORIG: dict[str, object] = {}

def install() -> None:
    if _ORIG:
        return
    _instances_module.utcnow = sim_utcnow
    _ORIG.update(init=Instance.__init__, start=Instance.start, stop=Instance.stop,
                 terminate=Instance.terminate, instance_status=Instance.instance_status,
                 subnet_ip=Subnet.get_available_subnet_ip, delete_subnet=SubnetBackend.delete_subnet)
    Subnet.get_available_subnet_ip = _unique_subnet_ip
    SubnetBackend.delete_subnet = _ec2_delete_subnet
    Instance.__init__ = _ec2_init
    Instance.start = _ec2_start
    Instance.stop = _ec2_stop
    Instance.terminate = _ec2_terminate
    Instance.instance_status = property(_ec2_instance_status)
    Instance.system_status = property(_ec2_instance_status)
    ec2_launch.install(active)


def _unique_subnet_ip(self, instance):
    """A free private IP in this subnet that no subnet of another VPC in this cloud holds.

    AWS keeps VPCs apart, so two labs' VPCs may both be 10.0.0.0/16. On this machine
    each instance listens on a loopback address made from its private IP (the data
    plane), so two instances must never share one. AWS picks any free address in the
    subnet, so skipping a few is invisible to a student.
    """
    skipped = []
    try:
        while True:
            try:
                ip = _ORIG["subnet_ip"](self, instance)
            except StopIteration:  # moto's pool ran dry: EC2's own error, not an empty one
                raise ec2_launch.insufficient_addresses(self.id) from None
            if not _ip_held_elsewhere(self, ip):
                return ip
            del self._subnet_ips[ip]  # not ours to give: put it aside and draw again
            skipped.append(ip)
    finally:
        self._unused_ips.update(skipped)  # still free in this subnet, for when the other VPC lets go


def _ip_held_elsewhere(subnet, ip: str) -> bool:
    from moto.ec2.models import ec2_backends

    for account in ec2_backends.values():
        for backend in dict.values(account):
            for subnets in backend.subnets.values():
                for other in subnets.values():
                    if other is not subnet and ip in other._subnet_ips:
                        return True
    return False


def _ec2_delete_subnet(self, subnet_id):
    """DeleteSubnet: "You must terminate all running instances in the subnet before you can delete the subnet."
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSubnet.html). Until an instance is
    ``terminated`` (``shutting-down`` too) its network interface is in the subnet, and AWS answers
    DependencyViolation, worded as below (as AWS returns it, e.g.
    https://github.com/terraform-aws-modules/terraform-aws-vpc/issues/1081). moto deletes the subnet.
    DeleteVpc needs no patch: moto already refuses a VPC that still has subnets, with AWS's message.
    """
    if active() is not None and any(i.subnet_id == subnet_id and i._state.name != "terminated"
                                    for r in self.reservations.values() for i in r.instances):
        raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
    return _ORIG["delete_subnet"](self, subnet_id)


def _ec2_init(self, ec2_backend, image_id, user_data, security_groups, **kwargs):
    sim = active()
    if sim is None:
        return _ORIG["init"](self, ec2_backend, image_id, user_data, security_groups, **kwargs)
    ec2_backend.describe_images = _cached_image_lookup(ec2_backend)
    enis_before = set(ec2_backend.enis)
    try:
        _ORIG["init"](self, ec2_backend, image_id, user_data, security_groups, **kwargs)
    finally:
        del ec2_backend.describe_images
    ec2_launch.mark_primary_delete_on_termination(self, enis_before, kwargs.get("nics"))
    sim.ec2.on_launch(self)


def _ec2_start(self):
    sim = active()
    if sim is None:
        return _ORIG["start"](self)
    previous = InstanceState(self._state.name, self._state.code)
    if self._state.name == "stopped":
        for nic in self.nics.values():
            nic.start()
        sim.ec2.on_start(self)
    return previous


def _ec2_stop(self):
    sim = active()
    if sim is None:
        return _ORIG["stop"](self)
    previous = InstanceState(self._state.name, self._state.code)
    sim.ec2.on_stop(self)
    return previous


def _ec2_terminate(self):
    sim = active()
    if sim is None:
        return _ORIG["terminate"](self)
    previous = InstanceState(self._state.name, self._state.code)
    if self._state.name in ("shutting-down", "terminated"):
        return previous
    keep = {nic: nic.delete_on_termination for nic in self.nics.values()}
    for nic in keep:  # the interfaces go when the instance is terminated, not while it shuts down
        nic.delete_on_termination = False
    try:
        _ORIG["terminate"](self)  # moto's side effects: NICs, volumes, fleets, IAM profile
    finally:
        for nic, flag in keep.items():
            nic.delete_on_termination = flag
    self._state = InstanceState(previous.name, previous.code)
    sim.ec2.on_terminate(self)
    return previous


def _ec2_instance_status(self):
    sim = active()
    status = _ORIG["instance_status"].fget(self)
    rec = sim.ec2.get(self.id) if sim is not None else None
    if rec is None or rec.state != "running" or rec.running_at is None:
        return status
    if sim.now - rec.running_at < STATUS_CHECK_INITIALIZING_S:
        return {"Details": [{"Name": "reachability", "Status": "initializing"}], "Status": "initializing"}
    return status


#: Per-backend memo of AMI lookups, kept ON the backend (attribute) so it dies with it: a module-level
#: dict keyed by ``id(backend)`` kept every reset backend alive (its ~1,300 AMIs, snapshots and volumes,
#: ~2.5 MB each time: moto's test suite resets before every test) and could answer from a dead backend
#: whose id was reused.
_AMI_MEMO = "_awslab_ami_memo"
_AMI_MEMO_MAX = 1000


def _cached_image_lookup(backend):
    """moto's Instance() looks its AMI up with a filter scan over ~1,000 AMIs; an ASG launching
    all day repeats the same lookup. Memoise ``describe_images(filters={"image-id": x})`` per
    backend and AMI count (any register/deregister changes the key)."""
    original = type(backend).describe_images
    memo = backend.__dict__.setdefault(_AMI_MEMO, {})

    def describe_images(ami_ids=None, filters=None, **kw):
        if ami_ids or kw or not filters or list(filters) != ["image-id"]:
            return original(backend, ami_ids=ami_ids, filters=filters, **kw)
        key = (str(filters["image-id"]), len(backend.amis))
        if key not in memo:
            if len(memo) > _AMI_MEMO_MAX:
                memo.clear()
            memo[key] = original(backend, filters=filters)
        return memo[key]

    return describe_images


def apply_state(instance, name: str, code: int, reason: str | None, user_shutdown: bool) -> None:
    """Write a state into moto's instance (what DescribeInstances reports)."""
    instance._state = InstanceState(name, code)
    if name in ("stopped", "terminated"):
        for nic in instance.nics.values():
            nic.stop()
    if name == "terminated":
        ec2_launch.release_addresses(instance)
    if reason is not None:
        instance._reason = reason
        if user_shutdown:
            instance.state_reason = StateReason("Client.UserInitiatedShutdown: User initiated shutdown",
                                                "Client.UserInitiatedShutdown")
        elif name == "pending":
            instance.state_reason = StateReason("pending", "pending")
        else:
            instance.state_reason = StateReason()
    elif name == "running":
        instance._reason = ""
        instance.state_reason = StateReason()


def forget_instance(instance) -> None:
    """Remove a long-terminated instance from moto (AWS stops listing it after about an hour)."""
    backend = instance.ec2_backend
    for rid, reservation in list(backend.reservations.items()):
        if instance in reservation.instances:
            reservation.instances.remove(instance)
            if not reservation.instances:
                del backend.reservations[rid]

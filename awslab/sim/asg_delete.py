"""Deleting an Auto Scaling group: it stays "Delete in progress" until its instances are terminated.

AWS, https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-process-shutdown.html:
"When you delete an Auto Scaling group, its desired, minimum, and maximum values are set to 0. As a
result, the instances are terminated." and "It takes a few minutes to terminate the instance and delete
the group." Until then DescribeAutoScalingGroups still lists the group, with ``Status`` set ("The current
state of the group when the DeleteAutoScalingGroup operation is in progress",
https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AutoScalingGroup.html) to
``Delete in progress``, and its instances go through the usual termination: Terminating (deregistered
from the target groups, which drain for their deregistration delay), then Terminated.

So a tool that deletes the group and then the subnets must wait for the group to disappear, or for its
instances to reach ``terminated``: that is what ``awslab teardown`` does.
"""
from __future__ import annotations

from .asg_model import GroupSim
from .asg_rules import cause_sentence, terminate_cause

__all__ = ["AutoScalingDeletion", "DELETE_IN_PROGRESS"]

#: The group's Status while its deletion is in progress (the API's only Status value).
DELETE_IN_PROGRESS = "Delete in progress"
#: First Cause sentence of the termination activities a deletion starts. UNCONFIRMED wording: AWS documents
#: that deletion sets the desired capacity to 0, not the Cause text it records for it.
DELETE_CAUSE = "a user request deleted the AutoScalingGroup"


class AutoScalingDeletion:
    """DeleteAutoScalingGroup for :class:`~awslab.sim.autoscaling.AutoScalingSim` (needs its _terminate)."""

    def is_deleting(self, group_name: str) -> bool:
        """Is the group "Delete in progress" (listed, but no longer changeable)?"""
        gs = self.groups.get(group_name)
        return bool(gs and gs.deleting)

    def begin_delete(self, group_name: str) -> bool:
        """Start deleting the group: desired, minimum and maximum to 0, every instance terminated.

        Returns False when the simulator does not know the group (moto then deletes it at once).
        The group disappears from the API when its last instance is Terminated.
        """
        gs = self.groups.get(group_name)
        if gs is None:
            return False
        if gs.deleting:
            return True
        g = gs.group
        gs.deleting = True
        gs.gen += 1  # the health sweep stops: a group being deleted replaces nothing
        g.status = DELETE_IN_PROGRESS
        old, active = int(g.desired_capacity or 0), len(gs.active())
        g.min_size = g.max_size = g.desired_capacity = 0
        prefix = cause_sentence(self.sim.now, DELETE_CAUSE, old, 0)
        self.sim.timeline.record("autoscaling", group_name, "group_delete_started", instances=sorted(gs.members))
        for m in list(gs.members.values()):
            self._terminate(gs, m, terminate_cause(prefix, self.sim.now, active, 0, m.instance_id))
        self.finish_delete_if_empty(gs)
        return True

    def finish_delete_if_empty(self, gs: GroupSim) -> None:
        """The last instance of a group being deleted is Terminated: the group is gone from the API."""
        if not gs.deleting or gs.members:
            return
        g = gs.group
        groups = g.autoscaling_backend.autoscaling_groups
        if groups.get(g.name) is g:
            del groups[g.name]
        if self.groups.get(g.name) is gs:
            del self.groups[g.name]
        self.sim.timeline.record("autoscaling", g.name, "group_deleted")

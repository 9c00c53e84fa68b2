"""Deleting an Auto Scaling group, and deleting a subnet with instances in it, answer as on AWS.

AWS keeps a deleted group listed, Status "Delete in progress", with desired/min/max 0, until its
instances are terminated; a subnet (and so its VPC) can't be deleted while an instance in it is not
yet terminated. Everything is read through boto3, in virtual time.
"""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from awslab.sim.ec2 import PENDING_TO_RUNNING_S, SHUTTING_DOWN_TO_TERMINATED_S

RUNNING = PENDING_TO_RUNNING_S[1] + 1
GONE = SHUTTING_DOWN_TO_TERMINATED_S[1] + 1  # the longest shutting-down -> terminated


def _groups(w, name="web-asg"):
    return w.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]


def _error(call, **kw) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_a_force_deleted_group_is_delete_in_progress_until_its_instances_are_terminated(world):
    w = world
    w.network()
    tg = w.target_group(deregistration_delay=0)
    w.asg(desired=2, tg_arns=[tg])
    w.advance(RUNNING)
    ids = sorted(i["InstanceId"] for i in w.group()["Instances"])
    w.autoscaling.delete_auto_scaling_group(AutoScalingGroupName="web-asg", ForceDelete=True)
    (g,) = _groups(w)
    assert g["Status"] == "Delete in progress"
    assert (g["MinSize"], g["MaxSize"], g["DesiredCapacity"]) == (0, 0, 0)
    assert {i["LifecycleState"] for i in g["Instances"]} == {"Terminating"}
    w.advance(1)
    states = {r["Instances"][0]["InstanceId"]: r["Instances"][0]["State"]["Name"]
              for r in w.ec2.describe_instances(InstanceIds=ids)["Reservations"]}
    assert set(states.values()) == {"shutting-down"} and _groups(w)  # still listed while they shut down
    w.run_until(lambda: not _groups(w), limit=GONE)
    assert all(w.sim.ec2.state_of(i) == "terminated" for i in ids)  # gone only once every instance is
    acts = w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web-asg")["Activities"]
    ends = [a for a in acts if a["Description"].startswith("Terminating EC2 instance: ")]
    assert len(ends) == 2 and {a["StatusCode"] for a in ends} == {"Successful"}
    assert "changing the desired capacity from 2 to 0." in ends[0]["Cause"]


def test_deleting_waits_for_connection_draining_like_any_termination(world):
    """The group's instances are deregistered and drain for the target group's deregistration delay first."""
    w = world
    w.network()
    tg = w.target_group(deregistration_delay=120)
    w.asg(desired=1, tg_arns=[tg])
    w.advance(RUNNING)
    (iid,) = [i["InstanceId"] for i in w.group()["Instances"]]
    t0 = w.now
    w.autoscaling.delete_auto_scaling_group(AutoScalingGroupName="web-asg", ForceDelete=True)
    assert w.health(tg)[iid][0] == "draining"
    w.run_until(lambda: w.sim.ec2.state_of(iid) == "shutting-down", limit=200)
    assert w.now - t0 == pytest.approx(120, abs=1)
    w.run_until(lambda: not _groups(w), limit=GONE)


def test_a_group_pending_delete_refuses_changes_and_its_name_stays_taken(world):
    w = world
    w.network()
    w.asg(desired=1, health_check_type="EC2")
    w.advance(RUNNING)
    w.autoscaling.delete_auto_scaling_group(AutoScalingGroupName="web-asg", ForceDelete=True)
    pending = ("ValidationError", "The AutoScaling group may not be modified while it is pending delete")
    assert _error(w.autoscaling.update_auto_scaling_group, AutoScalingGroupName="web-asg", MaxSize=5) == pending
    assert _error(w.autoscaling.set_desired_capacity, AutoScalingGroupName="web-asg", DesiredCapacity=1) == pending
    code, message = _error(w.asg)
    assert (code, message) == ("AlreadyExists", "AutoScalingGroup by this name already exists - A group with the name "
                                                "web-asg already exists")
    assert w.sim.autoscaling.set_desired_capacity("web-asg", 3, "a monitor alarm triggered policy P") is False
    w.autoscaling.delete_auto_scaling_group(AutoScalingGroupName="web-asg", ForceDelete=True)  # again: no change
    w.run_until(lambda: not _groups(w), limit=GONE)
    w.asg(desired=1, health_check_type="EC2")  # the name is free once the deletion finished
    assert _groups(w)[0].get("Status") is None


def test_an_empty_group_is_deleted_at_once_and_without_force_a_group_with_instances_is_refused(world):
    w = world
    w.network()
    w.asg(desired=1, min_size=0, health_check_type="EC2")
    code, _ = _error(w.autoscaling.delete_auto_scaling_group, AutoScalingGroupName="web-asg")
    assert code == "ResourceInUse"
    w.asg(name="empty", desired=0, min_size=0, health_check_type="EC2")
    w.autoscaling.delete_auto_scaling_group(AutoScalingGroupName="empty")
    assert _groups(w, "empty") == []


def test_a_subnet_with_an_instance_not_yet_terminated_answers_dependency_violation(world):
    w = world
    w.network()
    zone, subnet = next(iter(w.subnets.items()))
    iid = w.run_instance(zone)
    violation = ("DependencyViolation", f"The subnet '{subnet}' has dependencies and cannot be deleted.")
    assert _error(w.ec2.delete_subnet, SubnetId=subnet) == violation  # pending
    w.advance(RUNNING)
    w.ec2.terminate_instances(InstanceIds=[iid])
    assert w.sim.ec2.state_of(iid) == "shutting-down"
    assert _error(w.ec2.delete_subnet, SubnetId=subnet) == violation  # AWS: "terminate all running instances" first
    assert _error(w.ec2.delete_vpc, VpcId=w.vpc_id) == (
        "DependencyViolation", f"The vpc '{w.vpc_id}' has dependencies and cannot be deleted.")  # moto's own, as AWS
    w.run_until(lambda: w.sim.ec2.state_of(iid) == "terminated", limit=GONE)
    for s in w.subnets.values():
        w.ec2.delete_subnet(SubnetId=s)
    w.ec2.delete_vpc(VpcId=w.vpc_id)

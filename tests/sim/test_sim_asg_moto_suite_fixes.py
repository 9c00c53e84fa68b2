"""Three things moto's own Auto Scaling tests found the simulator doing unlike AWS (issue 11 §5): a Classic Load
Balancer never got the group's instances, DetachInstances without decrement left a hole, and instance weights
were ignored. Virtual time: every assertion reads the standard APIs after the simulator has moved."""
from __future__ import annotations

import boto3
import pytest

from awslab.sim.asg_capacity import instance_weight, instances_for_desired

from .conftest import REGION


def _clb(w, name="web-clb") -> str:
    elb = boto3.client("elb", region_name=REGION)
    elb.create_load_balancer(LoadBalancerName=name, Subnets=list(w.subnets.values()),
                             Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}])
    return name


def _clb_instances(name) -> set[str]:
    elb = boto3.client("elb", region_name=REGION)
    return {i["InstanceId"] for i in elb.describe_load_balancers(LoadBalancerNames=[name])[
        "LoadBalancerDescriptions"][0]["Instances"]}


def _in_service(w, name="web-asg") -> set[str]:
    return {i["InstanceId"] for i in w.group(name)["Instances"] if i["LifecycleState"] == "InService"}


def test_a_classic_load_balancer_gets_the_group_s_instances_when_they_come_in_service(world):
    w = world
    w.network()
    clb = _clb(w)
    w.asg(desired=2, health_check_type="EC2", LoadBalancerNames=[clb])
    assert _clb_instances(clb) == set()  # Pending: not registered yet
    w.run_until(lambda: len(_in_service(w)) == 2, limit=600)
    assert _clb_instances(clb) == _in_service(w)
    victim = sorted(_in_service(w))[0]
    w.autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=victim, ShouldDecrementDesiredCapacity=False)
    assert victim not in _clb_instances(clb)  # deregistered as it starts terminating
    w.run_until(lambda: len(_in_service(w)) == 2 and victim not in _in_service(w), limit=900)
    assert _clb_instances(clb) == _in_service(w)


def test_attaching_a_classic_load_balancer_later_and_suspended_add_to_load_balancer(world):
    w = world
    w.network()
    clb = _clb(w)
    w.asg(desired=1, health_check_type="EC2")
    w.run_until(lambda: len(_in_service(w)) == 1, limit=600)
    w.autoscaling.attach_load_balancers(AutoScalingGroupName="web-asg", LoadBalancerNames=[clb])
    assert _clb_instances(clb) == _in_service(w)
    w.autoscaling.suspend_processes(AutoScalingGroupName="web-asg", ScalingProcesses=["AddToLoadBalancer"])
    first = _in_service(w)
    w.autoscaling.set_desired_capacity(AutoScalingGroupName="web-asg", DesiredCapacity=2)
    w.run_until(lambda: len(_in_service(w)) == 2, limit=600)
    assert _clb_instances(clb) == first  # AddToLoadBalancer suspended: the new one is not added


@pytest.mark.parametrize("decrement", [False, True])
def test_detach_instances_without_decrement_launches_a_replacement(world, decrement):
    w = world
    w.network()
    tg = w.target_group()
    w.asg(desired=2, tg_arns=[tg], health_check_type="EC2")
    w.run_until(lambda: len(_in_service(w)) == 2, limit=600)
    w.run_until(lambda: {s for s, _, _ in w.health(tg).values()} == {"healthy"}, limit=600)
    detached = sorted(_in_service(w))[0]
    w.autoscaling.detach_instances(AutoScalingGroupName="web-asg", InstanceIds=[detached],
                                   ShouldDecrementDesiredCapacity=decrement)
    w.advance(1)
    group = w.group()
    assert detached not in {i["InstanceId"] for i in group["Instances"]}
    assert group["DesiredCapacity"] == (1 if decrement else 2)
    assert len(group["Instances"]) == group["DesiredCapacity"]  # the replacement is already Pending
    assert w.health(tg).get(detached, ("draining",))[0] == "draining"  # it leaves the target group
    state = w.ec2.describe_instances(InstanceIds=[detached])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state == "running"  # a detached instance keeps running, outside the group
    w.run_until(lambda: len(_in_service(w)) == group["DesiredCapacity"], limit=600)


def test_weighted_capacity_counts_units_not_instances(world):
    w = world
    w.network()
    policy = {"LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateName": "web-lt", "Version": "$Latest"},
                                 "Overrides": [{"InstanceType": "t3.micro", "WeightedCapacity": "4"}]}}
    w.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web-asg", MinSize=0, MaxSize=16, DesiredCapacity=8, MixedInstancesPolicy=policy,
        VPCZoneIdentifier=",".join(w.subnets.values()))
    w.run_until(lambda: len(_in_service(w)) == 2, limit=600)
    w.advance(300)
    assert len(w.group()["Instances"]) == 2  # 8 units / 4 per instance
    w.autoscaling.set_desired_capacity(AutoScalingGroupName="web-asg", DesiredCapacity=10)
    w.run_until(lambda: len(_in_service(w)) == 3, limit=600)  # 10 units: 3 instances, 2 units over (AWS overshoots)
    w.autoscaling.set_desired_capacity(AutoScalingGroupName="web-asg", DesiredCapacity=4)
    w.run_until(lambda: len(w.group()["Instances"]) == 1, limit=900)


class _Group:
    def __init__(self, desired, overrides=None, distribution=None):
        self.desired_capacity = desired
        self.mixed_instances_policy = None if overrides is None else {
            "LaunchTemplate": {"Overrides": overrides}, "InstancesDistribution": distribution or {}}


@pytest.mark.parametrize("desired,base,percent,expected", [
    (8, 8, 0, 2),    # all On-Demand: 8 units / 4
    (8, 2, 50, 3),   # On-Demand 2 + 3 units -> 2 instances; Spot 3 units -> 1
    (8, 0, 25, 3),   # On-Demand 2 units -> 1; Spot 6 units -> 2
    (8, 0, 100, 2),
    (1, 0, 100, 1),  # one unit still needs a whole instance
    (0, 0, 100, 0),
])
def test_instances_for_desired_fills_on_demand_and_spot_separately(desired, base, percent, expected):
    group = _Group(desired, [{"InstanceType": "t3.micro", "WeightedCapacity": "4"}],
                   {"OnDemandBaseCapacity": base, "OnDemandPercentageAboveBaseCapacity": percent})
    assert instances_for_desired(group) == expected


def test_without_weights_desired_capacity_counts_instances():
    assert instances_for_desired(_Group(5)) == 5 and instance_weight(_Group(5)) == 1
    assert instances_for_desired(_Group(5, [{"InstanceType": "t3.micro"}])) == 5
    assert instance_weight(_Group(5, [{"InstanceType": "t3.micro", "WeightedCapacity": "0"}])) == 1


def test_a_lower_max_size_lowers_the_desired_capacity(world):
    """UpdateAutoScalingGroup MaxSize below DesiredCapacity (none given) sets the desired capacity to it."""
    w = world
    w.network()
    w.asg(desired=4, max_size=10, health_check_type="EC2")
    w.autoscaling.update_auto_scaling_group(AutoScalingGroupName="web-asg", MaxSize=2)
    assert w.group()["DesiredCapacity"] == 2
    w.autoscaling.update_auto_scaling_group(AutoScalingGroupName="web-asg", MinSize=3, MaxSize=5)
    assert w.group()["DesiredCapacity"] == 3
    w.run_until(lambda: len(_in_service(w)) == 3 and len(w.group()["Instances"]) == 3, limit=900)

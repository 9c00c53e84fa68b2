"""Lab 07's catch-up steps: the Auto Scaling group (the builder's), lab 05's servers retired, desired capacity 4."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ..prepare import step

__all__: list[str] = []


@step("07.2")
def _retire(lab: Any, resources: dict) -> dict:
    from ...checks.auto_scaling_group import lab_target_groups
    from ...checks.health_checks import app_instances

    elb, pets = lab.client("elbv2"), [i["InstanceId"] for i in app_instances(lab)]
    for tg in lab_target_groups(lab):
        health = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
        mine = [d["Target"] for d in health if d["Target"]["Id"] in pets and d["TargetHealth"]["State"] != "draining"]
        if mine:
            elb.deregister_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=mine)
    if pets:
        lab.client("ec2").terminate_instances(InstanceIds=pets)
    return {}


@step("07.1")
def _group(lab: Any, resources: dict) -> dict:
    from ...checks.auto_scaling_group import find_group, lab_target_groups, private_subnets
    from ...layers.autoscaling import AutoScalingSpec, ensure_auto_scaling_group

    name = f"{lab.name}-asg"
    if find_group(lab) is not None:  # the student's (or one made before): used as it is, never "corrected"
        return {"group_name": name}
    subnets, tgs = private_subnets(lab), lab_target_groups(lab)
    network = SimpleNamespace(subnet_ids=lambda tier: [s["SubnetId"] for s in subnets], private_subnets=subnets)
    lt = lab.client("ec2").describe_launch_templates(LaunchTemplateNames=[f"{lab.name}-app-lt"])["LaunchTemplates"][0]
    g = ensure_auto_scaling_group(lab, name, network, lt["LaunchTemplateId"], tgs[0]["TargetGroupArn"],
                                  AutoScalingSpec(), [])
    more = [t["TargetGroupArn"] for t in tgs[1:] if t["TargetGroupArn"] not in g.get("TargetGroupARNs", [])]
    if more:
        lab.client("autoscaling").attach_load_balancer_target_groups(AutoScalingGroupName=name, TargetGroupARNs=more)
    return {"group_name": name}


@step("07.3")
def _capacity(lab: Any, resources: dict) -> dict:
    from ...checks.auto_scaling_group import DESIRED, the_group

    if the_group(lab)["DesiredCapacity"] != DESIRED:
        lab.client("autoscaling").set_desired_capacity(AutoScalingGroupName=f"{lab.name}-asg", DesiredCapacity=DESIRED)
    return {}

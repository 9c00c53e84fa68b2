"""Lab 05's catch-up steps: the target group, two web servers launched from the template, registered."""
from __future__ import annotations

from typing import Any

from ..prepare import step

__all__: list[str] = []


def _handed_to_the_group(lab: Any) -> bool:
    """Lab 07 retires these hand-launched servers (07.2) once the lab's Auto Scaling group runs its own."""
    from ...checks.auto_scaling_group import find_group

    return find_group(lab) is not None


def _vpc_id(lab: Any) -> str:
    from ...checks.network import the_vpc

    return the_vpc(lab)["VpcId"]


@step("05.1")
def _target_group(lab: Any, resources: dict) -> dict:
    from ...layers.loadbalancing import LoadBalancerSpec, ensure_target_group

    arn = ensure_target_group(lab, f"{lab.name}-tg", _vpc_id(lab), 80, LoadBalancerSpec(), [])
    return {"target_group_arn": arn}


@step("05.2", retired=_handed_to_the_group)
def _app_servers(lab: Any, resources: dict) -> dict:
    from ...checks.health_checks import app_instances, is_private
    from ...checks.probes import lab_items

    ec2 = lab.client("ec2")
    mine = app_instances(lab)
    have_azs = {i["Placement"]["AvailabilityZone"] for i in mine}
    vpc_id = _vpc_id(lab)
    subnets = sorted((s for s in lab_items(lab, "describe_subnets", "Subnets") if s["VpcId"] == vpc_id and is_private(lab, s)),
                     key=lambda s: s["AvailabilityZone"])
    for subnet in subnets:
        if subnet["AvailabilityZone"] in have_azs or len(mine) >= 2:
            continue
        r = ec2.run_instances(LaunchTemplate={"LaunchTemplateName": f"{lab.name}-app-lt"}, SubnetId=subnet["SubnetId"],
                              MinCount=1, MaxCount=1)
        mine.append(r["Instances"][0])
        have_azs.add(subnet["AvailabilityZone"])
    ids = [i["InstanceId"] for i in mine[:2]]
    if ids:
        ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    return {"instance_ids": ids}


@step("05.3", retired=_handed_to_the_group)
def _registered(lab: Any, resources: dict) -> dict:
    elb = lab.client("elbv2")
    arn, ids = resources["target_group_arn"], resources["instance_ids"]
    have = {d["Target"]["Id"] for d in elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]}
    missing = [i for i in ids if i not in have]
    if missing:
        elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": i, "Port": 80} for i in missing])
    return {}

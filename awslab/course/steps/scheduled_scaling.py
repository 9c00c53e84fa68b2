"""Drill 13's catch-up steps: the scheduled actions around the evening sale (put again only if missing)."""
from __future__ import annotations

from typing import Any

from ..prepare import step

__all__: list[str] = []


def _ensure(lab: Any, name: str, cron: str, size: int) -> str:
    from ...checks.scheduled_scaling import SALE_ZONE, the_group

    group = the_group(lab)["AutoScalingGroupName"]
    asg = lab.client("autoscaling")
    have = asg.describe_scheduled_actions(AutoScalingGroupName=group, ScheduledActionNames=[name])
    if not have["ScheduledUpdateGroupActions"]:
        asg.put_scheduled_update_group_action(AutoScalingGroupName=group, ScheduledActionName=name, Recurrence=cron,
                                              TimeZone=SALE_ZONE, MinSize=size, DesiredCapacity=size)
    return name


@step("13.1")
def _before_sale(lab: Any, resources: dict) -> dict:
    from ...checks.scheduled_scaling import sale_actions, the_group

    most = the_group(lab)["MaxSize"]
    return {"before_sale": _ensure(lab, sale_actions(lab)[0], "50 19 * * *", most)}


@step("13.2")
def _after_sale(lab: Any, resources: dict) -> dict:
    from ...checks.scheduled_scaling import EVERYDAY, sale_actions

    return {"after_sale": _ensure(lab, sale_actions(lab)[1], "0 21 * * *", EVERYDAY.min_size)}

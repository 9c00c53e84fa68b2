"""Scaling-activity records, as describe-scaling-activities returns them.

Each record reuses moto's ``Activity`` class (so moto's serializer renders it)
with simulated StartTime/EndTime, StatusCode, Progress and a Details JSON
naming the subnet and AZ:
https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-verify-scaling-activity.html
"""
from __future__ import annotations

import json
from typing import Any

from moto.autoscaling.models import Activity

__all__ = ["start", "finish"]

#: Activities kept per group (AWS keeps six weeks of history; bounded here).
MAX_PER_GROUP = 1000


def start(asg_sim, group, description: str, cause: str, subnet_id: str | None, zone: str,
          status_code: str, progress: int) -> Activity:
    now = asg_sim.sim.clock.now_datetime().replace(tzinfo=None)
    a = Activity(description, cause, group, activity_id=_uuid(asg_sim), start_time=now, status_code=status_code)
    a.end_time = None
    a.progress = progress
    a.status_message = None
    a.auto_scaling_group_arn = group.arn
    a.details = json.dumps({"Subnet ID": subnet_id or "", "Availability Zone": zone})
    lst = asg_sim.activities.setdefault(group.name, [])
    lst.append(a)
    del lst[:-MAX_PER_GROUP]
    asg_sim.sim.timeline.record("autoscaling", group.name, "activity_started", activity_id=a.activity_id,
                                description=description, cause=cause, status_code=status_code)
    return a


def finish(asg_sim, activity: Any, status_code: str, message: str | None = None) -> None:
    if activity is None or activity.end_time is not None:
        return
    activity.status_code = status_code
    activity.progress = 100
    activity.status_message = message
    activity.end_time = asg_sim.sim.clock.now_datetime().replace(tzinfo=None)
    asg_sim.sim.timeline.record("autoscaling", activity.auto_scaling_group_name, "activity_finished",
                                activity_id=activity.activity_id, description=activity.description,
                                status_code=status_code)


def _uuid(asg_sim) -> str:
    """Activity ids from the seeded RNG, so a virtual run is reproducible."""
    import uuid

    return str(uuid.UUID(int=asg_sim.sim.rng("autoscaling.ids").getrandbits(128), version=4))

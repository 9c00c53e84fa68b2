"""How many instances an Auto Scaling group's desired capacity means, with instance weights.

Without a mixed instances policy (or without weights), desired capacity counts instances. With
``WeightedCapacity`` on the launch template overrides, desired capacity, OnDemandBaseCapacity and the
percentage above it are *capacity units*, and each instance counts its weight toward them: "Amazon EC2 Auto
Scaling launches instances until the desired capacity is totally fulfilled, even if this results in an
overage" (LaunchTemplateOverrides.WeightedCapacity,
https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateOverrides.html; the user guide:
https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-instance-weighting.html).

The On-Demand part (the base, then OnDemandPercentageAboveBaseCapacity of the rest) and the Spot part are
filled separately, each rounded up to whole instances
(https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstancesDistribution.html). The simulator
launches the first override's instance type (the ``prioritized`` strategy's first choice), so every instance
carries that override's weight; moto's own calculation does the same, and moto's tests check it.
"""
from __future__ import annotations

import math
from typing import Any

__all__ = ["instance_weight", "instances_for_desired"]


def _overrides(group: Any) -> list[dict]:
    policy = getattr(group, "mixed_instances_policy", None) or {}
    return list((policy.get("LaunchTemplate") or {}).get("Overrides") or [])


def instance_weight(group: Any) -> int:
    """Capacity units one of the group's instances provides: the first override's WeightedCapacity, else 1."""
    overrides = _overrides(group)
    raw = str(overrides[0].get("WeightedCapacity") or "1") if overrides else "1"
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def instances_for_desired(group: Any) -> int:
    """How many instances fulfil ``group.desired_capacity`` (units when the overrides carry weights)."""
    desired = int(group.desired_capacity or 0)
    if not _overrides(group):
        return desired
    distribution = (group.mixed_instances_policy or {}).get("InstancesDistribution") or {}
    base = int(distribution.get("OnDemandBaseCapacity") or 0)
    percent = int(distribution.get("OnDemandPercentageAboveBaseCapacity", 100) or 0)
    if base >= desired:
        on_demand, spot = desired, 0
    else:
        above = desired - base
        on_demand_above = above * percent / 100.0
        on_demand, spot = int(base + on_demand_above), int(above - on_demand_above)
    weight = instance_weight(group)
    return math.ceil(on_demand / weight) + math.ceil(spot / weight)

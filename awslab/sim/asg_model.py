"""The simulator's records of Auto Scaling groups and their instances, and read-only views of them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .asg_launch import LaunchBackoff

__all__ = ["Member", "GroupSim", "InstanceView", "GroupView", "ACTIVE", "NOT_RUNNING"]

#: Lifecycle states that count toward capacity.
ACTIVE = ("Pending", "InService")
#: EC2 states that fail ASG's EC2 health check at once.
NOT_RUNNING = ("stopping", "stopped", "shutting-down", "terminated")


@dataclass
class Member:
    """Simulator state beside one moto ``InstanceState`` of a group."""

    state: Any  # moto autoscaling InstanceState
    launch_time: float
    subnet_id: str | None = None
    in_service_at: float | None = None
    activity: Any = None
    urgent: bool = False  # non-running or set-instance-health: replaced without throttling
    replacement: bool = False
    rebalance: bool = False  # launched by AZRebalance: extra capacity until it is InService
    unhealthy_cause: str | None = None

    @property
    def instance_id(self) -> str:
        return self.state.instance.id

    @property
    def availability_zone(self) -> str:
        return self.state.availability_zone

    @property
    def lifecycle(self) -> str:
        return self.state.lifecycle_state

    @property
    def protected(self) -> bool:
        return bool(self.state.protected_from_scale_in)

    @property
    def template_rank(self) -> tuple:
        from ..cloud.moto_ext.autoscaling import launched_version

        version = launched_version(self.state.instance)  # EC2 tags the instance with it at launch
        return (0, 0) if version is None else (1, version)


@dataclass
class GroupSim:
    group: Any  # moto FakeAutoScalingGroup
    members: dict[str, Member] = field(default_factory=dict)
    cause_prefix: str | None = None
    replacements_owed: int = 0
    cooldown_until: float = 0.0
    gen: int = 0
    deleting: bool = False  # DeleteAutoScalingGroup accepted: "Delete in progress" until the instances are gone
    launch_backoff: LaunchBackoff = field(default_factory=LaunchBackoff)
    retry_scheduled: float | None = None  # when a wake-up to retry failed launches is due
    refresh_launches: int = 0  # launches owed to an instance refresh's terminations (their Cause says so)

    @property
    def name(self) -> str:
        return self.group.name

    def suspended(self, process: str) -> bool:
        return process in {p["ProcessName"] for p in self.group.suspended_processes}

    def active(self) -> list[Member]:
        return [m for m in self.members.values() if m.lifecycle in ACTIVE]


@dataclass(frozen=True)
class InstanceView:
    instance_id: str
    availability_zone: str
    lifecycle_state: str
    health_status: str
    launch_time: float


@dataclass(frozen=True)
class GroupView:
    """A snapshot of one group for other subsystems (policies, dashboards)."""

    name: str
    min_size: int
    max_size: int
    desired_capacity: int
    instances: list[InstanceView]
    default_cooldown: int
    default_instance_warmup: int | None
    health_check_type: str
    health_check_grace_period: int
    target_group_arns: list[str]
    availability_zones: list[str]

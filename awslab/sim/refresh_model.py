"""An instance refresh's record: its preferences with AWS's defaults, its status, and how DescribeInstanceRefreshes
shows it.

Sources (every number and state below comes from one of them):
- https://docs.aws.amazon.com/autoscaling/ec2/userguide/understand-instance-refresh-default-values.html (defaults)
- https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html (ranges, CheckpointDelay)
- https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceRefresh.html (statuses, PercentageComplete)
- https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RollbackDetails.html
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["Refresh", "Phase", "STATUSES", "ACTIVE_STATUSES", "DEFAULT_MIN_HEALTHY", "DEFAULT_CHECKPOINT_DELAY_S",
           "MAX_CHECKPOINT_DELAY_S", "config_label"]

#: "Pending, InProgress, Successful, Failed, Cancelling, Cancelled, RollbackInProgress, RollbackFailed,
#: RollbackSuccessful, Baking" (API_InstanceRefresh.html, Status).
STATUSES = ("Pending", "InProgress", "Successful", "Failed", "Cancelling", "Cancelled", "RollbackInProgress",
            "RollbackFailed", "RollbackSuccessful", "Baking")
#: An instance refresh in one of these blocks another (InstanceRefreshInProgress) and can be cancelled.
ACTIVE_STATUSES = ("Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking")
#: "If no instance maintenance policy, this defaults to 90 percent" (understand-instance-refresh-default-values).
DEFAULT_MIN_HEALTHY = 90
#: "If you specify a value for CheckpointPercentages and not for CheckpointDelay, the CheckpointDelay defaults to
#: 3600 (1 hour)"; "Valid Range: Minimum value of 0. Maximum value of 172800." (API_RefreshPreferences.html)
DEFAULT_CHECKPOINT_DELAY_S = 3600
MAX_CHECKPOINT_DELAY_S = 172800


def config_label(config: tuple[str, int] | None) -> str:
    return f"{config[0]} version {config[1]}" if config else "the group's launch configuration"


@dataclass
class Phase:
    """One pass of replacements: forward (to the desired configuration) or a rollback (back to the group's own)."""

    target: tuple[str, int] | None  # (launch template id, version) new instances must be launched from
    to_replace: set[str]  # instances still to replace (their ids)
    total: int  # InstancesToUpdate when the phase began
    started_at: float
    before: frozenset = frozenset()  # every member when the phase began (new instances are the others)


@dataclass
class Refresh:
    """One instance refresh of one group, as the simulator runs it."""

    refresh_id: str
    group_name: str
    preferences: dict[str, Any]
    desired: dict[str, Any] | None  # DesiredConfiguration as requested
    desired_config: tuple[str, int] | None  # its launch template id and numbered version
    original: tuple[str, str] | None  # the group's (launch template id, Version string) at the start
    start_time: float
    phase: Phase
    status: str = "Pending"
    status_reason: str | None = None
    end_time: float | None = None
    checkpoint: int = 0  # index of the next checkpoint in CheckpointPercentages
    wait_until: float | None = None  # end of a checkpoint delay or of the bake time
    rollback: dict[str, Any] | None = None
    failed_instances: list[str] = field(default_factory=list)
    updated_at_end: int = 0  # instances updated when it ended (what a finished refresh keeps showing)
    gen: int = 0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def rolling_back(self) -> bool:
        """A rollback is under way (a finished one keeps its RollbackDetails)."""
        return self.status == "RollbackInProgress"

    def percentage(self, updated: int) -> int:
        """PercentageComplete: updated instances (healthy and warmed up) of those to update. "PercentageComplete
        does not include instances that are replaced during a rollback. This value gradually goes back down to
        zero during a rollback." (API_InstanceRefresh.html)"""
        total = self.phase.total
        if self.rollback is None:
            return 100 if total == 0 else min(100, int(100 * updated / total))
        before = int(self.rollback["PercentageCompleteOnRollback"])
        return 0 if total == 0 else int(before * max(total - updated, 0) / total)

    def describe(self, updated: int) -> dict[str, Any]:
        """The InstanceRefresh structure DescribeInstanceRefreshes returns."""
        done = self.status in ("Successful", "Baking")
        pct = 100 if done else self.percentage(updated)
        left = 0 if done else max(self.phase.total - updated, 0)
        if self.rollback is not None:
            # "If you roll back the instance refresh, InstancesToUpdate shows you the number of instances that were
            # not yet updated by the instance refresh." (API_InstanceRefresh.html)
            left = int(self.rollback["InstancesToUpdateOnRollback"])
        out: dict[str, Any] = {
            "InstanceRefreshId": self.refresh_id, "AutoScalingGroupName": self.group_name, "Status": self.status,
            "StartTime": _dt(self.start_time), "PercentageComplete": pct, "InstancesToUpdate": left,
            "ProgressDetails": {"LivePoolProgress": {"PercentageComplete": pct, "InstancesToUpdate": left}},
            "Preferences": self.preferences, "Strategy": "Rolling"}
        if self.status_reason:
            out["StatusReason"] = self.status_reason
        if self.end_time is not None:
            out["EndTime"] = _dt(self.end_time)
        if self.desired:
            out["DesiredConfiguration"] = self.desired
        if self.rollback:
            out["RollbackDetails"] = dict(self.rollback, RollbackStartTime=_dt(self.rollback["RollbackStartTime"]))
        return out


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).replace(tzinfo=None)

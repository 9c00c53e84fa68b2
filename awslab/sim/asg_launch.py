"""Auto Scaling launch attempts: which Availability Zone to try, what a failed launch records, and when
Auto Scaling tries again.

- **Other AZs.** A group's default ``CapacityDistributionStrategy`` is ``balanced-best-effort``: "If launch
  attempts fail in an Availability Zone, Auto Scaling attempts to launch instances in another healthy
  Availability Zone."
  https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-availability-zone-balanced.html
  https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AvailabilityZoneDistribution.html
  Only zonal errors (a full subnet, no capacity in the AZ) move on to another AZ; an error that every AZ
  would repeat (a deleted launch template) fails the attempt once.
- **The record.** A failed attempt is a ``Failed`` activity whose Description reads
  ``Launching a new EC2 instance.  Status Reason: <reason> Launching EC2 instance failed.`` and whose
  StatusMessage is ``<reason> Launching EC2 instance failed.`` (aws-semantics §4.3;
  https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-verify-scaling-activity.html).
- **Back-off.** Auto Scaling keeps trying, less and less often; after about a day of failures it may
  suspend the group's processes ("administrative suspension",
  https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html). AWS documents no
  retry cadence, so the numbers below are UNCONFIRMED: an AWS-compatible implementation (Eucalyptus,
  https://github.com/Corymbia/eucalyptus/issues/23) retries after 10-30 s and backs off from there.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

__all__ = ["LaunchBackoff", "LaunchFailure", "launch_zones", "launch_failure", "ZONAL_ERRORS",
           "LAUNCH_RETRY_FIRST_S", "LAUNCH_RETRY_MAX_S", "ANY_ZONE"]

#: First wait after a failed launch (seconds). UNCONFIRMED (see the module doc).
LAUNCH_RETRY_FIRST_S = 10.0
#: The wait doubles with each failure in a row, up to this (seconds): at most 288 failed attempts per AZ a
#: day, instead of one per health sweep or per event. UNCONFIRMED (see the module doc).
LAUNCH_RETRY_MAX_S = 300.0
#: EC2 error codes that belong to one AZ (or subnet): another AZ may well succeed.
#: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
ZONAL_ERRORS = frozenset({"InsufficientFreeAddressesInSubnet", "InsufficientInstanceCapacity",
                          "InsufficientAddressCapacity", "InsufficientCapacity", "Unsupported"})
#: The back-off key for a failure that is not about one AZ (it holds every AZ back).
ANY_ZONE = "*"


@dataclass(frozen=True)
class LaunchFailure:
    """Why one launch failed: EC2's error code (if any) and the reason text AWS shows."""

    code: str | None
    reason: str

    @property
    def zonal(self) -> bool:
        return self.code in ZONAL_ERRORS

    @property
    def status_message(self) -> str:
        return f"{self.reason} Launching EC2 instance failed."

    @property
    def description(self) -> str:
        return f"Launching a new EC2 instance.  Status Reason: {self.status_message}"


def launch_failure(error: BaseException) -> LaunchFailure:
    """The failure record of an exception from RunInstances (moto's ServiceException, or anything else)."""
    code = getattr(error, "code", None)
    reason = (getattr(error, "message", None) or str(error) or type(error).__name__).strip()
    if not reason.endswith((".", "!", "?")):
        reason += "."
    return LaunchFailure(code if isinstance(code, str) else None, reason)


@dataclass
class LaunchBackoff:
    """Consecutive failed launches per AZ (``ANY_ZONE`` for group-wide ones) and when each may be tried again."""

    failures: Counter = field(default_factory=Counter)
    retry_at: dict[str, float] = field(default_factory=dict)

    def ready(self, zone: str, now: float) -> bool:
        return now >= max(self.retry_at.get(zone, 0.0), self.retry_at.get(ANY_ZONE, 0.0))

    def failed(self, zone: str, now: float) -> float:
        """Count a failure in ``zone``; returns when it may be tried again."""
        self.failures[zone] += 1
        wait = min(LAUNCH_RETRY_FIRST_S * 2 ** (self.failures[zone] - 1), LAUNCH_RETRY_MAX_S)
        self.retry_at[zone] = now + wait
        return self.retry_at[zone]

    def succeeded(self, zone: str) -> None:
        for key in (zone, ANY_ZONE):
            self.failures.pop(key, None)
            self.retry_at.pop(key, None)

    def next_retry(self, now: float) -> float | None:
        """The earliest future time an AZ (or the group) may be tried again, or None."""
        later = [t for t in self.retry_at.values() if t > now]
        return min(later) if later else None


def launch_zones(zones: list[str], member_zones: Iterable[str], backoff: LaunchBackoff, now: float,
                 rebalance: bool = False) -> list[str]:
    """The AZs to try for one launch, in order: the emptiest first (ties: the group's AZ order), then
    the others, skipping AZs still backing off. AZRebalance only ever tries the emptiest AZ."""
    counts = Counter(member_zones)
    ordered = sorted(zones, key=lambda z: (counts.get(z, 0), zones.index(z)))
    if rebalance:
        ordered = ordered[:1]
    return [z for z in ordered if backoff.ready(z, now)]

"""Lab 09, task 09.5: a Multi-AZ database, failed over to its standby with ``reboot-db-instance --force-failover``.

What the check reads is what AWS shows: ``MultiAZ`` and ``SecondaryAvailabilityZone`` in describe-db-instances, and
the failover's events in describe-events ("Multi-AZ instance failover started." / "... completed.").
AWS: "Failover times are typically 60-120 seconds"
(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZSingleStandby.html).
"""
from __future__ import annotations

from typing import Any

from ..i18n import N_, _
from .database import the_db_instance
from .registry import not_yet, ok, task

STARTED, COMPLETED = "Multi-AZ instance failover started.", "Multi-AZ instance failover completed."
#: How far back describe-events looks (minutes); RDS keeps events for 14 days
#: (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/working-with-events.html).
EVENT_WINDOW_MIN = 14 * 24 * 60


def failover_events(lab: Any, ident: str) -> list[dict]:
    """The DB instance's failover events, oldest first."""
    events = lab.client("rds").describe_events(SourceIdentifier=ident, SourceType="db-instance",
                                               Duration=EVENT_WINDOW_MIN).get("Events", [])
    return sorted((e for e in events if e.get("Message") in (STARTED, COMPLETED)), key=lambda e: e["Date"])


@task("09.5", N_("A Multi-AZ database that failed over to its standby"))
def failover(lab: Any) -> Any:
    db = the_db_instance(lab)
    ident = db["DBInstanceIdentifier"]
    if not db.get("MultiAZ") or not db.get("SecondaryAvailabilityZone"):
        raise not_yet(_("{db} is Single-AZ: it has no standby to fail over to.").format(db=ident),
                      f"aws rds modify-db-instance --db-instance-identifier {ident} --multi-az --apply-immediately")
    events = failover_events(lab, ident)
    if not any(e["Message"] == STARTED for e in events):
        raise not_yet(_("{db} has a standby in {standby} but has not failed over yet.").format(
            db=ident, standby=db["SecondaryAvailabilityZone"]),
            f"aws rds reboot-db-instance --db-instance-identifier {ident} --force-failover")
    if db.get("DBInstanceStatus") != "available" or events[-1]["Message"] != COMPLETED:
        raise not_yet(_("{db}'s failover has started and is not complete yet (status {status}): AWS says failovers "
                        "typically take 60-120 seconds.").format(db=ident, status=db.get("DBInstanceStatus")),
                      f"aws rds wait db-instance-available --db-instance-identifier {ident}")
    started = max(e["Date"] for e in events if e["Message"] == STARTED)
    took = (events[-1]["Date"] - started).total_seconds()
    return ok(_("{db} failed over in {seconds:.0f} s: the primary is now in {az}, the standby in {standby}.").format(
        db=ident, seconds=took, az=db.get("AvailabilityZone"), standby=db.get("SecondaryAvailabilityZone")),
        [f"{ident} {db.get('AvailabilityZone')} (standby {db.get('SecondaryAvailabilityZone')})"])

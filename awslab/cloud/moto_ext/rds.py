"""RDS: where a DB instance is placed, and a Multi-AZ failover on the simulator's clock.

moto 5.2.5 places every DB instance in ``<region>a`` whatever its DB subnet group spans, shows
no ``SecondaryAvailabilityZone`` for a Multi-AZ instance, and ignores ``ForceFailover``: a
reboot changes nothing. AWS does this instead:

- A DB instance lives in one Availability Zone of its DB subnet group; a Multi-AZ instance has
  its standby in another, shown as ``SecondaryAvailabilityZone``
  (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZSingleStandby.html).
- ``reboot-db-instance --force-failover`` on a Multi-AZ instance: the status is ``rebooting``,
  the standby is promoted, and "Failover times are typically 60-120 seconds" (same page). Then the
  AZs swap and the endpoint's DNS name points at the new primary. ``ForceFailover`` on a Single-AZ
  instance is refused (``InvalidParameterCombination``; the wording is awslab's, AWS's is not documented).
- The events ``describe-events`` shows, in RDS's wording (the DB instance events table,
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html#USER_Events.Messages.instance):
  RDS-EVENT-0013 "Multi-AZ instance failover started.", RDS-EVENT-0049 "Multi-AZ instance failover
  completed.", and for a plain reboot RDS-EVENT-0006 "DB instance restarted".

A plain reboot takes a simulated :data:`REBOOT_S`. Without a simulator the failover completes at once.
:func:`master_password` reads the ``MasterUserPassword`` RDS was given (no API returns it), for the
data plane's MySQL server.
"""
from __future__ import annotations

from typing import Any

from moto.rds.exceptions import InvalidDBInstanceStateFault, InvalidParameterCombination
from moto.rds.models import DBInstance, Event, RDSBackend, rds_backends
from moto.rds.responses import RDSResponse

from . import active, sim_utcnow

__all__ = ["install", "master_password", "FAILOVER_S", "REBOOT_S", "failover_seconds"]

#: "Failover times are typically 60-120 seconds"
#: (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZSingleStandby.html).
FAILOVER_S = (60.0, 120.0)
#: A reboot without failover restarts the engine in place; AWS documents no figure (UNCONFIRMED): one minute.
REBOOT_S = 60.0
FAILOVER_STARTED = ("RDS-EVENT-0013", "failover", "Multi-AZ instance failover started.")
FAILOVER_DONE = ("RDS-EVENT-0049", "failover", "Multi-AZ instance failover completed.")
RESTARTED = ("RDS-EVENT-0006", "availability", "DB instance restarted")
_ORIG: dict[str, Any] = {}


class _RdsEvent(Event):
    """An RDS event with AWS's message (moto's ``Event`` knows only creation and backups)."""

    def __init__(self, resource: DBInstance, event_id: str, category: str, message: str):
        self.source_identifier = resource.resource_id
        self.source_type = resource.event_source_type
        self.message = message
        self.event_categories = [category]
        self.source_arn = resource.arn
        self.date = sim_utcnow()
        self.event_id = event_id


def _event(db: DBInstance, spec: tuple[str, str, str]) -> None:
    db.backend.events.append(_RdsEvent(db, *spec))


def _subnet_azs(db: DBInstance) -> list[str]:
    group = getattr(db, "db_subnet_group", None)
    subnets = getattr(group, "_subnets", None) or []  # moto's Subnet models (``subnets`` is the API's shape)
    return sorted({s.availability_zone for s in subnets if getattr(s, "availability_zone", None)})


def _place(db: DBInstance, az_given: bool) -> None:
    """Put the instance in its subnet group's first AZ (unless one was asked for), its standby in the next."""
    azs = _subnet_azs(db)
    if azs and (not az_given or db.availability_zone not in azs):
        db.availability_zone = azs[0]
    others = [a for a in azs if a != db.availability_zone]
    db.secondary_availability_zone = others[0] if db.multi_az and others else None


def _create_db_instance(self: RDSBackend, db_kwargs: dict[str, Any]) -> DBInstance:
    db = _ORIG["create"](self, db_kwargs)
    if not db.is_replica and db.db_cluster_identifier is None:
        _place(db, bool(db_kwargs.get("availability_zone")))
    return db


def _modify_db_instance(self: RDSBackend, db_instance_identifier: str, db_kwargs: dict[str, Any]) -> DBInstance:
    """Turning Multi-AZ on gives the instance a standby in another AZ of its subnet group (off: none).

    On AWS the conversion runs while the status is ``modifying`` (RDS makes the standby from a snapshot); like the
    creation of a DB instance, the embedded cloud does it at once (not simulated yet).
    """
    db = _ORIG["modify"](self, db_instance_identifier, db_kwargs)
    if db.db_cluster_identifier is None and not db.is_replica:
        _place(db, True)
    return db


def failover_seconds(sim: Any, identifier: str) -> float:
    """How long this failover takes: drawn in AWS's 60-120 s window from the simulator's seeded random numbers."""
    return sim.rng(f"rds.failover.{identifier}").uniform(*FAILOVER_S)


def _complete(db: DBInstance, failover: bool) -> None:
    if failover and db.secondary_availability_zone:
        db.availability_zone, db.secondary_availability_zone = db.secondary_availability_zone, db.availability_zone
        _event(db, FAILOVER_DONE)
    _event(db, RESTARTED)
    db.status = "available"
    from ..changes import record

    record("rds", "RebootDBInstance")  # the endpoint's address changed: DNS and the data plane read it again


def _reboot(self: RDSBackend, identifier: str, force_failover: bool) -> DBInstance:
    db = self.describe_db_instances(identifier)[0]
    if db.status != "available":
        raise InvalidDBInstanceStateFault(
            f"DB instance {identifier} is not in the available state (it is {db.status}).")
    if force_failover and not (db.multi_az and getattr(db, "secondary_availability_zone", None)):
        raise InvalidParameterCombination(
            f"ForceFailover needs a Multi-AZ DB instance: {identifier} has no standby. Reboot without "
            "--force-failover, or make it Multi-AZ first (modify-db-instance --multi-az --apply-immediately).")
    sim = active()
    if force_failover:
        _event(db, FAILOVER_STARTED)
    if sim is None:
        _complete(db, force_failover)
        return db
    db.status = "rebooting"
    delay = failover_seconds(sim, identifier) if force_failover else REBOOT_S
    sim.timeline.record("rds", identifier, "reboot_started", force_failover=force_failover, seconds=round(delay, 1))

    def finish():
        yield sim.env.timeout(delay)
        if self.databases.get(identifier) is db and db.status == "rebooting":
            _complete(db, force_failover)
            sim.timeline.record("rds", identifier, "reboot_completed", availability_zone=db.availability_zone)

    sim.env.process(finish())
    return db


def _reboot_response(self: RDSResponse):
    from moto.core.responses import ActionResult

    force = str(self.params.get("ForceFailover", "false")).lower() == "true"
    return ActionResult({"DBInstance": _reboot(self.backend, self.params.get("DBInstanceIdentifier"), force)})


def master_password(db_instance_arn: str) -> str | None:
    """The ``MasterUserPassword`` a DB instance was created with (None: RDS manages it in Secrets Manager)."""
    parts = db_instance_arn.split(":")
    try:
        backend = rds_backends[parts[4]][parts[3]]
        db = backend.databases[parts[-1]]
    except (IndexError, KeyError):
        return None
    return getattr(db, "_master_user_password", None)  # moto keeps it here; its property refuses to give it


def install() -> None:
    if _ORIG:
        return
    _ORIG["create"] = RDSBackend.create_db_instance
    _ORIG["modify"] = RDSBackend.modify_db_instance
    RDSBackend.modify_db_instance = _modify_db_instance
    _ORIG["reboot"] = RDSResponse.reboot_db_instance
    RDSBackend.create_db_instance = _create_db_instance
    RDSResponse.reboot_db_instance = _reboot_response

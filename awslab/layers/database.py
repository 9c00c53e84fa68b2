"""Layer 5, the database: RDS for MySQL in the private db subnets, the bottom of "ALB -> EC2 -> DB".

- A **DB subnet group** names the subnets RDS may place the database in. AWS
  requires subnets in at least two Availability Zones, even for a single-AZ
  instance, so that a Multi-AZ standby (or a replacement after an AZ failure)
  has somewhere to go.
- The instance is **not publicly accessible**: it gets a private address only,
  in subnets whose route tables have no route from the internet, and its
  security group (the db group) admits the engine's port from the app group
  alone. Three locks, each enough on its own: defence in depth.
- The master password is **managed by RDS in AWS Secrets Manager**
  (``ManageMasterUserPassword``): nobody types it, it never sits in code, in
  user data or in a notebook, and it can be rotated. awslab never reads or
  prints it; the app reads it from the secret at run time
  (``aws secretsmanager get-secret-value --secret-id <master_user_secret_arn>``).

Applications connect to the **endpoint** (a DNS name), never to an IP: after a
failover the name points at the new primary.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from botocore.exceptions import ClientError, WaiterError

from .. import config
from ..errors import DatabaseError, ValidationError, translate
from ..lab import Lab
from . import spec_types, validate
from ._base import Built, call, cli_tag_list, paginate, tag_value
from .network import Network
from .security import ENGINE_PORTS, SecurityGroups
from .waits import WaitTimeout, pace_of, wait_for, waiter
from ..i18n import _

LAYER = "database"
__all__ = ["DatabaseSpec", "Database", "build_database", "ensure_db_subnet_group", "ensure_db_instance", "describe_database"]

#: Engine versions awslab asks for by default (a major version; RDS picks its newest minor).
DEFAULT_ENGINE_VERSIONS = {"mysql": "8.0", "mariadb": "10.11", "postgres": "16"}


@dataclass
class DatabaseSpec:
    """What to build. Defaults: MySQL 8.0 on db.t3.micro with 20 GiB of gp3, single-AZ (the cheapest)."""

    db_instance_identifier: str | None = None  # default "<lab>-db"
    engine: str = "mysql"
    engine_version: str | None = None  # default: DEFAULT_ENGINE_VERSIONS[engine]
    db_instance_class: str = "db.t3.micro"
    allocated_storage: int = 20
    storage_type: str = "gp3"
    master_username: str = "admin"
    multi_az: bool = False
    port: int | None = None  # default: the engine's port, which must be the one the db group admits
    wait: bool = True  # wait for "available" (the endpoint appears then)


@dataclass
class Database(Built):
    """The DB instance and how to reach it. The password is in Secrets Manager, at ``master_user_secret_arn``."""

    db_instance_identifier: str
    endpoint_address: str | None
    port: int
    engine: str
    engine_version: str
    db_instance_class: str
    db_subnet_group_name: str
    master_username: str
    master_user_secret_arn: str | None
    status: str
    created: list[str] = field(default_factory=list)


def check_spec(lab: Lab, spec: DatabaseSpec | None, db_port: int) -> tuple[DatabaseSpec, str, int]:
    """Check the spec on its own and against the port the db security group admits (``db_port``), before any AWS call.
    Returns the spec, the identifier (lower case, as RDS stores it) and the port."""
    spec = spec_types.spec(spec, DatabaseSpec, "database")
    ident = spec.db_instance_identifier if spec.db_instance_identifier is not None else lab.resource_name("db")
    validate.DB_INSTANCE_IDENTIFIER.check("db_instance_identifier", ident)
    validate.one_of("engine", spec.engine, ENGINE_PORTS, "Use engine='mysql' (the default).")
    if spec.engine_version is not None:
        validate.ENGINE_VERSION.check("engine_version", spec.engine_version, "Leave engine_version=None for {version}.".format(
            version=DEFAULT_ENGINE_VERSIONS[spec.engine]))
    validate.DB_INSTANCE_CLASS.check("db_instance_class", spec.db_instance_class, "Use 'db.t3.micro', the smallest general-purpose class.")
    validate.one_of("storage_type", spec.storage_type, validate.STORAGE_TYPES, "Use storage_type='gp3' (general-purpose SSD).")
    validate.whole_number("allocated_storage", spec.allocated_storage, *validate.STORAGE_RANGE,
                          fix="gp2 and gp3 storage is 20-65536 GiB; the lab needs 20.")
    validate.master_username(spec.engine).check("master_username", spec.master_username,
                                                "Use 'admin' (the seed's and the console's default).")
    port = spec.port if spec.port is not None else ENGINE_PORTS[spec.engine]
    validate.whole_number("port", port, *validate.DB_PORT_RANGE, "Use the engine's port: 3306 for MySQL, 5432 for PostgreSQL.")
    if port != db_port:
        raise ValidationError("port", port, _("the db security group admits port {allowed} only, so the app could not reach it").format(
            allowed=db_port), _("Build the security layer with SecuritySpec(db_port={port}), or use port={allowed}.").format(
            port=port, allowed=db_port))
    return spec, ident.lower(), port


def validate_spec(lab: Lab, network: Network, security: SecurityGroups,
                  spec: DatabaseSpec | None) -> tuple[DatabaseSpec, str, int]:
    """Check every input, and the layers the database stands on, before any AWS call."""
    checked = check_spec(lab, spec, security.db_port)
    azs = {s.availability_zone for s in network.db_subnets}
    if len(azs) < 2:
        raise ValidationError("network.db_subnets", [s.subnet_id for s in network.db_subnets],
                              _("a DB subnet group needs subnets in at least two Availability Zones"),
                              _("Build the network with db_subnets in two AZs (the default)."))
    return checked


def build_database(lab: Lab, network: Network, security: SecurityGroups, spec: DatabaseSpec | None = None) -> Database:
    """Ensure the DB subnet group and the RDS instance in the db subnets and the db security group."""
    spec, ident, port = validate_spec(lab, network, security, spec)
    created: list[str] = []
    group = ensure_db_subnet_group(lab, network, created)
    instance = ensure_db_instance(lab, ident, port, group, security.db_sg_id, spec, created)
    if spec.wait:
        instance = _wait_available(lab, ident)
    endpoint = instance.get("Endpoint") or {}
    return Database(ident, endpoint.get("Address"), endpoint.get("Port", port), instance["Engine"], instance["EngineVersion"],
                    instance["DBInstanceClass"], group, instance.get("MasterUsername", spec.master_username),
                    (instance.get("MasterUserSecret") or {}).get("SecretArn"), instance["DBInstanceStatus"], created)


def ensure_db_subnet_group(lab: Lab, network: Network, created: list[str]) -> str:
    """The DB subnet group over the db subnets (two or more AZs), found by name before it is created."""
    rds = lab.client("rds")
    name = lab.resource_name("db-subnets").lower()
    tags = lab.tags(name, LAYER)
    subnet_ids = network.subnet_ids("db")
    try:
        found = rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") != "DBSubnetGroupNotFoundFault":
            raise translate(e, _("looking for the DB subnet group"), cls=DatabaseError) from e
        found = None
    if found and found.get("VpcId") != network.vpc_id:
        raise DatabaseError(_("The DB subnet group {name!r} belongs to another VPC ({vpc}).").format(
            name=name, vpc=found.get('VpcId')),
                            _("Tear the old lab down, or delete it: aws rds delete-db-subnet-group --db-subnet-group-name "
                              "{name}").format(name=name))
    if not found:
        call(rds.create_db_subnet_group, _("creating the DB subnet group"), error=DatabaseError, DBSubnetGroupName=name,
             DBSubnetGroupDescription="Private db subnets in two or more AZs for the lab database", SubnetIds=subnet_ids, Tags=tags)
        created.append(name)
    lab.record("database/subnet-group", ["aws", "rds", "create-db-subnet-group", "--db-subnet-group-name", name,
               "--db-subnet-group-description", "Private db subnets in two or more AZs for the lab database", "--subnet-ids",
               *[f"$DB_SUBNET_{i + 1}" for i in range(len(subnet_ids))], "--tags", *cli_tag_list(tags)],
               _("A DB subnet group over the private db subnets"))
    return name


def ensure_db_instance(lab: Lab, ident: str, port: int, subnet_group: str, db_sg_id: str, spec: DatabaseSpec,
                       created: list[str]) -> dict:
    """The RDS instance, found by identifier (and checked to be this lab's) before it is created."""
    rds = lab.client("rds")
    tags = lab.tags(ident, LAYER)
    version = spec.engine_version or DEFAULT_ENGINE_VERSIONS[spec.engine]
    instance = _describe(lab, ident)
    if instance is not None:
        owner = tag_value(instance.get("TagList"), config.LAB_TAG)
        if owner != lab.name or instance.get("DBInstanceStatus") == "deleting":
            problem = (_("A DB instance named {ident!r} already exists and is being deleted.") if owner == lab.name else
                       _("A DB instance named {ident!r} already exists and belongs to lab {owner!r}.") if owner else
                       _("A DB instance named {ident!r} already exists and belongs to someone else."))
            raise DatabaseError(problem.format(ident=ident, owner=owner),
                                _("Wait for the deletion to finish, or pick another name with DatabaseSpec(db_instance_identifier=...)."))
    else:
        instance = call(rds.create_db_instance, _("creating the DB instance"), error=DatabaseError, DBInstanceIdentifier=ident,
                        Engine=spec.engine, EngineVersion=version, DBInstanceClass=spec.db_instance_class,
                        AllocatedStorage=spec.allocated_storage, StorageType=spec.storage_type, MasterUsername=spec.master_username,
                        ManageMasterUserPassword=True, DBSubnetGroupName=subnet_group, VpcSecurityGroupIds=[db_sg_id],
                        PubliclyAccessible=False, MultiAZ=spec.multi_az, Port=port, Tags=tags)["DBInstance"]
        created.append(ident)
    lab.record("database/instance", ["aws", "rds", "create-db-instance", "--db-instance-identifier", ident, "--engine", spec.engine,
               "--engine-version", version, "--db-instance-class", spec.db_instance_class, "--allocated-storage",
               str(spec.allocated_storage), "--storage-type", spec.storage_type, "--master-username", spec.master_username,
               "--manage-master-user-password", "--db-subnet-group-name", subnet_group, "--vpc-security-group-ids", "$DB_SG_ID",
               "--no-publicly-accessible", "--multi-az" if spec.multi_az else "--no-multi-az", "--port", str(port),
               "--tags", *cli_tag_list(tags)],
               _("The RDS instance: private, in the db group, password kept by RDS in Secrets Manager"))
    lab.record("database/wait", ["aws", "rds", "wait", "db-instance-available", "--db-instance-identifier", ident])
    lab.record("database/endpoint", ["aws", "rds", "describe-db-instances", "--db-instance-identifier", ident],
               var="DB_ENDPOINT", query="DBInstances[0].Endpoint.Address")
    return instance


def _describe(lab: Lab, ident: str) -> dict | None:
    try:
        return lab.client("rds").describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") == "DBInstanceNotFound":
            return None
        raise translate(e, _("looking for the DB instance {ident!r}").format(ident=ident), cls=DatabaseError) from e


def _wait_available(lab: Lab, ident: str) -> dict:
    """Wait, bounded, for ``available``. The AWS CLI waiter polls every 30 s, 60 times (30 min): RDS takes minutes.

    (https://docs.aws.amazon.com/cli/latest/reference/rds/wait/db-instance-available.html)
    """
    fix = _("Look at its status and events: aws rds describe-events --source-identifier {ident} "
            "--source-type db-instance").format(ident=ident)
    try:
        wait_for(waiter(lab.client("rds"), "db_instance_available",
                        _("the DB instance {ident} to be available").format(ident=ident), fix,
                        DBInstanceIdentifier=ident), pace_of(lab))
    except (WaiterError, WaitTimeout) as e:
        raise DatabaseError(_("The DB instance {ident!r} did not become available: {error}").format(
            ident=ident, error=e), fix) from e
    return _describe(lab, ident) or {}


def describe_database(lab: Lab) -> dict[str, list[dict]]:
    """Probe: the lab's DB instances and DB subnet groups, as AWS describes them. Changes nothing."""
    rds = lab.client("rds")
    instances = [i for i in paginate(rds, "describe_db_instances", "DBInstances")
                 if tag_value(i.get("TagList"), config.LAB_TAG) == lab.name]
    groups = [g for g in paginate(rds, "describe_db_subnet_groups", "DBSubnetGroups")
              if tag_value(rds.list_tags_for_resource(ResourceName=g["DBSubnetGroupArn"]).get("TagList"), config.LAB_TAG) == lab.name]
    return {"db_instances": instances, "db_subnet_groups": groups}

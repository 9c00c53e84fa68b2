"""The database layer as CloudFormation: the DB subnet group and the DB instance.

The lab's instance keeps its master password in Secrets Manager, managed by RDS, and nobody ever sees it. A
template must not carry a password either: it takes one as a ``NoEcho`` parameter (CloudFormation shows it as
``****``), gives it to the instance, and keeps it in a secret of its own, ``DatabaseSecret``, which the app
servers read at boot exactly as they read RDS's secret in the lab.
"""
from __future__ import annotations

from typing import Any

from ..layers.database import describe_database
from .template import Sub, Template

__all__ = ["export_database"]


def export_database(lab: Any, t: Template) -> dict | None:
    """Add the DB resources; return what the launch template's user data names (endpoint, secret ARN), or None."""
    found = describe_database(lab)
    for g in found["db_subnet_groups"]:
        t.add("DbSubnetGroup", "AWS::RDS::DBSubnetGroup", {
            "DBSubnetGroupName": t.named(g["DBSubnetGroupName"]), "DBSubnetGroupDescription": g["DBSubnetGroupDescription"],
            "SubnetIds": [t.ref(s["SubnetIdentifier"]) for s in g.get("Subnets", [])],
            "Tags": _tags(lab, t, g["DBSubnetGroupArn"])}, (g["DBSubnetGroupName"],))
    instances = [i for i in found["db_instances"] if i.get("DBInstanceStatus") != "deleting"]
    if not instances:
        return None
    db = instances[0]
    password = t.parameter("DBMasterPassword", Type="String", NoEcho=True, MinLength=8, MaxLength=41,
                           AllowedPattern="[^/@\" ]*", ConstraintDescription="8-41 characters, none of / @ \" or space",
                           Description="The database's master password (never shown; the app servers read it from "
                                       "DatabaseSecret)")
    user = db.get("MasterUsername", "admin")
    t.add("DatabaseSecret", "AWS::SecretsManager::Secret", {
        "Name": t.named(db["DBInstanceIdentifier"] + "-master"), "Description": "The database's master user and password",
        "SecretString": Sub('{"username":"' + user + '","password":"${DBMasterPassword}"}'),
        "Tags": t.tags(_secret_tags(db))})
    t.add("Database", "AWS::RDS::DBInstance", {
        "DBInstanceIdentifier": t.named(db["DBInstanceIdentifier"]), "Engine": db["Engine"],
        "EngineVersion": db["EngineVersion"], "DBInstanceClass": db["DBInstanceClass"],
        "AllocatedStorage": str(db["AllocatedStorage"]), "StorageType": db.get("StorageType"), "MasterUsername": user,
        "MasterUserPassword": password, "DBSubnetGroupName": t.ref(db.get("DBSubnetGroup", {}).get("DBSubnetGroupName")),
        "VPCSecurityGroups": [t.ref(g["VpcSecurityGroupId"]) for g in db.get("VpcSecurityGroups", [])],
        "PubliclyAccessible": bool(db.get("PubliclyAccessible")), "MultiAZ": bool(db.get("MultiAZ")),
        "Port": str((db.get("Endpoint") or {}).get("Port") or db.get("DbInstancePort") or 3306),
        "Tags": t.tags(db.get("TagList"))},
        (db["DBInstanceIdentifier"],), DeletionPolicy="Snapshot", UpdateReplacePolicy="Snapshot",
        Metadata={"cfn-lint": {"config": {"ignore_checks": _lint_exceptions(db["EngineVersion"])}}})
    return {"address": (db.get("Endpoint") or {}).get("Address"), "secret_arn": (db.get("MasterUserSecret") or {}).get("SecretArn")}


def _secret_tags(db: dict) -> list[dict]:
    """The DB's tags with the secret's own Name, so teardown finds the secret by the lab's tag as it finds the DB."""
    name = db["DBInstanceIdentifier"] + "-master"
    return [t if t["Key"] != "Name" else {"Key": "Name", "Value": name} for t in db.get("TagList") or []]


def _lint_exceptions(version: str) -> list[str]:
    """The cfn-lint rules this resource departs from on purpose.

    W1011 (prefer a dynamic reference to a parameter for a secret): the password is a ``NoEcho`` parameter, so
    the template needs no secret to exist before it; it is never shown and lands in ``DatabaseSecret``.
    E3691 (a full engine version): RDS takes a major version ("8.0") and picks its newest minor, as the lab's
    build asked; cfn-lint lists full versions only.
    """
    return ["W1011"] + (["E3691"] if version.count(".") < 2 else [])


def _tags(lab: Any, t: Template, arn: str) -> list[dict]:
    return t.tags(lab.client("rds").list_tags_for_resource(ResourceName=arn).get("TagList"))


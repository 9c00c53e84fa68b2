"""The DB instances as ``describe-db-instances`` shows them, and where each one is on the network.

RDS places a DB instance in one subnet of its DB subnet group, in its ``AvailabilityZone``,
with a private IP there and the ``VpcSecurityGroups`` on its network interface. AWS does not
show the address in ``describe-db-instances``; the endpoint's DNS name resolves to it. awslab
picks it the way the DNS server answers it (:func:`~awslab.dataplane.dns.targets.db_instance_address`),
so the name, the listener and the network policy agree, and a Multi-AZ failover, which swaps
``AvailabilityZone`` and ``SecondaryAvailabilityZone``, moves all three together.

The master password is what RDS was given: from the secret RDS keeps in Secrets Manager
(``ManageMasterUserPassword``), read as the app reads it, or the ``MasterUserPassword`` of
CreateDBInstance, which no AWS API returns (the cloud's own record, :mod:`awslab.cloud.moto_ext.rds`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..dns.targets import db_instance_address
from ..netpolicy import Endpoint, Network

__all__ = ["DBView", "read_db_instances", "SERVING_STATES"]

#: States in which a DB instance accepts connections
#: (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status).
SERVING_STATES = frozenset({"available", "backing-up", "modifying", "configuring-enhanced-monitoring",
                            "configuring-log-exports", "storage-optimization", "upgrading"})


@dataclass(frozen=True)
class DBView:
    """One DB instance, as the data plane serves it."""

    identifier: str
    status: str
    engine: str
    endpoint_address: str | None
    port: int
    availability_zone: str | None
    secondary_availability_zone: str | None
    multi_az: bool
    subnet_id: str | None
    private_ip: str | None
    vpc_id: str | None
    group_ids: tuple[str, ...]
    master_username: str
    master_password: str | None

    @property
    def serving(self) -> bool:
        return self.status in SERVING_STATES and bool(self.private_ip) and self.engine in ("mysql", "mariadb")

    @property
    def network_name(self) -> str:
        return f"rds:{self.identifier}"


def _all(client: Any, op: str, key: str, **kw) -> list[dict]:
    return client.get_paginator(op).paginate(**kw).build_full_result().get(key, [])


def read_db_instances(rds: Any, secrets: Any, subnets: dict[str, dict], passwords: dict[str, str]) -> dict[str, DBView]:
    """Every DB instance (``subnets``: describe_subnets by id; ``passwords``: a cache by secret ARN, filled here)."""
    out = {}
    for d in _all(rds, "describe_db_instances", "DBInstances"):
        az = d.get("AvailabilityZone")
        in_az = sorted(s["SubnetIdentifier"] for s in (d.get("DBSubnetGroup") or {}).get("Subnets", [])
                       if (s.get("SubnetAvailabilityZone") or {}).get("Name") == az
                       and s["SubnetIdentifier"] in subnets)
        subnet = in_az[0] if in_az else None
        ip = db_instance_address(d["DBInstanceArn"], subnets[subnet]["CidrBlock"]) if subnet else None
        endpoint = d.get("Endpoint") or {}
        out[d["DBInstanceIdentifier"]] = DBView(
            d["DBInstanceIdentifier"], d.get("DBInstanceStatus", ""), d.get("Engine", ""), endpoint.get("Address"),
            int(endpoint.get("Port") or d.get("DbInstancePort") or 3306), az, d.get("SecondaryAvailabilityZone"),
            bool(d.get("MultiAZ")), subnet, ip, subnets[subnet]["VpcId"] if subnet else None,
            tuple(g["VpcSecurityGroupId"] for g in d.get("VpcSecurityGroups", [])
                  if g.get("Status", "active") == "active"),
            d.get("MasterUsername", ""), _password(d, secrets, passwords))
    return out


def _password(d: dict, secrets: Any, cache: dict[str, str]) -> str | None:
    arn = (d.get("MasterUserSecret") or {}).get("SecretArn")
    if not arn:
        from ...cloud.moto_ext.rds import master_password

        return master_password(d["DBInstanceArn"])
    if arn not in cache:
        try:
            cache[arn] = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])["password"]
        except Exception:  # a deleted or unreadable secret: nobody can log in, as on AWS
            return None
    return cache[arn]


def add_to_network(network: Network, views: dict[str, DBView]) -> None:
    """Each placed DB instance becomes an endpoint of the network policy, with its security groups."""
    for view in views.values():
        if view.private_ip and view.subnet_id:
            network.add(Endpoint(view.network_name, view.private_ip, view.subnet_id, view.group_ids, False,
                                 view.vpc_id))

"""AWS's own DNS names, and what each answers on this machine.

On AWS, ``<name>-<id>.<region>.elb.amazonaws.com`` resolves to the ALB's node
addresses, ``<id>.<random>.<region>.rds.amazonaws.com`` to the DB instance's
address, ``d111111abcdef8.cloudfront.net`` to CloudFront's edge. Here each
answers where the data plane serves it (or will):

- **an ALB**: ``127.0.0.1``, where the data plane serves every listener, each on
  its own port (``awslab status`` and :func:`awslab.traffic.target.alb_url` show
  the port: DNS answers addresses, not ports). ``dualstack.<name>`` answers the same.
- **a DB instance**: the loopback address of its private IP, an address in its
  DB subnet group's subnet in its current Availability Zone
  (:func:`db_instance_address`). The address is read each time the view is built,
  so a Multi-AZ failover that moves the instance to the other AZ changes the answer.
- **a CloudFront distribution**: the loopback address of its edge address
  (:func:`awslab.dataplane.cdn.distribution.edge_ip`), where the data plane serves it.
- **S3 website endpoints**: ``127.0.0.1``.

Alias records to these resources answer with the resource's TTL, which Route 53
fixes at 60 s for ELB and S3 website endpoints ("alias records with a fixed TTL of
60 seconds", https://aws.amazon.com/route53/faqs/; ELB's own name carries the same
60 s,
https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/how-elastic-load-balancing-works.html#request-routing).
CloudFront's TTL is not documented; 60 s is what its names answer with.
"""
from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from typing import Any, Callable

import dns.name

from ..addresses import INTERNET

__all__ = ["ServiceName", "read_service_names", "db_instance_address", "EDGE_ADDRESS", "RESOURCE_TTL",
           "is_s3_website_endpoint"]

#: Where the ALB listeners, and later CloudFront, are served on this machine (see ``Reconciler._listen``).
EDGE_ADDRESS = INTERNET
#: The TTL of an AWS resource's own DNS name, and so of an alias record to it (module doc).
RESOURCE_TTL = 60


@dataclass(frozen=True)
class ServiceName:
    """One DNS name AWS owns (an ALB's, a DB instance's, a distribution's) and its IPv4 answer here."""

    name: dns.name.Name
    kind: str  # "load balancer", "db instance", "distribution"
    resource: str  # the resource's name or id, for the control route
    address: str | None
    ttl: int = RESOURCE_TTL


def is_s3_website_endpoint(name: dns.name.Name) -> bool:
    """``s3-website-us-east-1.amazonaws.com.`` or ``s3-website.eu-west-2.amazonaws.com.``: an S3 website endpoint."""
    first = name.labels[0].decode().lower() if name.labels else ""
    return first.startswith("s3-website") and name.is_subdomain(dns.name.from_text("amazonaws.com"))


def db_instance_address(db_arn: str, subnet_cidr: str) -> str:
    """The DB instance's private IP in ``subnet_cidr``: stable per instance, never one of AWS's 5 reserved ones."""
    net = ipaddress.ip_network(subnet_cidr)
    usable = max(net.num_addresses - 5, 1)
    k = int(hashlib.sha256(db_arn.encode()).hexdigest(), 16) % usable
    return str(net.network_address + 4 + k)


def _all(client: Any, op: str, key: str, **kw) -> list[dict]:
    return client.get_paginator(op).paginate(**kw).build_full_result().get(key, [])


def _name(text: str) -> dns.name.Name:
    return dns.name.from_text(text.lower().rstrip(".") + ".")


def load_balancer_names(elbv2: Any) -> list[ServiceName]:
    out = []
    for lb in _all(elbv2, "describe_load_balancers", "LoadBalancers"):
        if lb.get("DNSName"):
            name = _name(lb["DNSName"])
            out.append(ServiceName(name, "load balancer", lb["LoadBalancerName"], EDGE_ADDRESS))
            dualstack = dns.name.Name((b"dualstack",) + name.labels)
            out.append(ServiceName(dualstack, "load balancer", lb["LoadBalancerName"], EDGE_ADDRESS))
    return out


def db_instance_names(rds: Any, ec2: Any, local_address: Callable[[str], str]) -> list[ServiceName]:
    """Each DB instance's endpoint, answering the loopback address of its private IP in its current AZ."""
    dbs = [d for d in _all(rds, "describe_db_instances", "DBInstances") if (d.get("Endpoint") or {}).get("Address")]
    subnet_ids = {s["SubnetIdentifier"] for d in dbs for s in (d.get("DBSubnetGroup") or {}).get("Subnets", [])}
    cidrs = {}
    if subnet_ids:
        found = _all(ec2, "describe_subnets", "Subnets", SubnetIds=sorted(subnet_ids))
        cidrs = {s["SubnetId"]: s["CidrBlock"] for s in found}
    out = []
    for d in dbs:
        az = d.get("AvailabilityZone")
        subnets = [s["SubnetIdentifier"] for s in (d.get("DBSubnetGroup") or {}).get("Subnets", [])
                   if (s.get("SubnetAvailabilityZone") or {}).get("Name") == az and s["SubnetIdentifier"] in cidrs]
        address = local_address(db_instance_address(d["DBInstanceArn"], cidrs[sorted(subnets)[0]])) if subnets else None
        out.append(ServiceName(_name(d["Endpoint"]["Address"]), "db instance", d["DBInstanceIdentifier"],
                               address or INTERNET))
    return out


def distribution_names(cloudfront: Any, local_address: Callable[[str], str]) -> list[ServiceName]:
    """Each distribution's ``dxxxx.cloudfront.net``, answering the loopback address its edge serves on."""
    from ..cdn.distribution import edge_ip

    pages = cloudfront.get_paginator("list_distributions").paginate()
    items = [d for page in pages for d in (page.get("DistributionList") or {}).get("Items") or []]
    return [ServiceName(_name(d["DomainName"]), "distribution", d["Id"], local_address(edge_ip(d["Id"])))
            for d in items if d.get("DomainName")]


def read_service_names(clients: dict, local_address: Callable[[str], str]) -> dict[dns.name.Name, ServiceName]:
    """Every ALB, DB instance and distribution's DNS name (``clients``: boto3 elbv2, rds, ec2, cloudfront)."""
    names = [*load_balancer_names(clients["elbv2"]), *db_instance_names(clients["rds"], clients["ec2"], local_address),
             *distribution_names(clients["cloudfront"], local_address)]
    return {s.name: s for s in names}

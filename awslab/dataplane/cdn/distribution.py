"""A distribution as the edge sees it: read through the CloudFront API, and which behaviour a request takes.

CloudFront matches the request path against the cache behaviours' ``PathPattern`` **in the order they are
listed**; the first match wins and the default behaviour (``*``) takes the rest. Patterns are case-sensitive;
``*`` matches any run of characters (``/`` included), ``?`` exactly one
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-web-values-specify.html#DownloadDistValuesPathPattern).
The path is sent to the origin unchanged (an origin's ``OriginPath`` goes in front of it).

Each distribution is served on its own loopback address: the one its ``dxxxx.cloudfront.net`` name resolves
to through the lab's DNS server (:func:`edge_ip`).
"""
from __future__ import annotations

import fnmatch
import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from .expiration import TTLs, ttls_of_behaviour

__all__ = ["Behaviour", "Origin", "DistributionView", "edge_ip", "read_distribution", "EDGE_NETWORK"]

#: Edge addresses are drawn from a range CloudFront's edge locations use (ip-ranges.json, service CLOUDFRONT,
#: https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html); on this machine each maps onto
#: loopback through the data plane's map, like a VPC address.
EDGE_NETWORK = ipaddress.ip_network("13.32.0.0/16")


def edge_ip(distribution_id: str) -> str:
    """The distribution's edge address (stable per id; never the network's first or last address)."""
    k = int(hashlib.sha256(distribution_id.encode()).hexdigest(), 16) % (EDGE_NETWORK.num_addresses - 2)
    return str(EDGE_NETWORK.network_address + 1 + k)


@dataclass(frozen=True)
class Origin:
    id: str
    domain_name: str
    origin_path: str = ""
    s3: bool = False
    oac_id: str = ""
    http_port: int = 80
    connection_attempts: int = 3
    connection_timeout: int = 10
    read_timeout: int = 30

    @property
    def bucket(self) -> str:
        """``<bucket>.s3.<region>.amazonaws.com`` or ``<bucket>.s3.amazonaws.com`` -> ``<bucket>``."""
        return self.domain_name.split(".s3.", 1)[0].split(".s3-", 1)[0]


@dataclass(frozen=True)
class Behaviour:
    path_pattern: str  # "*" for the default behaviour
    origin_id: str
    allowed_methods: tuple[str, ...]
    ttls: TTLs
    origin_request_policy_id: str = ""

    def matches(self, path: str) -> bool:
        pattern = self.path_pattern
        if not pattern.startswith("/") and pattern != "*":
            pattern = "/" + pattern  # CloudFront reads "api/*" as "/api/*"
        return fnmatch.fnmatchcase(path, pattern)


@dataclass
class DistributionView:
    """What the edge needs of one distribution (GetDistribution + GetDistributionConfig)."""

    id: str
    arn: str
    domain_name: str
    enabled: bool
    default_root_object: str
    price_class: str
    origins: dict[str, Origin]
    behaviours: list[Behaviour]  # in order; the default behaviour last
    error_min_ttls: dict[int, int] = field(default_factory=dict)

    def behaviour_for(self, path: str) -> Behaviour:
        for b in self.behaviours[:-1]:
            if b.matches(path):
                return b
        return self.behaviours[-1]


def _origin(o: dict) -> Origin:
    custom = o.get("CustomOriginConfig") or {}
    return Origin(o["Id"], o["DomainName"], o.get("OriginPath") or "", "S3OriginConfig" in o,
                  o.get("OriginAccessControlId") or "", int(custom.get("HTTPPort", 80) or 80),
                  int(o.get("ConnectionAttempts", 3) or 3), int(o.get("ConnectionTimeout", 10) or 10),
                  int(custom.get("OriginReadTimeout", 30) or 30))


def _behaviour(b: dict, pattern: str, policies: dict[str, TTLs]) -> Behaviour:
    methods = tuple((b.get("AllowedMethods") or {}).get("Items") or ("GET", "HEAD"))
    return Behaviour(pattern, b["TargetOriginId"], methods, ttls_of_behaviour(b, policies),
                     b.get("OriginRequestPolicyId") or "")


def read_distribution(summary: dict, config: dict, policies: dict[str, TTLs] | None = None) -> DistributionView:
    """Build the view from ``list_distributions``' item and ``get_distribution_config``'s DistributionConfig."""
    policies = policies or {}
    items = (config.get("CacheBehaviors") or {}).get("Items") or []
    behaviours = [_behaviour(b, b["PathPattern"], policies) for b in items]
    behaviours.append(_behaviour(config["DefaultCacheBehavior"], "*", policies))
    custom = (config.get("CustomErrorResponses") or {}).get("Items") or []
    errors = {int(e["ErrorCode"]): int(e["ErrorCachingMinTTL"]) for e in custom if "ErrorCachingMinTTL" in e}
    origins = {o["Id"]: _origin(o) for o in (config.get("Origins") or {}).get("Items") or []}
    return DistributionView(summary["Id"], summary["ARN"], summary["DomainName"], bool(config.get("Enabled")),
                            config.get("DefaultRootObject") or "", config.get("PriceClass") or "PriceClass_All",
                            origins, behaviours, errors)

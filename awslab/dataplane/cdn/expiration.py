"""How long CloudFront keeps an object: the cache behaviour's TTLs and the origin's ``Cache-Control``.

AWS's rules (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html):

- the origin sends ``Cache-Control: max-age=N`` (or ``s-maxage=N``, which wins for shared caches such as
  CloudFront): the object stays N seconds, but never less than the behaviour's **MinTTL** nor more than its
  **MaxTTL**;
- ``no-cache``, ``no-store`` or ``private``: not cached when MinTTL is 0, else kept for MinTTL;
- no ``Cache-Control``: the behaviour's **DefaultTTL**.

A behaviour names its TTLs through a cache policy (``CachePolicyId``), or, in the legacy settings, with
``MinTTL``/``DefaultTTL``/``MaxTTL`` on the behaviour itself. The two managed policies the lab's builder uses:
*CachingOptimized* (1 s / 86400 s / 31536000 s) and *CachingDisabled* (0 / 0 / 0)
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html).

Errors: "By default, when your origin returns an HTTP 4xx or 5xx status code, CloudFront caches these error
responses for 10 seconds" (``ErrorCachingMinTTL``,
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html), only for the codes
that page lists.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["TTLs", "MANAGED_POLICIES", "CACHING_OPTIMIZED", "CACHING_DISABLED", "ttls_of_behaviour", "object_ttl",
           "error_ttl", "ERROR_CACHING_MIN_TTL", "CACHED_ERRORS"]

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED_UNCOMPRESSED = "b2884449-e4de-46a7-ac36-70bc7f1ddd6d"
#: The default ErrorCachingMinTTL (HTTPStatusCodes page above).
ERROR_CACHING_MIN_TTL = 10
#: The 4xx and 5xx codes CloudFront caches (the same page).
CACHED_ERRORS = frozenset({400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504})
#: The status codes CloudFront caches as ordinary objects (Expiration page: "200, 203, 300, 301, 410").
CACHED_SUCCESS = frozenset({200, 203, 300, 301, 410})


@dataclass(frozen=True)
class TTLs:
    """A behaviour's time-to-live settings, seconds."""

    min_ttl: int
    default_ttl: int
    max_ttl: int
    source: str = "legacy"  # "legacy" or the cache policy's name

    @property
    def disabled(self) -> bool:
        """CachingDisabled, or legacy TTLs all 0: nothing is cached, every request goes to the origin."""
        return self.max_ttl == 0


MANAGED_POLICIES = {
    CACHING_OPTIMIZED: TTLs(1, 86400, 31536000, "Managed-CachingOptimized"),
    CACHING_OPTIMIZED_UNCOMPRESSED: TTLs(1, 86400, 31536000, "Managed-CachingOptimizedForUncompressedObjects"),
    CACHING_DISABLED: TTLs(0, 0, 0, "Managed-CachingDisabled"),
}


def ttls_of_behaviour(behaviour: dict, policies: dict[str, TTLs] | None = None) -> TTLs:
    """The TTLs a cache behaviour uses: its cache policy's (managed or read from GetCachePolicy), else its own."""
    policy_id = behaviour.get("CachePolicyId") or ""
    if policy_id:
        found = (policies or {}).get(policy_id) or MANAGED_POLICIES.get(policy_id)
        if found is not None:
            return found
    # Legacy cache settings; AWS's defaults are 0 / 86400 / 31536000 (DistributionConfig API reference).
    return TTLs(int(behaviour.get("MinTTL", 0) or 0), int(behaviour.get("DefaultTTL", 86400) or 0),
                int(behaviour.get("MaxTTL", 31536000) or 0))


_DIRECTIVE = re.compile(r"\s*([a-zA-Z-]+)\s*(?:=\s*\"?(\d+)\"?)?\s*")


def _directives(cache_control: str | None) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for part in (cache_control or "").split(","):
        m = _DIRECTIVE.fullmatch(part)
        if m:
            out[m.group(1).lower()] = int(m.group(2)) if m.group(2) else None
    return out


def object_ttl(ttls: TTLs, cache_control: str | None) -> int:
    """Seconds CloudFront keeps an object the origin answered with ``cache_control`` (0: not cached)."""
    if ttls.disabled:
        return 0
    d = _directives(cache_control)
    if {"no-cache", "no-store", "private"} & d.keys():
        return ttls.min_ttl
    age = d.get("s-maxage") if d.get("s-maxage") is not None else d.get("max-age")
    if age is None:
        return min(max(ttls.default_ttl, ttls.min_ttl), ttls.max_ttl)
    return min(max(age, ttls.min_ttl), ttls.max_ttl)


def error_ttl(status: int, error_min_ttls: dict[int, int] | None = None) -> int:
    """Seconds an error answer stays cached: the distribution's ErrorCachingMinTTL for it, else 10 s."""
    if status not in CACHED_ERRORS:
        return 0
    return (error_min_ttls or {}).get(status, ERROR_CACHING_MIN_TTL)

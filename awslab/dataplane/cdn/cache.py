"""The edge cache of one distribution, in simulated time.

An entry is kept from the moment the origin answered until its TTL (:mod:`.expiration`) runs out on the
simulator's clock, so a 300 s TTL lasts 300 simulated seconds at any speed and a test can step over it with
the clock. A hit reports its ``Age``: the seconds since CloudFront got the object from the origin.

**Invalidation** (``CreateInvalidation``) removes entries by path: an exact path, or a path ending in ``*``
that matches every path starting with what comes before it; ``/*`` empties the whole cache. The ``*`` may
only be the last character
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Invalidation_Specifying_Objects.html).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["CachedObject", "EdgeCache", "MAX_ENTRIES"]

#: Entries kept per distribution (least recently used go first): a bound for the lab's memory, not an AWS number.
MAX_ENTRIES = 2000


@dataclass
class CachedObject:
    """One cached answer: what the origin sent, when (simulated epoch s), and for how long."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    stored_at: float
    ttl: float

    def fresh(self, now: float) -> bool:
        return now < self.stored_at + self.ttl

    def age(self, now: float) -> int:
        return max(int(now - self.stored_at), 0)


class EdgeCache:
    """Cache entries keyed by path (the managed CachingOptimized policy keys on the path only)."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.entries: OrderedDict[str, CachedObject] = OrderedDict()
        self.max_entries = max_entries
        self.hits = self.misses = 0

    def get(self, key: str, now: float) -> CachedObject | None:
        """The fresh entry for ``key``, or None (an expired one is dropped)."""
        found = self.entries.get(key)
        if found is None:
            return None
        if not found.fresh(now):
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return found

    def put(self, key: str, obj: CachedObject) -> None:
        if obj.ttl <= 0:
            return
        self.entries[key] = obj
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)

    def invalidate(self, paths: list[str]) -> int:
        """Remove every entry an invalidation path matches; returns how many went."""
        gone = [k for k in self.entries if any(_matches(p, k) for p in paths)]
        for k in gone:
            del self.entries[k]
        return len(gone)

    def clear(self) -> None:
        self.entries.clear()


def _matches(pattern: str, key: str) -> bool:
    if not pattern.startswith("/"):
        pattern = "/" + pattern  # CloudFront adds the leading slash the CLI's user left out
    if pattern.endswith("*"):
        return key.startswith(pattern[:-1])
    return key == pattern

"""The hosted zones as DNS sees them: one immutable view, built from ``list_resource_record_sets``.

Route 53 stores each record set as text (``"10 mail.example.com"``); the name
servers answer it as DNS data. :func:`build_zone` turns one hosted zone's
record sets into :class:`Zone`, keyed by owner name and type, so a query is a
dictionary lookup. Values without a final dot are absolute, as Route 53 reads them
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

__all__ = ["AliasTarget", "RecordSet", "Zone", "build_zone", "default_soa", "make_rrset", "SOA_DEFAULTS"]

log = logging.getLogger("awslab.dataplane.dns")

#: The SOA Route 53 writes in every new zone: serial 1, refresh 7200, retry 900, expire 1209600,
#: minimum (negative-caching TTL) 86400, record TTL 900
#: (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/SOA-NSrecords.html).
SOA_DEFAULTS = {"rname": "awsdns-hostmaster.amazon.com.", "times": "1 7200 900 1209600 86400", "ttl": 900}
#: The NS record set's TTL in a new zone (same page).
NS_TTL = 172800


@dataclass(frozen=True)
class AliasTarget:
    """An alias record's ``AliasTarget``: the AWS resource (or record in the zone) that gives the answer."""

    dns_name: dns.name.Name
    hosted_zone_id: str
    evaluate_target_health: bool = False


@dataclass(frozen=True)
class RecordSet:
    """One record set: its data as DNS rdata (an alias has none of its own), TTL, and routing fields."""

    name: dns.name.Name
    rdtype: int
    ttl: int
    rdatas: tuple = ()
    alias: AliasTarget | None = None
    set_identifier: str | None = None
    failover: str | None = None


@dataclass
class Zone:
    """A public hosted zone: its apex, id, delegation set and record sets by ``{name: {type: [RecordSet]}}``."""

    zone_id: str
    origin: dns.name.Name
    name_servers: tuple[str, ...]
    records: dict[dns.name.Name, dict[int, list[RecordSet]]] = field(default_factory=dict)
    #: Every owner name and every name between it and the apex (empty non-terminals answer NODATA).
    names: set[dns.name.Name] = field(default_factory=set)

    def lookup(self, name: dns.name.Name, rdtype: int) -> list[RecordSet]:
        return self.records.get(name, {}).get(rdtype, [])

    def has_name(self, name: dns.name.Name) -> bool:
        """Does ``name`` own records, or sit above names that do (an empty non-terminal: NODATA, not NXDOMAIN)?"""
        return name in self.names

    def soa(self) -> dns.rrset.RRset:
        """The apex SOA: the stored one when it parses, else Route 53's default from the delegation set."""
        stored = self.lookup(self.origin, dns.rdatatype.SOA)
        if stored and stored[0].rdatas:
            return make_rrset(self.origin, stored[0].ttl, stored[0].rdatas[:1])
        return default_soa(self.origin, self.name_servers)

    def delegation(self, name: dns.name.Name) -> RecordSet | None:
        """An NS record set between the apex and ``name`` (a subdomain delegated elsewhere), if any."""
        cut = name
        while cut != self.origin and cut.is_subdomain(self.origin):
            found = self.lookup(cut, dns.rdatatype.NS)
            if found:
                return found[0]
            cut = cut.parent()
        return None


def default_soa(origin: dns.name.Name, name_servers: tuple[str, ...]) -> dns.rrset.RRset:
    """``<first name server> awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400``, TTL 900."""
    primary = (name_servers[0] if name_servers else "ns-0.awsdns-00.com").rstrip(".") + "."
    text = f"{primary} {SOA_DEFAULTS['rname']} {SOA_DEFAULTS['times']}"
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, text, origin=dns.name.root, relativize=False)
    return make_rrset(origin, SOA_DEFAULTS["ttl"], (rdata,))


def make_rrset(name: dns.name.Name, ttl: int, rdatas) -> dns.rrset.RRset:
    """An RRset of ``rdatas`` (one type, at least one) owned by ``name`` with ``ttl``."""
    rrset = dns.rrset.RRset(name, dns.rdataclass.IN, rdatas[0].rdtype)
    for rd in rdatas:
        rrset.add(rd, ttl)
    return rrset


def build_zone(zone_id: str, name: str, name_servers: list[str], record_sets: list[dict]) -> Zone:
    """A :class:`Zone` from ``list_resource_record_sets``' dicts. A value DNS cannot read is left out (logged)."""
    zone = Zone(zone_id, dns.name.from_text(name), tuple(name_servers))
    for raw in record_sets:
        rs = _record_set(raw)
        if rs is not None:
            zone.records.setdefault(rs.name, {}).setdefault(rs.rdtype, []).append(rs)
    for owner in zone.records:
        while owner.is_subdomain(zone.origin) and owner not in zone.names:
            zone.names.add(owner)
            if owner == zone.origin:
                break
            owner = owner.parent()
    zone.names.add(zone.origin)
    soa = zone.soa()  # stored or built: either way the apex answers SOA queries with it
    zone.records.setdefault(zone.origin, {})[dns.rdatatype.SOA] = [RecordSet(zone.origin, dns.rdatatype.SOA, soa.ttl,
                                                                             tuple(soa))]
    if not zone.lookup(zone.origin, dns.rdatatype.NS) and name_servers:
        ns = tuple(_rdata("NS", n) for n in name_servers)
        apex = zone.records.setdefault(zone.origin, {})
        apex[dns.rdatatype.NS] = [RecordSet(zone.origin, dns.rdatatype.NS, NS_TTL, ns)]
    return zone


def _record_set(raw: dict) -> RecordSet | None:
    try:
        name = dns.name.from_text(raw["Name"].lower())
        rdtype = dns.rdatatype.from_text(raw["Type"])
    except Exception as e:  # a name or type DNS can't carry: never served
        log.info("dns: skipping record set %r: %s", raw.get("Name"), e)
        return None
    alias = raw.get("AliasTarget")
    common = dict(set_identifier=raw.get("SetIdentifier"), failover=raw.get("Failover"))
    if alias:
        target = AliasTarget(dns.name.from_text(alias.get("DNSName", ".").lower()), alias.get("HostedZoneId", ""),
                             bool(alias.get("EvaluateTargetHealth")))
        return RecordSet(name, rdtype, 0, alias=target, **common)
    rdatas = []
    for value in raw.get("ResourceRecords", []):
        rd = _rdata(raw["Type"], str(value.get("Value", "")))
        if rd is not None:
            rdatas.append(rd)
    return RecordSet(name, rdtype, int(raw.get("TTL", 300)), tuple(rdatas), **common)


def _rdata(rtype: str, text: str):
    """``text`` as rdata of ``rtype``, names relative to the root (Route 53 reads every name as absolute)."""
    try:
        return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rtype), text, origin=dns.name.root,
                                   relativize=False)
    except Exception as e:  # e.g. moto 5.2.5 stores a new zone's SOA as "{'Value': '...'}": Zone.soa then builds it
        log.debug("dns: %s value %r is not DNS data: %s", rtype, text[:80], e)
        return None

"""What Route 53's name servers answer to one DNS question: a pure function of the query and the zones.

:func:`answer` takes a parsed query and a :class:`DnsView` and returns the
response, following the DNS rules an authoritative server follows:

- a name with records of the type asked: the records, with the TTL the record set
  has; an **alias**: the target's current answer with the target's TTL (60 s for an
  ALB, a DB instance, CloudFront, an S3 website endpoint; a record in the same zone:
  that record's TTL), per
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html;
- a CNAME: the CNAME, then the target's records when a zone here holds them;
- a name that exists with other types only (or only has names below it): **NODATA**,
  NOERROR with no answer and the zone's SOA in the authority section;
- a name in a zone with no records at all: **NXDOMAIN** with the SOA (RFC 2308: the
  negative answer is cached for the lesser of the SOA's TTL and its minimum field);
- ``*.name`` wildcards, and NS records below the apex (a referral), as RFC 1034/4592 say;
- a name outside every public hosted zone: **REFUSED**. Route 53's name servers are
  authoritative only; this one forwards nowhere, so it never answers for the internet;
- ``ANY``: one record set, not all (RFC 8482), as Route 53 does; zone transfers: REFUSED.

Private hosted zones are not served: on AWS they answer only through the VPC's own
resolver (the VPC's base address + 2) to queries from inside the VPC, and a query
here comes from this machine, the "internet" side.

Routing policies: a failover pair answers its PRIMARY (health checks are not
evaluated here); other record sets of one name and type (weighted, latency, ...)
answer together. ``EvaluateTargetHealth`` changes nothing for a simple record, as on
AWS, where a record with no healthy alternative is answered anyway.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from .targets import EDGE_ADDRESS, RESOURCE_TTL, ServiceName, is_s3_website_endpoint
from .zones import RecordSet, Zone, make_rrset as _rrset

__all__ = ["DnsView", "answer", "MAX_CHAIN", "EDNS_PAYLOAD"]

#: CNAMEs and aliases followed for one question at most (a loop ends here, not in the server).
MAX_CHAIN = 8
#: The UDP payload this server offers with EDNS: DNS Flag Day 2020's 1232 bytes, which never fragments.
EDNS_PAYLOAD = 1232
_A = dns.rdatatype.A


@dataclass(frozen=True)
class DnsView:
    """The public hosted zones (deepest apex first) and AWS's own names, as one immutable view."""

    zones: tuple[Zone, ...] = ()
    service_names: dict[dns.name.Name, ServiceName] = field(default_factory=dict)
    generation: int = -1

    @classmethod
    def of(cls, zones: list[Zone], service_names: dict, generation: int) -> "DnsView":
        """Several public zones of one name (Route 53 allows it): the last listed answers."""
        by_origin = {z.origin: z for z in zones}
        ordered = sorted(by_origin.values(), key=lambda z: len(z.origin.labels), reverse=True)
        return cls(tuple(ordered), dict(service_names), generation)

    def zone_for(self, name: dns.name.Name) -> Zone | None:
        for zone in self.zones:
            if name.is_subdomain(zone.origin):
                return zone
        return None


def answer(query: dns.message.Message, view: DnsView) -> dns.message.Message:
    """The response to ``query`` (never raises for a query dnspython could parse)."""
    response = dns.message.make_response(query, our_payload=EDNS_PAYLOAD)
    if query.opcode() != dns.opcode.QUERY:
        response.set_rcode(dns.rcode.NOTIMP)
        return response
    if len(query.question) != 1:
        response.set_rcode(dns.rcode.FORMERR)
        return response
    question = query.question[0]
    qtype = question.rdtype
    refused = (question.rdclass != dns.rdataclass.IN
               or (dns.rdatatype.is_metatype(qtype) and qtype != dns.rdatatype.ANY))
    if refused:  # CH/HS classes, AXFR/IXFR (Route 53 transfers no zones), OPT or TSIG asked as a type
        response.set_rcode(dns.rcode.REFUSED)
        return response
    _resolve(response, question.name, qtype, view, 0)
    return response


def _resolve(response: dns.message.Message, name: dns.name.Name, qtype: int, view: DnsView, depth: int) -> None:
    service = view.service_names.get(name)
    if service is not None:
        response.flags |= dns.flags.AA
        if qtype in (_A, dns.rdatatype.ANY) and service.address:
            response.answer.append(_a_rrset(name, service.address, service.ttl))
        return
    zone = view.zone_for(name)
    if zone is None:
        if depth == 0:
            response.set_rcode(dns.rcode.REFUSED)
        return
    cut = zone.delegation(name)
    if cut is not None:  # a subdomain delegated elsewhere: a referral, not an answer
        response.authority.append(_rrset(cut.name, cut.ttl, cut.rdatas))
        return
    response.flags |= dns.flags.AA
    node = _node(zone, name)
    if node is None:  # the rcode speaks for the last name of a CNAME chain (RFC 6604)
        response.set_rcode(dns.rcode.NXDOMAIN)
        _negative(response, zone)
        return
    cname = node.get(dns.rdatatype.CNAME)
    if cname and qtype != dns.rdatatype.CNAME:
        rrset = _rrset_of(zone, name, dns.rdatatype.CNAME, cname, view, depth)
        if rrset is not None:
            response.answer.append(rrset)
            if depth < MAX_CHAIN:
                _resolve(response, rrset[0].target, qtype, view, depth + 1)
            return
    if qtype == dns.rdatatype.ANY and node:  # RFC 8482: one record set is a complete answer
        qtype = min(node)
    rrset = _rrset_of(zone, name, qtype, node.get(qtype, []), view, depth)
    if rrset is None:
        _negative(response, zone)
        return
    response.answer.append(rrset)


def _node(zone: Zone, name: dns.name.Name) -> dict | None:
    """The records owned by ``name``, or by the wildcard that covers it (RFC 4592); ``None``: no such name."""
    if zone.has_name(name):
        return zone.records.get(name, {})
    encloser = name.parent()
    while encloser != zone.origin and not zone.has_name(encloser):
        encloser = encloser.parent()
    star = dns.name.Name((b"*",) + encloser.labels)
    return zone.records.get(star)


def _rrset_of(zone: Zone, name: dns.name.Name, rdtype: int, sets: list[RecordSet], view: DnsView,
              depth: int) -> dns.rrset.RRset | None:
    """The answer for ``sets`` (one name and type) with ``name`` as its owner; ``None`` when it has no data."""
    primary = [s for s in sets if (s.failover or "").upper() == "PRIMARY"]
    rdatas, ttl = [], None
    for rs in primary or sets:
        data, rs_ttl = _alias_data(zone, rs, rdtype, view, depth) if rs.alias else (rs.rdatas, rs.ttl)
        if data:
            rdatas.extend(data)
            ttl = rs_ttl if ttl is None else min(ttl, rs_ttl)
    return _rrset(name, ttl or 0, rdatas) if rdatas else None


def _alias_data(zone: Zone, rs: RecordSet, rdtype: int, view: DnsView, depth: int) -> tuple[tuple, int]:
    """An alias's answer: the AWS resource's address (IPv4 only here), or the aliased record's data in the same zone."""
    target = rs.alias.dns_name
    service = view.service_names.get(target)
    if service is not None or is_s3_website_endpoint(target):
        address = service.address if service is not None else EDGE_ADDRESS
        if rdtype != _A or not address:
            return (), 0
        return (dns.rdata.from_text(dns.rdataclass.IN, _A, address),), service.ttl if service else RESOURCE_TTL
    if depth >= MAX_CHAIN or not target.is_subdomain(zone.origin):
        return (), 0
    node = _node(zone, target)
    sets = (node or {}).get(rdtype, [])
    rrset = _rrset_of(zone, target, rdtype, sets, view, depth + 1) if sets else None
    return (tuple(rrset), rrset.ttl) if rrset is not None else ((), 0)


def _negative(response: dns.message.Message, zone: Zone) -> None:
    """NODATA/NXDOMAIN's authority section: the SOA, with TTL min(SOA TTL, SOA minimum) (RFC 2308 §3)."""
    soa = zone.soa()
    response.authority.append(_rrset(soa.name, min(soa.ttl, soa[0].minimum), tuple(soa)))


def _a_rrset(name: dns.name.Name, address: str, ttl: int) -> dns.rrset.RRset:
    return _rrset(name, ttl, (dns.rdata.from_text(dns.rdataclass.IN, _A, address),))

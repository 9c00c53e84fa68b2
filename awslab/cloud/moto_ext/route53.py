"""Route 53 part of the moto extension: a CNAME stands alone, so never at a zone's apex.

DNS allows no other record beside a CNAME of the same name (RFC 1034, section 3.6.2), and a zone's apex always
holds its SOA and NS records, so Route 53 refuses a CNAME there. AWS: "You cannot create a CNAME record for
example.com, but you can create CNAME records for www.example.com ... if you create a CNAME record for a
subdomain, you cannot create any other records for that subdomain"
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html#CNAMEFormat). That is why
the apex gets an *alias* record instead. moto 5.2.5 accepts all of it.

Patched: ``Route53Backend.change_resource_record_sets`` checks a batch first and answers ``InvalidChangeBatch``
with Route 53's own sentences for a CNAME at the apex, a CNAME beside other records of its name, and a record
beside an existing CNAME. Every other change goes to moto unchanged.
"""
from __future__ import annotations

from typing import Any

from moto.route53.exceptions import Route53ClientError
from moto.route53.models import Route53Backend

__all__ = ["install", "cname_conflict"]

_ORIG: dict[str, Any] = {}


def _fqdn(name: str) -> str:
    return name.rstrip(".").lower() + "."


def cname_conflict(zone_name: str, existing: list[tuple[str, str]], changes: list[dict]) -> str | None:
    """Route 53's message for the first CNAME rule ``changes`` would break, or None.

    ``existing`` lists the zone's records as ``(name, type)``; ``changes`` are the batch's ``Change`` items.
    """
    deleted = {(_fqdn(c["ResourceRecordSet"]["Name"]), c["ResourceRecordSet"]["Type"]) for c in changes
               if c.get("Action") == "DELETE"}
    after = {(_fqdn(n), t) for n, t in existing} - deleted
    zone = zone_name.rstrip(".")
    for change in changes:
        if change.get("Action") not in ("CREATE", "UPSERT"):
            continue
        rrset = change["ResourceRecordSet"]
        name, kind = _fqdn(rrset["Name"]), rrset.get("Type")
        others = {t for n, t in after if n == name and t != kind}
        if kind == "CNAME" and name == _fqdn(zone_name):
            return f"RRSet of type CNAME with DNS name {name} is not permitted at apex in zone {zone}."
        if kind == "CNAME" and others:
            return (f"RRSet of type CNAME with DNS name {name} is not permitted as it conflicts with other records "
                    f"with the same DNS name in zone {zone}.")
        if kind != "CNAME" and "CNAME" in others:
            return (f"RRSet of type {kind} with DNS name {name} is not permitted because a conflicting RRSet of type  "
                    f"CNAME with the same DNS name already exists in zone {zone}.")
        after.add((name, kind))
    return None


def _change_resource_record_sets(self: Any, zoneid: str, change_list: list[dict]) -> None:
    zone = self.get_hosted_zone(zoneid)
    problem = cname_conflict(zone.name, [(r.name, r.type) for r in zone.rrsets], change_list or [])
    if problem:
        raise Route53ClientError("InvalidChangeBatch", problem)
    return _ORIG["change"](self, zoneid, change_list)


def install() -> None:
    if _ORIG:
        return
    _ORIG["change"] = Route53Backend.change_resource_record_sets
    Route53Backend.change_resource_record_sets = _change_resource_record_sets

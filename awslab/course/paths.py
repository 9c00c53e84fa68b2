"""The seed's two access paths, drawn from the lab's live resources: the traditional one and the CDN one.

    traditional: browser -> DNS -> load balancer -> app servers -> DB
    today:       browser -> DNS -> CDN -> static front end (S3); the page's JavaScript -> /api/* -> load balancer -> ...

Every hop is read back through the standard describe/list calls (Route 53, CloudFront, ELB, RDS), and each says
whether a request really travels it on this backend today. On the embedded cloud the load balancer, the app servers
and their health checks are real HTTP, and Route 53 answers real DNS queries (:mod:`awslab.course.dns`); CloudFront
does not serve requests yet (a later version of awslab adds it), and ``/products`` reads a local stand-in for the
database.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from ..i18n import _

__all__ = ["Hop", "AccessPaths", "access_paths"]


@dataclass(frozen=True)
class Hop:
    """One step of a path: what it is, the live resource that plays it, and whether requests really take it here."""

    what: str
    resource: str
    live: bool
    note: str = ""


@dataclass(repr=False)
class AccessPaths:
    """Both paths, hop by hop."""

    traditional: list[Hop] = field(default_factory=list)
    cdn: list[Hop] = field(default_factory=list)

    def _rows(self) -> list[tuple[str, list[Hop]]]:
        return [(_("Traditional: api name → load balancer → app servers → DB"), self.traditional),
                (_("Today: www name → CDN → static front end; its JavaScript → /api/* → load balancer"), self.cdn)]

    def text(self) -> str:
        lines = []
        for title, hops in self._rows():
            lines.append(title)
            lines += [f"  {i}. {h.what:<28} {h.resource}  [{_mark(h)}]" for i, h in enumerate(hops, 1)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in ("", _("hop"), _("live resource"),
                                                                                         _("requests today")))
        parts = []
        for title, hops in self._rows():
            rows = "".join(
                f"<tr><td>{i}</td><td style='text-align:left'>{html.escape(h.what)}</td>"
                f"<td style='text-align:left;overflow-wrap:anywhere'><code>{html.escape(h.resource)}</code></td>"
                f"<td style='text-align:left;color:{'#1a7f37' if h.live else '#9a6700'}'>{html.escape(_mark(h))}</td></tr>"
                for i, h in enumerate(hops, 1))
            parts.append(f"<b>{html.escape(title)}</b><table>{head}{rows}</table>")
        return "<div>" + "".join(parts) + "</div>"


def _mark(h: Hop) -> str:
    return ("✓ " if h.live else "… ") + (h.note or (_("real HTTP") if h.live else ""))


def _dns_hop(records: dict[str, dict], name: str, server: tuple[str, int] | None) -> Hop:
    target = (records.get(name) or {}).get("AliasTarget", {}).get("DNSName", "-").rstrip(".")
    what = _("Route 53 alias {name}").format(name=name)
    if server is None:
        return Hop(what, f"{name} → {target}", False, _("API only: no DNS server to ask from here"))
    return Hop(what, f"{name} → {target}", True, _("real DNS: dig @{host} -p {port} {name}").format(
        host=server[0], port=server[1], name=name))


def _dns_server(lab: Any) -> tuple[str, int] | None:
    """The embedded cloud's name server, or None (off, or a backend whose DNS this lab can't ask from here)."""
    from ..errors import AwslabError
    from .dns import dns_server

    try:
        return dns_server(lab)
    except AwslabError:
        return None


def access_paths(lab: Any, domain: str = "example.com") -> AccessPaths:
    """Read the lab's edge, load balancer, servers and database, and lay them out as the seed's two paths."""
    from ..checks.database import the_db_instance
    from ..checks.edge import the_alb, the_bucket, the_distribution, the_zone
    from ..checks.registry import Unmet

    alb, paths = the_alb(lab), AccessPaths()
    healthy = _healthy_targets(lab)
    try:
        zone_id = the_zone(lab, domain)["Id"].rsplit("/", 1)[-1]
        records = {r["Name"].rstrip("."): r for r in lab.client("route53").list_resource_record_sets(
            HostedZoneId=zone_id)["ResourceRecordSets"] if r["Type"] == "A"}
    except Unmet:
        records = {}
    try:
        db = the_db_instance(lab)["Endpoint"]["Address"]
    except (Unmet, KeyError):
        db = "-"
    servers = Hop(_("app servers (healthy targets)"), ", ".join(healthy) or "-", bool(healthy))
    database = Hop(_("database"), db, False, _("a local stand-in answers /products"))
    balancer = Hop(_("load balancer"), alb["DNSName"], True)
    server = _dns_server(lab)
    paths.traditional = [_dns_hop(records, f"api.{domain}", server), balancer, servers, database]
    d = the_distribution(lab)
    paths.cdn = [_dns_hop(records, f"www.{domain}", server),
                 Hop(_("CloudFront: * from S3"), f"{d['DomainName']} → s3://{the_bucket(lab)}/", False,
                     _("API only: CloudFront serving comes with a later awslab")),
                 Hop(_("CloudFront: /api/* to the ALB"), f"{d['DomainName']}/api/* → {alb['DNSName']}", False,
                     _("API only: CloudFront serving comes with a later awslab")),
                 balancer, servers, database]
    return paths


def _healthy_targets(lab: Any) -> list[str]:
    elb = lab.client("elbv2")
    try:
        tg = elb.describe_target_groups(Names=[f"{lab.name}-tg"])["TargetGroups"][0]["TargetGroupArn"]
    except elb.exceptions.TargetGroupNotFoundException:
        return []
    return sorted(d["Target"]["Id"] for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
                  if d["TargetHealth"]["State"] == "healthy")

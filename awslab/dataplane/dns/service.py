"""Route 53's name servers inside the embedded cloud: started with it, shown by ``GET /_awslab/dns``.

The server reads the zones through the public APIs (``list_hosted_zones``,
``get_hosted_zone``, ``list_resource_record_sets``, and the ALBs', DB instances'
and distributions' describe calls), exactly what a student sees with boto3, and
only after one of those services changed. Its port: ``AWSLAB_DNS_PORT`` when set;
else 10053 (DNS's 53 + 10000, as the data plane serves privileged ports without
root), plus 1000 for each other awslab cloud already on this machine (the data
plane's port block); if that is taken, any free port. ``awslab status`` prints it.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Callable

from ... import config
from ...cloud import access_keys, changes, control, server
from ..addresses import to_loopback
from .resolve import DnsView
from .server import DnsServer
from .targets import read_service_names
from .zones import Zone, build_zone

__all__ = ["DNS", "DEFAULT_PORT", "MIRRORED", "read_view", "read_zones", "dns_ports", "invalidate"]

log = logging.getLogger("awslab.dataplane.dns")

#: 53 + 10000: the data plane's convention for a privileged port served without root.
DEFAULT_PORT = 10053
#: The services whose changes can change an answer (moto's names; "*" is a reset).
MIRRORED = ("route53", "elbv2", "rds", "cloudfront", "*")


def generation() -> int:
    return sum(changes.generation(s) for s in MIRRORED)


def dns_ports(block_offset: int = 0) -> list[int]:
    """The ports to try, in order: ``AWSLAB_DNS_PORT``, or 10053 + this cloud's port-block offset; then any."""
    wanted = os.environ.get("AWSLAB_DNS_PORT", "").strip()
    if wanted:
        return [config.check_port(wanted, "AWSLAB_DNS_PORT") if wanted != "0" else 0]
    return [DEFAULT_PORT + block_offset, 0]


def _clients(endpoint: str) -> dict:
    import boto3
    from botocore.config import Config

    kw = dict(endpoint_url=endpoint, region_name=config.region(), config=Config(retries={"max_attempts": 2}),
              **access_keys.embedded_credentials())
    session = boto3.session.Session()  # not the default session: this runs in the server's reader thread
    return {name: session.client(name, **kw) for name in ("route53", "elbv2", "rds", "ec2", "cloudfront")}


def read_zones(route53: Any) -> list[Zone]:
    """Every public hosted zone with its record sets, read through the APIs (a probe: changes nothing)."""
    zones = []
    for page in route53.get_paginator("list_hosted_zones").paginate():
        for z in page.get("HostedZones", []):
            if (z.get("Config") or {}).get("PrivateZone"):
                continue  # answered only inside its VPCs (see .resolve)
            zone_id = z["Id"].rsplit("/", 1)[-1]
            ns = (route53.get_hosted_zone(Id=zone_id).get("DelegationSet") or {}).get("NameServers", [])
            records = [r for p in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
                       for r in p.get("ResourceRecordSets", [])]
            zones.append(build_zone(zone_id, z["Name"], ns, records))
    return zones


def read_view(clients: dict, local_address: Callable[[str], str], gen: int) -> DnsView:
    """The zones and AWS's names, all read now."""
    return DnsView.of(read_zones(clients["route53"]), read_service_names(clients, local_address), gen)


class _Reader:
    """The server's ``read``: re-reads the zones only after a Route 53 change, AWS's names only after an ELB, RDS
    or CloudFront change (a record change then costs a few Route 53 calls, not a describe of everything)."""

    def __init__(self, endpoint: str, local_address: Callable[[str], str]):
        self.endpoint, self.local_address, self.clients = endpoint, local_address, None
        self.zones: tuple[int, list[Zone]] = (-1, [])
        self.names: tuple[int, dict] = (-1, {})

    def __call__(self, gen: int) -> DnsView:
        self.clients = self.clients or _clients(self.endpoint)
        zones_gen = changes.generation("route53") + changes.generation("*")
        names_gen = sum(changes.generation(s) for s in MIRRORED if s != "route53")
        if zones_gen != self.zones[0]:
            self.zones = (zones_gen, read_zones(self.clients["route53"]))
        if names_gen != self.names[0]:
            self.names = (names_gen, read_service_names(self.clients, self.local_address))
        return DnsView.of(self.zones[1], self.names[1], gen)

    def forget(self) -> None:
        self.zones, self.names = (-1, []), (-1, {})


def _dataplane() -> Any:
    try:
        from ..service import DATAPLANE
    except ImportError:
        return None
    return DATAPLANE


def _make() -> DnsServer | None:
    if os.environ.get("AWSLAB_DNS", "1") in ("0", "false", "off"):
        return None
    return DnsServer(read=lambda gen: DnsView(generation=gen), generation=generation, host=config.DEFAULT_HOST)


DNS = _make()


def _start() -> None:
    bound = server.BOUND or (config.DEFAULT_HOST, config.port())
    endpoint = f"http://{config.DEFAULT_HOST if bound[0] in ('0.0.0.0', '') else bound[0]}:{bound[1]}"
    plane = _dataplane()
    DNS.read = _Reader(endpoint, plane.loopback if plane is not None else to_loopback)
    offset = plane.port_block.offset if plane is not None else 0
    try:
        port = DNS.start(dns_ports(offset))
    except OSError as e:  # the cloud serves on without DNS; the control route says why
        DNS.last_error = f"could not bind a DNS port: {e}"
        log.warning("dns: %s", DNS.last_error)
        return
    DNS.warm()
    print(f"awslab embedded cloud: Route 53 DNS on {DNS.host} port {port} (UDP and TCP)", flush=True)


def invalidate() -> None:
    """Answer from a fresh read of everything: for a change the APIs' change counter does not see, such as a
    Multi-AZ failover the simulator makes (the DB instance's endpoint then answers its new AZ's address)."""
    if DNS is None:
        return
    if isinstance(DNS.read, _Reader):
        DNS.read.forget()
    DNS.invalidate()


if DNS is not None:
    server.on_startup(_start)
    server.on_shutdown(DNS.stop)
    control.on_reset(invalidate)
    control.health_field("dns", lambda: {"host": DNS.host, "port": DNS.port})

    @control.route("GET", "dns", locked=False)  # the reader thread needs the APIs meanwhile
    def _describe(body: dict, query: dict) -> dict:
        return DNS.describe()

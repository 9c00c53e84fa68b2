"""What a lab costs on a real account, computed from the lab's own spec and the dated price table.

Every line is a count the spec decides times a unit price from :mod:`.prices`: how many NAT gateways
(``NetworkSpec.nat_gateway_per_az``), how many instances (the bastion plus the group's
``desired_capacity``) of which type, which DB class (twice for Multi-AZ), the ALB, and every public IPv4
address (AWS bills each one by the hour since February 2024, https://aws.amazon.com/vpc/pricing/). Where the
bill depends on traffic (NAT data, ALB LCUs, CloudFront), the estimate assumes a lab's light traffic and says
so. It is an estimate: the bill is AWS's (Billing console, Cost Explorer).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from ..i18n import N_, _
from .prices import HOURS_PER_MONTH, PriceTable, price_table

__all__ = ["CostLine", "Variant", "Estimate", "estimate", "ASSUMPTIONS"]

#: What the estimate assumes where the bill follows traffic (a class, not a production service).
NAT_GB_PER_HOUR = 0.25      # package installs and updates through the NAT gateway
ALB_LCU = 1.0               # a lab's requests stay well under one LCU (25 new connections/s, 1 GB/h)
CLOUDFRONT_GB_PER_HOUR = 0.05
ROOT_VOLUME_GIB = 8         # Amazon Linux 2023's root volume (gp3)
#: SSM needs three interface endpoints (ssm, ssmmessages, ec2messages) when there is no NAT gateway
#: (https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-create-vpc.html); S3's gateway endpoint is free.
SSM_ENDPOINTS = 3
ASSUMPTIONS = N_("Assumed: {nat_gb} GB/h through each NAT gateway, {lcu} LCU on the ALB, {cdn_gb} GB/h from "
                 "CloudFront, "
                 "{gib} GiB gp3 root volume per instance; no free tier.")

NAT_LINE = N_("NAT gateway ({n} x {price}/h)")
NAT_DATA_LINE = N_("NAT gateway data ({gb} GB/h x {price}/GB)")
IPV4_LINE = N_("public IPv4 addresses ({n} x {price}/h: {which})")
EC2_LINE = N_("EC2 {type} ({n} x {price}/h: {which})")
EBS_LINE = N_("EBS gp3 root volumes ({n} x {gib} GiB)")
ALB_LINE = N_("Application Load Balancer ({price}/h + {lcu} LCU x {lcu_price}/h)")
RDS_LINE = N_("RDS {db_class} {az} ({price}/h x {n})")
RDS_STORAGE_LINE = N_("RDS gp3 storage ({gib} GiB x {n})")
CDN_LINE = N_("CloudFront data ({gb} GB/h x {price}/GB)")
ONE_NAT = N_("One NAT gateway for all AZs instead of one per AZ (NetworkSpec(nat_gateway_per_az=False))")
ONE_NAT_TRADE = N_("if the NAT gateway's AZ fails, the app servers in the other AZ lose their way out to the internet "
                   "too; AWS recommends one per AZ for production.")
NO_NAT = N_("No NAT gateway: the private tier reaches only VPC endpoints (S3 gateway endpoint, free; {n} interface "
            "endpoints for SSM in each AZ)")
NO_NAT_TRADE = N_("the app servers cannot reach the internet: packages must come from the AMI or from S3 through the "
                  "gateway endpoint, and every other AWS service they call needs an endpoint of its own.")
HEADER = N_("Cost estimate for lab '{lab}' in {region}: about ${per_hour:.2f}/h, ${total:.2f} for {hours:g} h.")
SOURCE = N_("Prices: AWS On-Demand list prices dated {date} ({sources}). An estimate; the bill is in the Billing "
            "console.")
VARIANT = N_("Cheaper: {name}: ${per_hour:.3f}/h (saves ${saving:.3f}/h). Trade-off: {trade_off}")


@dataclass(frozen=True)
class CostLine:
    """One thing the lab pays for by the hour."""

    item: str
    per_hour: float


@dataclass(frozen=True)
class Variant:
    """A cheaper way the lesson still works, and what it gives up."""

    name: str
    per_hour: float
    saving_per_hour: float
    trade_off: str


@dataclass
class Estimate:
    """The lab's cost per hour and for ``hours``, line by line, with the price table's date and sources."""

    lab: str
    region: str
    date: str
    sources: list[str]
    hours: float
    lines: list[CostLine] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)

    @property
    def per_hour(self) -> float:
        return sum(line.per_hour for line in self.lines)

    @property
    def total(self) -> float:
        return self.per_hour * self.hours

    def text(self) -> str:
        out = [_(HEADER).format(lab=self.lab, region=self.region, per_hour=self.per_hour, total=self.total,
                                hours=self.hours)]
        out += [f"  ${line.per_hour:7.4f}/h  {line.item}" for line in self.lines]
        out.append(_(ASSUMPTIONS).format(nat_gb=NAT_GB_PER_HOUR, lcu=ALB_LCU, cdn_gb=CLOUDFRONT_GB_PER_HOUR,
                                         gib=ROOT_VOLUME_GIB))
        out.append(_(SOURCE).format(date=self.date, sources=", ".join(self.sources)))
        out += [_(VARIANT).format(name=v.name, per_hour=v.per_hour, saving=v.saving_per_hour, trade_off=v.trade_off)
                for v in self.variants]
        return "\n".join(out)

    __str__ = text

    def _repr_html_(self) -> str:
        return f"<pre style='white-space:pre-wrap'>{html.escape(self.text())}</pre>"


def _money(value: float) -> str:
    return f"${value:g}"


def _network_lines(spec: Any, p: PriceTable) -> tuple[list[CostLine], int, int]:
    """The NAT gateways (hours and data); returns the lines, the NAT count and the AZ count."""
    azs = len(spec.public_subnets)
    nats = azs if spec.nat_gateway_per_az else 1
    lines = [CostLine(_(NAT_LINE).format(n=nats, price=_money(p.unit("nat_gateway_hour"))), nats * p.unit("nat_gateway_hour")),
             CostLine(_(NAT_DATA_LINE).format(gb=nats * NAT_GB_PER_HOUR, price=_money(p.unit("nat_gateway_gb"))),
                      nats * NAT_GB_PER_HOUR * p.unit("nat_gateway_gb"))]
    return lines, nats, azs


def _instances(specs: dict[str, Any], p: PriceTable) -> tuple[list[CostLine], int]:
    """EC2 hours and root volumes: the bastion and the group's desired capacity."""
    counts: dict[str, list[str]] = {}
    if "bastion" in specs:
        counts.setdefault(specs["bastion"].instance_type, []).append("bastion")
    if "autoscaling" in specs:
        kind = specs["compute"].instance_type
        counts.setdefault(kind, []).extend(["app"] * specs["autoscaling"].desired_capacity)
    lines, total = [], 0
    for kind, which in counts.items():
        price = p.of("ec2_hour", kind, "EC2", "ec2")
        names = ", ".join(f"{which.count(w)} {w}" for w in dict.fromkeys(which))
        lines.append(CostLine(_(EC2_LINE).format(type=kind, n=len(which), price=_money(price), which=names), len(which) * price))
        total += len(which)
    if total:
        lines.append(CostLine(_(EBS_LINE).format(n=total, gib=ROOT_VOLUME_GIB),
                              total * ROOT_VOLUME_GIB * p.unit("ebs_gp3_gb_month") / HOURS_PER_MONTH))
    return lines, total


def _database(spec: Any, p: PriceTable) -> list[CostLine]:
    copies = 2 if spec.multi_az else 1  # Multi-AZ runs a standby of the same class, billed like the primary
    price = p.of("rds_mysql_hour", spec.db_instance_class, "RDS", "rds")
    az = "Multi-AZ" if spec.multi_az else "Single-AZ"
    return [CostLine(_(RDS_LINE).format(db_class=spec.db_instance_class, az=az, price=_money(price), n=copies), copies * price),
            CostLine(_(RDS_STORAGE_LINE).format(gib=spec.allocated_storage, n=copies),
                     copies * spec.allocated_storage * p.unit("rds_gp3_gb_month") / HOURS_PER_MONTH)]


def _layer_specs(spec: Any, until: str | None, skip: tuple[str, ...]) -> dict[str, Any]:
    """Each layer the build will run, with its spec (the layer's defaults where the StackSpec says None)."""
    from ..layers import autoscaling, bastion, compute, database, edge, network
    from ..layers._base import LAYERS

    defaults = {"network": network.NetworkSpec, "bastion": bastion.BastionSpec, "database": database.DatabaseSpec,
                "compute": compute.LaunchTemplateSpec, "autoscaling": autoscaling.AutoScalingSpec, "edge": edge.EdgeSpec}
    last = LAYERS.index(until) if until in LAYERS else len(LAYERS) - 1
    out: dict[str, Any] = {}
    for name in LAYERS[: last + 1]:
        if name in skip:
            continue
        given = getattr(spec, name, None) if spec is not None else None
        out[name] = given if given is not None else defaults.get(name, object)()
    return out


def estimate(lab_name: str, region: str, spec: Any = None, until: str | None = None, hours: float = 4.0,
             skip: tuple[str, ...] = ()) -> Estimate:
    """The cost of building ``spec`` (a StackSpec; None for the seed's) up to ``until`` in ``region``, for ``hours``."""
    p = price_table(region)
    specs = _layer_specs(spec, until, skip)
    est = Estimate(lab_name, region, p.date, sorted(set(p.sources.values())), hours)
    ipv4: list[str] = []
    nats = azs = 0
    if "network" in specs:
        lines, nats, azs = _network_lines(specs["network"], p)
        est.lines += lines
        ipv4 += ["NAT"] * nats
    instance_lines, _count = _instances(specs, p)
    est.lines += instance_lines
    if "bastion" in specs:
        ipv4.append("bastion")
    if "database" in specs:
        est.lines += _database(specs["database"], p)
    if "loadbalancing" in specs:
        est.lines.append(CostLine(_(ALB_LINE).format(price=_money(p.unit("alb_hour")), lcu=ALB_LCU,
                                                     lcu_price=_money(p.unit("alb_lcu_hour"))),
                                  p.unit("alb_hour") + ALB_LCU * p.unit("alb_lcu_hour")))
        ipv4 += ["ALB"] * max(azs, 2)  # an internet-facing ALB has a public IPv4 address in each of its AZs (at least 2)
    if ipv4:
        which = ", ".join(f"{ipv4.count(w)} {w}" for w in dict.fromkeys(ipv4))
        est.lines.append(CostLine(_(IPV4_LINE).format(n=len(ipv4), price=_money(p.unit("public_ipv4_hour")), which=which),
                                  len(ipv4) * p.unit("public_ipv4_hour")))
    if "edge" in specs:
        est.lines.append(CostLine(_(CDN_LINE).format(gb=CLOUDFRONT_GB_PER_HOUR, price=_money(p.unit("cloudfront_gb"))),
                                  CLOUDFRONT_GB_PER_HOUR * p.unit("cloudfront_gb")))
    est.variants = _variants(est.per_hour, nats, azs, p)
    return est


def _variants(per_hour: float, nats: int, azs: int, p: PriceTable) -> list[Variant]:
    """The cheaper networks the lessons allow: one NAT gateway for all AZs; or none, with VPC endpoints."""
    one_nat = p.unit("nat_gateway_hour") + NAT_GB_PER_HOUR * p.unit("nat_gateway_gb") + p.unit("public_ipv4_hour")
    out = []
    if nats > 1:
        saving = (nats - 1) * one_nat
        out.append(Variant(_(ONE_NAT), per_hour - saving, saving, _(ONE_NAT_TRADE)))
    if nats >= 1:
        saving = nats * one_nat - SSM_ENDPOINTS * azs * p.unit("vpc_interface_endpoint_hour")
        out.append(Variant(_(NO_NAT).format(n=SSM_ENDPOINTS), per_hour - saving, saving, _(NO_NAT_TRADE)))
    return out

"""Checks that run before any AWS call, so a bad input creates nothing.

Each check raises :class:`awslab.errors.ValidationError` naming the field,
the bad value, the rule, and a fix. The ranges are AWS's own; the source of
each is cited beside it.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable

from ..errors import ValidationError

#: RFC 1918 private ranges. AWS recommends them for VPCs
#: (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html).
PRIVATE_RANGES = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
#: A VPC's IPv4 block is /16 to /28 (vpc-cidr-blocks.html).
VPC_PREFIX_RANGE = (16, 28)
#: A subnet's IPv4 block is /16 to /28 too (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
SUBNET_PREFIX_RANGE = (16, 28)

#: Target group health-check ranges for instance/ip targets
#: (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
HEALTH_CHECK_RANGES = {
    "health_check_interval_seconds": (5, 300),
    "health_check_timeout_seconds": (2, 120),
    "healthy_threshold_count": (2, 10),
    "unhealthy_threshold_count": (2, 10),
}
#: Deregistration delay 0-3600 s (load-balancer-target-groups.html, target group attributes).
DEREGISTRATION_DELAY_RANGE = (0, 3600)
#: Health check grace period: the API accepts 0 and up; the console caps it at 7200 s? AWS documents no
#: maximum in the API reference, so awslab uses 0-7200 (two hours) as a sanity bound. UNCONFIRMED.
GRACE_PERIOD_RANGE = (0, 7200)


def cidr_block(field: str, value: str, prefix_range: tuple[int, int] = VPC_PREFIX_RANGE) -> ipaddress.IPv4Network:
    """A valid IPv4 CIDR block, /16 to /28, written at its network address."""
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValidationError(field, value, "it is not a CIDR block such as 10.0.0.0/16",
                                  "Write an IPv4 network address, a slash and a prefix length, e.g. '10.0.0.0/16'.") from None
        raise ValidationError(field, value, f"host bits are set; the network address of this block is {loose.network_address}",
                              f"Use '{loose}'.") from None
    if net.version != 4:
        raise ValidationError(field, value, "awslab builds IPv4 networks", "Use an IPv4 block such as '10.0.0.0/16'.")
    lo, hi = prefix_range
    if not lo <= net.prefixlen <= hi:
        raise ValidationError(field, value, f"AWS allows prefix lengths /{lo} to /{hi}",
                              f"Pick a prefix between /{lo} (65,536 addresses) and /{hi} (16 addresses).")
    return net


def private_cidr(field: str, value: str, prefix_range: tuple[int, int] = VPC_PREFIX_RANGE) -> ipaddress.IPv4Network:
    """A valid CIDR block inside the RFC 1918 private ranges."""
    net = cidr_block(field, value, prefix_range)
    if not any(net.subnet_of(r) for r in PRIVATE_RANGES):
        raise ValidationError(field, value, "a VPC should use private (RFC 1918) addresses: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
                              "Use a block such as '10.0.0.0/16'; public addresses in a VPC clash with real hosts on the internet.")
    return net


def subnets_in_vpc(vpc_cidr: str, subnets: dict[str, str]) -> None:
    """Every subnet lies inside the VPC block, and no two subnets overlap."""
    vpc = private_cidr("vpc_cidr", vpc_cidr)
    nets = {}
    for field, value in subnets.items():
        net = cidr_block(field, value, SUBNET_PREFIX_RANGE)
        if not net.subnet_of(vpc):
            raise ValidationError(field, value, f"a subnet must lie inside its VPC's block {vpc}",
                                  f"Pick a block inside {vpc}, e.g. '{next(vpc.subnets(new_prefix=max(24, vpc.prefixlen)))}'.")
        for other_field, other in nets.items():
            if net.overlaps(other):
                raise ValidationError(field, value, f"it overlaps {other_field}={str(other)!r}; subnets of a VPC must not overlap",
                                      "Give each subnet its own block, e.g. 10.0.1.0/24, 10.0.2.0/24, 10.0.11.0/24 ...")
        nets[field] = net


def capacity(min_size: int, desired_capacity: int, max_size: int) -> None:
    """Auto Scaling sizes: 0 <= min <= desired <= max."""
    for field, value in (("min_size", min_size), ("desired_capacity", desired_capacity), ("max_size", max_size)):
        if not isinstance(value, int) or value < 0:
            raise ValidationError(field, value, "a group size is a whole number, 0 or more", "Use e.g. min_size=2, desired_capacity=2, max_size=6.")
    if not min_size <= desired_capacity <= max_size:
        raise ValidationError("desired_capacity", desired_capacity,
                              f"AWS requires min_size <= desired_capacity <= max_size, but min={min_size}, desired={desired_capacity}, max={max_size}",
                              "Raise max_size or lower desired_capacity so that min <= desired <= max.")


def in_range(field: str, value: int, lo: int, hi: int, fix: str = "") -> int:
    """A whole number between ``lo`` and ``hi`` inclusive."""
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValidationError(field, value, f"AWS allows whole numbers from {lo} to {hi}", fix or f"Pick a value between {lo} and {hi}.")
    return value


def health_check(**values: int) -> None:
    """Health-check settings inside AWS's ranges, and the timeout shorter than the interval."""
    for field, value in values.items():
        lo, hi = HEALTH_CHECK_RANGES[field]
        in_range(field, value, lo, hi)
    interval = values.get("health_check_interval_seconds")
    timeout = values.get("health_check_timeout_seconds")
    if interval is not None and timeout is not None and timeout >= interval:
        # AWS's API rejects a timeout that is not shorter than the interval (common rule; UNCONFIRMED in the docs).
        raise ValidationError("health_check_timeout_seconds", timeout, f"the timeout must be shorter than the interval ({interval} s)",
                              f"Use a timeout below {interval}, e.g. 5.")


def port(field: str, value: int) -> int:
    """A TCP port, 1-65535."""
    return in_range(field, value, 1, 65535, "Ports are 1-65535; the lab's web app uses 80.")


def availability_zones(requested: Iterable[str], available: Iterable[str], region: str) -> list[str]:
    """Each requested AZ exists in the region."""
    available = sorted(available)
    requested = list(requested)
    for az in requested:
        if az not in available:
            raise ValidationError("availability_zones", az, f"there is no such Availability Zone in {region}",
                                  f"Choose from {', '.join(available)}.")
    if len(set(requested)) < 2:
        raise ValidationError("availability_zones", requested, "high availability needs two or more different AZs",
                              f"Use two or more of {', '.join(available)}.")
    return requested

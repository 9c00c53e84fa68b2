"""Where things live on this machine: VPC addresses mapped onto loopback.

Inside the VPC an instance has a private IP such as ``10.0.10.5``. On this
machine it listens on a loopback address made from it: keep the last three
octets, put ``127`` in front (``10.0.10.5 -> 127.0.10.5``). That is
:func:`to_loopback`, the *preferred* address; the data plane asks
:class:`~awslab.dataplane.loopback.LoopbackMap`, which gives each /16 of VPC
address space its own ``127.x.0.0/16`` block, so every range a VPC may use
(RFC 1918, ``100.64.0.0/10``, publicly routable ones) has a place and two
ranges never share one (``10.16.0.0/16`` and ``172.16.0.0/16``, say).

**Two clouds on one machine** (a student's ``awslab up`` and the test suite,
say) both map ``10.0.11.4`` to ``127.0.11.4``. So each cloud claims a *port
block* at start (:func:`claim_port_block`, a lock file in the system's temp
folder, released when the process ends): the first cloud serves the apps on
their own ports, the second on port + 1000, and so on. One cloud alone never
notices.

``127.0.0.1`` plays "the internet": a curl from your shell comes from it.
AWS reserves the first four addresses of every subnet (``.0``-``.3``), so no
instance ever maps onto 127.0.0.1
(https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).

Linux routes the whole of 127.0.0.0/8 to the loopback interface, so any of
these addresses can be bound. macOS only has 127.0.0.1 until you add aliases
(``sudo ifconfig lo0 alias 127.0.10.5``). :func:`probe_loopback` finds out;
when extra addresses can't be bound, awslab falls back to *single-address
mode*: everything listens on 127.0.0.1 with its own port, and the data plane
learns who is calling from the client's source port (see
:class:`SourceRegistry`) instead of from its address.
"""
from __future__ import annotations

import hashlib
import ipaddress
import os
import socket
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from .loopback import vpc_address_ok

__all__ = [
    "INTERNET", "to_loopback", "probe_loopback", "LoopbackProbe",
    "alb_node_addresses", "alb_listen_port", "SourceRegistry", "FALLBACK_HELP", "PortBlock", "claim_port_block",
    "PORT_BLOCK_SIZE",
]

#: The address a host-side client (curl, the traffic generator) connects from.
INTERNET = "127.0.0.1"

FALLBACK_HELP = (
    "This machine can't bind loopback addresses other than 127.0.0.1 (macOS does this by default). "
    "awslab runs in single-address mode: every instance and ALB listens on 127.0.0.1 with its own port, "
    "and security groups are enforced from each connection's source port instead of its address. "
    "For the full mapping (10.0.10.5 -> 127.0.10.5) add aliases, e.g. `sudo ifconfig lo0 alias 127.0.10.5`."
)


@lru_cache(maxsize=4096)
def to_loopback(private_ip: str) -> str:
    """The preferred loopback address of ``private_ip`` (the data plane's map uses it when it is free).

    >>> to_loopback("10.0.10.5")
    '127.0.10.5'
    >>> to_loopback("100.64.1.20")
    '127.64.1.20'
    """
    if not vpc_address_ok(private_ip):
        raise ValueError(f"{private_ip} can't be an address in a VPC")
    return "127." + private_ip.split(".", 1)[1]


@dataclass(frozen=True)
class LoopbackProbe:
    """What :func:`probe_loopback` found: can extra loopback addresses be bound here?"""

    aliases: bool
    detail: str

    @property
    def mode(self) -> str:
        """``"aliases"`` (one address per instance) or ``"single-address"`` (the fallback)."""
        return "aliases" if self.aliases else "single-address"


def probe_loopback(address: str = "127.0.10.250") -> LoopbackProbe:
    """Try to bind ``address`` (port 0, then close). A probe: it changes nothing."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((address, 0))
        return LoopbackProbe(True, f"{address} can be bound: every instance gets its own loopback address")
    except OSError as e:
        return LoopbackProbe(False, f"binding {address} failed ({e.strerror}). {FALLBACK_HELP}")
    finally:
        s.close()


def alb_node_addresses(lb_arn: str, subnets: list[dict], taken: set[str] = frozenset()) -> dict[str, str]:
    """One private IP per enabled AZ for the load balancer's nodes: ``{az: ip}``.

    ``subnets`` are describe_subnets dicts of the LB's subnets (one per AZ).
    AWS gives each node an address in its subnet; we pick one from the top of
    the subnet, derived from the LB's ARN so it is stable, skipping addresses
    in ``taken`` (instances) and AWS's five reserved ones.
    """
    out: dict[str, str] = {}
    for sn in sorted(subnets, key=lambda s: s["AvailabilityZone"]):
        net = ipaddress.ip_network(sn["CidrBlock"])
        usable = net.num_addresses - 5  # first four and the last one are reserved
        start = int(hashlib.sha256(lb_arn.encode()).hexdigest(), 16) % max(usable // 2, 1)
        for k in range(usable):
            ip = str(net.network_address + 4 + (usable - 1 - (start + k) % usable))
            if ip not in taken and ip not in out.values():
                out[sn["AvailabilityZone"]] = ip
                break
    return out


#: ALB listeners get stable ports on 127.0.0.1 in this range (ports below 1024 need root): above every app
#: port block, below Linux's ephemeral ports (32768-60999, /proc/sys/net/ipv4/ip_local_port_range).
ALB_PORT_BASE = 30000
ALB_PORT_SPAN = 2000


def alb_listen_port(lb_name: str, listener_port: int, in_use: set[int] = frozenset()) -> int:
    """A stable high port on 127.0.0.1 for listener ``listener_port`` of load balancer ``lb_name``.

    Derived from the names, so the same ALB keeps its address across restarts;
    on a clash the next free port in the range is used.
    """
    h = int(hashlib.sha256(f"{lb_name}:{listener_port}".encode()).hexdigest(), 16) % ALB_PORT_SPAN
    for k in range(ALB_PORT_SPAN):
        port = ALB_PORT_BASE + (h + k) % ALB_PORT_SPAN
        if port not in in_use:
            return port
    raise RuntimeError("no free ALB listener port left")


#: Apps of the k-th cloud on this machine listen on their port + k x this. The k-th block holds
#: ports p + 1000k; with 16 blocks a port-80 app is served on 80..15080 (10080..25080 without root),
#: below the ALB listeners' 30000-31999. Sixteen clouds side by side: a class's instructor and
#: a test run beside a dozen other clouds (a larger class needs network namespaces, see issue 16).
PORT_BLOCK_SIZE = 1000
PORT_BLOCKS = 16


@dataclass
class PortBlock:
    """The port block this cloud holds (``index`` 0 when it is the only cloud); keep it for the process's life."""

    index: int
    handle: object = None

    @property
    def offset(self) -> int:
        return self.index * PORT_BLOCK_SIZE

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()  # closing the file drops the lock
            self.handle = None


def claim_port_block(folder: str | None = None, blocks: int = PORT_BLOCKS) -> PortBlock:
    """The first port block no other process on this machine holds (``flock`` on ``awslab-ports-<k>.lock``).

    The kernel drops a process's locks when it exits, even when it is killed,
    so a crashed cloud never keeps its block. Without ``fcntl`` (Windows), or
    when every block is taken, the result is block 0 (clashes are then
    reported as ``app_listen_failed``, as before).
    """
    try:
        import fcntl
    except ImportError:
        return PortBlock(0)
    folder = folder or tempfile.gettempdir()
    for k in range(blocks):
        try:
            handle = open(os.path.join(folder, f"awslab-ports-{k}.lock"), "a")
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        return PortBlock(k, handle)
    return PortBlock(0)


@dataclass
class SourceRegistry:
    """Who is behind a connection from ``127.0.0.1:<port>``?

    Whatever listens or connects on 127.0.0.1 instead of its own address (every
    instance in single-address mode; in the usual mode only one whose /16 found
    no free loopback block) registers each connection it opens
    (``local port -> its VPC address``) before it sends a byte; the accepting
    side looks the peer's port up. Unknown ports on 127.0.0.1 are "the internet".
    """

    by_port: dict[int, str] = field(default_factory=dict)

    def register(self, local_port: int, private_ip: str) -> None:
        self.by_port[local_port] = private_ip

    def forget(self, local_port: int) -> None:
        self.by_port.pop(local_port, None)

    def who(self, peer: tuple[str, int], resolve: Callable[[str], str | None] | None = None) -> str | None:
        """The VPC address of ``peer`` (``None`` = the internet); ``resolve`` maps other loopback addresses back."""
        host, port = peer[0], peer[1]
        if host == INTERNET:
            return self.by_port.get(port)
        return resolve(host) if resolve is not None else None

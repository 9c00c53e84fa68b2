"""Every address a VPC can hold, onto loopback, without two instances ever meeting.

AWS lets a VPC use more than the private ranges of RFC 1918: the shared range
``100.64.0.0/10`` (RFC 6598) and publicly routable ranges too, each VPC block
between a /16 and a /28
(https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html). On
this machine every instance listens on an address in ``127.0.0.0/8``, which
has room for exactly 256 blocks of a /16.

So the map hands out blocks: the first time a /16 of VPC address space holds
an instance or an ALB node, it gets a block ``127.<slot>.0.0/16`` and keeps it;
the address keeps its last two octets. The slot is the VPC address's second
octet when that block is free, so the familiar picture holds:

- ``10.0.10.5 -> 127.0.10.5``, ``172.31.4.9 -> 127.31.4.9``, ``192.168.1.20 -> 127.168.1.20``
- ``100.64.3.7 -> 127.64.3.7``, ``203.0.113.9 -> 127.0.113.9``
- ``10.16.0.5 -> 127.17.0.5`` when ``172.16.0.0/16`` came first and holds slot 16.

A VPC block is at most a /16, so one VPC block never needs two slots, and two
different /16s never share one: the map is collision-free while at most 256
/16s hold instances at once (AWS's default quotas, 5 VPCs per Region with 5
IPv4 blocks each, need 25 per Region:
https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html). Two VPCs with the *same* range are kept
apart by the cloud itself: it never gives two instances one private IP
(``awslab.cloud.moto_ext.ec2``). Slot 0 is safe too: ``127.0.0.1`` ("the
internet") can only be ``x.y.0.1``, the VPC router's address AWS reserves in
the subnet that starts at ``x.y.0.0``
(https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).

When all 256 blocks are held, blocks no instance or node uses any more are
given back first; if none is free, :meth:`LoopbackMap.address` answers
``None`` and the data plane serves that one instance in single-address mode
(``127.0.0.1`` with its own port, its callers known by their source port),
with a note on the timeline.
"""
from __future__ import annotations

import ipaddress
import threading
from typing import Callable, Iterable

__all__ = ["LoopbackMap", "SLOTS", "vpc_address_ok"]

#: ``127.0.0.0/8`` holds this many /16 blocks.
SLOTS = 256

#: At most this many addresses are remembered (each VPC address's loopback address is asked for per request).
MAX_KNOWN = 65536

#: Addresses no VPC can hold: "this network", loopback, link-local, multicast and the reserved class E.
_NEVER_IN_A_VPC = [ipaddress.ip_network(n) for n in ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/3")]


def vpc_address_ok(ip: str) -> bool:
    """Could ``ip`` be an instance's private IPv4 address in some VPC?"""
    try:
        addr = ipaddress.IPv4Address(ip)
    except ValueError:
        return False
    return not any(addr in n for n in _NEVER_IN_A_VPC)


class LoopbackMap:
    """VPC addresses <-> loopback addresses, one ``127.<slot>.0.0/16`` per /16 of VPC address space.

    ``in_use()`` (optional) lists the VPC addresses still served; when every slot is
    held, blocks none of them belongs to are given back. Safe to call from any thread.
    """

    def __init__(self, in_use: Callable[[], Iterable[str]] | None = None):
        self._in_use = in_use
        self._lock = threading.Lock()
        self._slot_of: dict[int, int] = {}  # /16 block (the address >> 16) -> slot
        self._block_of: dict[int, int] = {}  # slot -> /16 block
        self._known: dict[str, str] = {}  # VPC address -> loopback address: the ALB asks twice per request

    def address(self, vpc_ip: str) -> str | None:
        """The loopback address for ``vpc_ip``, or ``None`` when no block is free (see the module doc).

        Raises ``ValueError`` for an address no VPC can hold (``127.0.0.1``, ``not-an-ip``).
        """
        known = self._known.get(vpc_ip)
        if known is not None:
            return known
        if not vpc_address_ok(vpc_ip):
            raise ValueError(f"{vpc_ip} can't be an address in a VPC")
        value = int(ipaddress.IPv4Address(vpc_ip))
        slot = self._slot_of.get(value >> 16)
        if slot is None:
            slot = self._claim(value >> 16)
            if slot is None:
                return None
        out = f"127.{slot}.{(value >> 8) & 0xFF}.{value & 0xFF}"
        if len(self._known) >= MAX_KNOWN:
            self._known.clear()
        if self._slot_of.get(value >> 16) == slot:  # not given back meanwhile
            self._known[vpc_ip] = out
        return out

    def vpc_address(self, loopback_ip: str) -> str | None:
        """The VPC address behind ``loopback_ip`` (``None``: not an address this map gave out)."""
        parts = loopback_ip.split(".")
        if len(parts) != 4 or parts[0] != "127":
            return None
        block = self._block_of.get(int(parts[1]))
        if block is None:
            return None
        return str(ipaddress.IPv4Address((block << 16) | (int(parts[2]) << 8) | int(parts[3])))

    def blocks(self) -> dict[str, str]:
        """``{"100.64.0.0/16": "127.64.0.0/16", ...}``: every block handed out (the control route shows it)."""
        return {f"{ipaddress.IPv4Address(b << 16)}/16": f"127.{s}.0.0/16" for b, s in sorted(self._slot_of.items())}

    def _claim(self, block: int) -> int | None:
        with self._lock:
            if block in self._slot_of:  # another thread got there first
                return self._slot_of[block]
            slot = self._free_slot(block)
            if slot is None and self._give_back_unused():
                slot = self._free_slot(block)
            if slot is None:
                return None
            self._slot_of[block], self._block_of[slot] = slot, block
            return slot

    def _free_slot(self, block: int) -> int | None:
        preferred = block & 0xFF  # the second octet: 10.0.x.y -> 127.0.x.y
        for k in range(SLOTS):
            slot = (preferred + k) % SLOTS
            if slot not in self._block_of:
                return slot
        return None

    def _give_back_unused(self) -> bool:
        """Under the lock: drop blocks no served address belongs to; did any go?"""
        if self._in_use is None:
            return False
        live = {int(ipaddress.IPv4Address(ip)) >> 16 for ip in list(self._in_use()) if vpc_address_ok(ip)}
        unused = [b for b in self._slot_of if b not in live]
        for b in unused:
            del self._block_of[self._slot_of.pop(b)]
        self._known.clear()
        return bool(unused)

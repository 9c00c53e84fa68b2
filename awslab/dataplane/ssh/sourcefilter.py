"""Drop the SYN of a caller the security groups don't admit, as AWS does: a socket filter on the listener.

On AWS a security group that does not admit you drops your packets: your
``ssh`` sends a SYN, hears nothing, retries, and its ``ConnectTimeout`` fires
("Connection timed out"). Nothing answers, not even a reset. A program that
accepts the connection and then closes it would teach the wrong thing.

On Linux a listening socket can carry a classic BPF filter
(``SO_ATTACH_FILTER``, https://docs.kernel.org/networking/filter.html): the
kernel runs it on every packet for the socket, and a packet the filter
rejects is dropped before TCP sees it. So the data plane computes, from the
same :class:`~awslab.dataplane.netpolicy.Network` the HTTP path uses, which
loopback addresses may reach an instance's port 22, and loads "accept these
source addresses, drop the rest" onto that instance's listener. Connections
already established keep the filter they were born with, which is what AWS's
connection tracking does when a rule is removed
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html).

Elsewhere (macOS, or single-address mode, where callers are told apart by
source port and not by address) :func:`attach` returns False and the server
holds a denied connection silently instead (see :mod:`.server`).
"""
from __future__ import annotations

import ctypes
import ipaddress
import os
import socket
import struct
import sys
from typing import Iterable

from ..addresses import INTERNET

__all__ = ["attach", "listen", "program", "SUPPORTED"]

SO_ATTACH_FILTER = 26  # <asm-generic/socket.h>
SKF_NET_OFF = -0x100000  # "load relative to the network header" (<linux/filter.h>)
_LD_W_ABS, _JEQ_K, _RET_K = 0x20, 0x15, 0x06
#: A classic BPF program has at most 4096 instructions (BPF_MAXINSNS); one per admitted address, plus three.
MAX_ADDRESSES = 4000
#: Linux only; ``AWSLAB_SSH_SOCKET_FILTER=0`` turns it off (to see or test the fallback that holds a denied connection).
SUPPORTED = sys.platform.startswith("linux") and os.environ.get("AWSLAB_SSH_SOCKET_FILTER", "1") not in ("0", "off")


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k & 0xFFFFFFFF)


def program(allowed: Iterable[str]) -> bytes:
    """The filter: load the IPv4 source address; accept if it is one of ``allowed``, else drop (return 0)."""
    addresses = sorted({int(ipaddress.IPv4Address(a)) for a in allowed})[:MAX_ADDRESSES]
    n = len(addresses)
    code = [_insn(_LD_W_ABS, 0, 0, SKF_NET_OFF + 12)]  # the source address sits 12 bytes into the IPv4 header
    code += [_insn(_JEQ_K, n - i, 0, a) for i, a in enumerate(addresses)]  # a match jumps to "accept"
    code += [_insn(_RET_K, 0, 0, 0), _insn(_RET_K, 0, 0, 0xFFFFFFFF)]
    return b"".join(code)


def attach(sock: socket.socket, allowed: Iterable[str]) -> bool:
    """Load the filter for ``allowed`` onto ``sock`` (replacing any earlier one); False where that can't be done."""
    if not SUPPORTED:
        return False
    code = program(allowed)
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("HL", len(code) // 8, ctypes.addressof(buf))  # struct sock_fprog {len; *filter}
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)  # the kernel copies the program
    except OSError:
        return False
    return True


def listen(host: str, port: int, backlog: int = 128) -> tuple[socket.socket, bool]:
    """A non-blocking listening socket on ``host:port`` that admits nobody yet (the filter loaded, where it can be),
    and whether the filter is on: the caller loads the allowed sources with :func:`attach` once the policy is known.
    On 127.0.0.1 (single-address mode) callers are told apart by source port, so no filter is loaded there."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock, host != INTERNET and attach(sock, ())

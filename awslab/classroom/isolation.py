"""A network of their own for each student on a shared machine: Linux network namespaces.

Every embedded cloud lives on loopback: its AWS APIs on ``127.0.0.1:<port>``, its
ALB listeners, and each instance's app on a ``127.x.y.z`` address made from its VPC
address (:mod:`awslab.dataplane.addresses`). On a machine shared by a class, one
loopback would be shared by every student: any student's process could connect to
a neighbour's apps, or bind one of the neighbour's ``127.x.y.z`` addresses and pass
for their bastion. Class mode's signatures guard the AWS APIs, not the data plane.

A **network namespace** gives each student a network stack of their own, as a
container does: their own loopback (all of ``127.0.0.0/8``), their own ports, their
own routes. What runs in a student's namespace (their Jupyter server, kernels,
terminals and their cloud) sees only that loopback, and one link out:

- a **veth pair** (a virtual cable) from the student's namespace to the machine,
  on a /30 of the class network of its own: the machine's end is ``.1``, the
  student's ``.2``. The Hub's proxy reaches the student's server at ``.2``;
- a single **route** from the student's namespace, to the Hub's API address (the
  server must reach the Hub to log students in). No route leads to another
  student's /30, the machine does not forward between interfaces (its
  ``net.ipv4.ip_forward`` is left as it is: 0 here), and a student who is not
  root cannot add a route.

The Hub's API address sits on a veth pair of its own whose other end waits in a
namespace named ``<tag>-hub``, so the address exists before any student logs in.
Inside each student's namespace ports below 1024 are opened to every user
(``net.ipv4.ip_unprivileged_port_start=0``, a per-namespace setting), so a
student's apps listen on port 80 as an instance's do, and only there.

Everything here needs root (the Hub runs as root with :class:`~awslab.classroom.spawner.IsolatedSpawner`)
and the ``ip`` command (iproute2). Names: the namespace ``<tag>-s<k>`` and the
veth ends ``<tag><k>h`` (the machine's) and ``<tag><k>n`` (the student's), ``k``
being the student's Hub user id; interface names fit Linux's 15 characters for
tags of up to 4 letters and 99,999 students.
"""
from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass

__all__ = ["ClassNetwork", "StudentNetwork", "available", "exec_prefix", "DEFAULT_NETWORK", "DEFAULT_TAG"]

#: The class network's default range: 16,382 students' /30s and the Hub's address (private, RFC 1918).
DEFAULT_NETWORK = "10.213.0.0/16"
#: The default prefix of every namespace and interface a class makes (so a class's own can be found and removed).
DEFAULT_TAG = "awl"
#: How long a student's processes get to end after SIGTERM before SIGKILL (the cloud stops in well under this).
TERM_GRACE_S = 10.0


def available() -> str | None:
    """Why network namespaces cannot be made here, or None when they can (root and iproute2's ``ip``)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "network namespaces need root (run the Hub as root)"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is missing: apt-get install iproute2"
    return None


def _ip(*args: str, namespace: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    command = ["ip"] + (["-n", namespace] if namespace else []) + list(args)
    return subprocess.run(command, capture_output=True, text=True, timeout=20, check=check)


def _namespaces() -> list[str]:
    answer = _ip("netns", "list", check=False)
    return [line.split()[0] for line in answer.stdout.splitlines() if line.strip()]


@dataclass(frozen=True)
class StudentNetwork:
    """One student's namespace, its two addresses and its interface names."""

    namespace: str
    host_interface: str
    student_interface: str
    host_address: str
    student_address: str
    hub_address: str

    def exists(self) -> bool:
        return self.namespace in _namespaces()

    def create(self) -> None:
        """Make the namespace, its loopback, its cable to the machine and its one route (idempotent)."""
        if self.exists():
            return
        _ip("netns", "add", self.namespace)
        try:
            _ip("link", "add", self.host_interface, "type", "veth", "peer", "name", self.student_interface,
                "netns", self.namespace)
            _ip("addr", "add", f"{self.host_address}/30", "dev", self.host_interface)
            _ip("link", "set", self.host_interface, "up")
            _ip("link", "set", "lo", "up", namespace=self.namespace)
            _ip("addr", "add", f"{self.student_address}/30", "dev", self.student_interface, namespace=self.namespace)
            _ip("link", "set", self.student_interface, "up", namespace=self.namespace)
            _ip("route", "add", f"{self.hub_address}/32", "via", self.host_address, namespace=self.namespace)
            subprocess.run(["ip", "netns", "exec", self.namespace, "sysctl", "-qw",
                            "net.ipv4.ip_unprivileged_port_start=0"], capture_output=True, timeout=20, check=True)
        except BaseException:
            self.delete()
            raise

    def pids(self) -> list[int]:
        """Every process whose network is this namespace (the student's server, kernels, terminals, cloud)."""
        answer = subprocess.run(["ip", "netns", "pids", self.namespace], capture_output=True, text=True,
                                timeout=20, check=False)
        return [int(word) for word in answer.stdout.split() if word.isdigit()]

    def end_processes(self, grace_s: float = TERM_GRACE_S) -> list[int]:
        """SIGTERM every process left in the namespace, SIGKILL what outlives ``grace_s``; return who was signalled.

        Only processes inside this student's namespace are signalled: the spawner made it, so all of them are
        this student's server and what it started.
        """
        signalled = self.pids()
        for pid in signalled:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while self.pids() and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in self.pids():
            _signal(pid, signal.SIGKILL)
        return signalled

    def delete(self) -> None:
        """Remove the namespace; its veth pair goes with it (idempotent)."""
        if self.exists():
            _ip("netns", "delete", self.namespace, check=False)
        _ip("link", "delete", self.host_interface, check=False)

    def exec_prefix(self, uid: int, gid: int, groups: tuple[int, ...] = ()) -> list[str]:
        """The command prefix that runs a program in this namespace as ``uid``:``gid`` with only ``groups``."""
        return exec_prefix(self.namespace, uid, gid, groups)


def exec_prefix(namespace: str, uid: int, gid: int, groups: tuple[int, ...] = ()) -> list[str]:
    """``ip netns exec`` into ``namespace``, then ``setpriv`` down to ``uid``:``gid`` and exactly ``groups``.

    Each execs the next, so the program keeps the first one's pid (the one the spawner signals).
    """
    membership = f"--groups={','.join(map(str, groups))}" if groups else "--clear-groups"
    return ["ip", "netns", "exec", namespace, "setpriv", f"--reuid={uid}", f"--regid={gid}", membership, "--"]


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


@dataclass(frozen=True)
class ClassNetwork:
    """The class's address range and name tag: the Hub's address, and each student's /30 and names."""

    network: str = DEFAULT_NETWORK
    tag: str = DEFAULT_TAG

    def __post_init__(self) -> None:
        net = ipaddress.ip_network(self.network)
        if net.version != 4 or net.prefixlen > 24 or not net.is_private:
            raise ValueError(f"the class network {self.network} must be a private IPv4 range of /24 or larger")
        if not (self.tag.isalnum() and self.tag.isascii() and self.tag.islower() and 1 <= len(self.tag) <= 4):
            raise ValueError(f"the class tag {self.tag!r} must be 1-4 lowercase letters or digits")

    @property
    def hub_address(self) -> str:
        """The Hub's API address: the first address of the range (its /30, number 0, is no student's)."""
        return str(ipaddress.ip_network(self.network)[1])

    @property
    def capacity(self) -> int:
        """How many students' /30s the range holds."""
        return ipaddress.ip_network(self.network).num_addresses // 4 - 1

    def student(self, number: int) -> StudentNetwork:
        """Student ``number``'s network (the Hub's user id, from 1)."""
        if not 1 <= number <= min(self.capacity, 99_999):
            raise ValueError(f"student number {number} is outside the class network {self.network} "
                             f"(1-{min(self.capacity, 99_999)})")
        base = ipaddress.ip_network(self.network)[4 * number]
        return StudentNetwork(namespace=f"{self.tag}-s{number}", host_interface=f"{self.tag}{number}h",
                              student_interface=f"{self.tag}{number}n", host_address=str(base + 1),
                              student_address=str(base + 2), hub_address=self.hub_address)

    def ensure_hub_address(self) -> None:
        """Put the Hub's API address on the machine (a veth pair whose other end waits in ``<tag>-hub``)."""
        namespace, host, peer = f"{self.tag}-hub", f"{self.tag}0h", f"{self.tag}0n"
        if namespace in _namespaces():
            return
        _ip("link", "delete", host, check=False)
        _ip("netns", "add", namespace)
        _ip("link", "add", host, "type", "veth", "peer", "name", peer, "netns", namespace)
        _ip("addr", "add", f"{self.hub_address}/32", "dev", host)
        _ip("link", "set", host, "up")
        _ip("link", "set", peer, "up", namespace=namespace)

    def remove(self) -> list[str]:
        """End every process in the class's namespaces and remove them all, the Hub's too; return their names."""
        removed = []
        for namespace in _namespaces():
            number = namespace[len(self.tag) + 2:]
            if namespace.startswith(f"{self.tag}-s") and number.isdigit():
                student = StudentNetwork(namespace, f"{self.tag}{number}h", "", "", "", "")
                student.end_processes()
                student.delete()
                removed.append(namespace)
            elif namespace == f"{self.tag}-hub":
                _ip("netns", "delete", namespace, check=False)
                removed.append(namespace)
        _ip("link", "delete", f"{self.tag}0h", check=False)
        return removed

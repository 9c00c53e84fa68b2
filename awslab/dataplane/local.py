"""Where each VPC address lives on this machine, and who a caller on loopback is.

:class:`LocalAddresses` puts the pieces of :mod:`.addresses` and :mod:`.loopback`
together for the cloud's data plane:

- :meth:`~LocalAddresses.loopback`: the address an instance listens on and an ALB
  node connects from (its /16's block in ``127.0.0.0/8``, or ``127.0.0.1`` in
  single-address mode, for the whole machine or for one address the map had no
  room for);
- :meth:`~LocalAddresses.who`: the VPC address behind a peer, from its loopback
  address or, on ``127.0.0.1``, from the source port its owner registered.
"""
from __future__ import annotations

from typing import Callable, Iterable

from .addresses import INTERNET, LoopbackProbe, SourceRegistry
from .loopback import LoopbackMap

__all__ = ["LocalAddresses", "FALLBACK_NOTE"]

#: The timeline's note when an address gets no block of its own (student-facing; filled with .format).
FALLBACK_NOTE = ("127.0.0.0/8 has no free block for {ip}'s /16 (256 blocks, each held by a /16 with instances): "
                 "it is served on 127.0.0.1 with its own port instead, and its security groups are still enforced, "
                 "from the source port of each connection. Terminate instances in ranges you no longer use to free a block.")


class LocalAddresses:
    """The data plane's addresses: ``aliases`` from the loopback probe, ``in_use()`` lists the VPC addresses served.

    ``record(component, resource, event, **details)`` writes the timeline.
    """

    def __init__(self, probe: LoopbackProbe, in_use: Callable[[], Iterable[str]] | None = None,
                 record: Callable | None = None):
        self.aliases = probe.aliases
        self.map = LoopbackMap(in_use)
        self.registry = SourceRegistry()
        self.record = record
        self._noted: set[str] = set()

    def loopback(self, private_ip: str) -> str:
        """Where ``private_ip`` listens or connects from on this machine."""
        if not self.aliases:
            return INTERNET
        address = self.map.address(private_ip)
        if address is None:
            self._note_fallback(private_ip)
            return INTERNET
        return address

    def shares_internet(self, private_ip: str) -> bool:
        """Does ``private_ip`` use 127.0.0.1 (and so need its connections registered)?"""
        return self.loopback(private_ip) == INTERNET

    def on_connect(self, local_port: int, private_ip: str) -> None:
        """Before a connection from ``private_ip`` starts: remember its port if it comes from 127.0.0.1."""
        if self.shares_internet(private_ip):
            self.registry.register(local_port, private_ip)

    def on_close(self, local_port: int) -> None:
        self.registry.forget(local_port)

    def who(self, peer: tuple[str, int]) -> str | None:
        """The VPC address of ``peer`` (``None``: the internet)."""
        return self.registry.who(peer, self.map.vpc_address)

    def describe(self) -> dict[str, str]:
        """``{VPC /16: loopback block}`` for the control route."""
        return self.map.blocks()

    def _note_fallback(self, private_ip: str) -> None:
        if private_ip in self._noted:
            return
        self._noted.add(private_ip)
        if self.record is not None:
            self.record("dataplane", private_ip, "loopback_fallback", detail=FALLBACK_NOTE.format(ip=private_ip))

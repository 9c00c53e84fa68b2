"""An SSH server on every running instance, on its own loopback address, guarded by its security groups.

:class:`SSHHost` runs one listener per running instance (the bastion and the
app servers alike) on the instance's loopback address (``10.0.11.5 ->
127.0.11.5``), port 22 when this process may bind it, else ``22 + 10000``
(plus this cloud's port block), as the web apps do. ``GET
/_awslab/dataplane/ssh`` lists the endpoints; ``awslab ssh-config`` turns them
into Host entries.

Who gets in is decided twice, as on AWS:

1. **the network** (:mod:`awslab.dataplane.netpolicy`, the same rules the HTTP
   path obeys): on Linux a socket filter (:mod:`.sourcefilter`) drops the SYN
   of every source the security groups, NACLs and routes don't admit, so the
   client's ``ConnectTimeout`` fires with no answer at all. Elsewhere the
   connection is accepted and held silent until the client gives up.
2. **sshd**: public-key authentication only, as ``ec2-user``, with the public
   key of the key pair the instance was launched with. Any other key, any other
   user and any password get OpenSSH's ``Permission denied (publickey)``.

Like OpenSSH's sshd on Amazon Linux, the server lets an authenticated user
forward their agent (``ssh -A``) and open TCP connections onward
(``direct-tcpip``, what ``ssh -J`` asks for); those connections leave *from the
instance's own address* (:mod:`.hop`), so the destination's security groups see
the instance as the source. What runs in a session is :mod:`.shell`, a small
simulated shell.

Limits that keep hostile clients from freezing the cloud come from sshd's own
defaults (sshd_config(5)): at most ``MaxStartups`` 100 unauthenticated
connections per instance, and ``LoginGraceTime`` 120 s to authenticate.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

from ..addresses import INTERNET
from ..netpolicy import Network, internet
from . import hop, shell, sourcefilter
from .hostkeys import LOGIN_USER, InstanceKeys, KeyStore

__all__ = ["SSHHost", "SSHEndpoint", "SSH_PORT", "MAX_STARTUPS", "LOGIN_GRACE_S"]

log = logging.getLogger("awslab.dataplane.ssh")
SSH_PORT = 22
#: sshd_config(5): MaxStartups 10:30:100 - past 100 unauthenticated connections, every new one is dropped.
MAX_STARTUPS = 100
#: sshd_config(5): LoginGraceTime 120 - the server disconnects after this long without a successful login.
LOGIN_GRACE_S = 120.0
#: A dropped SYN: Linux gives up after ~127 s (tcp_syn_retries = 6); a held connection is released by then.
HOLD_MAX_S = 130.0
#: Held (denied) connections per instance, where no socket filter can drop them; past it they are closed.
MAX_HELD = 256
#: Without root, port 22 is served on 22 + this (the web apps' rule, awslab.dataplane.instances).
PRIVILEGED_OFFSET = 10000


@dataclass
class SSHEndpoint:
    """One instance's SSH server: where it listens, its keys, and its connections."""

    instance_id: str
    private_ip: str
    host: str
    port: int
    keys: InstanceKeys
    sock: socket.socket
    options: Any = None
    task: asyncio.Task | None = None
    filtered: bool = False
    allowed: tuple[str, ...] | None = None
    pending: int = 0
    held: int = 0
    conns: set = field(default_factory=set)


class InstanceServer(asyncssh.SSHServer):
    """sshd's decisions for one connection: who may log in, and where they may forward to."""

    def __init__(self, host: "SSHHost", endpoint: SSHEndpoint):
        self.host, self.endpoint = host, endpoint
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn

    def begin_auth(self, username: str) -> bool:
        return True  # every login needs a key

    def password_auth_supported(self) -> bool:
        return False  # EC2's images ship PasswordAuthentication no

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username == LOGIN_USER and self.endpoint.keys.admits(key)

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int):
        """``direct-tcpip`` (``ssh -J``, ``ssh -L``): connect onward from this instance's own address."""
        return hop.forward_from(self.host, self.endpoint, dest_host, dest_port)

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        return False  # remote forwarding (-R) would open a port on the instance: not part of the lab


class SSHHost:
    """Every instance's SSH server, in the data plane's loop. ``dp`` is the running :class:`DataPlane`."""

    def __init__(self, dp: Any, root: Path):
        self.dp = dp
        self.keys = KeyStore(root)
        self.endpoints: dict[str, SSHEndpoint] = {}
        self._single_ports: dict[str, int] = {}

    # -- where ---------------------------------------------------------------------------
    def port_for(self, private_ip: str) -> int:
        """The local port of ``private_ip``'s port 22 (its own port on 127.0.0.1 in single-address mode)."""
        if self.dp.loopback(private_ip) == INTERNET:
            if private_ip not in self._single_ports:
                s = socket.socket()
                s.bind((INTERNET, 0))
                self._single_ports[private_ip] = s.getsockname()[1]
                s.close()
            return self._single_ports[private_ip]
        port = SSH_PORT if self.dp.host.privileged_ok else SSH_PORT + PRIVILEGED_OFFSET
        return port + self.dp.host.port_offset

    def find(self, host: str, port: int) -> SSHEndpoint | None:
        """The endpoint a client means by ``host:port``: a VPC address and 22, or a loopback address and its port."""
        for ep in self.endpoints.values():
            if (host, port) in ((ep.private_ip, SSH_PORT), (ep.host, ep.port)):
                return ep
        return None

    # -- lifecycle -------------------------------------------------------------------------
    async def ensure(self, instance_id: str, private_ip: str, authorized_key: str | None) -> SSHEndpoint | None:
        """Serve SSH for a running instance (already served: kept as it is)."""
        ep = self.endpoints.get(instance_id)
        if ep is not None:
            return ep
        keys = self.keys.ensure(instance_id, authorized_key)
        host, port = self.dp.loopback(private_ip), self.port_for(private_ip)
        sock, filtered = sourcefilter.listen(host, port)  # nobody gets in until the policy is known
        ep = SSHEndpoint(instance_id, private_ip, host, port, keys, sock)
        ep.filtered = filtered
        ep.options = await asyncssh.SSHServerConnectionOptions.construct(
            server_host_keys=[keys.host_key], server_factory=functools.partial(InstanceServer, self, ep),
            process_factory=functools.partial(shell.session, self, ep), agent_forwarding=True, allow_pty=True,
            x11_forwarding=False, allow_scp=False, login_timeout=LOGIN_GRACE_S, keepalive_interval=60)
        self.endpoints[instance_id] = ep
        self.apply_policy_to(ep)
        ep.task = asyncio.get_running_loop().create_task(self._accept(ep))
        return ep

    async def stop(self, instance_id: str, forget_keys: bool = False) -> None:
        """Close the instance's listener and every session on it (a stopped or terminated instance)."""
        ep = self.endpoints.pop(instance_id, None)
        if ep is not None:
            if ep.task is not None:
                ep.task.cancel()
            ep.sock.close()
            for conn in list(ep.conns):
                conn.abort()
        if forget_keys:
            self.keys.forget(instance_id)
            self._single_ports.pop(instance_id, None)

    async def stop_all(self) -> None:
        for iid in list(self.endpoints):
            await self.stop(iid)

    # -- the network's decision -----------------------------------------------------------
    def apply_policy(self) -> None:
        """Load each listener's filter from the data plane's latest view of the network (after every change)."""
        for ep in list(self.endpoints.values()):
            self.apply_policy_to(ep)

    def apply_policy_to(self, ep: SSHEndpoint) -> None:
        snap = self.dp.snapshot
        allowed = tuple(self.allowed_sources(snap.network, ep.instance_id)) if snap is not None else ()
        if ep.filtered and allowed != ep.allowed:
            ep.filtered = sourcefilter.attach(ep.sock, allowed)
        ep.allowed = allowed

    def allowed_sources(self, network: Network, instance_id: str) -> list[str]:
        """The loopback addresses whose SYN to ``instance_id``'s port 22 AWS would let through."""
        dst = network.instances.get(instance_id)
        if dst is None:
            return []
        out = [INTERNET] if network.check(internet(INTERNET), dst, SSH_PORT).allowed else []
        rules = network.inbound_rules(dst, SSH_PORT)
        for src in list(network.instances.values()):  # only those a rule names: O(instances), not O(instances^2)
            if src.ip != dst.ip and not any(network.rule_names(perm, src) for perm in rules):
                continue
            local = self.dp.loopback(src.ip)
            if local != INTERNET and network.check(src, dst, SSH_PORT).allowed:
                out.append(local)
        return out

    # -- connections -----------------------------------------------------------------------
    async def _accept(self, ep: SSHEndpoint) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, peer = await loop.sock_accept(ep.sock)
            except asyncio.CancelledError:
                raise
            except OSError:
                if ep.sock.fileno() < 0:
                    return
                await asyncio.sleep(0.05)
                continue
            loop.create_task(self._serve(ep, conn, peer))

    async def _serve(self, ep: SSHEndpoint, sock: socket.socket, peer: tuple) -> None:
        decision = self.dp._guard(peer, SSH_PORT, ep.instance_id)
        if decision is None or not decision.allowed:
            await self._hold(ep, sock)
            return
        if ep.pending >= MAX_STARTUPS:
            sock.close()  # sshd drops connections past MaxStartups
            return
        ep.pending += 1
        try:
            conn = await asyncssh.run_server(sock, options=ep.options)
        except (asyncssh.Error, OSError, asyncio.TimeoutError, ValueError) as e:
            log.debug("ssh to %s from %s ended before login: %s", ep.instance_id, peer, e)
            return
        finally:
            ep.pending -= 1
        ep.conns.add(conn)
        try:
            await conn.wait_closed()
        finally:
            ep.conns.discard(conn)

    async def _hold(self, ep: SSHEndpoint, sock: socket.socket) -> None:
        """Where no filter dropped the SYN: say nothing until the client gives up (bounded in time and number)."""
        if ep.held >= MAX_HELD:
            sock.close()
            return
        ep.held += 1
        loop = asyncio.get_running_loop()
        sock.setblocking(False)
        try:
            async with asyncio.timeout(HOLD_MAX_S):
                while await loop.sock_recv(sock, 4096):
                    pass
        except (OSError, TimeoutError):
            pass
        finally:
            ep.held -= 1
            sock.close()

    # -- what the control route shows ------------------------------------------------------
    def describe(self) -> list[dict]:
        snap = self.dp.snapshot
        out = []
        for ep in list(self.endpoints.values()):
            described = (snap.instances.get(ep.instance_id, {}) if snap is not None else {})
            out.append({"instance_id": ep.instance_id, "private_ip": ep.private_ip,
                        "public_ip": described.get("PublicIpAddress"), "key_name": described.get("KeyName"),
                        "name": next((t["Value"] for t in described.get("Tags", []) if t.get("Key") == "Name"), None),
                        "host": ep.host, "port": ep.port, "user": LOGIN_USER, "host_key": ep.keys.host_public,
                        "network_filter": "socket filter (dropped SYN)" if ep.filtered else "held silent",
                        "sessions": len(ep.conns)})
        return out

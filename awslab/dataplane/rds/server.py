"""Each DB instance's MySQL endpoint on this machine, guarded by its VPC security groups.

A DB instance listens where its endpoint resolves: the loopback address of its private IP
(:func:`awslab.dataplane.dns.targets.db_instance_address`, in the subnet of its current
Availability Zone) on its ``Endpoint.Port`` (3306 for MySQL; in another cloud's port block,
3306 + the block's offset). The server is mysql-mimic over SQLite (:mod:`.engine`).

- **Who may connect** is decided as for an instance: the data plane's network policy
  (:class:`~awslab.dataplane.netpolicy.Network`) with the DB instance as the destination,
  carrying its ``VpcSecurityGroups``. On Linux a socket filter drops the SYN of any other
  source (:mod:`awslab.dataplane.ssh.sourcefilter`), so a client's connect times out, as on AWS;
  elsewhere a denied connection is held silent.
- **Who may log in**: the master user, with the master password (from Secrets Manager when
  RDS manages it). Anything else is MySQL's ``1045 Access denied for user 'u'@'10.0.11.5'
  (using password: YES)``, naming the client's VPC address as MySQL does.
- **A DB instance that is not available** (``stopped``, ``rebooting``, ``creating``...) has
  nothing listening: a client's connect is refused, and a Multi-AZ failover (``rebooting``)
  moves the listener to the standby's address when it completes.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mysql_mimic import IdentityProvider, MysqlServer, NativePasswordAuthPlugin, User, utils
from mysql_mimic.auth import AuthInfo, Forbidden, Success

from ..addresses import INTERNET
from ..netpolicy import Network, internet
from ..ssh import sourcefilter
from .engine import SqliteSession, Storage
from .view import DBView

__all__ = ["DBHost", "DBEndpoint", "HOLD_MAX_S", "MAX_HELD"]

log = logging.getLogger("awslab.dataplane.rds")
#: A denied connection held silent (no socket filter) is closed after this long, at most MAX_HELD at once.
HOLD_MAX_S = 30.0
MAX_HELD = 64
#: MySQL's max_connections default for db.t3.micro is far higher; this bounds the lab's memory.
MAX_CONNECTIONS = 200

#: The VPC address of the client of the connection being served (for MySQL's "'user'@'host'").
_CLIENT = contextvars.ContextVar("awslab_rds_client", default="%")
#: MySQL's ER_ACCESS_DENIED_ERROR text (https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html).
DENIED = "Access denied for user '{user}'@'{host}' (using password: {used})"


class _MasterPassword(NativePasswordAuthPlugin):
    """``mysql_native_password``; a refusal reads as MySQL's (:data:`DENIED`)."""

    async def auth(self, auth_info: AuthInfo | None = None):
        if auth_info and auth_info.handshake_plugin_name == self.name and auth_info.handshake_auth_data:
            nonce = auth_info.handshake_auth_data.rstrip(b"\x00")  # reuse the handshake's nonce, as MySQL does
        else:
            nonce = utils.nonce(20)
            auth_info = yield nonce + b"\x00"
        if self.password_matches(user=auth_info.user, scramble=auth_info.data, nonce=nonce):
            yield Success(auth_info.user.name)
        else:
            yield Forbidden(DENIED.format(user=auth_info.username, host=_CLIENT.get(),
                                          used="YES" if auth_info.data else "NO"))

    def password_matches(self, user: User, scramble: bytes, nonce: bytes) -> bool:
        return bool(user.auth_string) and self.verify_scramble(user.auth_string, scramble, nonce)


class _MasterUser(IdentityProvider):
    """The DB instance's one login: its master user (RDS creates no other)."""

    def __init__(self, endpoint: "DBEndpoint"):
        self.endpoint = endpoint

    def get_plugins(self):
        return [_MasterPassword()]

    async def get_user(self, username: str) -> User | None:
        view = self.endpoint.view
        secret = view.master_password or ""
        auth = NativePasswordAuthPlugin.create_auth_string(secret) if secret else None
        if username != view.master_username:
            auth = "0" * 40  # matches no password: "Access denied", as MySQL answers an unknown user
        return User(name=username, auth_string=auth, auth_plugin=_MasterPassword.name)


@dataclass
class DBEndpoint:
    """One DB instance's listener: where, for which view of the instance, and who may reach it."""

    view: DBView
    host: str
    port: int
    sock: socket.socket
    server: MysqlServer | None = None
    filtered: bool = False
    allowed: tuple[str, ...] | None = None
    held: int = 0
    conns: set = field(default_factory=set)


class DBHost:
    """Every available DB instance's MySQL server (``dp``: the running :class:`~awslab.dataplane.service.DataPlane`)."""

    def __init__(self, dp: Any, root: Path):
        self.dp, self.root = dp, Path(root)
        self.endpoints: dict[str, DBEndpoint] = {}
        self.views: dict[str, DBView] = {}

    def storage(self, ident: str) -> Storage:
        return Storage(self.root / ident)

    def local_port(self, view: DBView) -> int:
        port = view.port if view.port >= 1024 or self.dp.host.privileged_ok else view.port + 10000
        return port + self.dp.host.port_offset

    def address_of(self, endpoint_name: str) -> tuple[str, str, int] | None:
        """``(private IP, loopback address, local port)`` an endpoint name resolves to now (None: no such DB)."""
        name = endpoint_name.lower().rstrip(".")
        for view in list(self.views.values()):
            if view.endpoint_address and view.endpoint_address.lower() == name and view.private_ip:
                return view.private_ip, self.dp.loopback(view.private_ip), self.local_port(view)
        return None

    # -- reconcile ------------------------------------------------------------------------
    async def sync(self, views: dict[str, DBView], network: Network) -> None:
        """Serve every available DB instance at its current address; close the others (in the loop)."""
        self.views = dict(views)
        for ident in [i for i, ep in self.endpoints.items() if not self._same(ep, views.get(i))]:
            await self.stop(ident)
        for ident, view in views.items():
            if view.serving and ident not in self.endpoints:
                await self._isolated_start(view)
            elif ident in self.endpoints:
                self.endpoints[ident].view = view
        for ep in list(self.endpoints.values()):
            self.apply_policy_to(ep, network)
        for ident in [i for i in list(self.storage_dirs()) if i not in views]:
            self.storage(ident).remove_all()  # a deleted DB instance's data goes with it

    def storage_dirs(self) -> list[str]:
        return [p.name for p in self.root.iterdir() if p.is_dir()] if self.root.exists() else []

    @staticmethod
    def _same(ep: DBEndpoint, view: DBView | None) -> bool:
        return view is not None and view.serving and view.private_ip == ep.view.private_ip and view.port == ep.view.port

    async def _isolated_start(self, view: DBView) -> None:
        try:
            await self.start(view)
        except OSError as e:
            self.dp._failed(view.identifier, "start_db", e)

    async def start(self, view: DBView) -> DBEndpoint:
        host, port = self.dp.loopback(view.private_ip), self.local_port(view)
        sock, filtered = sourcefilter.listen(host, port)  # nobody gets in until the policy is known
        ep = DBEndpoint(view, host, port, sock, filtered=filtered)
        storage = self.storage(view.identifier)
        storage.root.mkdir(parents=True, exist_ok=True)
        ep.server = MysqlServer(session_factory=lambda: SqliteSession(storage), identity_provider=_MasterUser(ep))
        ep.server._server = await asyncio.start_server(lambda r, w: self._serve(ep, r, w), sock=sock)
        self.endpoints[view.identifier] = ep
        self.dp._record("rds", view.identifier, "db_endpoint_listening", address=f"{view.private_ip}:{view.port}",
                        local=f"{host}:{port}", availability_zone=view.availability_zone)
        return ep

    async def stop(self, ident: str) -> None:
        ep = self.endpoints.pop(ident, None)
        if ep is None:
            return
        if ep.server is not None and ep.server._server is not None:
            ep.server._server.close()
        for writer in list(ep.conns):
            writer.transport.abort()  # the instance went away: open connections are lost, as after a failover
        ep.sock.close()

    async def stop_all(self) -> None:
        for ident in list(self.endpoints):
            await self.stop(ident)

    # -- the network's decision -----------------------------------------------------------
    def apply_policy_to(self, ep: DBEndpoint, network: Network) -> None:
        allowed = tuple(self.allowed_sources(network, ep.view))
        if ep.filtered and allowed != ep.allowed:
            ep.filtered = sourcefilter.attach(ep.sock, allowed)
        ep.allowed = allowed

    def allowed_sources(self, network: Network, view: DBView) -> list[str]:
        """The loopback addresses whose SYN to the DB's port AWS would let through (instances its rules name)."""
        dst = network.by_ip.get(view.private_ip or "")
        if dst is None:
            return []
        out = [INTERNET] if network.check(internet(INTERNET), dst, view.port).allowed else []
        rules = network.inbound_rules(dst, view.port)
        for src in list(network.instances.values()):
            if not any(network.rule_names(perm, src) for perm in rules):
                continue
            local = self.dp.loopback(src.ip)
            if local != INTERNET and network.check(src, dst, view.port).allowed:
                out.append(local)
        return out

    def decide(self, ep: DBEndpoint, peer: tuple) -> tuple[bool, str]:
        """Is ``peer`` admitted, and what is its VPC address (for the log and MySQL's messages)?"""
        snap = self.dp.snapshot
        src_ip = self.dp.local.who(peer) if peer else None
        if snap is None:
            return False, src_ip or "%"
        dst = snap.network.by_ip.get(ep.view.private_ip or "")
        if dst is None:
            return False, src_ip or "%"
        src = snap.network.endpoint(src_ip)
        d = snap.network.check(src, dst, ep.view.port)
        if not d.allowed:
            self.dp._record("dataplane", ep.view.identifier, "connection_denied",
                            source=src.name if src.in_vpc else f"internet {peer[0]}",
                            destination=f"{dst.ip}:{ep.view.port}", layer=d.layer, rule=d.rule, reason=d.reason)
        return d.allowed, src.ip if src.in_vpc else (peer[0] if peer else "%")

    # -- connections -----------------------------------------------------------------------
    async def _serve(self, ep: DBEndpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        allowed, client = self.decide(ep, writer.get_extra_info("peername"))
        if not allowed:
            await self._hold(ep, reader, writer)
            return
        if len(ep.conns) >= MAX_CONNECTIONS:
            writer.transport.abort()
            return
        ep.conns.add(writer)
        _CLIENT.set(client)
        try:
            await ep.server._client_connected_cb(reader, writer)
        except Exception as e:  # a client gone mid-handshake (mysql-mimic's ConnectionClosed) or garbage: its own loss
            log.debug("mysql connection to %s from %s ended: %r", ep.view.identifier, client, e)
        finally:
            ep.conns.discard(writer)

    async def _hold(self, ep: DBEndpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Where no filter dropped the SYN: say nothing until the client gives up (bounded in time and number)."""
        if ep.held >= MAX_HELD:
            writer.transport.abort()
            return
        ep.held += 1
        try:
            async with asyncio.timeout(HOLD_MAX_S):
                while await reader.read(4096):
                    pass
        except (OSError, TimeoutError):
            pass
        finally:
            ep.held -= 1
            writer.transport.abort()

    def describe(self) -> list[dict]:
        return [{"db_instance_identifier": ep.view.identifier, "endpoint": ep.view.endpoint_address,
                 "address": f"{ep.view.private_ip}:{ep.view.port}", "local": f"{ep.host}:{ep.port}",
                 "availability_zone": ep.view.availability_zone,
                 "network_filter": "socket filter (dropped SYN)" if ep.filtered else "held silent",
                 "connections": len(ep.conns)} for ep in list(self.endpoints.values())]

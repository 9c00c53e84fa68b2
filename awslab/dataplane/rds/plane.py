"""How the data plane carries RDS: read the DB instances with the other APIs, serve them in the loop.

:class:`~awslab.dataplane.service.DataPlane` calls :func:`read` in its reader thread (after each
change to EC2, ELB, RDS or Secrets Manager) and :func:`apply` in its event loop with the snapshot
read. The web apps' database calls go through :func:`open_from_instance`.
"""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from .appdb import AppDatabases
from .server import DBHost
from .view import add_to_network, read_db_instances

__all__ = ["attach", "read", "apply", "open_from_instance", "SERVICES"]

#: The services whose changes the data plane's RDS part mirrors (moto's names).
SERVICES = ("rds", "secretsmanager")


def attach(dp: Any, root: Path) -> None:
    """Give the data plane its DB host and the apps' database connections."""
    dp.rds = DBHost(dp, root)
    dp.app_dbs = AppDatabases(lambda src, host, port, timeout: open_from_instance(dp, src, host, port, timeout),
                              time_scale=lambda: dp._time_scale)
    dp._db_passwords = {}


def read(dp: Any, snap: Any, clients: dict) -> None:
    """In the reader thread: the DB instances into ``snap`` (and its network), each instance's DB settings."""
    subnets = {s["SubnetId"]: s for s in snap.network.subnets.values()}
    snap.db_instances = read_db_instances(clients["rds"], clients["secretsmanager"], subnets, dp._db_passwords)
    add_to_network(snap.network, snap.db_instances)
    running = [iid for iid, i in snap.instances.items() if (i.get("State") or {}).get("Name") == "running"]
    dp.app_dbs.read(clients["ec2"], clients["secretsmanager"], running)


async def apply(dp: Any, snap: Any) -> None:
    """In the loop: serve every available DB instance where it is now, with the network policy of ``snap``."""
    await dp.rds.sync(getattr(snap, "db_instances", {}), snap.network)


def open_from_instance(dp: Any, src_ip: str, host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection from instance ``src_ip`` to ``host:port`` (a DB endpoint's name or private IP).

    Raises what the socket would: ``socket.gaierror`` for a name nothing resolves, ``TimeoutError``
    when the DB's security group drops the SYN, ``ConnectionRefusedError`` when nothing listens (stopped).
    """
    found = dp.rds.address_of(host)
    if found is None:
        view = next((v for v in list(dp.rds.views.values()) if v.private_ip == host), None)
        if view is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        found = (view.private_ip, dp.loopback(view.private_ip), dp.rds.local_port(view))
    _, local_host, local_port = found
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.bind((dp.loopback(src_ip), 0))
        dp.local.on_connect(sock.getsockname()[1], src_ip)  # on 127.0.0.1 the DB learns who calls by port
        sock.connect((local_host, local_port + (port - _listed_port(dp, host, port))))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException:
        sock.close()
        raise
    return sock


def _listed_port(dp: Any, host: str, port: int) -> int:
    """The DB's own port (a client asking another port reaches nothing there)."""
    name = host.lower().rstrip(".")
    for v in list(dp.rds.views.values()):
        if (v.endpoint_address or "").lower() == name or v.private_ip == host:
            return v.port
    return port

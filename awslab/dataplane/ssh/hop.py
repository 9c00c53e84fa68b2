"""Connections that leave an instance: ``ssh -J`` relays and ``ssh`` typed on the bastion.

Both start *from the instance's own loopback address*, so the destination's
security group sees the instance as the source, exactly as on AWS, where "22
from the bastion's group" is what lets the bastion in:

- :func:`forward_from` serves a ``direct-tcpip`` request (what ``ssh -J``
  and ``ssh -L`` ask the bastion for): it opens a TCP connection from the
  bastion to the destination and relays the bytes. The client's keys never
  touch the bastion.
- :func:`ssh_from` is the ``ssh`` command of the simulated shell: an SSH
  client (asyncssh's) running on the bastion, which proves who you are with
  the agent you forwarded (``ssh -A``): the destination's challenge travels
  back through your connection to the agent on your machine.

A destination is named as on AWS (``10.0.11.5``, port 22) or by its loopback
endpoint (what ``ssh -J`` sends after ``awslab ssh-config`` mapped the name).
A connection the network drops times out after :data:`CONNECT_TIMEOUT_S`.
"""
from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncssh
from asyncssh.forward import SSHForwarder

from .hostkeys import LOGIN_USER

if TYPE_CHECKING:  # pragma: no cover
    from .server import SSHEndpoint, SSHHost

__all__ = ["forward_from", "ssh_from", "Destination", "CONNECT_TIMEOUT_S", "parse_ssh_args"]

#: How long a connection from an instance waits for a dropped SYN. Linux would retry for ~127 s; the lab
#: gives up sooner so a revoked rule shows within a class's patience (and holds no resource longer).
CONNECT_TIMEOUT_S = 15.0
LOCAL_NAMES = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class Destination:
    """Where a connection from an instance goes: the VPC address and port, and the local socket serving it."""

    private_ip: str
    port: int
    local: tuple[str, int]


def resolve(host: "SSHHost", source: "SSHEndpoint", name: str, port: int) -> Destination | None:
    """The destination a client on ``source`` means by ``name:port`` (None: nothing the lab serves there)."""
    if name in LOCAL_NAMES:
        name = source.private_ip
    ep = host.find(name, port)
    if ep is not None:
        return Destination(ep.private_ip, 22, (ep.host, ep.port))
    snap = host.dp.snapshot
    found = snap.network.by_ip.get(name) if snap is not None else None
    if found is not None and found.name.startswith("i-"):
        return Destination(name, port, (host.dp.loopback(name), host.dp.host.local_port(name, port)))
    return None


async def open_from(host: "SSHHost", source: "SSHEndpoint", dest: Destination,
                    timeout_s: float = CONNECT_TIMEOUT_S) -> socket.socket:
    """A connected TCP socket from ``source``'s address to ``dest``; ``TimeoutError`` when the SYN is dropped."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    registered = None
    try:
        sock.bind((host.dp.loopback(source.private_ip), 0))
        registered = sock.getsockname()[1]
        host.dp.local.on_connect(registered, source.private_ip)  # on 127.0.0.1 the callee learns who calls by port
        await asyncio.wait_for(loop.sock_connect(sock, dest.local), timeout_s)
    except BaseException:
        sock.close()
        if registered is not None:
            host.dp.local.on_close(registered)
        raise
    return sock


async def forward_from(host: "SSHHost", source: "SSHEndpoint", dest_host: str, dest_port: int) -> SSHForwarder:
    """``direct-tcpip`` from ``source``: relay to ``dest_host:dest_port`` (an ``SSHTCPSession`` for asyncssh)."""
    dest = resolve(host, source, dest_host, dest_port)
    if dest is None:
        raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED,
                                        f"{dest_host}:{dest_port} is not an address the lab serves in this VPC")
    try:
        sock = await open_from(host, source, dest)
    except (asyncio.TimeoutError, TimeoutError):
        raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, "Connection timed out") from None
    except OSError as e:
        raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, e.strerror or str(e)) from None
    local_port = sock.getsockname()[1]
    _, peer = await asyncio.get_running_loop().create_connection(SSHForwarder, sock=sock)
    peer.connection_lost = _forgetting(peer.connection_lost, host, local_port)
    return SSHForwarder(peer)


def _forgetting(lost, host: "SSHHost", local_port: int):
    def connection_lost(exc):
        host.dp.local.on_close(local_port)
        lost(exc)
    return connection_lost


@dataclass
class SSHArgs:
    """What the shell's ``ssh`` was asked: ``[-A] [-p port] [-l user] [-o ConnectTimeout=N] [user@]host [command]``."""

    user: str
    host: str
    port: int = 22
    command: str | None = None
    connect_timeout: float = CONNECT_TIMEOUT_S


def parse_ssh_args(argv: list[str]) -> SSHArgs:
    """Parse the few options the simulated ``ssh`` knows; ``ValueError`` with ssh's usage line otherwise."""
    user, port, timeout, rest = LOGIN_USER, 22, CONNECT_TIMEOUT_S, list(argv)
    while rest and rest[0].startswith("-"):
        flag = rest.pop(0)
        if flag in ("-A", "-a", "-T", "-t", "-q", "-v"):
            continue
        if flag in ("-p", "-l", "-o", "-i") and rest:
            value = rest.pop(0)
            if flag == "-p" and value.isdigit():
                port = int(value)
            elif flag == "-l":
                user = value
            elif flag == "-o" and value.lower().startswith("connecttimeout="):
                timeout = float(value.split("=", 1)[1] or CONNECT_TIMEOUT_S)
            continue
        raise ValueError(f"ssh: unknown option -- {flag.lstrip('-')[:10]}\nusage: ssh [-A] [-p port] [-l user] "
                         "[-o ConnectTimeout=N] [user@]host [command]")
    if not rest:
        raise ValueError("usage: ssh [-A] [-p port] [-l user] [-o ConnectTimeout=N] [user@]host [command]")
    target = rest.pop(0)
    if "@" in target:
        user, target = target.rsplit("@", 1)
    return SSHArgs(user, target, port, " ".join(rest) if rest else None, timeout)  # as OpenSSH joins them


class _AgentKeys(asyncssh.SSHClient):
    """An SSH client whose only keys are those the forwarded agent offers (never the cloud's own ~/.ssh)."""

    def __init__(self, keys: list):
        self._keys = list(keys)

    def public_key_auth_requested(self):
        return [self._keys.pop(0)] if self._keys else None


async def connect_agent(agent_path: str | None) -> Any:
    """The agent the user forwarded with ``ssh -A`` (None without ``-A``); close it when the hop ends."""
    if not agent_path:
        return None
    try:
        return await asyncssh.connect_agent(agent_path)
    except (OSError, asyncssh.Error):
        return None


async def agent_keys(agent: Any) -> list:
    """The keys the forwarded agent offers (they sign through it: keep it open while they are used)."""
    if agent is None:
        return []
    try:
        return list(await agent.get_keys())
    except (OSError, asyncssh.Error, ValueError):
        return []


@dataclass
class Hop:
    """An SSH connection made from an instance (``conn`` None: ``error`` says why, as ssh would)."""

    conn: asyncssh.SSHClientConnection | None
    error: str = ""
    local_port: int | None = None
    agent: Any = None

    def close(self, host: "SSHHost") -> None:
        if self.conn is not None:
            self.conn.close()
        if self.agent is not None:
            self.agent.close()
        if self.local_port is not None:
            host.dp.local.on_close(self.local_port)


async def ssh_from(host: "SSHHost", source: "SSHEndpoint", args: SSHArgs, agent_path: str | None) -> Hop:
    """Log in from ``source`` to ``args.host``, proving who you are with the agent forwarded to ``source``."""
    dest = resolve(host, source, args.host, args.port)
    timed_out = f"ssh: connect to host {args.host} port {args.port}: Connection timed out"
    if dest is None:
        await asyncio.sleep(min(args.connect_timeout, CONNECT_TIMEOUT_S))  # an address nothing answers at
        return Hop(None, timed_out)
    try:
        sock = await open_from(host, source, dest, args.connect_timeout)
    except (asyncio.TimeoutError, TimeoutError):
        return Hop(None, timed_out)
    except OSError as e:
        return Hop(None, f"ssh: connect to host {args.host} port {args.port}: {e.strerror or e}")
    hop = Hop(None, "", sock.getsockname()[1], await connect_agent(agent_path))
    keys = await agent_keys(hop.agent)
    try:
        hop.conn, _ = await asyncio.wait_for(asyncssh.create_connection(
            lambda: _AgentKeys(keys), sock=sock, username=args.user, client_keys=None, agent_path=None,
            known_hosts=None, config=None, password=None, kbdint_auth=False), args.connect_timeout)
    except asyncssh.PermissionDenied:
        hop.error = f"{args.user}@{args.host}: Permission denied (publickey)."
    except (asyncssh.Error, OSError, asyncio.TimeoutError) as e:
        sock.close()
        hop.error = f"ssh: connect to host {args.host} port {args.port}: {e}"
    if hop.conn is None:
        hop.close(host)
    return hop

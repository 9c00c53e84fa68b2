"""What ``awslab ssh-config`` writes: OpenSSH Host entries that make the seed's commands read as on AWS.

On AWS you type ``ssh -A ec2-user@43.201.7.9`` (the bastion's public IP) and,
on the bastion, ``ssh ec2-user@10.0.11.5``. On this machine those addresses
live on loopback, so the file maps each name an instance answers to (its
private IP, its public IP, its instance id) onto its endpoint::

    Host 10.0.10.23 43.201.7.9 i-0abc
        HostName 127.0.10.23
        Port 22
        User ec2-user
        HostKeyAlias i-0abc
        UserKnownHostsFile ~/.awslab/ssh/known_hosts
        StrictHostKeyChecking yes
        ConnectTimeout 10
        ServerAliveInterval 5
        ServerAliveCountMax 3
        IdentityFile ~/.awslab/keys/awslab-key

and a known_hosts file holds every instance's host key (public half), so the
client checks it is talking to the instance it asked for. Use it with
``ssh -F <file> ...``, or ``Include <file>`` from your ``~/.ssh/config``.
Nothing here reads or writes a private key; ``IdentityFile`` is a path.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
import time
from pathlib import Path

from ...errors import ValidationError
from ...i18n import N_, _

__all__ = ["SSHConfigFiles", "render_config", "render_known_hosts", "write_files", "ssh_config", "NOT_EMBEDDED"]

NOT_EMBEDDED = N_("awslab ssh-config maps the embedded cloud's instances onto this machine. On {backend}, ssh to "
                  "the instances' real addresses instead (the bastion's public IP, then the private IPs).")


@dataclass(frozen=True)
class SSHConfigFiles:
    """Where the files went, and which hosts they name."""

    config: Path
    known_hosts: Path
    hosts: tuple[str, ...]
    instances: tuple[str, ...] = ()


#: A lab's ssh never waits without end: it gives up on a connection nobody answers after 10 s (a dropped SYN: the
#: lesson's "Connection timed out"), and on a session whose far end stops answering after 3 keepalives 5 s apart.
#: Per host, so an ``Include`` of this file changes nothing for the student's other hosts; the jump host of an
#: ``ssh -J`` reads them too (ssh passes ``-F`` on to it).
_GIVE_UP = ("    ConnectTimeout 10", "    ServerAliveInterval 5", "    ServerAliveCountMax 3")


def _aliases(ep: dict) -> list[str]:
    names = [ep["private_ip"], ep.get("public_ip"), ep["instance_id"]]
    return [n for n in names if n]


def render_config(endpoints: list[dict], known_hosts: Path, key_dir: Path | None, endpoint_url: str) -> str:
    """The ``ssh_config`` text (``key_dir``: where ``<key name>`` private keys live; None writes no IdentityFile)."""
    lines = [f"# Written by `awslab ssh-config` for the embedded cloud at {endpoint_url}.",
             "# Each instance's names (private IP, public IP, instance id) -> its SSH endpoint on this machine.",
             "# Run it again after launching instances; use: ssh -F <this file> ec2-user@<address>", ""]
    for ep in sorted(endpoints, key=lambda e: (e.get("public_ip") is None, e["private_ip"])):
        lines += [f"# {ep.get('name') or ep['instance_id']}",
                  f"Host {' '.join(_aliases(ep))}",
                  f"    HostName {ep['host']}",
                  f"    Port {ep['port']}",
                  f"    User {ep.get('user') or 'ec2-user'}",
                  f"    HostKeyAlias {ep['instance_id']}",
                  f"    UserKnownHostsFile {known_hosts}",
                  "    StrictHostKeyChecking yes",
                  *_GIVE_UP]
        key = (key_dir / ep["key_name"]) if key_dir is not None and ep.get("key_name") else None
        if key is not None and key.is_file():
            lines += [f"    IdentityFile {key}", "    IdentitiesOnly yes"]
        lines.append("")
    return "\n".join(lines)


def render_known_hosts(endpoints: list[dict]) -> str:
    """One line per instance: ``<instance id> <host key>`` (the HostKeyAlias the config names)."""
    return "".join(f"{ep['instance_id']} {ep['host_key']}\n" for ep in endpoints if ep.get("host_key"))


def write_files(endpoints: list[dict], config_path: Path, key_dir: Path | None, endpoint_url: str) -> SSHConfigFiles:
    """Write the config and, beside it, ``known_hosts`` (both 0600, in a 0700 folder)."""
    config_path = Path(config_path).expanduser()
    config_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    known = config_path.with_name("known_hosts")
    for path, text in ((known, render_known_hosts(endpoints)),
                       (config_path, render_config(endpoints, known, key_dir, endpoint_url))):
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    hosts = tuple(h for ep in endpoints for h in _aliases(ep))
    return SSHConfigFiles(config_path, known, hosts, tuple(ep["instance_id"] for ep in endpoints))


def ssh_config(lab, output: str | Path | None = None, wait_s: float = 5.0) -> SSHConfigFiles:
    """Write the lab's ssh config (default ``$AWSLAB_HOME/ssh/config``) once the data plane carries every change.

    Waits (at most ``wait_s``) until each running instance of the cloud has its SSH endpoint. Only for the
    embedded cloud: elsewhere the instances have real addresses.
    """
    from ... import config
    from ...cloud.client import ControlClient
    from ...layers.keys import default_key_dir

    if lab.backend != "embedded":
        raise ValidationError("backend", lab.backend, _(NOT_EMBEDDED).format(backend=lab.backend),
                              _("Use ssh with the instances' own addresses on that backend."))
    client = ControlClient(lab.endpoint_url)
    client.call("GET", "dataplane/settled")
    running = {i["InstanceId"] for r in lab.client("ec2").describe_instances(Filters=[
        {"Name": "instance-state-name", "Values": ["running"]}])["Reservations"] for i in r["Instances"]}
    deadline = time.monotonic() + wait_s
    while True:
        endpoints = client.call("GET", "dataplane/ssh").get("endpoints", [])
        if running <= {e["instance_id"] for e in endpoints} or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    path = Path(output).expanduser() if output else config.home() / "ssh" / "config"
    return write_files(endpoints, path, default_key_dir(), lab.endpoint_url)

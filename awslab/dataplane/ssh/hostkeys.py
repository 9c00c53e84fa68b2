"""Each instance's SSH identity: a host key made at launch, and the key pair's public half in authorized_keys.

At an instance's first boot EC2 does two things this module does too
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-key-pairs.html):

- the SSH server makes the instance's **host keys** (``/etc/ssh/ssh_host_*_key``),
  which prove to your client that it reached the instance it asked for. Here
  each instance gets an ED25519 host key in the cloud's state folder
  (``$AWSLAB_HOME/dataplane/ssh/<instance-id>/``), written 0600 and made 0400,
  never printed. ``awslab ssh-config`` writes the public halves into a
  known_hosts file, so ``StrictHostKeyChecking yes`` works from the start.
- cloud-init copies the **public key of the key pair** named at launch into
  ``/home/ec2-user/.ssh/authorized_keys``. It does so once: deleting the key
  pair from EC2 later does not lock anyone out of a running instance, and
  neither does it here.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import asyncssh

__all__ = ["InstanceKeys", "KeyStore", "LOGIN_USER"]

#: Amazon Linux's login user (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/connect-to-linux-instance.html).
LOGIN_USER = "ec2-user"
HOST_KEY = "ssh_host_ed25519_key"


@dataclass
class InstanceKeys:
    """The host key (private, for the server only) and the public keys ``ec2-user`` accepts."""

    host_key: asyncssh.SSHKey
    host_public: str
    authorized: tuple[bytes, ...]

    def admits(self, key: asyncssh.SSHKey) -> bool:
        """Is ``key`` one of the authorized public keys? (Compared as SSH public key blobs.)"""
        return key.public_data in self.authorized


class KeyStore:
    """Host keys and authorized_keys files under ``root`` (one folder per instance, 0700)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def ensure(self, instance_id: str, authorized_key: str | None) -> InstanceKeys:
        """The instance's keys, made on first use (its launch); ``authorized_key`` is kept from the first time."""
        folder = self.root / instance_id
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        private = folder / HOST_KEY
        if not private.exists():
            key = asyncssh.generate_private_key("ssh-ed25519")
            _write_secret(private, key.export_private_key())
            (folder / f"{HOST_KEY}.pub").write_bytes(key.export_public_key())
        host_key = asyncssh.read_private_key(str(private))
        authorized_file = folder / "authorized_keys"
        if authorized_key and not authorized_file.exists():
            authorized_file.write_text(authorized_key.strip() + "\n")
            os.chmod(authorized_file, 0o600)
        return InstanceKeys(host_key, host_key.export_public_key().decode().strip(), _read_authorized(authorized_file))

    def forget(self, instance_id: str) -> None:
        """A terminated instance's disk is gone: delete its keys."""
        shutil.rmtree(self.root / instance_id, ignore_errors=True)

    def known(self) -> list[str]:
        """Instance ids with keys on disk."""
        return sorted(p.name for p in self.root.iterdir()) if self.root.is_dir() else []


def _read_authorized(path: Path) -> tuple[bytes, ...]:
    if not path.exists():
        return ()
    out = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            try:
                out.append(asyncssh.import_public_key(line).public_data)
            except (asyncssh.KeyImportError, ValueError):
                continue
    return tuple(out)


def _write_secret(path: Path, data: bytes) -> None:
    """A new file no one else can ever read (created 0600), then read-only (0400)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(path, 0o400)

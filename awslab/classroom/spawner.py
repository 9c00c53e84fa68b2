"""The Hub's spawner for a class on one machine: each student in a network and a user id of their own.

JupyterHub's local spawners start a student's server as a process on the Hub's
machine. ``SimpleLocalProcessSpawner`` runs everyone as the Hub's own user (no
isolation at all); ``LocalProcessSpawner`` runs each student as their Unix
account, which keeps files apart but shares one loopback, so every student's
embedded cloud and apps would be reachable by their neighbours
(:mod:`awslab.classroom.isolation` says why that matters).

:class:`IsolatedSpawner` does both, as one container per student would:

- **a network namespace** per student (their own loopback, one cable to the
  machine, one route to the Hub): the server listens on the student's own
  address, which the Hub's proxy reaches; their cloud and apps on loopback are
  theirs alone, so every student's cloud can use the same ports, and the
  data plane's port blocks are never shared (each student's temp folder is
  their own, where the block locks live);
- **a user id** per student: their Unix account when the machine has one (PAM
  logins), else a user id of its own, ``uid_base`` + their Hub user id, with no
  account (as containers run arbitrary user ids); their home (``<class_root>/home/<name>``
  for those) is theirs, mode 0700, so a neighbour cannot read their keys,
  credentials, cloud token or progress (the instructor, as root, can).

When a server stops, every process left in the student's namespace (their
cloud, kernels, terminals) is ended, then the namespace is removed.
Needs root for the Hub and iproute2's ``ip``; ``setpriv`` (util-linux) drops
to the student's user id inside the namespace.
"""
from __future__ import annotations

import asyncio
import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Integer, Unicode

from .isolation import DEFAULT_NETWORK, DEFAULT_TAG, ClassNetwork, StudentNetwork, available

__all__ = ["IsolatedSpawner", "StudentAccount"]


@dataclass(frozen=True)
class StudentAccount:
    """Who a student's processes run as, and where their home is."""

    uid: int
    gid: int
    home: Path


class IsolatedSpawner(LocalProcessSpawner):
    """Each student's server in a network namespace of their own, as a user id of their own."""

    class_root = Unicode("/srv/awslab-class", config=True,
                         help="Where students without a Unix account get their homes (<class_root>/home/<name>).")
    network = Unicode(DEFAULT_NETWORK, config=True,
                      help="The class network: the Hub's API address and a /30 per student (private IPv4, /24+).")
    tag = Unicode(DEFAULT_TAG, config=True, help="Prefix of the class's namespaces and interfaces (1-4 letters).")
    uid_base = Integer(40000, config=True,
                       help="Students without a Unix account run as uid_base + their Hub user id.")

    _server_cmd: list[str] | None = None

    def class_network(self) -> ClassNetwork:
        return ClassNetwork(self.network, self.tag)

    def student_network(self) -> StudentNetwork:
        return self.class_network().student(self.user.id)

    def account(self) -> StudentAccount:
        """The student's Unix account if the machine has one, else a user id of their own; never root."""
        try:
            entry = pwd.getpwnam(self.user.name)
            account = StudentAccount(entry.pw_uid, entry.pw_gid, Path(entry.pw_dir))
        except KeyError:
            uid = self.uid_base + self.user.id
            try:
                holder = pwd.getpwuid(uid).pw_name
            except KeyError:
                holder = None
            if holder is not None:
                raise RuntimeError(f"user id {uid} for student {self.user.name} belongs to the account {holder}: "
                                   f"set IsolatedSpawner.uid_base to a range no account uses")
            account = StudentAccount(uid, uid, Path(self.class_root) / "home" / self.user.name)
        if account.uid == 0 or account.gid == 0:
            raise RuntimeError(f"{self.user.name} is root here: a student's server never runs as root")
        return account

    @property
    def home_dir(self) -> str:
        return str(self.account().home)

    def make_preexec_fn(self, name):
        home = self.home_dir

        def preexec():  # runs as root before `ip netns exec`; setpriv drops to the student after it
            os.chdir(home)
        return preexec

    def user_env(self, env):
        account = self.account()
        env.update(USER=self.user.name, LOGNAME=self.user.name, HOME=str(account.home), SHELL="/bin/bash",
                   TMPDIR=str(account.home / ".tmp"))
        return env

    def _prepare_home(self, account: StudentAccount) -> None:
        """The student's home and temp folder: theirs, 0700 (made once; a real account's home is left as it is)."""
        root = Path(self.class_root)
        root.mkdir(mode=0o711, parents=True, exist_ok=True)
        if not root.stat().st_mode & 0o001:
            raise RuntimeError(f"students cannot reach their homes under {root}: its mode is "
                               f"{root.stat().st_mode & 0o777:o}; make it 0711 (chmod 711 {root}): others may "
                               f"pass through it to their own home, not list or read it")
        (root / "home").mkdir(mode=0o711, exist_ok=True)
        for folder in (account.home, account.home / ".tmp"):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if folder.stat().st_uid != account.uid:
                os.chown(folder, account.uid, account.gid)
        os.chmod(account.home / ".tmp", 0o700)
        if str(account.home).startswith(str(Path(self.class_root) / "home")):
            os.chmod(account.home, 0o700)

    async def start(self):
        reason = available()
        if reason:
            raise RuntimeError(f"IsolatedSpawner cannot start {self.user.name}'s server: {reason}")
        account = self.account()
        network = self.student_network()
        await asyncio.to_thread(self._prepare_home, account)
        await asyncio.to_thread(network.create)
        if self._server_cmd is None:
            self._server_cmd = list(self.cmd)
        self.cmd = network.exec_prefix(account.uid, account.gid) + self._server_cmd
        self.ip = network.student_address
        return await super().start()

    async def stop(self, now=False):
        await super().stop(now=now)
        network = self.student_network()
        await asyncio.to_thread(network.end_processes)
        await asyncio.to_thread(network.delete)

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
  account (as containers run arbitrary user ids). Everything they make is theirs
  alone (their processes run with umask 077), so a neighbour cannot read their keys,
  credentials, cloud token, notebooks or progress;
- **the instructors' group** (``instructors_group``; the Hub's admin users are put in
  it) may pass through each student's home and AWSLAB_HOME (mode 0710 and 2710,
  group the instructors': pass, not list) and read exactly one file there,
  ``progress.json`` (which the course writes 0644, and which takes the folder's
  group): the class-progress view works from the instructor's own server, and the
  operating system keeps it from reading anything else.

When a server stops, every process left in the student's namespace (their
cloud, kernels, terminals) is ended, then the namespace is removed.
Needs root for the Hub and iproute2's ``ip``; ``setpriv`` (util-linux) drops
to the student's user id inside the namespace.
"""
from __future__ import annotations

import asyncio
import grp
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
    instructors_group = Unicode("awslab-instructors", config=True,
                                help="The Unix group that may read each student's progress.json and nothing else of "
                                     "theirs; the Hub's admin users run in it. Without such a group on the machine, "
                                     "group id uid_base - 1 (no entry) stands for it.")

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

    def instructors_gid(self) -> int:
        try:
            return grp.getgrnam(self.instructors_group).gr_gid
        except KeyError:
            return self.uid_base - 1

    def groups(self, account: StudentAccount) -> tuple[int, ...]:
        """The groups the student's processes keep: a real account's own; an instructor (a Hub admin) also the
        instructors' group; a student without an account none."""
        groups = set()
        try:
            groups.update(os.getgrouplist(self.user.name, account.gid))
        except KeyError:  # no account: no groups but their own
            pass
        if self.user.admin:
            groups.add(self.instructors_gid())
        groups.discard(0)
        return tuple(sorted(groups))

    @property
    def home_dir(self) -> str:
        return str(self.account().home)

    def make_preexec_fn(self, name):
        home = self.home_dir

        def preexec():  # runs as root before `ip netns exec`; setpriv drops to the student after it
            os.chdir(home)
            os.umask(0o077)  # what the student makes is theirs alone (progress.json is written 0644 on purpose)
        return preexec

    def user_env(self, env):
        account = self.account()
        env.update(USER=self.user.name, LOGNAME=self.user.name, HOME=str(account.home), SHELL="/bin/bash",
                   TMPDIR=str(account.home / ".tmp"))
        return env

    def _prepare_home(self, account: StudentAccount) -> None:
        """The class root (others pass), ``home/`` (instructors list it), the student's home and AWSLAB_HOME.

        A home made here is the student's, 0710, group the instructors'; a real account's home is left as it is.
        Their AWSLAB_HOME is 2710 (setgid: progress.json, written inside, takes the instructors' group).
        """
        root, instructors = Path(self.class_root), self.instructors_gid()
        root.mkdir(mode=0o711, parents=True, exist_ok=True)
        if not root.stat().st_mode & 0o001:
            raise RuntimeError(f"students cannot reach their homes under {root}: its mode is "
                               f"{root.stat().st_mode & 0o777:o}; make it 0711 (chmod 711 {root}): others may "
                               f"pass through it to their own home, not list or read it")
        homes = root / "home"
        homes.mkdir(exist_ok=True)
        os.chown(homes, 0, instructors)
        os.chmod(homes, 0o751)
        made_here = account.home.parent == homes
        folders = ([(account.home, 0o710)] if made_here else []) + [(account.home / ".awslab", 0o2710),
                                                                   (account.home / ".tmp", 0o700)]
        for folder, mode in folders:
            folder.mkdir(parents=True, exist_ok=True)
            os.chown(folder, account.uid, instructors if mode != 0o700 else account.gid)
            os.chmod(folder, mode)

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
        self.cmd = network.exec_prefix(account.uid, account.gid, self.groups(account)) + self._server_cmd
        self.ip = network.student_address
        return await super().start()

    async def stop(self, now=False):
        await super().stop(now=now)
        network = self.student_network()
        await asyncio.to_thread(network.end_processes)
        await asyncio.to_thread(network.delete)

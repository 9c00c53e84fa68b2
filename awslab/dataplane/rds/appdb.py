"""The web app on an instance talks to its RDS database as on EC2: by the endpoint's name, from its own address.

On EC2 the app's user data writes ``AWSLAB_DB_URL`` (``mysql://admin:<password>@<endpoint>:3306/awslab``;
the password fetched from Secrets Manager at boot) and the app connects with PyMySQL. Here the same
URL is read from the instance's user data (``describe-instance-attribute --attribute userData``) and the
password from the same secret, and the connection starts from the instance's loopback address, so the DB
instance's security group sees the app server as the source, exactly as on AWS. The endpoint's name
resolves to where the DB instance is now (after a Multi-AZ failover: the new primary).

An instance whose user data names no MySQL database keeps the data plane's local SQLite stand-in.
"""
from __future__ import annotations

import base64
import json
import re
import shlex
import socket
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any, Callable

from ...webapp.app import Database

__all__ = ["AppDatabase", "AppDatabases", "db_settings", "DbSettings"]

_SECRET_ID = re.compile(r"--secret-id\s+(\S+)")
#: The app's connect and read timeout (webapp.app.Database's default), in simulated seconds.
APP_CONNECT_TIMEOUT_S = 5.0
MIN_TIMEOUT_S = 0.5
_PLAIN_URL = re.compile(r'^AWSLAB_DB_URL="((?:[^"\\]|\\.)*)"$', re.M)


@dataclass(frozen=True)
class DbSettings:
    """What the user data tells the app: the URL (``{password}`` where the secret's password goes) and the secret."""

    url: str
    secret_arn: str | None = None


def db_settings(user_data: str | None) -> DbSettings | None:
    """The app's MySQL settings in ``user_data`` (what :func:`awslab.webapp.user_data` writes), or None."""
    if not user_data:
        return None
    secret = _SECRET_ID.search(user_data)
    for line in user_data.splitlines():
        if secret and line.startswith("printf 'AWSLAB_DB_URL="):
            try:
                url = shlex.split(line)[2]  # the shell's words: the URL with "$DB_PASSWORD" left in it
            except (ValueError, IndexError):
                return None
            if url.startswith("mysql") and "$DB_PASSWORD" in url:
                url = url.replace("{", "{{").replace("}", "}}").replace("$DB_PASSWORD", "{password}")
                return DbSettings(url, shlex.split(secret.group(1))[0])
    plain = _PLAIN_URL.search(user_data)
    if plain:
        url = re.sub(r"\\(.)", r"\1", plain.group(1))
        return DbSettings(url.replace("{", "{{").replace("}", "}}")) if url.startswith("mysql") else None
    return None


class AppDatabase:
    """The database an instance's app uses: its RDS endpoint when its user data names one, else ``fallback``."""

    def __init__(self, owner: "AppDatabases", instance_id: str, private_ip: str, fallback: Database | None):
        self.owner, self.instance_id, self.private_ip, self.fallback = owner, instance_id, private_ip, fallback

    def products(self):
        db = self.owner.database(self.instance_id, self.private_ip) or self.fallback
        if db is None:
            raise RuntimeError("no database configured (start the app with --db-url)")
        return db.products()

    def close(self) -> None:
        self.owner.forget(self.instance_id)


class AppDatabases:
    """Each instance's database settings (read in the reader thread) and connections (used in the app's threads).

    ``opener(private_ip, host, port, timeout) -> socket``: a TCP connection from the instance's address.
    ``time_scale()``: wall seconds per simulated second; the app's 5 s connect timeout is simulated time, like
    the ALB's idle timeout it must stay under (at 25x both are 25 times shorter), but never under
    :data:`MIN_TIMEOUT_S` of wall time, so a busy machine does not fail a query that AWS would answer.
    """

    def __init__(self, opener: Callable[[str, str, int, float], socket.socket],
                 time_scale: Callable[[], float] = lambda: 1.0):
        self.opener, self.time_scale = opener, time_scale
        self.settings: dict[str, DbSettings | None] = {}
        self.urls: dict[str, str] = {}
        self._dbs: dict[str, tuple[str, Database]] = {}
        self._passwords: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def read(self, ec2: Any, secrets: Any, running: list[str]) -> None:
        """For each running instance not seen yet, its user data's settings; then each URL with its password."""
        for iid in running:
            if iid not in self.settings:
                self.settings[iid] = db_settings(_user_data(ec2, iid))
        for iid in [i for i in self.settings if i not in running]:
            self.settings.pop(iid, None)
            self.urls.pop(iid, None)
        for iid, s in list(self.settings.items()):
            if s is None:
                continue
            password = self._password(secrets, s.secret_arn) if s.secret_arn else ""
            self.urls[iid] = s.url.format(password=urllib.parse.quote(password or "", safe=""))

    def _password(self, secrets: Any, arn: str) -> str | None:
        if self._passwords.get(arn) is None:
            try:
                self._passwords[arn] = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])["password"]
            except Exception:  # a missing secret or a role that can't read it: the app can't log in, as on EC2
                self._passwords[arn] = None
        return self._passwords[arn]

    def for_instance(self, instance_id: str, private_ip: str, fallback: Database | None) -> AppDatabase:
        """What :class:`~awslab.dataplane.instances.InstanceHost` gives the instance's app as its database."""
        return AppDatabase(self, instance_id, private_ip, fallback)

    def database(self, instance_id: str, private_ip: str) -> Database | None:
        url = self.urls.get(instance_id)
        if url is None:
            return None
        with self._lock:
            kept = self._dbs.get(instance_id)
            timeout = max(APP_CONNECT_TIMEOUT_S * self.time_scale(), MIN_TIMEOUT_S)
            if kept is None or kept[0] != url or kept[1].timeout != timeout:
                if kept is not None:
                    kept[1].close()
                db = Database(url, timeout, opener=lambda host, port, t: self.opener(private_ip, host, port, t))
                kept = self._dbs[instance_id] = (url, db)
        return kept[1]

    def forget(self, instance_id: str) -> None:
        with self._lock:
            kept = self._dbs.pop(instance_id, None)
        if kept is not None:
            kept[1].close()

    def close_all(self) -> None:
        for iid in list(self._dbs):
            self.forget(iid)


def _user_data(ec2: Any, instance_id: str) -> str | None:
    try:
        got = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
        value = got.get("UserData", {}).get("Value")
    except Exception:
        return None
    return base64.b64decode(value).decode("utf-8", "replace") if value else None

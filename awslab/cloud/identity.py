"""Who a running cloud is: its process id, its boot id, and the token its control API asks for.

- The **boot id** is new every time a cloud process starts. The cloud keeps
  everything in memory, so a new boot id means every resource is gone; a lab
  that remembers the boot id it was built on can tell (:mod:`awslab.cloud.outage`).
  ``GET /_awslab/health`` carries it, and every response carries it in the
  ``X-Awslab-Boot-Id`` header.
- The **token** guards the control API (``/_awslab/``: the clock, faults, reset).
  The cloud writes a fresh one at start to ``$AWSLAB_HOME/cloud-<port>.token``,
  readable by its owner only (0600); the Lab, the CLI, the drills and the tests
  send it in the ``X-Awslab-Token`` header (:mod:`awslab.cloud.client`). A web
  page cannot send a custom header without asking first, and the cloud refuses
  to be asked (:mod:`awslab.cloud.guard`), so no page can drive the cloud.
"""
from __future__ import annotations

import os
import secrets
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from .. import config

__all__ = ["BOOT_ID", "BOOT_HEADER", "TOKEN_HEADER", "current_token", "health_fields", "issue_token", "read_token",
           "token_path", "withdraw_token"]

#: This process's boot id (meaningful in the cloud process; each process gets its own).
BOOT_ID = uuid.uuid4().hex
STARTED_AT = time.time()
TOKEN_HEADER = "X-Awslab-Token"
BOOT_HEADER = "X-Awslab-Boot-Id"

_issued: dict[str, str] = {}  # "port" -> the token this process wrote


def token_path(port: int, home: Path | None = None) -> Path:
    """``$AWSLAB_HOME/cloud-<port>.token``: where the cloud on ``port`` keeps its control-API token."""
    return (home or config.home()) / f"cloud-{config.check_port(port)}.token"


def issue_token(port: int) -> str:
    """Cloud side: write a fresh token for ``port``, owner-only from its first byte; return it.

    The file is created 0600 under a temporary name and renamed over the old one,
    so a reader sees either the old token or the new one, never half a token.
    """
    token = secrets.token_urlsafe(32)
    path = token_path(port)
    spare = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(token)
    os.replace(spare, path)
    _issued[str(port)] = token
    return token


def withdraw_token(port: int) -> None:
    """Cloud side, at shutdown: remove the token file if it still holds this process's token."""
    token = _issued.pop(str(port), None)
    if token and read_token(port) == token:
        token_path(port).unlink(missing_ok=True)


def current_token(port: int) -> str | None:
    """Cloud side: the token this process issued for ``port`` (None before it has)."""
    return _issued.get(str(port))


def read_token(port: int, home: Path | None = None) -> str | None:
    """Client side: the token of the cloud on ``port``, or None when there is no token file."""
    try:
        return token_path(port, home).read_text().strip() or None
    except OSError:
        return None


def health_fields() -> dict:
    """What ``GET /_awslab/health`` says about the process: pid, boot id, start time, where its token is."""
    fields = {"pid": os.getpid(), "boot_id": BOOT_ID,
              "started_at": datetime.fromtimestamp(STARTED_AT, timezone.utc).isoformat(timespec="seconds")}
    for port in _issued:
        fields["token_file"] = str(token_path(int(port)))
    return fields

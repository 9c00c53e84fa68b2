"""A student's own access key for their embedded cloud: what keeps a neighbour's boto3 out of it.

On a laptop the embedded cloud accepts any credentials, as LocalStack does: only
its owner's programs run there. On a machine shared by a class (JupyterHub with a
local spawner), every student's cloud listens on the same loopback, so student B's
boto3 could otherwise change student A's cloud by pointing at A's port.

**Class mode** (``AWSLAB_CLASS=1`` in the cloud's environment) closes that door
the way AWS does: each request must be signed (Signature Version 4) with the
cloud owner's access key, and the cloud checks the signature with botocore's own
signer (:mod:`awslab.cloud.wire.signature`). The key is made once per
``AWSLAB_HOME`` and kept in ``$AWSLAB_HOME/aws/credentials``, a standard AWS
shared-credentials file, owner-only (0600), so the student's plain boto3 and AWS
CLI find it unchanged through ``AWS_SHARED_CREDENTIALS_FILE`` or
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` (the Hub's spawner sets both).
The key survives a restart of the cloud, so a notebook's clients keep working.

Off by default: without ``AWSLAB_CLASS`` nothing here runs and any key is accepted.
"""
from __future__ import annotations

import base64
import configparser
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..errors import AwslabError
from ..i18n import N_, _

__all__ = ["AccessKey", "class_mode", "credentials_path", "ensure", "read", "embedded_credentials"]

#: The environment variable that switches class mode on for a cloud and for the clients of that home.
CLASS_VARIABLE = "AWSLAB_CLASS"
#: The profile the credentials file holds the key under (``default``: boto3 and the CLI read it with no flag).
PROFILE = "default"

BROKEN = N_("{path} holds no complete access key (a [default] section with aws_access_key_id and "
            "aws_secret_access_key), so your embedded cloud cannot tell your requests from a neighbour's.")
BROKEN_FIX = N_("Delete {path}; awslab makes a new key there when the cloud starts (awslab cloud stop, then start).")


@dataclass(frozen=True)
class AccessKey:
    """An access key id (``AKIA`` and 16 characters, as IAM makes them) and its secret (40 characters)."""

    access_key_id: str
    secret_access_key: str

    def as_client_kwargs(self) -> dict[str, str]:
        """The keyword arguments boto3's ``client()`` takes."""
        return {"aws_access_key_id": self.access_key_id, "aws_secret_access_key": self.secret_access_key}


def class_mode() -> bool:
    """Is class mode on (``AWSLAB_CLASS`` is 1, true, yes or on)?"""
    return os.environ.get(CLASS_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


def credentials_path(home: Path | None = None) -> Path:
    """``$AWSLAB_HOME/aws/credentials``: the student's key, in the AWS CLI's own file format."""
    return (home or config.home()) / "aws" / "credentials"


def _new_key() -> AccessKey:
    # IAM's access key ids are AKIA + 16 characters of A-Z and 2-7 (base32); secrets are 40 characters.
    key_id = "AKIA" + base64.b32encode(secrets.token_bytes(10)).decode()[:16]
    secret = base64.b64encode(secrets.token_bytes(30)).decode()[:40]
    return AccessKey(key_id, secret)


def read(home: Path | None = None) -> AccessKey | None:
    """The key in ``home``'s credentials file, or None when there is none (or it holds no complete key)."""
    parser = configparser.ConfigParser()
    try:
        parser.read_string(credentials_path(home).read_text())
    except (OSError, configparser.Error):
        return None
    section = parser[PROFILE] if parser.has_section(PROFILE) else {}
    key_id, secret = section.get("aws_access_key_id"), section.get("aws_secret_access_key")
    return AccessKey(key_id.strip(), secret.strip()) if key_id and secret else None


def ensure(home: Path | None = None) -> AccessKey:
    """The key of ``home``, made (owner-only from its first byte) if it has none yet. Idempotent, and safe when
    the cloud and a notebook make it at the same moment: the first file written wins, and both read it."""
    existing = read(home)
    if existing is not None:
        return existing
    key = _new_key()
    path = credentials_path(home)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    spare = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")  # one per writer, thread or process
    fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(f"[{PROFILE}]\naws_access_key_id = {key.access_key_id}\n"
                f"aws_secret_access_key = {key.secret_access_key}\n")
    try:  # link, not rename: if another process made the key meanwhile, theirs stays and is the one returned
        os.link(spare, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(spare)
    existing = read(home)
    if existing is None:
        raise AwslabError(_(BROKEN).format(path=path), _(BROKEN_FIX).format(path=path))
    return existing


def embedded_credentials() -> dict[str, str]:
    """The credentials awslab's own clients send to the embedded cloud: the student's key in class mode,
    otherwise LocalStack's ``test``/``test`` (any key works then)."""
    if class_mode():
        return ensure().as_client_kwargs()
    return dict(config.EMBEDDED_CREDENTIALS)

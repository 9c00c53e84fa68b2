"""Settings that every part of awslab shares, in one place.

Everything here can be overridden with an environment variable, so a
notebook, the CLI and the embedded cloud process always agree.
"""
from __future__ import annotations

import os
from pathlib import Path

#: The region the seed notes use (Seoul). ``AWSLAB_REGION`` or ``AWS_DEFAULT_REGION`` change it.
DEFAULT_REGION = "ap-northeast-2"

#: The embedded cloud listens where LocalStack does, so ``awslocal`` and
#: localstack-client work against it unchanged.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566

#: Every resource awslab creates carries this tag; its value is the lab's name.
#: Teardown finds resources by it, so it works after any restart.
LAB_TAG = "awslab:lab"
#: The layer that created a resource (network, security, ...).
LAYER_TAG = "awslab:layer"

#: Credentials the embedded cloud accepts (any value works; these are LocalStack's).
EMBEDDED_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def region() -> str:
    """The region to use: ``AWSLAB_REGION``, then ``AWS_DEFAULT_REGION``, then ap-northeast-2."""
    return os.environ.get("AWSLAB_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def port() -> int:
    """The embedded cloud's port (``AWSLAB_PORT``, default 4566)."""
    return int(os.environ.get("AWSLAB_PORT", DEFAULT_PORT))


def endpoint_url() -> str:
    """The embedded cloud's URL, http://127.0.0.1:4566 unless ``AWSLAB_PORT`` says otherwise."""
    return f"http://{DEFAULT_HOST}:{port()}"


def home() -> Path:
    """Where awslab keeps its files: the cloud's pid file, CLI logs and key pairs.

    ``AWSLAB_HOME`` overrides the default of ``~/.awslab``.
    """
    path = Path(os.environ.get("AWSLAB_HOME") or Path.home() / ".awslab")
    path.mkdir(parents=True, exist_ok=True)
    return path

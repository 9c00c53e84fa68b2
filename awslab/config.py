"""Settings that every part of awslab shares, in one place.

Everything here can be overridden with an environment variable, so a
notebook, the CLI and the embedded cloud process always agree. Every value
that ends up in a file name (the region, the port) is checked here, before
any path is built from it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import ValidationError
from .i18n import _

#: The region the seed notes use (Seoul). ``AWSLAB_REGION`` or ``AWS_DEFAULT_REGION`` change it.
DEFAULT_REGION = "ap-northeast-2"

#: The shape of an AWS Region code: a partition prefix, one or two words, a number
#: (us-east-1, ap-northeast-2, us-gov-west-1, eusc-de-east-1). The union of the
#: ``regionRegex`` of every partition in botocore's endpoints.json; see
#: https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
REGION_PATTERN = re.compile(r"[a-z]{2,4}(-[a-z]+){1,2}-[0-9]{1,2}")

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


def check_region(value: object, source: str = "region") -> str:
    """``value`` if it has the shape of an AWS Region code; else a ValidationError naming ``source``.

    A region becomes part of file names (a lab's folder in ``AWSLAB_HOME``), so
    nothing else may pass: ``x/../../elsewhere`` is refused here, before any path exists.
    """
    if isinstance(value, str) and REGION_PATTERN.fullmatch(value):
        return value
    raise ValidationError(source, value, _("an AWS Region code looks like ap-northeast-2 or us-east-1 "
                          "(lower-case letters, hyphens and a number)"),
                          _("Use a Region code from `aws ec2 describe-regions`, for example ap-northeast-2 (Seoul)."))


def region() -> str:
    """The region to use: ``AWSLAB_REGION``, then ``AWS_DEFAULT_REGION``, then ap-northeast-2 (always checked)."""
    for variable in ("AWSLAB_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(variable):
            return check_region(os.environ[variable], variable)
    return DEFAULT_REGION


def check_port(value: object, source: str = "port") -> int:
    """``value`` as a TCP port number (1-65535); else a ValidationError naming ``source``."""
    try:
        number = int(str(value), 10)
    except ValueError:
        number = 0
    if isinstance(value, bool) or not 0 < number < 65536:
        raise ValidationError(source, value, _("a port is a whole number from 1 to 65535"),
                              _("Use the default, 4566 (LocalStack's port), or a free port such as 4577."))
    return number


def port() -> int:
    """The embedded cloud's port (``AWSLAB_PORT``, default 4566)."""
    return check_port(os.environ.get("AWSLAB_PORT", DEFAULT_PORT), "AWSLAB_PORT")


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


#: A lab's folder name (``<lab>-<backend>-<region>``): one path segment, never ``..`` or a slash.
_SEGMENT = re.compile(r"\w[\w-]*")


def lab_dir(name: str, backend: str, region_code: str) -> Path:
    """``$AWSLAB_HOME/labs/<lab>-<backend>-<region>``, built only from checked parts (not created here)."""
    folder = f"{name}-{backend}-{check_region(region_code)}"
    if not _SEGMENT.fullmatch(folder):
        raise ValidationError("lab name", name, _("a lab name is letters, digits and hyphens (it names a folder too)"),
                              _("Use a short name such as 'awslab' or 'team-7'."))
    return home() / "labs" / folder


def _csv(variable: str) -> list[str]:
    return [item.strip() for item in os.environ.get(variable, "").split(",") if item.strip()]


def allowed_hosts() -> list[str]:
    """Extra names the embedded cloud answers to: ``AWSLAB_ALLOWED_HOSTS``, ``host`` or ``host:port``, comma-separated.

    Without it the cloud answers only requests addressed to a loopback address or
    ``localhost`` on its own port (see :mod:`awslab.cloud.guard`). ``*`` accepts
    any name: only for a cloud behind something else that checks who may connect.
    """
    return [h.lower() for h in _csv("AWSLAB_ALLOWED_HOSTS")]


def cors_origins() -> list[str]:
    """Web origins allowed to call the AWS APIs from a browser (``AWSLAB_CORS_ORIGINS``; none by default)."""
    return [o.rstrip("/").lower() for o in _csv("AWSLAB_CORS_ORIGINS")]

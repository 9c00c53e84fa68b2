"""The lab's web app, and the EC2 user data that installs it.

:mod:`awslab.webapp.app` is one standard-library-only file. The user data from
:func:`user_data` copies that file onto an Amazon Linux 2023 instance, installs a
systemd unit and starts it, so each instance launched from the launch template
serves ``/``, ``/health`` and ``/products`` without any other set-up.
"""
from __future__ import annotations

import base64
import gzip
import re
import shlex
from pathlib import Path

from .app import AppState, Database, Identity, Request, Response, WebApp, config_problem, imds_identity, respond, serve
from .cwagent import LOG_DIR, agent_lines

__all__ = ["APP_SOURCE", "USER_DATA_LIMIT", "user_data", "user_data_base64", "AppState", "Database", "Identity",
           "Request", "Response", "WebApp", "imds_identity", "respond", "serve", "with_app_config", "app_config_of",
           "config_problem"]

#: The app's source file; the user data embeds it verbatim.
APP_SOURCE = Path(__file__).with_name("app.py")
#: "User data is limited to 16 KB, in raw form, before it is base64-encoded."
#: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html
USER_DATA_LIMIT = 16 * 1024
#: Where the app, its settings and its fault file live on the instance.
APP_DIR = "/opt/awslab"
UNIT = "awslab-webapp"
_EOF = "AWSLAB_APP_PY_EOF"

# PyMySQL on AL2023: the distro package name python3-PyMySQL is UNCONFIRMED for AL2023's repositories,
# so the script tries it first and falls back to pip (python3-pip is an AL2023 package).
_PYMYSQL = "dnf install -y python3-PyMySQL || { dnf install -y python3-pip && pip3 install 'pymysql>=1.0,<2'; }"

_UNIT_FILE = f"""[Unit]
Description=awslab web app (/, /health, /products)
After=network-online.target
Wants=network-online.target

[Service]
EnvironmentFile=-{APP_DIR}/app.env
ExecStart=/usr/bin/python3 {APP_DIR}/app.py --port {{port}} --fault-file {APP_DIR}/fault --log-dir {LOG_DIR}
# systemd creates {LOG_DIR}, writable by the service's user (access.log, error.log).
LogsDirectory=awslab
# Least privilege: a throwaway user that may bind a port below 1024 and nothing more.
DynamicUser=yes
AmbientCapabilities=CAP_NET_BIND_SERVICE
Restart=always
RestartSec=2
# A drilled crash (exit 70) stays down, so the load balancer and Auto Scaling must notice it.
RestartPreventExitStatus=70

[Install]
WantedBy=multi-user.target
"""


def _env_line(name: str, value: str) -> str:
    """A systemd EnvironmentFile line; double quotes with backslash escapes keep any value intact."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{name}="{escaped}"'


def _secret_lines(db_url: str, secret_arn: str) -> list[str]:
    """Shell lines that put the password from Secrets Manager into the URL (bounded retries: IAM is eventually consistent)."""
    region = secret_arn.split(":")[3]
    scheme, rest = db_url.split("://", 1)
    user, hostpart = rest.split("@", 1)
    quote = 'import json,sys,urllib.parse; print(urllib.parse.quote(json.load(sys.stdin)["password"], safe=""))'
    return ["set +x  # the password must not reach the cloud-init log",
            "for attempt in 1 2 3 4 5 6; do",
            f"  DB_PASSWORD=$(aws secretsmanager get-secret-value --region {region} --secret-id {shlex.quote(secret_arn)} "
            f"--query SecretString --output text | python3 -c {shlex.quote(quote)}) && break",
            "  sleep 10",
            "done",
            f"printf 'AWSLAB_DB_URL=\"%s\"\\n' {shlex.quote(scheme + '://' + user + ':')}\"$DB_PASSWORD\"{shlex.quote('@' + hostpart)} "
            f"> {APP_DIR}/app.env",
            "unset DB_PASSWORD",
            "set -x"]


def user_data(port: int = 80, db_url: str | None = None, db_secret_arn: str | None = None,
              app_config: str | None = None, log_group: str | None = None) -> str:
    """A bash script for Amazon Linux 2023 that installs and starts the web app on ``port``.

    It writes the app to /opt/awslab/app.py, the database URL (if any) to a root-only
    env file, a systemd unit, and starts it. A drill breaks the app by writing
    "unhealthy", "hang", "slow 3" or "crash" into /opt/awslab/fault.

    With ``db_secret_arn`` (RDS's managed master-user secret), ``db_url`` carries no
    password: at boot the script asks Secrets Manager for it with the AWS CLI that
    AL2023 ships, using the instance profile's role, and never echoes it to the log.
    With ``log_group``, it also installs the CloudWatch agent and configures it to send the app's
    access and error logs to that group, one stream each per instance (:mod:`.cwagent`).
    If the app would push the script past EC2's 16 KB limit, it is embedded gzip+base64.
    ``app_config`` (JSON text) is the release's settings, see :func:`with_app_config`.
    """
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise ValueError(f"port must be 1-65535, not {port!r}")
    source = APP_SOURCE.read_text()
    assert _EOF not in source
    lines = ["#!/bin/bash", "# awslab: install and start the lab's web app (runs once, as root, at first boot).",
             "set -euxo pipefail", f"mkdir -p {APP_DIR}"]
    if db_url and db_url.startswith("mysql"):
        lines.append(_PYMYSQL)
    if db_url and db_secret_arn:
        lines += [f"install -m 600 /dev/null {APP_DIR}/app.env"] + _secret_lines(db_url, db_secret_arn)
    elif db_url:
        lines += [f"install -m 600 /dev/null {APP_DIR}/app.env",
                  f"cat > {APP_DIR}/app.env <<'{_EOF}'", _env_line("AWSLAB_DB_URL", db_url), _EOF]
    unit = _UNIT_FILE.replace("{port}", str(port))
    lines += [f"cat > /etc/systemd/system/{UNIT}.service <<'{_EOF}'", unit.rstrip("\n"), _EOF]
    lines += _config_lines(app_config) if app_config is not None else []
    tail = ["systemctl daemon-reload", f"systemctl enable --now {UNIT}"] + (agent_lines(log_group) if log_group else [])
    verbatim = "\n".join(lines + [f"cat > {APP_DIR}/app.py <<'{_EOF}'", source.rstrip("\n"), _EOF] + tail) + "\n"
    if len(verbatim.encode()) <= USER_DATA_LIMIT:
        return verbatim
    packed = base64.b64encode(gzip.compress(source.encode(), mtime=0)).decode()
    lines.append("# The app is awslab/webapp/app.py, packed with gzip and base64 to fit EC2's 16 KB user data limit.")
    return "\n".join(lines + [f"base64 -d <<'{_EOF}' | gunzip > {APP_DIR}/app.py", packed, _EOF] + tail) + "\n"


def user_data_base64(port: int = 80, db_url: str | None = None, db_secret_arn: str | None = None,
                     app_config: str | None = None, log_group: str | None = None) -> str:
    """The user data base64-encoded, as a launch template's ``UserData`` field wants it."""
    return base64.b64encode(user_data(port, db_url, db_secret_arn, app_config, log_group).encode()).decode()


_CONFIG_MARK = "# awslab: the release's settings (AWSLAB_APP_CONFIG, JSON)"
_CONFIG_LINE = re.compile(r'^AWSLAB_APP_CONFIG="((?:[^"\\]|\\.)*)"$', re.M)


def _config_lines(app_config: str) -> list[str]:
    """Append the release's settings to the app's root-only environment file (kept if the database wrote it)."""
    if "\n" in app_config or "\r" in app_config:
        raise ValueError("app_config must be one line of JSON (json.dumps(settings) gives one)")
    return [_CONFIG_MARK, f"( umask 077; touch {APP_DIR}/app.env )", f"cat >> {APP_DIR}/app.env <<'{_EOF}'",
            _env_line("AWSLAB_APP_CONFIG", app_config), _EOF]


def with_app_config(script: str, app_config: str) -> str:
    """``script`` (user data from :func:`user_data`) deploying a release with settings ``app_config`` instead.

    This is how a release ships its settings: a new launch template version whose user data writes
    ``AWSLAB_APP_CONFIG`` into the app's environment. Text the app cannot parse makes every instance launched
    from that version answer ``/health`` with 500 (:func:`awslab.webapp.app.config_problem`).
    """
    if "systemctl daemon-reload" not in script:
        raise ValueError("not a user data script from awslab.webapp.user_data (it has no 'systemctl daemon-reload')")
    lines = script.split("\n")
    if _CONFIG_MARK in lines:
        at = lines.index(_CONFIG_MARK)
        del lines[at:at + 5]
    at = lines.index("systemctl daemon-reload")
    lines[at:at] = _config_lines(app_config)
    return "\n".join(lines)


def app_config_of(script: str | None) -> str | None:
    """The ``AWSLAB_APP_CONFIG`` a user data script gives the app, or None."""
    found = _CONFIG_LINE.search(script or "")
    if found is None:
        return None
    return re.sub(r"\\(.)", r"\1", found.group(1))


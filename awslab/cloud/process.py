"""Start, find and stop the embedded cloud process.

The cloud runs as ``python -m awslab cloud`` in a process of its own, so a
notebook kernel can restart without losing the VPC it built. Its pid is kept
in ``$AWSLAB_HOME/cloud-<port>.pid``.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..errors import CloudNotRunning

#: The issue's promise: the cloud answers within 2 s of starting. We wait longer
#: before giving up, because a loaded machine (CI, a class of 30) is slower.
START_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class CloudProcess:
    """The embedded cloud as seen from outside: where it listens and whether it answers."""

    endpoint_url: str
    running: bool
    pid: int | None = None
    region: str | None = None

    def _repr_html_(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<b>embedded cloud</b> {state} at <code>{self.endpoint_url}</code> (pid {self.pid}, region {self.region})"


def _pidfile(port: int) -> Path:
    return config.home() / f"cloud-{port}.pid"


def _health(url: str, timeout: float = 0.5) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/_awslab/health", timeout=timeout) as r:
            return json.loads(r.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((config.DEFAULT_HOST, port)) == 0


def cloud_status(port: int | None = None) -> CloudProcess:
    """Probe: is the embedded cloud answering? Changes nothing."""
    port = port or config.port()
    url = f"http://{config.DEFAULT_HOST}:{port}"
    health = _health(url)
    pid = None
    pidfile = _pidfile(port)
    if pidfile.exists():
        try:
            pid = int(pidfile.read_text().strip())
        except ValueError:
            pid = None
    return CloudProcess(url, health is not None, pid if health else None, (health or {}).get("region"))


def start_cloud(port: int | None = None, region: str | None = None, wait: bool = True) -> CloudProcess:
    """Start the cloud in the background if it isn't running; return its status."""
    port = port or config.port()
    status = cloud_status(port)
    if status.running:
        return status
    if _port_open(port):
        # Something listens. A busy cloud can be slow to answer, so ask again, patiently, before
        # concluding it is some other program.
        for _ in range(3):
            health = _health(f"http://{config.DEFAULT_HOST}:{port}", timeout=3.0)
            if health is not None:
                return CloudProcess(f"http://{config.DEFAULT_HOST}:{port}", True, None, health.get("region"))
        raise CloudNotRunning(
            f"Port {port} is taken by something that is not the awslab cloud (LocalStack, perhaps).",
            f"Stop that program, or use it as the backend with Lab(backend='endpoint', endpoint_url='http://127.0.0.1:{port}'), "
            "or pick another port with AWSLAB_PORT=4577.",
        )
    env = dict(os.environ, AWSLAB_PORT=str(port))
    if region:
        env["AWSLAB_REGION"] = region
    log = open(config.home() / f"cloud-{port}.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "awslab", "cloud", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True,
    )
    _pidfile(port).write_text(str(proc.pid))
    if not wait:
        return CloudProcess(f"http://{config.DEFAULT_HOST}:{port}", False, proc.pid, region)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CloudNotRunning(
                f"The embedded cloud exited at start (code {proc.returncode}).",
                f"Read {config.home() / f'cloud-{port}.log'}, or run `awslab cloud` in a terminal to see the error; `awslab doctor` checks the install.",
            )
        status = cloud_status(port)
        if status.running:
            return status
        time.sleep(0.05)
    proc.terminate()
    raise CloudNotRunning(f"The embedded cloud did not answer within {START_TIMEOUT_S:.0f} s.", "Run `awslab doctor`.")


def ensure_cloud(port: int | None = None) -> CloudProcess:
    """Action: make sure the cloud is running (start it if needed)."""
    return start_cloud(port)


def stop_cloud(port: int | None = None, timeout: float = 10.0) -> bool:
    """Stop the cloud process this machine started. Returns True if one was stopped.

    It waits until the port is closed, so nothing is left behind.
    """
    port = port or config.port()
    pidfile = _pidfile(port)
    if not pidfile.exists():
        return False
    try:
        pid = int(pidfile.read_text().strip())
    except ValueError:
        pidfile.unlink(missing_ok=True)
        return False
    stopped = False
    try:
        os.kill(pid, signal.SIGTERM)
        stopped = True
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (_alive(pid) or _port_open(port)):
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
    return stopped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone; reap it.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True

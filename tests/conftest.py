"""Shared fixtures: one embedded cloud per test session, on a free port, and a fresh Lab per test."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def awslab_home(tmp_path_factory) -> str:
    home = str(tmp_path_factory.mktemp("awslab-home"))
    os.environ["AWSLAB_HOME"] = home
    return home


def spawn_cloud(home: str, **env: str) -> tuple[subprocess.Popen, str]:
    """Start ``python -m awslab cloud`` on a free port with ``env`` added; return (process, url) once it answers.

    Its output goes to ``<home>/cloud-<port>.log`` (a pipe nobody reads would fill up and stall the cloud).
    """
    port = free_port()
    full_env = dict(os.environ, AWSLAB_PORT=str(port), AWSLAB_HOME=home, **env)
    log_path = os.path.join(home, f"cloud-{port}.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "awslab", "cloud", "--port", str(port)], env=full_env,
                                stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a cloud starts in 2-5 s; a machine at load 15 took over 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_awslab/health", timeout=0.5)
            return proc, url
        except OSError:
            if proc.poll() is not None:
                with open(log_path, errors="replace") as log:
                    raise RuntimeError(log.read())
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("embedded cloud did not start")


def stop_spawned(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def cloud_url(awslab_home):
    """A real embedded cloud process (``python -m awslab cloud``) for the whole session."""
    proc, url = spawn_cloud(awslab_home)
    os.environ["AWSLAB_PORT"] = url.rsplit(":", 1)[1]
    yield url
    stop_spawned(proc)


@pytest.fixture
def lab(cloud_url):
    """A Lab with a unique name on the session's embedded cloud."""
    from awslab import Lab

    return Lab(name="t" + uuid.uuid4().hex[:8], backend="embedded", endpoint_url=cloud_url)


def control(cloud_url: str, method: str, path: str, body: dict | None = None):
    """Call the embedded cloud's control API (``/_awslab/<path>``) through awslab's one control client.

    Raises ``urllib.error.HTTPError`` for an error answer, as urllib does.
    """
    from awslab.cloud.client import ControlClient

    return ControlClient(cloud_url, timeout=30).request(method, path, body)


@contextlib.contextmanager
def clock(cloud_url: str, **settings):
    """The cloud's simulated clock with ``settings`` (``mode``, ``speed``, ``paused``), restored afterwards."""
    before = control(cloud_url, "GET", "clock")
    control(cloud_url, "POST", "clock", settings)
    try:
        yield
    finally:
        control(cloud_url, "POST", "clock", {"mode": before["mode"], "speed": before["speed"], "paused": before["paused"]})

"""Shared by the bench scripts: replace one benchmark's section of docs/benchmarks.md, start a cloud process."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "benchmarks.md"


def write_section(name: str, section: str) -> None:
    """Put ``section`` between ``<!-- name:start -->`` and ``<!-- name:end -->`` (replacing an earlier run's)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{section}\n{end}"
    current = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if start in current and end in current:
        current = current[: current.index(start)] + block + current[current.index(end) + len(end):]
    else:
        current = current.rstrip("\n") + "\n\n" + block + "\n"
    DOCS.write_text(current)


def wait_http(url: str, timeout: float = 60) -> None:
    """Until ``url`` answers at all (an HTTP error is an answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:g} s")


def start_cloud(home: str, port: int, **env: str) -> subprocess.Popen:
    """``python -m awslab cloud`` from this checkout on ``port``, ready to serve; ``env`` adds settings."""
    full = dict(os.environ, AWSLAB_PORT=str(port), AWSLAB_HOME=home, PYTHONPATH=str(REPO), **env)
    proc = subprocess.Popen([sys.executable, "-m", "awslab", "cloud", "--port", str(port)], env=full,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/_awslab/health")
    except RuntimeError:
        proc.kill()
        raise
    return proc

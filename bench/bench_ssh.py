"""Benchmark: SSH connect time to the bastion, and through it with ``ssh -J``, with the stock OpenSSH client.

One embedded cloud (a fresh home, a free port) with the world of ``tests/dataplane/test_dataplane_ssh.py``: a
bastion in a public subnet (22 from 127.0.0.1/32) and an app server in a private one (22 from the bastion's group).
Each sample is one whole ``ssh ... hostname`` as a student types it: the ssh process starts, connects, exchanges
keys, authenticates with the key, runs ``hostname`` in the simulated shell and exits. ``-J`` adds a second SSH
session (to the bastion) and a relayed TCP connection from the bastion's address. The asyncssh row is the
handshake and authentication alone, in process (no ssh process to start), for comparison.

Usage: ``python bench/bench_ssh.py [--count 40] [--no-write]``. Results replace this benchmark's section of
docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from _report import machine, write_section  # noqa: E402

import asyncssh  # noqa: E402

from tests.dataplane.test_dataplane_service import start_cloud, stop_cloud  # noqa: E402
from tests.dataplane.test_dataplane_ssh import SSH_OPTS, _build, known_hosts  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _time_ssh(config: Path, args: list[str], count: int) -> list[float]:
    out = []
    for _ in range(count):
        t0 = time.perf_counter()
        done = subprocess.run(["ssh", "-F", str(config), *SSH_OPTS, *args, "hostname"], capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
        out.append((time.perf_counter() - t0) * 1000)
        if done.returncode != 0:
            raise SystemExit(f"ssh failed: {done.stderr.strip()}")
    return out


def _time_asyncssh(w: dict, count: int) -> list[float]:
    ep = w["endpoints"][w["bastion"]]
    known = known_hosts(ep)
    key = asyncssh.read_private_key(str(w["keys"] / "lab-key"))

    async def once() -> float:
        t0 = time.perf_counter()
        async with asyncssh.connect(ep["host"], ep["port"], known_hosts=known, username="ec2-user",
                                    client_keys=[key], config=None, agent_path=None):
            took = (time.perf_counter() - t0) * 1000
        return took

    async def run() -> list[float]:
        return [await once() for _ in range(count)]

    return asyncio.run(run())


def _row(name: str, ms: list[float]) -> str:
    return (f"| {name} | {len(ms)} | {statistics.median(ms):.0f} | {_percentile(ms, 0.99):.0f} | "
            f"{min(ms):.0f} | {max(ms):.0f} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=40, help="samples per row (default 40)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="awslab-bench-ssh-") as home:
        proc, url = start_cloud(Path(home))
        try:
            w = _build(url, Path(home))
            bastion, app = f"ec2-user@{w['bastion_ip']}", f"ec2-user@{w['app_ip']}"
            _time_ssh(w["config"], [bastion], 3)  # warm up (imports, first host key load)
            rows = [_row("`ssh ec2-user@<bastion> hostname`", _time_ssh(w["config"], [bastion], args.count)),
                    _row("`ssh -J ec2-user@<bastion> ec2-user@<app> hostname`",
                         _time_ssh(w["config"], ["-J", bastion, app], args.count)),
                    _row("asyncssh connect + key auth to the bastion (in process)", _time_asyncssh(w, args.count))]
        finally:
            stop_cloud(proc)
    body = "\n".join([
        "SSH connect time with the stock OpenSSH client (`python bench/bench_ssh.py`): each sample is a whole",
        "`ssh ... hostname` (process start, TCP, key exchange, public-key auth, one command in the simulated shell,",
        "exit), one after another. `-J` adds a second session and a relay from the bastion's own address.",
        f"Machine: {machine()}.", "",
        "| what | n | p50 (ms) | p99 (ms) | min (ms) | max (ms) |", "|---|---:|---:|---:|---:|---:|", *rows,
    ])
    print(body)
    if not args.no_write:
        write_section("bench-ssh", "SSH through the bastion: connect time", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())

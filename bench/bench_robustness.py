"""Benchmark issue 10's robustness figures: no client can freeze the cloud, and bad input gets AWS's answers.

Run: ``python bench/bench_robustness.py [SECTION ...] [--no-write] [--cloud-src DIR]``. Sections:

- ``stall``: a client sends an EC2 call's headers and half its body, then holds the connection for 12 s (as
  the issue's client did) while three probes call ``DescribeVpcs``, ``/_awslab/health`` and
  ``/_awslab/clock`` back to back. The figure is the longest any probe waited (goal: none beyond 1 s), and
  how a client that never finishes its body is answered (S3's ``400 RequestTimeout`` after the idle time).
- ``fuzz``: the malformed requests of ``tests/cloud/fuzzing.py`` (hypothesis, fresh random draws each run),
  ``--examples`` per API and for the control API, counted per API by answer class; any 5xx other than
  ``501 NotImplemented`` is listed. The cloud must answer health and ``DescribeVpcs`` afterwards.

Each section replaces its own part of docs/benchmarks.md (machine, load average, date). ``--cloud-src DIR
--label before`` runs the cloud from another checkout (e.g. ``git archive <commit> | tar -x -C DIR``) to take a
"before" figure, written to a section of its own.
Other parts of issue 10 may add sections: one function each, registered in :data:`SECTIONS`.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "benchmarks.md"
sys.path.insert(0, str(REPO))

from bench.bench_sim import machine  # noqa: E402
from tests.conftest import spawn_cloud, stop_spawned  # noqa: E402

EC2_AUTH = "AWS4-HMAC-SHA256 Credential=bench/20260101/ap-northeast-2/ec2/aws4_request, SignedHeaders=host, Signature=0"
HALF_SENT = b"Action=DescribeVpcs&Version=2016-11-15"
#: How long the issue's client held its half-sent body before giving up.
HOLD_S = 12.0


def _cloud(src: Path, **env: str):
    """A fresh cloud from the checkout ``src``; returns (process, url)."""
    home = tempfile.mkdtemp(prefix="awslab-bench-robustness-")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])
    os.chdir(src)  # ``python -m`` puts the working directory first on the path
    return spawn_cloud(home, **env)


def _half_sent(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=60)
    sock.sendall(f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {EC2_AUTH}\r\n"
                 f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(HALF_SENT) * 2}\r\n\r\n"
                 .encode() + HALF_SENT)
    return sock


def _probe(name: str, url: str, ready: threading.Barrier, stop: threading.Event, waits: dict) -> None:
    """Call one thing back to back from when all probes are ready until ``stop``; record each call's seconds."""
    import boto3

    from awslab.cloud.client import ControlClient

    ec2 = boto3.client("ec2", endpoint_url=url, region_name="ap-northeast-2", aws_access_key_id="bench",
                       aws_secret_access_key="bench")
    clock = urllib.request.Request(f"{url}/_awslab/clock", headers=ControlClient(url).headers())  # with the token
    calls: dict[str, Callable[[], object]] = {
        "DescribeVpcs": ec2.describe_vpcs,
        "/_awslab/health": lambda: urllib.request.urlopen(f"{url}/_awslab/health", timeout=120).read(),
        "/_awslab/clock": lambda: urllib.request.urlopen(clock, timeout=120).read(),
    }
    calls[name]()  # warm up: the first call loads moto's backend for the service
    ready.wait(120)
    while not stop.is_set():
        t0 = time.monotonic()
        calls[name]()
        waits[name].append(time.monotonic() - t0)


def _probed(url: str, seconds: float, during: Callable[[], None] = lambda: None,
            after: Callable[[], None] = lambda: None) -> dict[str, list[float]]:
    """Probe for ``seconds``: ``during()`` when the probes start, ``after()`` when the time is up."""
    waits: dict[str, list[float]] = defaultdict(list)
    stop, ready = threading.Event(), threading.Barrier(4)
    probes = [threading.Thread(target=_probe, args=(n, url, ready, stop, waits), daemon=True)
              for n in ("DescribeVpcs", "/_awslab/health", "/_awslab/clock")]
    for p in probes:
        p.start()
    ready.wait(120)  # every probe has its client: the clock starts now
    during()
    time.sleep(seconds)
    after()  # calls still waiting (on the old cloud, for the stalled client) finish now and count their wait
    stop.set()
    for p in probes:
        p.join(180)
    return waits


def _summary(waits: dict[str, list[float]]) -> str:
    return "; ".join(f"{name}: {len(w)} calls, longest **{max(w):.2f} s**, median {statistics.median(w) * 1000:.0f} ms"
                     for name, w in sorted(waits.items()) if w)


def stall(args: argparse.Namespace) -> str:
    """Section ``stall``: the longest wait of any call while a client holds a half-sent body."""
    proc, url = _cloud(args.cloud_src)
    try:
        urllib.request.urlopen(f"{url}/_awslab/health", timeout=30).read()
        quiet = _probed(url, 5.0)
        holder: dict = {}
        # after the hold the client gives up, as the did
        stalled = _probed(url, HOLD_S, lambda: holder.setdefault("sock", _half_sent(url)),
                          lambda: holder["sock"].close())
        never = _half_sent(url)
        t0 = time.monotonic()
        never.settimeout(60)
        try:
            answer = never.recv(200).split(b"\r\n", 1)[0].decode()
        except OSError:
            answer = "no answer within 60 s"
        answered_after = time.monotonic() - t0
        never.close()
    finally:
        stop_spawned(proc)
    longest = max(max(w) for w in stalled.values() if w)
    return "\n".join([
        f"- **Longest wait of any call while a client held a half-sent body for {HOLD_S:.0f} s: {longest:.2f} s** "
        f"({'PASS' if longest < 1 else 'FAIL'}: goal none beyond 1 s). {_summary(stalled)}",
        f"- The same probes with no stalled client (5 s): {_summary(quiet)}",
        f"- A client that never sends the rest of its body: `{answer}` after {answered_after:.1f} s (the goal: S3's "
        "`400 RequestTimeout` after its idle time, `AWSLAB_BODY_TIMEOUT_S`, then the connection closes)",
    ])


def fuzz(args: argparse.Namespace) -> str:
    """Section ``fuzz``: malformed requests per API and to the control API, counted by answer class."""
    proc, url = _cloud(args.cloud_src, AWSLAB_SIM_MODE="virtual")
    counts: dict[str, Counter] = defaultdict(Counter)
    failures: list[str] = []
    started = time.monotonic()
    try:
        _fuzz_each_api(url, args.examples, counts, failures)
        healthy = _healthy(url)
    finally:
        stop_spawned(proc)
    total = sum(sum(c.values()) for c in counts.values())
    rows = ["| API | requests | 2xx | 4xx | 501 NotImplemented | other 5xx |", "|---|---|---|---|---|---|"]
    rows += [f"| {api} | {sum(c.values())} | {c['2xx']} | {c['4xx']} | {c['501']} | {c['5xx']} |"
             for api, c in counts.items()]
    verdict = "PASS" if not failures and healthy else "FAIL"
    lines = [f"- **{total} malformed requests** to {len(counts) - 1} APIs (CloudWatch in its query and its JSON "
             f"protocol) and the control API in {time.monotonic() - started:.0f} s: **{len(failures)} answered 5xx** "
             f"other than 501 NotImplemented ({verdict}); cloud healthy afterwards: {healthy}", "", *rows]
    lines += [f"- 5xx: `{f}`" for f in failures[:20]]
    return "\n".join(lines)


def _fuzz_each_api(url: str, examples: int, counts: dict[str, Counter], failures: list[str]) -> None:
    from hypothesis import HealthCheck, given, settings

    from tests.cloud.fuzzing import CONTROL_FIELDS, SERVICES, Probe, control_probe, service_probe

    from awslab.cloud.client import ControlClient

    port = int(url.rsplit(":", 1)[1])
    routes = json.loads(urllib.request.urlopen(f"{url}/_awslab/health", timeout=30).read())["routes"]
    token = ControlClient(url).headers()  # the control fuzz is for the routes, past the guard
    for api in [*SERVICES, "control"]:
        strategy = control_probe(routes, CONTROL_FIELDS) if api == "control" else service_probe(api)

        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(strategy)
        def send(request: Probe) -> None:
            status, _, body = request.send(port, extra=token if api == "control" else None)
            counts[api][f"{status // 100}xx" if status != 501 else "501"] += 1
            if status >= 500 and not (status == 501 and b"NotImplemented" in body):
                failures.append(f"{api} {status} {request.method} {request.path} {request.body[:80]!r}")

        send()


def _healthy(url: str) -> bool:
    """The cloud answers health and an AWS call."""
    import boto3

    health = json.loads(urllib.request.urlopen(f"{url}/_awslab/health", timeout=30).read())
    ec2 = boto3.client("ec2", endpoint_url=url, region_name="ap-northeast-2", aws_access_key_id="b",
                       aws_secret_access_key="b")
    return health["status"] == "running" and ec2.describe_vpcs()["ResponseMetadata"]["HTTPStatusCode"] == 200


#: Section name -> (title in docs/benchmarks.md, function). Other parts of issue 10 add theirs here.
SECTIONS: dict[str, tuple[str, Callable[[argparse.Namespace], str]]] = {
    "stall": ("Robustness: a stalled request body", stall),
    "fuzz": ("Robustness: malformed requests (fuzz)", fuzz),
}


def write(name: str, title: str, text: str, args: argparse.Namespace) -> None:
    """Replace section ``name`` of docs/benchmarks.md (or append it); a ``--label`` ed run gets a section of its own."""
    command = f"python bench/bench_robustness.py {name}"
    if args.label:
        command += f" --cloud-src <checkout> --label '{args.label}'"
        name, title = f"{name}:{args.label}", f"{title}: {args.label}"
    start, end = f"<!-- bench_robustness:{name}:start -->", f"<!-- bench_robustness:{name}:end -->"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = f"{start}\n## {title} ({stamp})\n\n`{command}`. Machine: {machine()}.\n\n{text}\n{end}"
    current = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if start in current and end in current:
        current = current[: current.index(start)] + section + current[current.index(end) + len(end):]
    else:
        current = current.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.write_text(current)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sections", nargs="*", help=f"any of {', '.join(SECTIONS)} (default: all)")
    ap.add_argument("--examples", type=int, default=200, help="fuzz: requests per API (default 200)")
    ap.add_argument("--cloud-src", type=Path, default=REPO, help="run the cloud from this checkout (default: this one)")
    ap.add_argument("--label", default="", help="names a run from another checkout (its own section), e.g. 'before'")
    ap.add_argument("--no-write", action="store_true", help="print only; don't touch docs/benchmarks.md")
    args = ap.parse_args()
    if args.cloud_src.resolve() != REPO and not args.label:
        ap.error("--cloud-src needs a --label naming that checkout (its figures get a section of their own)")
    unknown = sorted(set(args.sections) - set(SECTIONS))
    if unknown:
        ap.error(f"no section {', '.join(unknown)}; the sections are {', '.join(SECTIONS)}")
    for name in args.sections or SECTIONS:
        title, run = SECTIONS[name]
        text = run(args)
        print(f"## {title}\n{text}\n", flush=True)
        if not args.no_write:
            write(name, title, text, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: the cloud's memory over 24 simulated hours of the full stack, and idle (issue 11 §8).

1. **Idle**: RSS of ``python -m awslab cloud`` 15 s after start, next to plain ``moto_server``
   (idle, and after one ``describe-instances`` + ``describe-load-balancers``, which load the
   EC2 and ELB backends the cloud loads at start).
2. **24 simulated hours**: the lab's whole stack (``build_stack``, realtime at 20x as a student
   builds it), then the clock switched to virtual time and, every 10 simulated minutes a surge (the seed's 100 -> 1000 users through the load model)
   or a calm spell, a fault on one instance (``unhealthy``, ``crash``, ``hang``, ``slow`` in turn,
   cleared 10 minutes later), real requests through the ALB (so the data plane, access logs and
   the CPU model all work), and ``clock/advance`` by 600 s. RSS every simulated hour.

Usage: ``python bench/bench_memory.py [--hours 24] [--no-write]``.
Results replace this benchmark's section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_dataplane import free_port  # noqa: E402
from bench_foundation import machine  # noqa: E402
from benchdocs import wait_http, write_section  # noqa: E402

FAULTS = ("unhealthy", "crash", "hang", "slow")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start(cmd: list[str], env: dict, url: str) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(url)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def cloud_env(home: str, port: int, mode: str) -> dict:
    return dict(os.environ, AWSLAB_PORT=str(port), AWSLAB_HOME=home, AWSLAB_SIM_MODE=mode, PYTHONPATH=str(REPO))


def idle(home: str) -> dict:
    port = free_port()
    cloud = start([sys.executable, "-m", "awslab", "cloud", "--port", str(port)], cloud_env(home, port, "realtime"),
                  f"http://127.0.0.1:{port}/_awslab/health")
    time.sleep(15)
    out = {"cloud": rss_mib(cloud.pid)}
    stop(cloud)
    port = free_port()
    moto = start([str(Path(sys.executable).with_name("moto_server")), "-p", str(port)], dict(os.environ),
                 f"http://127.0.0.1:{port}/moto-api/")
    time.sleep(5)
    out["moto"] = rss_mib(moto.pid)
    import boto3

    kw = dict(endpoint_url=f"http://127.0.0.1:{port}", region_name="ap-northeast-2", aws_access_key_id="t", aws_secret_access_key="t")
    boto3.client("ec2", **kw).describe_instances()
    boto3.client("elbv2", **kw).describe_load_balancers()
    out["moto_loaded"] = rss_mib(moto.pid)
    stop(moto)
    return out


def control(url: str, method: str, path: str, body: dict | None = None) -> dict:
    """``/_awslab/<path>`` through awslab's one control client (it sends the cloud's per-boot token)."""
    from awslab.cloud.client import ControlClient

    return ControlClient(url, timeout=600).request(method, path, body)


def day(home: str, hours: int) -> dict:
    """The full stack for ``hours`` simulated hours with a surge or calm, a fault and real requests every 10 minutes."""
    from awslab import Lab
    from awslab.layers.stack import build_stack

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cloud = start([sys.executable, "-m", "awslab", "cloud", "--port", str(port)], cloud_env(home, port, "realtime"),
                  f"{url}/_awslab/health")
    try:
        lab = Lab(name="m" + uuid.uuid4().hex[:6], backend="embedded", endpoint_url=url)
        build_stack(lab)  # in realtime (20x): the builders' waiters watch instances start
        control(url, "POST", "clock", {"mode": "virtual"})  # then time moves only when advanced
        control(url, "POST", "clock/advance", {"seconds": 600})
        after_build, samples, t0 = rss_mib(cloud.pid), [], time.monotonic()
        faulted: str | None = None
        for step in range(hours * 6):
            if faulted:
                control(url, "DELETE", "faults", {"instance_id": faulted})
                faulted = None
            if step % 2 == 0:
                control(url, "POST", "load", {"shape": "seed_surge", "at_s": 0})
            else:
                control(url, "POST", "load", {"shape": "steady", "rps": 20})
            faulted = _fault(url, lab, FAULTS[step % len(FAULTS)])
            _requests(url)
            control(url, "POST", "clock/advance", {"seconds": 600})
            if step % 6 == 5:
                samples.append((step // 6 + 1, rss_mib(cloud.pid)))
        timeline = len(control(url, "GET", "timeline?limit=100000"))
        return {"after_build": after_build, "samples": samples, "wall_s": time.monotonic() - t0, "timeline": timeline,
                "dataplane": control(url, "GET", "dataplane")}
    finally:
        stop(cloud)


def _fault(url: str, lab, kind: str) -> str | None:
    running = [i["InstanceId"] for r in lab.client("ec2").describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["running"]}, {"Name": "tag:aws:autoscaling:groupName", "Values": ["*"]}]
    )["Reservations"] for i in r["Instances"]]
    if not running:
        return None
    params = {"delay_ms": 800} if kind == "slow" else {}
    try:
        control(url, "POST", "faults", {"instance_id": running[0], "kind": kind, **params})
    except urllib.error.HTTPError:
        return None
    return running[0]


def _requests(url: str, n: int = 50) -> None:
    lbs = control(url, "GET", "dataplane")["load_balancers"]
    listener = next((lb["listeners"].get("80") for lb in lbs if lb["listeners"].get("80")), None)
    for _ in range(n if listener else 0):
        try:
            urllib.request.urlopen(listener + "/", timeout=5).read()
        except OSError:
            pass  # 502/503/504 while a fault bites: still a request the data plane carried


def report(idle_mib: dict, d: dict, hours: int) -> str:
    s = d["samples"]
    hourly = ", ".join(f"{h} h {m:.0f}" for h, m in s if h in (1, 2, 4, 8, 12, 16, 20, 24) or h == s[-1][0])
    grow = (s[-1][1] - s[min(3, len(s) - 1)][1]) / max(s[-1][0] - s[min(3, len(s) - 1)][0], 1)
    return "\n".join([
        f"- **Idle** (15 s after start): the cloud **{idle_mib['cloud']:.0f} MiB** RSS; plain `moto_server` "
        f"{idle_mib['moto']:.0f} MiB idle and {idle_mib['moto_loaded']:.0f} MiB once one describe-instances and one "
        f"describe-load-balancers have loaded its EC2 and ELB backends (the cloud loads them at start: the simulator "
        f"patches moto's EC2 models, and the data plane reads the APIs once).",
        f"- **{hours} simulated hour{'s' if hours != 1 else ''}** of the full stack (surge or calm, a fault and 50 real requests through the ALB every "
        f"10 simulated minutes; {d['wall_s']:.0f} s wall): RSS {d['after_build']:.0f} MiB after the build, then {hourly} MiB; "
        f"**{s[-1][1]:.0f} MiB at the end**, growing {grow:+.1f} MiB per simulated hour after hour 4; the timeline held "
        f"{d['timeline']:,} events (it rolls at 20,000).",
    ])


def write(text: str, hours: int) -> None:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    write_section("bench_memory", f"## Memory: idle and over {hours} simulated hours ({stamp})\n\n"
                  f"`python bench/bench_memory.py --hours {hours}`. Machine: {machine()}.\n\n{text}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--no-write", action="store_true", help="print only; don't touch docs/benchmarks.md")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="awslab-bench-memory-")
    try:
        text = report(idle(home), day(home, args.hours), args.hours)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(text)
    if not args.no_write:
        write(text, args.hours)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

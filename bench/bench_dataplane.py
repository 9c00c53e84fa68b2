"""Benchmark: throughput and added latency of awslab's ALB alone, against direct requests and nginx.

This is the ALB's own cost: its own process, no instance model, no simulator. What a lab user gets
through the ALB inside ``awslab cloud`` (the instance model caps it) is ``bench/bench_incloud.py``.

Runs four instances of the lab's web app (one process), then measures with
``wrk`` (Debian's package; an outside load generator):

1. **direct**: one app, no proxy;
2. **alb**: awslab's ALB (own process) over the four apps, with the full path on:
   listener rules (4 rules + default), security-group/NACL/route checks from the
   node's address, X-Forwarded-*/trace headers, access-log lines (gzip files to
   a local directory stand in for S3);
3. **alb, asyncio loop**: the same ALB with ``AWSLAB_UVLOOP=0`` (what uvloop buys, under the same load);
4. **nginx**: Debian's nginx, one worker, reverse proxy with keep-alive over the same four apps.

Usage with ``--runs N`` repeats everything and adds a table of the spread.

For each: saturation (``wrk -c32``) and a paced run near 500 req/s (a ``wrk``
Lua ``delay()`` per connection), with p50/p99. Prints a Markdown section;
``--append docs/benchmarks.md`` adds it there.

Usage: ``python bench/bench_dataplane.py [--seconds 10] [--append docs/benchmarks.md]``
Needs ``wrk`` and ``nginx`` (``apt-get install -y wrk nginx-light``); only for this benchmark.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

APPS = [("127.0.30.11", 8080), ("127.0.30.12", 8080), ("127.0.30.13", 8080), ("127.0.30.14", 8080)]
NODE = "10.30.1.250"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the processes under test ------------------------------------------------------------
async def serve_apps() -> None:
    from awslab.webapp import Identity, serve

    apps = [await serve(h, p, Identity(f"i-bench{n}", "ap-northeast-2a", "10." + h.split(".", 1)[1]))
            for n, (h, p) in enumerate(APPS)]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("apps ready", flush=True)
    await stop.wait()
    for a in apps:
        await a.aclose()


def bench_network():
    """A VPC where the ALB's group may reach the apps' group on 8080 (so every request is checked)."""
    from awslab.dataplane.netpolicy import Network

    subnets = [{"SubnetId": "subnet-pub", "VpcId": "vpc-b", "CidrBlock": "10.30.1.0/24", "AvailabilityZone": "ap-northeast-2a"},
               {"SubnetId": "subnet-app", "VpcId": "vpc-b", "CidrBlock": "10.30.0.0/24", "AvailabilityZone": "ap-northeast-2a"}]
    out = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    groups = [{"GroupId": "sg-alb", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}], "IpPermissionsEgress": out},
              {"GroupId": "sg-app", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": "sg-alb"}]}], "IpPermissionsEgress": out}]
    entries = [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": e, "CidrBlock": "0.0.0.0/0"} for e in (True, False)]
    acls = [{"NetworkAclId": "acl-b", "VpcId": "vpc-b", "IsDefault": True, "Entries": entries, "Associations": []}]
    local = {"DestinationCidrBlock": "10.30.0.0/16", "GatewayId": "local"}
    tables = [{"RouteTableId": "rtb-b", "VpcId": "vpc-b", "Associations": [{"Main": True}],
               "Routes": [local, {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-b"}]}]
    instances = [{"InstanceId": f"i-bench{n}", "PrivateIpAddress": "10." + h.split(".", 1)[1], "SubnetId": "subnet-app",
                  "VpcId": "vpc-b", "SecurityGroups": [{"GroupId": "sg-app"}]} for n, (h, _) in enumerate(APPS)]
    return Network.from_describe(subnets=subnets, security_groups=groups, network_acls=acls, route_tables=tables, instances=instances)


async def serve_alb(port: int, log_dir: str) -> None:
    from awslab.dataplane.accesslogs import AccessLogWriter
    from awslab.dataplane.alb import LoadBalancer, LoadBalancerView
    from awslab.dataplane.balancer import Target, TargetGroupView

    tg = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/bench/0123456789abcdef"
    fwd = [{"Type": "forward", "TargetGroupArn": tg}]
    rules = [{"Priority": str(p), "Conditions": c, "Actions": a} for p, c, a in [
        (1, [{"Field": "path-pattern", "Values": ["/admin/*"]}], [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "403"}}]),
        (2, [{"Field": "host-header", "Values": ["old.example.com"]}], [{"Type": "redirect", "RedirectConfig": {"Host": "new.example.com", "StatusCode": "HTTP_301"}}]),
        (3, [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Canary", "Values": ["1"]}}], fwd),
        (4, [{"Field": "path-pattern", "Values": ["/api/*", "/products"]}], fwd)]]
    rules.append({"Priority": "default", "IsDefault": True, "Conditions": [], "Actions": fwd})
    targets = [Target(f"i-bench{n}", "10." + h.split(".", 1)[1], p, "ap-northeast-2a") for n, (h, p) in enumerate(APPS)]
    view = LoadBalancerView("arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/bench/0123456789abcdef",
                            "bench", nodes={"ap-northeast-2a": NODE}, node_subnets={"ap-northeast-2a": "subnet-pub"},
                            security_groups=("sg-alb",), listeners={80: rules},
                            target_groups={tg: TargetGroupView(tg, "bench", 8080, {}, targets)})

    def put(bucket: str, key: str, data: bytes) -> None:
        Path(log_dir, key.replace("/", "_")).write_bytes(data)

    writer = AccessLogWriter(put, lambda: (True, "bench-logs", ""), "123456789012", "ap-northeast-2", "bench", "0123456789abcdef")
    lb = LoadBalancer(view, network=bench_network(), access_log=writer.add)
    await lb.start({80: ("127.0.0.1", port)})
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("alb ready", flush=True)
    while not stop.is_set():  # files are formatted and written off the event loop, as in the cloud's sync thread
        await asyncio.sleep(1)
        await asyncio.to_thread(writer.tick, time.time())
    await asyncio.to_thread(writer.flush, time.time())
    await lb.stop()


NGINX_CONF = """worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log {dir}/access.log combined buffer=64k;
  upstream apps {{ {servers} keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://apps; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
  }}
  client_body_temp_path {dir}; proxy_temp_path {dir}; fastcgi_temp_path {dir}; uwsgi_temp_path {dir}; scgi_temp_path {dir};
}}
"""


# -- measuring -------------------------------------------------------------------------
PACED = """local d = tonumber(os.getenv("WRK_DELAY_MS") or "20")
function delay() return d end
"""


def wrk(url: str, seconds: int, connections: int, script: str | None = None, env: dict | None = None) -> dict:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"] + (["-s", script] if script else []) + [url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, env={**os.environ, **(env or {})}).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = {m.group(1): _ms(m.group(2)) for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": pct.get("50"), "p99": pct.get("99"), "non2xx": int(errors.group(1)) if errors else 0}


def paced(url: str, seconds: int, script: str, rate: float = 500.0, connections: int = 20) -> dict:
    """About ``rate`` req/s: each connection waits ``delay`` ms after each answer; one calibration run first."""
    delay = connections / rate * 1000
    probe = wrk(url, 2, connections, script, {"WRK_DELAY_MS": str(int(delay))})
    latency_ms = max(connections / max(probe["rps"], 1) * 1000 - delay, 0.0)  # rate = c / (delay + latency)
    delay = max(delay - latency_ms, 1.0)
    return wrk(url, seconds, connections, script, {"WRK_DELAY_MS": str(int(delay))})


def _ms(text: str) -> float:
    num, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(num) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wait_port(host: str, port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{host}:{port} did not open")


def measure(seconds: int) -> dict:
    tmp = tempfile.mkdtemp(prefix="awslab-bench-")
    procs: list[subprocess.Popen] = []
    try:
        procs.append(subprocess.Popen([sys.executable, __file__, "--serve-apps"]))
        for h, p in APPS:
            wait_port(h, p)
        alb_port, nginx_port = free_port(), free_port()
        procs.append(subprocess.Popen([sys.executable, __file__, "--serve-alb", str(alb_port), "--log-dir", tmp]))
        plain_port = free_port()  # the same ALB on asyncio's own loop, to show what uvloop buys
        procs.append(subprocess.Popen([sys.executable, __file__, "--serve-alb", str(plain_port), "--log-dir", tmp],
                                      env={**os.environ, "AWSLAB_UVLOOP": "0"}))
        servers = " ".join(f"server {h}:{p};" for h, p in APPS)
        Path(tmp, "nginx.conf").write_text(NGINX_CONF.format(dir=tmp, servers=servers, port=nginx_port))
        procs.append(subprocess.Popen(["nginx", "-c", f"{tmp}/nginx.conf", "-g", "daemon off;"]))
        wait_port("127.0.0.1", alb_port)
        wait_port("127.0.0.1", plain_port)
        wait_port("127.0.0.1", nginx_port)
        targets = {"direct (one app)": f"http://{APPS[0][0]}:{APPS[0][1]}/", "awslab ALB": f"http://127.0.0.1:{alb_port}/",
                   "awslab ALB, asyncio loop": f"http://127.0.0.1:{plain_port}/", "nginx (1 worker)": f"http://127.0.0.1:{nginx_port}/"}
        script = Path(tmp, "paced.lua")
        script.write_text(PACED)
        results = {}
        for name, url in targets.items():
            wrk(url, 2, 8)  # warm up: connections, pools
            results[name] = {"saturation": wrk(url, seconds, 32), "paced": paced(url, seconds, str(script))}
        results["_logs"] = len(list(Path(tmp).glob("*.log.gz")))
        results["_when"], results["_load"] = datetime.now(timezone.utc), os.getloadavg()[0]
        return results
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def report(results: dict, seconds: int) -> str:
    from awslab.dataplane.loop import loop_name

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    ver = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    lines = [f"## Data plane: the ALB alone, throughput and added latency ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)", "",
             "The ALB in its own process without the instance model or the simulator: its own cost. What a lab user "
             "gets inside `awslab cloud` is the \"In the cloud\" section.", "",
             f"Machine: {cpu}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} when measured "
             f"(the machine was shared with other work), Python {platform.python_version()}, "
             f"{ver.strip()}, wrk -t1, {seconds} s per run, event loop {loop_name()} (as in the cloud). Four instances of the lab's web app in one process; "
             "`bench/bench_dataplane.py`. ALB path: 5 listener rules, SG/NACL/route check per request, "
             "X-Forwarded-*/X-Amzn-Trace-Id, access-log lines gzipped every 5 minutes.", "",
             "| setup | saturation req/s (c=32) | p50 ms | p99 ms | paced req/s (c=20) | p50 ms | p99 ms | non-2xx |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        if name.startswith("_"):
            continue
        s, p = r["saturation"], r["paced"]
        lines.append(f"| {name} | {s['rps']:.0f} | {s['p50']:.2f} | {s['p99']:.2f} | {p['rps']:.0f} | {p['p50']:.2f} | {p['p99']:.2f} | {s['non2xx'] + p['non2xx']} |")
    d, a, n = results["direct (one app)"], results["awslab ALB"], results["nginx (1 worker)"]
    lines += ["", f"- ALB throughput vs nginx: **{a['saturation']['rps'] / n['saturation']['rps']:.2f}x**; "
                  f"vs one app direct: {a['saturation']['rps'] / d['saturation']['rps']:.2f}x.",
              f"- Added latency by the ALB at ~{a['paced']['rps']:.0f} req/s: p50 **{a['paced']['p50'] - d['paced']['p50']:+.2f} ms**, "
              f"p99 **{a['paced']['p99'] - d['paced']['p99']:+.2f} ms** (nginx: p50 {n['paced']['p50'] - d['paced']['p50']:+.2f} ms, "
              f"p99 {n['paced']['p99'] - d['paced']['p99']:+.2f} ms).",
              f"- Target: >= 4000 req/s through the ALB and < 5 ms added p99 at 500 req/s: "
              f"{'met' if a['saturation']['rps'] >= 4000 else 'NOT met'} / {'met' if a['paced']['p99'] - d['paced']['p99'] < 5 else 'NOT met'}.",
              ""]
    return "\n".join(lines)


def spread(runs: list[dict]) -> str:
    """One line per run: how much the figures move on a shared machine."""
    lines = ["", f"{len(runs)} runs in a row (same commit), to show the spread:", "",
             "| time (UTC) | load avg | ALB req/s | ALB on asyncio's loop req/s | nginx req/s | direct req/s | ALB added p50 / p99 at ~500 req/s |",
             "|---|---|---|---|---|---|---|"]
    for r in runs:
        d, a = r["direct (one app)"], r["awslab ALB"]
        lines.append(f"| {r['_when']:%H:%M} | {r['_load']:.1f} | {a['saturation']['rps']:.0f} | "
                     f"{r['awslab ALB, asyncio loop']['saturation']['rps']:.0f} | {r['nginx (1 worker)']['saturation']['rps']:.0f} | "
                     f"{d['saturation']['rps']:.0f} | {a['paced']['p50'] - d['paced']['p50']:+.2f} / {a['paced']['p99'] - d['paced']['p99']:+.2f} ms |")
    alb = sorted(r["awslab ALB"]["saturation"]["rps"] for r in runs)
    lines += ["", f"- ALB saturation over the runs: min {alb[0]:.0f}, median {statistics.median(alb):.0f}, max {alb[-1]:.0f} req/s.", ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--append", help="append the Markdown section to this file")
    ap.add_argument("--runs", type=int, default=1, help="repeat the whole measurement; report the spread")
    ap.add_argument("--serve-apps", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--serve-alb", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--log-dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    from awslab.dataplane.loop import run  # the data plane's own loop choice (uvloop where available)

    if args.serve_apps:
        run(serve_apps())
        return 0
    if args.serve_alb:
        run(serve_alb(args.serve_alb, args.log_dir))
        return 0
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed: apt-get install -y wrk nginx-light")
    runs = [measure(args.seconds) for _ in range(max(args.runs, 1))]
    text = report(runs[-1], args.seconds) + (spread(runs) if len(runs) > 1 else "")
    print(text)
    if args.append:
        fresh = not os.path.exists(args.append)
        with open(args.append, "a") as f:
            f.write(("# Benchmarks\n" if fresh else "") + "\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

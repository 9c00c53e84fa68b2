"""Benchmark: what TLS termination costs awslab's ALB - requests per second and latency, HTTPS against HTTP.

One ALB (its own process, uvloop as in the cloud) with an HTTP:80 and an HTTPS:443 listener over the same four
web apps (``bench_dataplane``'s), the HTTPS one with a certificate the lab CA signed for ``bench.example.com`` and
``ELBSecurityPolicy-TLS13-1-2-2021-06`` (TLS 1.3 is negotiated). Measured with ``wrk`` (one thread), on loopback,
each run bounded in time:

1. **keep-alive**: 16 connections, many requests each - the steady cost of encrypting and decrypting;
2. **a new connection per request** (``Connection: close``), 8 connections - every request pays a TCP and, for
   HTTPS, a full TLS handshake (an RSA 2048 signature on the ALB's side).

Writes its own section of docs/benchmarks.md. Usage: ``python bench/bench_https.py [--seconds 5]``.
Needs ``wrk`` (``apt-get install -y wrk``).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import machine, write_section  # noqa: E402
from bench_dataplane import APPS, NODE, bench_network, free_port, wait_port, wrk  # noqa: E402

ARN = "arn:aws:acm:ap-northeast-2:123456789012:certificate/00000000-0000-0000-0000-00000000bench"
NAME = "bench.example.com"


def _network():
    net = bench_network()
    net.groups["sg-alb"]["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    net._cache.clear()
    return net


async def serve_alb(http_port: int, https_port: int, home: str) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from awslab.cloud import labca
    from awslab.cloud.moto_ext.acm import TlsMaterial
    from awslab.dataplane.alb import LoadBalancer, LoadBalancerView
    from awslab.dataplane.balancer import Target, TargetGroupView
    from awslab.dataplane.tls import ListenerTls

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = labca.issue(NAME, [], key.public_key(), home=Path(home))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    material = TlsMaterial(ARN, cert, b"", "ISSUED", (NAME,), pem)
    tg = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/bench/0123456789abcdef"
    rules = [{"Priority": "default", "IsDefault": True, "Conditions": [], "Actions": [{"Type": "forward", "TargetGroupArn": tg}]}]
    targets = [Target(f"i-bench{n}", "10." + h.split(".", 1)[1], p, "ap-northeast-2a") for n, (h, p) in enumerate(APPS)]
    view = LoadBalancerView("arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/bench/0123456789abcdef",
                            "bench", nodes={"ap-northeast-2a": NODE}, node_subnets={"ap-northeast-2a": "subnet-pub"},
                            security_groups=("sg-alb",), listeners={80: rules, 443: rules},
                            target_groups={tg: TargetGroupView(tg, "bench", 8080, {}, targets)},
                            tls={443: ListenerTls("ELBSecurityPolicy-TLS13-1-2-2021-06", ARN, (ARN,), {ARN: material})})
    lb = LoadBalancer(view, network=_network())
    await lb.start({80: ("127.0.0.1", http_port), 443: ("127.0.0.1", https_port)})
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("alb ready", flush=True)
    await stop.wait()
    await lb.stop()


def measure(seconds: int) -> dict:
    home = tempfile.mkdtemp(prefix="awslab-bench-https-")
    procs: list[subprocess.Popen] = []
    try:
        procs.append(subprocess.Popen([sys.executable, str(Path(__file__).parent / "bench_dataplane.py"), "--serve-apps"]))
        for h, p in APPS:
            wait_port(h, p)
        http_port, https_port = free_port(), free_port()
        procs.append(subprocess.Popen([sys.executable, __file__, "--serve-alb", str(http_port), str(https_port), home]))
        wait_port("127.0.0.1", http_port)
        wait_port("127.0.0.1", https_port)
        urls = {"HTTP": f"http://127.0.0.1:{http_port}/", "HTTPS": f"https://127.0.0.1:{https_port}/"}
        close = Path(home, "close.lua")
        close.write_text('wrk.headers["Connection"] = "close"\n')
        out = {}
        for proto, url in urls.items():
            wrk(url, 1, 4)  # warm up
            out[(proto, "keep-alive, 16 connections")] = wrk(url, seconds, 16)
            out[(proto, "new connection per request, 8 connections")] = wrk(url, seconds, 8, str(close))
        return out
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(home, ignore_errors=True)


def report(results: dict, seconds: int) -> str:
    lines = ["| connections | protocol | req/s | p50 ms | p99 ms | non-2xx |", "|---|---|---:|---:|---:|---:|"]
    for (proto, mode), r in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        lines.append(f"| {mode} | {proto} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['non2xx']} |")
    return ("One awslab ALB process (HTTP:80 and HTTPS:443, TLS 1.3 under ELBSecurityPolicy-TLS13-1-2-2021-06, an RSA 2048 "
            f"certificate from the lab CA) over four web apps, `wrk -t1` for {seconds} s per row, loopback.\n\n"
            + "\n".join(lines) + f"\n\nMachine: {machine()}.\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--serve-alb", nargs=3, metavar=("HTTP_PORT", "HTTPS_PORT", "HOME"))
    args = parser.parse_args()
    if args.serve_alb:
        from awslab.dataplane.loop import run  # the cloud's loop: uvloop when installed

        run(serve_alb(int(args.serve_alb[0]), int(args.serve_alb[1]), args.serve_alb[2]))
        return 0
    if shutil.which("wrk") is None:
        print("bench_https needs wrk (apt-get install -y wrk)", file=sys.stderr)
        return 2
    seconds = max(1, min(args.seconds, 30))
    body = report(measure(seconds), seconds)
    print(body)
    write_section("bench_https", "HTTPS against HTTP through the ALB (bench/bench_https.py)", body)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    sys.exit(main())

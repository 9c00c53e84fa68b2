"""Benchmark CloudFront's edge in the embedded cloud: hit and miss latency, and what CloudFront adds to /api/*.

Run: ``python bench/bench_cdn.py [--requests 400] [--misses 150] [--no-write]``.

A fresh cloud (realtime, 25x) gets a two-AZ stack (ALB -> two app instances) and the builder's distribution
(default behaviour -> the private bucket through its OAC, cached with CachingOptimized; ``/api/*`` -> the ALB,
CachingDisabled). The clock is paused while measuring, so no cached copy expires in between. One keep-alive
connection per path, one request at a time, all on loopback:

- **hit**: ``GET /index.html`` answered from the edge cache (``X-Cache: Hit from cloudfront``);
- **miss**: ``GET /obj-<i>.txt``, each key once (``Miss``): CloudFront reads the bucket policy and the object
  through the S3 API;
- **/api/products**: through CloudFront (CloudFront -> ALB -> app -> database), against the ALB directly
  (the traditional path), interleaved; the difference of the medians is what the CDN hop adds.
"""
from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _report import machine, write_section  # noqa: E402

from tests.conftest import control  # noqa: E402
from tests.dataplane.test_dataplane_cloudfront import client, make_site  # noqa: E402
from tests.dataplane.test_dataplane_service import build, start_cloud, stop_cloud  # noqa: E402

#: Every loop is bounded by count and by this many wall seconds.
BUDGET_S = 120.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def timed_get(conn: http.client.HTTPConnection, path: str, want: str | None = None) -> float:
    t0 = time.perf_counter()
    conn.request("GET", path)
    r = conn.getresponse()
    r.read()
    ms = (time.perf_counter() - t0) * 1000
    if r.status != 200 or (want and r.headers.get("X-Cache") != want):
        raise RuntimeError(f"{path}: {r.status} {r.headers.get('X-Cache')}")
    return ms


def connect(base: str) -> http.client.HTTPConnection:
    u = urlsplit(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def measure(url: str, requests: int, misses: int) -> dict:
    stack = build(url, 7)
    site = make_site(url, stack["lb"]["DNSName"])
    s3 = client(url, "s3")
    for i in range(misses):
        s3.put_object(Bucket=site["bucket"], Key=f"obj-{i}.txt", Body=b"x" * 1024, CacheControl="max-age=3600")
    control(url, "POST", "clock", {"paused": True})
    deadline = time.monotonic() + BUDGET_S
    edge, alb = connect(site["local"]), connect(stack["alb_url"])
    timed_get(edge, "/index.html")  # the first read fills the cache
    hits = [timed_get(edge, "/index.html", "Hit from cloudfront") for _ in range(requests) if time.monotonic() < deadline]
    miss = [timed_get(edge, f"/obj-{i}.txt", "Miss from cloudfront") for i in range(misses) if time.monotonic() < deadline]
    via_cf, direct = [], []
    for _ in range(requests):
        if time.monotonic() > deadline:
            break
        via_cf.append(timed_get(edge, "/api/products", "Miss from cloudfront"))
        direct.append(timed_get(alb, "/api/products"))
    stats = [d for d in control(url, "GET", "cloudfront")["distributions"] if d["id"] == site["id"]][0]
    control(url, "POST", "clock", {"paused": False})
    return {"hits": hits, "misses": miss, "via_cf": via_cf, "direct": direct, "stats": stats}


def row(label: str, ms: list[float]) -> str:
    return f"| {label} | {len(ms)} | {statistics.median(ms):.2f} | {percentile(ms, 99):.2f} | {max(ms):.2f} |"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=400)
    p.add_argument("--misses", type=int, default=150)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    proc, url = start_cloud(tempfile.mkdtemp(prefix="bench-cdn-"))
    try:
        r = measure(url, args.requests, args.misses)
        load = machine()
    finally:
        stop_cloud(proc)
    added = statistics.median(r["via_cf"]) - statistics.median(r["direct"])
    s = r["stats"]
    lines = ["Run: `python bench/bench_cdn.py` (http.client in the bench's process, one keep-alive connection per "
             "path, one request at a time, the clock paused). Hit: `/index.html` from the edge cache; miss: a new key "
             "each time (bucket policy + GetObject through the S3 API); `/api/products` through CloudFront "
             "(CloudFront -> ALB -> app -> database) and against the ALB directly, interleaved.", "",
             f"Machine: {load}.", "",
             "| request | n | p50 ms | p99 ms | max ms |", "|---|---|---|---|---|",
             row("CloudFront hit (X-Cache: Hit)", r["hits"]), row("CloudFront miss, S3 origin", r["misses"]),
             row("/api/products through CloudFront", r["via_cf"]), row("/api/products to the ALB directly", r["direct"]),
             "", f"CloudFront -> ALB adds {added:.2f} ms at the median. The edge counted {s['hits']} hits, "
             f"{s['misses']} misses and {s['origin_requests']} origin requests: of the "
             f"{len(r['hits']) + len(r['misses']) + len(r['via_cf']) + 1} requests through CloudFront, only the "
             f"{len(r['via_cf'])} /api/* ones reached the ALB."]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("bench_cdn", "CloudFront: hit, miss, and the CloudFront -> ALB added latency", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())

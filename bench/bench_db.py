"""Benchmark a DB query through the data plane: an app server -> its RDS endpoint over MySQL's protocol.

Run: ``python bench/bench_db.py [--queries 2000] [--requests 400] [--no-write]``.

A fresh cloud (realtime, 25x) gets the test suite's RDS world: a Multi-AZ MySQL DB instance in private db
subnets behind its group, two app servers whose user data names it, an ALB. Then, one at a time (bounded
in count, loopback only):

- **query**: PyMySQL from an app server's own address (its loopback address, as the data plane makes the
  app's connections), ``SELECT id, name, price FROM products`` on one kept connection;
- **connect + query**: a new connection per query, what the lab's app does for each request (no pool);
- **GET /products through the ALB** (ALB -> app -> DB) against **GET /** (ALB -> app, no database), so the
  difference is what the database adds to a request.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _report import machine, write_section

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.dataplane import test_dataplane_rds as world_of  # noqa: E402  (the RDS world the tests build)
from tests.dataplane.test_dataplane_service import start_cloud, stop_cloud  # noqa: E402

QUERY = "SELECT id, name, price FROM products ORDER BY id"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def timed(fn, n: int) -> tuple[list[float], float]:
    """``n`` calls of ``fn``, one at a time: each one's ms, and calls per second overall."""
    out, t_all = [], time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out, n / (time.perf_counter() - t_all)


def queries(w: dict, n: int) -> dict[str, tuple[list[float], float]]:
    app = w["ids"][0]
    conn = world_of.connect_from(w, app, timeout=10)
    cur = conn.cursor()
    cur.execute("USE awslab")

    def kept():
        cur.execute(QUERY)
        assert cur.fetchall()

    def fresh():
        with world_of.connect_from(w, app, timeout=10) as c, c.cursor() as k:
            k.execute("USE awslab")
            k.execute(QUERY)
            assert k.fetchall()

    kept()
    out = {"query (kept connection)": timed(kept, n), "connect + query + close": timed(fresh, max(n // 4, 1))}
    conn.close()
    return out


def requests(w: dict, n: int) -> dict[str, tuple[list[float], float]]:
    def get(path: str):
        def one():
            with urllib.request.urlopen(w["alb"] + path, timeout=10) as r:
                assert r.status == 200
                r.read()
        return one

    get("/products")()
    return {"GET /products via the ALB (ALB -> app -> DB)": timed(get("/products"), n),
            "GET / via the ALB (ALB -> app, no DB)": timed(get("/"), n)}


def row(label: str, got: tuple[list[float], float]) -> str:
    ms, per_s = got
    return (f"| {label} | {len(ms)} | {statistics.median(ms):.2f} | {percentile(ms, 99):.2f} | {max(ms):.2f} "
            f"| {per_s:.0f} |")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--queries", type=int, default=2000)
    p.add_argument("--requests", type=int, default=400)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    proc, url = start_cloud(Path(tempfile.mkdtemp(prefix="bench-db-")))
    try:
        w = world_of._build(url)
        world_of.wait_for(lambda: world_of.products(w)[0] == 200, 30)
        got = {**queries(w, max(1, min(args.queries, 20000))), **requests(w, max(1, min(args.requests, 5000)))}
        load = machine()
    finally:
        stop_cloud(proc)
    lines = ["Run: `python bench/bench_db.py` (a cloud in realtime at 25x; the client is in the bench's own process, "
             "one request at a time; PyMySQL connects from an app server's loopback address, as the data plane "
             "connects the app; the DB is mysql-mimic over SQLite, the 4-row products table).", "",
             f"Machine: {load}.", "", "| what | n | p50 ms | p99 ms | max ms | per s |", "|---|---|---|---|---|---|",
             *(row(label, v) for label, v in got.items())]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("bench_db", "A DB query through the data plane (RDS for MySQL)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())

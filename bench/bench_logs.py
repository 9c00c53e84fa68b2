"""Benchmark Athena's ALB table in DuckDB: load N access-log lines from gzip files, then query them.

Run: ``python bench/bench_logs.py [--lines 100000 1000000] [--files 20] [--no-write]``.

The lines are the data plane's own (:class:`awslab.dataplane.accesslogs.AccessLogEntry`), spread over
``--files`` gzip files as a busy ALB's nodes would write them. "Load" is :func:`awslab.observability.
alb_logs_sql.load`: read the files, match AWS's ``input.regex`` on every line and fill the 34 typed
columns. "Query" is a GROUP BY over the table (requests by target and status), as a student asks it.
Downloading the files from S3 is not included (it is boto3's and the cloud's, measured elsewhere).
"""
from __future__ import annotations

import argparse
import gzip
import random
import tempfile
import time
from pathlib import Path

from _report import machine, write_section

from awslab.dataplane.accesslogs import AccessLogEntry
from awslab.observability.alb_logs_sql import load

QUERY = "SELECT target_ip, elb_status_code, count(*) FROM alb_access_logs GROUP BY ALL"


def write_files(directory: Path, lines: int, files: int) -> list[str]:
    rng, t0, paths = random.Random(7), 1.8e9, []
    per = lines // files
    for f in range(files):
        entries = []
        for i in range(per):
            status = rng.choice((200,) * 97 + (500, 502, 504))
            target = f"10.0.{11 + i % 2}.{20 + i % 7}:80"
            entries.append(AccessLogEntry(
                time=t0 + f * 15 + i * 0.001, elb="app/web/50dc6c495c0c9188", client_port=f"203.0.113.{i % 250}:4{i % 9999}",
                target_port=target, request_processing_time=0.001, target_processing_time=0.012,
                response_processing_time=0.0, elb_status_code=status, target_status_code=status,
                request="GET http://web-1.ap-northeast-2.elb.amazonaws.com:80/products HTTP/1.1", user_agent="curl/8.5",
                target_group_arn="arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/web/73e2d6bc",
                trace_id=f"Root=1-{i:08x}", matched_rule_priority=0, request_creation_time=t0,
                actions_executed="forward", target_port_list=target, target_status_code_list=str(status)).line())
        path = directory / f"{f:04d}.log.gz"
        path.write_bytes(gzip.compress(("\n".join(entries) + "\n").encode(), compresslevel=6))
        paths.append(str(path))
    return paths


def measure(lines: int, files: int) -> tuple[int, float, float, float]:
    """(lines, MB of gzip, load seconds, query seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_files(Path(tmp), lines, files)
        size = sum(Path(p).stat().st_size for p in paths) / 1e6
        t = time.perf_counter()
        db = load(paths)
        loaded = time.perf_counter() - t
        t = time.perf_counter()
        db.sql(QUERY).fetchall()
        queried = time.perf_counter() - t
        count = db.sql("SELECT count(*) FROM alb_access_logs WHERE type IS NOT NULL").fetchone()[0]
        assert count == lines // files * files, count  # every line matched AWS's regex
        return count, size, loaded, queried


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--files", type=int, default=20)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    rows = []
    for n in args.lines:
        count, size, loaded, queried = measure(n, args.files)
        rows.append(f"| {count:,} | {args.files} | {size:.1f} | {loaded:.2f} | {count / loaded:,.0f} | {queried * 1000:.0f} |")
        print(rows[-1], flush=True)
    body = ("Athena's `alb_access_logs` in DuckDB (`awslab/observability/alb_logs_sql.py`): gzip files of the data "
            "plane's own lines; load = read + AWS's input.regex + typed columns; query = " + f"`{QUERY}`.\n\n"
            "| lines | files | gzip MB | load s | lines/s | query ms |\n|---|---|---|---|---|---|\n" + "\n".join(rows)
            + f"\n\n{machine()}")
    if not args.no_write:
        write_section("bench_logs", "ALB access logs in SQL (DuckDB)", body)


if __name__ == "__main__":
    main()

"""Benchmark: the policy comparison (each kind of scaling policy alone against the seed's surge), in virtual time.

Prints the comparison's table (the seed's values: t3.micro, min 2 / desired 2 / max 6, 70 % CPU, the surge of
100 -> 1,000 users ten minutes in, followed for twenty) and the wall time of whole comparisons (five runs each),
and replaces its section of docs/benchmarks.md.

Run: ``python bench/bench_policy_comparison.py [--repeat 3] [--no-write]``.
"""
from __future__ import annotations

import argparse
import statistics
import time

from _report import machine, write_section


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    from awslab.drills.policy_comparison import compare_policies

    walls, result = [], None
    for _ in range(args.repeat):
        started = time.monotonic()
        result = compare_policies()
        walls.append(time.monotonic() - started)
    rows = ["| setup | first scale-out (s after the surge) | first alarm (s) | peak p95 (ms) | 5xx (%) | "
            "instance-hours | most instances |", "|---|---|---|---|---|---|---|"]
    rows += ["| " + " | ".join("–" if v is None else str(v) for v in row) + " |" for row in result.rows()]
    body = "\n".join([
        f"Machine: {machine()}.", "",
        f"One comparison (five runs of {result.duration_s / 60:.0f} simulated minutes each, in this process): "
        f"median {statistics.median(walls):.1f} s wall, min {min(walls):.1f} s, max {max(walls):.1f} s "
        f"over {len(walls)}.", "", result.caption(), "", *rows])
    print(body)
    if not args.no_write:
        write_section("policy-comparison", "Policy comparison: each kind alone against the seed's surge", body)


if __name__ == "__main__":
    main()

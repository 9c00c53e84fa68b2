"""Benchmark: the wall time of every lab run headless with its solutions, and of the whole course (issue 12 §5).

Each lab runs as CI runs it (:func:`awslab.course.run.run_lab`): a fresh embedded cloud, the lab's notebook
with the reference solutions filled in, executed by nbclient in verify mode, so every check passes and every
prediction is asserted. The goal is under 60 s a lab; the course total is what an instructor waits for when
they check the whole course before a class.

Usage: ``python bench/bench_course.py [--lang en] [--labs 01 05 ...] [--no-write]``.
Results replace this benchmark's section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from _report import machine, write_section  # noqa: E402

from awslab.course.catalog import LABS  # noqa: E402
from awslab.course.run import run_lab  # noqa: E402

GOAL_S = 60.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lang", default="en", choices=("en", "ko"))
    ap.add_argument("--labs", nargs="*", help="lab ids (default: every lab with a lesson)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = ap.parse_args(argv)
    ids = args.labs or [info.id for info in LABS if any((REPO / "labs" / "src").glob(f"{info.id}-*.md"))]
    where = machine()
    rows, total, failed = [], 0.0, []
    t_all = time.monotonic()
    for lab_id in ids:
        run = run_lab(lab_id, args.lang, "solution")
        total += run.seconds
        mark = "yes" if run.seconds < GOAL_S else "**no**"
        rows.append(f"| {lab_id} | {run.seconds:.1f} | {mark} | {'passed' if run.ok else 'FAILED'} |")
        print(rows[-1], flush=True)
        if not run.ok:
            failed.append(lab_id)
    wall = time.monotonic() - t_all
    body = "\n".join([
        f"Every lab with its reference solutions, headless, in {args.lang} (`python bench/bench_course.py`): a fresh",
        "embedded cloud per lab, every check and every measured prediction asserted, as CI runs them. Goal: under",
        f"{GOAL_S:.0f} s a lab. Machine: {where}.", "",
        "| lab | wall time (s) | under 60 s | checks and predictions |", "|---|---:|---|---|", *rows, "",
        f"The whole course, one lab after another: **{wall / 60:.1f} min** ({total:.0f} s in the labs themselves, "
        "the rest is starting and stopping each lab's cloud)." + (f" Failed: {', '.join(failed)}." if failed else ""),
    ])
    print(body)
    if not args.no_write:
        write_section("bench-course", f"The course: each lab headless with its solutions ({args.lang})", body)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

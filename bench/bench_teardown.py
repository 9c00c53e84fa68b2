"""Benchmark issue 10's teardown figure: N build -> teardown cycles in a row beside a CPU hog, all clean?

Run: ``python bench/bench_teardown.py [--cycles 20] [--no-hog] [--code DIR --label TEXT] [--no-write]``.

Each cycle builds the full stack (``build_stack``) on a fresh embedded cloud's lab, tears it down
(``teardown``) and counts it clean when the report is clean AND no instance of the lab is left in any
state but ``terminated`` (an Auto Scaling instance still ``shutting-down`` was the bug). A bounded
busy loop in its own process (the CPU hog) runs beside it unless ``--no-hog``: the simulator's
thread, the cloud and the client then compete for the CPU, as on a student's busy laptop.

``--code DIR`` measures another checkout of awslab (the cloud and the cycles run with
``PYTHONPATH=DIR``), e.g. the code before a change; ``--label`` names its row. The section of
docs/benchmarks.md keeps one row per label, so "before" and "after" rows stand side by side.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench_foundation import DOCS, REPO, machine, start_cloud, stop

START, END = "<!-- bench_teardown:start -->", "<!-- bench_teardown:end -->"
HEADER = ("| code | CPU hog | cycles | clean | teardown median | teardown max | of it waiting (median) | "
          "build median | load avg (1 min) at the end |\n|---|---|---|---|---|---|---|---|---|")


def worker(endpoint: str, cycles: int) -> None:
    """Runs in a child process with the measured code on PYTHONPATH; prints one JSON line per cycle."""
    from awslab import Lab
    from awslab.layers.stack import build_stack
    from awslab.layers.teardown import teardown

    states = ["pending", "running", "stopping", "stopped", "shutting-down"]
    stamp = int(time.time()) % 100000
    for cycle in range(cycles):
        lab = Lab(name=f"bt{stamp}c{cycle}", endpoint_url=endpoint)
        t0 = time.perf_counter()
        build_stack(lab)
        t1 = time.perf_counter()
        report = teardown(lab)
        t2 = time.perf_counter()
        left = [i["InstanceId"] + " " + i["State"]["Name"] for r in lab.client("ec2").describe_instances(
            Filters=lab.lab_filters() + [{"Name": "instance-state-name", "Values": states}])["Reservations"]
            for i in r["Instances"]]
        print(json.dumps({"cycle": cycle, "build_s": t1 - t0, "teardown_s": t2 - t1, "clean": report.clean and not left,
                          "waited_s": getattr(report, "waited_s", None), "left": left,
                          "remaining": report.remaining, "errors": report.errors}), flush=True)


def hog(seconds: float) -> subprocess.Popen:
    """A busy loop that ends by itself after ``seconds`` (and is killed when the cycles end)."""
    code = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"
    return subprocess.Popen([sys.executable, "-c", code])


def measure(cycles: int, with_hog: bool, code: Path) -> list[dict]:
    home = tempfile.mkdtemp(prefix="awslab-bench-teardown-")
    os.environ["PYTHONPATH"] = str(code)  # the cloud and the worker run the measured code...
    os.chdir(home)  # ...and not the checkout in the current folder (`python -m` puts it first on sys.path)
    proc, port, _ = start_cloud(home)
    burner = hog(cycles * 120.0) if with_hog else None
    try:
        env = dict(os.environ, AWSLAB_HOME=home, AWSLAB_PORT=str(port))
        out = subprocess.run([sys.executable, __file__, "--worker", f"http://127.0.0.1:{port}", "--cycles", str(cycles)],
                             env=env, capture_output=True, text=True, check=False)
    finally:
        if burner is not None:
            burner.kill()
            burner.wait(10)
        stop(proc)
    results = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    if len(results) < cycles:
        print(out.stderr[-3000:], file=sys.stderr)
    return results


def key(label: str, with_hog: bool) -> str:
    """What a row (and its notes) is kept by: the code measured and whether the hog ran."""
    return f"{label} | {'yes' if with_hog else 'no'}"


def row(label: str, with_hog: bool, results: list[dict]) -> str:
    clean = sum(r["clean"] for r in results)
    td = [r["teardown_s"] for r in results]
    waited = [r["waited_s"] for r in results if r["waited_s"] is not None]
    waiting = f"{statistics.median(waited):.2f} s" if waited else "not reported"
    return (f"| {key(label, with_hog)} | {len(results)} | **{clean} of {len(results)}** | "
            f"{statistics.median(td):.2f} s | {max(td):.2f} s | {waiting} | "
            f"{statistics.median(r['build_s'] for r in results):.2f} s | {os.getloadavg()[0]:.1f} |")


def unclean(label: str, with_hog: bool, results: list[dict]) -> list[str]:
    return [f"- Unclean: {key(label, with_hog)}, cycle {r['cycle']}: left {', '.join(r['left'] or r['remaining'])}"
            + (f"; errors: {'; '.join(r['errors'])}" if r["errors"] else "") for r in results if not r["clean"]]


def write(kept_by: str, new_row: str, notes: list[str]) -> None:
    """Replace this bench's section, keeping the rows and unclean-cycle notes of other labels, and notes by hand."""
    current = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    rows, unclean_notes, by_hand = [], [], []
    if START in current and END in current:
        old = current[current.index(START):current.index(END)].splitlines()
        rows = [ln for ln in old if ln.startswith("| ") and not ln.startswith(("| code", "|---", f"| {kept_by} |"))]
        unclean_notes = [ln for ln in old if ln.startswith("- Unclean: ") and not ln.startswith(f"- Unclean: {kept_by},")]
        by_hand = [ln for ln in old if ln.startswith("- ") and not ln.startswith("- Unclean: ")
                   and ln != "- Every cycle was clean."]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = "\n".join([
        START, f"## Teardown: build -> teardown cycles in a row beside a CPU hog (last run {stamp})", "",
        "`python bench/bench_teardown.py` (full stack each cycle; clean = the report is clean and no instance of the lab "
        "is left in any state but terminated; the CPU hog is a bounded busy loop in its own process). "
        f"Machine of the last run: {machine()}.", "", HEADER, *rows, new_row, "",
        *(unclean_notes + notes or ["- Every cycle was clean."]), *by_hand, END])
    if START in current and END in current:
        current = current[:current.index(START)] + section + current[current.index(END) + len(END):]
    else:
        current = current.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.write_text(current)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--no-hog", action="store_true", help="no CPU hog beside the cycles")
    ap.add_argument("--code", type=Path, default=REPO, help="the awslab checkout to measure (default: this one)")
    ap.add_argument("--label", default="this branch", help="the name of this row in docs/benchmarks.md")
    ap.add_argument("--no-write", action="store_true", help="print only; don't touch docs/benchmarks.md")
    ap.add_argument("--worker", metavar="ENDPOINT", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.cycles)
        return 0
    results = measure(args.cycles, not args.no_hog, args.code.resolve())
    if not results:
        print("no cycle finished", file=sys.stderr)
        return 1
    hogged = not args.no_hog
    new_row, notes = row(args.label, hogged, results), unclean(args.label, hogged, results)
    print(HEADER, new_row, *notes, sep="\n")
    if not args.no_write:
        write(key(args.label, hogged), new_row, notes)
    return 0 if all(r["clean"] for r in results) else 2


if __name__ == "__main__":
    raise SystemExit(main())

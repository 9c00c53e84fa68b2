"""Benchmark: memory and CPU per idle student on one machine (issue 16 §1), through deploy/jupyterhub's Hub.

Starts the Hub as tests/classroom/test_hub.py does (dummy login, simple local spawner, in-memory proxy),
logs in N students at once through the REST API, waits until every server is ready, lets them sit idle
for a while, then samples each student's processes (the launcher, jupyterhub-singleuser, the class-mode
cloud) from /proc: resident memory (RSS) and CPU seconds used over the idle window. Then stops the
servers and the Hub and checks no process is left.

Not measured yet: a student running a drill, and how many students one machine serves within 2x a
drill's time alone (that needs a lab run headless through the Hub).

Usage: ``python bench/bench_class.py [--students 3] [--idle 30] [--no-write]``.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import machine, write_section  # noqa: E402

from tests.classroom.test_hub import _alive, _api, _awslab_home, spawn, start_hub, stop_hub  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def _sample(pids: list[int]) -> tuple[float, float]:
    """(RSS in MiB, CPU seconds so far) summed over ``pids``."""
    rss = cpu = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20
            cpu += (int(fields[11]) + int(fields[12])) / TICKS
        except (OSError, IndexError, ValueError):
            continue
    return rss, cpu


def run(students: int, idle_s: float) -> dict:
    names = tuple(f"student{k}" for k in range(1, students + 1))
    with tempfile.TemporaryDirectory(prefix="awslab-class-bench-") as root:
        hub = start_hub(Path(root))
        try:
            t0 = time.monotonic()
            spawn(hub, names)
            spawn_s = time.monotonic() - t0
            server_pids = {n: _api(hub, "GET", f"/users/{n}")[1]["servers"][""]["state"]["pid"] for n in names}
            trees = {n: _tree(pid) for n, pid in server_pids.items()}
            for n in names:  # the cloud runs in a session of its own: find it by its pid file
                clouds = {int(p.read_text()) for p in _awslab_home(hub, n).glob("cloud-*.pid")}
                trees[n] = sorted(set(trees[n]) | clouds)
            time.sleep(5)
            before = {n: _sample(t) for n, t in trees.items()}
            time.sleep(idle_s)
            after = {n: _sample(t) for n, t in trees.items()}
            hub_rss, _ = _sample([hub["proc"].pid])
            for n in names:
                _api(hub, "DELETE", f"/users/{n}/server")
            deadline = time.monotonic() + 120
            while any(_alive(p) for t in trees.values() for p in t) and time.monotonic() < deadline:
                time.sleep(0.5)
            left = [p for t in trees.values() for p in t if _alive(p)]
        finally:
            stop_hub(hub)
    return {"students": students, "idle_s": idle_s, "spawn_s": spawn_s, "hub_rss": hub_rss, "left": left,
            "rss": [after[n][0] for n in names], "cpu": [(after[n][1] - before[n][1]) / idle_s for n in names]}


def report(r: dict) -> str:
    rss, cpu = r["rss"], r["cpu"]
    return (f"Machine: {machine()}.\n\n"
            f"{r['students']} students logged in at once through the Hub's REST API (deploy/jupyterhub, simple "
            f"spawner, dummy login, in-memory proxy): all servers ready after {r['spawn_s']:.0f} s.\n\n"
            "| per idle student (launcher + jupyterhub-singleuser + class-mode cloud) | mean | max |\n|---|---|---|\n"
            f"| resident memory (MiB) | {sum(rss) / len(rss):.0f} | {max(rss):.0f} |\n"
            f"| CPU (share of one core, over {r['idle_s']:.0f} s idle) | {sum(cpu) / len(cpu):.3f} | "
            f"{max(cpu):.3f} |\n\n"
            f"The Hub itself: {r['hub_rss']:.0f} MiB. Processes left after the servers stopped: {len(r['left'])}.\n"
            "Not measured yet: a student running a drill, and the class size one machine serves within 2x a "
            "drill's time alone.\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=3)
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    text = report(run(max(1, min(args.students, 16)), max(5.0, args.idle)))
    print(text)
    if not args.no_write:
        write_section("class", "A class on one machine: memory and CPU per idle student (issue 16)", text)


if __name__ == "__main__":
    main()

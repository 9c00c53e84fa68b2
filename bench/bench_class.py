"""Benchmark: a class on one machine through deploy/jupyterhub's Hub (issue 16): idle students, then drills.

Both modes start the Hub as tests/classroom/test_hub.py does (dummy login, simple local spawner, in-memory
proxy), log in N students at once through the REST API and wait until every server is ready; each student's
processes (the launcher, jupyterhub-singleuser and its kernels, the class-mode cloud) are read from /proc.
At the end the servers and the Hub stop, and no process may be left.

- ``--mode idle`` (the default): the students sit idle for a while; resident memory (RSS) and CPU per student.
- ``--mode drill``: the class size. For each N of ``--students-list`` (ascending; 1 first, added if missing),
  a fresh Hub, N students, and every one of them runs the drill lab (``--drill-lab``, 12 by default: an app
  server fails, its solution variant in verify mode) headless in their own server at the same time, through
  the Hub's API (tests/classroom/hub_kernel.py). Recorded per student: the lab's wall time, peak RSS and CPU
  (share of one core) while it ran. N = 1 gives the time alone; N passes when every student's drill passes
  and finishes within 2x that time. The sweep stops at the first N that fails; the answer is the largest N
  that passed. Every run is bounded (``--deadline`` seconds for the drills, 300 s a cell).

Usage: ``python bench/bench_class.py [--students 3] [--idle 30] [--no-write]`` (idle) or
``python bench/bench_class.py --mode drill [--drill-lab 12] [--students-list 1,2,4,6,8] [--deadline 900]
[--no-write]``. Without ``--no-write`` the mode's section of docs/benchmarks.md is rewritten (machine, load,
date).
"""
from __future__ import annotations

import argparse
import contextlib
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import machine, write_section  # noqa: E402

from tests.classroom.isolated_class import isolated_class, skip_reason  # noqa: E402
from tests.classroom.test_hub import _alive, _api, _awslab_home, spawn, start_hub, stop_hub  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    """Every process's children, by parent pid (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def _tree(pid: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """``pid`` and every process below it (``children`` from :func:`_children`, read now if not given)."""
    children = _children() if children is None else children
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def _sample(pids: list[int], reaped: bool = False) -> tuple[float, float]:
    """(RSS in MiB, CPU seconds so far) summed over ``pids``; with ``reaped``, the CPU of children they reaped too.

    A kernel that has exited and been waited for leaves the tree, and its CPU time moves to its parent's
    "children" counters: count them to keep a drill's kernel in the student's CPU.
    """
    rss = cpu = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20
            cpu += sum(int(f) for f in fields[11:15 if reaped else 13]) / TICKS
        except (OSError, IndexError, ValueError):
            continue
    return rss, cpu


def _server_pids(hub: dict, names: tuple[str, ...]) -> dict[str, int]:
    """Each student's server process (the launcher the spawner started), from the Hub's user model."""
    return {n: _api(hub, "GET", f"/users/{n}")[1]["servers"][""]["state"]["pid"] for n in names}


def _student_pids(hub: dict, name: str, server_pid: int, children: dict | None = None) -> list[int]:
    """The student's processes: their server's tree (kernels included) and their cloud's, found by its pid file
    (the cloud runs in a session of its own)."""
    children = _children() if children is None else children
    pids = set(_tree(server_pid, children))
    for pid_file in _awslab_home(hub, name).glob("cloud-*.pid"):
        pids.update(_tree(int(pid_file.read_text()), children))
    return sorted(pids)


def _stop_servers(hub: dict, names: tuple[str, ...], pids: list[int]) -> list[int]:
    """Stop every student's server through the API; wait (120 s at most) for ``pids`` to end; return those left."""
    for n in names:
        _api(hub, "DELETE", f"/users/{n}/server")
    deadline = time.monotonic() + 120
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.5)
    return [p for p in pids if _alive(p)]


def run(students: int, idle_s: float, spawner: str = "isolated") -> dict:
    """Idle mode: ``students`` log in at once and sit idle for ``idle_s``; RSS and CPU per student."""
    names = tuple(f"student{k}" for k in range(1, students + 1))
    with _class_hub(spawner, "idle") as hub:
        t0 = time.monotonic()
        spawn(hub, names)
        spawn_s = time.monotonic() - t0
        trees = {n: _student_pids(hub, n, pid) for n, pid in _server_pids(hub, names).items()}
        time.sleep(5)
        before = {n: _sample(t) for n, t in trees.items()}
        time.sleep(idle_s)
        after = {n: _sample(t) for n, t in trees.items()}
        hub_rss, _ = _sample([hub["proc"].pid])
        left = _stop_servers(hub, names, [p for t in trees.values() for p in t])
    return {"spawner": spawner, "students": students, "idle_s": idle_s, "spawn_s": spawn_s, "hub_rss": hub_rss, "left": left,
            "rss": [after[n][0] for n in names], "cpu": [(after[n][1] - before[n][1]) / idle_s for n in names]}


def report(r: dict) -> str:
    rss, cpu = r["rss"], r["cpu"]
    return (f"Machine: {machine()}.\n\n"
            f"`python bench/bench_class.py --students {r['students']} --idle {r['idle_s']:.0f} --spawner "
            f"{r['spawner']}`: {r['students']} students logged in at once through the Hub's REST API "
            f"(deploy/jupyterhub, {SPAWNERS[r['spawner']]}, dummy login, in-memory proxy): all servers ready after "
            f"{r['spawn_s']:.0f} s.\n\n"
            "| per idle student (launcher + jupyterhub-singleuser + class-mode cloud) | mean | max |\n|---|---|---|\n"
            f"| resident memory (MiB) | {sum(rss) / len(rss):.0f} | {max(rss):.0f} |\n"
            f"| CPU (share of one core, over {r['idle_s']:.0f} s idle) | {sum(cpu) / len(cpu):.3f} | "
            f"{max(cpu):.3f} |\n\n"
            f"The Hub itself: {r['hub_rss']:.0f} MiB. Processes left after the servers stopped: {len(r['left'])}.\n"
            "Students running a drill at once, and the class size that keeps each drill within 2x its time alone: "
            "`--mode drill` (its own section).\n")


# --- drill mode: N students run a drill lab at once -------------------------------------------------------

SAMPLE_S = 2.0  # how often each student's memory is read while the drills run
CELL_TIMEOUT_S = 300  # one cell of the drill (its longest waits are 180 s)


async def _drills(hub: dict, names: tuple[str, ...], lab: str, deadline_s: float) -> dict[str, dict]:
    """Every student runs ``lab`` in their own server at once; per student: ok, seconds, error, peak RSS, CPU."""
    import aiohttp

    from tests.classroom.hub_kernel import run_lab_in_server, student_server

    server_pids = _server_pids(hub, names)
    peak = dict.fromkeys(names, 0.0)

    async def sample_memory():
        while True:
            children = _children()
            for n in names:
                peak[n] = max(peak[n], _sample(_student_pids(hub, n, server_pids[n], children))[0])
            await asyncio.sleep(SAMPLE_S)

    async def one(http, name: str) -> dict:
        server = await student_server(http, hub["api"], hub["runner"], name)
        cpu0 = _sample(_student_pids(hub, name, server_pids[name]), reaped=True)[1]
        run = await run_lab_in_server(http, server, lab, cell_timeout_s=CELL_TIMEOUT_S)
        cpu = _sample(_student_pids(hub, name, server_pids[name]), reaped=True)[1] - cpu0
        return {"ok": run.ok, "seconds": run.seconds, "error": run.error or "; ".join(run.errors),
                "cpu": cpu / max(run.seconds, 1e-9)}

    async with aiohttp.ClientSession() as http:
        sampler = asyncio.create_task(sample_memory())
        tasks = {n: asyncio.create_task(one(http, n)) for n in names}
        t0 = time.monotonic()
        _, pending = await asyncio.wait(tasks.values(), timeout=deadline_s)
        for task in pending:
            task.cancel()  # its kernel is shut down on the way out (each call bounded)
        if pending:
            await asyncio.wait(pending, timeout=120)
        sampler.cancel()
        results = {}
        for n, task in tasks.items():
            if task in pending:
                results[n] = {"ok": False, "seconds": time.monotonic() - t0, "cpu": None,
                              "error": f"not finished within {deadline_s:.0f} s"}
            elif task.exception() is not None:
                results[n] = {"ok": False, "seconds": time.monotonic() - t0, "cpu": None,
                              "error": f"{type(task.exception()).__name__}: {task.exception()}"}
            else:
                results[n] = task.result()
            results[n]["rss"] = peak[n]
    return results


@contextlib.contextmanager
def _class_hub(spawner: str, prefix: str, runner: bool = False):
    """A Hub with the ``isolated`` spawner (a namespace and user id per student: the class setting) or ``simple``."""
    if spawner == "isolated":
        with isolated_class(prefix) as (root, settings, _network):
            hub = start_hub(root, runner=runner, **settings)
            try:
                yield hub
            finally:
                stop_hub(hub)
        return
    with tempfile.TemporaryDirectory(prefix=f"awslab-class-{prefix}-") as root:
        hub = start_hub(Path(root), runner=runner)
        try:
            yield hub
        finally:
            stop_hub(hub)


def run_drill(students: int, lab: str, deadline_s: float, spawner: str = "isolated") -> dict:
    """A fresh Hub, ``students`` logging in at once, each running ``lab`` at once; then everything stopped."""
    names = tuple(f"student{k}" for k in range(1, students + 1))
    result = {"students": students, "spawn_s": None, "results": {}, "error": "", "left": [], "hub_rss": 0.0}
    with _class_hub(spawner, "drill", runner=True) as hub:
        t0 = time.monotonic()
        try:
            spawn(hub, names)
        except AssertionError as e:  # the class could not even log in at once within the bound
            result["error"] = f"spawn: {e}"
            return result
        result["spawn_s"] = time.monotonic() - t0
        result["results"] = asyncio.run(_drills(hub, names, lab, deadline_s))
        result["hub_rss"] = _sample([hub["proc"].pid])[0]
        result["load"] = os.getloadavg()[0]
        pids = [p for n, pid in _server_pids(hub, names).items() for p in _student_pids(hub, n, pid)]
        result["left"] = _stop_servers(hub, names, pids)
    return result


def sweep(counts: list[int], lab: str, deadline_s: float, spawner: str = "isolated") -> dict:
    """Run :func:`run_drill` for each N (1 first: the time alone); stop at the first N that fails the 2x criterion.

    N passes when every student's drill passed and took at most twice the time alone. For N > 1 a run's
    deadline is ``min(deadline_s, 4 x alone + 60 s)``: slower than that fails the criterion anyway.
    """
    runs, alone, largest, counts = [], None, 0, sorted(set(counts) | {1})
    for n in counts:
        r = run_drill(n, lab, deadline_s if alone is None else min(deadline_s, 4 * alone + 60), spawner)
        times = [x["seconds"] for x in r["results"].values()]
        r["passed_drills"] = sum(x["ok"] for x in r["results"].values())
        if alone is None and r["passed_drills"] == 1:
            alone = times[0]
        r["within"] = bool(alone) and r["passed_drills"] == n and max(times) <= 2 * alone
        print(f"N={n}: {r['passed_drills']}/{n} drills passed, times {[round(t, 1) for t in times]} s, "
              f"within 2x: {r['within']} {r['error']}", flush=True)
        runs.append(r)
        if not r["within"]:
            break
        largest = n
    return {"lab": lab, "counts": counts, "alone": alone, "largest": largest, "runs": runs, "spawner": spawner}


SPAWNERS = {"isolated": "the isolated spawner: a network namespace and a user id per student",
            "simple": "the simple spawner: every student as the Hub's user, one loopback"}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def report_drill(sw: dict) -> str:
    """The drill sweep's section of docs/benchmarks.md."""
    mem_gib = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    rows = []
    for r in sw["runs"]:
        res = list(r["results"].values())
        times = [x["seconds"] for x in res]
        rss = [x["rss"] for x in res]
        cpu = [x["cpu"] for x in res if x["cpu"] is not None]
        passed = f"| {r['students']} | {r['passed_drills']}/{r['students']} |"
        if not res or not sw["alone"]:
            rows.append(f"{passed} - | - | - | - | - | - | no: {r['error'] or 'the drill failed alone'} |")
            continue
        rows.append(f"{passed} {_mean(times):.1f} / {max(times):.1f}"
                    f" | {max(times) / sw['alone']:.2f}x | {_mean(rss):.0f} / {max(rss):.0f} | {_mean(cpu):.2f} | "
                    f"{r['spawn_s']:.0f} | {r.get('load', 0):.1f} | {'yes' if r['within'] else 'no'} |")
    errors = [f"- N={r['students']}, {n}: {x['error'][:300]}" for r in sw["runs"] for n, x in r["results"].items()
              if not x["ok"]]
    last = sw["runs"][-1]
    verdict = (f"**Largest N with every drill within 2x its time alone: {sw['largest']}**"
               + (f" (N={last['students']} failed, and the sweep stopped there)." if not last["within"] else
                  " (every N tried passed: the limit is at least this)."))
    peak = max((x["rss"] for r in sw["runs"] for x in r["results"].values()), default=0)
    return (f"Machine: {machine()}; {mem_gib:.1f} GiB of memory.\n\n"
            f"`python bench/bench_class.py --mode drill --drill-lab {sw['lab']} --students-list "
            f"{','.join(map(str, sw['counts']))} --spawner {sw['spawner']}`: for each N, a fresh Hub (deploy/jupyterhub, "
            f"{SPAWNERS[sw['spawner']]}, dummy login, in-memory proxy), N students logged in at once, and each runs lab "
            f"{sw['lab']}'s solution (verify mode) headless in their own server and class-mode cloud at the same "
            "time, through the Hub's REST API and a kernel's websocket (tests/classroom/hub_kernel.py). "
            + (f"Time alone (N = 1): {sw['alone']:.1f} s.\n\n" if sw["alone"] else "The drill failed alone.\n\n")
            + "| N | drills passed | wall time mean / max (s) | max / alone | peak RSS per student mean / max (MiB) "
            "| CPU per student (cores) | servers ready after (s) | load (1 min) at the end | within 2x |\n"
            "|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n" + verdict + "\n\n"
            + (f"By memory alone ({peak:.0f} MiB a student at the peak): about {mem_gib * 1024 / peak:.0f} students "
               "running drills.\n" if peak else "")
            + ("\nFailures:\n" + "\n".join(errors) + "\n" if errors else "")
            + f"\nProcesses left after the servers stopped: {sum(len(r['left']) for r in sw['runs'])}.\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["idle", "drill"], default="idle")
    parser.add_argument("--students", type=int, default=3, help="idle mode: how many students")
    parser.add_argument("--idle", type=float, default=30.0, help="idle mode: seconds idle")
    parser.add_argument("--drill-lab", default="12", help="drill mode: the lab every student runs")
    parser.add_argument("--students-list", default="1,2,4,6,8", help="drill mode: the class sizes, e.g. 1,2,4")
    parser.add_argument("--deadline", type=float, default=900.0, help="drill mode: seconds a run may take at most")
    parser.add_argument("--spawner", choices=["isolated", "simple"], default=None,
                        help="isolated (the class setting; needs root) or simple (default: isolated "
                             "where it can run here)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    spawner = args.spawner or ("simple" if skip_reason() else "isolated")
    limit = 16 if spawner == "simple" else 200  # the simple spawner shares one loopback: 16 data-plane port blocks
    if args.mode == "idle":
        text = report(run(max(1, min(args.students, limit)), max(5.0, args.idle), spawner))
        section = ("class", "A class on one machine: memory and CPU per idle student (issue 16)")
    else:
        counts = [max(1, min(int(n), limit)) for n in args.students_list.split(",")]
        text = report_drill(sweep(counts, args.drill_lab, max(60.0, args.deadline), spawner))
        section = ("class-drill", "A class on one machine: students running a drill at once (issue 16)")
    print(text)
    if not args.no_write:
        write_section(*section, text)


if __name__ == "__main__":
    main()

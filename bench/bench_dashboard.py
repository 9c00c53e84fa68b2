"""Benchmark: what the instructor console costs at one refresh a second, and how soon a click shows.

1. **CPU.** A cloud of its own (realtime clock at 20x, the class default), a two-AZ stack under steady
   load, and a real Jupyter kernel running ``awslab.dashboard(lab)`` (every widget message serialised and
   sent, as in JupyterLab). The kernel's and the cloud's CPU time are read from /proc over ``--seconds``
   (60 by default): first without the dashboard (the cloud's own pacing and load), then with it.
2. **Click to first visible change**, in Chromium through ``awslab present``: the time from a click on
   "Instance failure" to (a) the button's own feedback on the page and (b) the first frame of the drill
   (its milestones drawn by the next refresh). Each of ``--clicks`` runs is reset before the next.

Run: ``python bench/bench_dashboard.py [--seconds 60] [--clicks 5] [--no-write]``; it replaces its section of
docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _report import machine, write_section  # noqa: E402

from tests.conftest import control, free_port, spawn_cloud, stop_spawned  # noqa: E402
from tests.dashboard.stack import healthy_stack  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its waited-for children, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / CLK_TCK


def cpu_percent(pid: int, seconds: float) -> float:
    before, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return 100.0 * (cpu_seconds(pid) - before) / (time.monotonic() - t0)


def stack(url: str) -> str:
    lab, st = healthy_stack(url, "bd")
    control(url, "POST", "load", {"shape": "steady", "rps": 40, "target_group_arn": st.tg_arn})
    control(url, "POST", "clock/advance", {"seconds": 900})
    control(url, "POST", "clock", {"mode": "realtime", "speed": 20})
    return lab.name


def kernel_cost(lab_name: str, cloud_pid: int, seconds: float) -> dict[str, float]:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        kc.execute_interactive("import awslab", timeout=120)
        idle = {"cloud": cpu_percent(cloud_pid, seconds)}
        kc.execute_interactive(f"board = awslab.dashboard(awslab.Lab(name={lab_name!r}))\nboard", timeout=120,
                               output_hook=lambda msg: None)
        kernel_pid = km.provisioner.pid  # the kernel process (jupyter_client's local provisioner)
        time.sleep(3)
        k0, c0, t0 = cpu_seconds(kernel_pid), cpu_seconds(cloud_pid), time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - t0
        busy = {"kernel": 100 * (cpu_seconds(kernel_pid) - k0) / elapsed,
                "cloud": 100 * (cpu_seconds(cloud_pid) - c0) / elapsed}
        reply = {}

        def printed(msg: dict) -> None:
            if msg["msg_type"] == "stream":
                reply["text"] = msg["content"]["text"]

        kc.execute_interactive("print(board.refreshes, repr(board.last_error)); board.close()", timeout=60,
                               output_hook=printed)
        return {"idle_cloud": idle["cloud"], "kernel": busy["kernel"], "cloud": busy["cloud"],
                "refreshes": float((reply.get("text") or "0").split()[0])}
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


CLICK_JS = """async (name) => {
  const button = [...document.querySelectorAll('.awslab-dashboard button')].find(b => b.textContent.trim() === name);
  const root = document.querySelector('.awslab-dashboard');
  const t0 = performance.now();
  const seen = {};
  const done = new Promise(resolve => {
    const obs = new MutationObserver(() => {
      const text = root.innerText;
      if (!seen.feedback && /is running|starting/.test(text)) seen.feedback = performance.now() - t0;
      // the new drill's first frame: its milestones, no longer the previous drill's "(reset)" view
      if (!seen.frame && root.querySelector('.awslab-milestone') && !text.includes('(reset)'))
        seen.frame = performance.now() - t0;
      if (seen.feedback && seen.frame) { obs.disconnect(); resolve(seen); }
    });
    obs.observe(root, {subtree: true, childList: true, characterData: true});
    setTimeout(() => { obs.disconnect(); resolve(seen); }, 30000);
  });
  button.click();
  return await done;
}"""


def click_latency(url: str, clicks: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(url, wait_until="commit", timeout=180_000)
        page.wait_for_selector("tr.awslab-target", timeout=180_000)
        runs = []
        for _ in range(clicks):
            time.sleep(2)
            runs.append(page.evaluate(CLICK_JS, "Instance failure"))
            page.get_by_role("button", name="reset", exact=True).click()
            page.wait_for_function("() => document.querySelector('.awslab-dashboard').innerText"
                                   ".includes('as the drill found it')", timeout=60_000)
            time.sleep(8)  # the replacement settles at 20x before the next click
        browser.close()
    return runs


def present(home: str, port: str, lab_name: str, url: str) -> tuple[subprocess.Popen, str]:
    voila_port = free_port()
    env = dict(os.environ, AWSLAB_HOME=home, AWSLAB_PORT=port, PYTHONPATH=str(ROOT), AWSLAB_LANG="en",
               JUPYTER_RUNTIME_DIR=f"{home}/rt", JUPYTER_CONFIG_DIR=f"{home}/cfg", JUPYTER_DATA_DIR=f"{home}/data")
    proc = subprocess.Popen([sys.executable, "-m", "awslab", "present", "--lab", lab_name, "--port", str(voila_port),
                             "--endpoint-url", url], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    page = f"http://127.0.0.1:{voila_port}/"
    for _ in range(240):
        try:
            urllib.request.urlopen(page, timeout=60)
            break
        except OSError:
            time.sleep(0.5)
    return proc, page


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--clicks", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="bench-dashboard-")
    os.environ["AWSLAB_HOME"] = home
    proc, url = spawn_cloud(home, AWSLAB_SIM_MODE="virtual")
    port = url.rsplit(":", 1)[1]
    os.environ["AWSLAB_PORT"] = port
    try:
        lab_name = stack(url)
        cost = kernel_cost(lab_name, proc.pid, args.seconds)
        print(cost, flush=True)
        voila, page = present(home, port, lab_name, url)
        try:
            runs = click_latency(page, args.clicks)
        finally:
            os.killpg(voila.pid, signal.SIGINT)
            voila.wait(60)
        print(runs, flush=True)
    finally:
        stop_spawned(proc)
    feedback = [r["feedback"] for r in runs if "feedback" in r]
    frame = [r["frame"] for r in runs if "frame" in r]
    body = "\n".join([
        f"Machine: {machine()}. A two-AZ stack (2 x t3.micro behind an ALB, 40 req/s of simulated load), the cloud's",
        "clock in realtime at 20x; the dashboard refreshing once a second in a real Jupyter kernel (every widget",
        "message serialised and sent), the live topology included (it is redrawn every 3rd refresh).",
        "",
        "| what | CPU (% of one core) |",
        "|---|---|",
        f"| the kernel running `awslab.dashboard(lab)` ({cost['refreshes']:.0f} refreshes in {args.seconds:.0f} s) "
        f"| {cost['kernel']:.1f} |",
        f"| the cloud process, dashboard open | {cost['cloud']:.1f} |",
        f"| the cloud process, no dashboard (its own pacing and load) | {cost['idle_cloud']:.1f} |",
        "",
        f"Click on \"Instance failure\" to the first visible change, in Chromium through `awslab present` "
        f"({len(runs)} clicks, each reset before the next):",
        "",
        "| what changes | median (ms) | max (ms) |",
        "|---|---|---|",
        f"| the button's feedback (\"Instance failure is running.\") | {statistics.median(feedback):.0f} | "
        f"{max(feedback):.0f} |" if feedback else "| the button's feedback | - | - |",
        f"| the drill's first frame (its milestones, from the next refresh) | {statistics.median(frame):.0f} | "
        f"{max(frame):.0f} |" if frame else "| the drill's first frame | - | - |",
    ])
    print(body)
    if not args.no_write:
        write_section("bench_dashboard", "The instructor console: cost at 1 refresh/s, click to first change", body)


if __name__ == "__main__":
    main()

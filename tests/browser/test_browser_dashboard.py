"""The instructor console in a real browser, JupyterLab and `awslab present` (Voila): one click breaks, one resets.

Debian's Chromium through Playwright (executable_path, nothing downloaded). The cloud runs its clock in
realtime; the test moves the dashboard's speed slider to 60x, so AWS's minutes pass in seconds. What the
test waits for is what a person sees: the targets table's rows (their AZ, lifecycle state and target health,
read by the dashboard through describe-auto-scaling-groups and describe-target-health).
``AWSLAB_SHOTS=<dir>`` saves a screenshot of each step there, to look at.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ..conftest import control, free_port, spawn_cloud, stop_spawned
from ..dashboard.stack import healthy_stack
from .test_browser_jupyterlab import CHROMIUM, CHROMIUM_ARGS, REPO, TOKEN, browser  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
#: The drill the test clicks, and what it must see: the AZ's targets turn unhealthy, a replacement appears in
#: the other AZ (the console runs the outage with the AZ's subnets out of the group, as the Well-Architected lab
#: does), and after reset the group is back in both AZs with every target healthy.
DRILL_BUTTON = "AZ outage"
SHOTS = os.environ.get("AWSLAB_SHOTS")
ROWS = ("() => [...document.querySelectorAll('tr.awslab-target')].map(r => ({id: r.dataset.instance, "
        "az: r.dataset.az, lifecycle: r.dataset.lifecycle, target: r.dataset.target}))")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A cloud of its own (realtime clock), a two-AZ stack with both targets healthy, and its lab's name."""
    home = str(tmp_path_factory.mktemp("dashboard-home"))
    proc, url = spawn_cloud(home, AWSLAB_SIM_MODE="virtual")
    before = os.environ.get("AWSLAB_HOME")
    os.environ["AWSLAB_HOME"] = home  # the test's own clients read this cloud's token there
    lab, _st = healthy_stack(url, "b")
    control(url, "POST", "clock", {"mode": "realtime", "speed": 5})
    yield {"home": home, "url": url, "lab": lab.name, "port": url.rsplit(":", 1)[1]}
    stop_spawned(proc)
    if before is not None:
        os.environ["AWSLAB_HOME"] = before


def _env(stack: dict, extra: dict | None = None) -> dict:
    home = Path(stack["home"])
    return dict(os.environ, AWSLAB_HOME=stack["home"], AWSLAB_PORT=stack["port"], AWSLAB_LANG="en",
                JUPYTER_RUNTIME_DIR=str(home / "rt"), JUPYTER_CONFIG_DIR=str(home / "cfg"),
                JUPYTER_DATA_DIR=str(home / "data"), **(extra or {}))


def _serve(cmd: list[str], env: dict, probe: str, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(probe, timeout=2)
            return proc
        except OSError:
            assert proc.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
    _stop(proc)
    pytest.fail(f"{cmd[2]} did not answer within 120 s:\n" + log.read_text()[-3000:])


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def _wait_rows(page, done, what: str, timeout_s: float = 120.0) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    rows = []
    while time.monotonic() < deadline:
        rows = page.evaluate(ROWS)
        if done(rows):
            return rows
        time.sleep(0.25)
    pytest.fail(f"the dashboard never showed {what}; its targets table: {json.dumps(rows)}")


def drive(page, name: str) -> None:
    """Speed 60x, click the drill, see it break and recover, click reset, see every target healthy."""
    page.wait_for_selector("tr.awslab-target", timeout=180_000)
    before = _wait_rows(page, lambda r: len(r) == 2 and all(x["target"] == "healthy" for x in r), "two healthy targets")
    if page.get_by_role("button", name="resume", exact=True).count():
        page.get_by_role("button", name="resume", exact=True).click()
    slider = page.locator(".widget-slider", has_text="speed").locator(".noUi-handle")
    slider.focus()
    slider.press("End")
    page.wait_for_function("() => document.querySelector('.awslab-note') && "
                           "[...document.querySelectorAll('.awslab-note')].some(e => e.textContent.includes('60×'))",
                           timeout=30_000)
    _shot(page, f"{name}-before")
    page.get_by_role("button", name=DRILL_BUTTON, exact=True).click()
    ids = {r["id"] for r in before}
    zone = min(r["az"] for r in before)  # the drill cuts the first AZ the group serves from
    _wait_rows(page, lambda r: all(x["target"] in ("unhealthy", "draining", "") for x in r
                                   if x["az"] == zone and x["id"] in ids), f"{zone}'s targets turn unhealthy")
    _shot(page, f"{name}-unhealthy")
    new = _wait_rows(page, lambda r: any(x["id"] not in ids and x["az"] != zone and x["lifecycle"] == "InService"
                                         for x in r), "a replacement in the other AZ")
    assert all(x["az"] != zone for x in new if x["id"] not in ids), "no replacement in the AZ that is cut off"
    _shot(page, f"{name}-replaced")
    page.get_by_role("button", name="reset", exact=True).click()
    page.wait_for_function("() => [...document.querySelectorAll('.awslab-note')].some(e => e.textContent.includes("
                           "'the lab is as the drill found it'))", timeout=60_000)
    zones = {r["az"] for r in before}
    _wait_rows(page, lambda r: len(r) == 2 and {x["az"] for x in r} == zones
               and all(x["target"] == "healthy" and x["lifecycle"] == "InService" for x in r),
               "the group back in both AZs, every target healthy, after reset", timeout_s=240)
    _shot(page, f"{name}-reset")
    page.get_by_role("button", name="pause", exact=True).click()  # stop the clock for the next view


def test_the_dashboard_in_jupyterlab_breaks_and_recovers_with_two_clicks(browser, stack, tmp_path):  # noqa: F811
    nb = tmp_path / "console.ipynb"
    nb.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}}, "cells": [{
            "cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "id": "console",
            "source": f"import awslab\nboard = awslab.dashboard(awslab.Lab(name={stack['lab']!r}))\nboard"}]}))
    port = free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", f"--IdentityProvider.token={TOKEN}",
           f"--notebook-dir={tmp_path}", "--allow-root"]
    url = f"http://127.0.0.1:{port}"
    lab = _serve(cmd, _env(stack, {"PYTHONPATH": str(REPO)}), f"{url}/api?token={TOKEN}", tmp_path / "lab.log")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(f"{url}/lab/workspaces/console/tree/console.ipynb?reset&token={TOKEN}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
        time.sleep(2)
        page.keyboard.press("Escape")
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()
        drive(page, "jupyterlab-1280")
    finally:
        page.close()
        _stop(lab)


def test_awslab_present_serves_the_same_dashboard_through_voila(browser, stack, tmp_path):  # noqa: F811
    port = free_port()
    cmd = [sys.executable, "-m", "awslab", "present", "--lab", stack["lab"], "--port", str(port),
           "--endpoint-url", stack["url"]]
    voila = _serve(cmd, _env(stack, {"PYTHONPATH": str(REPO)}), f"http://127.0.0.1:{port}/", tmp_path / "voila.log")
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        page.goto(f"http://127.0.0.1:{port}/", wait_until="commit", timeout=180_000)
        drive(page, "voila-1920")
        sizes = page.evaluate("() => [...document.querySelectorAll('.awslab-dashboard .widget-button')]"
                              ".map(b => parseFloat(getComputedStyle(b).fontSize))")
        assert sizes and min(sizes) >= 18, f"projector type: buttons at least 18 px, not {sizes}"
    finally:
        page.close()
        _stop(voila)
    assert "Voil" in (tmp_path / "voila.log").read_text()

"""A student's view, in a real browser: JupyterLab from `awslab up`, labs run with Run All, every output looked at.

Debian's Chromium (/usr/bin/chromium, installed by .ci/run) is driven by Playwright through its
executable_path, so nothing is downloaded. Where no Chromium can be had, the test skips and names it.
A headless nbclient pass has hidden a red traceback before: this test reads what the page shows.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("AWSLAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
TOKEN = "awslab-browser-test"
#: The flags a root, offline, headless Chromium needs here (no sandbox as root; no calls home).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; .ci/run installs it)")
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """`awslab up` as a student runs it (its own home: a fresh workspace and a cloud of its own)."""
    home = tmp_path_factory.mktemp("awslab-up-home")
    lab_port, cloud_port = _free_port(), _free_port()
    env = dict(os.environ, AWSLAB_HOME=str(home), AWSLAB_PORT=str(cloud_port), JUPYTER_RUNTIME_DIR=str(home / "rt"),
               JUPYTER_CONFIG_DIR=str(home / "cfg"), JUPYTER_DATA_DIR=str(home / "data"))
    log = open(home / "up.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "awslab", "up", "--no-browser", "--lang", "en", "--port", str(lab_port),
                             f"--IdentityProvider.token={TOKEN}"], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{lab_port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api?token={TOKEN}", timeout=2)
            break
        except OSError:
            assert proc.poll() is None, (home / "up.log").read_text()
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("awslab up did not serve JupyterLab within 120 s:\n" + (home / "up.log").read_text()[-3000:])
    yield url
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()


def run_all(browser, url: str, notebook: str, timeout_s: float, token: str | None = TOKEN, page=None) -> dict:
    """Open ``notebook`` in JupyterLab, Run All, wait until every cell ran; return what the page shows.

    ``page``: a page already logged in (through the Hub, say; ``token`` None), kept open; by default a new one.
    """
    own = page is None
    page = page or browser.new_page(viewport={"width": 1400, "height": 1000})
    query = f"?reset&token={token}" if token else "?reset"
    try:
        # a workspace of its own, reset: JupyterLab would otherwise restore the previous run's notebook as the active
        # tab, and Run All would run that one
        page.goto(f"{url}/lab/workspaces/{Path(notebook).stem}/tree/{notebook}{query}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'], .jp-KernelStatus", timeout=90_000)
        time.sleep(2)
        page.keyboard.press("Escape")
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()
        deadline = time.monotonic() + timeout_s
        time.sleep(3)
        while time.monotonic() < deadline:
            waiting = page.evaluate("() => [...document.querySelectorAll('.jp-InputArea-prompt')]"
                                    ".filter(e => e.textContent.includes('*')).length")
            if not waiting:
                break
            time.sleep(1)
        return page.evaluate("""() => ({
            waiting: [...document.querySelectorAll('.jp-InputArea-prompt')].filter(e => e.textContent.includes('*')).length,
            errors: [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
                      .map(e => e.textContent.slice(0, 400)),
            svgs: document.querySelectorAll('.jp-OutputArea-output svg g.graph').length,
            cells: document.querySelectorAll('.jp-CodeCell').length,
            ran: [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
                      .filter(e => /\\[\\d+\\]/.test(e.textContent)).length,
            checks: [...document.querySelectorAll('.jp-OutputArea-output')].map(e => e.textContent)
                      .filter(t => /^\\s*[✓✗] \\d\\d\\.\\d/.test(t)).length,
        })""")
    finally:
        if own:
            page.close()


def test_the_quickstart_runs_with_run_all_and_draws_the_topology(browser, jupyterlab):
    seen = run_all(browser, jupyterlab, "labs/en/00-quickstart.ipynb", 480)
    assert seen["waiting"] == 0, "every cell finished"
    assert seen["errors"] == [], seen["errors"]
    assert seen["svgs"] >= 1, "the live topology is drawn inline"
    assert seen["ran"] == seen["cells"]


def test_a_lab_unfilled_runs_to_the_end_with_no_error_and_says_what_to_fill(browser, jupyterlab):
    seen = run_all(browser, jupyterlab, "labs/en/01-network.ipynb", 240)
    assert seen["waiting"] == 0 and seen["ran"] == seen["cells"]
    assert seen["errors"] == [], seen["errors"]
    assert seen["svgs"] >= 1

"""The instructor's console on JupyterHub: `awslab present` in their server's terminal, the page through the Hub.

Behind the Hub's proxy a user's server answers under ``/user/<name>/``; the test stands ``jupyter server
--ServerApp.base_url=/user/teacher/`` in for that server (jupyterhub-singleuser is the same server with the
Hub's login in front, see test_hub.py), with the voila package's server extension, as installed. It checks
what the instructor does: run ``awslab present --lab drill`` where the Hub's environment says "you are on a
Hub", open the address it prints, and see the console of lab ``drill`` (the lab's name in its heading, its
drill buttons), rendered by a kernel of that server against that user's cloud. In Korean too (``&lang=ko``).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..browser.test_browser_dashboard import _serve, _stop
from ..browser.test_browser_jupyterlab import REPO, browser  # noqa: F401 - the fixture
from ..conftest import free_port, spawn_cloud, stop_spawned

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
TOKEN = "awslab-hub-console-test"
PREFIX = "/user/teacher/"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The teacher's home, cloud and single-user server (under the Hub's prefix), stopped afterwards."""
    home = tmp_path_factory.mktemp("teacher")
    awslab_home = home / ".awslab"
    awslab_home.mkdir()
    cloud, cloud_url = spawn_cloud(str(awslab_home))
    port = free_port()
    env = dict(os.environ, HOME=str(home), AWSLAB_HOME=str(awslab_home), AWSLAB_PORT=cloud_url.rsplit(":", 1)[1],
               AWSLAB_LANG="en", JUPYTER_RUNTIME_DIR=str(home / "rt"), JUPYTER_CONFIG_DIR=str(home / "cfg"),
               JUPYTER_DATA_DIR=str(home / "data"), PYTHONPATH=str(REPO))  # this checkout's awslab, in the kernel too
    log = home / "server.log"
    base = f"http://127.0.0.1:{port}"
    try:
        proc = _serve([sys.executable, "-m", "jupyter", "server", f"--port={port}", "--no-browser",
                       "--ServerApp.ip=127.0.0.1", f"--ServerApp.base_url={PREFIX}", f"--ServerApp.root_dir={home}",
                       f"--IdentityProvider.token={TOKEN}", *(["--allow-root"] if os.geteuid() == 0 else [])],
                      env, f"{base}{PREFIX}api/status?token={TOKEN}", log)
        try:
            yield {"url": base, "home": home, "env": env, "log": log}
        finally:
            _stop(proc)
    finally:
        stop_spawned(cloud)


def _present(server: dict, *args: str) -> str:
    env = dict(server["env"], JUPYTERHUB_SERVICE_PREFIX=PREFIX, JUPYTERHUB_HOST="")
    done = subprocess.run([sys.executable, "-m", "awslab", "present", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_present_on_the_hub_places_the_console_and_prints_its_address(server):
    out = _present(server, "--lab", "drill")
    address = f"{PREFIX}voila/render/awslab-instructor/console.ipynb?lab=drill"
    assert address in out.split(), out
    assert "127.0.0.1:8866" not in out
    folder = Path(server["home"]) / "awslab-instructor"
    assert {p.name for p in folder.iterdir()} == {"console.ipynb", "class-progress.ipynb"}
    (folder / "class-progress.ipynb").write_text("{}")  # the instructor's edits are kept
    _present(server, "--lab", "drill")
    assert (folder / "class-progress.ipynb").read_text() == "{}"


@pytest.mark.parametrize("lang, heading", [("en", "awslab · lab drill"), ("ko", "awslab · 실습 drill")])
def test_the_console_renders_through_the_servers_voila(server, browser, tmp_path, lang, heading):  # noqa: F811
    out = _present(server, "--lab", "drill", "--lang", lang)
    address = next(word for word in out.split() if word.startswith(PREFIX))
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    try:
        page.goto(f"{server['url']}{address}&token={TOKEN}", timeout=180_000)
        page.get_by_text(heading).wait_for(timeout=180_000)
        shots = Path(os.environ.get("AWSLAB_SHOTS") or tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(3000)  # the first refresh fills the tables and charts
        page.screenshot(path=str(shots / f"hub-console-{lang}.png"))
        text = page.inner_text("body")
    finally:
        page.close()
    assert "Traceback" not in text and "Error" not in text, text[:2000]
    assert "reset" in text.lower() or "되돌리기" in text, "the drills' row is there"

"""A student in a class, in a real browser: log in to the Hub, land in their copy of the course, Run All on a lab.

The Hub runs deploy/jupyterhub/jupyterhub_config.py as a class would: the isolated spawner (the student's server
and cloud in a network namespace of their own, as a user id of their own) behind the real configurable-http-proxy
(npm; .ci/run installs it into .ci/node). Chromium goes through the proxy's public port only, as a student's
browser does: the Hub's login form, the spawn, JupyterLab at /user/<name>/, the quickstart with Run All, whose
every cell must run with no error output, its ALB answering from both AZs and its topology drawn.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.browser.test_browser_jupyterlab import browser, run_all  # noqa: F401 - the fixture, shared
from tests.classroom.test_hub import REPO, _api, _wait, start_hub, stop_hub
from tests.classroom.isolated_class import isolated_class, skip_reason

pytest.importorskip("jupyterhub")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _proxy() -> str | None:
    """configurable-http-proxy: $AWSLAB_CHP, on PATH, or where .ci/run installs it."""
    for candidate in (os.environ.get("AWSLAB_CHP"), shutil.which("configurable-http-proxy"),
                      str(REPO / ".ci" / "node" / "node_modules" / ".bin" / "configurable-http-proxy")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="module")
def class_hub():
    if _proxy() is None:
        pytest.skip("configurable-http-proxy is missing (npm install configurable-http-proxy@4; .ci/run installs it)")
    if skip_reason():
        pytest.skip(skip_reason())
    with isolated_class("browser") as (root, settings, _network):
        hub = start_hub(root, proxy=_proxy(), runner=True, AWSLAB_CLASS_LANG="en", AWSLAB_HUB_ADMINS="teacher",
                        **settings)
        try:
            yield hub
        finally:
            stop_hub(hub)


def _log_in(page, hub: dict, name: str) -> None:
    """The Hub's login form, as a student fills it (the demo's dummy login takes any password)."""
    page.goto(f"{hub['url']}/hub/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", "any password: the demo's dummy login")
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"**/user/{name}/lab/tree/labs/en**", timeout=180_000)


def test_a_student_logs_in_lands_in_the_course_and_runs_the_quickstart(browser, class_hub):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        started = time.monotonic()
        _log_in(page, class_hub, "mina")
        page.wait_for_selector(".jp-DirListing-item", timeout=120_000)
        landed_s = time.monotonic() - started
        names = page.evaluate("() => [...document.querySelectorAll('.jp-DirListing-itemName')].map(e => e.textContent)")
        assert len([n for n in names if n.endswith(".ipynb")]) == len(list((REPO / "labs" / "en").glob("*.ipynb")))
        assert any(n.startswith("00-quickstart") for n in names), names

        seen = run_all(browser, f"{class_hub['url']}/user/mina", "labs/en/00-quickstart.ipynb", 480, token=None,
                       page=page)
        assert seen["waiting"] == 0 and seen["ran"] == seen["cells"], seen
        assert seen["errors"] == [], seen["errors"]
        assert seen["svgs"] >= 1, "the live topology is drawn inline"
        answers = page.evaluate("() => [...document.querySelectorAll('.jp-OutputArea-output')]"
                                ".map(e => e.textContent).filter(t => t.includes('200 OK · Hello from'))")
        assert {a.split(" in ")[1].split()[0] for a in answers} == {"ap-northeast-2a", "ap-northeast-2b"}, answers
    finally:
        page.close()
    print(f"logged in and landed in the course in {landed_s:.1f} s")
    assert _api(class_hub, "DELETE", "/users/mina/server")[0] in (202, 204)
    _wait(lambda: "" not in _api(class_hub, "GET", "/users/mina")[1].get("servers", {"": 1}), "mina's stop")


def test_the_instructor_opens_the_projector_console_through_the_hub(browser, class_hub):  # noqa: F811
    """The teacher (a Hub admin) logs in; `awslab present` places the console in their server (here through a
    kernel of that server: the command's own path is tests/classroom/test_hub_console.py); the address it prints,
    opened through the Hub's proxy, is the console of the teacher's lab, rendered by their server's Voila."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import aiohttp

    from awslab.drills.registry import DRILLS
    from tests.classroom.hub_kernel import Kernel, student_server

    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        _log_in(page, class_hub, "teacher")

        async def place() -> str:
            async with aiohttp.ClientSession() as http:
                server = await student_server(http, class_hub["api"], class_hub["runner"], "teacher")
                async with Kernel(http, server) as kernel:
                    ran = await kernel.execute("from awslab.classroom.instructor import console_path, "
                                               "place_notebooks\nplace_notebooks()\nprint(console_path('drill'))",
                                               timeout_s=60)
            assert ran.status == "ok", ran.error
            return "".join(o.get("text", "") for o in ran.outputs).strip()

        with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's event loop
            path = pool.submit(lambda: asyncio.run(place())).result(timeout=120)
        assert path == "/user/teacher/voila/render/awslab-instructor/console.ipynb?lab=drill", path
        page.goto(f"{class_hub['url']}{path}")
        page.get_by_text("awslab · lab drill").wait_for(timeout=180_000)
        page.wait_for_timeout(3000)
        buttons = page.evaluate("() => [...document.querySelectorAll('button')].map(b => b.textContent.trim())")
        assert len([b for b in buttons if b]) >= len(DRILLS), buttons
        errors = page.evaluate("() => [...document.querySelectorAll('.jp-OutputArea-output"
                               "[data-mime-type=\"application/vnd.jupyter.stderr\"], .voila-error')]"
                               ".map(e => e.textContent.slice(0, 300))")
        assert errors == [], errors
    finally:
        page.close()

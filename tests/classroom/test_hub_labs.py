"""A lab run headless through the Hub (issue 16): a student logs in, and lab 01 runs in their own server.

The Hub runs the shipped configuration plus the test-only service of tests/classroom/hub_test_config.py; the
student logs in through the REST API (the dummy authenticator), and tests/classroom/hub_kernel.py mints a token
for them, starts a kernel in their server and runs lab 01's solution (verify mode: each check must fail before
its task and pass after) cell by cell, against their own class-mode cloud. Lab 01 is the shortest lab whose
checks read the student's cloud (about 5 s alone, by ``python -m awslab.course.run 01``).
"""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.classroom.test_hub import _alive, _api, _awslab_home, _cloud_port, _wait, spawn, start_hub, stop_hub

pytest.importorskip("jupyterhub")

LAB, STUDENT = "01", "carol"
CELL_TIMEOUT_S = 120
RUN_DEADLINE_S = 240  # the whole lab, kernel start included: about 5 s alone on a quiet machine


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = start_hub(tmp_path_factory.mktemp("class-labs"), runner=True)
    try:
        yield hub
    finally:
        stop_hub(hub)


async def _run(hub: dict, lab: str, name: str):
    from tests.classroom.hub_kernel import run_lab_in_server, student_server

    async with aiohttp.ClientSession() as http:
        server = await student_server(http, hub["api"], hub["runner"], name)
        return server, await asyncio.wait_for(run_lab_in_server(http, server, lab, cell_timeout_s=CELL_TIMEOUT_S),
                                              RUN_DEADLINE_S)


def test_a_student_runs_lab_01_in_their_own_server_through_the_hub_and_every_check_passes(hub):
    spawn(hub, (STUDENT,))
    port = _cloud_port(hub, STUDENT)
    cloud_pid = int((_awslab_home(hub, STUDENT) / f"cloud-{port}.pid").read_text())
    server_pid = _api(hub, "GET", f"/users/{STUDENT}")[1]["servers"][""]["state"]["pid"]

    t0 = time.monotonic()
    server, run = asyncio.run(_run(hub, LAB, STUDENT))
    print(f"lab {LAB} through the Hub: {run.seconds:.1f} s ({time.monotonic() - t0:.1f} s with the token)")
    assert server.url.endswith(f"/user/{STUDENT}/"), server.url
    assert run.ok, run.error or run.errors
    executed = [c for c in run.notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in executed), "every code cell ran"
    # every task ran in verify mode (its check failed before, and would have raised had it not passed after),
    # and said so through the kernel's websocket
    outputs = "\n".join(run.outputs())
    tasks = [c.source.split()[1] for c in executed if c.source.startswith("%%task")]
    assert tasks == ["01.1", "01.2", "01.3", "01.4"], tasks
    assert all(f"[verify] {task} before the task" in outputs for task in tasks), outputs[:3000]

    # it ran in the student's own cloud: the VPC lab 01 made is there, seen with their key, on their port, in the
    # region their server was given (this process's environment is the Hub's, which the launcher inherits)
    import boto3

    from awslab import config
    from awslab.cloud import access_keys

    key = access_keys.read(_awslab_home(hub, STUDENT))
    ec2 = boto3.session.Session().client("ec2", endpoint_url=f"http://127.0.0.1:{port}", region_name=config.region(),
                                         **key.as_client_kwargs())
    names = {t["Value"] for v in ec2.describe_vpcs()["Vpcs"] for t in v.get("Tags", []) if t["Key"] == "Name"}
    assert "awslab-vpc" in names, names

    assert _api(hub, "DELETE", f"/users/{STUDENT}/server")[0] in (202, 204)
    _wait(lambda: not _alive(cloud_pid) and not _alive(server_pid), "the student's processes to end")

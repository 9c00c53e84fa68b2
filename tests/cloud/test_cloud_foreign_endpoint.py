"""A foreign endpoint: plain moto_server, with no /_awslab/ control API, stands in for LocalStack or AWS. The
builder and the lab checks of labs 01-06 either work there or say, as NeedsSimulator, that a step needs awslab's
simulator; never a traceback, and never the control API's HTTP 404 passed on as if it were the student's fault."""
from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

from awslab import Lab
from awslab.checks.registry import run_check, tasks
from awslab.cloud.client import ControlClient, NeedsSimulator
from awslab.drills.simulator import Simulator, simulator
from awslab.errors import ComputeError
from awslab.layers.stack import build_stack
from tests.conftest import free_port


@pytest.fixture(scope="module")
def moto_server():
    """moto's own server (no awslab patches, no control API) on a free loopback port, in a process of its own: an
    in-process server would share this test process's moto models, which other tests may have patched."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=2).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture
def foreign_lab(moto_server, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    return Lab(name="f" + uuid.uuid4().hex[:8], backend="endpoint", endpoint_url=moto_server)


def test_a_control_call_to_a_foreign_endpoint_says_it_needs_the_simulator(moto_server):
    with pytest.raises(NeedsSimulator) as e:
        Simulator(moto_server).advance(60)
    assert "/_awslab/clock/advance" in e.value.problem and "not awslab's embedded cloud" in e.value.problem
    assert "embedded cloud" in e.value.fix and "real account" in e.value.fix
    with pytest.raises(NeedsSimulator):
        ControlClient(moto_server).call("POST", "faults", {"instance_id": "i-0", "kind": "app_500"})


@pytest.mark.timeout(600)
def test_the_builder_and_the_checks_of_labs_01_to_06_work_or_say_they_need_the_simulator(foreign_lab):
    assert simulator(foreign_lab) is None  # waits fall back to AWS's own waiters
    # Plain moto 5.2.5 lacks the AWS managed policy CloudWatchAgentServerPolicy (AWS and the embedded cloud have it),
    # so the app servers' role (made only with a database) stops there, with an error that names it.
    with pytest.raises(ComputeError, match="CloudWatchAgentServerPolicy"):
        build_stack(foreign_lab, until="compute")
    stack = build_stack(foreign_lab, until="loadbalancing", skip=("database",))
    assert stack.loadbalancing.dns_name and stack.network.vpc_id
    verdicts, needs_sim = [], []
    for lab_id in ("01", "02", "03", "04", "05", "06"):
        for t in tasks(lab_id):
            try:
                verdicts.append(run_check(t.id, foreign_lab))
            except NeedsSimulator as e:
                needs_sim.append((t.id, e.problem))
    assert verdicts, "no check ran"
    for v in verdicts:  # a verdict is fine, passed or not, unless it is the control API's 404 or a crash in disguise
        text = f"{v.message} {v.fix}"
        assert "/_awslab/" not in text and "404" not in text and "Traceback" not in text, (v.task, text)
        assert "could not read the cloud" not in text, (v.task, text)
    print([(v.task, v.message[:150]) for v in verdicts if not v.passed], needs_sim)


def test_a_check_that_needs_the_simulator_says_so_not_start_the_cloud(foreign_lab, monkeypatch):
    """A check whose read needs the control API raises NeedsSimulator, not a verdict telling the student to start a cloud."""
    from awslab.checks import registry

    task = registry.get_task("01.1")
    monkeypatch.setitem(registry._TASKS, "01.1", registry.Task("01.1", task.title,
                                                               lambda lab: Simulator(lab.endpoint_url).timeline()))
    with pytest.raises(NeedsSimulator, match="/_awslab/timeline"):
        run_check("01.1", foreign_lab)

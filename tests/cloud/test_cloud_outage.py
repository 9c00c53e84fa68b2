"""awslab.cloud.outage: a cloud that stops or restarts under a lab reads as a paragraph, and status/teardown say so."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from awslab import Lab
from awslab.cloud import start_cloud, stop_cloud
from awslab.errors import CloudNotAnswering, CloudRestarted
from awslab.layers.keys import create_key_pair
from awslab.layers.network import build_network
from awslab.layers.security import build_security
from tests.conftest import control, free_port

REPO = Path(__file__).resolve().parents[2]


def awslab(*args: str, port: int, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "awslab", *args], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, AWSLAB_PORT=str(port)), stdin=subprocess.DEVNULL, cwd=REPO)


@pytest.fixture
def port(awslab_home):
    port = free_port()
    start_cloud(port)
    yield port
    stop_cloud(port)


def test_a_cloud_that_stops_then_restarts_under_a_lab_is_told_in_a_paragraph(port):
    lab = Lab(name="o" + uuid.uuid4().hex[:6], endpoint_url=f"http://127.0.0.1:{port}")
    network = build_network(lab)
    key = create_key_pair(lab)
    assert stop_cloud(port)
    with pytest.raises(CloudNotAnswering) as down:
        build_security(lab, network)
    text = str(down.value)
    assert "is not answering" in text and "keeps everything in memory" in text and "awslab cloud start" in text
    assert len(down.value._render_traceback_()) == 1  # what JupyterLab shows instead of the traceback
    start_cloud(port)  # a new boot: it remembers nothing
    with pytest.raises(CloudRestarted) as restarted:
        build_security(lab, network)
    assert "restarted" in str(restarted.value) and "forgot every resource" in str(restarted.value)
    assert "awslab build" in str(restarted.value)

    status = awslab("status", "--lab", lab.name, port=port)
    assert status.returncode == 0, status.stderr
    assert "restarted since this lab was built" in status.stdout and key.private_key_path in status.stdout
    teardown = awslab("teardown", "--lab", lab.name, "--yes", port=port)
    assert teardown.returncode == 0, teardown.stdout + teardown.stderr
    assert "nothing there to delete" in teardown.stdout and "were kept" in teardown.stdout
    assert Path(key.private_key_path).exists()  # kept, as it says: the next build imports it again
    assert Lab(name=lab.name, endpoint_url=lab.endpoint_url).cloud_restart() is None  # torn down: nothing to tell


def test_a_rebuild_after_a_restart_is_not_reported_as_lost(port):
    url = f"http://127.0.0.1:{port}"
    lab = Lab(name="r" + uuid.uuid4().hex[:6], endpoint_url=url)
    build_network(lab)
    stop_cloud(port)
    start_cloud(port)
    again = Lab(name=lab.name, endpoint_url=url)
    assert again.cloud_restart() is not None
    build_network(again)  # run the notebook from the top: every step again, on the new boot
    assert again.cloud_restart() is None


def test_the_cli_prints_a_paragraph_when_the_cloud_stops_mid_build(port):
    """The build waits for the bastion to run; the clock is paused, so it waits until the cloud is stopped."""
    url = f"http://127.0.0.1:{port}"
    control(url, "POST", "clock/pause")
    name = "m" + uuid.uuid4().hex[:6]
    build = subprocess.Popen([sys.executable, "-m", "awslab", "build", "--lab", name, "--until", "bastion"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
                             env=dict(os.environ, AWSLAB_PORT=str(port)))
    lab = Lab(name=name, endpoint_url=url, start_cloud=False)
    try:
        deadline = time.monotonic() + 240
        while not lab.client("ec2").describe_instances(Filters=lab.lab_filters())["Reservations"]:
            assert build.poll() is None and time.monotonic() < deadline, build.stdout.read()
            time.sleep(0.2)
        stop_cloud(port)
        out, _ = build.communicate(timeout=120)
    finally:
        if build.poll() is None:
            build.kill()
    assert build.returncode == 2, out
    assert "Traceback" not in out and len(out.strip().splitlines()) <= 6, out
    assert "is not answering" in out and "keeps everything in memory" in out and "awslab cloud start" in out


def test_an_answer_cut_off_mid_body_is_a_cloud_not_running_error_not_a_traceback():
    """A cloud stopped while it answers leaves a short body (http.client.IncompleteRead, not an OSError); the control
    client reports it as the cloud not running, with the fix, as for a refused connection."""
    import socket
    import threading

    from awslab.cloud.client import ControlClient
    from awslab.errors import CloudNotRunning

    server = socket.create_server(("127.0.0.1", 0))
    served = threading.Event()

    def answer_half_once():
        server.settimeout(10)
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 396\r\n\r\n{\"now\":")
            served.set()

    t = threading.Thread(target=answer_half_once, daemon=True)
    t.start()
    try:
        with pytest.raises(CloudNotRunning) as e:
            ControlClient(f"http://127.0.0.1:{server.getsockname()[1]}", token="x", timeout=5).call(
                "POST", "clock/advance", {"seconds": 1})
    finally:
        server.close()
        t.join(10)
    assert served.is_set()
    assert "clock/advance" in str(e.value) and "cut off" in str(e.value)


def test_a_connection_reset_mid_call_is_the_outage_paragraph():
    """The control API noticed first (a wait polls the clock while boto3 sleeps): the cloud reset the connection.
    The student gets the same paragraph as when boto3 notices: it is not answering, and it forgot everything."""
    import socket
    import struct
    import threading

    from awslab.cloud.client import ControlClient
    from awslab.errors import CloudNotAnswering

    server = socket.create_server(("127.0.0.1", 0))

    def reset_once():
        server.settimeout(10)
        try:
            conn, _ = server.accept()
        except OSError:
            return
        conn.recv(65536)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a RST
        conn.close()

    t = threading.Thread(target=reset_once, daemon=True)
    t.start()
    try:
        with pytest.raises(CloudNotAnswering) as e:
            ControlClient(f"http://127.0.0.1:{server.getsockname()[1]}", token="x", timeout=5).call("GET", "clock")
    finally:
        server.close()
        t.join(10)
    text = str(e.value)
    assert "is not answering" in text and "keeps everything in memory" in text and "awslab cloud start" in text, text

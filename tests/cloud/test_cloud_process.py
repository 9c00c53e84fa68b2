"""awslab.cloud.process: start once however many start at once, and stop only a process proven to be the cloud."""
from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from awslab.cloud import cloud_status, identity, start_cloud, stop_cloud
from tests.conftest import control, free_port

REPO = Path(__file__).resolve().parents[2]


def awslab(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "awslab", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, cwd=REPO)


def clouds_on(port: int) -> list[int]:
    """Every process on this machine whose command line is an awslab cloud for ``port``."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"awslab" in args and b"cloud" in args and str(port).encode() in args:
            pids.append(int(entry.name))
    return pids


@pytest.fixture
def unrelated():
    """A real process that has nothing to do with awslab (what a stale pid file may name after a reboot)."""
    proc = subprocess.Popen(["sleep", "300"])
    deadline = time.monotonic() + 10
    while Path(f"/proc/{proc.pid}/cmdline").read_bytes() != b"sleep\x00300\x00":  # until it has exec'd
        assert time.monotonic() < deadline
        time.sleep(0.01)
    yield proc
    proc.kill()
    proc.wait()


def test_a_stale_pid_file_never_gets_an_unrelated_process_killed(awslab_home, unrelated):
    port = free_port()
    pidfile = Path(awslab_home) / f"cloud-{port}.pid"
    pidfile.write_text(str(unrelated.pid))
    result = stop_cloud(port, timeout=2)
    assert not result and result.ok and unrelated.poll() is None
    assert f"pid {unrelated.pid}" in str(result) and "sleep 300" in str(result) and "left that program alone" in str(result)
    assert not pidfile.exists()


class _Impostor(http.server.BaseHTTPRequestHandler):
    """Answers /_awslab/health like the cloud, naming a pid that is not a cloud."""

    pid = 0

    def do_GET(self):
        answer = {"status": "running", "service": "awslab-embedded-cloud", "pid": self.pid, "boot_id": "x"}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_health_answer_alone_does_not_prove_a_process_is_the_cloud(awslab_home, unrelated):
    """A program on the port that claims another pid (or a cloud in a container, whose pids are not ours)."""
    _Impostor.pid = unrelated.pid
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Impostor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = stop_cloud(server.server_address[1], timeout=2)
    finally:
        server.shutdown()
        server.server_close()
    assert not result and not result.ok and unrelated.poll() is None
    assert "not an awslab cloud" in str(result) and "sleep 300" in str(result)


def test_two_starters_at_once_spawn_one_cloud(awslab_home):
    port = free_port()
    code = ("import sys; from awslab.cloud import start_cloud; s = start_cloud(int(sys.argv[1])); "
            "print(s.pid, s.started, s.running)")
    starters = [subprocess.Popen([sys.executable, "-c", code, str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for _ in range(3)]
    try:
        answers = [p.communicate(timeout=120) for p in starters]
        assert all(p.returncode == 0 for p in starters), [a[1][-500:] for a in answers]
        lines = [a[0].split() for a in answers]
        assert len({pid for pid, _, _ in lines}) == 1 and all(running == "True" for _, _, running in lines)
        assert sorted(started for _, started, _ in lines) == ["False", "False", "True"]
        assert clouds_on(port) == [int(lines[0][0])]
    finally:
        stop_cloud(port)
    assert clouds_on(port) == []


def test_start_closes_its_copy_of_the_log_and_stop_removes_the_token(awslab_home):
    port = free_port()
    log = Path(awslab_home) / f"cloud-{port}.log"
    status = start_cloud(port)
    try:
        assert status.running and status.started and status.log == str(log)
        assert "Started awslab's embedded cloud in the background" in str(status) and "awslab cloud stop" in str(status)
        fds = [f"/proc/self/fd/{fd}" for fd in os.listdir("/proc/self/fd")]
        ours = [os.readlink(fd) for fd in fds if os.path.exists(fd)]
        assert str(log) not in ours
        assert identity.token_path(port).exists()
        again = start_cloud(port)
        assert again.running and not again.started and again.pid == status.pid
    finally:
        result = stop_cloud(port)
    assert result and result.pid == status.pid and f"pid {status.pid}" in str(result)
    assert not identity.token_path(port).exists() and not cloud_status(port).running


def test_cloud_status_is_a_sentence_and_fails_when_down(cloud_url):
    port = cloud_url.rsplit(":", 1)[1]
    up = awslab("cloud", "status", "--port", port)
    health = control(cloud_url, "GET", "health")
    assert up.returncode == 0 and up.stdout.strip().startswith("awslab's embedded cloud is running at")
    assert f"pid {health['pid']}" in up.stdout and "CloudProcess(" not in up.stdout
    down = awslab("cloud", "status", "--port", str(free_port()))
    assert down.returncode == 1 and "is not running" in down.stdout and "awslab cloud start" in down.stdout


def test_a_second_cloud_run_on_a_busy_port_names_the_running_cloud(cloud_url):
    port = cloud_url.rsplit(":", 1)[1]
    pid = cloud_status(int(port)).pid
    second = awslab("cloud", "run", "--port", port, timeout=60)
    assert second.returncode == 1
    assert "already running" in second.stderr and f"pid {pid}" in second.stderr and "Traceback" not in second.stderr
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = awslab("cloud", "run", "--port", str(squatter.getsockname()[1]), timeout=60)
    assert taken.returncode == 1 and "not awslab's embedded cloud" in taken.stderr


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A program on the port that says "my token is in <that file>" and notes every token it is sent."""

    token_file = ""
    seen: list = []

    def do_GET(self):
        if self.path.startswith("/_awslab/health"):
            body = json.dumps({"service": "awslab-embedded-cloud", "pid": 1, "token_file": self.token_file}).encode()
            self.send_response(200)
        else:
            self.seen.append(self.headers.get(identity.TOKEN_HEADER))
            body = b'{"error": "no"}'
            self.send_response(401)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_token_file_named_by_the_cloud_is_read_only_if_it_is_that_ports_and_private(tmp_path):
    from awslab.cloud.client import ControlClient, ControlRefused

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE-KEY")
    secret.chmod(0o600)
    shared = tmp_path / f"cloud-{port}.token"
    shared.write_text("readable-by-all")
    shared.chmod(0o644)
    private = tmp_path / "other" / f"cloud-{port}.token"
    private.parent.mkdir()
    private.write_text("the-other-homes-token")
    private.chmod(0o600)
    try:
        for named in (secret, shared, private):
            _Recorder.token_file, _Recorder.seen = str(named), []
            with pytest.raises(ControlRefused):
                ControlClient(f"http://127.0.0.1:{port}", home=tmp_path / "mine").call("GET", "clock")
            sent = [t for t in _Recorder.seen if t]
            assert sent == (["the-other-homes-token"] if named == private else []), (named, sent)
    finally:
        server.shutdown()
        server.server_close()

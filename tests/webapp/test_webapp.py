"""The lab's web app: real HTTP on loopback, fault modes, the pure respond(), IMDSv2 and the user data."""
from __future__ import annotations

import ast
import asyncio
import base64
import http.client
import http.server
import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from awslab.webapp import APP_SOURCE, USER_DATA_LIMIT, user_data, user_data_base64
from awslab.webapp.app import (AppState, Database, Identity, Request, imds_identity, main, respond, serve)

ME = Identity("i-0test1234567890ab", "ap-northeast-2a", "10.0.11.23")


class Running:
    """The app served by an event loop in a background thread, so blocking http.client can talk to it."""

    def __init__(self, state: AppState, db_url: str | None = None, fault_file: str | None = None):
        self.state = state
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.app = self._run(serve("127.0.0.1", 0, ME, state, db_url=db_url, fault_file=fault_file))
        self.port = self.app.port

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def conn(self, timeout: float = 5.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, path: str, timeout: float = 5.0, **headers: str) -> tuple[int, dict, bytes]:
        c = self.conn(timeout)
        try:
            c.request("GET", path, headers=headers)
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def stop(self) -> None:
        self._run(self.app.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite://{tmp_path}/lab.db"


@pytest.fixture
def web(db_url):
    running = Running(AppState(), db_url)
    yield running
    running.stop()


def test_root_names_the_instance(web):
    status, headers, body = web.get("/")
    assert status == 200 and body.decode() == "Hello from i-0test1234567890ab in ap-northeast-2a (10.0.11.23)\n"
    assert headers["X-Instance-Id"] == ME.instance_id
    status, headers, body = web.get("/", Accept="application/json")
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"message": "Hello from i-0test1234567890ab in ap-northeast-2a (10.0.11.23)",
                                "instance_id": ME.instance_id, "availability_zone": "ap-northeast-2a", "private_ip": "10.0.11.23"}


def test_health_answers_ok(web):
    assert web.get("/health")[0::2] == (200, b"ok\n")


def test_products_come_from_the_database_and_are_seeded_once(web, tmp_path):
    status, _, body = web.get("/products")
    rows = json.loads(body)["products"]
    assert status == 200 and len(rows) == 4 and rows[0] == {"id": 1, "name": "Keyboard", "price": 49.0}
    with sqlite3.connect(tmp_path / "lab.db") as db:
        db.execute("INSERT INTO products VALUES (10, 'Webcam', 59.0)")
    rows = json.loads(web.get("/products")[2])["products"]
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 10]


def test_products_without_or_with_a_broken_database(tmp_path):
    running = Running(AppState(), None)
    try:
        status, _, body = running.get("/products")
        assert status == 503 and "--db-url" in json.loads(body)["error"]
    finally:
        running.stop()
    broken = Running(AppState(), f"sqlite://{tmp_path}/no/such/dir/lab.db")
    try:
        status, _, body = broken.get("/products")
        assert status == 500 and "database error" in json.loads(body)["error"]
        assert broken.get("/health")[0] == 200  # the app itself is fine
    finally:
        broken.stop()


def test_headers_show_the_request_as_the_server_received_it(web):
    status, _, body = web.get("/headers?x=1", **{"X-Forwarded-For": "203.0.113.7", "X-Amzn-Trace-Id": "Root=1-abc"})
    got = json.loads(body)
    assert status == 200 and got["method"] == "GET" and got["target"] == "/headers?x=1"
    assert got["headers"]["x-forwarded-for"] == "203.0.113.7" and got["headers"]["x-amzn-trace-id"] == "Root=1-abc"
    assert got["peer"] == "127.0.0.1" and got["instance_id"] == ME.instance_id


def test_the_api_answers_under_api_with_the_path_unchanged(web):
    status, headers, body = web.get("/api/whoami")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"api": "awslab", "path": "/api/whoami", "instance_id": ME.instance_id,
                                "availability_zone": "ap-northeast-2a", "private_ip": "10.0.11.23"}
    assert json.loads(web.get("/api/")[2])["path"] == "/api/"
    assert [p["id"] for p in json.loads(web.get("/api/products")[2])["products"]] == [1, 2, 3, 4]
    assert json.loads(web.get("/api/headers", **{"X-Forwarded-Proto": "http"})[2])["headers"]["x-forwarded-proto"] == "http"
    status, _, body = web.get("/api/orders")
    assert status == 404 and "/api/whoami" in json.loads(body)["routes"]
    assert web.get("/apiary")[0] == 404, "only /api and /api/... belong to the API"


def test_keep_alive_serves_two_requests_on_one_connection(web):
    c = web.conn()
    try:
        c.request("GET", "/health")
        r1 = c.getresponse()
        assert r1.read() == b"ok\n" and r1.getheader("Connection") == "keep-alive"
        sock = c.sock
        c.request("GET", "/")
        r2 = c.getresponse()
        assert r2.status == 200 and r2.read().startswith(b"Hello from") and c.sock is sock
    finally:
        c.close()


def test_request_with_a_body_then_another_on_the_same_connection(web):
    with socket.create_connection(("127.0.0.1", web.port), timeout=5) as s:
        s.sendall(b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /health HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        data = _read_all(s)
    assert data.startswith(b"HTTP/1.1 405 Method Not Allowed") and b"Allow: GET, HEAD" in data
    assert data.count(b"HTTP/1.1 ") == 2 and data.endswith(b"ok\n") and b"Connection: close" in data


def _read_all(s: socket.socket) -> bytes:
    chunks = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("raw,status", [
    (b"GARBAGE\r\n\r\n", b"400"),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", b"501"),
    (b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", b"400"),
])
def test_malformed_requests_get_an_error_and_close(web, raw, status):
    with socket.create_connection(("127.0.0.1", web.port), timeout=5) as s:
        s.sendall(raw)
        data = _read_all(s)
    assert data.split(b" ")[1] == status and b"Connection: close" in data


def test_unknown_path_is_404_and_head_has_no_body(web):
    assert web.get("/nope")[0] == 404
    c = web.conn()
    try:
        c.request("HEAD", "/health")
        r = c.getresponse()
        assert r.status == 200 and r.getheader("Content-Length") == "3" and r.read() == b""
    finally:
        c.close()


def test_unhealthy_fails_only_the_health_check(web):
    web.state.set("unhealthy")
    assert web.get("/health")[0::2] == (500, b"unhealthy\n")
    assert web.get("/")[0] == 200
    web.state.set("ok")
    assert web.get("/health")[0] == 200


def test_hang_never_answers_so_the_client_times_out(web):
    web.state.set("hang")
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        web.get("/health", timeout=0.5)
    assert time.monotonic() - started < 3
    web.state.set("ok")
    assert web.get("/health")[0] == 200


def test_slow_answers_after_the_delay(web):
    web.state.set("slow", 0.3)
    started = time.monotonic()
    assert web.get("/health")[0] == 200
    assert time.monotonic() - started >= 0.3


def test_crash_refuses_connections_afterwards(web):
    assert web.get("/health")[0] == 200
    idle = web.conn()  # a keep-alive connection the app has answered on, open when the app dies
    idle.request("GET", "/health")
    assert idle.getresponse().read()
    web.state.set("crash")
    deadline = time.monotonic() + 5
    while web.app.is_serving() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert web.app.crashed
    with pytest.raises(ConnectionRefusedError):
        web.get("/health")
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):  # the open connection was reset
        idle.request("GET", "/health")
        idle.getresponse()
    idle.close()


def test_fault_file_drives_the_state(tmp_path):
    fault = tmp_path / "fault"
    running = Running(AppState(), None, fault_file=str(fault))
    try:
        assert running.get("/health")[0] == 200
        fault.write_text("unhealthy\n")
        assert running.get("/health")[0] == 500 and running.state.mode == "unhealthy"
        fault.unlink()
        assert running.get("/health")[0] == 200
        fault.write_text("crash")
        with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
            running.get("/health")
        with pytest.raises(ConnectionRefusedError):
            running.get("/health")
    finally:
        running.stop()


# -- the pure function ------------------------------------------------------------


@pytest.mark.parametrize("mode,path,status", [
    ("ok", "/", 200), ("ok", "/health", 200), ("ok", "/missing", 404),
    ("unhealthy", "/health", 500), ("unhealthy", "/", 200), ("slow", "/health", 200),
])
def test_respond_status_by_mode(mode, path, status):
    r = respond(Request("GET", path), ME, AppState(mode, 1.5), None)
    assert r.status == status and not r.hang and not r.crash
    assert r.delay == (1.5 if mode == "slow" else 0.0)


@pytest.mark.parametrize("mode,flag", [("hang", "hang"), ("crash", "crash")])
def test_respond_hang_and_crash_are_flags_not_answers(mode, flag):
    r = respond(Request("GET", "/health"), ME, AppState(mode), None)
    assert getattr(r, flag) and r.status == 0


def test_respond_products_uses_the_db_adapter(tmp_path):
    db = Database(f"sqlite://{tmp_path}/p.db")
    try:
        r = respond(Request("GET", "/products"), ME, AppState(), db)
        assert r.status == 200 and [p["name"] for p in json.loads(r.body)["products"]][:2] == ["Keyboard", "Mouse"]
    finally:
        db.close()
    mem = Database("sqlite:///:memory:")
    assert len(mem.products()) == 4 and len(mem.products()) == 4


def test_respond_rejects_other_methods_and_bad_modes():
    r = respond(Request("DELETE", "/products"), ME, AppState(), None)
    assert r.status == 405 and r.headers["Allow"] == "GET, HEAD"
    with pytest.raises(ValueError):
        AppState("broken")
    with pytest.raises(ValueError):
        Database("postgres://x")


# -- IMDSv2, main(), user data -----------------------------------------------------


def test_imds_identity_uses_a_v2_session_token():
    seen = []

    class FakeImds(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):
            seen.append(("PUT", self.path, self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")))
            self._send(b"TOKEN123")

        def do_GET(self):
            seen.append(("GET", self.path, self.headers.get("X-aws-ec2-metadata-token")))
            values = {"/latest/meta-data/instance-id": b"i-0imds", "/latest/meta-data/placement/availability-zone": b"ap-northeast-2c",
                      "/latest/meta-data/local-ipv4": b"10.0.12.7"}
            if self.headers.get("X-aws-ec2-metadata-token") != "TOKEN123":
                self.send_response(401)
                self.end_headers()
                return
            self._send(values[self.path])

        def _send(self, body):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeImds)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        me = imds_identity(timeout=2, base=f"http://127.0.0.1:{srv.server_address[1]}/latest")
    finally:
        srv.shutdown()
        srv.server_close()
    assert me == Identity("i-0imds", "ap-northeast-2c", "10.0.12.7")
    assert seen[0] == ("PUT", "/latest/api/token", "21600") and all(s[2] == "TOKEN123" for s in seen[1:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_app_runs_as_a_program_and_exits_70_after_a_crash(tmp_path):
    port, fault = _free_port(), tmp_path / "fault"
    proc = subprocess.Popen([sys.executable, str(APP_SOURCE), "--host", "127.0.0.1", "--port", str(port), "--no-imds",
                             "--instance-id", "i-0cli", "--az", "ap-northeast-2b", "--private-ip", "10.0.12.9",
                             "--fault-file", str(fault)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, body = time.monotonic() + 10, b""
        while time.monotonic() < deadline and not body:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/")
                body = c.getresponse().read()
                c.close()
            except ConnectionRefusedError:
                time.sleep(0.05)
        assert body == b"Hello from i-0cli in ap-northeast-2b (10.0.12.9)\n"
        fault.write_text("crash")
        with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/health")
            c.getresponse()
        assert proc.wait(10) == 70
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_main_parses_arguments_like_the_systemd_unit():
    with pytest.raises(SystemExit):
        main(["--port", "not-a-number"])


def test_app_source_is_python_3_9_syntax():
    ast.parse(APP_SOURCE.read_text(), feature_version=(3, 9))


@pytest.mark.parametrize("db", [None, "mysql://app:s3cr%21t@db.example:3306/shop"])
def test_user_data_fits_ec2_limit_and_installs_the_app(tmp_path, db):
    script = user_data(port=8080, db_url=db)
    assert len(script.encode()) <= USER_DATA_LIMIT
    assert base64.b64decode(user_data_base64(8080, db)).decode() == script
    assert "--port 8080" in script and "systemctl enable --now awslab-webapp" in script
    assert ("pymysql" in script) == bool(db)
    subprocess.run(["bash", "-n"], input=script.encode(), check=True)
    # Run it for real with its paths moved into tmp_path and the root-only commands left out.
    local = script.replace("/opt/awslab", str(tmp_path / "opt")).replace("/etc/systemd/system", str(tmp_path))
    local = "\n".join(line for line in local.splitlines() if not line.startswith(("systemctl", "dnf ")))
    subprocess.run(["bash", "-c", local], check=True, capture_output=True, timeout=30)
    assert (tmp_path / "opt" / "app.py").read_text() == APP_SOURCE.read_text()
    unit = (tmp_path / "awslab-webapp.service").read_text()
    assert "RestartPreventExitStatus=70" in unit and "DynamicUser=yes" in unit
    if db:
        env = tmp_path / "opt" / "app.env"
        assert env.read_text().strip() == f'AWSLAB_DB_URL="{db}"' and env.stat().st_mode & 0o077 == 0


def test_user_data_rejects_a_bad_port():
    with pytest.raises(ValueError):
        user_data(port=0)


def test_user_data_fetches_the_rds_password_from_secrets_manager_without_logging_it(tmp_path):
    arn = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:rds!db-0abc"
    script = user_data(80, "mysql://admin@db.example:3306/awslab", db_secret_arn=arn)
    assert len(script.encode()) <= USER_DATA_LIMIT and "s3cr" not in script
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    aws = fake_bin / "aws"  # a stand-in AWS CLI that checks its arguments and answers like Secrets Manager
    aws.write_text("#!/bin/bash\n[[ \"$*\" == *\"--region ap-northeast-2 --secret-id " + arn + "\"* ]] || exit 3\n"
                   "echo '{\"username\": \"admin\", \"password\": \"s3cr\\\"et @/:x\"}'\n")
    aws.chmod(0o755)
    local = script.replace("/opt/awslab", str(tmp_path / "opt")).replace("/etc/systemd/system", str(tmp_path))
    local = "\n".join(line for line in local.splitlines() if not line.startswith(("systemctl", "dnf ")))
    done = subprocess.run(["bash", "-c", local], capture_output=True, timeout=30, text=True,
                          env={"PATH": f"{fake_bin}:/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "s3cr" not in done.stderr + done.stdout  # set -x is off around the secret
    line = (tmp_path / "opt" / "app.env").read_text().strip()
    assert line == 'AWSLAB_DB_URL="mysql://admin:s3cr%22et%20%40%2F%3Ax@db.example:3306/awslab"'
    url = line.split("=", 1)[1].strip('"')
    assert Database(url).url.password == "s3cr%22et%20%40%2F%3Ax"  # the app unquotes it before connecting


def test_expect_100_continue_is_answered_before_the_body(web):
    with socket.create_connection(("127.0.0.1", web.port), timeout=5) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
        assert s.recv(1024) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"data")
        assert _read_all(s).startswith(b"HTTP/1.1 405 ")

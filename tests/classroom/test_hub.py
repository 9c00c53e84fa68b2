"""The Hub configuration (deploy/jupyterhub): two simulated students spawned through the Hub's REST API (issue 16 §1).

The Hub runs ``deploy/jupyterhub/jupyterhub_config.py`` as shipped, with the dummy authenticator and the simple
local spawner (both students are this test's own Unix user, with separate homes), and an in-memory proxy
(tests/classroom/memory_proxy.py) in place of configurable-http-proxy, so the test needs no npm.
Each student's server must bring up their own class-mode cloud that answers its owner only, and stopping the
servers and the Hub must leave no process.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from awslab.cloud import access_keys, identity
from tests.conftest import free_port

pytest.importorskip("jupyterhub")

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "deploy" / "jupyterhub" / "jupyterhub_config.py"
RUNNER_CONFIG = Path(__file__).resolve().parent / "hub_test_config.py"  # CONFIG plus a service that can run labs
STUDENTS = ("alice", "bob")
DEADLINE_S = 90


def _api(hub: dict, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(f"{hub['api']}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"token {hub['token']}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as e:
        return e.code, {}
    except OSError:  # not listening yet
        return 0, {}


def _wait(predicate, what: str):
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _alive(pid: int) -> bool:
    """Is ``pid`` running (a zombie waiting for its parent to read its exit is not)?"""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _free_base() -> int:
    """A cloud port base below the ephemeral range with the next few ports free (user ids start at 1)."""
    import random
    import socket

    for _ in range(50):
        base = random.randrange(26000, 29000)
        try:
            for port in range(base + 1, base + 4):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError("no free port range for the students' clouds")


def start_hub(root: Path, proxy: str | None = None, runner: bool = False, **settings: str) -> dict:
    """Start deploy/jupyterhub's Hub in ``root`` (dummy login, simple spawner, in-memory proxy); wait until it answers.

    ``proxy``: the path of configurable-http-proxy to run as the Hub's proxy (the browser's way in, at ``hub["url"]``);
    by default an in-memory stand-in that only records routes. ``settings``: more of the config's environment
    (``AWSLAB_HUB_SPAWNER="isolated"``, say). With ``runner``, the Hub runs tests/classroom/hub_test_config.py (the
    shipped config plus the test-only service ``awslab-test-runner``) and ``hub["runner"]`` is that service's token,
    else None. Returns ``{"api", "url", "token", "root", "proc", "log", "runner"}``; :func:`stop_hub` stops it
    (bench/bench_class.py uses both).
    """
    token, hub_port, api_port = secrets.token_hex(16), free_port(), free_port()
    extra = {"AWSLAB_HUB_TEST_RUNNER_TOKEN": secrets.token_hex(16)} if runner else {}
    env = dict(os.environ, **extra, AWSLAB_CLASS_ROOT=str(root), AWSLAB_CLASS_PORT_BASE=str(_free_base()),
               AWSLAB_HUB_AUTH="dummy", AWSLAB_HUB_API_TOKEN=token, AWSLAB_HUB_PORT=str(hub_port),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    env.update(settings)
    log = open(root / "hub.log", "wb")
    proxy_options = ([f"--ConfigurableHTTPProxy.command={proxy}",
                      f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{free_port()}"] if proxy
                     else ["--JupyterHub.proxy_class=tests.classroom.memory_proxy.MemoryProxy"])
    config = RUNNER_CONFIG if runner else CONFIG
    proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config), f"--JupyterHub.hub_port={api_port}",
                             *proxy_options],
                            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    api_host = "127.0.0.1"
    if settings.get("AWSLAB_HUB_SPAWNER") == "isolated":  # the Hub's API listens on the class network's address
        from awslab.classroom.isolation import ClassNetwork

        api_host = ClassNetwork(settings["AWSLAB_CLASS_NETWORK"], settings["AWSLAB_CLASS_TAG"]).hub_address
    hub = {"api": f"http://{api_host}:{api_port}/hub/api", "url": f"http://127.0.0.1:{hub_port}", "token": token,
           "root": root, "proc": proc, "log": log, "runner": extra.get("AWSLAB_HUB_TEST_RUNNER_TOKEN")}
    try:
        _wait(lambda: _api(hub, "GET", "/")[0] == 200 or proc.poll() is not None, "the Hub to answer")
        assert proc.poll() is None, (root / "hub.log").read_text()[-3000:]
    except BaseException:
        stop_hub(hub)
        raise
    return hub


def stop_hub(hub: dict) -> None:
    """Stop the Hub (it stops every student's server, and so their clouds); kill its group if it hangs."""
    proc = hub["proc"]
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    hub["log"].close()


def spawn(hub: dict, names: tuple[str, ...]) -> None:
    """Create the students and start their servers at once, as a class logging in; wait until all are ready."""
    assert _api(hub, "POST", "/users", {"usernames": list(names)})[0] == 201
    with ThreadPoolExecutor(len(names)) as pool:  # each POST waits up to 10 s for its server: send them together
        answers = list(pool.map(lambda name: _api(hub, "POST", f"/users/{name}/server")[0], names))
    assert all(status in (201, 202) for status in answers), answers
    for name in names:
        _wait(lambda: (_api(hub, "GET", f"/users/{name}")[1].get("servers", {}).get("", {}).get("ready")),
              f"{name}'s server")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = start_hub(tmp_path_factory.mktemp("class"))
    try:
        yield hub
    finally:
        stop_hub(hub)


def _awslab_home(hub: dict, name: str) -> Path:
    return hub["root"] / "home" / name / ".awslab"


def _cloud_port(hub: dict, name: str) -> int | None:
    tokens = list(_awslab_home(hub, name).glob("cloud-*.token"))
    return int(tokens[0].stem.split("-")[1]) if tokens else None


def _ec2(port: int, key: access_keys.AccessKey):
    return boto3.session.Session().client("ec2", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                                          config=Config(retries={"max_attempts": 1}), **key.as_client_kwargs())


def test_two_students_each_get_a_cloud_that_answers_its_owner_only_and_leave_no_process(hub):
    spawn(hub, STUDENTS)
    ports = {name: _cloud_port(hub, name) for name in STUDENTS}
    keys = {name: access_keys.read(_awslab_home(hub, name)) for name in STUDENTS}
    assert None not in ports.values() and len(set(ports.values())) == 2, ports
    assert None not in keys.values() and keys["alice"] != keys["bob"]
    pids = {name: int((_awslab_home(hub, name) / f"cloud-{ports[name]}.pid").read_text()) for name in STUDENTS}
    server_pids = {name: _api(hub, "GET", f"/users/{name}")[1]["servers"][""]["state"]["pid"] for name in STUDENTS}

    for name in STUDENTS:  # each server opens on the student's own copy of the course, in both languages
        for lang in ("en", "ko"):
            copies = sorted(p.name for p in (_awslab_home(hub, name) / "workspace" / "labs" / lang).glob("*.ipynb"))
            assert copies == sorted(p.name for p in (REPO / "labs" / lang).glob("*.ipynb")), (name, lang)
    assert _ec2(ports["alice"], keys["alice"]).describe_vpcs()["Vpcs"], "the owner is answered"
    with pytest.raises(ClientError) as refused:
        _ec2(ports["alice"], keys["bob"]).describe_vpcs()
    assert refused.value.response["Error"]["Code"] == "AuthFailure"
    bob_token = identity.read_token(ports["bob"], _awslab_home(hub, "bob"))
    request = urllib.request.Request(f"http://127.0.0.1:{ports['alice']}/_awslab/clock",
                                     headers={identity.TOKEN_HEADER: bob_token})
    with pytest.raises(urllib.error.HTTPError) as control:
        urllib.request.urlopen(request, timeout=10)
    assert control.value.code == 401

    for name in STUDENTS:
        assert _api(hub, "DELETE", f"/users/{name}/server")[0] in (202, 204)
    for name in STUDENTS:
        _wait(lambda: "" not in _api(hub, "GET", f"/users/{name}")[1].get("servers", {"": 1}), f"{name}'s stop")
        _wait(lambda: not _alive(pids[name]) and not _alive(server_pids[name]), f"{name}'s processes to end")

"""A class on one machine with the isolated spawner: one student cannot reach another's cloud, server or files.

The Hub runs deploy/jupyterhub/jupyterhub_config.py with ``AWSLAB_HUB_SPAWNER=isolated`` (as root): each student's
server, and so their embedded cloud, runs in a network namespace of their own as a user id of their own
(awslab/classroom/spawner.py). From inside alice's namespace, as alice's user id (where her notebooks and
terminals run), this test tries what a curious or hostile student would: connect to bob's cloud port, to bob's
server, read bob's key, credentials, cloud token and progress. Each must fail, while bob's cloud answers bob.
Stopping the servers must end every process in their namespaces and remove the namespaces.
"""
from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from awslab.classroom import isolation
from tests.classroom.isolated_class import isolated_class, skip_reason, student_python
from tests.classroom.test_hub import _alive, _api, _awslab_home, _cloud_port, _wait, spawn, start_hub, stop_hub

pytest.importorskip("jupyterhub")

STUDENTS = ("alice", "bob")
TEACHER = "teacher"  # a Hub admin: in the instructors' group


pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))

PROBE = r"""
import json, os, socket, sys, urllib.request
args = json.loads(sys.argv[1])
out = {"uid": os.getuid()}
def connect(host, port):
    try:
        socket.create_connection((host, port), timeout=3).close()
        return "connected"
    except OSError as e:
        return type(e).__name__
out["own_cloud"] = urllib.request.urlopen(f"http://127.0.0.1:{args['own_port']}/_awslab/health", timeout=10).status
out["other_cloud_port"] = connect("127.0.0.1", args["other_port"])
out["other_server"] = connect(args["other_address"], args["other_server_port"])
out["other_app"] = connect("127.0.11.4", 80)
for name, path in args["files"].items():
    try:
        with open(path, "rb") as f:
            f.read(1)
        out[name] = "read"
    except OSError as e:
        out[name] = type(e).__name__
try:
    os.listdir(args["other_home"])
    out["other_home"] = "listed"
except OSError as e:
    out["other_home"] = type(e).__name__
print(json.dumps(out))
"""

APP = r"""
import socket, time
s = socket.socket()
s.bind(("127.0.11.4", 80))
s.listen()
print("listening", flush=True)
time.sleep(60)
"""


@pytest.fixture(scope="module")
def hub():
    with isolated_class("iso") as (root, settings, network):
        hub = start_hub(root, AWSLAB_HUB_ADMINS=TEACHER, **settings)
        hub["network"] = network
        try:
            yield hub
        finally:
            stop_hub(hub)


def _namespace_of(pid: int) -> str:
    return subprocess.run(["ip", "netns", "identify", str(pid)], capture_output=True, text=True, timeout=10).stdout.strip()


def _uid_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for {pid}")


def _as_user(pid: int, argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run ``argv`` where server ``pid`` runs (a student's notebooks and terminals): its namespace, its user id,
    its groups (read from /proc), with ``env``."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    uid, gid = int(status["Uid"].split()[0]), int(status["Gid"].split()[0])
    groups = tuple(int(g) for g in status["Groups"].split())
    command = isolation.exec_prefix(_namespace_of(pid), uid, gid, groups) + argv
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/",
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env})


def _probe(pid: int, home: Path, args: dict) -> dict:
    """The probe, run as the user of server ``pid``."""
    answer = _as_user(pid, [student_python()[0], "-c", PROBE, json.dumps(args)], {"HOME": str(home)})
    assert answer.returncode == 0, answer.stderr[-2000:]
    return json.loads(answer.stdout)


def test_students_cannot_reach_each_others_cloud_server_or_files_and_stopping_ends_everything(hub):
    everyone = (*STUDENTS, TEACHER)
    spawn(hub, everyone)
    homes = {name: hub["root"] / "home" / name for name in everyone}
    ports = {name: _cloud_port(hub, name) for name in everyone}
    servers = {name: _api(hub, "GET", f"/users/{name}")[1]["servers"][""]["state"]["pid"] for name in everyone}
    clouds = {name: int((_awslab_home(hub, name) / f"cloud-{ports[name]}.pid").read_text()) for name in everyone}
    namespaces = {name: _namespace_of(servers[name]) for name in everyone}
    uids = {name: homes[name].stat().st_uid for name in everyone}

    # Each one's server and cloud run in their own namespace, as their own user id (never root).
    assert len(set(namespaces.values())) == 3 and all(ns.startswith(f"{hub['network'].tag}-s")
                                                      for ns in namespaces.values()), namespaces
    assert len(set(uids.values())) == 3 and 0 not in uids.values(), uids
    for name in everyone:
        assert _namespace_of(clouds[name]) == namespaces[name]
        assert _uid_of(servers[name]) == _uid_of(clouds[name]) == uids[name]
        assert stat.S_IMODE(homes[name].stat().st_mode) == 0o710, "the owner's; instructors pass, others not"
    # bob passes a check: his own process writes his progress (umask 077; the course writes it 0644, and his
    # AWSLAB_HOME's setgid bit gives it the instructors' group).
    wrote = _as_user(servers["bob"], [student_python()[0], "-c", "from awslab.course.store import ProgressStore; "
                                      "ProgressStore().record('01.1', True, lab='01')"],
                     {"HOME": str(homes["bob"]), "AWSLAB_HOME": str(_awslab_home(hub, "bob")),
                      "PYTHONPATH": os.environ.get("PYTHONPATH", "") or student_python()[1]})
    assert wrote.returncode == 0, wrote.stderr[-2000:]
    progress = _awslab_home(hub, "bob") / "progress.json"
    notebook = next((_awslab_home(hub, "bob") / "workspace" / "labs" / "en").glob("01-*.ipynb"))

    bob_server = hub["network"].student(int(namespaces["bob"].rsplit("-s", 1)[1]))
    environ = dict(item.split(b"=", 1) for item in Path(f"/proc/{servers['bob']}/environ").read_bytes().split(b"\0")
                   if b"=" in item)
    server_port = urlsplit(environ[b"JUPYTERHUB_SERVICE_URL"].decode()).port
    files = {"key": _awslab_home(hub, "bob") / "aws" / "credentials",
             "token": _awslab_home(hub, "bob") / f"cloud-{ports['bob']}.token",
             "notebook": notebook, "progress": progress}
    reach = {"other_address": bob_server.student_address, "other_server_port": server_port,
             "files": {k: str(v) for k, v in files.items()}, "other_home": str(_awslab_home(hub, "bob"))}
    # bob's app, as the data plane serves an instance's: on its VPC address mapped onto his loopback, port 80.
    app = subprocess.Popen(isolation.exec_prefix(namespaces["bob"], uids["bob"], uids["bob"])
                           + [student_python()[0], "-c", APP], stdout=subprocess.PIPE, text=True, cwd="/")
    try:
        assert app.stdout.readline().strip() == "listening", "a student's app may listen on port 80 (as on AWS)"
        seen = _probe(servers["alice"], homes["alice"], {"own_port": ports["alice"], "other_port": ports["bob"],
                                                          **reach})
        teacher = _probe(servers[TEACHER], homes[TEACHER], {"own_port": ports[TEACHER], "other_port": ports["bob"],
                                                              **reach})
    finally:
        app.kill()
        app.wait(10)
    assert seen["uid"] == uids["alice"]
    assert seen["own_cloud"] == 200, "alice reaches her own cloud on her loopback"
    assert seen["other_cloud_port"] == "ConnectionRefusedError", "bob's cloud port is not on alice's loopback"
    assert seen["other_app"] == "ConnectionRefusedError", "bob's app on 127.0.11.4:80 is not on alice's loopback"
    assert seen["other_server"] == "OSError", "no route from alice's namespace to bob's server (unreachable)"
    assert {seen[k] for k in files} == {"PermissionError"}, seen
    assert seen["other_home"] == "PermissionError"
    # The instructor reads bob's progress and nothing else of his; his cloud and apps are out of reach too.
    assert teacher["progress"] == "read", teacher
    assert teacher["key"] == teacher["token"] == teacher["notebook"] == "PermissionError", teacher
    assert teacher["other_home"] == "PermissionError", "instructors pass through a student's folder, never list it"
    assert teacher["other_cloud_port"] == teacher["other_app"] == "ConnectionRefusedError"
    view = _as_user(servers[TEACHER], [student_python()[0], "-m", "awslab", "class", "progress",
                                       *(str(homes[name]) for name in STUDENTS)],
                    {"HOME": str(homes[TEACHER]), "AWSLAB_LANG": "en",
                     "PYTHONPATH": os.environ.get("PYTHONPATH", "") or student_python()[1]})
    assert view.returncode == 0, view.stderr[-2000:]
    assert "bob: 1 of" in view.stdout and "alice: no progress yet" in view.stdout, view.stdout

    mirror = _probe(servers["bob"], homes["bob"], {"own_port": ports["bob"], "other_port": ports["alice"],
                                                    "other_address": "10.213.0.0", "other_server_port": 1,
                                                    "files": {"own_key": str(files["key"])},
                                                    "other_home": str(homes["alice"])})
    assert mirror["own_cloud"] == 200 and mirror["own_key"] == "read", "bob reaches his cloud and reads his key"

    for name in everyone:
        assert _api(hub, "DELETE", f"/users/{name}/server")[0] in (202, 204)
    for name in everyone:
        _wait(lambda: "" not in _api(hub, "GET", f"/users/{name}")[1].get("servers", {"": 1}), f"{name}'s stop")
        _wait(lambda: not _alive(servers[name]) and not _alive(clouds[name]), f"{name}'s processes to end")
        _wait(lambda: namespaces[name] not in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                                             text=True, timeout=10).stdout, f"{name}'s namespace")

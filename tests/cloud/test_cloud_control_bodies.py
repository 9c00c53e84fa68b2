"""The control API checks every body before a route runs: 400 naming the field, and nothing changes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from awslab.cloud.client import ControlClient
from tests.conftest import control


def refused(url: str, method: str, path: str, raw: bytes) -> tuple[int, dict]:
    req = urllib.request.Request(f"{url}/_awslab/{path}", data=raw, method=method, headers=ControlClient(url).headers())
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.parametrize("method, path, body, field, words", [
    ("POST", "faults", [1, 2], None, "must be a JSON object"),
    ("POST", "faults", {"instance_id": "i-1"}, "kind", "required: one of crash"),
    ("POST", "faults", {"instance_id": "i-1", "kind": "meltdown"}, "kind", "not 'meltdown'"),
    ("POST", "faults", {"instance_id": "i-1", "kind": "slow", "delay_ms": -1}, "delay_ms", "between 0 and 3600000"),
    ("DELETE", "faults", {}, "instance_id", "instance_id is required"),
    ("POST", "load", {"shape": "users", "start": 100, "end": 1000, "think_time_s": -0.05}, "think_time_s",
     "between 0 and 3600"),
    ("POST", "load", {"shape": "users", "start": 100, "end": 1000, "think_time_s": 0, "response_time_s": 0},
     "response_time_s", "between 0.001 and 60"),
    ("POST", "load", {"shape": "step", "before": 1, "after": "x", "at_s": 60}, "after", 'a number, not "x"'),
    ("POST", "load", {"shape": "step", "after": "x"}, "before", "required: a number"),
    ("POST", "load", {"shape": "steady", "rps": -5}, "rps", "between 0 and 1000000, not -5"),
    ("POST", "load", {"shape": "tsunami"}, "shape", "one of steady, step"),
    ("POST", "clock", {"speed": "fast"}, "speed", 'a number, not "fast"'),
    ("POST", "clock", {"mode": "warp"}, "mode", "one of virtual, realtime"),
    ("POST", "clock/advance", {"seconds": -1}, "seconds", "between 0 and 2592000"),
    ("POST", "clock/pause", {"now": 1}, "now", "takes no fields"),
])
def test_a_wrong_body_gets_400_naming_the_field(cloud_url, method, path, body, field, words):
    status, payload = refused(cloud_url, method, path, json.dumps(body).encode())
    assert status == 400, payload
    assert payload["field"] == field
    assert words in payload["error"]


@pytest.mark.parametrize("raw", [b"{not json", b"[" * 50_000, b"\xff\xfe", b'{"rps": NaN, "shape": "steady"}'])
def test_a_body_that_is_not_a_json_object_gets_400(cloud_url, raw):
    status, payload = refused(cloud_url, "POST", "load", raw)
    assert status == 400 and payload["error"]


def test_a_refused_load_changes_nothing(cloud_url):
    before = control(cloud_url, "GET", "load")
    refused(cloud_url, "POST", "load", json.dumps({"shape": "steady", "rps": -5}).encode())
    users = {"shape": "users", "start": 1, "end": 2, "think_time_s": -0.05}
    refused(cloud_url, "POST", "load", json.dumps(users).encode())
    assert control(cloud_url, "GET", "load") == before


def test_a_query_of_the_wrong_type_gets_400(cloud_url):
    req = urllib.request.Request(f"{cloud_url}/_awslab/timeline?since=abc", headers=ControlClient(cloud_url).headers())
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 400
    assert json.loads(e.value.read())["field"] == "since"


def test_every_control_route_declares_its_body(tmp_path):
    """Every route the cloud registers (the simulator's, the data plane's, the control API's own) has a schema."""
    code = ("from awslab.cloud import server, control; server._load_extensions(); "
            "import json; print(json.dumps([control.routes(), control.undeclared()]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "AWSLAB_HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    routes, undeclared = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(routes) >= 12
    assert undeclared == [], f"declare body=... (awslab.cloud.schema) for {undeclared}"

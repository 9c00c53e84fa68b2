"""deploy/z2jh/values.yaml: structurally sound for Zero to JupyterHub, and the same student setup as the local Hub.

It has never been deployed (no Kubernetes here): this test is all that checks it.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
VALUES = yaml.safe_load((REPO / "deploy" / "z2jh" / "values.yaml").read_text())
#: The keys of the chart's values schema (jupyterhub chart 4.x, values.schema.yaml) this file may use.
KNOWN = {"hub": {"config"}, "cull": {"enabled", "timeout"},
         "singleuser": {"image", "uid", "cmd", "defaultUrl", "extraEnv", "storage", "memory", "cpu", "networkPolicy",
                        "startTimeout"}}
QUANTITY = re.compile(r"\d+(\.\d+)?[KMGT]i?")


def test_only_the_charts_own_keys():
    assert set(VALUES) <= set(KNOWN)
    for section, keys in VALUES.items():
        assert set(keys) <= KNOWN[section], set(keys) - KNOWN[section]
    assert set(VALUES["singleuser"]["image"]) == {"name", "tag"}
    assert set(VALUES["singleuser"]["storage"]) <= {"type", "capacity", "homeMountPath"}


def test_each_pod_runs_the_same_launcher_as_the_local_hub_in_class_mode_on_loopback():
    config = (REPO / "deploy" / "jupyterhub" / "jupyterhub_config.py").read_text()
    single = VALUES["singleuser"]
    assert single["cmd"][1:] == ["-m", "awslab.classroom.student", "--", "jupyterhub-singleuser"]
    assert '"-m", "awslab.classroom.student", "--", "jupyterhub-singleuser"' in config
    env = single["extraEnv"]
    assert env["AWSLAB_CLASS"] == "1" and env["AWSLAB_HOST"] == "127.0.0.1"
    assert env["AWSLAB_HOME"].startswith(single["storage"]["homeMountPath"] + "/"), "keys and progress persist"
    assert single["networkPolicy"]["enabled"] is True
    assert all(isinstance(v, str) for v in env.values()), "Kubernetes takes environment values as strings"


def test_resources_are_quantities_with_the_guarantee_above_a_measured_student_running_a_drill():
    memory, cpu = VALUES["singleuser"]["memory"], VALUES["singleuser"]["cpu"]
    assert QUANTITY.fullmatch(memory["guarantee"]) and QUANTITY.fullmatch(memory["limit"])
    mib = {"M": 10**6 / 2**20, "G": 10**9 / 2**20, "Mi": 1, "Gi": 1024}
    size = {k: float(re.match(r"[\d.]+", v).group()) * mib[re.search(r"[KMGT]i?$", v).group()]
            for k, v in memory.items()}
    assert 842 <= size["guarantee"] < size["limit"], "bench/bench_class.py: 842 MiB at a drill's peak (lab 12)"
    assert 0.17 <= cpu["guarantee"] <= cpu["limit"], "a drill measured 0.17-0.35 of a core"


LOCALSTACK = yaml.safe_load((REPO / "deploy" / "z2jh" / "localstack.yaml").read_text())


def _merge(base: dict, overlay: dict) -> dict:
    """Helm's merge of two -f files: maps merge key by key, a null deletes the key, anything else replaces."""
    merged = dict(base)
    for key, value in overlay.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged


def test_localstack_per_student_is_a_sidecar_with_its_token_from_a_secret():
    assert set(LOCALSTACK) == {"singleuser"} and set(LOCALSTACK["singleuser"]) == {"cmd", "extraEnv", "extraContainers"}
    (sidecar,) = LOCALSTACK["singleuser"]["extraContainers"]
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]["localstack"]
    assert sidecar["name"] == "localstack" and sidecar["image"] == compose["image"], "the same pinned release"
    env = {item["name"]: item for item in sidecar["env"]}
    assert env["LOCALSTACK_AUTH_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "localstack-auth", "key": "token"}
    assert "value" not in env["LOCALSTACK_AUTH_TOKEN"], "the token is never written in the values"
    assert env["SERVICES"]["value"] == compose["environment"]["SERVICES"]
    assert {"elbv2", "autoscaling"} <= set(env["SERVICES"]["value"].split(","))
    assert env["GATEWAY_LISTEN"]["value"].startswith("127.0.0.1:"), "LocalStack listens on the pod's loopback only"
    for side in ("requests", "limits"):
        assert QUANTITY.fullmatch(sidecar["resources"][side]["memory"])


def test_with_localstack_the_labs_talk_to_the_sidecar_and_no_embedded_cloud_starts():
    merged = _merge(VALUES, LOCALSTACK)["singleuser"]
    env = merged["extraEnv"]
    (sidecar,) = merged["extraContainers"]
    listen = next(item["value"] for item in sidecar["env"] if item["name"] == "GATEWAY_LISTEN")
    assert env["AWSLAB_BACKEND"] == "endpoint" and env["AWS_ENDPOINT_URL"] == f"http://{listen}"
    assert "awslab.classroom.student" not in " ".join(merged["cmd"]), "the launcher would start an embedded cloud"
    assert "AWSLAB_CLASS" not in env, "class mode guards only the embedded cloud"
    assert env["AWSLAB_HOME"].startswith(merged["storage"]["homeMountPath"] + "/"), "progress.json still persists"
    assert all(isinstance(v, str) for v in env.values())
    assert merged["networkPolicy"]["enabled"] is True

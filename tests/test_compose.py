"""docker-compose.yml and the Dockerfile: Docker can't run here, so check their structure carefully instead."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")  # PyYAML comes with jupyter-events (JupyterLab) and moto[server]

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_lab_service_runs_jupyterlab_and_the_embedded_cloud(compose):
    lab = compose["services"]["lab"]
    assert "profiles" not in lab  # plain `docker compose up` starts it
    assert lab["build"] == "." and (REPO / "Dockerfile").exists()
    assert {"127.0.0.1:8888:8888", "127.0.0.1:4566:4566"} <= set(lab["ports"])
    assert any(v.startswith("./labs:") for v in lab["volumes"])
    assert lab["environment"]["AWSLAB_BACKEND"] == "embedded"
    assert "/_awslab/health" in " ".join(lab["healthcheck"]["test"])


def test_localstack_is_pinned_behind_a_profile_and_needs_a_token(compose):
    ls = compose["services"]["localstack"]
    assert ls["profiles"] == ["localstack"]
    image, tag = ls["image"].split(":")
    assert image == "localstack/localstack" and re.fullmatch(r"\d{4}\.\d{2}\.\d+", tag), "pin a dated version, never latest"
    assert any(p.endswith(":4566") for p in ls["ports"])
    services = set(ls["environment"]["SERVICES"].split(","))
    assert {"ec2", "elbv2", "autoscaling", "cloudwatch", "s3", "rds", "route53", "cloudfront", "sts"} <= services
    assert "LOCALSTACK_AUTH_TOKEN" in ls["environment"]
    assert "_localstack/health" in " ".join(ls["healthcheck"]["test"])
    check = compose["services"]["localstack-token"]
    assert check["profiles"] == ["localstack"] and ls["depends_on"]["localstack-token"]["condition"] == "service_completed_successfully"
    assert "LOCALSTACK_AUTH_TOKEN" in " ".join(check["command"]) and "exit 1" in " ".join(check["command"])


def test_lab_localstack_uses_the_endpoint_backend(compose):
    lab = compose["services"]["lab-localstack"]
    assert lab["profiles"] == ["localstack"]
    assert lab["environment"]["AWSLAB_BACKEND"] == "endpoint"
    assert lab["environment"]["AWS_ENDPOINT_URL"] == "http://localstack:4566"
    assert lab["depends_on"]["localstack"]["condition"] == "service_healthy"
    host_ports = [p.rsplit(":", 2)[-2] for s in compose["services"].values() for p in s.get("ports", [])]
    assert len(host_ports) == len(set(host_ports)), "with --profile localstack every service runs at once: host ports must differ"


def test_plain_compose_up_needs_no_variables():
    """Compose interpolates every service before it applies profiles: a ${VAR:?} anywhere breaks `docker compose up`."""
    text = json.dumps(yaml.safe_load((REPO / "docker-compose.yml").read_text()))  # values only: comments are not interpolated
    uses = re.findall(r"(?<!\$)\$\{([A-Z_]+)([^}]*)\}", text)
    assert uses and all(rest.startswith(":-") for _, rest in uses), uses


def test_dockerfile_builds_from_python_311_slim_and_runs_awslab_up():
    from awslab.cli import build_parser

    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    for src in re.findall(r"^COPY (?:--chown=\S+ )?(.+) \S+$", text, re.M):
        for path in src.split():
            assert (REPO / path).exists(), f"the Dockerfile copies {path}, which is not in the repo"
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))
    assert cmd[:2] == ["awslab", "up"]
    args, extra = build_parser().parse_known_args(cmd[1:])
    assert (args.no_browser, args.ip, args.port, extra) == (True, "0.0.0.0", 8888, [])
    assert "USER lab" in text  # JupyterLab refuses root
    # `pip install .` leaves no checkout beside the package: the course must be named, and be there
    workdir = re.search(r"^WORKDIR (\S+)$", text, re.M).group(1)
    assert re.search(rf"AWSLAB_COURSE_ROOT={re.escape(workdir)}\b", text)
    copied = {dst for dst in re.findall(r"^COPY (?:--chown=\S+ )?\S+ \./(\S+)$", text, re.M)}
    assert {"labs", "diagrams"} <= copied, copied

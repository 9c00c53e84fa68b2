"""awslab.cloud.guard: no web page and no other name can drive the cloud; real requests against a real cloud.

Each test sends what a browser would send (an Origin, a Host header from DNS rebinding,
a Sec-Fetch-Site, a text/plain body that needs no preflight) and checks that nothing
reached the APIs, while the SDK, the AWS CLI and awslab's own clients keep working.
"""
from __future__ import annotations

import http.client
import json
import os
import stat
import urllib.parse
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from awslab.cloud import identity
from awslab.cloud.guard import Guard
from tests.conftest import control

EVIL = "http://evil.example"
SIGNED = ("AWS4-HMAC-SHA256 Credential=test/20260101/ap-northeast-2/{service}/aws4_request, SignedHeaders=host, "
          "Signature=0")


def send(url: str, method: str, path: str, body: bytes | str = b"",
         headers: dict | None = None) -> tuple[int, dict, str]:
    """One raw HTTP request, exactly as given (http.client sends our Host header, not its own)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = dict(headers or {})
    conn.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
    for key, value in headers.items():
        conn.putheader(key, value)
    data = body.encode() if isinstance(body, str) else body
    conn.putheader("Content-Length", str(len(data)))
    conn.endheaders(data)
    response = conn.getresponse()
    text = response.read().decode(errors="replace")
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, text


def client(cloud_url: str, service: str, origin: str | None = None):
    c = boto3.client(service, endpoint_url=cloud_url, region_name="ap-northeast-2",
                     aws_access_key_id="test", aws_secret_access_key="test")
    if origin:
        c.meta.events.register("before-send", lambda request, **kw: request.headers.__setitem__("Origin", origin))
    return c


def port_of(url: str) -> int:
    return urllib.parse.urlsplit(url).port


def token_header(cloud_url: str) -> dict:
    return {identity.TOKEN_HEADER: identity.read_token(port_of(cloud_url))}


# -- web pages ---------------------------------------------------------------------------------
def test_a_page_on_another_site_cannot_read_a_secret(cloud_url):
    sm = client(cloud_url, "secretsmanager")
    name = "guard-db-master"
    sm.create_secret(Name=name, SecretString="hunter2-master-password")
    body = json.dumps({"SecretId": name})
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.GetSecretValue",
               "Authorization": SIGNED.format(service="secretsmanager")}
    preflight = send(cloud_url, "OPTIONS", "/", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST",
                                                          "Access-Control-Request-Headers": "x-amz-target,authorization"})
    assert preflight[0] == 403 and not any(k.startswith("access-control-") for k in preflight[1])
    status, got, text = send(cloud_url, "POST", "/", body, dict(headers, Origin=EVIL))
    assert status == 403 and "hunter2" not in text and not any(k.startswith("access-control-") for k in got)
    assert "does not answer web pages" in json.loads(text)["message"]
    # The same call from a program (no Origin) works, and carries no CORS header either.
    status, got, text = send(cloud_url, "POST", "/", body, headers)
    assert status == 200 and json.loads(text)["SecretString"] == "hunter2-master-password"
    assert not any(k.startswith("access-control-") for k in got)


@pytest.mark.parametrize("service,call", [("ec2", "describe_vpcs"), ("secretsmanager", "list_secrets"),
                                          ("s3", "list_buckets"), ("route53", "list_hosted_zones"),
                                          ("logs", "describe_log_groups")])
def test_sdks_read_the_refusal_as_an_aws_error_in_every_protocol(cloud_url, service, call):
    getattr(client(cloud_url, service), call)()
    with pytest.raises(ClientError) as e:
        getattr(client(cloud_url, service, origin=EVIL), call)()
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert "AWSLAB_CORS_ORIGINS" in e.value.response["Error"]["Message"]


def test_a_text_plain_or_form_post_from_a_page_changes_nothing(cloud_url):
    ec2 = client(cloud_url, "ec2")
    before = len(ec2.describe_vpcs()["Vpcs"])
    form = "Action=CreateVpc&CidrBlock=10.77.0.0/16&Version=2016-11-15"
    for kind in ("text/plain", "application/x-www-form-urlencoded"):  # neither needs a preflight
        status, _, _ = send(cloud_url, "POST", "/", form, {"Content-Type": kind, "Origin": EVIL,
                                                          "Authorization": SIGNED.format(service="ec2")})
        assert status == 403
    status, _, _ = send(cloud_url, "POST", "/_awslab/clock/pause", "{}", {"Content-Type": "text/plain", "Origin": EVIL})
    assert status == 403
    assert len(ec2.describe_vpcs()["Vpcs"]) == before
    assert control(cloud_url, "GET", "clock")["paused"] is False


def test_requests_a_browser_marks_cross_site_are_refused_even_without_an_origin(cloud_url):
    """An <img src> or a link's GET carries no Origin, but modern browsers say Sec-Fetch-Site."""
    for site in ("cross-site", "same-site"):
        assert send(cloud_url, "GET", "/", headers={"Sec-Fetch-Site": site})[0] == 403
    for site in ("none", "same-origin"):  # typed in the address bar; the cloud's own pages
        assert send(cloud_url, "GET", "/_awslab/health", headers={"Sec-Fetch-Site": site})[0] == 200


# -- DNS rebinding ----------------------------------------------------------------------------------
def test_only_loopback_names_on_the_clouds_port_are_answered(cloud_url):
    port = port_of(cloud_url)
    query = "/?Action=DescribeVpcs&Version=2016-11-15"
    auth = {"Authorization": SIGNED.format(service="ec2")}
    for host in (f"evil.example:{port}", f"127.0.0.1.evil.example:{port}", f"127.0.0.1:{port + 1}", "localhost",
                 f"localhost.:{port}", f"[::2]:{port}"):
        status, _, text = send(cloud_url, "GET", query, headers={"Host": host, **auth})
        assert status == 403 and "DNS rebinding" in text, host
        assert send(cloud_url, "GET", "/_awslab/health", headers={"Host": host})[0] == 403, host
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}", f"127.0.0.2:{port}"):
        assert send(cloud_url, "GET", query, headers={"Host": host, **auth})[0] == 200, host


# -- the control API ----------------------------------------------------------------------------------
def test_control_routes_need_the_token_and_json(cloud_url):
    token = token_header(cloud_url)
    status, _, text = send(cloud_url, "POST", "/_awslab/clock/pause", "{}", {"Content-Type": "application/json"})
    assert status == 401 and str(identity.token_path(port_of(cloud_url))) in json.loads(text)["error"]
    status, _, text = send(cloud_url, "GET", "/_awslab/clock", headers={identity.TOKEN_HEADER: "not-the-token"})
    assert status == 401 and "changes every time the cloud starts" in json.loads(text)["error"]
    status, _, text = send(cloud_url, "POST", "/_awslab/clock/pause", "{}", {"Content-Type": "text/plain", **token})
    assert status == 415 and "application/json" in json.loads(text)["error"]
    for route in ("/_awslab/reset", "/_awslab/faults", "/_awslab/load"):
        assert send(cloud_url, "POST", route, "{}", {"Content-Type": "application/json"})[0] == 401, route
    assert control(cloud_url, "GET", "clock")["paused"] is False  # none of it reached the clock
    assert send(cloud_url, "GET", "/_awslab/clock", headers=token)[0] == 200


def test_health_is_open_and_names_the_process_and_its_boot(cloud_url):
    status, headers, text = send(cloud_url, "GET", "/_awslab/health")
    health = json.loads(text)
    assert status == 200 and isinstance(health["pid"], int) and len(health["boot_id"]) == 32
    assert headers[identity.BOOT_HEADER.lower()] == health["boot_id"]
    ec2 = client(cloud_url, "ec2")
    assert ec2.describe_vpcs()["ResponseMetadata"]["HTTPHeaders"][identity.BOOT_HEADER.lower()] == health["boot_id"]


def test_the_token_file_is_readable_by_its_owner_only(cloud_url):
    path = identity.token_path(port_of(cloud_url))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.stat().st_uid == os.getuid()
    assert len(path.read_text()) >= 40


# -- settings, and the container --------------------------------------------------------------------
def environ(host: str, port: int = 4566, path: str = "/", **headers: str) -> dict:
    env = {"SERVER_PORT": str(port), "PATH_INFO": path, "REQUEST_METHOD": "GET", "HTTP_HOST": host}
    env.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    return env


def test_allowed_hosts_and_cors_origins_open_only_what_they_name():
    guard = Guard(app=None, allowed=["lab:4566", "cloud"], cors=["http://127.0.0.1:8000"])
    assert guard.refusal(environ("lab:4566")) is None and guard.refusal(environ("cloud:4566")) is None
    assert guard.refusal(environ("lab:4567")).status == 403 and guard.refusal(environ("other:4566")).status == 403
    assert guard.refusal(environ("127.0.0.1:4566", origin="http://127.0.0.1:8000")) is None  # a page the user chose
    assert guard.refusal(environ("127.0.0.1:4566", path="/_awslab/clock", origin="http://127.0.0.1:8000")).status == 403
    assert guard.refusal(environ("127.0.0.1:4566", origin="http://127.0.0.1:4566")) is None  # the cloud's own origin
    assert guard.refusal(environ("127.0.0.1:4566", origin="null")).status == 403
    assert Guard(app=None, allowed=["*"]).refusal(environ("anything.example:9")) is None


def test_the_compose_setup_reaches_the_cloud_under_an_allowed_host():
    """docker-compose publishes the cloud on the host's loopback: the Host header then names 127.0.0.1 and the
    same port the cloud listens on inside the container, so the guard answers it (and the healthcheck)."""
    repo = Path(__file__).resolve().parents[2]
    lab = yaml.safe_load((repo / "docker-compose.yml").read_text())["services"]["lab"]
    cloud = [p for p in lab["ports"] if p.endswith(":4566")]
    host_ip, host_port, container_port = cloud[0].split(":")
    extra = lab.get("environment", {}).get("AWSLAB_ALLOWED_HOSTS", "")
    guard = Guard(app=None, allowed=[h for h in extra.split(",") if h])
    assert guard.refusal(environ(f"{host_ip}:{host_port}", int(container_port))) is None
    assert "http://127.0.0.1:4566/_awslab/health" in " ".join(lab["healthcheck"]["test"])
    assert guard.refusal(environ("127.0.0.1:4566", int(container_port), path="/_awslab/health")) is None

"""Class mode: two students' clouds on one machine, each answering its owner only (issue 16 §1, §4).

Each cloud runs with ``AWSLAB_CLASS=1`` and its own AWSLAB_HOME, so each has its own access key
(``$AWSLAB_HOME/aws/credentials``) and its own control-API token. Student B's boto3, AWS CLI and
token are refused by A's cloud with AWS's own error codes, never a 5xx, and change nothing.
"""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from awslab.cloud import access_keys, identity
from tests.conftest import spawn_cloud, stop_spawned

REGION = "us-east-1"


@pytest.fixture(scope="module")
def students(tmp_path_factory):
    """Two class-mode clouds, started side by side: {"a": (home, url), "b": (home, url)}."""
    homes = {name: tmp_path_factory.mktemp(f"student-{name}") for name in ("a", "b")}
    with ThreadPoolExecutor(2) as pool:
        futures = {name: pool.submit(spawn_cloud, str(home), AWSLAB_CLASS="1", AWSLAB_SIM_MODE="virtual")
                   for name, home in homes.items()}
    procs = [f.result()[0] for f in futures.values() if f.exception() is None]
    try:
        yield {name: (homes[name], future.result()[1]) for name, future in futures.items()}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            stop_spawned(proc)


def _client(service: str, url: str, key: access_keys.AccessKey, secret: str | None = None):
    return boto3.session.Session().client(
        service, endpoint_url=url, region_name=REGION, aws_access_key_id=key.access_key_id,
        aws_secret_access_key=secret or key.secret_access_key,
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))


def _key(students, name: str) -> access_keys.AccessKey:
    key = access_keys.read(students[name][0])
    assert key is not None, "the class-mode cloud writes its owner's key at start"
    return key


def _error(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_the_key_file_is_the_owners_only_and_in_the_aws_cli_format(students):
    home, _ = students["a"]
    path = access_keys.credentials_path(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    a, b = _key(students, "a"), _key(students, "b")
    assert a != b and a.access_key_id.startswith("AKIA") and len(a.access_key_id) == 20
    assert access_keys.ensure(home) == a, "ensure() keeps the key a running notebook already uses"


def test_the_owner_is_answered_with_plain_boto3(students):
    home, url = students["a"]
    key = _key(students, "a")
    ec2 = _client("ec2", url, key)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    assert vpc in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    assert _client("elbv2", url, key).describe_load_balancers()["LoadBalancers"] == []
    assert "logGroups" in _client("logs", url, key).describe_log_groups()
    s3 = _client("s3", url, key)
    s3.create_bucket(Bucket="student-a-notes")
    s3.put_object(Bucket="student-a-notes", Key="dir/a key+with~odd chars.txt", Body=b"mine")
    got = s3.get_object(Bucket="student-a-notes", Key="dir/a key+with~odd chars.txt")["Body"].read()
    assert got == b"mine"
    v4 = boto3.session.Session().client("s3", endpoint_url=url, region_name=REGION, **key.as_client_kwargs(),
                                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    for signer in (s3, v4):  # boto3's default presigns S3 with Signature Version 2 in us-east-1
        presigned = signer.generate_presigned_url("get_object", Params={"Bucket": "student-a-notes",
                                                                        "Key": "dir/a key+with~odd chars.txt"})
        assert _raw(presigned, method="GET") == (200, b"mine")
        assert _raw(presigned.replace("odd%20chars", "odd%20charz"), method="GET")[0] == 403


def test_the_aws_cli_works_unchanged_through_the_credentials_file(students):
    home, url = students["a"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(access_keys.credentials_path(home)), AWS_DEFAULT_REGION=REGION,
               AWS_ENDPOINT_URL=url, AWS_CONFIG_FILE=os.devnull)
    aws = str(Path(sys.executable).parent / "aws")
    done = subprocess.run([aws, "ec2", "describe-vpcs", "--output", "json"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Vpcs"]


@pytest.mark.parametrize("service, call, code, status", [
    ("ec2", lambda c: c.describe_vpcs(), "AuthFailure", 401),
    ("elbv2", lambda c: c.describe_load_balancers(), "InvalidClientTokenId", 403),
    ("logs", lambda c: c.describe_log_groups(), "InvalidClientTokenId", 403),
    ("sts", lambda c: c.get_caller_identity(), "InvalidClientTokenId", 403),
    ("s3", lambda c: c.list_buckets(), "InvalidAccessKeyId", 403),
])
def test_a_neighbours_key_is_refused_with_awss_code(students, service, call, code, status):
    _, url_a = students["a"]
    assert _error(lambda: call(_client(service, url_a, _key(students, "b")))) == (code, status)


def test_a_neighbour_changes_nothing(students):
    _, url_a = students["a"]
    owner = _client("ec2", url_a, _key(students, "a"))
    before = len(owner.describe_vpcs()["Vpcs"])
    neighbour = _client("ec2", url_a, _key(students, "b"))
    assert _error(lambda: neighbour.create_vpc(CidrBlock="10.8.0.0/16"))[1] == 401
    s3 = _client("s3", url_a, _key(students, "b"))
    assert _error(lambda: s3.create_bucket(Bucket="from-the-neighbour"))[0] == "InvalidAccessKeyId"
    assert len(owner.describe_vpcs()["Vpcs"]) == before
    assert "from-the-neighbour" not in [b["Name"] for b in _client("s3", url_a, _key(students, "a"))
                                       .list_buckets()["Buckets"]]


def test_the_owners_key_id_with_a_wrong_secret_does_not_match(students):
    _, url = students["a"]
    key = _key(students, "a")
    assert _error(lambda: _client("elbv2", url, key, secret="x" * 40).describe_load_balancers()) == (
        "SignatureDoesNotMatch", 403)
    assert _error(lambda: _client("s3", url, key, secret="x" * 40).list_buckets()) == ("SignatureDoesNotMatch", 403)


def _raw(url: str, data: bytes | None = None, headers: dict | None = None, method: str = "POST") -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_unsigned_and_forged_requests_are_refused_without_a_5xx(students):
    _, url = students["a"]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, body = _raw(url, b"Action=DescribeVpcs&Version=2016-11-15", form)
    # Unsigned, the request names no API (moto reads it from the credential scope) and is read as S3's.
    assert status == 403 and (b"MissingAuthenticationToken" in body or b"<Code>AccessDenied</Code>" in body)
    forged = dict(form, Authorization="AWS4-HMAC-SHA256 Credential=AKIA/x/y/z, SignedHeaders=host, Signature=zz")
    assert _raw(url, b"Action=DescribeVpcs", forged)[0] in (401, 403)
    odd = dict(form, Authorization="AWS4-HMAC-SHA256 Credential=" + "A/" * 3000, **{"X-Amz-Date": "not a date"})
    assert _raw(url, b"Action=DescribeVpcs", odd)[0] in (401, 403)
    assert _raw(url + "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=abc", method="GET")[0] in (401, 403)


def test_the_control_api_and_moto_api_take_only_the_owners_token(students):
    home_a, url_a = students["a"]
    home_b, _ = students["b"]
    port_a = int(url_a.rsplit(":", 1)[1])
    own = identity.read_token(port_a, home_a)
    assert own and identity.read_token(port_a, home_b) is None, "B's home holds no token for A's cloud"
    json_type = {"Content-Type": "application/json"}
    b_token = identity.read_token(int(students["b"][1].rsplit(":", 1)[1]), home_b)
    assert _raw(f"{url_a}/_awslab/clock", headers={identity.TOKEN_HEADER: b_token}, method="GET")[0] == 401
    assert _raw(f"{url_a}/_awslab/clock", headers={identity.TOKEN_HEADER: own}, method="GET")[0] == 200
    assert _raw(f"{url_a}/moto-api/reset", b"{}", json_type)[0] == 401, "moto's reset needs the token in class mode"
    assert _raw(f"{url_a}/moto-api/data.json", method="GET")[0] in (401, 403)
    assert _client("ec2", url_a, _key(students, "a")).describe_vpcs()["Vpcs"], "nothing was reset"

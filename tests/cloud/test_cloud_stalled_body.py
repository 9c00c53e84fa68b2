"""A client that sends headers and a Content-Length, then its body slowly or never, blocks no one else.

The body is read before the state lock, with an idle timeout (S3's RequestTimeout); health answers without the lock.
"""
from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from urllib.parse import urlparse

import boto3

from awslab.cloud.client import ControlClient
from awslab.cloud.identity import TOKEN_HEADER
from tests.cloud.conftest import SCRATCH_BODY_TIMEOUT_S

EC2_AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/ap-northeast-2/ec2/aws4_request, SignedHeaders=host, Signature=0"
BODY = b"Action=DescribeVpcs&Version=2016-11-15"


def open_request(url: str, head: str, declared: int, first: bytes) -> socket.socket:
    """Send a request's headers (declaring ``declared`` body bytes) and the ``first`` bytes of its body."""
    host = urlparse(url)
    sock = socket.create_connection((host.hostname, host.port), timeout=60)
    sock.sendall(f"{head}\r\nHost: {host.netloc}\r\nContent-Length: {declared}\r\n\r\n".encode() + first)
    return sock


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while data := sock.recv(65536):
        chunks.append(data)
    return b"".join(chunks)


def ec2_request(url: str, first: bytes) -> socket.socket:
    head = (f"POST / HTTP/1.1\r\nAuthorization: {EC2_AUTH}\r\n"
            "Content-Type: application/x-www-form-urlencoded; charset=utf-8")
    return open_request(url, head, len(BODY), first)


def test_a_slowly_arriving_body_blocks_no_other_call(scratch_cloud):
    """While one client drips its body a byte at a time, AWS calls, control routes and health all answer.

    Before, moto read the body holding the state lock: every other call waited for the last byte.
    """
    ec2 = boto3.client("ec2", endpoint_url=scratch_cloud, region_name="ap-northeast-2", aws_access_key_id="t",
                       aws_secret_access_key="t")  # made first: on a busy machine a client takes a while to build
    sock = ec2_request(scratch_cloud, BODY[:len(BODY) - 24])
    dripping = threading.Event()
    dripping.set()

    def drip() -> None:
        for i in range(len(BODY) - 24, len(BODY)):  # 0.6 s a byte, well inside the idle timeout: about 14 s in all
            time.sleep(SCRATCH_BODY_TIMEOUT_S * 0.3)
            sock.sendall(BODY[i:i + 1])
        dripping.clear()

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    answered = []
    token = ControlClient(scratch_cloud).headers()
    for call in (lambda: ec2.describe_vpcs()["Vpcs"],
                 lambda: urllib.request.urlopen(f"{scratch_cloud}/_awslab/health", timeout=60).status,
                 lambda: urllib.request.urlopen(urllib.request.Request(f"{scratch_cloud}/_awslab/clock", headers=token),
                                                timeout=60).status):
        call()
        answered.append(dripping.is_set())
    assert answered == [True, True, True], "a call waited for the slow client's body"
    dripper.join(60)
    reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]  # the slow client is served too, once its body is whole
    assert b"<vpcSet>" in reply


def test_a_body_that_stops_gets_request_timeout_and_the_connection_is_closed(scratch_cloud):
    sock = ec2_request(scratch_cloud, BODY[:10])
    t0 = time.monotonic()
    reply = read_all(sock)  # returns when the server closes the connection
    waited = time.monotonic() - t0
    status, _, rest = reply.partition(b"\r\n")
    assert status == b"HTTP/1.1 400 Bad Request"
    assert b"<Response" in rest and b"<Code>RequestTimeout</Code>" in rest  # EC2's error shape
    assert b"not read from or written to within the timeout period" in rest
    assert waited >= SCRATCH_BODY_TIMEOUT_S * 0.9


def test_a_stalled_s3_upload_gets_s3s_request_timeout(scratch_cloud):
    s3 = boto3.client("s3", endpoint_url=scratch_cloud, region_name="ap-northeast-2", aws_access_key_id="t",
                      aws_secret_access_key="t")
    s3.create_bucket(Bucket="stalled-upload", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
    auth = EC2_AUTH.replace("/ec2/", "/s3/")
    sock = open_request(scratch_cloud, f"PUT /stalled-upload/key HTTP/1.1\r\nAuthorization: {auth}", 1000, b"x" * 100)
    reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.1 400")
    assert b"<Error><Code>RequestTimeout</Code>" in reply  # S3's own shape
    assert "Contents" not in s3.list_objects_v2(Bucket="stalled-upload")  # nothing half-written


def test_a_stalled_control_body_gets_400_naming_the_timeout(scratch_cloud):
    token = ControlClient(scratch_cloud).headers()[TOKEN_HEADER]
    sock = open_request(scratch_cloud, f"POST /_awslab/clock HTTP/1.1\r\nContent-Type: application/json\r\n"
                                       f"{TOKEN_HEADER}: {token}", 100, b'{"sp')
    status, _, rest = read_all(sock).partition(b"\r\n")
    assert status == b"HTTP/1.1 400 Bad Request"
    payload = json.loads(rest.split(b"\r\n\r\n", 1)[1])
    assert "did not arrive within" in payload["error"]


def test_health_answers_while_the_state_lock_is_held():
    """In-process: health never waits for the lock; a route that needs the lock does."""
    import io

    from awslab.cloud import control

    def call(path: str) -> dict:
        out: dict = {}

        def run() -> None:
            environ = {"REQUEST_METHOD": "GET", "PATH_INFO": f"/_awslab/{path}", "wsgi.input": io.BytesIO()}
            out["body"] = json.loads(control.handle(environ, lambda status, headers: None)[0])

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(5)
        return out

    control.route("GET", "test-locked")(lambda body, query: {"locked": True})
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with control.STATE_LOCK:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    held.wait(5)
    try:
        assert call("health").get("body", {}).get("status") == "running"
        assert call("test-locked") == {}  # still waiting for the lock after 5 s
    finally:
        release.set()
        holder.join(5)
        control._ROUTES.pop(("GET", "test-locked"), None)

"""HTTPS listeners: TLS terminated at the ALB with real clients (Python's ssl, the curl binary), SNI, policies, logs."""
from __future__ import annotations

import asyncio
import datetime
import json
import shutil
import ssl
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from awslab.cloud import labca
from awslab.cloud.moto_ext.acm import TlsMaterial
from awslab.dataplane.accesslogs import parse_line
from awslab.dataplane.alb import LoadBalancer
from awslab.dataplane.balancer import Target
from awslab.dataplane.tls import ListenerTls, names_match, policy_versions

from .conftest import default_rule, echo_app, run, stop_app, view
from .test_dataplane_netpolicy import vpc

NAME = "shop.example.com"
ARN1 = "arn:aws:acm:ap-northeast-2:123456789012:certificate/11111111-1111-1111-1111-111111111111"
ARN2 = "arn:aws:acm:ap-northeast-2:123456789012:certificate/22222222-2222-2222-2222-222222222222"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def lab_material(home, arn, names) -> TlsMaterial:
    """A certificate as ACM issues it in the lab: signed by the lab CA for ``names``."""
    key = _key()
    cert = labca.issue(names[0], names[1:], key.public_key(), home=home)
    return TlsMaterial(arn, cert, b"", "ISSUED", tuple(names), _pem_key(key))


def expired_material(home, arn, names) -> TlsMaterial:
    """An imported certificate, signed by the lab CA, whose NotAfter has passed."""
    ca, key = labca.load(home), _key()
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=30)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca.certificate.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(past - datetime.timedelta(days=10)).not_valid_after(past)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .sign(ca.key, hashes.SHA256()))
    return TlsMaterial(arn, cert.public_bytes(serialization.Encoding.PEM), b"", "EXPIRED", tuple(names), _pem_key(key))


def https_view(targets, materials, policy="ELBSecurityPolicy-TLS13-1-2-2021-06"):
    v = view(targets)
    v.listeners = {443: [default_rule()]}
    v.tls = {443: ListenerTls(policy, materials[0].arn, tuple(m.arn for m in materials), {m.arn: m for m in materials})}
    return v


async def start_https(v, **kw):
    alb = LoadBalancer(v, **kw)
    addrs = await alb.start({443: ("127.0.0.1", 0)})
    return alb, addrs[443]


def client_context(cafile, maximum=None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(cafile))
    if maximum is not None:
        ctx.maximum_version = maximum
    return ctx


async def https_get(addr, server_name, ctx, path="/"):
    """One GET over TLS with SNI ``server_name``: (status line, headers+body text, the cipher's protocol)."""
    reader, writer = await asyncio.open_connection(addr[0], addr[1], ssl=ctx, server_hostname=server_name)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {server_name}\r\nConnection: close\r\n\r\n".encode())
        data = await asyncio.wait_for(reader.read(), 10)
        version = writer.get_extra_info("ssl_object").version()
    finally:
        writer.close()
    head, _, body = data.decode().partition("\r\n\r\n")
    return head.split("\r\n")[0], body, version


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


def test_tls_is_terminated_at_the_alb_and_the_app_gets_plain_http_with_forwarded_headers(home):
    async def body():
        app = await echo_app("127.0.10.5", 8080, "app")
        logged = []
        alb, addr = await start_https(https_view([Target("i-app", "10.0.10.5", 8080)], [lab_material(home, ARN1, [NAME])]),
                                      access_log=lambda node, e: logged.append(e))
        try:
            status, text, version = await https_get(addr, NAME, client_context(labca.ca_certificate_path(home)))
        finally:
            await alb.stop()
            await stop_app(app)
        seen = json.loads(text)["headers"]
        assert status == "HTTP/1.1 200 OK"
        assert seen["X-Forwarded-Proto"] == "https" and seen["X-Forwarded-Port"] == "443"
        assert seen["X-Forwarded-For"] == "127.0.0.1"
        fields = parse_line(logged[0].line())
        assert fields["type"] == "https" and fields["ssl_protocol"] == version == "TLSv1.3"
        assert fields["ssl_cipher"].startswith("TLS_AES_") and fields["chosen_cert_arn"] == ARN1
        assert fields["request"].startswith(f"GET https://{NAME}/")
    run(body())


def test_sni_picks_the_certificate_for_the_name_and_an_unknown_name_gets_the_default_which_fails_verification(home):
    async def body():
        app = await echo_app("127.0.10.5", 8080, "app")
        logged = []
        certs = [lab_material(home, ARN1, [NAME]), lab_material(home, ARN2, ["api.example.com"])]
        alb, addr = await start_https(https_view([Target("i-app", "10.0.10.5", 8080)], certs),
                                      access_log=lambda node, e: logged.append(e))
        ctx = client_context(labca.ca_certificate_path(home))
        try:
            status, _, _ = await https_get(addr, "api.example.com", ctx)
            with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
                await https_get(addr, "other.example.com", ctx)
        finally:
            await alb.stop()
            await stop_app(app)
        assert status == "HTTP/1.1 200 OK" and parse_line(logged[0].line())["chosen_cert_arn"] == ARN2
    run(body())


def test_the_security_policy_limits_tls_versions(home):
    async def body():
        v = https_view([Target("i-app", "10.0.10.5", 8080)], [lab_material(home, ARN1, [NAME])],
                       policy="ELBSecurityPolicy-TLS13-1-3-2021-06")
        app = await echo_app("127.0.10.5", 8080, "app")
        alb, addr = await start_https(v)
        ca = labca.ca_certificate_path(home)
        try:
            with pytest.raises((ssl.SSLError, ConnectionError)):  # a TLS 1.2 client: no common version
                await https_get(addr, NAME, client_context(ca, ssl.TLSVersion.TLSv1_2))
            v2 = https_view([Target("i-app", "10.0.10.5", 8080)], [lab_material(home, ARN1, [NAME])])
            alb.update(v2)  # the default console policy: TLS 1.2 and 1.3
            status, _, version = await https_get(addr, NAME, client_context(ca, ssl.TLSVersion.TLSv1_2))
        finally:
            await alb.stop()
            await stop_app(app)
        assert status == "HTTP/1.1 200 OK" and version == "TLSv1.2"
    run(body())


def test_an_expired_certificate_fails_verification(home):
    async def body():
        alb, addr = await start_https(https_view([Target("i-app", "10.0.10.5", 8080)],
                                                 [expired_material(home, ARN1, [NAME])]))
        try:
            with pytest.raises(ssl.SSLCertVerificationError, match="expired"):
                await https_get(addr, NAME, client_context(labca.ca_certificate_path(home)))
        finally:
            await alb.stop()
    run(body())


def test_a_revoked_443_rule_drops_the_client_before_any_handshake(home):
    async def body():
        net, _ = vpc()
        net.groups["sg-alb"]["IpPermissions"] = [  # 80 still open, 443 not
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        net._cache.clear()
        events = []
        alb, addr = await start_https(https_view([Target("i-app", "10.0.10.5", 8080)], [lab_material(home, ARN1, [NAME])]),
                                      network=net, record=lambda *a, **k: events.append(k))
        ctx = client_context(labca.ca_certificate_path(home))
        try:
            with pytest.raises((ConnectionError, ssl.SSLError)):
                await https_get(addr, NAME, ctx)
            net.groups["sg-alb"]["IpPermissions"].append(
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
            net._cache.clear()
            alb.update(network=net)
            status, _, _ = await https_get(addr, NAME, ctx)  # the same client, once 443 is allowed: served
        finally:
            await alb.stop()
        assert events[0]["layer"] == "security-group" and events[0]["destination"].endswith(":443")
        assert status.startswith("HTTP/1.1 ")
    run(body())


@pytest.mark.skipif(shutil.which("curl") is None, reason="the curl binary is not installed")
def test_curl_with_the_lab_ca_reaches_the_app_through_the_https_listener(home):
    async def body():
        app = await echo_app("127.0.10.5", 8080, "app")
        alb, addr = await start_https(https_view([Target("i-app", "10.0.10.5", 8080)], [lab_material(home, ARN1, [NAME])]))
        ca = labca.ca_certificate_path(home)
        try:
            ok = await asyncio.to_thread(subprocess.run, [
                "curl", "-sS", "--max-time", "10", "--cacert", str(ca), "--resolve", f"{NAME}:{addr[1]}:{addr[0]}",
                f"https://{NAME}:{addr[1]}/hello"], capture_output=True, text=True, timeout=20)
            wrong = await asyncio.to_thread(subprocess.run, [
                "curl", "-sS", "--max-time", "10", "--cacert", str(ca), "--resolve", f"www.other.test:{addr[1]}:{addr[0]}",
                f"https://www.other.test:{addr[1]}/"], capture_output=True, text=True, timeout=20)
        finally:
            await alb.stop()
            await stop_app(app)
        assert ok.returncode == 0, ok.stderr
        assert json.loads(ok.stdout)["headers"]["X-Forwarded-Proto"] == "https"
        assert wrong.returncode == 60 and "no alternative certificate subject name matches" in wrong.stderr
    run(body())


def test_wildcards_cover_one_label_and_policies_come_from_elbs_table():
    assert names_match("www.example.com", ("*.example.com",)) and not names_match("a.b.example.com", ("*.example.com",))
    assert not names_match("example.com", ("*.example.com",))
    assert policy_versions("ELBSecurityPolicy-TLS13-1-2-2021-06") == ("TLSv1.2", "TLSv1.3")
    assert policy_versions("ELBSecurityPolicy-2016-08") == ("TLSv1", "TLSv1.1", "TLSv1.2")


def _blocking_gets(addr, cafile, n):
    """``n`` blocking clients, each sending its ClientHello the moment it connects, then a GET."""
    import socket

    ctx = client_context(cafile)
    lines = []
    for _ in range(n):
        with socket.create_connection(addr, timeout=5) as raw, ctx.wrap_socket(raw, server_hostname=NAME) as s:
            s.sendall(f"GET / HTTP/1.1\r\nHost: {NAME}\r\nConnection: close\r\n\r\n".encode())
            lines.append(s.recv(64).split(b"\r\n")[0].decode())
    return lines


def test_client_hellos_sent_with_the_connection_are_answered_on_the_clouds_event_loop(home):
    from awslab.dataplane.loop import run as run_on_cloud_loop  # uvloop when installed, as in the cloud

    async def body():
        app = await echo_app("127.0.10.5", 8080, "app")
        alb, addr = await start_https(https_view([Target("i-app", "10.0.10.5", 8080)], [lab_material(home, ARN1, [NAME])]))
        try:
            return await asyncio.to_thread(_blocking_gets, addr, labca.ca_certificate_path(home), 20)
        finally:
            await alb.stop()
            await stop_app(app)

    assert run_on_cloud_loop(asyncio.wait_for(body(), 120)) == ["HTTP/1.1 200 OK"] * 20

"""HTTPS at the ALB in a real embedded cloud: ACM certificate by DNS validation, HTTPS listener, HTTP->HTTPS
redirect, the name resolved by the lab's Route 53 and fetched with ``curl --cacert <lab CA>``."""
from __future__ import annotations

import json
import random
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import dns.message
import dns.query
import pytest

from ..conftest import control
from .test_dataplane_service import REGION, build, start_cloud, stop_cloud, wait_for

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="the curl binary is not installed")
HOME = {}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    HOME["path"] = Path(tmp_path_factory.mktemp("https-home"))
    proc, url = start_cloud(HOME["path"])
    yield url
    stop_cloud(proc)


def client(url, service):
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test")


def issued_certificate(url: str, name: str) -> str:
    """Request a certificate for ``name``, write its validation CNAME into a new public zone, wait for ISSUED."""
    acm, r53 = client(url, "acm"), client(url, "route53")
    arn = acm.request_certificate(DomainName=name, ValidationMethod="DNS")["CertificateArn"]
    zone = r53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    rr = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"][0]["ResourceRecord"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": rr["Name"], "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": rr["Value"]}]}}]})
    wait_for(lambda: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED", 10)
    return arn, zone


def https_address(url: str, lb_name: str) -> str | None:
    for lb in control(url, "GET", "dataplane")["load_balancers"]:
        if lb["name"] == lb_name and lb["listeners"].get("443"):
            return lb["listeners"]["443"]
    return None


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True, text=True, timeout=30)


def test_https_listener_with_an_acm_certificate_redirect_and_the_443_rule(cloud):
    octet = random.randint(1, 200)
    st = build(cloud, octet, n=1)
    ec2, elbv2 = client(cloud, "ec2"), client(cloud, "elbv2")
    name = f"shop{octet}.example.com"
    arn, zone = issued_certificate(cloud, name)
    rule_443 = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    ec2.authorize_security_group_ingress(GroupId=st["alb_sg"], IpPermissions=[rule_443])
    elbv2.create_listener(LoadBalancerArn=st["lb"]["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                          SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06", Certificates=[{"CertificateArn": arn}],
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": st["tg"]}])
    elbv2.modify_listener(ListenerArn=st["listener"], DefaultActions=[{"Type": "redirect", "RedirectConfig": {
        "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
    client(cloud, "route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {"Name": name, "Type": "A", "AliasTarget": {
            "HostedZoneId": st["lb"]["CanonicalHostedZoneId"], "DNSName": st["lb"]["DNSName"],
            "EvaluateTargetHealth": True}}}]})
    served = urlsplit(wait_for(lambda: https_address(cloud, st["lb"]["LoadBalancerName"]), 10))
    dns_server = control(cloud, "GET", "dns")
    answer = dns.query.udp(dns.message.make_query(name, "A"), dns_server["host"], port=dns_server["port"], timeout=2)
    address = answer.answer[0][0].address  # the lab's Route 53 answers the alias with the ALB's local address
    ca = str(HOME["path"] / "ca" / "lab-ca.pem")
    resolve = f"{name}:{served.port}:{address}"

    # KNOWN FLAKE (reported): in parallel runs the first TLS connection right after the listener appeared was twice
    # dropped during the handshake (curl 35, SSL_ERROR_SYSCALL); alone it never was. Retried for 10 s until found.
    ok = curl("--cacert", ca, "--resolve", resolve, f"https://{name}:{served.port}/headers")
    for _ in range(20):
        if ok.returncode == 0:
            break
        time.sleep(0.5)
        ok = curl("--cacert", ca, "--resolve", resolve, f"https://{name}:{served.port}/headers")
    assert ok.returncode == 0, ok.stderr
    seen = json.loads(ok.stdout)["headers"]
    assert seen["x-forwarded-proto"] == "https" and seen["x-forwarded-port"] == "443" and seen["x-forwarded-for"]
    http = urlsplit(st["alb_url"])
    moved = curl("-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-H", f"Host: {name}",
                 f"http://{http.hostname}:{http.port}/products?x=1")
    assert moved.stdout == f"301 https://{name}:443/products?x=1"
    wrong = curl("--cacert", ca, "--resolve", f"www.{resolve}", f"https://www.{name}:{served.port}/")
    assert wrong.returncode == 60  # the name is not on the certificate: verification fails, as on AWS

    ec2.revoke_security_group_ingress(GroupId=st["alb_sg"], IpPermissions=[rule_443])
    wait_for(lambda: curl("--cacert", ca, "--resolve", resolve, f"https://{name}:{served.port}/").returncode != 0, 10)
    assert curl("--cacert", ca, "--resolve", resolve, f"https://{name}:{served.port}/").returncode in (35, 56)

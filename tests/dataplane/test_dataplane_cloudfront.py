"""CloudFront's edge in a real embedded cloud: the builder's distribution serves the private bucket through its
OAC and sends /api/* to the ALB; caching follows the behaviour's TTLs in simulated time (clock paused, stepped)."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from types import SimpleNamespace
from urllib.parse import urlsplit

import boto3
import dns.message
import dns.query
import pytest

from awslab.layers.edge import EdgeSpec, distribution_config

from ..conftest import control
from .test_dataplane_service import REGION, _octet, build, start_cloud, stop_cloud, wait_for

INDEX = b"<!doctype html><title>shop</title><h1>awslab shop</h1>"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    proc, url = start_cloud(tmp_path_factory.mktemp("cf-home"))
    yield url
    stop_cloud(proc)


def client(url, service):
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")


def oac_policy(bucket: str, distribution_arn: str, list_bucket: bool = False) -> dict:
    statements = [{"Sid": "AllowCloudFrontServicePrincipalReadOnly", "Effect": "Allow",
                   "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
                   "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}}}]
    if list_bucket:
        statements.append(dict(statements[0], Sid="List", Action="s3:ListBucket", Resource=f"arn:aws:s3:::{bucket}"))
    return {"Version": "2012-10-17", "Statement": statements}


def make_site(url: str, alb_dns: str, policy: bool = True) -> dict:
    """The builder's bucket, page, OAC and distribution (awslab.layers.edge.distribution_config)."""
    s3, cf = client(url, "s3"), client(url, "cloudfront")
    bucket = f"site-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key="index.html", Body=INDEX, ContentType="text/html; charset=utf-8", CacheControl="max-age=300")
    oac = cf.create_origin_access_control(OriginAccessControlConfig={
        "Name": f"oac-{bucket}", "SigningProtocol": "sigv4", "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]["Id"]
    lab = SimpleNamespace(name=bucket, region=REGION)
    cfg = distribution_config(lab, bucket, oac, alb_dns, EdgeSpec())
    dist = cf.create_distribution(DistributionConfig=cfg)["Distribution"]
    if policy:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(oac_policy(bucket, dist["ARN"])))
    site = {"bucket": bucket, "id": dist["Id"], "arn": dist["ARN"], "domain": dist["DomainName"]}
    site["local"] = wait_for(lambda: edge_url(url, dist["Id"]), 15)
    return site


def edge_url(url: str, dist_id: str) -> str | None:
    for d in control(url, "GET", "cloudfront")["distributions"]:
        if d["id"] == dist_id:
            return d["local"]
    return None


def get(url: str, method: str = "GET", data: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def advance(url: str, seconds: float) -> None:
    control(url, "POST", "clock/advance", {"seconds": seconds})


@pytest.fixture(scope="module")
def stack(cloud):
    return build(cloud, _octet())


@pytest.fixture
def paused(cloud):
    control(cloud, "POST", "clock", {"paused": True})
    yield
    control(cloud, "POST", "clock", {"paused": False})


def test_the_distribution_name_resolves_to_the_edge_that_serves_the_page(cloud, stack):
    site = make_site(cloud, stack["lb"]["DNSName"])
    server = control(cloud, "GET", "dns")
    answer = dns.query.udp(dns.message.make_query(site["domain"], "A"), server["host"], port=server["port"], timeout=10)
    address = [rd.to_text() for rrset in answer.answer for rd in rrset]
    host, port = urlsplit(site["local"]).hostname, urlsplit(site["local"]).port
    assert address == [host] and host != "127.0.0.1", (address, site)
    status, headers, body = get(f"http://{host}:{port}/")  # the default root object
    assert status == 200 and body == INDEX
    assert headers["X-Cache"] == "Miss from cloudfront" and headers["Server"] == "AmazonS3"
    assert headers["Via"].startswith("1.1 ") and headers["Via"].endswith(".cloudfront.net (CloudFront)")
    assert headers["X-Amz-Cf-Pop"] and len(headers["X-Amz-Cf-Id"]) == 56


def test_hits_last_the_ttl_the_behaviour_and_cache_control_give_in_simulated_time(cloud, stack, paused):
    site = make_site(cloud, stack["lb"]["DNSName"])
    s3 = client(cloud, "s3")
    # CachingOptimized: MinTTL 1, DefaultTTL 86400, MaxTTL 31536000; index.html says max-age=300 -> 300 s
    assert get(site["local"] + "/index.html")[1]["X-Cache"] == "Miss from cloudfront"
    status, headers, _ = get(site["local"] + "/index.html")
    assert status == 200 and headers["X-Cache"] == "Hit from cloudfront" and headers["Age"] == "0"
    advance(cloud, 299)
    headers = get(site["local"] + "/index.html")[1]
    assert headers["X-Cache"] == "Hit from cloudfront" and int(headers["Age"]) == 299
    s3.put_object(Bucket=site["bucket"], Key="index.html", Body=b"v2", CacheControl="max-age=300")
    assert get(site["local"] + "/index.html")[2] == INDEX  # still the cached copy
    advance(cloud, 2)
    status, headers, body = get(site["local"] + "/index.html")
    assert headers["X-Cache"] == "Miss from cloudfront" and body == b"v2"
    # no-cache: kept for MinTTL (1 s), not 0, because MinTTL > 0
    s3.put_object(Bucket=site["bucket"], Key="nc.txt", Body=b"nc", CacheControl="no-cache")
    assert get(site["local"] + "/nc.txt")[1]["X-Cache"] == "Miss from cloudfront"
    assert get(site["local"] + "/nc.txt")[1]["X-Cache"] == "Hit from cloudfront"
    advance(cloud, 1)
    assert get(site["local"] + "/nc.txt")[1]["X-Cache"] == "Miss from cloudfront"


def test_an_invalidation_empties_the_matching_paths(cloud, stack, paused):
    site = make_site(cloud, stack["lb"]["DNSName"])
    s3, cf = client(cloud, "s3"), client(cloud, "cloudfront")
    for key in ("index.html", "img/a.png", "img/b.png"):
        s3.put_object(Bucket=site["bucket"], Key=key, Body=key.encode(), CacheControl="max-age=3600")
        get(f"{site['local']}/{key}")
        s3.put_object(Bucket=site["bucket"], Key=key, Body=b"new " + key.encode(), CacheControl="max-age=3600")
    cf.create_invalidation(DistributionId=site["id"], InvalidationBatch={
        "Paths": {"Quantity": 1, "Items": ["/img/*"]}, "CallerReference": uuid.uuid4().hex})
    control(cloud, "GET", "cloudfront")  # waits until the edge has applied it
    assert get(f"{site['local']}/img/a.png")[2] == b"new img/a.png"
    assert get(f"{site['local']}/img/b.png")[1]["X-Cache"] == "Miss from cloudfront"
    status, headers, body = get(f"{site['local']}/index.html")
    assert headers["X-Cache"] == "Hit from cloudfront" and body == b"index.html"


def test_api_goes_through_the_alb_uncached_with_the_path_unchanged(cloud, stack):
    site = make_site(cloud, stack["lb"]["DNSName"])
    seen = set()
    for _ in range(4):
        status, headers, body = get(site["local"] + "/api/products")
        assert status == 200 and headers["X-Cache"] == "Miss from cloudfront", body
        data = json.loads(body)
        assert data["products"] and data["instance_id"] in stack["ids"]
        seen.add(data["instance_id"])
    assert len(seen) == 2  # the ALB's round robin over both targets
    echo = json.loads(get(site["local"] + "/api/headers?x=1")[2])
    hdrs = {k.lower(): v for k, v in echo["headers"].items()}
    assert echo["target"] == "/api/headers?x=1"  # the path and query unchanged
    assert hdrs["via"].endswith("(CloudFront)") and "x-amz-cf-id" in hdrs and "x-amzn-trace-id" in hdrs
    assert hdrs["host"] == urlsplit(site["local"]).netloc  # AllViewer sends the viewer's Host on
    edge_host = urlsplit(site["local"]).hostname
    # CloudFront names the viewer (your shell, 127.0.0.1), the ALB appends its own client: CloudFront's edge
    assert hdrs["x-forwarded-for"] == f"127.0.0.1, {edge_host}"
    # POST is allowed on /api/* but not on the default behaviour (GET, HEAD)
    assert get(site["local"] + "/index.html", "POST", b"x")[0] == 403


def test_revoking_the_alb_rule_makes_cloudfront_time_out_as_504(cloud, stack):
    site = make_site(cloud, stack["lb"]["DNSName"])
    ec2 = client(cloud, "ec2")
    rule = [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    ec2.revoke_security_group_ingress(GroupId=stack["alb_sg"], IpPermissions=rule)
    try:
        control(cloud, "GET", "dataplane/settled")
        status, headers, body = get(site["local"] + "/api/products")
        assert status == 504 and headers["X-Cache"] == "Error from cloudfront" and b"could not be satisfied" in body
    finally:
        ec2.authorize_security_group_ingress(GroupId=stack["alb_sg"], IpPermissions=rule)
        control(cloud, "GET", "dataplane/settled")


def test_without_the_oac_statement_s3_answers_access_denied_and_cloudfront_passes_it_on(cloud, stack, paused):
    site = make_site(cloud, stack["lb"]["DNSName"], policy=False)
    status, headers, body = get(site["local"] + "/index.html")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body and headers["X-Cache"] == "Error from cloudfront"
    s3 = client(cloud, "s3")
    other = site["arn"].rsplit("/", 1)[0] + "/EOTHERDIST1234"  # a policy for another distribution does not count
    s3.put_bucket_policy(Bucket=site["bucket"], Policy=json.dumps(oac_policy(site["bucket"], other)))
    advance(cloud, 11)  # errors stay cached 10 s (ErrorCachingMinTTL)
    assert get(site["local"] + "/index.html")[0] == 403
    s3.put_bucket_policy(Bucket=site["bucket"], Policy=json.dumps(oac_policy(site["bucket"], site["arn"])))
    assert get(site["local"] + "/index.html")[1]["X-Cache"] == "Error from cloudfront"  # the cached 403, for 10 s
    advance(cloud, 11)
    assert get(site["local"] + "/index.html")[:3:2] == (200, INDEX)


def test_a_missing_object_is_403_without_list_bucket_and_404_with_it(cloud, stack, paused):
    site = make_site(cloud, stack["lb"]["DNSName"])
    status, _, body = get(site["local"] + "/nope.html")
    assert status == 403 and b"AccessDenied" in body
    client(cloud, "s3").put_bucket_policy(Bucket=site["bucket"], Policy=json.dumps(oac_policy(site["bucket"], site["arn"], True)))
    status, _, body = get(site["local"] + "/other-missing.html")
    assert status == 404 and b"<Code>NoSuchKey</Code>" in body


def test_a_disabled_distribution_stops_serving_and_a_deleted_one_stops_listening(cloud, stack):
    site = make_site(cloud, stack["lb"]["DNSName"])
    cf = client(cloud, "cloudfront")
    assert get(site["local"] + "/")[0] == 200
    got = cf.get_distribution_config(Id=site["id"])
    cfg = dict(got["DistributionConfig"], Enabled=False)
    etag = cf.update_distribution(Id=site["id"], IfMatch=got["ETag"], DistributionConfig=cfg)["ETag"]
    control(cloud, "GET", "cloudfront")
    status, headers, body = get(site["local"] + "/")
    assert status == 403 and headers["Server"] == "CloudFront" and b"Bad request" in body
    cf.delete_distribution(Id=site["id"], IfMatch=etag)
    control(cloud, "GET", "cloudfront")
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(site["local"] + "/", timeout=5)


@pytest.mark.skipif(not shutil.which("curl"), reason="curl is not installed")
def test_curl_with_the_dns_answer(cloud, stack):
    site = make_site(cloud, stack["lb"]["DNSName"])
    u = urlsplit(site["local"])
    out = subprocess.run(["curl", "-sS", "-i", "--max-time", "20", "--resolve", f"{site['domain']}:{u.port}:{u.hostname}",
                          f"http://{site['domain']}:{u.port}/api/products"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "X-Cache: Miss from cloudfront" in out.stdout and '"products"' in out.stdout


def test_awslab_status_prints_each_distributions_edge(cloud, stack, capsys):
    from awslab.cli.lab import _print_cloudfront
    from awslab.cloud.client import ControlClient

    site = make_site(cloud, stack["lb"]["DNSName"])
    _print_cloudfront(ControlClient(cloud, timeout=10))
    out = capsys.readouterr().out
    assert f"CloudFront {site['id']}: http://{site['domain']}/ is served at {site['local']}" in out

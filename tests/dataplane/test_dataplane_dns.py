"""Route 53 answers in a real embedded cloud: records written with boto3, asked with dnspython, dig and TCP."""
from __future__ import annotations

import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import uuid
from urllib.parse import urlsplit

import boto3
import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from ..conftest import control
from .test_dataplane_service import REGION, build, start_cloud, stop_cloud


HOME = {}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    HOME["path"] = str(tmp_path_factory.mktemp("dns-home"))
    proc, url = start_cloud(HOME["path"])
    yield url
    stop_cloud(proc)


@pytest.fixture(scope="module")
def server(cloud) -> tuple[str, int]:
    found = control(cloud, "GET", "dns")
    assert found["port"], found
    return found["host"], found["port"]


def client(url, service):
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test")


def r53(url):
    return client(url, "route53")


def zone(url, private_vpc: str | None = None) -> tuple[str, str]:
    name = f"z{uuid.uuid4().hex[:8]}.example"
    kw = {}
    if private_vpc:
        kw = {"VPC": {"VPCRegion": REGION, "VPCId": private_vpc}, "HostedZoneConfig": {"PrivateZone": True}}
    zid = r53(url).create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex, **kw)["HostedZone"]["Id"]
    return zid.rsplit("/", 1)[-1], name


def change(url, zone_id, action, record):
    r53(url).change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": action, "ResourceRecordSet": record}]})


def record(name, rtype, value, ttl):
    return {"Name": name, "Type": rtype, "TTL": ttl, "ResourceRecords": [{"Value": value}]}


def a_record(name, value, ttl=300):
    return record(name, "A", value, ttl)


def ask(server, name, rtype="A", tcp=False):
    query = dns.message.make_query(name, rtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, server[0], port=server[1], timeout=10)


def ask_retrying(server, name, tries=3):
    for _ in range(tries - 1):
        try:
            return dns.query.udp(dns.message.make_query(name, "A"), server[0], port=server[1], timeout=2)
        except dns.exception.Timeout:
            pass
    return dns.query.udp(dns.message.make_query(name, "A"), server[0], port=server[1], timeout=2)


def answers(response):
    return [(rrset.ttl, rd.to_text()) for rrset in response.answer for rd in rrset]


def test_create_upsert_and_delete_are_answered_at_once_over_udp_and_tcp(cloud, server):
    zid, name = zone(cloud)
    www = f"www.{name}"
    change(cloud, zid, "CREATE", a_record(www, "192.0.2.10", ttl=42))
    for tcp in (False, True):
        assert answers(ask(server, www, tcp=tcp)) == [(42, "192.0.2.10")]
    change(cloud, zid, "UPSERT", a_record(www, "192.0.2.11", ttl=7))
    assert answers(ask(server, www)) == [(7, "192.0.2.11")]
    change(cloud, zid, "DELETE", a_record(www, "192.0.2.11", ttl=7))
    gone = ask(server, www)
    assert gone.rcode() == dns.rcode.NXDOMAIN and not gone.answer
    assert gone.authority[0].rdtype == dns.rdatatype.SOA and gone.authority[0].name.to_text() == name + "."


def test_types_as_stored_and_soa_ns_from_the_delegation_set(cloud, server):
    zid, name = zone(cloud)
    for rtype, value in (("AAAA", "2001:db8::7"), ("TXT", '"hello dns"'), ("MX", f"10 mail.{name}")):
        change(cloud, zid, "CREATE", record(f"x.{name}", rtype, value, 120))
    change(cloud, zid, "CREATE", record(f"c.{name}", "CNAME", f"x.{name}", 60))
    assert answers(ask(server, f"x.{name}", "AAAA")) == [(120, "2001:db8::7")]
    assert answers(ask(server, f"x.{name}", "TXT")) == [(120, '"hello dns"')]
    assert answers(ask(server, f"x.{name}", "MX")) == [(120, f"10 mail.{name}.")]
    assert answers(ask(server, f"c.{name}", "TXT")) == [(60, f"x.{name}."), (120, '"hello dns"')]
    delegation = r53(cloud).get_hosted_zone(Id=zid)["DelegationSet"]["NameServers"]
    assert sorted(v for _, v in answers(ask(server, name, "NS"))) == sorted(n.rstrip(".") + "." for n in delegation)
    soa = ask(server, name, "SOA").answer[0]
    assert soa[0].mname.to_text() == delegation[0].rstrip(".") + "." and soa.ttl == 900


def test_outside_every_zone_is_refused_and_a_private_zone_is_not_answered(cloud, server):
    assert ask(server, "www.amazon.com").rcode() == dns.rcode.REFUSED
    vpc = client(cloud, "ec2").create_vpc(CidrBlock="10.250.0.0/16")["Vpc"]["VpcId"]
    zid, name = zone(cloud, private_vpc=vpc)
    change(cloud, zid, "CREATE", a_record(f"db.{name}", "10.250.0.9"))
    assert ask(server, f"db.{name}").rcode() == dns.rcode.REFUSED


@pytest.mark.skipif(not shutil.which("dig"), reason="dig is not installed (Debian: apt-get install bind9-dnsutils; "
                                                     ".ci/run installs it)")
def test_dig_gets_the_record_and_then_nxdomain(cloud, server):
    zid, name = zone(cloud)
    change(cloud, zid, "CREATE", a_record(f"api.{name}", "192.0.2.33", ttl=55))

    def dig(*args):
        return subprocess.run(["dig", f"@{server[0]}", "-p", str(server[1]), *args], capture_output=True, text=True,
                              timeout=30).stdout

    assert dig("+short", f"api.{name}").split() == ["192.0.2.33"]
    assert dig("+noall", "+answer", f"api.{name}").split() == [f"api.{name}.", "55", "IN", "A", "192.0.2.33"]
    assert "status: NOERROR" in dig("+tcp", f"api.{name}")
    change(cloud, zid, "DELETE", a_record(f"api.{name}", "192.0.2.33", ttl=55))
    out = dig(f"api.{name}")
    assert "status: NXDOMAIN" in out and "SOA" in out
    assert "status: REFUSED" in dig("example.org")


def test_alias_to_the_alb_answers_where_it_serves_and_a_get_there_returns_200(cloud, server):
    st = build(cloud, random.randint(1, 200), n=1)
    lb = st["lb"]
    zid, name = zone(cloud)
    api = f"api.{name}"
    target = {"HostedZoneId": lb["CanonicalHostedZoneId"], "DNSName": "dualstack." + lb["DNSName"],
              "EvaluateTargetHealth": True}
    change(cloud, zid, "CREATE", {"Name": api, "Type": "A", "AliasTarget": target})
    got = ask(server, api)
    host, port = urlsplit(st["alb_url"]).hostname, urlsplit(st["alb_url"]).port  # where the data plane serves it
    assert answers(got) == [(60, host)]  # ELB's fixed 60 s TTL
    assert not ask(server, api, "AAAA").answer  # an IPv4 ALB: no AAAA
    assert answers(ask(server, lb["DNSName"])) == [(60, host)]
    request = urllib.request.Request(f"http://{answers(got)[0][1]}:{port}/", headers={"Host": api})
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.status == 200


def test_an_rds_endpoint_resolves_to_its_subnets_loopback_address(cloud, server):
    ec2, rds = client(cloud, "ec2"), client(cloud, "rds")
    vpc = ec2.create_vpc(CidrBlock="10.251.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.251.{21 + i}.0/24", AvailabilityZone=REGION + az)["Subnet"]
               for i, az in enumerate("ac")]
    group = f"g{uuid.uuid4().hex[:8]}"
    rds.create_db_subnet_group(DBSubnetGroupName=group, DBSubnetGroupDescription="t",
                               SubnetIds=[s["SubnetId"] for s in subnets])
    db = rds.create_db_instance(DBInstanceIdentifier=f"db{uuid.uuid4().hex[:8]}", Engine="mysql",
                                DBInstanceClass="db.t3.micro", MasterUsername="admin", MasterUserPassword="password123",
                                AllocatedStorage=20, DBSubnetGroupName=group,
                                AvailabilityZone=REGION + "c")["DBInstance"]
    found = rds.describe_db_instances(DBInstanceIdentifier=db["DBInstanceIdentifier"])["DBInstances"][0]
    endpoint = found["Endpoint"]["Address"]
    (ttl, address), = answers(ask(server, endpoint))
    assert ttl == 60 and address.startswith("127.") and address.split(".")[2] == "22"  # 10.251.22.x: the AZ "c" subnet


def test_hostile_input_never_stops_the_server_or_the_cloud(cloud, server):
    zid, name = zone(cloud)
    change(cloud, zid, "CREATE", a_record(f"ok.{name}", "192.0.2.50"))
    rng = random.Random(7)
    good = dns.message.make_query(f"ok.{name}", "A").to_wire()
    packets = [b"", b"\x00", b"\xff" * 11, good[:13], good + b"junk", os.urandom(512), good + b"\x00" * 5000]
    packets += [bytes(rng.getrandbits(8) for _ in range(rng.randint(12, 600))) for _ in range(300)]
    packets += [dns.message.make_query(f"{'a' * 60}.{name}", rtype).to_wire() for rtype in ("ANY", "AXFR", "TYPE65280")]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for p in packets:
            s.sendto(p, server)
        for _ in range(3000):  # a flood: bounded work per packet, then the next real query is answered
            s.sendto(good, server)
    # a flood fills the socket's kernel buffer, which then drops what comes next, as on any server; a client
    # retries (dig: 3 tries), and the server, still answering, gets the retry
    assert answers(ask_retrying(server, f"ok.{name}")) == [(300, "192.0.2.50")]
    any_answer = ask(server, f"ok.{name}", "ANY")
    assert len(any_answer.answer) == 1  # RFC 8482: minimal
    assert ask(server, name, "AXFR", tcp=True).rcode() == dns.rcode.REFUSED
    with socket.create_connection(server, timeout=5) as t:  # a huge TCP length prefix: the connection is closed
        t.sendall(struct.pack("!H", 65535) + b"x" * 100)
        assert t.recv(10) == b""
    t0 = time.monotonic()
    urllib.request.urlopen(f"{cloud}/_awslab/health", timeout=10).read()
    assert time.monotonic() - t0 < 5
    counts = control(cloud, "GET", "dns")["counts"]
    assert counts["formerr"] > 0 and counts["servfail"] == 0  # malformed ones got FORMERR; no answer failed


def test_status_shows_the_dns_port(cloud, server):
    env = dict(os.environ, AWSLAB_PORT=cloud.rsplit(":", 1)[1], AWSLAB_HOME=HOME["path"])
    out = subprocess.run([sys.executable, "-m", "awslab", "status"], capture_output=True, text=True, env=env,
                         timeout=120)
    shown = f"port {server[1]}" in out.stdout and f"dig @{server[0]} -p {server[1]}" in out.stdout
    assert shown, out.stdout + out.stderr

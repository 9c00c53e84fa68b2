"""Benchmark Route 53's name server in the embedded cloud: query latency over UDP and TCP, and after a change.

Run: ``python bench/bench_dns.py [--queries 3000] [--changes 30] [--no-write]``.

A fresh cloud gets one public hosted zone with an A record, an alias to an ALB and an alias to that A
record; the client (dnspython, in this process) asks them in turn, one query at a time, and measures
each round trip: the server's parse, lookup and answer plus the client's own send and receive on
loopback. "After a change" is the first query after ``change_resource_record_sets`` (UPSERT): it waits
for the server to re-read the zones through the APIs, which is what makes a change visible at once.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid

import boto3
import dns.message
import dns.query

from _report import machine, write_section
from bench_foundation import REGION, start_cloud, stop


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def build(url: str) -> tuple[str, list[str]]:
    """One zone: ``a.`` (A), ``api.`` (alias to an ALB), ``www.`` (alias to ``a.``); returns (zone id, names)."""
    kw = dict(endpoint_url=url, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")
    ec2, elbv2, r53 = (boto3.client(s, **kw) for s in ("ec2", "elbv2", "route53"))
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=REGION + az)["Subnet"]
               ["SubnetId"] for i, az in enumerate("ac")]
    lb = elbv2.create_load_balancer(Name="bench-alb", Subnets=subnets)["LoadBalancers"][0]
    zone = r53.create_hosted_zone(Name="bench.example", CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    zid = zone.rsplit("/", 1)[-1]
    changes = [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "a.bench.example", "Type": "A", "TTL": 300,
                                                   "ResourceRecords": [{"Value": "192.0.2.1"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "api.bench.example", "Type": "A", "AliasTarget": {
            "HostedZoneId": lb["CanonicalHostedZoneId"], "DNSName": lb["DNSName"], "EvaluateTargetHealth": True}}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "www.bench.example", "Type": "A", "AliasTarget": {
            "HostedZoneId": zid, "DNSName": "a.bench.example", "EvaluateTargetHealth": False}}},
    ]
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": changes})
    return zid, ["a.bench.example", "api.bench.example", "www.bench.example", "nope.bench.example"]


def timed(ask, name: str, server: tuple[str, int]) -> float:
    query = dns.message.make_query(name, "A")
    t0 = time.perf_counter()
    ask(query, server[0], port=server[1], timeout=5)
    return (time.perf_counter() - t0) * 1000


def after_change(url: str, zid: str, server: tuple[str, int], n: int) -> list[float]:
    r53 = boto3.client("route53", endpoint_url=url, region_name=REGION, aws_access_key_id="test",
                       aws_secret_access_key="test")
    out = []
    for i in range(n):
        record = {"Name": "c.bench.example", "Type": "A", "TTL": 60,
                  "ResourceRecords": [{"Value": f"192.0.2.{i % 250 + 1}"}]}
        r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [
            {"Action": "UPSERT", "ResourceRecordSet": record}]})
        out.append(timed(dns.query.udp, "c.bench.example", server))
    return out


def row(label: str, ms: list[float]) -> str:
    return (f"| {label} | {len(ms)} | {statistics.median(ms):.2f} | {percentile(ms, 99):.2f} | {max(ms):.2f} |")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--queries", type=int, default=3000)
    p.add_argument("--changes", type=int, default=30)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    home = tempfile.mkdtemp(prefix="bench-dns-")
    proc, port, _ = start_cloud(home)
    try:
        from awslab.cloud.client import ControlClient

        url = f"http://127.0.0.1:{port}"
        zid, names = build(url)
        found = ControlClient(url, timeout=10).call("GET", "dns")
        server = (found["host"], int(found["port"]))
        timed(dns.query.udp, names[0], server)  # the first query reads the zones
        udp = [timed(dns.query.udp, names[i % len(names)], server) for i in range(args.queries)]
        tcp = [timed(dns.query.tcp, names[i % len(names)], server) for i in range(max(args.queries // 4, 1))]
        changed = after_change(url, zid, server, args.changes)
        load = machine()
    finally:
        stop(proc)
    lines = ["Run: `python bench/bench_dns.py` (the client is dnspython in the bench's own process; each TCP "
             "query opens its own connection). Query names cycle through an A record, an alias to an ALB, an alias "
             "to the A record and a name with no record (NXDOMAIN). \"After a change\": the first query after an "
             "UPSERT, which waits for the server to re-read the zones through the APIs.", "", f"Machine: {load}.", "",
             "| queries | n | p50 ms | p99 ms | max ms |", "|---|---|---|---|---|",
             row("UDP", udp), row("TCP (new connection each)", tcp), row("UDP, first after a change", changed)]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("bench_dns", "DNS query latency (Route 53's name server)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the Route 53 name server answers, question by question (no cloud: zones built from API-shaped dicts)."""
from __future__ import annotations

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from awslab.dataplane.dns.resolve import DnsView, answer
from awslab.dataplane.dns.server import DnsServer
from awslab.dataplane.dns.targets import ServiceName, db_instance_address
from awslab.dataplane.dns.zones import build_zone

NS = ["ns-2048.awsdns-64.com", "ns-2049.awsdns-65.net", "ns-2050.awsdns-66.org", "ns-2051.awsdns-67.co.uk"]
ALB = "web-alb-123.ap-northeast-2.elb.amazonaws.com"
MOTO_SOA = "{'Value': 'ns-2048.awsdns-64.com. hostmaster.example.com. 1 7200 900 1209600 86400'}"  # moto 5.2.5's


def rs(name, rtype, *values, ttl=300, **extra):
    return {"Name": name, "Type": rtype, "TTL": ttl, "ResourceRecords": [{"Value": v} for v in values], **extra}


def alias(name, target, zone="Z35SXDOTRQ7X7K", rtype="A"):
    target = {"HostedZoneId": zone, "DNSName": target, "EvaluateTargetHealth": True}
    return {"Name": name, "Type": rtype, "AliasTarget": target}


def view(*records, services=()):
    zone = build_zone("ZONE1", "example.com.", NS, [rs("example.com.", "SOA", MOTO_SOA, ttl=900), *records])
    names = {dns.name.from_text(s.name.to_text()): s for s in services}
    return DnsView.of([zone], names, 1)


def ask(v, name, rtype="A"):
    return answer(dns.message.make_query(name, rtype), v)


def values(response):
    return [(rrset.name.to_text(), rrset.ttl, dns.rdatatype.to_text(rrset.rdtype), rd.to_text())
            for rrset in response.answer for rd in rrset]


def alb_service():
    return ServiceName(dns.name.from_text(ALB), "load balancer", "web-alb", "127.0.0.1")


def test_records_are_answered_as_stored_with_their_ttls():
    v = view(rs("www.example.com.", "A", "192.0.2.1", "192.0.2.2", ttl=42),
             rs("www.example.com.", "AAAA", "2001:db8::1"),
             rs("example.com.", "MX", "10 mail.example.com"), rs("example.com.", "TXT", '"v=spf1 -all"'))
    r = ask(v, "www.example.com")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert sorted(values(r)) == [("www.example.com.", 42, "A", "192.0.2.1"), ("www.example.com.", 42, "A", "192.0.2.2")]
    assert values(ask(v, "www.example.com", "AAAA")) == [("www.example.com.", 300, "AAAA", "2001:db8::1")]
    assert values(ask(v, "example.com", "MX")) == [("example.com.", 300, "MX", "10 mail.example.com.")]
    assert values(ask(v, "example.com", "TXT")) == [("example.com.", 300, "TXT", '"v=spf1 -all"')]


def test_a_missing_name_is_nxdomain_with_the_zones_soa_and_its_negative_ttl():
    r = ask(view(), "nope.example.com")
    assert r.rcode() == dns.rcode.NXDOMAIN and not r.answer
    soa = r.authority[0]
    assert soa.rdtype == dns.rdatatype.SOA and soa.name.to_text() == "example.com."
    assert soa[0].mname.to_text() == "ns-2048.awsdns-64.com." and soa.ttl == 900  # min(900, minimum 86400)


def test_a_name_with_other_types_only_is_nodata_and_an_empty_non_terminal_too():
    v = view(rs("www.example.com.", "A", "192.0.2.1"), rs("a.b.example.com.", "A", "192.0.2.9"))
    for name, rtype in (("www.example.com", "AAAA"), ("b.example.com", "A")):
        r = ask(v, name, rtype)
        assert r.rcode() == dns.rcode.NOERROR and not r.answer
        assert r.authority[0].rdtype == dns.rdatatype.SOA


def test_the_apex_answers_soa_and_ns_from_the_delegation_set():
    v = view()
    soa = ask(v, "example.com", "SOA").answer[0]
    assert soa[0].to_text() == "ns-2048.awsdns-64.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"
    assert soa.ttl == 900
    ns = ask(v, "example.com", "NS").answer[0]
    assert sorted(rd.to_text() for rd in ns) == sorted(n + "." for n in NS) and ns.ttl == 172800


def test_names_outside_every_zone_are_refused_and_a_private_zone_is_not_served():
    r = ask(view(), "www.example.org")
    assert r.rcode() == dns.rcode.REFUSED and not r.answer
    assert ask(DnsView(), "example.com").rcode() == dns.rcode.REFUSED


def test_alias_to_the_alb_answers_its_local_address_with_elbs_60_s_and_no_aaaa():
    v = view(alias("api.example.com.", ALB), alias("dual.example.com.", "dualstack." + ALB), services=[alb_service()])
    assert values(ask(v, "api.example.com")) == [("api.example.com.", 60, "A", "127.0.0.1")]
    r = ask(v, "api.example.com", "AAAA")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer  # an IPv4 ALB has no AAAA
    assert values(ask(v, ALB)) == [(ALB + ".", 60, "A", "127.0.0.1")]


def test_alias_to_a_record_in_the_zone_takes_that_records_ttl_and_s3_website_answers():
    v = view(rs("www.example.com.", "A", "192.0.2.1", ttl=42), alias("example.com.", "www.example.com", zone="ZONE1"),
             alias("site.example.com.", "s3-website.ap-northeast-2.amazonaws.com", zone="Z3W03O7B5YMIYP"))
    assert values(ask(v, "example.com")) == [("example.com.", 42, "A", "192.0.2.1")]
    assert values(ask(v, "site.example.com")) == [("site.example.com.", 60, "A", "127.0.0.1")]


def test_an_alias_to_a_deleted_alb_answers_nothing():
    r = ask(view(alias("api.example.com.", ALB)), "api.example.com")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer


def test_cname_is_followed_inside_the_zone_and_a_cname_loop_ends():
    v = view(rs("www.example.com.", "A", "192.0.2.1"), rs("c.example.com.", "CNAME", "www.example.com"),
             rs("l1.example.com.", "CNAME", "l2.example.com"), rs("l2.example.com.", "CNAME", "l1.example.com"))
    assert [x[2:] for x in values(ask(v, "c.example.com"))] == [("CNAME", "www.example.com."), ("A", "192.0.2.1")]
    assert len(ask(v, "l1.example.com").answer) <= 10


def test_wildcards_and_delegated_subdomains():
    v = view(rs("*.apps.example.com.", "A", "192.0.2.5"), rs("sub.example.com.", "NS", "ns1.other.net"))
    assert values(ask(v, "x.apps.example.com")) == [("x.apps.example.com.", 300, "A", "192.0.2.5")]
    r = ask(v, "www.sub.example.com")
    assert not r.answer and r.authority[0].rdtype == dns.rdatatype.NS and not r.flags & dns.flags.AA


def test_any_gets_one_record_set_and_zone_transfers_are_refused():
    v = view(rs("www.example.com.", "A", "192.0.2.1"), rs("www.example.com.", "TXT", '"t"'))
    assert len(ask(v, "www.example.com", "ANY").answer) == 1  # RFC 8482
    assert ask(v, "example.com", "AXFR").rcode() == dns.rcode.REFUSED


def test_a_failover_pair_answers_its_primary():
    v = view(rs("f.example.com.", "A", "192.0.2.1", SetIdentifier="p", Failover="PRIMARY"),
             rs("f.example.com.", "A", "192.0.2.2", SetIdentifier="s", Failover="SECONDARY"))
    assert [x[3] for x in values(ask(v, "f.example.com"))] == ["192.0.2.1"]


def test_an_answer_too_big_for_udp_is_truncated_and_whole_over_tcp():
    v = view(rs("big.example.com.", "TXT", *[f'"{"x" * 200}{i}"' for i in range(10)]))
    server = DnsServer(read=lambda g: v, generation=lambda: 1)
    wire = dns.message.make_query("big.example.com", "TXT").to_wire()
    udp = dns.message.from_wire(server.respond(wire, v, None))
    assert udp.flags & dns.flags.TC and not udp.answer
    tcp = dns.message.from_wire(server.respond(wire, v, 65535))
    assert not tcp.flags & dns.flags.TC and len(tcp.answer[0]) == 10


def test_bad_packets_get_formerr_or_nothing_never_an_exception():
    server = DnsServer(read=lambda g: view(), generation=lambda: 1)
    v = view()
    good = dns.message.make_query("www.example.com", "A").to_wire()
    assert server.respond(b"", v, None) is None and server.respond(b"\x00" * 5, v, None) is None
    formerr = dns.message.from_wire(server.respond(good[:14], v, None), question_only=True)
    assert formerr.rcode() == dns.rcode.FORMERR and formerr.id == int.from_bytes(good[:2], "big")
    response = bytearray(good)
    response[2] |= 0x80  # QR: a response is never answered
    assert server.respond(bytes(response), v, None) is None
    junk = dns.message.from_wire(server.respond(good + b"\xff" * 40, v, None))  # trailing junk after the question
    assert junk.rcode() == dns.rcode.FORMERR


def test_a_db_instance_address_is_stable_and_inside_its_subnet_past_the_reserved_ones():
    a = db_instance_address("arn:aws:rds:ap-northeast-2:123456789012:db:web-db", "10.0.21.0/24")
    assert a == db_instance_address("arn:aws:rds:ap-northeast-2:123456789012:db:web-db", "10.0.21.0/24")
    assert a.startswith("10.0.21.") and 4 <= int(a.rsplit(".", 1)[1]) <= 254


def test_invalidate_makes_the_next_answer_wait_for_a_fresh_read():
    server = DnsServer(read=lambda g: view(), generation=lambda: 1)
    server.view = view()  # generation 1: fresh
    assert not server.stale()
    server.invalidate()  # the hook a change the APIs don't count uses (a Multi-AZ failover)
    assert server.stale() and server.view.zones  # still answers from the last view until the read is done

"""The ALB proxy over real sockets: routing, errors, headers, rules, source addresses, access logs."""
from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter

import aiohttp

from awslab.dataplane.accesslogs import parse_line
from awslab.dataplane.alb import trace_header
from awslab.dataplane.balancer import Target
from awslab.webapp import AppState, Identity, serve

from .conftest import TG, default_rule, echo_app, get, run, start_alb, stop_app, view
from .test_dataplane_netpolicy import vpc

IPS = ["10.0.10.11", "10.0.10.12", "10.0.10.13"]


def targets(ips=IPS, state="healthy"):
    return [Target(f"i-{n}", ip, 8080, "ap-northeast-2a", state) for n, ip in enumerate(ips)]


def test_round_robin_over_three_healthy_targets_of_the_real_webapp():
    async def body():
        apps = [await serve(f"127.0.10.{11 + n}", 8080, Identity(f"i-{n}", "ap-northeast-2a", ip)) for n, ip in enumerate(IPS)]
        alb, url = await start_alb(view(targets()))
        try:
            async with aiohttp.ClientSession() as s:
                seen = [(await get(s, url + "/"))[2].split()[2] for _ in range(9)]
        finally:
            await alb.stop()
            for a in apps:
                await a.aclose()
        assert Counter(seen) == {"i-0": 3, "i-1": 3, "i-2": 3}
        assert seen[:3] == ["i-0", "i-1", "i-2"]
    run(body())


def test_503_when_no_registered_targets():
    async def body():
        alb, url = await start_alb(view([]))
        try:
            async with aiohttp.ClientSession() as s:
                status, headers, text = await get(s, url + "/")
        finally:
            await alb.stop()
        assert status == 503 and headers["Server"] == "awselb/2.0" and "503" in text
    run(body())


def test_502_when_the_target_refuses_and_after_a_crash():
    async def body():
        app = await serve("127.0.10.11", 8080, Identity("i-0", "ap-northeast-2a", IPS[0]), state := AppState())
        alb, url = await start_alb(view(targets(IPS[:1])))
        try:
            async with aiohttp.ClientSession() as s:
                ok = (await get(s, url + "/"))[0]
                state.set("crash")  # the process dies: pooled connections reset, new ones are refused
                await asyncio.sleep(0.05)
                after = [(await get(s, url + "/"))[0] for _ in range(3)]
        finally:
            await alb.stop()
            await app.aclose()
        assert ok == 200 and after == [502, 502, 502]
    run(body())


def test_504_when_the_target_hangs_past_the_idle_timeout():
    async def body():
        app = await serve("127.0.10.11", 8080, Identity("i-0", "ap-northeast-2a", IPS[0]), AppState("hang"))
        alb, url = await start_alb(view(targets(IPS[:1]), attributes={"idle_timeout.timeout_seconds": "1"}), time_scale=0.2)
        try:
            async with aiohttp.ClientSession() as s:
                t0 = time.monotonic()
                status = (await get(s, url + "/"))[0]
                took = time.monotonic() - t0
        finally:
            await alb.stop()
            await app.aclose()
        assert status == 504 and 0.15 < took < 1.0  # 1 s idle timeout x 0.2 time scale
    run(body())


def test_forgotten_alb_to_app_rule_gives_504_after_the_connect_timeout_and_a_timeline_entry():
    async def body():
        net, _ = vpc(app_ingress=[])
        events = []
        app = await echo_app("127.0.10.5", 8080, "app")
        alb, url = await start_alb(view([Target("i-app", "10.0.10.5", 8080, "ap-northeast-2a")]), network=net,
                                   time_scale=0.02, record=lambda *a, **k: events.append((a, k)))
        try:
            async with aiohttp.ClientSession() as s:
                t0 = time.monotonic()
                status = (await get(s, url + "/"))[0]
                took = time.monotonic() - t0
        finally:
            await alb.stop()
            await stop_app(app)
        assert status == 504 and 0.15 < took < 1.5  # 10 s connect timeout x 0.02
        (comp, res, event), details = events[0]
        assert (comp, event) == ("dataplane", "connection_denied") and "sg-app" in details["rule"]
    run(body())


def test_alb_connects_from_its_node_address_when_allowed():
    async def body():
        net, _ = vpc()
        app = await echo_app("127.0.10.5", 8080, "app")
        alb, url = await start_alb(view([Target("i-app", "10.0.10.5", 8080, "ap-northeast-2a")]), network=net)
        try:
            async with aiohttp.ClientSession() as s:
                status, _, text = await get(s, url + "/")
        finally:
            await alb.stop()
            await stop_app(app)
        assert status == 200 and json.loads(text)["peer"] == "127.0.1.250"  # node 10.0.1.250 on loopback
    run(body())


def test_forwarded_headers_and_trace_id():
    async def body():
        app = await echo_app("127.0.10.11", 8080, "a")
        alb, url = await start_alb(view(targets(IPS[:1])))
        try:
            async with aiohttp.ClientSession() as s:
                h1 = json.loads((await get(s, url + "/x?y=1"))[2])["headers"]
                h2 = json.loads((await get(s, url + "/", headers={"X-Forwarded-For": "203.0.113.7",
                                                                   "X-Amzn-Trace-Id": "Root=1-67891233-abcdef012345678912345678"}))[2])["headers"]
        finally:
            await alb.stop()
            await stop_app(app)
        assert h1["X-Forwarded-For"] == "127.0.0.1" and h1["X-Forwarded-Proto"] == "http" and h1["X-Forwarded-Port"] == "80"
        assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", h1["X-Amzn-Trace-Id"])
        assert h2["X-Forwarded-For"] == "203.0.113.7, 127.0.0.1"
        assert re.fullmatch(r"Self=1-[0-9a-f]{8}-[0-9a-f]{24};Root=1-67891233-abcdef012345678912345678", h2["X-Amzn-Trace-Id"])
    run(body())


def test_trace_header_time_is_epoch_hex():
    import random
    assert trace_header(None, 0x5f000000, random.Random(1)).startswith("Root=1-5f000000-")


def test_rules_fixed_response_redirect_and_path_forward():
    rules = [default_rule(),
             {"RuleArn": "r1", "Priority": "1", "Conditions": [{"Field": "path-pattern", "Values": ["/maintenance"]}],
              "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain", "MessageBody": "later"}}]},
             {"RuleArn": "r2", "Priority": "2", "Conditions": [{"Field": "path-pattern", "Values": ["/old"]}],
              "Actions": [{"Type": "redirect", "RedirectConfig": {"Path": "/new", "StatusCode": "HTTP_301"}}]}]

    async def body():
        app = await echo_app("127.0.10.11", 8080, "a")
        alb, url = await start_alb(view(targets(IPS[:1]), rules=rules))
        try:
            async with aiohttp.ClientSession() as s:
                fixed = await get(s, url + "/maintenance")
                moved = await get(s, url + "/old?q=1", headers={"Host": "shop.example.com"})
                fwd = await get(s, url + "/products")
        finally:
            await alb.stop()
            await stop_app(app)
        assert fixed[0] == 503 and fixed[2] == "later"
        assert moved[0] == 301 and moved[1]["Location"] == "http://shop.example.com:80/new?q=1"
        assert fwd[0] == 200 and json.loads(fwd[2])["path"] == "/products"
    run(body())


def test_fail_open_sends_to_unhealthy_targets():
    from awslab.dataplane.balancer import routable
    ts = targets(state="unhealthy")
    assert routable(ts) == ts
    mixed = [ts[0], Target("i-h", "10.0.10.20", 8080, state="healthy"), Target("i-d", "10.0.10.21", 8080, state="draining")]
    assert [t.instance_id for t in routable(mixed)] == ["i-h"]
    assert routable([Target("i-d", "10.0.10.21", 8080, state="draining")]) == []


def test_access_log_lines_parse_back_with_awss_fields():
    logged = []

    async def body():
        app = await echo_app("127.0.10.11", 8080, "a")
        alb, url = await start_alb(view(targets(IPS[:1])), access_log=lambda node, e: logged.append((node, e)))
        try:
            async with aiohttp.ClientSession() as s:
                await get(s, url + "/a?b=1", headers={"User-Agent": 'curl/8.0 "quoted"'})
        finally:
            await alb.stop()
            await stop_app(app)
    run(body())
    node, entry = logged[0]
    f = parse_line(entry.line())
    assert node == "10.0.1.250" and f["type"] == "http" and f["elb"] == "app/web-alb/50dc6c495c0c9188"
    assert f["elb_status_code"] == "200" and f["target_status_code"] == "200" and f["target_port"] == "10.0.10.11:8080"
    assert f["request"].startswith("GET http://127.0.0.1:") and f["request"].endswith("/a?b=1 HTTP/1.1")
    assert f["user_agent"] == 'curl/8.0 "quoted"' and f["target_group_arn"] == TG and f["matched_rule_priority"] == "0"
    assert f["actions_executed"] == "forward" and f["trace_id"].startswith("Root=1-") and f["conn_trace_id"] == "-"
    assert float(f["target_processing_time"]) >= 0


def test_client_blocked_by_alb_security_group_is_dropped_and_logged():
    async def body():
        net, _ = vpc()
        net.groups["sg-alb"]["IpPermissions"] = []  # nobody may reach the ALB on port 80
        net._cache.clear()
        events = []
        app = await echo_app("127.0.10.5", 8080, "app")
        alb, url = await start_alb(view([Target("i-app", "10.0.10.5", 8080, "ap-northeast-2a")]), network=net,
                                   record=lambda *a, **k: events.append(k))
        try:
            async with aiohttp.ClientSession() as s:
                try:
                    await get(s, url + "/")
                    got = "answered"
                except aiohttp.ClientError:
                    got = "dropped"
        finally:
            await alb.stop()
            await stop_app(app)
        assert got == "dropped" and events[0]["layer"] == "security-group" and "sg-alb" in events[0]["rule"]
    run(body())


def test_weight_header_reaches_the_load_model_not_the_target():
    seen = []

    async def body():
        app = await echo_app("127.0.10.11", 8080, "a")
        alb, url = await start_alb(view(targets(IPS[:1])), on_request=lambda *a: seen.append(a))
        try:
            async with aiohttp.ClientSession() as s:
                text = (await get(s, url + "/", headers={"X-Awslab-Weight": "12.5"}))[2]
        finally:
            await alb.stop()
            await stop_app(app)
        return json.loads(text)["headers"]
    headers = run(body())
    assert "X-Awslab-Weight" not in headers and seen[0][2] == 200 and seen[0][4] == 12.5


def test_single_address_mode_enforces_groups_by_source_port():
    """The macOS fallback: apps and ALB all on 127.0.0.1; the ALB registers its source ports."""
    from awslab.dataplane.addresses import SourceRegistry
    from awslab.dataplane.instances import InstanceHost

    net, _ = vpc()
    reg = SourceRegistry()
    events = []

    def guard(peer, port, iid):
        src = net.endpoint(reg.who(peer))
        return net.check(src, net.instances[iid], port)

    async def body():
        host = InstanceHost(loopback=lambda ip: "127.0.0.1", guard=guard, single_address=True, hold_s=0.05)
        await host.start("i-app", "10.0.10.5", "ap-northeast-2a", {8080})
        alb, url = await start_alb(view([Target("i-app", "10.0.10.5", 8080, "ap-northeast-2a")]), network=net,
                                   local_address=lambda ip: "127.0.0.1", local_port=host.local_port,
                                   record=lambda *a, **k: events.append(k))
        alb.pool.on_connect, alb.pool.on_close = (lambda p, ip: reg.register(p, ip)), reg.forget
        direct = f"http://127.0.0.1:{host.local_port('10.0.10.5', 8080)}/"
        try:
            async with aiohttp.ClientSession() as s:
                via_alb = await get(s, url + "/")
                try:
                    await get(s, direct, timeout=aiohttp.ClientTimeout(total=2))
                    blocked = False
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    blocked = True
        finally:
            await alb.stop()
            await host.stop_all()
        return via_alb, blocked
    via_alb, blocked = run(body())
    assert via_alb[0] == 200 and via_alb[2].startswith("Hello from i-app") and blocked


def test_deregistration_delay_elapsing_with_a_request_in_flight_gives_502():
    """aws-semantics 2.3: "Deregistration delay elapsed while a request was in flight" -> 502; others unaffected."""
    events = []

    async def body():
        apps = [await echo_app(f"127.0.10.{11 + n}", 8080, f"a{n}", delay=0.6) for n in range(2)]
        alb, url = await start_alb(view(targets(IPS[:2])), record=lambda *a, **kw: events.append((a, kw)))
        try:
            async with aiohttp.ClientSession() as s:
                slow = [asyncio.create_task(get(s, url + "/")) for _ in range(2)]  # round robin: one each
                await asyncio.sleep(0.3)
                cut = alb.deregistration_elapsed(TG, "i-0", 8080)
                t0 = time.monotonic()
                first = await slow[0]
                took = time.monotonic() - t0
                second = await slow[1]
                after = (await get(s, url + "/"))[0]  # the connection pool still works
        finally:
            await alb.stop()
            for a in apps:
                await stop_app(a)
        return cut, first, took, second, after

    cut, first, took, second, after = run(body())
    assert cut == 1 and first[0] == 502 and first[1]["Server"] == "awselb/2.0" and took < 0.2
    assert second[0] == 200 and json.loads(second[2])["name"] == "a1" and after == 200
    assert [kw["requests"] for a, kw in events if a[2] == "in_flight_requests_cut"] == [1]


def test_access_log_times_are_aws_seconds_like_its_timestamps():
    """At 20x, a target that takes 0.1 wall seconds took 2 AWS seconds: the log says 2, as CloudWatch's
    TargetResponseTime does (both count simulated time; the log's time fields already do). AWS: TargetResponseTime
    "is equivalent to the target_processing_time field in the access logs", so the load model gets that time."""
    logged, seen = [], []

    async def body():
        app = await echo_app("127.0.10.11", 8080, "a", delay=0.1)
        alb, url = await start_alb(view(targets(IPS[:1])), time_scale=0.05, on_request=lambda *a: seen.append(a),
                                   access_log=lambda node, e: logged.append((node, e)))
        try:
            async with aiohttp.ClientSession() as s:
                await get(s, url + "/")
        finally:
            await alb.stop()
            await stop_app(app)
    run(body())
    f = parse_line(logged[0][1].line())
    assert 2.0 <= float(f["target_processing_time"]) < 2.0 + 20 * 1.0, f["target_processing_time"]
    assert 0 <= float(f["request_processing_time"]) < float(f["target_processing_time"])
    target_wall = logged[0][1].target_processing_time * 0.05
    assert abs(seen[0][3] - target_wall) < 0.05, (seen[0][3], target_wall)  # the metric's latency is the target's


def test_clients_reach_the_node_of_the_az_that_is_not_cut_off():
    """Two nodes; a deny-all NACL on AZ a's public subnet: every connection lands on node b and is answered."""
    async def body():
        from awslab.dataplane.netpolicy import Endpoint
        from awslab.drills.nacl_isolation import DENY_ALL_ENTRIES

        net, _ = vpc()
        net.subnets["subnet-pub-b"] = {"SubnetId": "subnet-pub-b", "VpcId": "vpc-1", "CidrBlock": "10.0.2.0/24",
                                       "AvailabilityZone": "ap-northeast-2b"}
        net.acl_of_subnet["subnet-pub-b"] = net.acl_of_subnet["subnet-pub"]
        net.routes_of_subnet["subnet-pub-b"] = net.routes_of_subnet["subnet-pub"]
        net.acl_of_subnet["subnet-pub"] = {"NetworkAclId": "acl-drill", "VpcId": "vpc-1", "Entries": [
            {"CidrBlock": "0.0.0.0/0", "Protocol": "-1", "RuleAction": "deny", **e} for e in DENY_ALL_ENTRIES]}
        net.add(Endpoint("i-app", "10.0.10.5", "subnet-app", ("sg-app",), vpc_id="vpc-1"))
        net.groups["sg-app"]["IpPermissions"] = [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
                                                  "UserIdGroupPairs": [{"GroupId": "sg-alb"}]}]
        events = []
        app = await echo_app("127.0.10.5", 8080, "app")
        v = view([Target("i-app", "10.0.10.5", 8080, "ap-northeast-2a")],
                 nodes={"ap-northeast-2a": "10.0.1.250", "ap-northeast-2b": "10.0.2.250"})
        v.node_subnets = {"ap-northeast-2a": "subnet-pub", "ap-northeast-2b": "subnet-pub-b"}
        alb, url = await start_alb(v, network=net, record=lambda *a, **k: events.append(k))
        try:
            async with aiohttp.ClientSession() as s:
                peers = []
                for _ in range(6):
                    async with s.get(url + "/", headers={"Connection": "close"}) as r:
                        peers.append((r.status, (await r.json())["peer"]))
        finally:
            await alb.stop()
            await stop_app(app)
        assert peers == [(200, "127.0.2.250")] * 6, "every request through node b (connected from its address)"
        assert not [e for e in events if e.get("layer") == "network-acl"], "no client was sent to the cut-off node"
    run(body())

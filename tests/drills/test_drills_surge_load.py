"""The surge without a simulator: moto's in-process mock stands for the account, a loopback server for the lab's ALB.

The ALB's DNS name reaches the loopback server only through a test-only resolver (``surge_load._RESOLVER``), which
also records every name it is asked for: the surge may ask for none but the lab's own ALB.
"""
from __future__ import annotations

import _thread
import socket
import signal
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp.abc
import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from awslab.drills import surge, surge_load
from awslab.drills.surge_load import END_BOUND_S, LoadSurge, LoadSurgeStatus
from awslab.drills.surge_plan import MAX_DURATION_S, LoadNotConfirmed
from awslab.errors import BackendError, ValidationError
from awslab.lab import Lab

from tests.guardrails.conftest import account  # noqa: F401  (the fixture: moto's mock as the real account)


class _Alb(ThreadingHTTPServer):
    """Stands for the ALB: counts requests and their Host headers; ``delay_s`` makes every answer that late."""

    daemon_threads = True

    def __init__(self, status: int = 200, delay_s: float = 0.0):
        self.status, self.delay_s, self.hosts, self.lock = status, delay_s, [], threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def requests(self) -> int:
        with self.lock:
            return len(self.hosts)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        with self.server.lock:
            self.server.hosts.append(self.headers.get("Host"))
        time.sleep(self.server.delay_s)
        body = b"ok"
        try:
            self.send_response(self.server.status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (a stopped surge)
            pass

    def log_message(self, *args) -> None:
        pass


class _Resolver(aiohttp.abc.AbstractResolver):
    """The ALB's DNS name -> the loopback server; any other name fails, and every name asked is recorded."""

    def __init__(self, dns_name: str, port: int):
        self.dns_name, self.port, self.asked = dns_name, port, []

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET):
        self.asked.append((host, port))
        if host != self.dns_name:
            raise OSError("not the lab's ALB: {host}".format(host=host))
        return [{"hostname": host, "host": "127.0.0.1", "port": self.port, "family": socket.AF_INET, "proto": 0,
                 "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        pass


@pytest.fixture
def lab(account):  # noqa: F811
    built = Lab(backend="aws")
    built.build(until="scaling", confirm=True)
    return built


@pytest.fixture
def alb(lab, monkeypatch):
    """The loopback ALB, and the resolver that maps the lab's ALB's DNS name to it."""
    server = _Alb()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dns = boto3.client("elbv2", region_name=lab.region).describe_load_balancers()["LoadBalancers"][0]["DNSName"]
    resolver = _Resolver(dns, server.server_address[1])
    monkeypatch.setattr(surge_load, "_RESOLVER", resolver)
    yield server, resolver
    server.shutdown()
    server.server_close()


def _group(lab) -> dict:
    return boto3.client("autoscaling", region_name=lab.region).describe_auto_scaling_groups()["AutoScalingGroups"][0]


def _traffic_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "awslab-traffic" and t.is_alive()]


def test_refused_without_confirmation_shows_plan_and_cost_and_sends_nothing(lab, alb):
    server, resolver = alb
    desired = _group(lab)["DesiredCapacity"]
    with pytest.raises(LoadNotConfirmed) as refused:
        surge(lab, users=(100, 1000), ramp_s=60, duration_s=600)
    plan, text = refused.value.plan, str(refused.value)
    assert (plan.rate_from, plan.rate_to, plan.duration_s) == (20.0, 200.0, 600.0)
    # 60 s ramp from 20 to 200 req/s (average 110), then 540 s at 200 req/s.
    assert plan.expected_requests == pytest.approx(60 * 110 + 540 * 200, abs=2)
    assert plan.usd is not None and plan.usd > 0
    for part in (plan.dns_name, "200 requests/s", "600 s", "LCU", "2026-11-30", "t3.micro", "confirm=True",
                 "elasticloadbalancing/pricing"):
        assert part in text, part
    # 8 LCU (200 new connections/s / 25) for 10 minutes at $0.008/h in Seoul, plus the group's room to scale out.
    group = _group(lab)
    extra = group["MaxSize"] - group["DesiredCapacity"]
    assert plan.usd == pytest.approx(8 * 0.008 * 600 / 3600 + extra * 0.013 * (600 + 900) / 3600)
    time.sleep(0.3)
    assert server.requests == 0 and resolver.asked == [] and _traffic_threads() == []
    assert _group(lab)["DesiredCapacity"] == desired


@pytest.mark.parametrize("kw, name", [({"users": (100, 5000)}, "users"),
                                      ({"duration_s": MAX_DURATION_S + 1}, "duration_s"),
                                      ({"duration_s": 0}, "duration_s"), ({"alb": "example.com"}, "alb")])
def test_out_of_bounds_or_foreign_host_is_refused_before_anything_is_sent(lab, alb, kw, name):
    server, resolver = alb
    with pytest.raises(ValidationError) as refused:
        surge(lab, confirm=True, **kw)
    assert refused.value.field == name and refused.value.fix
    time.sleep(0.2)
    assert server.requests == 0 and resolver.asked == [] and _traffic_threads() == []


def test_an_alb_of_another_lab_is_refused(lab, alb):
    server, _resolver = alb
    elb, ec2 = boto3.client("elbv2", region_name=lab.region), boto3.client("ec2", region_name=lab.region)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    other = elb.create_load_balancer(Name="someone-else", Subnets=subnets, Tags=[{"Key": "awslab:lab", "Value": "x"}])
    with pytest.raises(ValidationError, match="lab's own"):
        surge(lab, confirm=True, alb=other["LoadBalancers"][0]["DNSName"])
    assert server.requests == 0


def test_simulator_timing_is_refused_without_a_simulator(lab, alb):
    with pytest.raises(BackendError, match="clock"):
        surge(lab, on_the_minute=True, confirm=True)
    assert alb[0].requests == 0


def test_confirmed_surge_sends_only_to_the_lab_alb_and_ends_within_its_bound(lab, alb):
    server, resolver = alb
    started = time.monotonic()
    run = surge(lab, users=(50, 100), ramp_s=1, duration_s=3, confirm=True)  # 10 -> 20 req/s
    assert isinstance(run, LoadSurge)
    time.sleep(1.5)
    live = run.status()
    assert isinstance(live, LoadSurgeStatus) and live.sending and live.requests > 0
    assert set(live.status_codes) == {"200"}
    run.wait(timeout_s=3 + END_BOUND_S + 5)
    took = time.monotonic() - started
    assert not run.running and took <= 3 + END_BOUND_S + 1.0
    done = run.status()
    assert not done.sending and done.stopped
    # 10 -> 20 req/s over the first second, then 20 req/s: about 55 in 3 s (the open model's clock ticks 10 ms).
    assert 35 <= server.requests <= run.plan.max_requests and done.requests == server.requests
    assert set(server.hosts) == {run.plan.dns_name} and {h for h, _p in resolver.asked} == {run.plan.dns_name}
    assert done.desired == _group(lab)["DesiredCapacity"]


def test_stop_ends_a_surge_whose_alb_does_not_answer(lab, alb):
    server, _resolver = alb
    server.delay_s = 30.0  # the ALB holds every request: only the request timeout ends them
    run = surge(lab, users=(100, 100), duration_s=600, confirm=True)
    time.sleep(1.0)
    t = time.monotonic()
    run.stop()
    assert time.monotonic() - t <= END_BOUND_S + 0.5 and not run.running
    sent = server.requests
    time.sleep(0.5)
    assert server.requests == sent and run.status().stopped and run.status().failures == run.status().requests


def test_ctrl_c_in_wait_stops_the_surge(lab, alb):
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("Ctrl-C (SIGINT) is delivered to the main thread, and this test does not run there")
    # Python's own Ctrl-C handler, whatever an earlier test in this process left (an in-process cloud installs one)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    run = surge(lab, users=(50, 50), duration_s=600, confirm=True)
    timer = threading.Timer(1.0, _thread.interrupt_main)  # what Ctrl-C does in a terminal or a notebook
    timer.start()
    t = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            run.wait(timeout_s=60)
        took = time.monotonic() - t
        assert not run.running and run.status().stopped and 1.0 <= took <= 1.0 + END_BOUND_S + 1.0
    finally:
        signal.signal(signal.SIGINT, previous)
        if run.running:  # only when the assertions above failed
            run.stop()
    sent = alb[0].requests
    time.sleep(0.5)
    assert alb[0].requests == sent > 0


def _story(lab, alb, history):
    """A one-second surge, then its story: the ALB's minute as the ALB would publish it, an alarm that went to ALARM,
    and one launch. ``history`` answers DescribeAlarmHistory (moto 5.2.5 has none; awslab's patched moto, which
    another test in this process may have loaded, answers from the simulator's record only)."""
    run = surge(lab, users=(5, 5), duration_s=1, confirm=True)
    run.wait(timeout_s=1 + END_BOUND_S + 5)
    lb_arn, t0 = run.plan.load_balancer_arn, datetime.fromtimestamp(run._t0, timezone.utc)
    minute = t0.replace(second=0, microsecond=0)
    dims = [{"Name": "LoadBalancer", "Value": lb_arn.split(":loadbalancer/", 1)[1]}]
    cw = boto3.client("cloudwatch", region_name=lab.region)
    cw.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
        {"MetricName": "RequestCount", "Dimensions": dims, "Timestamp": minute, "Value": 1200, "Unit": "Count"},
        {"MetricName": "HTTPCode_ELB_5XX_Count", "Dimensions": dims, "Timestamp": minute, "Value": 3, "Unit": "Count"},
        {"MetricName": "TargetResponseTime", "Dimensions": dims, "Timestamp": minute, "Value": 0.25,
         "Unit": "Seconds"}])
    # moto 5.2.5's DescribePolicies lists no Alarms for a policy (AWS lists them) and its DescribeScalingActivities
    # always answers an empty list: AWS's answers to those two calls are stubbed, the alarm itself is moto's.
    alarms = ["awslab-surge-high"]
    cw.put_metric_alarm(AlarmName=alarms[0], Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
                        Period=60, EvaluationPeriods=3, Threshold=50, ComparisonOperator="GreaterThanThreshold")
    cw.set_alarm_state(AlarmName=alarms[0], StateValue="ALARM", StateReason="Threshold Crossed: 3 datapoints")
    lab.client("cloudwatch").describe_alarm_history = lambda **kw: history(t0, **kw)
    asg = lab.client("autoscaling")
    with Stubber(asg) as stub:
        stub.add_response("describe_policies", {"ScalingPolicies": [{"Alarms": [
            {"AlarmName": a, "AlarmARN": "arn:aws:cloudwatch:::alarm:" + a} for a in alarms]}]})
        stub.add_response("describe_scaling_activities", {"Activities": [{
            "ActivityId": "a1", "AutoScalingGroupName": run.auto_scaling_group, "Cause": "an alarm raised the capacity",
            "StartTime": t0 + timedelta(seconds=200), "StatusCode": "Successful",
            "Description": "Launching a new EC2 instance: i-0123456789abcdef0"}]})
        story = run.story()
    del lab.client("cloudwatch").describe_alarm_history
    minute_line = story.first(event="metric_minute")
    assert minute_line and "RequestCount 1200" in minute_line.text and "HTTPCode_ELB_5XX_Count 3" in minute_line.text
    assert "0.250 s" in minute_line.text
    launch = story.first(contains="Launching a new EC2 instance")
    assert launch and launch.offset_s == pytest.approx(200, abs=1)
    assert [line.offset_s for line in story] == sorted(line.offset_s for line in story)
    return story


def test_story_reads_the_albs_minutes_the_alarm_history_and_the_activities(lab, alb):
    asked = []

    def history(t0, **kw):  # AWS's answer to DescribeAlarmHistory
        asked.append(kw)
        return {"AlarmHistoryItems": [{"AlarmName": kw["AlarmName"], "Timestamp": t0 + timedelta(seconds=150),
                                       "HistoryItemType": "StateUpdate",
                                       "HistorySummary": "Alarm updated from OK to ALARM"}]}

    story = _story(lab, alb, history)
    line = story.first(event="alarm_state_changed")
    assert line and line.text == "Alarm updated from OK to ALARM" and line.offset_s == pytest.approx(150, abs=1)
    assert asked and all(kw["HistoryItemType"] == "StateUpdate" for kw in asked)


@pytest.mark.parametrize("missing", [
    NotImplementedError("The describe_alarm_history action has not been implemented"),  # moto 5.2.5 in-process
    ClientError({"Error": {"Code": "500", "Message": "Internal Server Error"},  # a plain moto_server
                 "ResponseMetadata": {"HTTPStatusCode": 500}}, "DescribeAlarmHistory")])
def test_story_without_alarm_history_tells_the_alarms_state(lab, alb, missing):
    def history(t0, **kw):
        raise missing

    line = _story(lab, alb, history).first(event="alarm_state_changed")
    assert line and "ALARM" in line.text and "Threshold Crossed" in line.detail


def test_story_passes_on_a_refusal_of_alarm_history(lab, alb):
    def history(t0, **kw):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"},
                           "ResponseMetadata": {"HTTPStatusCode": 403}}, "DescribeAlarmHistory")

    with pytest.raises(ClientError, match="AccessDenied"):
        _story(lab, alb, history)

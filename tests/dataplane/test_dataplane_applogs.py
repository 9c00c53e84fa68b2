"""The web app's logs reach CloudWatch Logs as the CloudWatch agent sends them (issue 14 §5)."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import boto3
import pytest

from awslab.dataplane.applogs import EVENT_OVERHEAD, MAX_BATCH_BYTES, MAX_EVENTS, AgentShipper, StreamBuffer
from awslab.webapp import user_data
from awslab.webapp.cwagent import agent_config_in

from ..conftest import control
from .test_dataplane_service import REGION, _octet, build, cloud, cloud_proc, get, wait_for  # noqa: F401

AWS_CLI = Path(os.environ.get("VIRTUAL_ENV", "/work/venv")) / "bin" / "aws"
GROUP = "/awslab/logs-test/web"


# -- the agent's configuration, read back out of the user data ----------------------------------

def test_the_user_data_configures_the_agent_only_when_asked():
    config = agent_config_in(user_data(80, log_group=GROUP))
    files = config["logs"]["logs_collected"]["files"]["collect_list"]
    assert [(f["file_path"], f["log_group_name"], f["log_stream_name"]) for f in files] == [
        ("/var/log/awslab/access.log", GROUP, "{instance_id}/access"),
        ("/var/log/awslab/error.log", GROUP, "{instance_id}/error")]
    assert config["logs"]["force_flush_interval"] == 5
    assert agent_config_in(user_data(80)) is None
    assert "LogsDirectory=awslab" in user_data(80) and "--log-dir /var/log/awslab" in user_data(80)


# -- batching and bounded memory, without a cloud --------------------------------------------------

class FakeLogs:
    """Records PutLogEvents calls (the wire is tested against the cloud below)."""

    class exceptions:
        ResourceAlreadyExistsException = KeyError

    def __init__(self):
        self.calls, self.made = [], []

    def create_log_group(self, **kw):
        self.made.append(kw)

    create_log_stream = create_log_group

    def put_log_events(self, **kw):
        self.calls.append(kw)


class FakeEc2:
    class exceptions:
        ClientError = RuntimeError

    def __init__(self, by_id):
        self.by_id = by_id

    def describe_instance_attribute(self, InstanceId, Attribute):
        import base64
        return {"UserData": {"Value": base64.b64encode(self.by_id[InstanceId].encode()).decode()}}


def test_lines_are_sent_every_force_flush_interval_and_only_for_instances_with_an_agent():
    ec2 = FakeEc2({"i-agent": user_data(80, log_group=GROUP), "i-bare": user_data(80)})
    shipper, logs = AgentShipper(), FakeLogs()
    for t in (1000.0, 1001.0):
        shipper.add("i-agent", "access", t, f'10.0.1.5 - - [x] "GET / HTTP/1.1" 200 2 "-" "t{t}"')
        shipper.add("i-bare", "access", t, "never sent")
    assert shipper.deliver(logs, ec2, 1001.5) == 2
    assert [c["logStreamName"] for c in logs.calls] == ["i-agent/access"]
    assert [e["timestamp"] for e in logs.calls[0]["logEvents"]] == [1000000, 1001000]
    shipper.add("i-agent", "error", 1002.0, "boom")
    shipper.add("i-agent", "access", 1002.0, "again")
    assert shipper.deliver(logs, ec2, 1004.0) == 1  # the error stream is new; access waits for its 5 s
    assert shipper.deliver(logs, ec2, 1006.4) == 0
    assert shipper.deliver(logs, ec2, 1006.5) == 1
    assert {c["logStreamName"] for c in logs.calls} == {"i-agent/access", "i-agent/error"}


def test_a_stream_buffer_never_holds_more_than_one_putlogevents_call_and_counts_what_it_dropped():
    buf = StreamBuffer(GROUP, "i-1/access")
    for i in range(MAX_EVENTS + 7):
        buf.add(i, "x")
    assert len(buf.events) == MAX_EVENTS and buf.dropped == 7 and buf.events[0][1] == "x"
    big = StreamBuffer(GROUP, "i-1/error")
    line = "y" * 1000
    for i in range(2000):
        big.add(i, line)
    assert big.size <= MAX_BATCH_BYTES and big.size == len(big.events) * (1000 + EVENT_OVERHEAD)
    assert big.dropped == 2000 - len(big.events) and big.events[0][0] == big.dropped * 1000  # the oldest went


# -- end to end: real requests through the ALB, the logs read with boto3 and the AWS CLI ---------

def _logs(url):
    return boto3.client("logs", endpoint_url=url, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test")


def _cli(url, *args) -> dict:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION)
    out = subprocess.run([str(AWS_CLI), "--endpoint-url", url, "logs", *args, "--output", "json"], env=env,
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


@pytest.mark.skipif(not AWS_CLI.exists(), reason="the AWS CLI is not installed in the venv")
def test_app_logs_reach_cloudwatch_logs_and_the_aws_cli_filters_the_500s(cloud):
    st = build(cloud, _octet(), n=1, user_data=user_data(80, log_group=GROUP))
    iid = st["ids"][0]
    for _ in range(3):
        assert get(st["alb_url"] + "/")[0] == 200
    logs = _logs(cloud)
    stream = f"{iid}/access"

    def access():
        try:
            return logs.get_log_events(logGroupName=GROUP, logStreamName=stream, startFromHead=True)["events"]
        except logs.exceptions.ResourceNotFoundException:
            return []
    events = wait_for(lambda: [e for e in access() if '"GET / HTTP/1.1" 200' in e["message"]][2:], 30)
    now_ms = control(cloud, "GET", "clock")["now"] * 1000
    assert all(abs(e["timestamp"] - now_ms) < 600_000 for e in events)  # stamped in simulated time
    # break the app's health check: the checker's requests answer 500, and the error log says so
    control(cloud, "POST", "faults", {"instance_id": iid, "kind": "unhealthy"})
    found = wait_for(lambda: _cli(cloud, "filter-log-events", "--log-group-name", GROUP,
                                  "--filter-pattern", '" 500 "')["events"], 30, every=1.0)
    assert all(" 500 " in e["message"] and e["logStreamName"] == stream for e in found)
    assert any("ELB-HealthChecker/2.0" in e["message"] for e in found)
    errors = _cli(cloud, "get-log-events", "--log-group-name", GROUP, "--log-stream-name", f"{iid}/error")["events"]
    assert errors and "[error] GET /health -> 500" in errors[0]["message"]
    # three simulated hours on: PutLogEvents takes events up to 2 hours ahead of *its* now, the simulated one
    control(cloud, "DELETE", "faults", {"instance_id": iid})
    control(cloud, "POST", "clock/advance", {"seconds": 3 * 3600})
    later = control(cloud, "GET", "clock")["now"] * 1000
    wait_for(lambda: get(st["alb_url"] + "/")[0] == 200, 30, every=0.5)
    wait_for(lambda: [e for e in access() if e["timestamp"] >= later], 30, every=0.5)


def test_an_instance_whose_user_data_configures_no_agent_sends_nothing(cloud):
    st = build(cloud, _octet(), n=1)
    for _ in range(3):
        assert get(st["alb_url"] + "/")[0] == 200
    time.sleep(1.0)  # several syncs and (at 25x) more than one force_flush_interval of simulated time
    groups = _logs(cloud).describe_log_groups()["logGroups"]
    streams = [s for g in groups for s in _logs(cloud).describe_log_streams(logGroupName=g["logGroupName"])["logStreams"]]
    assert not [s for s in streams if s["logStreamName"].startswith(st["ids"][0])]

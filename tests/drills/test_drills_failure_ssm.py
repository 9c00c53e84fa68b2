"""The instance-failure drill's app faults without the simulator: SSM Run Command on a (mocked) real account.

moto's in-process mock stands for the account (as in tests/guardrails). moto 5.2.5 serves SendCommand, ListCommands
and GetCommandInvocation but not DescribeInstanceInformation (it raises NotImplementedError), so these tests answer
that one call the way SSM does for a registered agent, through botocore's own before-call hook on the lab's client,
with a response botocore's SSM model validates. The script Run Command would run is run for real, by bash, against
the lab's real web app on loopback.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest

from awslab.drills import fail_instance
from awslab.drills import run_command
from awslab.lab import Lab
from awslab.layers.compute import SSM_POLICY_ARN
from awslab.webapp.cwagent import AGENT_POLICY_ARN

from ..conftest import free_port
from ..guardrails.conftest import account  # noqa: F401  (the fixture: moto's mock standing for the account)


def _agents(lab: Lab, ping: dict[str, str]) -> list[dict]:
    """Answer DescribeInstanceInformation as SSM does: ``ping`` maps an instance id to its agent's PingStatus."""
    from botocore.validate import validate_parameters

    asked: list[dict] = []
    model = lab.client("ssm").meta.service_model.operation_model("DescribeInstanceInformation")

    def ask(params, **_kw):  # the call's own parameters (before-call sees only the serialized request)
        asked.append(dict(params))

    def answer(**_kw):
        wanted = {v for f in asked[-1].get("Filters", []) if f["Key"] == "InstanceIds" for v in f["Values"]}
        listed = [{"InstanceId": i, "PingStatus": p, "LastPingDateTime": datetime.now(timezone.utc),
                   "PlatformType": "Linux", "PlatformName": "Amazon Linux", "AgentVersion": "3.3.0.0",
                   "ResourceType": "EC2Instance"} for i, p in ping.items() if not wanted or i in wanted]
        body = {"InstanceInformationList": listed}
        validate_parameters(body, model.output_shape)  # the shape SSM answers in, or the test fails
        return SimpleNamespace(status_code=200, headers={}), dict(body, ResponseMetadata={"HTTPStatusCode": 200})

    lab.client("ssm").meta.events.register("before-parameter-build.ssm.DescribeInstanceInformation", ask)
    lab.client("ssm").meta.events.register("before-call.ssm.DescribeInstanceInformation", answer)
    return asked


@pytest.fixture
def real_lab(account):  # noqa: F811
    lab = Lab(backend="aws")
    stack = lab.build(until="autoscaling", confirm=True)  # with the database: the app role comes with it
    in_service = [i["InstanceId"] for i in boto3.client("autoscaling", region_name=lab.region).describe_auto_scaling_groups(
        AutoScalingGroupNames=[stack.autoscaling.name])["AutoScalingGroups"][0]["Instances"]]
    return lab, stack, in_service


def _commands(lab: Lab) -> list[dict]:
    return boto3.client("ssm", region_name=lab.region).list_commands()["Commands"]


def _sending(lab: Lab) -> list[dict]:
    """What the drill asks SendCommand for. (moto 5.2.5 adds every instance of the region to a command sent without
    Targets, so its ListCommands' InstanceIds are not what was asked; AWS runs it on the InstanceIds given.)"""
    sent: list[dict] = []
    lab.client("ssm").meta.events.register("before-parameter-build.ssm.SendCommand",
                                           lambda params, **_kw: sent.append(dict(params)))
    return sent


def test_the_real_account_role_makes_the_app_servers_managed_nodes(real_lab):
    lab, stack, _ids = real_lab
    iam = boto3.client("iam")
    role = lab.resource_name("app-role")
    attached = {a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}
    assert attached == {AGENT_POLICY_ARN, SSM_POLICY_ARN}
    data = boto3.client("ec2", region_name=lab.region).describe_launch_template_versions(
        LaunchTemplateId=stack.compute.launch_template_id, Versions=["$Default"])["LaunchTemplateVersions"][0]
    assert data["LaunchTemplateData"]["IamInstanceProfile"]["Arn"].endswith("/" + lab.resource_name("app-profile"))
    assert f"aws iam attach-role-policy --role-name {role} --policy-arn {SSM_POLICY_ARN}" in lab.cli_log().script()


def test_an_app_fault_is_written_by_run_command_and_reset_writes_ok(real_lab):
    lab, stack, ids = real_lab
    asked, sending = _agents(lab, {i: "Online" for i in ids}), _sending(lab)
    drill = fail_instance(lab, kind="slow", delay_ms=6000)
    assert drill.instance_id in ids and drill.command_id and asked[0]["Filters"][0]["Values"] == [drill.instance_id]
    (sent,) = _commands(lab)
    assert sent["CommandId"] == drill.command_id and sent["DocumentName"] == "AWS-RunShellScript"
    assert [s["InstanceIds"] for s in sending] == [[drill.instance_id]] and "Targets" not in sending[0]
    assert sent["Parameters"]["commands"] == run_command.fault_commands("slow 6")
    assert "/opt/awslab/fault" in " ".join(sent["Parameters"]["commands"]) and "aws ssm send-command" in drill.how_on_aws
    assert drill.command().status == "Success" and drill.status().command_status == "Success"
    story = drill.story()
    assert story.first("slow", event="fault_injected", resource=drill.instance_id)
    assert story.first("Run Command Success", event="command_finished")
    drill.reset()
    assert drill.repair_command_id and len(_commands(lab)) == 2
    ok = [c for c in _commands(lab) if c["CommandId"] == drill.repair_command_id][0]["Parameters"]["commands"]
    assert ok == run_command.fault_commands("ok") and any("systemctl start awslab-webapp" in c for c in ok)


@pytest.mark.parametrize("ping", [None, "ConnectionLost"])
def test_an_instance_that_is_not_a_managed_node_is_refused_and_nothing_is_sent(real_lab, ping):
    lab, _stack, ids = real_lab
    _agents(lab, {} if ping is None else {i: ping for i in ids})
    with pytest.raises(run_command.NotManaged) as e:
        fail_instance(lab, kind="crash")
    assert "AmazonSSMManagedInstanceCore" in e.value.fix and lab.resource_name("app-role") in e.value.fix
    assert "setup-instance-permissions" in e.value.fix
    assert ("not a managed node" in e.value.problem) if ping is None else ("ConnectionLost" in e.value.problem)
    assert _commands(lab) == []


def test_a_failed_command_ends_the_wait_with_its_output(real_lab, monkeypatch):
    lab, _stack, ids = real_lab
    _agents(lab, {i: "Online" for i in ids})
    drill = fail_instance(lab, kind="unhealthy")
    failed = run_command.CommandStatus(drill.command_id, drill.instance_id, "Failed", "Failed", 1, "", "",
                                       "", "mv: cannot move: No such file or directory")
    monkeypatch.setattr(run_command, "command_status", lambda *_a: failed)
    started = time.monotonic()
    with pytest.raises(Exception) as e:
        drill.wait_until("unhealthy", timeout_s=30)
    assert time.monotonic() - started < 10 and "ended Failed" in str(e.value)
    assert "aws ssm get-command-invocation" in str(e.value)


@pytest.fixture
def web_app(tmp_path):
    """The lab's web app, the program the user data installs, on loopback, following a fault file."""
    port, fault = free_port(), tmp_path / "fault"
    app = Path(run_command.__file__).parents[1] / "webapp" / "app.py"
    proc = subprocess.Popen([sys.executable, str(app), "--host", "127.0.0.1", "--port", str(port), "--instance-id",
                             "i-0test", "--az", "ap-northeast-2a", "--private-ip", "127.0.0.1", "--fault-file",
                             str(fault)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/health"
    try:
        deadline = time.monotonic() + 20
        while _status(url) is None:
            assert proc.poll() is None and time.monotonic() < deadline, "the web app did not start"
            time.sleep(0.1)
        yield url, fault
    finally:
        proc.terminate()
        proc.wait(10)


def _status(url: str, timeout: float = 5.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def _run(commands: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    """Run the commands as AWS-RunShellScript does (one bash script); ``systemctl`` is a stand-in that succeeds."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "systemctl").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "systemctl").chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    return subprocess.run(["bash", "-c", "\n".join(commands)], capture_output=True, text=True, env=env, timeout=30)


def test_the_script_breaks_the_real_app_and_ok_repairs_it(web_app, tmp_path):
    url, fault = web_app
    assert _status(url) == 200
    done = _run(run_command.fault_commands("unhealthy", str(fault)), tmp_path)
    assert done.returncode == 0 and "now says: unhealthy" in done.stdout
    assert _status(url) == 500
    assert _run(run_command.fault_commands(run_command.fault_word("slow", 1500), str(fault)), tmp_path).returncode == 0
    started = time.monotonic()
    assert _status(url) == 200 and time.monotonic() - started >= 1.4
    assert _run(run_command.fault_commands("ok", str(fault)), tmp_path).returncode == 0
    assert _status(url) == 200 and fault.read_text().strip() == "ok"

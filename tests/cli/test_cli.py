"""The `awslab` command, run as a user runs it: `python -m awslab ...` in a subprocess."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]


def awslab(*args: str, env: dict | None = None, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "awslab", *args], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})), stdin=subprocess.DEVNULL, cwd=REPO, **kw)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(0.1)


def answers(url: str, timeout: float = 5) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except OSError:
        return False


def children(pid: int) -> list[int]:
    """The pids of ``pid``'s children (Linux /proc)."""
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(p) for p in (task / "children").read_text().split()]
        except FileNotFoundError:
            pass
    return kids


@pytest.mark.parametrize("command,teaches", [
    ("up", ["JupyterLab", "4566", "no process and no open port"]),
    ("cloud", ["EC2, ELBv2, Auto Scaling", "AWS_ENDPOINT_URL", "kernel can restart"]),
    ("build", ["VPC", "target group, ALB, listener", "finds its resource by tag"]),
    ("status", ["Resource Groups Tagging API", "awslab:lab=NAME", "DNS name"]),
    ("cli-log", ["AWS CLI", "$VPC_ID", "real AWS"]),
    ("teardown", ["reverse of build order", "NAT gateway", "by tag"]),
    ("doctor", ["Graphviz", "loopback", "fix"]),
])
def test_every_subcommand_help_teaches_its_aws_concept(command, teaches):
    out = awslab(command, "--help")
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    for phrase in teaches:
        assert " ".join(phrase.split()) in text, f"`awslab {command} --help` should mention {phrase!r}"
    if command in ("build", "status", "cli-log", "teardown"):
        assert all(opt in text for opt in ("--lab", "--backend", "--endpoint-url", "--region", "--allow-real-aws"))


def test_layers_layer_choices_match_the_stack():
    from awslab.layers.stack import LAYERS
    from awslab.cli import LAYERS as CLI_LAYERS

    assert CLI_LAYERS == LAYERS


def test_unknown_options_are_refused_outside_up():
    out = awslab("status", "--no-such-option")
    assert out.returncode == 2 and "unrecognized arguments: --no-such-option" in out.stderr


def test_doctor_reports_every_check_and_passes_here(cloud_url):
    out = awslab("doctor", "--port", cloud_url.rsplit(":", 1)[1])
    assert out.returncode == 0, out.stdout + out.stderr
    for check in ("python", "boto3", "moto", "jupyterlab", "graphviz renderer", "aws CLI", "AWSLAB_HOME", "loopback aliases"):
        assert f"] {check}" in out.stdout
    assert "the awslab cloud answers" in out.stdout and "5.2.5" in out.stdout


def test_doctor_names_the_fix_when_the_port_is_taken_and_home_unwritable(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        out = awslab("doctor", "--port", str(port), env={"AWSLAB_HOME": str(not_a_dir / "home")})
        port_out = awslab("doctor", "--port", str(port), env={"AWSLAB_HOME": str(tmp_path)})
    assert out.returncode == 1
    assert "[FAIL] AWSLAB_HOME" in out.stdout and "fix: Point AWSLAB_HOME at a folder you can write" in out.stdout
    assert port_out.returncode == 1 and f"[FAIL] cloud port {port}" in port_out.stdout and "AWSLAB_PORT=4577" in port_out.stdout


def test_doctor_gives_the_pinned_pip_command_for_a_broken_package(tmp_path):
    (tmp_path / "simpy").mkdir()
    (tmp_path / "simpy" / "__init__.py").write_text("raise ImportError('a broken simpy')\n")
    out = awslab("doctor", "--port", str(free_port()), env={"PYTHONPATH": str(tmp_path), "AWSLAB_HOME": str(tmp_path)})
    assert out.returncode == 1 and "[FAIL] simpy" in out.stdout and "a broken simpy" in out.stdout
    import importlib.metadata as md

    pin = next(r for r in md.requires("awslab") if r.startswith("simpy"))  # the range pyproject.toml pins
    assert f"fix: {sys.executable} -m pip install '{pin}'" in out.stdout


def test_status_shows_the_cloud_clock_and_the_lab_resources_by_layer(lab, cloud_url):
    from awslab.layers.network import build_network

    build_network(lab)
    out = awslab("status", "--lab", lab.name)
    assert out.returncode == 0, out.stderr
    assert f"awslab's embedded cloud is running at {cloud_url} (pid " in out.stdout
    assert "simulated clock: 20" in out.stdout  # read with the cloud's token
    network_line = [line for line in out.stdout.splitlines() if line.strip().startswith("network")][0]
    assert "VPC 1 (vpc-" in network_line and "subnet 6" in network_line and "internet gateway 1" in network_line
    empty = awslab("status", "--lab", "nothing-here")
    assert "none tagged awslab:lab=nothing-here" in empty.stdout
    assert "Labs with resources here: " in empty.stdout and lab.name in empty.stdout  # the labs that do exist


def test_status_says_how_to_start_a_cloud_that_is_not_running(tmp_path):
    out = awslab("status", env={"AWSLAB_PORT": str(free_port()), "AWSLAB_HOME": str(tmp_path)})
    assert out.returncode == 1 and "not running" in out.stdout and "awslab up" in out.stdout


def test_cli_log_prints_and_writes_a_replayable_script(lab, tmp_path):
    from awslab.layers.network import build_network

    build_network(lab)
    out = awslab("cli-log", "--lab", lab.name)
    assert out.returncode == 0, out.stderr
    assert out.stdout == lab.cli_log().script()
    assert "VPC_ID=$(aws ec2 create-vpc" in out.stdout and "export AWS_ENDPOINT_URL=" in out.stdout
    target = tmp_path / "replay.sh"
    assert awslab("cli-log", "--lab", lab.name, "-o", str(target)).returncode == 0
    assert target.read_text() == out.stdout
    subprocess.run(["bash", "-n", str(target)], check=True)


def test_layers_until_then_teardown_from_the_cli(lab):
    built = awslab("build", "--lab", lab.name, "--until", "network", timeout=180)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "network" in built.stdout and "resources created" in built.stdout
    assert lab.client("ec2").describe_vpcs(Filters=lab.lab_filters())["Vpcs"]
    refused = awslab("teardown", "--lab", lab.name)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert lab.client("ec2").describe_vpcs(Filters=lab.lab_filters())["Vpcs"]  # nothing deleted without consent
    gone = awslab("teardown", "--lab", lab.name, "--yes", timeout=240)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert "vpc" in gone.stdout.lower()
    assert lab.client("ec2").describe_vpcs(Filters=lab.lab_filters())["Vpcs"] == []


def test_cloud_start_and_stop_leave_no_process_and_no_port(tmp_path):
    port = free_port()
    env = {"AWSLAB_PORT": str(port), "AWSLAB_HOME": str(tmp_path)}
    started = awslab("cloud", "start", env=env, timeout=60)
    assert started.returncode == 0, started.stderr
    pid = int((tmp_path / f"cloud-{port}.pid").read_text())
    try:
        assert alive(pid) and answers(f"http://127.0.0.1:{port}/_awslab/health")
        assert awslab("cloud", "stop", env=env).returncode == 0
        assert not alive(pid) and not port_open(port)
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def _up(tmp_path, cloud_port: int, jupyter_port: int) -> subprocess.Popen:
    env = dict(os.environ, AWSLAB_PORT=str(cloud_port), AWSLAB_HOME=str(tmp_path), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    return subprocess.Popen([sys.executable, "-m", "awslab", "up", "--no-browser", "--port", str(jupyter_port),
                             "--IdentityProvider.token=awslab-test"], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait_up(proc: subprocess.Popen, cloud_port: int, jupyter_port: int) -> list[int]:
    def ready():
        assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
        return (answers(f"http://127.0.0.1:{jupyter_port}/api?token=awslab-test")
                and answers(f"http://127.0.0.1:{cloud_port}/_awslab/health"))

    wait_until(ready, 90, "JupyterLab and the cloud to answer")
    return children(proc.pid)


@pytest.mark.slow
def test_up_starts_cloud_and_jupyterlab_and_sigint_stops_both(tmp_path):
    cloud_port, jupyter_port = free_port(), free_port()
    proc = _up(tmp_path, cloud_port, jupyter_port)
    try:
        kids = _wait_up(proc, cloud_port, jupyter_port)
        assert len(kids) >= 2  # the cloud and JupyterLab
        with urllib.request.urlopen(f"http://127.0.0.1:{jupyter_port}/api/contents/labs/en?token=awslab-test", timeout=5) as r:
            listing = r.read().decode()
        assert "01-network" in listing  # opened on the student's workspace copy of the course
        assert (tmp_path / "workspace" / "labs" / "ko" / "01-network.ipynb").exists()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        wait_until(lambda: not port_open(jupyter_port) and not port_open(cloud_port), 15, "both ports to close")
        wait_until(lambda: not any(alive(k) for k in kids), 15, "the cloud and JupyterLab processes to exit")
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.slow
def test_up_sigterm_stops_jupyterlab_but_keeps_a_cloud_it_did_not_start(tmp_path, cloud_url):
    cloud_port, jupyter_port = int(cloud_url.rsplit(":", 1)[1]), free_port()
    proc = _up(tmp_path, cloud_port, jupyter_port)
    try:
        kids = _wait_up(proc, cloud_port, jupyter_port)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        wait_until(lambda: not port_open(jupyter_port), 15, "JupyterLab's port to close")
        wait_until(lambda: not any(alive(k) for k in kids), 15, "JupyterLab to exit")
        assert answers(f"{cloud_url}/_awslab/health")  # the session's cloud was running before `up`; it stays
    finally:
        if proc.poll() is None:
            proc.kill()


def test_status_lists_only_live_resources_and_the_auto_scaling_group(lab):
    """A rebuild after a teardown: AWS still shows the deleted NAT gateway and the terminated instances for a while."""
    first = awslab("build", "--lab", lab.name, "--until", "bastion", timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    assert awslab("teardown", "--lab", lab.name, "--yes", timeout=300).returncode == 0
    again = awslab("build", "--lab", lab.name, "--until", "autoscaling", timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    out = awslab("status", "--lab", lab.name)
    assert out.returncode == 0, out.stderr
    layers = {line.split()[0]: line for line in out.stdout.splitlines() if line.startswith("  ")}
    assert "NAT gateway 1 (" in layers["network"] and "instance 1 (" in layers["bastion"], out.stdout
    assert f"Auto Scaling group 1 ({lab.name}-asg)" in layers["autoscaling"], out.stdout
    assert "key pair 1" in layers["keys"] and "security group 4" in layers["security"], out.stdout


def test_help_texts_carry_no_markup():
    for command in ("", "up", "cloud", "build", "status", "cli-log", "teardown", "doctor", "topology"):
        out = awslab(*([command] if command else []), "--help")
        assert out.returncode == 0 and "`" not in out.stdout and ":class:" not in out.stdout, (command, out.stdout)


def test_teardown_without_a_terminal_says_what_it_did_and_how(lab):
    helptext = " ".join(awslab("teardown", "--help").stdout.split())
    assert "no terminal to ask in" in helptext and "exits with status 2, unless you pass --yes" in helptext
    refused = awslab("teardown", "--lab", lab.name)
    assert refused.returncode == 2 and "no terminal to ask in" in refused.stderr and "--yes" in refused.stderr


def test_build_that_starts_a_cloud_says_so_and_how_to_stop_it(tmp_path):
    port = free_port()
    env = {"AWSLAB_PORT": str(port), "AWSLAB_HOME": str(tmp_path)}
    try:
        out = awslab("build", "--until", "network", env=env, timeout=300)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "Started awslab's embedded cloud in the background" in out.stdout
        assert "awslab cloud stop" in out.stdout and str(tmp_path / f"cloud-{port}.log") in out.stdout
        again = awslab("build", "--until", "network", env=env, timeout=300)
        assert "Started" not in again.stdout  # it was running already
    finally:
        stopped = awslab("cloud", "stop", env=env)
    assert stopped.returncode == 0 and "Stopped awslab's embedded cloud" in stopped.stdout and not port_open(port)


def test_a_region_that_is_not_a_region_builds_no_path(tmp_path):
    home = tmp_path / "home"
    for args, env in ((["build", "--region", "x/../../../elsewhere"], {}), (["status"], {"AWSLAB_REGION": "x/../../elsewhere"}),
                      (["cloud", "start", "--region", "../x"], {})):
        out = awslab(*args, env={"AWSLAB_HOME": str(home), "AWSLAB_PORT": str(free_port()), **env})
        assert out.returncode == 2 and "is not valid: an AWS Region code looks like ap-northeast-2" in out.stderr, out.stderr
        assert "Traceback" not in out.stderr
    assert [p.name for p in tmp_path.iterdir()] in ([], ["home"])  # nothing beside AWSLAB_HOME
    assert not (home / "labs").exists() and not (tmp_path / "elsewhere").exists()

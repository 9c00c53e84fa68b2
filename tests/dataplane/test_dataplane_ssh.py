"""SSH through the bastion, in a real embedded cloud, with the real OpenSSH client and with asyncssh's.

The world: a VPC with a public subnet (the bastion; its group admits 22 from 127.0.0.1/32, the student's address
on this machine) and a private one (an app server; its group admits 22 from the bastion's group only).
"""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncssh
import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from awslab.dataplane.ssh.clientconfig import write_files

from ..conftest import control
from .test_dataplane_service import REGION, start_cloud, stop_cloud, wait_for

pytestmark = pytest.mark.skipif(shutil.which("ssh") is None or shutil.which("ssh-agent") is None,
                                reason="OpenSSH's client (ssh, ssh-agent, ssh-add) is not installed: "
                                       "apt-get install openssh-client (.ci/run does it)")
SSH_OPTS = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR"]


def _write_key(path: Path, private) -> None:
    path.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                           serialization.NoEncryption()))
    os.chmod(path, 0o400)
    path.with_name(path.name + ".pub").write_bytes(private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH) + b"\n")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home = tmp_path_factory.mktemp("ssh")
    proc, url = start_cloud(home)
    try:
        yield _build(url, home)
    finally:
        stop_cloud(proc)


def _build(url: str, home: Path) -> dict:
    ec2 = boto3.client("ec2", endpoint_url=url, region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
    keys = home / "keys"
    keys.mkdir(mode=0o700)
    _write_key(keys / "lab-key", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    _write_key(keys / "wrong-key", ed25519.Ed25519PrivateKey.generate())
    ec2.import_key_pair(KeyName="lab-key", PublicKeyMaterial=(keys / "lab-key.pub").read_bytes())
    vpc = ec2.create_vpc(CidrBlock="10.57.0.0/16")["Vpc"]["VpcId"]
    public, private = (ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.57.{n}.0/24", AvailabilityZone=f"{REGION}a")
                       ["Subnet"]["SubnetId"] for n in (10, 11))
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=public)
    ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
    bastion_sg = ec2.create_security_group(GroupName="bastion", Description="b", VpcId=vpc)["GroupId"]
    app_sg = ec2.create_security_group(GroupName="app", Description="a", VpcId=vpc)["GroupId"]
    admin = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "127.0.0.1/32"}]}]
    ec2.authorize_security_group_ingress(GroupId=bastion_sg, IpPermissions=admin)
    ec2.authorize_security_group_ingress(GroupId=app_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": bastion_sg}]}])
    common = {"ImageId": "ami-12c6146b", "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1, "KeyName": "lab-key"}
    bastion = ec2.run_instances(SubnetId=public, SecurityGroupIds=[bastion_sg], **common)["Instances"][0]["InstanceId"]
    app = ec2.run_instances(SubnetId=private, SecurityGroupIds=[app_sg], **common)["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[bastion, app], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    found = {i["InstanceId"]: i for r in ec2.describe_instances(InstanceIds=[bastion, app])["Reservations"]
             for i in r["Instances"]}
    endpoints = wait_for(lambda: len(eps := control(url, "GET", "dataplane/ssh")["endpoints"]) == 2 and eps, 30)
    files = write_files(endpoints, home / "ssh" / "config", keys, url)
    bare = write_files(endpoints, home / "bare" / "config", None, url)
    return {"url": url, "ec2": ec2, "home": home, "keys": keys, "config": files.config, "bare": bare.config,
            "bastion": bastion, "app": app, "bastion_ip": found[bastion]["PublicIpAddress"],
            "bastion_private": found[bastion]["PrivateIpAddress"], "app_ip": found[app]["PrivateIpAddress"],
            "bastion_sg": bastion_sg, "admin": admin, "endpoints": {e["instance_id"]: e for e in endpoints}}


def ssh(w: dict, *args: str, config: Path | None = None, env: dict | None = None, timeout: float = 40):
    """The real OpenSSH client, bounded in time."""
    cmd = ["ssh", "-F", str(config or w["config"]), *SSH_OPTS, *args]
    t0 = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)
    done.seconds = time.monotonic() - t0
    assert "PRIVATE KEY" not in done.stdout + done.stderr
    return done


def hostname_of(ip: str) -> str:
    return f"ip-{ip.replace('.', '-')}.{REGION}.compute.internal"


@pytest.fixture
def agent(world):
    """An ssh-agent holding the lab's key (ssh-add), stopped afterwards."""
    out = subprocess.run(["ssh-agent", "-s"], capture_output=True, text=True, timeout=10).stdout
    env = dict(os.environ)
    for part in out.replace("\n", ";").split(";"):
        if "=" in part and part.strip().split("=")[0] in ("SSH_AUTH_SOCK", "SSH_AGENT_PID"):
            k, v = part.strip().split("=", 1)
            env[k] = v
    try:
        subprocess.run(["ssh-add", "-q", str(world["keys"] / "lab-key")], env=env, check=True, timeout=10,
                       capture_output=True)
        yield env
    finally:
        subprocess.run(["ssh-agent", "-k"], env=env, capture_output=True, timeout=10)


def test_the_right_key_logs_in_to_the_bastion_by_its_public_ip(world):
    got = ssh(world, f"ec2-user@{world['bastion_ip']}", "hostname")
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == hostname_of(world["bastion_private"])
    meta = ssh(world, f"ec2-user@{world['bastion_ip']}", "ec2-metadata -i -v")
    assert meta.stdout.split() == ["instance-id:", world["bastion"], "public-ipv4:", world["bastion_ip"]]


def test_a_wrong_key_is_refused_as_openssh_says_it(world):
    got = ssh(world, "-i", str(world["keys"] / "wrong-key"), "-o", "IdentitiesOnly=yes",
              f"ec2-user@{world['bastion_ip']}", "hostname", config=world["bare"])
    assert got.returncode == 255
    assert "Permission denied (publickey)" in got.stderr


def test_a_password_is_refused_and_so_is_another_user(world):
    got = ssh(world, "-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "PubkeyAuthentication=no",
              f"ec2-user@{world['bastion_ip']}", "hostname")
    assert got.returncode == 255 and "Permission denied (publickey)" in got.stderr
    root = ssh(world, f"root@{world['bastion_ip']}", "hostname")
    assert root.returncode == 255 and "Permission denied (publickey)" in root.stderr


def test_the_host_key_is_pinned_by_the_known_hosts_file(world):
    ep = world["endpoints"][world["bastion"]]
    wrong = world["home"] / "wrong_known_hosts"
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    wrong.write_text(f"{world['bastion']} {other}\n")
    got = ssh(world, "-o", f"UserKnownHostsFile={wrong}", f"ec2-user@{world['bastion_ip']}", "hostname")
    assert got.returncode == 255 and "HOST IDENTIFICATION HAS CHANGED" in got.stderr
    key_file = world["home"] / "dataplane" / "ssh" / world["bastion"] / "ssh_host_ed25519_key"
    assert (key_file.stat().st_mode & 0o777) == 0o400 and ep["host_key"].startswith("ssh-ed25519 ")


def test_agent_forwarding_takes_you_from_the_bastion_to_a_private_app_server(world, agent):
    hop = ssh(world, "-A", f"ec2-user@{world['bastion_ip']}", f"ssh ec2-user@{world['app_ip']} hostname", env=agent)
    assert hop.returncode == 0, hop.stderr
    assert hop.stdout.splitlines()[0] == hostname_of(world["app_ip"])
    no_agent = ssh(world, f"ec2-user@{world['bastion_ip']}", f"ssh ec2-user@{world['app_ip']} hostname", env=agent)
    assert no_agent.returncode == 255 and "Permission denied (publickey)" in no_agent.stderr


def test_proxy_jump_relays_through_the_bastion(world, agent):
    got = ssh(world, "-J", f"ec2-user@{world['bastion_ip']}", f"ec2-user@{world['app_ip']}", "hostname", env=agent)
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == hostname_of(world["app_ip"])


def test_the_app_server_drops_a_connection_from_outside(world):
    got = ssh(world, "-o", "ConnectTimeout=2", f"ec2-user@{world['app_ip']}", "hostname")
    assert got.returncode == 255
    assert "Connection timed out" in got.stderr and "reset" not in got.stderr and "refused" not in got.stderr
    assert "banner exchange" not in got.stderr, "the SYN must be dropped, not a connection accepted and held"
    assert got.seconds >= 1.9


def test_a_revoked_rule_makes_ssh_time_out_and_restoring_it_lets_you_back_in(world):
    ec2, url = world["ec2"], world["url"]
    ec2.revoke_security_group_ingress(GroupId=world["bastion_sg"], IpPermissions=world["admin"])
    try:
        control(url, "GET", "dataplane/settled")
        got = ssh(world, "-o", "ConnectTimeout=2", f"ec2-user@{world['bastion_ip']}", "hostname")
        assert got.returncode == 255 and "Connection timed out" in got.stderr, got.stderr
        assert "banner exchange" not in got.stderr, "the SYN must be dropped, not a connection accepted and held"
    finally:
        ec2.authorize_security_group_ingress(GroupId=world["bastion_sg"], IpPermissions=world["admin"])
    control(url, "GET", "dataplane/settled")
    assert ssh(world, f"ec2-user@{world['bastion_ip']}", "hostname").returncode == 0


def known_hosts(ep: dict) -> asyncssh.SSHKnownHosts:
    """The endpoint's host key as OpenSSH's known_hosts writes it (``[host]:port`` when the port is not 22)."""
    name = ep["host"] if ep["port"] == 22 else f"[{ep['host']}]:{ep['port']}"
    return asyncssh.import_known_hosts(f"{name} {ep['host_key']}\n")


def _asyncssh(w: dict, coro_fn):
    ep = w["endpoints"][w["bastion"]]

    async def body():
        return await coro_fn(ep, known_hosts(ep))

    return asyncio.run(asyncio.wait_for(body(), 60))


def test_asyncssh_client_right_key_wrong_key_and_password(world):
    key = str(world["keys"] / "lab-key")

    async def attempt(ep, known, **kw):
        async with asyncssh.connect(ep["host"], ep["port"], known_hosts=known, username="ec2-user", config=None,
                                    agent_path=None, **kw) as conn:
            return (await conn.run("hostname")).stdout.strip()

    assert _asyncssh(world, lambda ep, kh: attempt(ep, kh, client_keys=[key])) == hostname_of(world["bastion_private"])
    for kw in ({"client_keys": [str(world["keys"] / "wrong-key")]}, {"client_keys": None, "password": "hunter2"}):
        with pytest.raises(asyncssh.PermissionDenied):
            _asyncssh(world, lambda ep, kh, kw=kw: attempt(ep, kh, **kw))


def test_an_interactive_login_with_a_terminal_hops_on_with_the_forwarded_agent(world, agent):
    """asyncssh's client asks for a pty and forwards the agent; the bastion's shell then logs in to the app server."""
    ep = world["endpoints"][world["bastion"]]

    async def read_until(stdout, marker: str) -> str:
        seen = ""
        while marker not in seen:
            chunk = await asyncio.wait_for(stdout.read(4096), 20)
            assert chunk, f"the session ended before {marker!r}: {seen!r}"
            seen += chunk
        return seen

    async def body():
        known = known_hosts(ep)
        async with asyncssh.connect(ep["host"], ep["port"], known_hosts=known, username="ec2-user", config=None,
                                    agent_path=agent["SSH_AUTH_SOCK"], agent_forwarding=True) as conn:
            process = await conn.create_process(term_type="xterm", term_size=(100, 30))
            bastion_prompt = f"@ip-{world['bastion_private'].replace('.', '-')} ~]$ "
            app_prompt = f"@ip-{world['app_ip'].replace('.', '-')} ~]$ "
            welcome = await read_until(process.stdout, bastion_prompt)
            process.stdin.write(f"ssh {world['app_ip']}\n")
            await read_until(process.stdout, app_prompt)
            process.stdin.write("hostname\n")
            on_app = await read_until(process.stdout, app_prompt)
            process.stdin.write("exit\n")
            await read_until(process.stdout, bastion_prompt)
            process.stdin.write("exit\n")
            await asyncio.wait_for(process.wait_closed(), 20)
            return welcome, on_app

    welcome, on_app = asyncio.run(asyncio.wait_for(body(), 90))
    assert "simulated shell" in welcome and world["bastion"] in welcome
    assert hostname_of(world["app_ip"]) in on_app


def test_the_simulated_shell_reads_the_instances_real_state(world):
    out = {}
    for command in ("curl -s localhost/health", "systemctl status awslab-webapp", "ip addr", "uname -a"):
        out[command] = ssh(world, "-J", f"ec2-user@{world['bastion_ip']}", f"ec2-user@{world['app_ip']}", command)
    assert out["curl -s localhost/health"].stdout.strip() == "ok"
    assert "Active: active (running)" in out["systemctl status awslab-webapp"].stdout
    assert f"inet {world['app_ip']}/24" in out["ip addr"].stdout
    unknown = out["uname -a"]
    assert unknown.returncode == 127 and "simulated shell" in unknown.stderr and "hostname" in unknown.stderr


def test_systemctl_restart_restarts_the_web_app_and_the_journal_shows_it(world):
    def on_app(command: str):
        return ssh(world, "-J", f"ec2-user@{world['bastion_ip']}", f"ec2-user@{world['app_ip']}", command)

    def starts() -> int:
        return on_app("journalctl -u awslab-webapp -n 200").stdout.count("Started awslab-webapp.service")

    before = starts()
    assert on_app("systemctl restart awslab-webapp").returncode == 0
    wait_for(lambda: starts() == before + 1, 20, 0.3)
    health = wait_for(lambda: (r := on_app("curl -s localhost/health")).stdout.strip() == "ok" and r, 20, 0.3)
    assert health.returncode == 0
    assert on_app("systemctl is-active awslab-webapp").stdout.strip() == "active"


def test_garbage_and_a_flood_of_connections_do_not_freeze_the_cloud(world):
    """sshd's MaxStartups: past 100 unauthenticated connections new ones are closed at once (no hang), the rest
    of the cloud keeps answering, and once the flood goes away logins work again."""
    ep = world["endpoints"][world["bastion"]]
    socks = []
    try:
        s = socket.create_connection((ep["host"], ep["port"]), timeout=5)
        s.sendall(os.urandom(65536))
        socks.append(s)
        for _ in range(150):
            socks.append(socket.create_connection((ep["host"], ep["port"]), timeout=5))
        time.sleep(0.5)
        full = ssh(world, f"ec2-user@{world['bastion_ip']}", "hostname")
        assert full.returncode == 255 and full.seconds < 5, full.stderr
        assert "closed" in full.stderr or "reset" in full.stderr, full.stderr  # what sshd's MaxStartups gives
        assert control(world["url"], "GET", "health")
        assert world["ec2"].describe_instances(InstanceIds=[world["bastion"]])["Reservations"]
    finally:
        for s in socks:
            s.close()
    def logged_in():
        done = ssh(world, f"ec2-user@{world['bastion_ip']}", "hostname")
        return done.returncode == 0 and done

    got = wait_for(logged_in, 15, 0.2)
    assert got.stdout.strip() == hostname_of(world["bastion_private"])


def test_ssh_config_cli_writes_the_path_and_never_a_key(world):
    env = dict(os.environ, AWSLAB_PORT=world["url"].rsplit(":", 1)[1], AWSLAB_HOME=str(world["home"]))
    out = world["home"] / "cli" / "config"
    done = subprocess.run([sys.executable, "-m", "awslab", "ssh-config", "-o", str(out)], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout and "PRIVATE KEY" not in done.stdout + done.stderr
    text = out.read_text()
    assert f"Host {world['bastion_private']} {world['bastion_ip']} {world['bastion']}" in text
    assert (out.stat().st_mode & 0o777) == 0o600 and "PRIVATE KEY" not in text


def test_zz_a_terminated_instance_stops_answering_and_its_host_key_is_deleted(world):
    ec2, url = world["ec2"], world["url"]
    subnet = ec2.describe_instances(InstanceIds=[world["bastion"]])["Reservations"][0]["Instances"][0]["SubnetId"]
    extra = ec2.run_instances(ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=1, MaxCount=1, KeyName="lab-key",
                              SubnetId=subnet, SecurityGroupIds=[world["bastion_sg"]])["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[extra], WaiterConfig={"Delay": 1, "MaxAttempts": 60})

    def endpoint():
        return next((e for e in control(url, "GET", "dataplane/ssh")["endpoints"] if e["instance_id"] == extra), None)

    ep = wait_for(endpoint, 30)
    folder = world["home"] / "dataplane" / "ssh" / extra
    assert (folder / "ssh_host_ed25519_key").exists()
    ec2.terminate_instances(InstanceIds=[extra])
    wait_for(lambda: endpoint() is None, 60, 0.3)
    assert not folder.exists(), "a terminated instance's disk (and host key) is gone"
    with pytest.raises(ConnectionRefusedError):  # the listener is closed, not merely filtered
        socket.create_connection((ep["host"], ep["port"]), timeout=2).close()

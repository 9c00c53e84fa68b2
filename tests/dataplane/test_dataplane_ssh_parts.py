"""The SSH data plane's parts on their own: the socket filter, the shell's ssh arguments, the ssh config."""
from __future__ import annotations

import socket
import sys
import time

import pytest

from awslab.dataplane.ssh import sourcefilter
from awslab.dataplane.ssh.clientconfig import render_config, render_known_hosts, write_files
from awslab.dataplane.ssh.hop import parse_ssh_args

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="socket filters (SO_ATTACH_FILTER) are Linux's")


def _connect(src: str, dst: tuple[str, int], timeout: float) -> str:
    c = socket.socket()
    c.bind((src, 0))
    c.settimeout(timeout)
    try:
        c.connect(dst)
        return "connected"
    except socket.timeout:
        return "timed out"
    except ConnectionRefusedError:
        return "refused"
    finally:
        c.close()


@linux
def test_the_filter_drops_the_syn_of_every_source_it_does_not_list_and_can_be_replaced():
    s = socket.socket()
    s.bind(("127.0.10.5", 0))
    s.listen(8)
    dst = s.getsockname()
    try:
        assert sourcefilter.attach(s, ["127.0.11.7"])
        assert _connect("127.0.11.7", dst, 2) == "connected"
        t0 = time.monotonic()
        assert _connect("127.0.0.1", dst, 1) == "timed out"  # no RST: the SYN went nowhere
        assert time.monotonic() - t0 >= 0.9
        assert sourcefilter.attach(s, ["127.0.0.1"])
        assert _connect("127.0.0.1", dst, 2) == "connected"
        assert sourcefilter.attach(s, [])
        assert _connect("127.0.11.7", dst, 0.5) == "timed out"
    finally:
        s.close()


def test_the_filter_program_is_one_compare_per_address():
    code = sourcefilter.program(["127.0.0.1", "127.0.11.7", "127.0.0.1"])
    assert len(code) == 8 * (1 + 2 + 2)  # load, two compares (duplicates merged), drop, accept


def test_the_shells_ssh_reads_the_seeds_forms():
    a = parse_ssh_args(["-A", "ec2-user@10.0.11.5"])
    assert (a.user, a.host, a.port, a.command) == ("ec2-user", "10.0.11.5", 22, None)
    b = parse_ssh_args(["-o", "ConnectTimeout=3", "-p", "22", "10.0.11.5", "hostname;", "ec2-metadata", "-i"])
    assert (b.user, b.connect_timeout, b.command) == ("ec2-user", 3.0, "hostname; ec2-metadata -i")
    for bad in ([], ["-Z", "host"]):
        with pytest.raises(ValueError, match="usage: ssh"):
            parse_ssh_args(bad)


ENDPOINTS = [{"instance_id": "i-0app", "private_ip": "10.0.11.5", "public_ip": None, "host": "127.0.11.5", "port": 22,
              "key_name": "awslab-key", "host_key": "ssh-ed25519 AAAAapp", "name": "awslab-app"},
             {"instance_id": "i-0bastion", "private_ip": "10.0.1.4", "public_ip": "43.201.7.9", "host": "127.0.1.4",
              "port": 10022, "key_name": "awslab-key", "host_key": "ssh-ed25519 AAAAbastion", "name": "awslab-bastion"}]


def test_the_config_maps_every_name_an_instance_answers_to_and_pins_its_host_key(tmp_path):
    (tmp_path / "awslab-key").write_text("not read, only named")
    text = render_config(ENDPOINTS, tmp_path / "known_hosts", tmp_path, "http://127.0.0.1:4566")
    bastion = text[text.index("Host 10.0.1.4 43.201.7.9 i-0bastion"):]
    assert "HostName 127.0.1.4" in bastion and "Port 10022" in bastion and "HostKeyAlias i-0bastion" in bastion
    assert f"IdentityFile {tmp_path / 'awslab-key'}" in bastion and "StrictHostKeyChecking yes" in bastion
    assert text.index("i-0bastion") < text.index("i-0app"), "the host with a public IP (the bastion) comes first"
    assert render_known_hosts(ENDPOINTS) == "i-0app ssh-ed25519 AAAAapp\ni-0bastion ssh-ed25519 AAAAbastion\n"
    assert "IdentityFile" not in render_config(ENDPOINTS, tmp_path / "k", None, "x")


def test_the_files_are_private_to_you(tmp_path):
    files = write_files(ENDPOINTS, tmp_path / "ssh" / "config", None, "x")
    assert {p.stat().st_mode & 0o777 for p in (files.config, files.known_hosts)} == {0o600}
    assert files.instances == ("i-0app", "i-0bastion")

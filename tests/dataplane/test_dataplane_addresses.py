"""Private IPs onto loopback, ALB node addresses and ports, and the loopback probe."""
from __future__ import annotations

import sys

import pytest

from awslab.dataplane import addresses as A


@pytest.mark.parametrize("private,loop", [("10.0.10.5", "127.0.10.5"), ("172.31.4.9", "127.31.4.9"), ("192.168.1.20", "127.168.1.20")])
def test_to_loopback_and_back(private, loop):
    assert A.to_loopback(private) == loop
    cidr = {"10": "10.0.0.0/16", "172": "172.31.0.0/16", "192": "192.168.0.0/16"}[private.split(".")[0]]
    assert A.from_loopback(loop, cidr) == private


@pytest.mark.parametrize("bad", ["8.8.8.8", "127.0.0.1", "not-an-ip"])
def test_to_loopback_refuses_non_private(bad):
    with pytest.raises(ValueError):
        A.to_loopback(bad)


def test_probe_on_linux_allows_aliases():
    probe = A.probe_loopback()
    if sys.platform.startswith("linux"):
        assert probe.aliases and probe.mode == "aliases"
    else:
        assert probe.mode in ("aliases", "single-address")


def test_probe_reports_the_fallback_for_an_unbindable_address():
    probe = A.probe_loopback("192.0.2.1")  # TEST-NET-1: never on this machine
    assert not probe.aliases and probe.mode == "single-address" and "ifconfig lo0 alias" in probe.detail


def test_alb_nodes_one_per_az_inside_subnet_and_stable():
    subnets = [{"AvailabilityZone": "ap-northeast-2c", "CidrBlock": "10.0.2.0/24"},
               {"AvailabilityZone": "ap-northeast-2a", "CidrBlock": "10.0.1.0/24"}]
    nodes = A.alb_node_addresses("arn:lb/app/web/1", subnets)
    assert set(nodes) == {"ap-northeast-2a", "ap-northeast-2c"}
    assert nodes["ap-northeast-2a"].startswith("10.0.1.") and nodes["ap-northeast-2c"].startswith("10.0.2.")
    assert int(nodes["ap-northeast-2a"].split(".")[-1]) not in (0, 1, 2, 3, 255)
    assert nodes == A.alb_node_addresses("arn:lb/app/web/1", subnets)
    taken = {nodes["ap-northeast-2a"]}
    assert A.alb_node_addresses("arn:lb/app/web/1", subnets, taken)["ap-northeast-2a"] not in taken


def test_alb_listen_port_is_stable_and_avoids_clashes():
    p = A.alb_listen_port("web-alb", 80)
    assert A.ALB_PORT_BASE <= p < A.ALB_PORT_BASE + A.ALB_PORT_SPAN
    assert A.alb_listen_port("web-alb", 80) == p
    assert A.alb_listen_port("web-alb", 80, {p}) != p


def test_source_registry_identifies_alb_connections_in_single_address_mode():
    reg = A.SourceRegistry()
    reg.register(40001, "10.0.1.250")
    assert reg.who(("127.0.0.1", 40001), aliases=False) == "10.0.1.250"
    assert reg.who(("127.0.0.1", 40002), aliases=False) is None
    assert reg.who(("127.0.1.250", 5), aliases=True, vpc_cidr="10.0.0.0/16") == "10.0.1.250"
    assert reg.who(("127.0.0.1", 5), aliases=True, vpc_cidr="10.0.0.0/16") is None


def test_each_cloud_on_a_machine_claims_its_own_port_block(tmp_path):
    first, second = A.claim_port_block(str(tmp_path)), A.claim_port_block(str(tmp_path))
    try:
        assert (first.index, second.index) == (0, 1) and (first.offset, second.offset) == (0, A.PORT_BLOCK_SIZE)
        first.release()  # a cloud that stops (or dies) frees its block for the next one
        third = A.claim_port_block(str(tmp_path))
        assert third.index == 0
        third.release()
    finally:
        second.release()


def test_port_blocks_shift_only_the_apps_ports():
    from awslab.dataplane.instances import InstanceHost

    host = InstanceHost(loopback=A.to_loopback, privileged_ok=True, port_offset=A.PORT_BLOCK_SIZE)
    assert host.local_port("10.0.11.4", 80) == 1080 and host.local_port("10.0.11.4", 8080) == 9080
    assert host.local_port("10.0.11.4", 65000) == 65000  # no room above it: its own number
    assert InstanceHost(loopback=A.to_loopback, privileged_ok=False, port_offset=2 * A.PORT_BLOCK_SIZE).local_port("10.0.11.4", 80) == 12080

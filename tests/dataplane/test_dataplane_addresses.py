"""Private IPs onto loopback, ALB node addresses and ports, and the loopback probe."""
from __future__ import annotations

import sys

import pytest

from awslab.dataplane import addresses as A
from awslab.dataplane.loopback import LoopbackMap


@pytest.mark.parametrize("private,loop", [("10.0.10.5", "127.0.10.5"), ("172.31.4.9", "127.31.4.9"), ("192.168.1.20", "127.168.1.20"),
                                          ("100.64.3.7", "127.64.3.7"), ("203.0.113.9", "127.0.113.9")])
def test_every_vpc_range_has_a_preferred_loopback_address_and_comes_back(private, loop):
    """RFC 1918, 100.64.0.0/10 and publicly routable ranges (VPC CIDR blocks page): all map, and map back."""
    assert A.to_loopback(private) == loop
    m = LoopbackMap()
    assert m.address(private) == loop and m.vpc_address(loop) == private


@pytest.mark.parametrize("bad", ["127.0.0.1", "0.1.2.3", "169.254.169.254", "224.0.0.5", "not-an-ip", "fe80::1"])
def test_addresses_no_vpc_can_hold_are_refused(bad):
    with pytest.raises(ValueError):
        A.to_loopback(bad)
    with pytest.raises(ValueError):
        LoopbackMap().address(bad)


def test_two_ranges_with_one_preferred_block_get_different_blocks():
    """10.16.0.0/16 and 172.16.0.0/16 both prefer 127.16.0.0/16: the second gets the next free block."""
    m = LoopbackMap()
    first, second = m.address("172.16.0.5"), m.address("10.16.0.5")
    assert first == "127.16.0.5" and second == "127.17.0.5"
    assert m.vpc_address(first) == "172.16.0.5" and m.vpc_address(second) == "10.16.0.5"
    assert m.address("10.17.0.9") == "127.18.0.9"  # 10.17's block was taken by 10.16: it moves on too
    assert m.address("10.16.200.7") == "127.17.200.7"  # a /16 keeps its block
    assert m.vpc_address("127.99.0.5") is None and m.vpc_address("127.0.0.1") is None


def test_the_map_is_collision_free_for_256_blocks_and_gives_back_unused_ones():
    served: set[str] = set()
    m = LoopbackMap(in_use=lambda: served)
    ips = [f"{a}.{b}.1.10" for a in (10, 100) for b in range(128)]  # 256 different /16s, many preferring one block
    out = {ip: m.address(ip) for ip in ips}
    served.update(ips)
    assert len(set(out.values())) == 256 and all(m.vpc_address(v) == k for k, v in out.items())
    assert m.address("172.20.1.10") is None  # the 257th /16 while all 256 are served: no block (single-address for it)
    served.discard("10.5.1.10")
    assert m.address("172.20.1.10") == "127.5.1.10"  # 10.5's block was given back and reused
    assert m.vpc_address("127.5.1.10") == "172.20.1.10"


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


def test_source_registry_identifies_connections_from_127_0_0_1_by_port():
    reg, m = A.SourceRegistry(), LoopbackMap()
    reg.register(40001, "10.0.1.250")
    assert reg.who(("127.0.0.1", 40001)) == "10.0.1.250"
    assert reg.who(("127.0.0.1", 40002)) is None  # the internet
    m.address("100.64.1.250")
    assert reg.who(("127.64.1.250", 5), m.vpc_address) == "100.64.1.250"


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

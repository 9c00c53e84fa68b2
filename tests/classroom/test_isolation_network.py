"""The class network's addresses and names, and one student's namespace made, used and removed (root only)."""
from __future__ import annotations

import random
import secrets
import subprocess
import time

import pytest

from awslab.classroom import isolation
from awslab.classroom.isolation import ClassNetwork


def test_each_student_gets_a_slash_30_of_their_own_and_the_hub_the_first_address():
    net = ClassNetwork("10.213.0.0/16", "awl")
    assert net.hub_address == "10.213.0.1"
    assert net.capacity == 16383
    one, two, last = net.student(1), net.student(2), net.student(16383)
    assert (one.host_address, one.student_address) == ("10.213.0.5", "10.213.0.6")
    assert (two.host_address, two.student_address) == ("10.213.0.9", "10.213.0.10")
    assert last.student_address == "10.213.255.254"
    assert (one.namespace, one.host_interface, one.student_interface) == ("awl-s1", "awl1h", "awl1n")
    widest = ClassNetwork("10.0.0.0/8", "abcd").student(99_999)
    assert len(widest.host_interface) <= 15 and len(widest.namespace) <= 15, "Linux's limit for interface names"
    for bad in (0, 16384):
        with pytest.raises(ValueError, match="outside the class network"):
            net.student(bad)


@pytest.mark.parametrize("network, tag", [("8.8.0.0/16", "awl"), ("10.0.0.0/25", "awl"), ("10.1.0.0/16", "AWL"),
                                          ("10.1.0.0/16", "toolong"), ("10.1.0.0/16", "a-b"), ("fd00::/64", "awl")])
def test_a_public_small_or_ipv6_range_or_a_bad_tag_is_refused(network, tag):
    with pytest.raises(ValueError):
        ClassNetwork(network, tag)


@pytest.mark.skipif(isolation.available() is not None, reason=str(isolation.available()))
def test_a_namespace_is_made_idempotently_holds_its_processes_and_is_removed_with_them():
    tag = "n" + secrets.token_hex(2)[:3]
    net = ClassNetwork(f"10.214.{random.randrange(256)}.0/24", tag)
    student = net.student(3)
    try:
        student.create()
        student.create()  # idempotent
        assert student.exists()
        routes = subprocess.run(["ip", "-n", student.namespace, "route"], capture_output=True, text=True).stdout
        assert f"{net.hub_address} via {student.host_address}" in routes
        assert "default" not in routes, "no way out but the Hub's address"
        sleeper = subprocess.Popen(["ip", "netns", "exec", student.namespace, "sleep", "60"])
        deadline = time.monotonic() + 10
        while sleeper.pid not in student.pids() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sleeper.pid in student.pids()
        assert student.end_processes(grace_s=5) == [sleeper.pid]
        assert sleeper.wait(5) is not None and student.pids() == []
        assert net.remove() == [student.namespace]
        assert not student.exists()
        links = subprocess.run(["ip", "link"], capture_output=True, text=True).stdout
        assert student.host_interface not in links
    finally:
        net.remove()

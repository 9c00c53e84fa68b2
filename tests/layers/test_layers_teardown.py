"""Teardown deletes everything a lab made, found by tag, even after an interrupted build."""
from __future__ import annotations

import pytest

from awslab.layers._base import lab_nat_gateways
from awslab.layers.stack import LAYERS, build_stack
from awslab.layers.teardown import find_lab_resources, teardown


class Interrupted(Exception):
    pass


def interrupt_after(lab, n_calls: int) -> list[str]:
    """Make the lab's AWS calls fail after ``n_calls`` mutating calls, like a kernel dying mid-build."""
    seen: list[str] = []

    def hook(model, params, **kwargs):
        name = model.name
        if name.startswith(("Create", "Put", "Run", "Import", "Allocate", "Attach", "Associate", "Authorize", "Register", "Change", "Modify")):
            if len(seen) >= n_calls:
                raise Interrupted(f"interrupted before {name}")
            seen.append(name)

    for service in ("ec2", "elbv2", "autoscaling", "cloudwatch", "rds", "route53", "s3", "cloudfront", "sts"):
        lab.client(service).meta.events.register("before-call", hook)
    return seen


def assert_nothing_left(lab) -> None:
    assert find_lab_resources(lab) == []
    ec2 = lab.client("ec2")
    f = lab.lab_filters()
    assert ec2.describe_vpcs(Filters=f)["Vpcs"] == []
    assert ec2.describe_addresses(Filters=f)["Addresses"] == []
    assert lab_nat_gateways(lab) == []
    elb = lab.client("elbv2")
    names = [lb["LoadBalancerName"] for lb in elb.describe_load_balancers()["LoadBalancers"]]
    assert not [n for n in names if n.startswith(lab.name)]
    assert not [g for g in lab.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"] if g["AutoScalingGroupName"].startswith(lab.name)]
    assert not [d for d in lab.client("rds").describe_db_instances()["DBInstances"] if d["DBInstanceIdentifier"].startswith(lab.name)]
    assert not [b for b in lab.client("s3").list_buckets()["Buckets"] if lab.name in b["Name"]]
    assert not [a for a in lab.client("cloudwatch").describe_alarms()["MetricAlarms"] if lab.name in a["AlarmName"]]


def test_teardown_of_the_network_layer_leaves_nothing(lab):
    build_stack(lab, until="network")
    report = teardown(lab)
    kinds = {d.resource_type for d in report.deleted}
    assert {"vpc", "subnet", "nat-gateway", "elastic-ip", "internet-gateway", "route-table"} <= kinds
    assert report.clean, report.summary()
    assert_nothing_left(lab)


def test_teardown_twice_deletes_nothing_the_second_time(lab):
    build_stack(lab, until="network")
    teardown(lab)
    again = teardown(lab)
    assert again.deleted == [] and again.clean


@pytest.mark.slow
def test_full_stack_teardown_leaves_no_tagged_resource_in_any_service(lab):
    stack = build_stack(lab)
    assert [name for name, _ in stack.layers()] == list(LAYERS)
    report = teardown(lab)
    assert report.clean, report.summary()
    services = {d.service for d in report.deleted}
    assert {"ec2", "elbv2", "autoscaling", "rds", "route53", "s3", "cloudfront", "iam"} <= services
    assert "origin-access-control" in {d.resource_type for d in report.deleted}
    assert_nothing_left(lab)


@pytest.mark.slow
@pytest.mark.parametrize("after", [1, 9, 22, 40, 55])
def test_interrupted_build_then_teardown_leaves_nothing(lab, after):
    seen = interrupt_after(lab, after)
    with pytest.raises(Exception):
        build_stack(lab)
    assert len(seen) == after, "the build was interrupted where the test meant"
    lab._clients.clear()  # a fresh kernel: new clients, without the interruption
    report = teardown(lab)
    assert report.clean, report.summary()
    assert_nothing_left(lab)

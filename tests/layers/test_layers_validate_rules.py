"""Every rule in awslab.layers.validate, as a property: a value the rules accept, the cloud accepts; a value they refuse
creates nothing.

For each field a student can set, hypothesis draws values (valid ones, near misses such as a trailing newline or an
upper-case letter, random text, and wrong types). Each value goes into ``build_stack`` on a lab whose clients refuse
any call that would create or change something:

- refused: the error is a ValidationError naming the field and the value, with a fix, and no call was attempted;
- accepted: the checks passed and the build went on to its first create call (stopped there). The value is then
  sent to the API it is meant for, on the embedded cloud (``probe``), which must accept it.

At the end nothing carries the lab's tag. ``AWSLAB_PROPERTY_EXAMPLES`` sets the examples per field (default 12).
"""
from __future__ import annotations

import os
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from awslab import Lab, ValidationError
from awslab.layers.autoscaling import AutoScalingSpec, build_auto_scaling_group
from awslab.layers.compute import build_launch_template, find_al2023_ami
from awslab.layers.keys import create_key_pair, default_key_dir
from awslab.layers.loadbalancing import build_load_balancer
from awslab.layers.network import build_network
from awslab.layers.security import build_security
from awslab.layers.stack import build_stack
from awslab.layers.teardown import find_lab_resources, teardown
from probes import CASES, KNOWN, Case

EXAMPLES = int(os.environ.get("AWSLAB_PROPERTY_EXAMPLES", "12"))
READ_ONLY = ("Describe", "List", "Get", "Head")


class Created(Exception):
    """The build got past every check and reached a call that creates or changes something."""


@pytest.fixture(scope="module")
def rig(cloud_url):
    """What the probes need on the cloud: a VPC with subnets, groups, a launch template, a load balancer, a group."""
    lab = Lab(name="rig" + uuid.uuid4().hex[:8], endpoint_url=cloud_url)
    net = build_network(lab)
    sec = build_security(lab, net)
    lt = build_launch_template(lab, sec, create_key_pair(lab))
    lb = build_load_balancer(lab, net, sec)
    asg = build_auto_scaling_group(lab, net, lt, lb, AutoScalingSpec(min_size=0, desired_capacity=0, group_metrics=False))
    yield SimpleNamespace(lab=lab, network=net, security=sec, launch_template=lt, load_balancer=lb, group=asg,
                          image_id=find_al2023_ami(lab), ec2=lab.client("ec2"))
    teardown(lab)


@pytest.fixture
def guarded(cloud_url):
    """A lab whose clients refuse every call that would create or change something."""
    lab = Lab(name="g" + uuid.uuid4().hex[:8], endpoint_url=cloud_url)

    def refuse(model, **kwargs):
        if not model.name.startswith(READ_ONLY):
            raise Created(model.name)

    for service in ("ec2", "elbv2", "autoscaling", "cloudwatch", "rds", "route53", "s3", "cloudfront", "iam", "sts"):
        lab.client(service).meta.events.register("before-call", refuse)
    yield lab
    assert find_lab_resources(lab) == []
    assert not list(default_key_dir().glob(lab.name + "*"))


def attempt(lab: Lab, case: Case, value: Any) -> ValidationError | None:
    """The ValidationError for ``value``, or None when every check passed (the first create call was stopped)."""
    try:
        build_stack(lab, case.spec(value), until=case.layer)
    except ValidationError as e:
        return e
    except Created:
        return None
    raise AssertionError("build_stack returned without a single create call")


def _same(a: Any, b: Any) -> bool:
    """Equal and of one type (True == 1 in Python, but not here)."""
    return type(a) is type(b) and a == b


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_value_the_rules_accept_the_cloud_accepts_and_one_they_refuse_creates_nothing(guarded, rig, case):
    good, bad = KNOWN[case.id]
    accepted: list = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(value=case.values)
    @example(value=good)
    @example(value=bad)
    def check(value):
        error = attempt(guarded, case, value)
        if error is not None:
            assert error.field in (case.field, *case.fields), str(error)
            assert error.fix and "How to fix" in str(error)
            return
        accepted.append(value)
        if case.probe is not None:
            case.probe(rig, value)

    check()
    assert any(_same(v, good) for v in accepted) and not any(_same(v, bad) for v in accepted)
    assert case.probe is not None or case.why

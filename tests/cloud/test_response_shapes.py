"""Response shapes match AWS's (issue 11 §6): every response that a full build, discovery, the two drills, every
check and teardown receive carries each member botocore's output shape marks required, with the type (and enum
value) the model says. The calls are recorded with botocore's after-call event, so the list of operations is
whatever awslab really calls; a new call is covered the day it is written."""
from __future__ import annotations

import uuid

import pytest
from botocore.model import ShapeResolver

from awslab import Lab, sdk

from ..conftest import control, spawn_cloud, stop_spawned
from .shapes import Recorder, Violation, check_response

#: Where the model is stricter than the service itself: AWS's own API reference says what the service sends.
#: (operation, path, the start of the problem) -> why it is right as it is
MODEL_STRICTER_THAN_AWS = {
    ("ec2.DescribeInternetGateways", "InternetGateways[].Attachments[].State", "'available' is not one of"):
        "\"For an internet gateway, the state is available when attached to a VPC\" "
        "(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InternetGatewayAttachment.html)",
    ("route53.ListHostedZones", "Marker", "missing"):
        "Marker is \"the value that you specified for the marker parameter in the request\"; a first page has "
        "none (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZones.html)",
}


def _allowed(v: Violation) -> bool:
    return any(v.operation == op and v.path == path and v.problem.startswith(start)
               for op, path, start in MODEL_STRICTER_THAN_AWS)


def _until_healthy(lab: Lab, url: str, tg_arn: str) -> None:
    elbv2 = lab.client("elbv2")
    for _ in range(40):  # bounded: boot, then the healthy threshold
        states = [d["TargetHealth"]["State"] for d in elbv2.describe_target_health(TargetGroupArn=tg_arn)[
            "TargetHealthDescriptions"]]
        if states and all(s == "healthy" for s in states):
            return
        control(url, "POST", "clock/advance", {"seconds": 30})


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Recorder:
    """Build every layer, discover, run the failure and surge drills and every check, tear down: on a cloud of its own."""
    from awslab.checks.registry import run_check, tasks
    from awslab.drills import fail_instance, surge
    from awslab.topology.discover import discover

    recorder = Recorder()
    events = sdk.session().events
    events.register("after-call.*.*", recorder)
    proc, url = spawn_cloud(str(tmp_path_factory.mktemp("shapes-home")))
    try:
        lab = Lab(name="shape" + uuid.uuid4().hex[:6], endpoint_url=url)
        stack = lab.build()
        _until_healthy(lab, url, stack.loadbalancing.target_group_arn)
        discover(lab)
        failure = fail_instance(lab, kind="crash")
        failure.wait_until("recovered", fast_forward=True, step_s=15, timeout_s=300)
        failure.story()
        load = surge(lab, users=(100, 1000), ramp_s=60)
        load.wait_until("scaled_out", fast_forward=True, step_s=30, timeout_s=300)
        load.story()
        control(url, "DELETE", "load")
        for task in tasks():
            run_check(task.id, lab)
        lab.teardown()
    finally:
        events.unregister("after-call.*.*", recorder)
        stop_spawned(proc)
    return recorder


def test_the_workflow_covers_the_lab_s_api_surface(recorded):
    services = {key.split(".")[0] for key in recorded.responses}
    assert {"ec2", "elbv2", "autoscaling", "cloudwatch", "rds", "s3", "cloudfront", "route53", "iam"} <= services
    assert len(recorded.responses) >= 100, sorted(recorded.responses)
    for op in ("ec2.DescribeInstances", "elbv2.DescribeTargetHealth", "autoscaling.DescribeAutoScalingGroups",
               "autoscaling.DescribePolicies", "cloudwatch.DescribeAlarms", "cloudwatch.GetMetricStatistics"):
        assert op in recorded.responses, f"{op} was not called: the workflow no longer covers it"


def test_every_response_carries_its_required_members_with_the_right_types(recorded):
    found = [v for v in recorded.violations() if not _allowed(v)]
    assert not found, "responses unlike botocore's output shapes:\n" + "\n".join(map(str, found))


def test_each_exception_to_the_model_is_still_seen(recorded):
    """An entry of MODEL_STRICTER_THAN_AWS that no response needs any more should go."""
    seen = recorded.violations()
    for op, path, start in MODEL_STRICTER_THAN_AWS:
        assert any(v.operation == op and v.path == path and v.problem.startswith(start) for v in seen), (op, path)


def _shapes() -> ShapeResolver:
    return ShapeResolver({
        "Out": {"type": "structure", "required": ["Id", "Items"],
                "members": {"Id": {"shape": "S"}, "Items": {"shape": "L"}, "Count": {"shape": "I"},
                            "Tags": {"shape": "M"}}},
        "L": {"type": "list", "member": {"shape": "Item"}},
        "Item": {"type": "structure", "required": ["State"], "members": {"State": {"shape": "E"}, "On": {"shape": "B"}}},
        "M": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "I"}},
        "E": {"type": "string", "enum": ["pending", "running"]},
        "S": {"type": "string"}, "I": {"type": "integer"}, "B": {"type": "boolean"},
    })


def test_the_checker_finds_what_it_is_for():
    out = _shapes().get_shape_by_name("Out")
    assert check_response("x.Op", out, {"Id": "a", "Items": [{"State": "running", "On": True}], "Count": 3}) == []
    problems = {(v.path, v.problem.split(",")[0]) for v in check_response("x.Op", out, {
        "Items": [{"On": "yes"}, {"State": "gone"}], "Count": True, "Tags": {"k": "1"}})}
    assert problems == {("Id", "missing (required)"), ("Items[].State", "missing (required)"),
                        ("Items[].On", "is str"), ("Items[].State", "'gone' is not one of the model's values (pending"),
                        ("Count", "is bool"), ("Tags{}", "is str")}

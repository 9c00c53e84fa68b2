"""The instance metadata service: IMDSv1 and IMDSv2 as the EC2 User Guide describes them (pure, no sockets).

https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-v2-how-it-works.html
"""
from __future__ import annotations

import pytest

from awslab.dataplane.imds import MetadataService, metadata_items

TTL = {"x-aws-ec2-metadata-token-ttl-seconds": "21600"}


def instance(tokens: str = "optional", endpoint: str = "enabled", iid: str = "i-0abc") -> dict:
    return {"InstanceId": iid, "ImageId": "ami-06e9e3574a0459db2", "InstanceType": "t3.micro",
            "PrivateIpAddress": "10.0.11.5", "PrivateDnsName": "ip-10-0-11-5.ap-northeast-2.compute.internal",
            "Placement": {"AvailabilityZone": "ap-northeast-2a"}, "SecurityGroups": [{"GroupName": "awslab-app-sg"}],
            "MetadataOptions": {"HttpTokens": tokens, "HttpEndpoint": endpoint, "HttpPutResponseHopLimit": 1}}


@pytest.fixture
def clock():
    now = [1_000.0]
    return now


@pytest.fixture
def imds(clock):
    return MetadataService(clock=lambda: clock[0])


def get(imds, inst, path, **headers):
    return imds.answer(inst, "GET", path, {k.replace("_", "-"): v for k, v in headers.items()})


def test_imdsv1_answers_a_plain_get_while_tokens_are_optional(imds):
    reply = get(imds, instance("optional"), "/latest/meta-data/instance-id")
    assert (reply.status, reply.body) == (200, "i-0abc")


def test_a_get_without_a_token_is_401_once_tokens_are_required(imds):
    assert get(imds, instance("required"), "/latest/meta-data/instance-id").status == 401


def test_a_session_token_from_put_opens_the_metadata(imds):
    inst = instance("required")
    token = imds.answer(inst, "PUT", "/latest/api/token", dict(TTL))
    assert token.status == 200 and len(token.body) >= 40
    reply = get(imds, inst, "/latest/meta-data/placement/availability-zone", x_aws_ec2_metadata_token=token.body)
    assert (reply.status, reply.body) == (200, "ap-northeast-2a")


@pytest.mark.parametrize("headers", [{}, {"x-aws-ec2-metadata-token-ttl-seconds": "0"},
                                     {"x-aws-ec2-metadata-token-ttl-seconds": "21601"},
                                     {"x-aws-ec2-metadata-token-ttl-seconds": "six hours"}])
def test_a_token_put_without_a_ttl_of_1_to_21600_seconds_is_400(imds, headers):
    assert imds.answer(instance(), "PUT", "/latest/api/token", headers).status == 400


def test_a_token_put_that_came_through_a_proxy_is_403(imds):
    """A PUT carrying X-Forwarded-For came through a reverse proxy, not from the instance itself."""
    assert imds.answer(instance(), "PUT", "/latest/api/token", {**TTL, "x-forwarded-for": "203.0.113.9"}).status == 403


def test_a_token_expires_after_its_ttl_on_the_clouds_clock(imds, clock):
    inst = instance("required")
    token = imds.answer(inst, "PUT", "/latest/api/token", {"x-aws-ec2-metadata-token-ttl-seconds": "60"}).body
    clock[0] += 59
    assert get(imds, inst, "/latest/meta-data/instance-id", x_aws_ec2_metadata_token=token).status == 200
    clock[0] += 2
    assert get(imds, inst, "/latest/meta-data/instance-id", x_aws_ec2_metadata_token=token).status == 401


def test_a_token_is_good_only_on_the_instance_that_asked_for_it(imds):
    token = imds.answer(instance(iid="i-0abc"), "PUT", "/latest/api/token", dict(TTL)).body
    other = instance("required", iid="i-0def")
    assert get(imds, other, "/latest/meta-data/instance-id", x_aws_ec2_metadata_token=token).status == 401


def test_a_turned_off_endpoint_answers_403(imds):
    assert get(imds, instance(endpoint="disabled"), "/latest/meta-data/instance-id").status == 403


def test_listings_unknown_paths_and_user_data(imds):
    inst = instance()
    top = get(imds, inst, "/latest/meta-data/").body.splitlines()
    assert "instance-id" in top and "placement/" in top and "public-ipv4" not in top
    assert get(imds, inst, "/latest/meta-data/placement").body.splitlines() == ["availability-zone", "region"]
    assert get(imds, inst, "/latest/meta-data/no-such-thing").status == 404
    assert get(imds, inst, "/latest/user-data").status == 404
    reply = imds.answer(inst, "GET", "/latest/user-data", {}, lambda: "#!/bin/bash\necho hi\n")
    assert (reply.status, reply.body) == (200, "#!/bin/bash\necho hi\n")
    assert imds.answer(inst, "GET", "/latest/api/token", dict(TTL)).status == 405


def test_metadata_items_name_the_instance_as_describe_instances_does():
    items = metadata_items({**instance(), "PublicIpAddress": "3.34.1.7"})
    assert items["placement/region"] == "ap-northeast-2" and items["public-ipv4"] == "3.34.1.7"
    assert items["security-groups"] == "awslab-app-sg"

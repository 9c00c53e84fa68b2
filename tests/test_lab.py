"""The Lab: one API over three backends, with real AWS behind an explicit opt-in."""
from __future__ import annotations

import pytest

from awslab import BackendError, Lab, ValidationError


def test_embedded_is_the_default_backend(cloud_url):
    lab = Lab(name="deflt", endpoint_url=cloud_url)
    assert lab.backend == "embedded" and lab.endpoint_url == cloud_url and lab.region == "ap-northeast-2"
    assert lab.client("sts").get_caller_identity()["Account"]


def test_endpoint_backend_talks_to_any_aws_compatible_url(cloud_url):
    lab = Lab(name="ep", backend="endpoint", endpoint_url=cloud_url)
    assert lab.client("ec2").describe_availability_zones()["AvailabilityZones"]


def test_endpoint_backend_without_url_says_how_to_fix(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(ValidationError) as e:
        Lab(backend="endpoint")
    assert e.value.field == "endpoint_url" and "4566" in str(e.value)


def test_real_aws_is_refused_without_explicit_opt_in(monkeypatch):
    monkeypatch.delenv("AWSLAB_ALLOW_REAL_AWS", raising=False)
    with pytest.raises(BackendError) as e:
        Lab(backend="aws")
    assert "allow_real_aws=True" in str(e.value) and "cost" in str(e.value)


def test_real_aws_opt_in_makes_a_lab_without_touching_aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    lab = Lab(backend="aws", allow_real_aws=True)
    assert lab.endpoint_url is None and lab.client("ec2").meta.endpoint_url.startswith("https://ec2.ap-northeast-2.amazonaws.com")


@pytest.mark.parametrize("kwargs,field", [({"backend": "gcp"}, "backend"), ({"name": "has space"}, "name"), ({"name": "x" * 29}, "name")])
def test_bad_lab_arguments_are_named(kwargs, field):
    with pytest.raises(ValidationError) as e:
        Lab(start_cloud=False, **kwargs)
    assert e.value.field == field


def test_cli_log_survives_a_new_lab_object(lab):
    from awslab.layers.network import build_network

    build_network(lab)
    again = Lab(name=lab.name, endpoint_url=lab.endpoint_url)
    assert "create-vpc" in again.cli_log().script()

"""moto's in-process mock (``mock_aws``) stands in for the real account; no request leaves the process."""
from __future__ import annotations

import pytest

ACCOUNT = "123456789012"  # the account moto's STS answers for


@pytest.fixture
def account(monkeypatch, tmp_path):
    """A mocked AWS account, the aws backend opted into, both lab regions allowed, and a fresh AWSLAB_HOME."""
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWSLAB_HOME": str(tmp_path),
                        "AWSLAB_ALLOW_REAL_AWS": "1", "AWSLAB_ALLOWED_ACCOUNTS": ACCOUNT,
                        "AWSLAB_ALLOWED_REGIONS": "ap-northeast-2,us-east-1"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWSLAB_BACKEND", "AWSLAB_EXPIRY_HOURS", "AWSLAB_REGION"):
        monkeypatch.delenv(name, raising=False)
    from awslab import sdk

    # moto hooks botocore sessions made while the mock is active: awslab's per-process session cache must not hand
    # the lab a session another test made before, or its requests would leave for the real AWS.
    monkeypatch.setattr(sdk, "_SESSIONS", {})
    # A real account has no simulator. If an earlier test in this worker routed awslab's moto patches to one (an
    # in-process cloud), they would hand this mock's instances to that stale simulator, and they would stay pending.
    import sys

    patched = sys.modules.get("awslab.cloud.moto_ext")
    if patched is not None:
        monkeypatch.setattr(patched, "SIM", None)
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        yield tmp_path


def vpcs(region: str = "ap-northeast-2") -> list[dict]:
    import boto3

    return [v for v in boto3.client("ec2", region_name=region).describe_vpcs()["Vpcs"] if not v.get("IsDefault")]

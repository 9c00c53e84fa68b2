"""ELBv2 part of the moto extension: turning on an ALB's access logs checks the bucket, as AWS does.

AWS: "When you enable access logs for your load balancer, you must specify the name of the S3 bucket where the
load balancer will store the logs. The bucket must have a bucket policy that grants Elastic Load Balancing
permission to write to the bucket." and "After access logs are enabled for your load balancer, Elastic Load
Balancing validates the S3 bucket and creates a test file to ensure that the bucket policy specifies the required
permissions", at ``bucket/prefix/AWSLogs/<account-id>/ELBAccessLogTestFile``
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
moto 5.2.5 turns logging on whatever the bucket and its policy say.

Patched: ``ELBv2Backend.modify_load_balancer_attributes``. With ``access_logs.s3.enabled=true`` it needs a bucket
name (ValidationError: "The value of 'access_logs.s3.bucket' cannot be empty"), the bucket in the load balancer's
region, and a policy that lets Elastic Load Balancing ``s3:PutObject`` under ``prefix/AWSLogs/<account>/``;
otherwise InvalidConfigurationRequest: "Access Denied for bucket: <bucket>. Please check S3bucket permission",
AWS's answer. Then it writes the test file. The principal is the one AWS documents for the region: the Elastic
Load Balancing account of a Region opened before August 2022 (:data:`ELB_ACCOUNTS`), else the log delivery
service, ``logdelivery.elasticloadbalancing.amazonaws.com`` (:mod:`awslab.dataplane.logdelivery` evaluates the policy).
"""
from __future__ import annotations

from typing import Any

from moto.elbv2.exceptions import ELBClientError as RESTError
from moto.elbv2.models import ELBv2Backend

from ...dataplane.logdelivery import TEST_FILE, log_delivery_allowed, log_prefix

__all__ = ["install"]

_ORIG: dict[str, Any] = {}


def _s3(backend: Any) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[backend.account_id][backend.partition]


def _check_bucket(backend: Any, arn: str, bucket_name: str, prefix: str) -> Any:
    """The bucket, if Elastic Load Balancing may deliver to it; otherwise AWS's error."""
    denied = RESTError("InvalidConfigurationRequest",
                       f"Access Denied for bucket: {bucket_name}. Please check S3bucket permission")
    try:
        bucket = _s3(backend).get_bucket(bucket_name)
    except Exception:  # moto's MissingBucket: AWS cannot tell a missing bucket from a forbidden one here
        raise denied from None
    if getattr(bucket, "region_name", backend.region_name) != backend.region_name:
        raise denied
    if not log_delivery_allowed(bucket.policy, bucket_name, prefix, backend.account_id, backend.region_name, arn):
        raise denied
    return bucket


def _modify_load_balancer_attributes(self: Any, arn: str, attrs: dict[str, Any]) -> dict[str, Any]:
    balancer = self.load_balancers.get(arn)
    if balancer is None or str(attrs.get("access_logs.s3.enabled", "")).lower() != "true":
        return _ORIG["modify"](self, arn, attrs)
    bucket = attrs.get("access_logs.s3.bucket", balancer.attrs.get("access_logs.s3.bucket")) or ""
    prefix = attrs.get("access_logs.s3.prefix", balancer.attrs.get("access_logs.s3.prefix")) or ""
    if not bucket:
        raise RESTError("ValidationError", "The value of 'access_logs.s3.bucket' cannot be empty")
    _check_bucket(self, arn, bucket, prefix)
    answer = _ORIG["modify"](self, arn, attrs)
    # "The test file is not an actual access log file; it doesn't contain example records." Its text is not
    # documented (UNCONFIRMED); this one names the load balancer.
    _s3(self).put_object(bucket, f"{log_prefix(prefix, self.account_id)}{TEST_FILE}", b"Enable AccessLog for ELB: "
                         + arn.split("loadbalancer/", 1)[-1].encode())
    return answer


def install() -> None:
    if _ORIG:
        return
    _ORIG["modify"] = ELBv2Backend.modify_load_balancer_attributes
    ELBv2Backend.modify_load_balancer_attributes = _modify_load_balancer_attributes

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
service, ``logdelivery.elasticloadbalancing.amazonaws.com``.
"""
from __future__ import annotations

import fnmatch
import json
from typing import Any

from moto.elbv2.exceptions import ELBClientError as RESTError
from moto.elbv2.models import ELBv2Backend

__all__ = ["install", "log_delivery_allowed", "ELB_ACCOUNTS", "LOG_DELIVERY_SERVICE", "TEST_FILE"]

#: The Elastic Load Balancing account of each Region available before August 2022 (the same page, step 2).
ELB_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "af-south-1": "098369216593", "ca-central-1": "985666609251",
    "eu-central-1": "054676820928", "eu-west-1": "156460612806", "eu-west-2": "652711504416",
    "eu-south-1": "635631232127", "eu-west-3": "009996457667", "eu-north-1": "897822967062",
    "ap-east-1": "754344448648", "ap-northeast-1": "582318560864", "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
    "ap-south-1": "718504428378", "me-south-1": "076674570225", "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584", "us-gov-east-1": "190560391635",
}
#: The principal of Regions opened since August 2022.
LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
TEST_FILE = "ELBAccessLogTestFile"

_ORIG: dict[str, Any] = {}


def _listed(value: Any) -> list:
    return [value] if isinstance(value, (str, dict)) else list(value or [])


def _principal_matches(principal: Any, region: str) -> bool:
    """Does a statement's Principal name Elastic Load Balancing's log delivery in ``region`` (or everyone)?"""
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    account = ELB_ACCOUNTS.get(region)
    aws = _listed(principal.get("AWS"))
    if "*" in aws:
        return True
    if account is not None:
        return any(p in (account, f"arn:aws:iam::{account}:root") for p in aws)
    return LOG_DELIVERY_SERVICE in _listed(principal.get("Service"))


def _conditions_hold(condition: dict | None, context: dict[str, str]) -> bool:
    """The condition operators a log delivery policy uses, on the keys the delivery request carries."""
    tests = {"StringEquals": lambda have, want: have == want, "ArnEquals": lambda have, want: have == want,
             "StringLike": fnmatch.fnmatchcase, "ArnLike": fnmatch.fnmatchcase}
    for operator, pairs in (condition or {}).items():
        test = tests.get(operator)
        if test is None or not isinstance(pairs, dict):
            return False  # an operator this model does not know: the statement does not apply
        for key, wanted in pairs.items():
            have = context.get(key.lower())
            if have is None or not any(test(have, str(w)) for w in _listed(wanted)):
                return False
    return True


def log_delivery_allowed(policy: str | bytes | None, bucket: str, prefix: str, account: str, region: str,
                         load_balancer_arn: str) -> bool:
    """Would the bucket policy let Elastic Load Balancing put a log file of ``account`` under ``prefix``? (Deny wins.)"""
    if not policy:
        return False
    try:
        statements = _listed(json.loads(policy).get("Statement"))
    except (ValueError, AttributeError):
        return False
    path = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    resource = f"arn:aws:s3:::{bucket}/{path}AWSLogs/{account}/{TEST_FILE}"
    context = {"aws:sourceaccount": account, "aws:sourcearn": load_balancer_arn,
               "s3:x-amz-acl": "bucket-owner-full-control"}
    allowed = False
    for s in statements:
        if not isinstance(s, dict):
            continue
        acts = any(fnmatch.fnmatchcase("s3:putobject", str(a).lower()) for a in _listed(s.get("Action")))
        on = any(fnmatch.fnmatchcase(resource, str(r)) for r in _listed(s.get("Resource")))
        if not (acts and on and _principal_matches(s.get("Principal"), region)
                and _conditions_hold(s.get("Condition"), context)):
            continue
        if s.get("Effect") == "Deny":
            return False
        allowed = allowed or s.get("Effect") == "Allow"
    return allowed


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
    path = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    # "The test file is not an actual access log file; it doesn't contain example records." Its text is not
    # documented (UNCONFIRMED); this one names the load balancer.
    _s3(self).put_object(bucket, f"{path}AWSLogs/{self.account_id}/{TEST_FILE}", b"Enable AccessLog for ELB: "
                         + arn.split("loadbalancer/", 1)[-1].encode())
    return answer


def install() -> None:
    if _ORIG:
        return
    _ORIG["modify"] = ELBv2Backend.modify_load_balancer_attributes
    ELBv2Backend.modify_load_balancer_attributes = _modify_load_balancer_attributes

"""Who may receive an ALB's access logs: the bucket policy AWS requires, evaluated as Elastic Load Balancing does.

AWS: "Your S3 bucket must have a bucket policy that grants Elastic Load Balancing permission to write the access
logs to the bucket." The principal depends on the Region: the Elastic Load Balancing account of a Region available
before August 2022 (:data:`ELB_ACCOUNTS`), otherwise the log delivery service, ``logdelivery.elasticloadbalancing.
amazonaws.com``; the resource is ``arn:aws:s3:::bucket/prefix/AWSLogs/<your account id>/*``
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).

:func:`log_delivery_allowed` is a pure function of the policy's JSON: the embedded cloud's ELB uses it before it turns
logging on (:mod:`awslab.cloud.moto_ext.access_logs`), and lab 11's check uses it to say what is missing.
"""
from __future__ import annotations

import fnmatch
import json
from typing import Any

__all__ = ["ELB_ACCOUNTS", "LOG_DELIVERY_SERVICE", "TEST_FILE", "log_delivery_allowed", "log_prefix"]

#: The Elastic Load Balancing account of each Region available before August 2022 (the page above, step 2).
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
    resource = f"arn:aws:s3:::{bucket}/{log_prefix(prefix, account)}{TEST_FILE}"
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


def log_prefix(prefix: str, account: str) -> str:
    """Where an ALB's files go in its bucket: ``prefix/AWSLogs/<account>/`` (no prefix: ``AWSLogs/<account>/``)."""
    path = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    return f"{path}AWSLogs/{account}/"

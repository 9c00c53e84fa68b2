"""Reading an S3 origin as CloudFront does: through an origin access control (OAC), or anonymously.

With an OAC, CloudFront signs each request to S3 as the service principal ``cloudfront.amazonaws.com``, and
S3 lets it in only if the **bucket policy** allows that principal, with the condition ``AWS:SourceArn`` equal
to the distribution's ARN
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html).
Without an OAC (and without a legacy OAI) the request is anonymous: only a public bucket policy (``"Principal":
"*"``) lets it in. Either way, an explicit ``Deny`` wins.

S3's answer then passes through CloudFront unchanged, errors included: ``403 AccessDenied`` (S3's XML) when
the policy does not allow ``s3:GetObject``; for a key that does not exist, ``404 NoSuchKey`` only if the
caller may also ``s3:ListBucket``, else ``403 AccessDenied`` - S3 does not tell a caller who may not list the
bucket whether a key exists (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions").

The policy is evaluated here, from ``GetBucketPolicy``, because moto serves S3's API without enforcing bucket
policies on its callers; the objects are read with ``GetObject``. Only what an OAC policy uses is understood:
``Principal`` (``Service``/``AWS``/``*``), ``Action`` and ``Resource`` with ``*``/``?`` wildcards, and the
condition operators ``StringEquals``, ``StringLike``, ``ArnEquals``, ``ArnLike`` on ``AWS:SourceArn`` /
``aws:SourceArn``. A statement with anything else (``NotPrincipal``, another condition) does not match.
"""
from __future__ import annotations

import fnmatch
import json
import secrets
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["OriginReply", "Caller", "allowed", "read_object", "s3_error", "CLOUDFRONT_SERVICE"]

CLOUDFRONT_SERVICE = "cloudfront.amazonaws.com"
#: The headers of S3's answer that CloudFront passes to the viewer.
_KEPT = ("content-type", "etag", "last-modified", "cache-control", "expires", "content-encoding", "content-language",
         "content-disposition")
_CONDITIONS = {"stringequals": lambda v, want: v == want, "arnequals": lambda v, want: v == want,
               "stringlike": fnmatch.fnmatchcase, "arnlike": fnmatch.fnmatchcase}


@dataclass(frozen=True)
class Caller:
    """Who asks S3: CloudFront on behalf of a distribution (``oac``: it signs) or nobody in particular."""

    distribution_arn: str
    oac: bool


@dataclass
class OriginReply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, caller: Caller) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if "*" in _as_list(principal.get("AWS", [])):
        return True
    return caller.oac and CLOUDFRONT_SERVICE in _as_list(principal.get("Service", []))


def _conditions_hold(condition: Any, caller: Caller) -> bool:
    if not condition:
        return True
    if not isinstance(condition, dict):
        return False
    for op, pairs in condition.items():
        test = _CONDITIONS.get(str(op).lower())
        if test is None or not isinstance(pairs, dict):
            return False
        for key, wanted in pairs.items():
            if str(key).lower() != "aws:sourcearn" or not caller.oac:
                return False
            if not any(test(caller.distribution_arn, str(w)) for w in _as_list(wanted)):
                return False
    return True


def _statement_matches(st: dict, caller: Caller, action: str, resource: str) -> bool:
    if "NotPrincipal" in st or "NotAction" in st or "NotResource" in st:
        return False
    return (_principal_matches(st.get("Principal"), caller)
            and any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in _as_list(st.get("Action", [])))
            and any(fnmatch.fnmatchcase(resource, str(r)) for r in _as_list(st.get("Resource", [])))
            and _conditions_hold(st.get("Condition"), caller))


def allowed(policy: dict | None, caller: Caller, action: str, resource: str) -> bool:
    """Does the bucket policy allow ``caller`` to do ``action`` on ``resource``? (An explicit Deny wins.)"""
    statements = [s for s in _as_list((policy or {}).get("Statement", [])) if isinstance(s, dict)]
    matching = [s for s in statements if _statement_matches(s, caller, action, resource)]
    if any(s.get("Effect") == "Deny" for s in matching):
        return False
    return any(s.get("Effect") == "Allow" for s in matching)


def s3_error(status: int, code: str, message: str, key: str | None = None) -> OriginReply:
    """S3's error document, as S3 sends it (``Server: AmazonS3``)."""
    extra = f"<Key>{escape(key)}</Key>" if key is not None else ""
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{extra}"
            f"<RequestId>{secrets.token_hex(8).upper()}</RequestId>"
            f"<HostId>{secrets.token_urlsafe(48)}</HostId></Error>")
    return OriginReply(status, [("Content-Type", "application/xml"), ("Server", "AmazonS3")], body.encode())


def _policy(s3: Any, bucket: str) -> dict | None:
    try:
        return json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except s3.exceptions.ClientError:
        return None
    except ValueError:
        return None


def read_object(s3: Any, bucket: str, key: str, caller: Caller) -> OriginReply:
    """GetObject as ``caller``: S3's answer, or the AccessDenied / NoSuchKey S3 would give it.

    Blocking (boto3): the edge runs it in a thread."""
    policy = _policy(s3, bucket)
    if not allowed(policy, caller, "s3:GetObject", f"arn:aws:s3:::{bucket}/{key}"):
        return s3_error(403, "AccessDenied", "Access Denied")
    try:
        got = s3.get_object(Bucket=bucket, Key=key)
    except s3.exceptions.NoSuchKey:
        if allowed(policy, caller, "s3:ListBucket", f"arn:aws:s3:::{bucket}"):
            return s3_error(404, "NoSuchKey", "The specified key does not exist.", key)
        return s3_error(403, "AccessDenied", "Access Denied")
    except s3.exceptions.NoSuchBucket:
        return s3_error(404, "NoSuchBucket", "The specified bucket does not exist")
    body = got["Body"].read()
    raw = got["ResponseMetadata"].get("HTTPHeaders", {})
    headers = [(k.title().replace("Etag", "ETag"), v) for k, v in raw.items() if k.lower() in _KEPT]
    return OriginReply(200, headers + [("Server", "AmazonS3")], body)

"""Checking a request's Signature Version 4, as AWS does, with botocore's own signer.

In class mode (:mod:`awslab.cloud.access_keys`) the embedded cloud answers only
requests signed with its owner's access key. AWS's rule (the SigV4 pages of the
IAM User Guide, "Create a signed AWS API request"): the client builds a
*canonical request* from the method, path, query, the headers it names in
``SignedHeaders`` and the payload's SHA-256, then signs a string made of that
request's hash, the time and the credential scope (date/region/service) with a
key derived from its secret. The service rebuilds the same canonical request from
what arrived and compares signatures. Here botocore's ``SigV4Auth`` (or
``S3SigV4Auth``, which does not re-encode the path) rebuilds and signs it, so the
cloud's arithmetic is exactly the SDK's.

Both forms are checked: the ``Authorization`` header, and the query string of a
presigned URL (``X-Amz-Signature``, with ``X-Amz-Expires``). What the cloud does
*not* check: the 15-minute clock skew AWS allows (a neighbour cannot capture a
request on loopback without root, so a replay is not the threat here).

The refusals are AWS's own codes for each API: S3 ``InvalidAccessKeyId`` /
``SignatureDoesNotMatch`` / ``AccessDenied``; EC2 ``AuthFailure``; the others
``InvalidClientTokenId`` / ``SignatureDoesNotMatch`` / ``MissingAuthenticationToken``;
all 403 (EC2's ``AuthFailure`` 401), each with awslab's hint of what to do.
"""
from __future__ import annotations

import hmac
import re
import time
from calendar import timegm
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from ...i18n import N_, _
from .errors import AwsError

__all__ = ["Signed", "signed_parts", "verify"]

ALGORITHM = "AWS4-HMAC-SHA256"
_HEADER = re.compile(r"AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)")

FIX = N_("This embedded cloud belongs to one student and accepts requests signed with their access key only. awslab "
         "keeps yours in $AWSLAB_HOME/aws/credentials (AWS_SHARED_CREDENTIALS_FILE); send your requests to your own "
         "cloud, the one in your AWS_ENDPOINT_URL.")
UNSIGNED = N_("Request is missing Authentication Token. {fix}")
S3_UNSIGNED = N_("Access Denied: the request is not signed. {fix}")
UNKNOWN_KEY = N_("The security token included in the request is invalid. {fix}")
S3_UNKNOWN_KEY = N_("The AWS Access Key Id you provided does not exist in our records. {fix}")
EC2_REFUSED = N_("AWS was not able to validate the provided access credentials. {fix}")
BAD_SIGNATURE = N_("The request signature we calculated does not match the signature you provided. Check your AWS "
                   "Secret Access Key and signing method. {fix}")
EXPIRED = N_("Request has expired: this presigned URL's time is over. Presign it again.")


@dataclass(frozen=True)
class Signed:
    """What a request says about its signature: key id, scope, signed headers, signature; ``presigned`` for a URL."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: str
    presigned: bool = False
    expires: int | None = None
    #: 4, or 2 for S3's legacy presigned URLs (``AWSAccessKeyId``/``Signature``/``Expires``; boto3's default for
    #: ``generate_presigned_url`` on S3 in us-east-1). For version 2, ``expires`` is the epoch second it ends.
    version: int = 4


def signed_parts(environ: dict) -> Signed | None:
    """Probe: the request's SigV4 signature (header or presigned query), or None if it carries none."""
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    if query.get("X-Amz-Algorithm") == ALGORITHM:
        credential, headers, signature = (query.get(k, "") for k in ("X-Amz-Credential", "X-Amz-SignedHeaders",
                                                                       "X-Amz-Signature"))
        expires = query.get("X-Amz-Expires", "")
        return _parts(credential, headers, signature, query.get("X-Amz-Date", ""), True,
                      int(expires) if expires.isdigit() else None)
    if {"AWSAccessKeyId", "Signature", "Expires"} <= query.keys() and query["Expires"].isdigit():
        return Signed(query["AWSAccessKeyId"], "", "", "s3", (), query["Signature"], "", True,
                      int(query["Expires"]), version=2)
    match = _HEADER.match(environ.get("HTTP_AUTHORIZATION", "").strip())
    if match is None:
        return None
    return _parts(*match.groups(), environ.get("HTTP_X_AMZ_DATE", ""), False, None)


def _parts(credential: str, headers: str, signature: str, timestamp: str, presigned: bool,
           expires: int | None) -> Signed | None:
    scope = credential.split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not signature or not re.fullmatch(r"\d{8}T\d{6}Z", timestamp):
        return None
    return Signed(scope[0], scope[1], scope[2], scope[3], tuple(headers.lower().split(";")), signature, timestamp,
                  presigned, expires)


def verify(environ: dict, body: bytes, protocol: str, service: str, key: Any) -> AwsError | None:
    """Probe: why this request must be refused (AWS's error), or None when ``key`` signed it.

    ``key`` is an :class:`~awslab.cloud.access_keys.AccessKey`; ``service`` the API's name ("s3", "ec2", ...).
    """
    signed = signed_parts(environ)
    if signed is None:
        return _refusal(service, protocol, "unsigned")
    if not hmac.compare_digest(signed.access_key_id.encode(), key.access_key_id.encode()):
        return _refusal(service, protocol, "unknown")
    if signed.presigned and signed.expires is not None and _expired(signed):
        return AwsError("AccessDenied", _(EXPIRED), 403)
    expected = _signature(environ, body, signed, key)
    if not hmac.compare_digest(expected.encode(), signed.signature.encode()):
        return _refusal(service, protocol, "signature")
    return None


def _expired(signed: Signed) -> bool:
    if signed.version == 2:
        return time.time() > signed.expires
    signed_at = timegm(time.strptime(signed.timestamp, "%Y%m%dT%H%M%SZ"))
    return time.time() > signed_at + signed.expires


def _refusal(service: str, protocol: str, why: str) -> AwsError:
    fix = _(FIX)
    if service == "s3":
        code, message = {"unsigned": ("AccessDenied", S3_UNSIGNED), "unknown": ("InvalidAccessKeyId", S3_UNKNOWN_KEY),
                         "signature": ("SignatureDoesNotMatch", BAD_SIGNATURE)}[why]
        return AwsError(code, _(message).format(fix=fix), 403)
    if protocol == "ec2" and why != "unsigned":
        return AwsError("AuthFailure", _(EC2_REFUSED).format(fix=fix), 401)
    code, message = {"unsigned": ("MissingAuthenticationToken", UNSIGNED),
                     "unknown": ("InvalidClientTokenId", UNKNOWN_KEY),
                     "signature": ("SignatureDoesNotMatch", BAD_SIGNATURE)}[why]
    return AwsError(code, _(message).format(fix=fix), 403)


def _signature(environ: dict, body: bytes, signed: Signed, key: Any) -> str:
    """The signature botocore computes for this request as it arrived, with ``key``'s secret."""
    from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    credentials = Credentials(key.access_key_id, key.secret_access_key)
    if signed.version == 2:
        return _signature_v2(environ, signed, credentials)
    if signed.presigned:
        signer_class = S3SigV4QueryAuth if signed.service == "s3" else SigV4QueryAuth
        signer = signer_class(credentials, signed.service, signed.region, expires=signed.expires or 3600)
    else:
        signer = (S3SigV4Auth if signed.service == "s3" else SigV4Auth)(credentials, signed.service, signed.region)
    request = AWSRequest(method=environ.get("REQUEST_METHOD", "GET").upper(), url=_url(environ, signed),
                         headers=_signed_headers(environ, signed), data=body)
    request.context["timestamp"] = signed.timestamp
    canonical = signer.canonical_request(request)
    return signer.signature(signer.string_to_sign(request, canonical), request)


def _signature_v2(environ: dict, signed: Signed, credentials: Any) -> str:
    """S3's Signature Version 2 of a presigned URL: botocore's ``HmacV1QueryAuth`` with the URL's own Expires."""
    from botocore.auth import HmacV1QueryAuth
    from botocore.awsrequest import HTTPHeaders

    class _Expiring(HmacV1QueryAuth):
        def _get_date(self) -> str:
            return str(signed.expires)

    headers = HTTPHeaders()
    for name, variable in (("Content-MD5", "HTTP_CONTENT_MD5"), ("Content-Type", "CONTENT_TYPE")):
        if environ.get(variable):
            headers[name] = environ[variable]
    for variable, value in environ.items():
        if variable.startswith("HTTP_X_AMZ_"):
            headers[variable[5:].replace("_", "-").lower()] = value
    split = urlsplit(_url(environ, signed))
    return _Expiring(credentials).get_signature(environ.get("REQUEST_METHOD", "GET").upper(), split, headers)


def _url(environ: dict, signed: Signed) -> str:
    """The URL as the client signed it: the raw path (as sent, still percent-encoded) and the query.

    A presigned URL's query loses its ``X-Amz-Signature``: the signature is not part of what it signs.
    """
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    path = raw.split("?", 1)[0] if raw.startswith("/") else quote(environ.get("PATH_INFO", "/"), safe="/~")
    query = environ.get("QUERY_STRING", "")
    if signed.presigned:
        query = "&".join(p for p in query.split("&") if not p.startswith("X-Amz-Signature="))
    return "http://{host}{path}{query}".format(host=environ.get("HTTP_HOST", ""), path=path,
                                               query="?" + query if query else "")


def _signed_headers(environ: dict, signed: Signed) -> dict[str, str]:
    """The headers the client named in SignedHeaders, with the values that arrived (WSGI keeps them in ``environ``)."""
    special = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}
    headers = {}
    for name in signed.signed_headers:
        value = environ.get(special.get(name) or "HTTP_" + name.upper().replace("-", "_"))
        if value is not None:
            headers[name] = value
    return headers

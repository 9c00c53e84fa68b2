"""Malformed requests for every API the embedded cloud serves and every control route (hypothesis strategies).

Shared by ``tests/cloud/test_cloud_fuzz.py`` (bounded, in the suite) and ``bench/bench_robustness.py``
(which counts them per service for docs/benchmarks.md). Each strategy draws a :class:`Probe`: one raw
HTTP request, built the way a clumsy or hostile client would build it:

- query APIs (EC2, ELBv2, Auto Scaling, CloudWatch, RDS, IAM, STS): garbage form bodies, unknown or
  missing actions, and real operations moto implements with values of the wrong type (``MaxResults=abc``)
  or random text;
- JSON APIs (CloudWatch Logs, the tagging API, CloudWatch over JSON): unknown targets, bodies that are
  not JSON, not an object, deeply nested, or objects whose members have the wrong types;
- REST APIs (S3, Route 53, CloudFront): the operations' own paths with broken XML and random parameters;
- the control API: every route, with bodies that are not JSON, not objects, or objects of random fields.
"""
from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote, urlencode

from hypothesis import strategies as st

REGION = "ap-northeast-2"

#: API -> (SigV4 signing name, moto's responses class that implements its actions).
QUERY_APIS = {
    "ec2": ("ec2", "moto.ec2.responses:EC2Response"),
    "elbv2": ("elasticloadbalancing", "moto.elbv2.responses:ELBV2Response"),
    "autoscaling": ("autoscaling", "moto.autoscaling.responses:AutoScalingResponse"),
    "cloudwatch": ("monitoring", "moto.cloudwatch.responses:CloudWatchResponse"),
    "rds": ("rds", "moto.rds.responses:RDSResponse"),
    "iam": ("iam", "moto.iam.responses:IamResponse"),
    "sts": ("sts", "moto.sts.responses:TokenResponse"),
}
JSON_APIS = {
    "logs": ("logs", "moto.logs.responses:LogsResponse", "application/x-amz-json-1.1"),
    "resourcegroupstaggingapi": ("tagging", "moto.resourcegroupstaggingapi.responses:ResourceGroupsTaggingAPIResponse",
                                 "application/x-amz-json-1.1"),
    "cloudwatch-json": ("monitoring", "moto.cloudwatch.responses:CloudWatchResponse", "application/x-amz-json-1.0"),
}
REST_APIS = {"s3": "s3", "route53": "route53", "cloudfront": "cloudfront"}
SERVICES = [*QUERY_APIS, *JSON_APIS, *REST_APIS]


@dataclass(frozen=True)
class Probe:
    """One raw request: which API (or ``control``) it is aimed at, and the bytes of it."""

    api: str
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: bytes = b""

    def send(self, port: int, timeout: float = 30.0, extra: dict | None = None) -> tuple[int, str, bytes]:
        """Send it (with the ``extra`` headers, e.g. the control API's token); return (status, content type, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request(self.method, self.path, body=self.body, headers={**self.headers, **(extra or {})})
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type", ""), resp.read()
        finally:
            conn.close()


def auth(signing_name: str) -> dict:
    scope = f"test/20260101/{REGION}/{signing_name}/aws4_request"
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"}


@lru_cache(maxsize=None)
def model(name: str):
    from moto.core.utils import get_service_model

    return get_service_model(name)


@lru_cache(maxsize=None)
def implemented(api: str) -> tuple[str, ...]:
    """The operations of ``api`` that moto implements (its responses class has a method for them)."""
    import importlib

    from botocore import xform_name

    spec = {**{k: v[1] for k, v in QUERY_APIS.items()}, **{k: v[1] for k, v in JSON_APIS.items()}}[api]
    module, cls = spec.split(":")
    methods = set(dir(getattr(importlib.import_module(module), cls)))
    name = "cloudwatch" if api == "cloudwatch-json" else api
    return tuple(op for op in model(name).operation_names if xform_name(op) in methods)


# -- values of the wrong type -----------------------------------------------------------------------------------
_TEXT = st.text(max_size=16)
#: Header values travel as Latin-1 on the wire.
_HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=16)
_NOT_INTEGERS = st.one_of(_TEXT, st.sampled_from(["abc", "1.5", "", "1e3", "99999999999999999999", "-99999999999999",
                                                  "0x10", " 5", "NaN", "１２"]))
_NOT_NUMBERS = st.one_of(_TEXT, st.sampled_from(["abc", "NaN", "inf", "-Infinity", "1e999", "", "1,5"]))
_BAD_BY_TYPE = {"integer": _NOT_INTEGERS, "long": _NOT_INTEGERS, "float": _NOT_NUMBERS, "double": _NOT_NUMBERS,
                "boolean": _TEXT, "timestamp": _TEXT, "blob": st.sampled_from(["%%%", "not base64!", "a"])}


def _query_name(api: str, member_name: str, member) -> str:
    if api == "ec2":
        name = member.serialization.get("queryName") or member.serialization.get("name") or member_name
        return name[0].upper() + name[1:]
    return member.serialization.get("name", member_name)


@st.composite
def _query_operation(draw, api: str) -> dict:
    """A real operation with some of its top-level members set to values of the wrong type or random text."""
    operation = draw(st.sampled_from(implemented(api)))
    params = {"Action": operation, "Version": model(api).api_version}
    shape = model(api).operation_model(operation).input_shape
    members = list(shape.members.items()) if shape is not None else []
    chosen = draw(st.lists(st.sampled_from(members), max_size=4, unique_by=lambda m: m[0])) if members else []
    for member_name, member in chosen:
        key = _query_name(api, member_name, member)
        if member.type_name in ("list", "structure", "map"):
            key = draw(st.sampled_from([key, f"{key}.1", f"{key}.member.1", f"{key}.{draw(_TEXT)}"]))
        params[key] = draw(_BAD_BY_TYPE.get(member.type_name, _TEXT))
    return params


@st.composite
def query_probe(draw, api: str) -> Probe:
    signing, _ = QUERY_APIS[api]
    headers = {**auth(signing), "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    version = model(api).api_version
    kind = draw(st.sampled_from(["operation", "operation", "operation", "garbage", "action", "no-action"]))
    if kind == "garbage":
        body = draw(st.binary(max_size=200))
    elif kind == "action":
        body = urlencode({"Action": draw(_TEXT), "Version": version}).encode()
    elif kind == "no-action":
        body = urlencode(draw(st.dictionaries(_TEXT, _TEXT, max_size=4))).encode()
    else:
        body = urlencode(draw(_query_operation(api))).encode()
    return Probe(api, "POST", "/", headers, body)


_JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False), _TEXT)
_JSON = st.recursive(_JSON_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(_TEXT, inner, max_size=3)), max_leaves=8)


@st.composite
def _json_operation_body(draw, api: str, operation: str) -> bytes:
    name = "cloudwatch" if api == "cloudwatch-json" else api
    shape = model(name).operation_model(operation).input_shape
    members = list(shape.members) if shape is not None else []
    keys = st.sampled_from(members) if members else _TEXT
    return json.dumps(draw(st.dictionaries(keys, _JSON, max_size=4))).encode()


@st.composite
def json_probe(draw, api: str) -> Probe:
    signing, _, content_type = JSON_APIS[api]
    name = "cloudwatch" if api == "cloudwatch-json" else api
    prefix = model(name).metadata["targetPrefix"]
    operation = draw(st.sampled_from(implemented(api)))
    kind = draw(st.sampled_from(["members", "members", "members", "json", "not-json", "deep", "target"]))
    target = f"{prefix}.{operation}"
    if kind == "members":
        body = draw(_json_operation_body(api, operation))
    elif kind == "json":
        body = json.dumps(draw(_JSON)).encode()
    elif kind == "not-json":
        body = draw(st.binary(max_size=200))
    elif kind == "deep":
        depth = draw(st.integers(50, 5000))
        arrays, objects = "[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth
        body = draw(st.sampled_from([arrays, objects])).encode()
    else:
        wrong = [draw(_HEADER_TEXT), f"{prefix}.{draw(_HEADER_TEXT)}", f"Other.{operation}", ""]
        target, body = draw(st.sampled_from(wrong)), b"{}"
    return Probe(api, "POST", "/", {**auth(signing), "Content-Type": content_type, "X-Amz-Target": target}, body)


def _rest_path(uri: str, draw) -> str:
    """An operation's request URI with its ``{labels}`` filled with random text."""
    import re

    path = re.sub(r"\{[^}]+\}", lambda m: quote(draw(st.text(min_size=1, max_size=10)), safe=""), uri)
    return path if path.startswith("/") else "/" + path


_BROKEN_XML = [b"<", b"<a>", b"<a><b></a>", b"<?xml version='1.0'?>", b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
               b"\xff\xfe<x/>"]
_XML = st.one_of(st.binary(max_size=200), st.sampled_from(_BROKEN_XML),
                 st.text(max_size=60).map(lambda t: f"<Root>{t}</Root>".encode()))


@st.composite
def rest_probe(draw, api: str) -> Probe:
    operation = model(api).operation_model(draw(st.sampled_from(model(api).operation_names)))
    method, uri = operation.http["method"], operation.http["requestUri"]
    path = _rest_path(uri.split("?")[0], draw)
    names = ["max-items", "maxitems", "MaxItems", "Marker", "tagging", "delete", "uploadId", "partNumber", "versionId",
             "list-type"]
    query = draw(st.dictionaries(st.sampled_from(names), _TEXT, max_size=2))
    if query:
        path += "?" + urlencode(query)
    headers = {**auth(REST_APIS[api]), "Content-Type": "application/xml"}
    return Probe(api, method, path, headers, draw(_XML) if method in ("POST", "PUT") else b"")


def service_probe(api: str):
    """The strategy of malformed requests for one API of :data:`SERVICES`."""
    if api in QUERY_APIS:
        return query_probe(api)
    if api in JSON_APIS:
        return json_probe(api)
    return rest_probe(api)


@st.composite
def control_probe(draw, routes: list[str], fields: list[str]) -> Probe:
    """A request to one of ``routes`` ("METHOD /_awslab/path") with a malformed or random body and query."""
    method, path = draw(st.sampled_from(routes)).split(" ", 1)
    kind = draw(st.sampled_from(["object", "object", "object", "json", "not-json", "empty"]))
    if kind == "object":
        keys = st.one_of(st.sampled_from(fields), _TEXT)
        body = json.dumps(draw(st.dictionaries(keys, _JSON, max_size=4))).encode()
    elif kind == "json":
        body = json.dumps(draw(_JSON)).encode()
    elif kind == "not-json":
        body = draw(st.binary(max_size=100))
    else:
        body = b""
    if path.endswith("/clock/advance") and kind == "object":
        # A long advance is a valid request whose cost is the advance itself (bench_advance measures it):
        # the fuzz keeps any it sends short.
        body = json.dumps({k: v for k, v in json.loads(body).items() if k != "seconds"} | {"seconds": 60}).encode()
    query = draw(st.dictionaries(st.one_of(st.sampled_from(fields), _TEXT), _TEXT, max_size=2))
    if "seconds" in query:
        query["seconds"] = draw(st.sampled_from(["abc", "-1", "", "60", "NaN"]))
    target = path + ("?" + urlencode(query) if query else "")
    return Probe("control", method, target, {"Content-Type": "application/json"}, body)


#: Field names the control routes declare, so random bodies often hit a real field with a wrong value.
CONTROL_FIELDS = ["instance_id", "kind", "percent", "delay_ms", "mode", "speed", "paused", "seconds", "since", "limit",
                  "component", "resource", "shape", "rps", "before", "after", "at_s", "duration_s", "base", "peak",
                  "start", "end", "over_s", "ramp_s", "think_time_s", "response_time_s", "target_group_arn"]

"""What AWS checks before it acts: a known action, and parameters of the right types.

AWS's front end refuses a request whose action it doesn't know (``InvalidAction``;
``UnknownOperationException`` for JSON APIs), whose parameters are not of their
modelled type (``MaxResults=abc``: ``InvalidParameterValue`` on EC2,
``ValidationError`` on ELBv2 and Auto Scaling), or whose JSON body is not a JSON
object of the right shape (``SerializationException``). moto assumes well-formed
input and crashes on the rest, so the cloud checks first, outside the state lock,
with moto's own parsers: whatever passes here, moto parses the same way.

Only query (``ec2``, ``query``) and ``json`` requests are checked; REST APIs (S3,
Route 53, CloudFront) are routed by moto, and their malformed bodies are answered
from moto's failure (:mod:`.front`).
"""
from __future__ import annotations

import json
import math
from typing import Any

from . import errors
from .request import AwsRequest

__all__ = ["check", "ParameterValueError", "INT_RANGE"]

#: botocore's integer types and the range AWS deserializes them into (Java int and long).
INT_RANGE = {"integer": (-2**31, 2**31 - 1), "long": (-2**63, 2**63 - 1)}
#: (service, operation) whose own code (moto's, as AWS's) refuses a NaN with AWS's words, so the check lets it through:
#: "The value NaN for parameter MetricData.member.1.Value is invalid." (PutMetricData, moto 5.2.5's
#: ``validate_put_metric_data``; AWS: "special values (for example, NaN, +Infinity, -Infinity) are not supported",
#: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html).
MOTO_REFUSES_NAN = frozenset({("cloudwatch", "PutMetricData")})
#: (service, action, list) that the query protocols cannot tell empty from absent (botocore sends nothing for
#: ``InstanceIds=[]``), and that the service's own code refuses with its own error, which moto gives too:
#: TerminateInstances without instances is ``InvalidParameterCombination: No instances specified`` on AWS (as
#: returned to https://github.com/gruntwork-io/cloud-nuke/issues/731), not MissingParameter.
MOTO_REFUSES_EMPTY_LIST = frozenset({("ec2", "TerminateInstances", "InstanceIds")})
#: Deeper JSON than this is refused before it is walked (no AWS input model nests this deep).
MAX_JSON_DEPTH = 64


class ParameterValueError(ValueError):
    """A parameter whose value is not of its modelled type (``name`` as the client sent it)."""

    def __init__(self, name: str, value: Any, type_name: str):
        super().__init__(f"{name}={value!r} is not a valid {type_name}")
        self.name, self.value, self.type_name = name, value, type_name


def check(req: AwsRequest) -> errors.AwsError | None:
    """The error AWS would answer ``req`` with before acting on it, or None when it may go on."""
    if req.service is None:
        return None
    if req.protocol in ("ec2", "query"):
        return _check_query(req)
    if req.protocol == "json":
        return _check_json(req)
    return None


def _check_query(req: AwsRequest) -> errors.AwsError | None:
    if not req.action:
        return errors.missing_action(req)
    if req.action not in req.service.operation_names:
        return errors.invalid_action(req)
    operation = req.service.operation_model(req.action)
    try:
        parsed = _query_parser(req.protocol)(operation).parse(
            {"values": req.values, "headers": {}, "body": b"", "method": "POST", "url_path": "/", "url_params": {}})
    except ParameterValueError as e:
        return errors.invalid_parameter(req, e.name, e.value, e.type_name)
    missing = _missing_member(operation.input_shape, parsed, "") if operation.input_shape is not None else None
    if missing and (req.service_name, req.action, missing) in MOTO_REFUSES_EMPTY_LIST:
        return None
    return errors.missing_parameter(req, missing) if missing else None


def _missing_member(shape: Any, value: Any, path: str) -> str | None:
    """The first required member absent from ``value`` (parsed input, by member name), as a path; or None.

    AWS refuses a request without a member its model requires (botocore checks the same before sending).
    """
    if shape.type_name == "structure" and isinstance(value, dict):
        for name in shape.required_members:
            if value.get(name) is None:
                return f"{path}.{name}" if path else name
        items = [(shape.members[name], item, f"{path}.{name}" if path else name)
                 for name, item in value.items() if name in shape.members]
    elif shape.type_name == "list" and isinstance(value, list):
        items = [(shape.member, item, f"{path}[{i}]") for i, item in enumerate(value)]
    elif shape.type_name == "map" and isinstance(value, dict):
        items = [(shape.value, item, f"{path}.{key}") for key, item in value.items()]
    else:
        return None
    for member, item, where in items:
        found = _missing_member(member, item, where)
        if found:
            return found
    return None


_PARSERS: dict[str, type] = {}


def _query_parser(protocol: str) -> type:
    """moto's parser for ``protocol``, made to say which parameter it could not read."""
    if protocol not in _PARSERS:
        from moto.core.parse import PROTOCOL_PARSERS

        _PARSERS[protocol] = type(f"Checking{PROTOCOL_PARSERS[protocol].__name__}",
                                  (_NamingQueryParser, PROTOCOL_PARSERS[protocol]), {})
    return _PARSERS[protocol]


class _NamingQueryParser:
    """Mixin over moto's query parsers: a value it can't convert becomes a :class:`ParameterValueError`."""

    def _parse_shape(self, shape: Any, node: Any, prefix: str = "") -> Any:
        try:
            value = super()._parse_shape(shape, node, prefix)  # type: ignore[misc]
        except ParameterValueError:
            raise
        except Exception as e:  # noqa: BLE001 - int("abc"), float("x"), bad base64, a timestamp botocore can't place
            raise ParameterValueError(prefix, node.get(prefix, ""), shape.type_name) from e
        if _out_of_range(shape.type_name, value):
            raise ParameterValueError(prefix, node.get(prefix, ""), shape.type_name)
        return value


def _out_of_range(type_name: str, value: Any) -> bool:
    if type_name in INT_RANGE and isinstance(value, int):
        low, high = INT_RANGE[type_name]
        return not low <= value <= high
    # NaN and infinities: AWS takes none (CloudWatch: "special values (for example, NaN, +Infinity,
    # -Infinity) are not supported",
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html)
    return type_name in ("float", "double") and isinstance(value, float) and not math.isfinite(value)


def _check_json(req: AwsRequest) -> errors.AwsError | None:
    prefix, _, operation = req.target.rpartition(".")
    if prefix != req.service.metadata.get("targetPrefix") or operation not in req.service.operation_names:
        return errors.unknown_operation(req)
    if not req.body.strip():
        return None  # moto reads an empty body as {}, as botocore never sends one
    try:
        document = json.loads(req.body)
    except RecursionError:
        return errors.serialization(req, "The request body nests too deeply to read. Send a JSON object such as {}.")
    except ValueError as e:
        text = "The request body is not valid JSON ({reason}). Send a JSON object such as {{}}."
        return errors.serialization(req, text.format(reason=e))
    if not isinstance(document, dict):
        text = "The request body must be a JSON object, not {found}. Send a JSON object such as {{}}."
        return errors.serialization(req, text.format(found=errors.json_token(document)))
    shape = req.service.operation_model(operation).input_shape
    nan_ok = (req.service_name, operation) in MOTO_REFUSES_NAN
    mismatch = _json_mismatch(shape, document, "", 0, nan_ok) if shape is not None else None
    if mismatch is not None:
        path, value, kind = mismatch
        if kind in ("float", "double") and _special_float(value) is not None:
            return errors.non_finite_number(req, path, value)
        return errors.invalid_parameter(req, path, value, kind)
    missing = _missing_member(shape, _by_member_name(shape, document), "") if shape is not None else None
    return errors.missing_parameter(req, missing) if missing else None


def _special_float(value: Any) -> str | None:
    """"NaN", "Infinity" or "-Infinity" if ``value`` is one of them, as a number or as the JSON protocols spell it
    (a string: JSON has no such numbers; https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html), else None."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity") else None


def _by_member_name(shape: Any, document: dict) -> dict:
    """A JSON body keyed by member name (JSON APIs may rename members on the wire)."""
    wire = {member.serialization.get("name", name): name for name, member in shape.members.items()}
    return {wire.get(key, key): value for key, value in document.items()}


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,), "map": (dict,), "list": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "long": (int,), "short": (int,), "byte": (int,), "float": (int, float), "double": (int, float),
    "timestamp": (int, float, str), "blob": (str,),
}


def _json_mismatch(shape: Any, value: Any, path: str, depth: int, nan_ok: bool = False) -> tuple[str, Any, str] | None:
    """The first member of ``value`` that is not of its modelled type, or is a number AWS takes from no one (NaN,
    an infinity): ``(path, value, type)``, or None. ``nan_ok``: let NaN through (the service code refuses it)."""
    if value is None or getattr(shape, "is_document_type", False):
        return None
    kind = shape.type_name
    allowed = _JSON_TYPES.get(kind)
    is_bool = isinstance(value, bool)  # a JSON true is not a number, though Python's bool is an int
    special = _special_float(value) if kind in ("float", "double") else None
    wrong_type = allowed is not None and special is None and (
        not isinstance(value, allowed) or (is_bool and bool not in allowed))
    non_finite = (special is not None or _out_of_range(kind, value)) and not (nan_ok and special == "NaN")
    if wrong_type or depth > MAX_JSON_DEPTH or non_finite:
        return path or "the body", value, kind
    children: list[tuple[Any, Any, str]] = []
    if kind == "structure":
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            if key in value:
                children.append((member, value[key], f"{path}.{key}" if path else key))
    elif kind == "list":
        children = [(shape.member, item, f"{path}[{i}]") for i, item in enumerate(value)]
    elif kind == "map":
        children = [(shape.value, item, f"{path}.{key}") for key, item in value.items()]
    for member, item, where in children:
        found = _json_mismatch(member, item, where, depth + 1, nan_ok)
        if found is not None:
            return found
    return None

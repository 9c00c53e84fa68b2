"""The errors AWS answers to requests it cannot accept, written in each request's own protocol.

Each AWS API speaks one wire protocol, and its errors have that protocol's shape:

- EC2 (``ec2``): ``<Response><Errors><Error><Code>…`` as XML;
- ELBv2, Auto Scaling, CloudWatch, RDS, IAM, STS (``query``): ``<ErrorResponse><Error><Type>Sender</Type><Code>…``;
- CloudWatch Logs, the tagging API, CloudWatch over JSON (``json``): ``{"__type": "…", "Message": "…"}``;
- S3, Route 53, CloudFront (``rest-xml``): ``<Error><Code>…`` or ``<ErrorResponse>…``.

moto already writes every one of those shapes (``moto.core.serialize``); an
:class:`AwsError` is handed to the serializer of the request's service and
protocol, so these errors look exactly like moto's own. The functions below
are the catalogue: one per kind of bad request, each with AWS's code.
"""
from __future__ import annotations

import re
import uuid
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from moto.core.exceptions import ServiceException

if TYPE_CHECKING:
    from .request import AwsRequest

__all__ = ["AwsError", "Answer", "render", "missing_action", "invalid_action", "unknown_operation",
           "invalid_parameter", "non_finite_number", "unreadable_parameter", "missing_parameter", "serialization",
           "unknown_filter",
           "unprocessable", "no_such_route", "malformed_xml", "request_timeout", "not_implemented",
           "internal_failure", "json_token", "EXPECTED"]


# moto warns when an error code is not among a service's modelled errors; AWS's common errors
# (InvalidAction, MissingAction, SerializationException, ...) never are, and that is expected.
warnings.filterwarnings("ignore", message=r"Exception\(AwsError\) with code", category=UserWarning)


class AwsError(ServiceException):
    """An error to answer in the request's protocol: AWS's ``code``, a ``message`` and an HTTP ``status``."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(code, message)
        self.status = status


@dataclass(frozen=True)
class Answer:
    """A complete HTTP answer: status line, headers and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def status_line(self) -> str:
        from http import HTTPStatus

        try:
            return f"{self.status} {HTTPStatus(self.status).phrase}"
        except ValueError:
            return f"{self.status} Error"


#: What a parameter of each botocore type takes, in a student's words (used in messages).
EXPECTED = {
    "integer": "a whole number, for example 30", "long": "a whole number, for example 30",
    "float": "a number, for example 1.5", "double": "a number, for example 1.5",
    "boolean": "true or false", "timestamp": "a time such as 2026-01-01T00:00:00Z",
    "blob": "base64-encoded bytes", "string": "text", "list": "a list", "map": "a map of names to values",
    "structure": "a structure of named members",
}

#: Error codes for a parameter of the wrong type, by service (AWS's own vocabulary for each API).
_BAD_PARAMETER_CODE = {"ec2": "InvalidParameterValue", "rds": "InvalidParameterValue",
                       "cloudwatch": "InvalidParameterValue", "route53": "InvalidInput",
                       "cloudfront": "InvalidArgument", "s3": "InvalidArgument"}
_MALFORMED_XML = {"s3": ("MalformedXML", "The XML you provided was not well-formed or did not validate against our "
                                         "published schema.")}


def _service(req: AwsRequest | None) -> str:
    return req.service_name if req is not None and req.service_name else ""


def missing_action(req: AwsRequest) -> AwsError:
    return AwsError("MissingAction", "The request must contain the parameter Action. Send Action=<an API action, "
                                     "for example DescribeVpcs> in the query string or the form body.")


def invalid_action(req: AwsRequest) -> AwsError:
    if req.protocol == "ec2":
        text = "The action {action} is not valid for this web service. Check its spelling in the API reference."
    else:
        text = ("Could not find operation {action} for version {version}. Check the action's spelling and the "
                "API version in the API reference.")
    return AwsError("InvalidAction", text.format(action=req.action, version=req.values.get("Version", "")))


def unknown_operation(req: AwsRequest) -> AwsError:
    text = ("X-Amz-Target {target!r} names no operation of this service. Send '<target prefix>.<operation>', "
            "for example {example}.")
    prefix = req.service.metadata.get("targetPrefix", "") if req.service is not None else ""
    first = req.service.operation_names[0] if req.service is not None and req.service.operation_names else "Operation"
    return AwsError("UnknownOperationException", text.format(target=req.target, example=f"{prefix}.{first}"))


def invalid_parameter(req: AwsRequest, name: str, value: object, type_name: str) -> AwsError:
    """A parameter of the wrong type: ``name`` as the client sent it, ``value`` what it sent."""
    if req.protocol == "json":
        text = "{found} can not be converted to {expected} at {name}: send {name} as {how}."
        return serialization(req, text.format(found=json_token(value), expected=type_name.capitalize(), name=name,
                                              how=EXPECTED.get(type_name, type_name)))
    if str(value).strip().lstrip("+-").lower() in ("nan", "inf", "infinity"):
        # CloudWatch's own words for NaN (moto says the same); AWS takes no special values anywhere
        return non_finite_number(req, name, value)
    text = "Value ({value}) for parameter {name} is invalid: {name} takes {expected}."
    code = _BAD_PARAMETER_CODE.get(_service(req), "ValidationError")
    return AwsError(code, text.format(value=_short(value), name=name, expected=EXPECTED.get(type_name, type_name)))


def non_finite_number(req: AwsRequest, name: str, value: object) -> AwsError:
    """A number parameter sent as NaN or an infinity: well-formed on the wire (the JSON protocols spell them
    "NaN", "Infinity", "-Infinity"), but no AWS API takes one. The service's own error, in either protocol."""
    text = "The value {value} for parameter {name} is invalid. {name} takes a finite number."
    default = "ValidationException" if req.protocol == "json" else "ValidationError"
    return AwsError(_BAD_PARAMETER_CODE.get(_service(req), default), text.format(value=_short(value), name=name))


def unreadable_parameter(req: AwsRequest | None, reason: str) -> AwsError:
    """A REST request whose URI, header or body held a value of the wrong type (moto's parser named the value)."""
    text = "A parameter's value is of the wrong type ({reason}). Check the parameters' types in the API reference."
    code = _BAD_PARAMETER_CODE.get(_service(req), "InvalidArgument")
    return AwsError(code, text.format(reason=reason))


def missing_parameter(req: AwsRequest, name: str) -> AwsError:
    """A member the API's model requires is absent (``name`` is its path, as boto3 names it)."""
    if req.protocol == "ec2" or _service(req) == "rds":
        text = "The request must contain the parameter {name}. Add it, as the API reference shows."
        return AwsError("MissingParameter", text.format(name=name))
    text = ("1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be "
            "null. Add {name}, as the API reference shows.")
    return AwsError("ValidationException" if req.protocol == "json" else "ValidationError", text.format(name=name))


def serialization(req: AwsRequest | None, detail: str) -> AwsError:
    """A JSON body AWS cannot read (not JSON, not an object, a member of the wrong type, nested too deeply)."""
    return AwsError("SerializationException", detail)


def unknown_filter(req: AwsRequest | None, detail: str) -> AwsError:
    """EC2 answers an unknown filter name with InvalidParameterValue; moto also says so for filters it lacks."""
    text = ("{detail} The filter is not valid for {action}, or the embedded cloud (moto) does not support it yet. "
            "Use a filter the API reference lists for {action}.")
    return AwsError("InvalidParameterValue", text.format(detail=detail.split(" Feel free")[0],
                                                         action=req.action if req else "this action"))


def unprocessable(req: AwsRequest | None, detail: str) -> AwsError:
    """moto failed on input it doesn't handle (a resource that doesn't exist, an odd value)."""
    text = ("The embedded cloud could not process this {action} request ({detail}). Check that its parameters name "
            "resources that exist and take values the API reference allows; if they do, moto does not support "
            "this case yet (AWS does).")
    code = _BAD_PARAMETER_CODE.get(_service(req), "ValidationError")
    if req is not None and req.protocol == "json":
        code = "ValidationException"
    return AwsError(code, text.format(action=(req.action if req else "") or "", detail=_short(detail, 120)))


def malformed_xml(req: AwsRequest | None) -> AwsError:
    default = ("MalformedInput", "Could not parse XML. Send a well-formed XML document as the API reference shows it.")
    code, message = _MALFORMED_XML.get(_service(req), default)
    return AwsError(code, message)


def no_such_route(req: AwsRequest | None, environ: dict, status: str) -> AwsError:
    """No operation of the API matches the method and path (a REST API's unknown operation)."""
    text = ("No {service} operation matches {method} {path}. Check the method and the path against the API "
            "reference.")
    message = text.format(service=_service(req) or "AWS", method=environ.get("REQUEST_METHOD", ""),
                          path=_short(environ.get("PATH_INFO", ""), 80))
    return AwsError("UnknownOperationException" if status == "404" else "MethodNotAllowed", message, int(status))


def request_timeout() -> AwsError:
    return AwsError("RequestTimeout", "Your socket connection to the server was not read from or written to within "
                                      "the timeout period. Idle connections will be closed.")


def not_implemented(req: AwsRequest | None, detail: str) -> AwsError:
    text = ("awslab's embedded cloud (moto) does not implement this yet: {detail}. AWS does; the labs don't need it. "
            "Try it on a real account, or use another call.")
    return AwsError("NotImplemented", text.format(detail=detail), status=501)


def internal_failure() -> AwsError:
    return AwsError("InternalFailure", "The request processing has failed because of an unknown error, exception or "
                                       "failure. The embedded cloud's log has the details; the cloud keeps serving.",
                    status=500)


def _short(value: object, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def json_token(value: object) -> str:
    """The JSON token AWS names in its SerializationException messages (Jackson's words)."""
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, (int, float)):
        return "NUMBER_VALUE"
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, list):
        return "START_ARRAY"
    return "STRING_VALUE"


_REQUEST_ID = re.compile(r"(?<=<RequestId>)request-id(?=</RequestId>)|(?<=<RequestID>)request-id(?=</RequestID>)")


def render(req: AwsRequest | None, error: AwsError) -> Answer:
    """``error`` in the shape the request's service and protocol use (moto's serializers write it)."""
    request_id = str(uuid.uuid4())
    if req is None or req.service is None:
        body = _generic_xml(error, request_id)
        headers = [("Content-Type", "text/xml")]
    else:
        from moto.core.model import OperationModel
        from moto.core.serialize import get_serializer_class

        serializer = get_serializer_class(req.service.service_name, req.protocol)(OperationModel({}, req.service))
        out = serializer.serialize(error)
        body = out["body"].encode() if isinstance(out["body"], str) else out["body"]
        body = _REQUEST_ID.sub(request_id, body.decode("utf-8")).encode()
        headers = [(k, str(v)) for k, v in out["headers"].items() if k.lower() not in ("content-length", "status")]
    headers += [("x-amzn-RequestId", request_id), ("Content-Length", str(len(body)))]
    return Answer(error.status, headers, body)


def _generic_xml(error: AwsError, request_id: str) -> bytes:
    from xml.sax.saxutils import escape

    fault = "Receiver" if error.status >= 500 else "Sender"
    return (f"<ErrorResponse><Error><Type>{fault}</Type><Code>{escape(error.code)}</Code>"
            f"<Message>{escape(error.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()

"""Check a parsed boto3 response against botocore's output shape: required members present, values of the type
the shape says. Used by the conformance test (test_response_shapes.py) and by bench/bench_moto_suite.py."""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from botocore.model import Shape

__all__ = ["Violation", "check_response", "Recorder"]

#: shape type -> Python types botocore's parsers produce for it
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "character": (str,), "integer": (int,), "long": (int,), "short": (int,), "byte": (int,),
    "boolean": (bool,), "float": (float, int), "double": (float, int), "bigdecimal": (float, int),
    "timestamp": (datetime.datetime,), "blob": (bytes, bytearray), "list": (list,), "map": (dict,),
    "structure": (dict,),
}


@dataclass(frozen=True)
class Violation:
    operation: str  # "ec2.DescribeInstances"
    path: str  # "Reservations[].Instances[].State.Name"
    problem: str  # "missing (required)" / "is str, the model says integer" / "'x' is not one of the enum"

    def __str__(self) -> str:
        return f"{self.operation}: {self.path}: {self.problem}"


def check_response(operation: str, shape: Shape | None, value, path: str = "") -> list[Violation]:
    """Every way ``value`` (a parsed response, or part of one) departs from ``shape``."""
    if shape is None:
        return []
    if shape.name == "policyDocumentType" and isinstance(value, dict):
        return []  # botocore's own handler (json_decode_policies) turns IAM's policy documents into dicts
    out: list[Violation] = []
    expected = _TYPES.get(shape.type_name)
    if expected and not isinstance(value, expected) or (shape.type_name in ("integer", "long") and isinstance(value, bool)):
        return [Violation(operation, path or "(response)", f"is {type(value).__name__}, the model says {shape.type_name}")]
    if shape.type_name == "structure":
        for name in shape.required_members:
            if name not in value:
                out.append(Violation(operation, _join(path, name), "missing (required)"))
        for name, member in shape.members.items():
            if name in value:
                out += check_response(operation, member, value[name], _join(path, name))
    elif shape.type_name == "list":
        for item in value:
            out += check_response(operation, shape.member, item, path + "[]")
    elif shape.type_name == "map":
        for k, v in value.items():
            out += check_response(operation, shape.value, v, path + "{}")
    elif shape.type_name == "string" and shape.enum and value not in shape.enum:
        out.append(Violation(operation, path, f"{value!r} is not one of the model's values ({', '.join(shape.enum[:8])}"
                                              f"{' ...' if len(shape.enum) > 8 else ''})"))
    return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class Recorder:
    """Collects every successful call's parsed response from clients made by a boto3 session (after-call)."""

    def __init__(self):
        self.responses: dict[str, list] = {}  # "service.Operation" -> parsed responses
        self.shapes: dict[str, Shape | None] = {}

    def __call__(self, http_response, parsed, model, **_) -> None:
        if http_response.status_code >= 300:
            return
        key = f"{model.service_model.service_name}.{model.name}"
        self.shapes[key] = model.output_shape
        self.responses.setdefault(key, []).append(parsed)

    def violations(self) -> list[Violation]:
        found: dict[tuple[str, str, str], Violation] = {}
        for key, responses in self.responses.items():
            for parsed in responses:
                body = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
                for v in check_response(key, self.shapes[key], body):
                    found.setdefault((v.operation, v.path, v.problem.split(" is not one")[0]), v)
        return sorted(found.values(), key=str)

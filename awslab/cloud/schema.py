"""Declared bodies for the control API: each route says what it takes, and one function checks it.

A control route declares its JSON body (and its query string) as a :class:`Schema`
of named :class:`Field` s. :func:`Schema.check` runs before the route does, so a
route only ever sees a JSON object of the fields it declared, each of the right
type and in range. A wrong body gets ``400`` with a message naming the field
and what it takes::

    FAULT = Schema({"instance_id": text(required=True)}, tag="kind",
                   variants={"crash": {}, "cpu_burn": {"percent": number(0, 100)}})
    FAULT.check({"instance_id": "i-0abc", "kind": "cpu_burn", "percent": 150})
    # SchemaError: body field 'percent' must be between 0 and 100, not 150.

Some bodies change with one field's value (a fault's ``kind``, a load's ``shape``):
``tag`` names that field and ``variants`` the fields each value adds.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["Field", "Schema", "SchemaError", "number", "integer", "text", "boolean", "choice", "NO_BODY"]


class SchemaError(ValueError):
    """A body or query that doesn't match its route's schema; ``field`` names the culprit (or None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


#: How each kind of field is named in messages.
_KINDS = {"number": "a number", "integer": "a whole number", "text": "text", "boolean": "true or false"}


@dataclass(frozen=True)
class Field:
    """One named member of a body: its ``kind``, whether it is ``required``, its range or its ``choices``."""

    kind: str
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def check(self, name: str, value: Any, where: str) -> Any:
        """``value`` if it fits this field; raises :class:`SchemaError` naming ``name`` otherwise."""
        value = self._typed(name, value, where)
        if self.choices and value not in self.choices:
            text = "{where} field {name!r} must be one of {choices}, not {value!r}."
            raise SchemaError(text.format(where=where, name=name, choices=", ".join(self.choices), value=value), name)
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise SchemaError(_range_text(low, high).format(where=where, name=name, low=_num(low), high=_num(high),
                                                            value=_num(value)), name)
        return value

    def _typed(self, name: str, value: Any, where: str) -> Any:
        if where == "query" and isinstance(value, str):
            value = _from_query(self.kind, value)
        ok = {"number": isinstance(value, (int, float)) and not isinstance(value, bool)
                        and math.isfinite(value),
              "integer": isinstance(value, int) and not isinstance(value, bool),
              "text": isinstance(value, str), "boolean": isinstance(value, bool)}[self.kind]
        if not ok:
            text = "{where} field {name!r} must be {kind}, not {value}."
            raise SchemaError(text.format(where=where, name=name, kind=_KINDS[self.kind], value=_shown(value)), name)
        return value


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return "{where} field {name!r} must be between {low} and {high}, not {value}."
    if low is not None:
        return "{where} field {name!r} must be at least {low}, not {value}."
    return "{where} field {name!r} must be at most {high}, not {value}."


def _from_query(kind: str, value: str) -> Any:
    """A query-string value read as ``kind`` (left as text when it doesn't read: the type check then says so)."""
    try:
        if kind == "number":
            return float(value)
        if kind == "integer":
            return int(value)
    except ValueError:
        return value
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _shown(value: Any) -> str:
    """``value`` as the client wrote it (JSON), shortened; objects and lists by their kind."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:60] + "..."


@dataclass(frozen=True)
class Schema:
    """The fields of a JSON object; ``tag`` (a field of ``fields``) picks one of ``variants``' extra fields."""

    fields: Mapping[str, Field] = field(default_factory=dict)
    tag: str | None = None
    variants: Mapping[str, Mapping[str, Field]] = field(default_factory=dict)

    def check(self, body: Any, where: str = "body") -> dict:
        """``body`` when it fits; raises :class:`SchemaError` naming the first field that doesn't."""
        if not isinstance(body, dict):
            text = "The request {where} must be a JSON object such as {example}, not {found}."
            raise SchemaError(text.format(where=where, example=self.example(), found=_shown(body)))
        fields = dict(self.fields)
        if self.tag is not None:
            if self.tag not in body:
                self._missing(self.tag, where)
            tag = Field("text", choices=tuple(self.variants)).check(self.tag, body[self.tag], where)
            fields.update(self.variants[tag])
        for name, value in body.items():
            if name not in fields and name != self.tag:
                text = "{where} field {name!r} is not one this route takes; it takes {known}."
                known = ", ".join(sorted(set(fields) | ({self.tag} if self.tag else set()))) or "no fields"
                raise SchemaError(text.format(where=where, name=name, known=known), name)
        for name, spec in fields.items():
            if name in body and name != self.tag:
                body[name] = spec.check(name, body[name], where)
            elif spec.required and name not in body:
                self._missing(name, where, spec)
        return body

    def _missing(self, name: str, where: str, spec: Field | None = None) -> Any:
        choices = tuple(self.variants) if name == self.tag else (spec.choices if spec else ())
        text = "{where} field {name!r} is required: {what}."
        what = "one of " + ", ".join(choices) if choices else _KINDS[spec.kind if spec else "text"]
        raise SchemaError(text.format(where=where, name=name, what=what), name)

    def example(self) -> str:
        """A short example body for messages: the required fields with a placeholder each."""
        names = [n for n, f in self.fields.items() if f.required] + ([self.tag] if self.tag else [])
        return "{" + ", ".join(f'"{n}": ...' for n in names) + "}"


def number(minimum: float | None = None, maximum: float | None = None, required: bool = False) -> Field:
    return Field("number", required, minimum, maximum)


def integer(minimum: int | None = None, maximum: int | None = None, required: bool = False) -> Field:
    return Field("integer", required, minimum, maximum)


def text(required: bool = False) -> Field:
    return Field("text", required)


def boolean(required: bool = False) -> Field:
    return Field("boolean", required)


def choice(*choices: str, required: bool = False) -> Field:
    return Field("text", required, choices=tuple(choices))


#: The schema of a route that takes no body (an empty object or no body at all).
NO_BODY = Schema()

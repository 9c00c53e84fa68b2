"""Speed, not behaviour: moto's request path, memoised, with a faster XML writer.

moto 5.2 answers from its models through one generic, model-driven serializer:
for every member of every output shape it asks a chain of alias providers which
Python attribute holds the value, checks every response transformer of the
service with ``str.endswith``, and then writes the XML with ``xmltodict``. All
of that is recomputed for each member of each item, so DescribeInstances spends
about 3 ms per instance (0.4 s for 140 instances), while holding the cloud's
state lock. Three things here make the same answer about four times cheaper:

- **which attribute names to try** for a member depends only on the picker, the
  object's class and the shape (with its parent), so it is computed once;
- **which transformer applies** to a key path is computed once per path;
- **the XML** is written by :func:`unparse`, which writes exactly what
  ``xmltodict.unparse(..., short_empty_elements=True)`` writes for the
  dictionaries moto builds (names from the AWS model, values from the models),
  without a SAX handler and an ``AttributesImpl`` per element.

Two things moto redoes on every request are also done once: the list of its
service modules (read from the disk to route each request) and the list of a
response class's methods (found with ``inspect.getmembers``, hundreds for EC2).

The responses are byte for byte the same (``tests/cloud/test_moto_speed.py``
compares them with and without this module over every service the labs use,
errors included). With ``MOTO_PRETTIFY_RESPONSES`` set, moto's own writer is used.
"""
from __future__ import annotations

import functools
from typing import Any, Callable
from xml.sax.saxutils import escape, quoteattr

from moto import backends as _backends
from moto.core import responses as _responses
from moto.core import serialize as _serialize
from moto.core.utils import MISSING, get_value

__all__ = ["install", "uninstall", "installed", "unparse"]

_ORIGINAL: dict[str, Callable] = {}
#: (picker class, object class, key, shape, parent shape) -> (attribute names to try, shape, parent).
#: The shapes are kept in the value so their ids can't be reused while the entry lives.
_KEYS: dict[tuple, tuple[tuple[str, ...], Any, Any]] = {}
#: (transformers dict, key path) -> (transformer or None, transformers dict)
_TRANSFORMERS: dict[tuple[int, str], tuple[Callable | None, Any]] = {}


def _pick(self: Any, context: Any) -> Any:
    """``AttributePicker.__call__`` with its two pure lookups memoised (same result, same order)."""
    obj, key, shape = context.obj, context.key, context.shape
    parent = getattr(shape, "parent", None)
    memo_key = (type(self), type(obj), key, id(shape), id(parent))
    hit = _KEYS.get(memo_key)
    if hit is None:
        hit = _KEYS[memo_key] = (tuple(self.get_possible_keys(context)), shape, parent)
    value = None
    for name in hit[0]:
        found = get_value(obj, name, MISSING)
        if found is not MISSING:
            value = found
            break
    transformers = self.response_transformers
    if transformers:
        path = f"{context.key_path}.{key}"
        memo = _TRANSFORMERS.get((id(transformers), path))
        if memo is None:
            fn = next((t for suffix, t in transformers.items() if path.endswith(suffix)), None)
            memo = _TRANSFORMERS[(id(transformers), path)] = (fn, transformers)
        if memo[0] is not None:
            value = memo[0](value)
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _emit(key: str, value: Any, out: list[str]) -> None:
    """One element (or one per list item), as xmltodict's ``_emit`` writes it without pretty-printing."""
    if not hasattr(value, "__iter__") or isinstance(value, (str, bytes, bytearray, memoryview, dict)):
        value = [value]
    for item in value:
        if item is None:
            item = {}
        elif not isinstance(item, (dict, str)):
            item = _text(item)
        if isinstance(item, str):
            out.append(f"<{key}>{escape(item)}</{key}>" if item else f"<{key}/>")
            continue
        attrs, children, text = "", [], None
        for child_key, child in item.items():
            if child_key == "#text":
                text = None if child is None else _text(child)
            elif child_key.startswith("@"):
                attrs += f" {child_key[1:]}={quoteattr('' if child is None else _text(child))}"
            elif not (isinstance(child, list) and not child):  # xmltodict skips empty lists
                children.append((child_key, child))
        if not children and not text:
            out.append(f"<{key}{attrs}/>")
            continue
        out.append(f"<{key}{attrs}>")
        for child_key, child in children:
            _emit(child_key, child, out)
        if text:
            out.append(escape(text))
        out.append(f"</{key}>")


def unparse(body: dict, full_document: bool) -> str:
    """``xmltodict.unparse(body, full_document=..., short_empty_elements=True)``, for moto's response dicts."""
    out = ['<?xml version="1.0" encoding="utf-8"?>\n'] if full_document else []
    for key, value in body.items():
        _emit(key, value, out)
    return "".join(out)


def _body_writer(full_document: bool, original: Callable) -> Callable:
    def serialize_body(self: Any, body: dict) -> str:
        if self.pretty_print:
            return original(self, body)
        return unparse(body, full_document)
    return serialize_body


def _once(fn: Callable) -> Callable:
    """``fn`` computed once per argument (for the functions below, whose answers never change in a process)."""
    return functools.lru_cache(maxsize=None)(lambda *args: tuple(fn(*args)))


def install() -> None:
    """Patch moto (idempotent). The cloud server calls this once at start."""
    if _ORIGINAL:
        return
    _ORIGINAL["modules"] = _backends.list_of_moto_modules
    _ORIGINAL["methods"] = _responses.method_names_from_class
    _backends.list_of_moto_modules = _once(_ORIGINAL["modules"])
    _responses.method_names_from_class = _once(_ORIGINAL["methods"])
    _ORIGINAL["pick"] = _serialize.AttributePicker.__call__
    _ORIGINAL["xml_body"] = _serialize.BaseXMLSerializer._serialize_body
    _ORIGINAL["ec2_body"] = _serialize.EC2Serializer._serialize_body
    _serialize.AttributePicker.__call__ = _pick
    # BaseXMLSerializer writes a fragment (no <?xml ...?> line); EC2's writes a whole document.
    _serialize.BaseXMLSerializer._serialize_body = _body_writer(False, _ORIGINAL["xml_body"])
    _serialize.EC2Serializer._serialize_body = _body_writer(True, _ORIGINAL["ec2_body"])


def uninstall() -> None:
    """Put moto's own code back (the equivalence test compares both)."""
    if not _ORIGINAL:
        return
    _backends.list_of_moto_modules = _ORIGINAL.pop("modules")
    _responses.method_names_from_class = _ORIGINAL.pop("methods")
    _serialize.AttributePicker.__call__ = _ORIGINAL.pop("pick")
    _serialize.BaseXMLSerializer._serialize_body = _ORIGINAL.pop("xml_body")
    _serialize.EC2Serializer._serialize_body = _ORIGINAL.pop("ec2_body")


def installed() -> bool:
    return bool(_ORIGINAL)

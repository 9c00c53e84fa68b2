"""Speed, not behaviour: two of moto's lookups, memoised where the answer provably cannot change.

moto 5.2 answers from its models through one generic, model-driven serializer. For every member of every
item it asks a chain of alias providers which Python attribute holds the value
(``AttributePicker.get_possible_keys``). That answer depends only on what the providers read, and for moto's
own providers that is fixed for a process, so it is computed once (:func:`_pick`). Separately, moto lists its
service folders on the disk to route every request (``list_of_moto_modules``); the folders of the imported
moto do not change while it runs, so the list is read once.

Everything that can change per request is left exactly as moto does it:

- **response transformers** (``RESPONSE_KEY_PATH_TO_TRANSFORMER``). moto changes them *per request*:
  DescribeKeyPairs includes or drops ``PublicKey`` by ``IncludePublicKey``, and CreateVpcPeeringConnection
  inserts a closure over the new connection. They are looked up on every member, as moto does.
- **the list of a response class's methods** (``method_names_from_class``). A method added to a response class
  after its first request is an action that must answer.
- **the XML writer**: moto's own (``xmltodict``).

The memo is keyed by everything the alias providers read, and is skipped whenever that cannot be known in
advance: an object with a ``Meta`` class (its ``serialization_aliases`` belong to the object), a picker class
or an alias provider that is not moto's own. ``tests/cloud/test_moto_contract.py`` checks each of these
assumptions against the pinned moto; ``tests/cloud/test_moto_speed.py`` compares responses byte for byte.
docs/compatibility.md offers both memos upstream.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from moto import backends as _backends
from moto.core import serialize as _serialize
from moto.core.utils import MISSING, get_value

__all__ = ["install", "uninstall", "installed", "KNOWN_ALIAS_PROVIDERS", "KNOWN_PICKERS"]

_ORIGINAL: dict[str, Callable] = {}

#: moto's own alias providers. What each reads (checked by the contract test against moto's source):
#: ExplicitAlias: ``obj.Meta`` (never memoised: see :func:`_memo_key`); ShapeNameAlias, ShapePrefixAlias,
#: ModelAlias: the member shape and its ``parent`` (name, type, members, serialization), which are fixed
#: once botocore builds them; NoAlias: nothing; ClassPrefixAlias: the name of ``obj.__class__``.
KNOWN_ALIAS_PROVIDERS = frozenset({
    _serialize.ExplicitAlias, _serialize.ShapeNameAlias, _serialize.NoAlias, _serialize.ShapePrefixAlias,
    _serialize.ClassPrefixAlias, _serialize.ModelAlias})
#: Pickers whose ``get_possible_keys`` is moto's: the providers' aliases, each also through ``xform_name``.
KNOWN_PICKERS = frozenset({_serialize.AttributePicker, _serialize.XFormedAttributePicker})

#: memo key -> (attribute names to try, in moto's order; shape; parent shape).
#: The shapes stay referenced in the value, so their ids cannot be reused while the entry lives.
_KEYS: dict[tuple, tuple[tuple[str, ...], Any, Any]] = {}


def _memo_key(picker: Any, obj: Any, key: str, shape: Any, parent: Any) -> tuple | None:
    """Everything ``get_possible_keys`` reads, or None when its answer may differ between two calls."""
    providers = tuple(picker.alias_providers)
    if type(picker) not in KNOWN_PICKERS or not KNOWN_ALIAS_PROVIDERS.issuperset(providers):
        return None
    if hasattr(obj, "Meta"):  # ExplicitAlias reads the object's own Meta.serialization_aliases
        return None
    return (type(picker), providers, obj.__class__, key, id(shape), id(parent))


def _pick(self: Any, context: Any) -> Any:
    """``AttributePicker.__call__``: the same lookups in the same order, the attribute names memoised."""
    obj, key, shape = context.obj, context.key, context.shape
    parent = getattr(shape, "parent", None)
    memo_key = _memo_key(self, obj, key, shape, parent)
    if memo_key is None:
        names: tuple[str, ...] = tuple(self.get_possible_keys(context))
    else:
        hit = _KEYS.get(memo_key)
        if hit is None:
            hit = _KEYS[memo_key] = (tuple(self.get_possible_keys(context)), shape, parent)
        names = hit[0]
    value = None
    for name in names:
        found = get_value(obj, name, MISSING)
        if found is not MISSING:
            value = found
            break
    key_path = f"{context.key_path}.{key}"
    for transform_path, transform in self.response_transformers.items():  # read per request, as moto does
        if key_path.endswith(transform_path):
            value = transform(value)
            break
    return value


@functools.lru_cache(maxsize=1)
def _moto_modules() -> tuple[str, ...]:
    """``list_of_moto_modules()``, read once: the folders of the moto package this process imported."""
    return tuple(_ORIGINAL["modules"]())


def install() -> None:
    """Patch moto (idempotent). The cloud server calls this once at start."""
    if _ORIGINAL:
        return
    _ORIGINAL["modules"] = _backends.list_of_moto_modules
    _ORIGINAL["pick"] = _serialize.AttributePicker.__call__
    _backends.list_of_moto_modules = _moto_modules
    _serialize.AttributePicker.__call__ = _pick


def uninstall() -> None:
    """Put moto's own code back (the equivalence test compares both)."""
    if not _ORIGINAL:
        return
    _backends.list_of_moto_modules = _ORIGINAL.pop("modules")
    _serialize.AttributePicker.__call__ = _ORIGINAL.pop("pick")
    _KEYS.clear()
    _moto_modules.cache_clear()


def installed() -> bool:
    return bool(_ORIGINAL)

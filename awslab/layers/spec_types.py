"""The types a layer's spec holds, checked before any AWS call.

Python does not check a dataclass's annotations, so ``AutoScalingSpec(min_size=True)``
reached Auto Scaling as the size "true" (the cloud answered 500), and
``NetworkSpec(vpc_cidr=167772160)`` became the address 10.0.0.0/32. Here each
field is checked against its annotation, and a wrong type (``None``, a dict, a
number for a CIDR, ``True`` for a size) gets the same ValidationError as a bad
value: the field as you wrote it, the value, what it must be, and an example.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from pathlib import PurePath
from typing import Any, TypeVar

from ..errors import ValidationError
from ..i18n import _

__all__ = ["spec", "check_fields"]

S = TypeVar("S")
#: What each annotation means, in words (one literal each, so they can be translated).
KINDS = {int: "a whole number", float: "a number", str: "a string", bool: "True or False", type(None): "None",
         PurePath: "a folder path"}


def spec(value: Any, cls: type[S], field: str) -> S:
    """``value`` checked field by field against ``cls``'s annotations; ``cls()`` (the defaults) for ``None``."""
    if value is None:
        return cls()
    if not isinstance(value, cls):
        raise ValidationError(field, value, _("it must be a {cls}, or None for the defaults").format(cls=cls.__name__),
                              _("Pass {cls}(...) with the settings to change, e.g. {cls}().").format(cls=cls.__name__))
    check_fields(value)
    return value


def check_fields(obj: Any, where: str = "") -> None:
    """Every field of the dataclass ``obj`` (and of dataclasses inside it) has its annotated type."""
    hints = _hints(type(obj))
    for f in dataclasses.fields(obj):
        if f.init and not f.name.startswith("_"):
            _check(where + f.name, getattr(obj, f.name), hints[f.name], _default(f))


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _arms(hint: Any) -> tuple[Any, ...]:
    """The members of a union (``int | None`` -> (int, NoneType)), or the hint itself."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _fits(value: Any, hint: Any) -> bool:
    """Does ``value`` have the outer type ``hint`` (the items of a list are checked after)?"""
    origin = typing.get_origin(hint) or hint
    if hint is Any:
        return True
    if origin is bool:
        return isinstance(value, bool)
    if origin is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if origin in (list, tuple):
        return isinstance(value, (list, tuple))
    if isinstance(origin, type) and issubclass(origin, PurePath):
        return isinstance(value, PurePath)
    return isinstance(value, origin) if isinstance(origin, type) else True


def _kind(hint: Any) -> str:
    if typing.get_origin(hint) in (list, tuple):
        return "a list of {items}".format(items=" or ".join(_kind(a) for a in typing.get_args(hint) if a is not Ellipsis))
    if isinstance(hint, type) and issubclass(hint, PurePath):
        hint = PurePath
    if hint in KINDS:
        return KINDS[hint]
    if dataclasses.is_dataclass(hint):
        return "a {cls}(...)".format(cls=hint.__name__)
    return getattr(hint, "__name__", str(hint))


def _check(field: str, value: Any, hint: Any, default: Any = dataclasses.MISSING) -> None:
    arm = next((a for a in _arms(hint) if _fits(value, a)), None)
    if arm is None:
        kinds = " or ".join(_kind(a) for a in _arms(hint))
        rule = _("it must be {kinds}; True and False are not numbers here") if isinstance(value, bool) else _("it must be {kinds}")
        fix = (_("Use e.g. {field}={default!r} (the default).") if default is not dataclasses.MISSING and default is not None
               else _("Give {field} as {kinds}."))
        raise ValidationError(field, value, rule.format(kinds=kinds),
                              fix.format(field=field, default=default, kinds=kinds))
    if typing.get_origin(arm) in (list, tuple):
        items = [a for a in typing.get_args(arm) if a is not Ellipsis]
        for i, item in enumerate(value):
            _check("{field}[{i}]".format(field=field, i=i), item, typing.Union[tuple(items)] if len(items) > 1 else items[0])
    elif dataclasses.is_dataclass(arm):
        check_fields(value, field + ".")

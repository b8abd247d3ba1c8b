"""Method settings from the command line or from Python, typed by the config's annotations.

Every method keeps its settings in a frozen dataclass (``MixNNConfig``, ``MixupConfig``). Users set
them as ``--param KEY=VALUE`` strings or, from Python, with typed values; :func:`make_config`
converts each one to its field's annotation and builds the dataclass, whose own ``__post_init__``
then checks ranges and combinations.

==========================  ================================  ================================
annotation                  from a string                     from Python
==========================  ================================  ================================
``bool``                    true/false, 1/0, yes/no (any      a bool
                            case)
``int``                     ``int(text)``: "3", never "3.0"   an int (not a bool, not 3.0)
``float``                   ``float(text)``, finite           an int or a float, as a float
``str``                     the text                          a str
``tuple[T, ...]``,          "a,b,c" or "(a, b, c)"; "" is     a list or tuple, each item
``tuple[T1, T2]``           the empty ``tuple[T, ...]``       converted
``T | None``                "none" or "null" (any case)       None
``Epochs`` (``int |         an int if ``int(text)`` parses,   an int stays an int, a float a
float``)                    a float otherwise                 float (not a bool)
``Literal["a", "b"]``       one of the strings                one of the strings
==========================  ================================  ================================

An ill-typed value raises ``ValueError`` with one sentence that names the field, the method and the
expected type; an annotation outside this table raises ``TypeError`` (a mistake in the config
class, not in the user's value).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import types
import typing
from typing import Any, Literal, Mapping, Union

__all__ = ["Epochs", "config_fields", "make_config", "parse_value", "type_name", "epochs_of"]

Epochs = int | float
"""A number of epochs (an int), or a fraction of the run (a float in [0, 1]); see :func:`epochs_of`."""

TRUE, FALSE, NONE = ("true", "1", "yes"), ("false", "0", "no"), ("none", "null")
SIMPLE = {bool: "true or false", int: "an int", float: "a float", str: "a string"}
PLURAL = {bool: "booleans", int: "ints", float: "floats", str: "strings"}


class _Mismatch(Exception):
    """A value that does not fit its annotation; :func:`parse_value` turns it into the sentence."""


# ----------------------------------------------------------------------------------------------
# Annotations
# ----------------------------------------------------------------------------------------------

def _union_members(annotation: Any) -> tuple[Any, ...] | None:
    """The members of ``A | B`` or ``Union[A, B]`` (``Optional[A]`` included); None for other types."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return typing.get_args(annotation)
    return None


def _split_union(annotation: Any) -> tuple[Any, bool]:
    """``(the annotation without None, whether None is allowed)`` of a supported union.

    The part without None is a single supported type, or ``int | float`` (the :data:`Epochs` form).
    """
    members = _union_members(annotation)
    rest = tuple(m for m in members if m is not type(None))
    if set(rest) == {int, float} and len(rest) == 2:
        return Epochs, len(rest) < len(members)
    if len(rest) != 1:
        raise TypeError(f"Unsupported parameter annotation {annotation!r}: "
                        "a union must be T | None or int | float.")
    return rest[0], True


def _tuple_items(annotation: Any) -> tuple[tuple[Any, ...], bool]:
    """``(item annotations, whether the length is free)`` of ``tuple[T, ...]`` or ``tuple[T1, T2]``."""
    args = typing.get_args(annotation)
    if not args:
        raise TypeError(f"Unsupported parameter annotation {annotation!r}: a tuple needs its item types.")
    if len(args) == 2 and args[1] is Ellipsis:
        return (args[0],), True
    return args, False


def _literal_values(annotation: Any) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(typing.get_args(annotation)))
    if not values or not all(isinstance(v, str) for v in values):
        raise TypeError(f"Unsupported parameter annotation {annotation!r}: a Literal must list strings.")
    return values


def _alternatives(annotation: Any) -> list[str]:
    """The phrases that :func:`type_name` joins with "or"; also checks the annotation is supported."""
    if annotation in SIMPLE:
        return ["true", "false"] if annotation is bool else [SIMPLE[annotation]]
    if _union_members(annotation) is not None:
        inner, optional = _split_union(annotation)
        names = ["an int", "a float"] if inner is Epochs else _alternatives(inner)
        return names + ["none"] * optional
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return [repr(v) for v in _literal_values(annotation)]
    if origin is tuple:
        items, free = _tuple_items(annotation)
        if free or (len(set(items)) == 1 and len(items) > 1):
            item = items[0]
            if item in PLURAL:
                count = "" if free else f"{len(items)} "
                return [f"a comma-separated tuple of {count}{PLURAL[item]}"]
            if free:
                return [f"a comma-separated tuple, each {type_name(item)}"]
        return [f"a comma-separated tuple of {_join([type_name(i) for i in items], 'and')}"]
    raise TypeError(f"Unsupported parameter annotation {annotation!r}.")


def _join(words: list[str], last: str) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def type_name(annotation: Any) -> str:
    """What a value of ``annotation`` must be, as the end of "must be ...": 'a float', 'an int',
    'true or false', 'a string', 'a comma-separated tuple of ints', 'an int or a float',
    'a float or none', "one of 'gmm', 'avg' or 'rdm'".

    Raises ``TypeError`` for an annotation that :func:`parse_value` does not support.
    """
    names = _alternatives(annotation)
    return ("one of " if len(names) > 2 else "") + _join(names, "or")


# ----------------------------------------------------------------------------------------------
# Values
# ----------------------------------------------------------------------------------------------

def _finite(x: float) -> float:
    if not math.isfinite(x):
        raise _Mismatch
    return x


def _convert(value: Any, annotation: Any) -> Any:
    """``value`` as ``annotation`` (a supported one), or :class:`_Mismatch`."""
    text = value.strip() if isinstance(value, str) else None
    if _union_members(annotation) is not None:
        inner, optional = _split_union(annotation)
        if optional and (value is None or (text is not None and text.lower() in NONE)):
            return None
        if inner is not Epochs:
            return _convert(value, inner)
        if text is not None:
            try:
                return int(text)
            except ValueError:
                return _convert(text, float)
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return _finite(float(value))
        raise _Mismatch
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in TRUE + FALSE:
            return text.lower() in TRUE
        raise _Mismatch
    if annotation is int:
        if text is not None:
            try:
                return int(text)
            except ValueError:
                raise _Mismatch from None
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        raise _Mismatch
    if annotation is float:
        if text is not None:
            try:
                return _finite(float(text))
            except ValueError:
                raise _Mismatch from None
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return _finite(float(value))
        raise _Mismatch
    if annotation is str:
        if isinstance(value, str):
            return value
        raise _Mismatch
    origin = typing.get_origin(annotation)
    if origin is Literal:
        if text is not None and text in _literal_values(annotation):
            return text
        raise _Mismatch
    if origin is tuple:
        items, free = _tuple_items(annotation)
        if text is not None:
            if text[:1] + text[-1:] in ("()", "[]"):
                text = text[1:-1].strip()
            parts = [p.strip() for p in text.split(",")] if text else []
            if len(parts) > 1 and not parts[-1]:
                parts.pop()                                        # "(3,)": a trailing comma
        elif isinstance(value, (list, tuple)):
            parts = list(value)
        else:
            raise _Mismatch
        if not free and len(parts) != len(items):
            raise _Mismatch
        kinds = items * len(parts) if free else items
        return tuple(_convert(p, t) for p, t in zip(parts, kinds))
    raise TypeError(f"Unsupported parameter annotation {annotation!r}.")


def parse_value(text_or_value: Any, annotation: Any, *, field: str, owner: str) -> Any:
    """One value converted to ``annotation``: a string as the command line gives it, or a typed
    Python value. ``ValueError`` with one sentence naming ``field``, the method ``owner`` and the
    expected type otherwise; ``TypeError`` for an unsupported annotation."""
    expected = type_name(annotation)                               # TypeError before any value check
    try:
        return _convert(text_or_value, annotation)
    except _Mismatch:
        raise ValueError(f"Parameter {field} of method '{owner}' must be {expected}, "
                         f"got {text_or_value!r}.") from None


def config_fields(config_cls: type) -> list[str]:
    """The settable fields of a method's ``Config`` dataclass (none for a method without one)."""
    if not dataclasses.is_dataclass(config_cls):
        return []
    return [f.name for f in dataclasses.fields(config_cls) if f.init]


def make_config(config_cls: type, params: Mapping[str, Any], *, owner: str) -> Any:
    """An instance of the dataclass ``config_cls`` from ``params`` (strings or typed values).

    Each value is converted by :func:`parse_value` to its field's annotation; fields not in
    ``params`` keep their defaults. Unknown keys raise ``ValueError`` naming them and the valid ones;
    the dataclass's ``__post_init__`` checks run as they are. A ``config_cls`` that is not a
    dataclass has no parameters.
    """
    fields = config_fields(config_cls)
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise ValueError(f"Method '{owner}' has no parameter {', '.join(unknown)}; "
                         f"its parameters: {', '.join(fields) or 'none'}.")
    if not params:
        return config_cls()
    hints = typing.get_type_hints(config_cls)
    return config_cls(**{k: parse_value(v, hints[k], field=k, owner=owner) for k, v in params.items()})


def epochs_of(value: int | float, run_epochs: int) -> int:
    """An :data:`Epochs` setting in epochs: an int counts epochs; a float in [0, 1] is that fraction
    of a run of ``run_epochs`` epochs, rounded to the nearest epoch (halves up), so ``1`` is one
    epoch and ``1.0`` the whole run. ``ValueError`` (one sentence) for a negative int, a float outside
    [0, 1] or a value that is not a number."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0:
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, numbers.Integral)) \
            and 0.0 <= value <= 1.0:
        return math.floor(float(value) * run_epochs + 0.5)
    raise ValueError(f"A number of epochs must be an int of at least 0 or a fraction of the run "
                     f"within [0, 1], got {value!r}.")

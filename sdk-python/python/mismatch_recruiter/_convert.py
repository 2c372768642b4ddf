"""JSON conversions used by the generated models and client methods.

The bottom of the package's import graph: it imports nothing from the package,
so the models (``_models.py``), the errors that expose them (``_errors.py``)
and the client (``_client.py``) can all use it without importing each other
in a circle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def _to_json(value: Any) -> Any:
    """Turns models (dataclasses) and containers into JSON-compatible values."""
    to_dict = getattr(value, "to_dict", None)
    if to_dict is not None and dataclasses.is_dataclass(value):
        return to_dict()
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    return value


def _opt(convert: Callable[[Any], T], value: Any) -> T | None:
    return None if value is None else convert(value)


def _list(convert: Callable[[Any], T], value: Any) -> list[T]:
    return [convert(item) for item in value]


def _map(convert: Callable[[Any], T], value: Any) -> dict[str, T]:
    return {str(key): convert(item) for key, item in value.items()}


def _first(value: Any, converters: Sequence[Callable[[Any], Any]]) -> Any:
    """Parses a value of an untagged union with the first variant that fits."""
    errors: list[Exception] = []
    for convert in converters:
        try:
            return convert(value)
        except (KeyError, TypeError, AttributeError, ValueError) as err:
            errors.append(err)
    raise ValueError(f"value matches no variant: {errors}")


def _same(value: Any) -> Any:
    return value


def _tagged(value: Any, tag: str, converters: Mapping[Any, Callable[[Any], Any]]) -> Any:
    """Parses a value of a union told apart by the constant ``tag`` property."""
    convert = converters.get(value.get(tag)) if isinstance(value, Mapping) else None
    if convert is None:
        raise ValueError(f"unknown {tag}: {value.get(tag) if isinstance(value, Mapping) else value!r}")
    return convert(value)

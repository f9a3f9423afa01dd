"""JSON as plain Python values: the one definition every layer's type hints use, and the one
strict reader and writer every layer uses.

Strict means RFC 8259 and nothing more, in both directions:

- ``loads`` refuses ``NaN``, ``Infinity`` and ``-Infinity`` (Python's extensions), numbers
  too large to be finite (``1e999``), integers of more digits than Python converts
  (``MAX_INT_DIGITS``) and nesting deeper than ``MAX_DEPTH``, each with a ``JsonError`` that
  says what and where (line and column);
- ``dumps`` never writes ``NaN`` or ``Infinity``: a non-finite float is a ``JsonError``
  naming where in the value it is (``$.spec.variables.k.value``), never invalid output.

``find_non_finite`` and ``find_too_deep`` check values that did not come through ``loads``
(YAML, pydantic models) by the same rules. Pure standard library; iterative, so a hostile
value cannot exhaust the stack.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import Any

JsonScalar = str | int | float | bool | None
# Recursive JSON as it arrives from the wire or a file; pydantic.JsonValue is the same shape.
Json = JsonScalar | list["Json"] | dict[str, "Json"]

MAX_DEPTH = 128
# Python refuses to convert longer digit strings (sys.int_info.default_max_str_digits).
MAX_INT_DIGITS = getattr(sys.int_info, "default_max_str_digits", 4300) or 4300


class JsonError(ValueError):
    """Text that is not strict JSON, or a value that cannot be written as strict JSON."""


class NumberError(JsonError):
    """A JSON number that Python cannot carry: too large to be finite (``1e999``), or an
    integer of too many digits. (``NaN`` and ``Infinity`` are not JSON numbers at all.)"""


def _refuse_constant(name: str) -> Any:
    raise JsonError(f"{name} is not a JSON number (RFC 8259 allows only finite numbers)")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NumberError(f"the number {_short(text)} is too large to be finite")
    return value


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise NumberError(f"an integer of {digits} digits is too long (at most "
                          f"{MAX_INT_DIGITS})")
    return int(text)


def parse_number(text: str) -> int | float:
    """A JSON number's text (``-?digits[.digits][e±digits]``) as int or float, by the rules of
    ``loads``: ``NumberError`` when it is not finite or has too many digits."""
    if any(mark in text for mark in ".eE"):
        return _parse_float(text)
    return _parse_int(text)


def _short(text: str) -> str:
    return text if len(text) <= 24 else text[:20] + "..."


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH,
          object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None) -> Any:
    """Parse strict JSON; raise ``JsonError`` (a ``ValueError``) saying what and where."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonError(f"not valid UTF-8 (byte 0x{text[exc.start]:02x} at offset "
                            f"{exc.start})") from None
    text = text.removeprefix("\ufeff")
    _check_text_depth(text, max_depth)
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_parse_float,
                          parse_int=_parse_int, object_pairs_hook=object_pairs_hook)
    except JsonError:
        raise
    except json.JSONDecodeError as exc:
        raise JsonError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise JsonError(f"nesting deeper than {max_depth} levels is refused") from None
    except ValueError as exc:  # e.g. a hook's own refusal
        raise JsonError(str(exc)) from None


def _check_text_depth(text: str, max_depth: int) -> None:
    """Refuse nesting past ``max_depth`` before parsing, in one pass that skips strings."""
    if text.count("[") + text.count("{") <= max_depth:
        return
    depth, at, end = 0, 0, len(text)
    line = 1
    while at < end:
        char = text[at]
        if char == '"':
            at += 1
            while at < end and text[at] != '"':
                at += 2 if text[at] == "\\" else 1
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                column = at - text.rfind("\n", 0, at)
                raise JsonError(f"nesting deeper than {max_depth} levels is refused "
                                f"(line {line} column {column})")
        elif char in "]}":
            depth -= 1
        elif char == "\n":
            line += 1
        at += 1


def dumps(value: Any, *, indent: int | None = None, sort_keys: bool = False,
          ensure_ascii: bool = False, compact: bool = False) -> str:
    """Strict JSON text of ``value``; ``compact`` drops the spaces after ``,`` and ``:``."""
    try:
        return json.dumps(value, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii,
                          separators=(",", ":") if compact else None, allow_nan=False)
    except ValueError:
        where = find_non_finite(value)
        if where is None:
            raise
        raise JsonError(f"{where} is not a finite number; JSON cannot carry it") from None
    except RecursionError:
        raise JsonError(f"the value is nested deeper than JSON output allows "
                        f"({find_too_deep(value, MAX_DEPTH) or '$'})") from None


def _step(path: str, key: Any) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"


def find_non_finite(value: Any, root: str = "$") -> str | None:
    """The path of the first NaN or infinite float inside ``value``, or None."""
    stack: list[tuple[str, Any]] = [(root, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return path
        elif isinstance(item, dict):
            stack.extend((_step(path, key), child) for key, child in reversed(item.items()))
        elif isinstance(item, (list, tuple)):
            stack.extend((_step(path, index), child)
                         for index, child in reversed(list(enumerate(item))))
    return None


def find_too_deep(value: Any, max_depth: int = MAX_DEPTH, root: str = "$") -> str | None:
    """The path where ``value`` first nests deeper than ``max_depth``, or None."""
    stack: list[tuple[str, Any, int]] = [(root, value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if isinstance(item, (dict, list, tuple)):
            if depth >= max_depth:
                return path
            children = item.items() if isinstance(item, dict) else enumerate(item)
            stack.extend((_step(path, key), child, depth + 1) for key, child in children)
    return None

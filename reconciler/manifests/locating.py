"""Turn pydantic validation errors into (field path, message) pairs a person can act on.

Pydantic reports a ``loc`` (``("spec", "patterns", 0)``) and a terse message. We add the
field path to the message, name unknown fields with a "did you mean", say which field is
missing, show the offending value for enum and pattern errors, and follow the
``cogctl_rule`` convention of ``models`` (``ctx["at"]`` extends the ``loc``).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Iterable
from typing import Any

import pydantic

from reconciler import jsontypes
from reconciler.manifests import parsing

_IDENTIFIER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")

_SHOW_INPUT = frozenset({"literal_error", "string_pattern_mismatch", "enum", "url_parsing"})


@dataclasses.dataclass(frozen=True)
class Located:
    """One problem: where (a field path, and whether it is the key or the value) and what."""

    path: parsing.FieldPath
    at_key: bool
    message: str


def format_path(path: Iterable[str | int]) -> str:
    """The one way a field path is written: ``("spec", "cases", 0, "id")`` ->
    ``spec.cases[0].id``; a key that is not an identifier is quoted (``labels["team name"]``).
    """
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += "[" + jsontypes.dumps(part) + "]"
    return text


def _models_in(annotation: Any) -> list[type[pydantic.BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _models_in(args[0])
    if origin in (typing.Union, types.UnionType):
        return [model for arg in args for model in _models_in(arg)]
    return []


def _model_at(model: type[pydantic.BaseModel], path: parsing.FieldPath) -> Any:
    """The model class (or container annotation) that ``path`` leads to, if it can tell."""
    current: Any = model
    for part in path:
        if isinstance(current, type) and issubclass(current, pydantic.BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        else:
            origin = typing.get_origin(current)
            args = typing.get_args(current)
            if origin is typing.Annotated:
                current = args[0]
                origin, args = typing.get_origin(current), typing.get_args(current)
            if origin in (list, dict) and args:
                current = args[-1]
            else:
                return None
        candidates = _models_in(current)
        if len(candidates) == 1:
            current = candidates[0]
    return current


def _unknown_field(model: type[pydantic.BaseModel], path: parsing.FieldPath) -> str:
    name = str(path[-1])
    owner = _model_at(model, path[:-1])
    where = f" in {format_path(path[:-1])}" if path[:-1] else ""
    if not (isinstance(owner, type) and issubclass(owner, pydantic.BaseModel)):
        return f"unknown field {name!r}{where}"
    allowed = list(owner.model_fields)
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
    return f"unknown field {name!r}{where} ({hint})"


def _did_you_mean(kind: str, error: Any) -> str:
    """`` (did you mean 'bestMatch'?)`` for a mistyped enum value, else ''."""
    if kind not in ("literal_error", "enum") or not isinstance(error.get("input"), str):
        return ""
    expected = str(error.get("ctx", {}).get("expected", ""))
    choices = re.findall(r"'([^']*)'", expected)
    by_fold = {choice.casefold(): choice for choice in choices}
    close = difflib.get_close_matches(error["input"].casefold(), list(by_fold), n=1, cutoff=0.6)
    return f" (did you mean {by_fold[close[0]]!r}?)" if close else ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(error: Any, path: parsing.FieldPath, model: type[pydantic.BaseModel]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_field(model, path)
    if kind == "missing":
        where = format_path(path[:-1])
        return f"{where + ': ' if where else ''}missing required field {str(path[-1])!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    shown = kind in _SHOW_INPUT or kind.endswith("_type")
    if shown and "input" in error and not isinstance(error["input"], (dict, list)):
        message += f", got {_short(error.get('input'))}"
        message += _did_you_mean(kind, error)
    label = format_path(path)
    return f"{label}: {message}" if label else message


def explain(exc: pydantic.ValidationError, model: type[pydantic.BaseModel]) -> list[Located]:
    """One ``Located`` per distinct problem of ``exc``, raised validating ``model``."""
    found: list[Located] = []
    seen: set[parsing.FieldPath] = set()
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        at_key = bool(loc) and loc[-1] == "[key]"
        path: parsing.FieldPath = loc[:-1] if at_key else loc
        if error["type"] == "cogctl_rule":
            path = (*path, *error["ctx"]["at"])
        if error["type"] == "extra_forbidden":
            at_key = True
        if path in seen:
            continue  # one message per place: unions repeat themselves
        seen.add(path)
        found.append(Located(path, at_key, _message(error, path, model)))
    return found


def position(doc: parsing.ParsedDocument, path: parsing.FieldPath, *,
             at_key: bool = False) -> parsing.Position:
    """Where ``path`` was written; the nearest written ancestor when it was not."""
    if at_key and path in doc.keys:
        return doc.keys[path]
    if path in doc.values:
        return doc.values[path]
    for end in range(len(path) - 1, -1, -1):
        prefix = path[:end]
        found = doc.keys.get(prefix) or doc.values.get(prefix)
        if found is not None:
            return found
    return (doc.line, doc.column)

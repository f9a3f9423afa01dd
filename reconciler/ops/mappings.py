"""An integration's request and response mappings, as pure functions over JSON.

Request mapping (``spec.requestMapping``), applied to a sample payload:
- The payload stands for what the bot knows at run time, its keys being slot values. Strings
  may hold ``{{ expr }}`` placeholders, ``expr`` a JMESPath expression over the root
  ``{"slots": payload, "payload": payload, **payload}``: ``{{slots.email}}``,
  ``{{payload.email}}`` and ``{{email}}`` all name the payload's ``email`` (a payload with
  its own ``slots`` or ``payload`` key keeps it). A string that is exactly one placeholder
  takes the value itself (a number stays a number); a placeholder inside longer text is
  replaced by the value's text (strings verbatim, other values as compact JSON, nothing for
  null). Objects and lists map item by item. Expressions that find nothing are listed in
  ``MappedRequest.unresolved``.
- The mapped object's keys ``query`` (an object: URL query parameters), ``headers`` (an
  object: extra request headers) and ``body`` (the JSON body) are taken as they are. Any
  other key is a query parameter for GET and DELETE, and a field of the JSON body otherwise.

Response mapping (``spec.responseMapping``): ``extract`` (JMESPath) selects from the JSON
answer (no expression: the whole answer), then ``normalize``:
- ``none``: unchanged;
- ``flatten``: nested objects and lists become one object with dotted keys
  (``{"a": {"b": [1]}}`` -> ``{"a.b.0": 1}``); a scalar stays as it is;
- ``map_keys``: every object key, at any depth, becomes snake_case (``orderId`` ->
  ``order_id``, ``Order-Status`` -> ``order_status``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

import jmespath
import jmespath.exceptions

from reconciler import errors, jsontypes
from reconciler.core import livetypes as lt
from reconciler.manifests import rules

# The expression is anything up to the first "}}" (JMESPath itself may hold single braces).
_PLACEHOLDER = rules.PLACEHOLDER  # one definition: what validation treats as dynamic
_BODYLESS = frozenset({"GET", "DELETE"})


def _search(expression: str, data: lt.Json) -> lt.Json:
    try:
        return cast(lt.Json, jmespath.search(expression, data))
    except jmespath.exceptions.JMESPathError as exc:
        raise errors.ConfigError(f"JMESPath expression {expression!r}: {exc}") from None


def _text(value: lt.Json) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else jsontypes.dumps(value, compact=True)


def root_of(payload: Mapping[str, lt.Json]) -> dict[str, lt.Json]:
    """What placeholders are evaluated against (see the module docstring)."""
    return {"slots": dict(payload), "payload": dict(payload), **payload}


def fill(template: lt.Json, data: lt.Json, unresolved: list[str] | None = None) -> lt.Json:
    """``template`` with every ``{{ expr }}`` evaluated against ``data``.

    Expressions that evaluate to null are appended to ``unresolved`` when it is given.
    """

    def value_of(expression: str) -> lt.Json:
        found = _search(expression, data)
        if found is None and unresolved is not None and expression not in unresolved:
            unresolved.append(expression)
        return found

    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            return value_of(whole.group(1))
        return _PLACEHOLDER.sub(lambda m: _text(value_of(m.group(1))), template)
    if isinstance(template, list):
        return [fill(item, data, unresolved) for item in template]
    if isinstance(template, dict):
        return {key: fill(value, data, unresolved) for key, value in template.items()}
    return template


@dataclass(frozen=True)
class MappedRequest:
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: lt.Json = None
    unresolved: tuple[str, ...] = ()


def _object(value: lt.Json, where: str) -> dict[str, lt.Json]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise errors.ConfigError(f"requestMapping.{where} must map to an object")
    return value


def map_request(
    mapping: Mapping[str, lt.Json], payload: Mapping[str, lt.Json], *, method: str
) -> MappedRequest:
    """The query, headers and body that ``mapping`` makes of ``payload``."""
    unresolved: list[str] = []
    filled = _object(fill(dict(mapping), root_of(payload), unresolved), "")
    query = {k: _text(v) for k, v in _object(filled.pop("query", None), "query").items()}
    headers = {k: _text(v) for k, v in _object(filled.pop("headers", None), "headers").items()}
    body = filled.pop("body", None)
    if method in _BODYLESS:
        if body is not None:
            raise errors.ConfigError(f"requestMapping.body is not allowed with {method}")
        query.update({k: _text(v) for k, v in filled.items()})
    elif filled:
        body = {**_object(body, "body"), **filled}
    return MappedRequest(query=query, headers=headers, body=body, unresolved=tuple(unresolved))


def _flatten(value: lt.Json, prefix: str, into: dict[str, lt.Json]) -> None:
    items: list[tuple[str, lt.Json]]
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        into[prefix] = value
        return
    if not items and prefix:
        into[prefix] = value
    for key, item in items:
        _flatten(item, f"{prefix}.{key}" if prefix else key, into)


def snake_case(key: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", key)
    return re.sub(r"[^A-Za-z0-9]+", "_", spaced).strip("_").lower() or key


def _map_keys(value: lt.Json) -> lt.Json:
    if isinstance(value, dict):
        return {snake_case(k): _map_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_keys(v) for v in value]
    return value


def map_response(body: lt.Json, *, extract: str | None, normalize: str) -> lt.Json:
    """Extract with JMESPath, then normalize (see the module docstring)."""
    selected = body if not extract else _search(extract, body)
    if normalize == "flatten":
        if not isinstance(selected, (dict, list)):
            return selected
        flat: dict[str, lt.Json] = {}
        _flatten(selected, "", flat)
        return flat
    if normalize == "map_keys":
        return _map_keys(selected)
    return selected


def missing_keys(result: lt.Json, keys: list[str]) -> list[str]:
    """Expected keys absent from a mapped result.

    A key is found when it is a key of the result object, or a dotted path into it; for a
    list of objects, when every element has it (an empty list has none).
    """
    rows = result if isinstance(result, list) else [result]
    return [key for key in keys if not rows or not all(_has(row, key) for row in rows)]


def _has(value: lt.Json, key: str) -> bool:
    if isinstance(value, dict) and key in value:
        return True
    for part in key.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False
    return True

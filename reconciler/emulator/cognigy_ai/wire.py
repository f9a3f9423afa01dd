"""Cognigy.AI's wire conventions, free of any web framework: RFC 7807 errors with Cognigy's
``code``s, cursor-style list pages, entity meta, body validation.

Error bodies are ``{type, title, detail, instance, status, traceId, code, details}`` (the
client's ``toRFC7807Response``); the client picks its error class from ``code``. Lists answer
``{items, total, nextCursor, previousCursor}``; ``limit`` is clamped to 1..100 (default 25),
``skip`` to 0 or more; ``next``/``previous`` are the opaque cursors of a previous page;
``sort=field:asc|desc[,...]``; ``filter`` is a case-insensitive name substring; any other
query parameter naming a top-level scalar field of the items filters by equality.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from pydantic import JsonValue

MAX_LIMIT = 100
DEFAULT_LIMIT = 25
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large",
          429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
          503: "Service Unavailable", 504: "Gateway Timeout"}
# Query parameters that scope or shape a request rather than filter the items.
RESERVED = frozenset({"limit", "skip", "next", "previous", "sort", "filter", "projectId",
                      "api_key", "includeFeedbackReport", "preferredLocaleId", "metaOnly",
                      "ignoreOwnership", "includeChildren", "parent"})


@dataclass
class Answer:
    status: int
    body: JsonValue = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """An RFC 7807 error answer; ``code`` is Cognigy's error code (defaults to the status)."""

    def __init__(self, status: int, detail: str, *, code: int | None = None,
                 headers: Mapping[str, str] | None = None,
                 details: Mapping[str, JsonValue] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = status if code is None else code
        self.headers = dict(headers or {})
        self.details = dict(details or {})

    def answer(self, instance: str = "", trace: str = "") -> Answer:
        body: dict[str, JsonValue] = {
            "type": "about:blank", "title": TITLES.get(self.status, "Error"),
            "detail": self.detail, "instance": instance, "status": self.status,
            "traceId": trace or f"api--{uuid.uuid4()}", "code": self.code,
            "details": dict(self.details),
        }
        return Answer(self.status, body, {**self.headers,
                                          "Content-Type": "application/problem+json"})


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, f"{what} {ident!r} not found", code=1002)


def invalid(name: str, message: str) -> ApiError:
    return ApiError(400, f"{name}: {message}", code=1005, details={"field": name})


def missing(name: str) -> ApiError:
    return ApiError(400, f"{name}: is required", code=1000, details={"field": name})


def conflict(message: str) -> ApiError:
    return ApiError(409, message, code=1004)


def json_size(value: JsonValue) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def reference_id(mongo_id: str) -> str:
    """The referenceId the emulator gives an object it creates (stable per ``_id``)."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, "cognigy-ai/" + mongo_id))


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def as_object(body: JsonValue, name: str = "(body)") -> dict[str, JsonValue]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise invalid(name, "must be a JSON object")
    return body


# Field kinds of ``fields``: a JSON type check per kind.
_CHECKS: dict[str, Callable[[JsonValue], bool]] = {
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "num": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "obj": lambda v: isinstance(v, dict),
    "list": lambda v: isinstance(v, list),
    "strlist": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "any": lambda v: True,
}
_NAMES = {"str": "a string", "bool": "a boolean", "int": "an integer", "num": "a number",
          "obj": "an object", "list": "an array", "strlist": "an array of strings",
          "any": "any value"}


def fields(body: JsonValue, spec: Mapping[str, str], *, required: Sequence[str] = (),
           ignore: Sequence[str] = ()) -> dict[str, JsonValue]:
    """The body's fields checked against ``spec`` (name -> kind); unknown keys (other than
    ``ignore``, e.g. path ids the official client repeats in the body) are a 400."""
    data = as_object(body)
    out: dict[str, JsonValue] = {}
    for key, value in data.items():
        if key in ignore:
            continue
        kind = spec.get(key)
        if kind is None:
            raise invalid(key, "is not a known field here")
        if not _CHECKS[kind](value):
            raise invalid(key, f"must be {_NAMES[kind]}")
        out[key] = value
    for key in required:
        if key not in out:
            raise missing(key)
    return out


def name_of(values: Mapping[str, JsonValue], key: str = "name") -> str:
    name = values.get(key)
    if not isinstance(name, str) or not name.strip():
        raise invalid(key, "must be a non-empty string")
    return name


def _int(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid(name, "must be an integer") from None


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"skip": offset}).encode()).decode().rstrip("=")


def _decode_cursor(name: str, text: str) -> int:
    try:
        padded = text + "=" * (-len(text) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = value["skip"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise invalid(name, "is not a cursor of this list") from None
    if not isinstance(offset, int) or offset < 0:
        raise invalid(name, "is not a cursor of this list")
    return offset


def _sort_key(name: str) -> Callable[[dict[str, JsonValue]], tuple[int, float, str]]:
    def key(item: dict[str, JsonValue]) -> tuple[int, float, str]:
        value = item.get(name)
        if value is None:
            return (2, 0.0, "")
        if isinstance(value, bool):
            return (0, float(value), "")
        if isinstance(value, (int, float)):
            return (0, float(value), "")
        return (1, 0.0, value if isinstance(value, str) else json.dumps(value))
    return key


def page(items: Sequence[dict[str, JsonValue]], query: Mapping[str, str]) -> dict[str, JsonValue]:
    """One page of already-rendered ``items``, filtered and sorted as the query asks."""
    chosen = list(items)
    text = query.get("filter")
    if text:
        needle = text.casefold()
        chosen = [i for i in chosen if needle in str(i.get("name", "")).casefold()]
    for key, wanted in query.items():
        if key in RESERVED or key.endswith("[]"):
            continue
        chosen = [i for i in chosen if key in i and _scalar_text(i[key]) == wanted]
    sort = query.get("sort")
    if sort:
        for part in reversed(sort.split(",")):
            name, _, direction = part.partition(":")
            if direction not in ("", "asc", "desc") or not name:
                raise invalid("sort", f"{part!r} is not field:asc or field:desc")
            chosen.sort(key=_sort_key(name), reverse=direction == "desc")
    limit = min(MAX_LIMIT, max(1, _int(query, "limit", DEFAULT_LIMIT)))
    skip = max(0, _int(query, "skip", 0))
    if query.get("next"):
        skip = _decode_cursor("next", query["next"])
    elif query.get("previous"):
        skip = _decode_cursor("previous", query["previous"])
    window = chosen[skip: skip + limit]
    return {
        "items": cast("list[JsonValue]", window),
        "total": len(chosen),
        "nextCursor": _cursor(skip + limit) if skip + limit < len(chosen) else None,
        "previousCursor": _cursor(max(0, skip - limit)) if skip > 0 else None,
    }


def _scalar_text(value: JsonValue) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def flag(query: Mapping[str, str], name: str) -> bool:
    return query.get(name, "").lower() in ("true", "1")

"""The contract's wire conventions, free of any web framework: answers, errors, pagination,
ETags, timestamps and validation details.

Handlers return an ``Answer`` or raise ``ApiError``; the pipeline (``dispatching``) turns both
into HTTP responses, so every error body has the contract's shape
``{"error", "message", "details"}`` plus the extra keys an error carries (``currentVersion``,
``id``, ``scope``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

from pydantic import JsonValue, ValidationError

from reconciler import jsontypes

T = TypeVar("T")


@dataclass
class Answer:
    status: int
    body: JsonValue = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """An error answer. ``extra`` keys are merged into the body next to ``error``."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        details: Sequence[Mapping[str, str]] = (),
        extra: Mapping[str, JsonValue] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.details = [dict(d) for d in details]
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def answer(self) -> Answer:
        body: dict[str, JsonValue] = {"error": self.error, "message": self.message}
        body["details"] = [dict(d) for d in self.details]
        body.update(self.extra)
        return Answer(self.status, body, dict(self.headers))


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} {ident!r} does not exist")


def name_conflict(what: str, bot_id: str, name: str, other_id: str) -> ApiError:
    """``409 name_conflict``: names are unique per bot; carries the holder's ``id``."""
    return ApiError(409, "name_conflict",
                    f"bot {bot_id!r} already has {what} named {name!r} ({other_id})",
                    extra={"id": other_id})


def invalid(field_name: str, message: str) -> ApiError:
    return ApiError(
        400, "validation_error", f"{field_name}: {message}",
        details=[{"field": field_name, "message": message}],
    )


def from_validation_error(exc: ValidationError) -> ApiError:
    """pydantic's errors as ``400 validation_error`` with one detail per problem."""
    details = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(part) for part in err["loc"]) or "(body)"
        message = str(err["msg"]).removeprefix("Value error, ")
        details.append({"field": where, "message": message})
    first = details[0] if details else {"field": "(body)", "message": "invalid"}
    summary = f"{first['field']}: {first['message']}"
    if len(details) > 1:
        summary += f" (and {len(details) - 1} more)"
    return ApiError(400, "validation_error", summary, details=details)


def timestamp(seconds: float) -> str:
    """RFC 3339 UTC with milliseconds, e.g. ``2026-11-22T00:18:12.345Z``."""
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def etag(version: str) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def parse_etag(value: str | None) -> str | None:
    """``"7"``, ``W/"7"`` and bare ``7`` all name version ``7``; None when absent (whether a
    weak tag may match is ``check_if_match``'s decision)."""
    if value is None:
        return None
    text = value.strip()
    text = text.removeprefix("W/")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return text


def check_if_match(header: str | None, current: str) -> None:
    """A stale ``If-Match`` -> ``409 version_conflict`` naming the current version.

    ``If-Match`` compares strongly (RFC 9110 13.1.1): a weak tag (``W/"7"``) never matches.
    """
    wanted = parse_etag(header)
    if header is not None and header.strip().startswith("W/"):
        raise ApiError(
            409, "version_conflict",
            f"a weak entity tag ({header.strip()}) never satisfies If-Match; send the ETag "
            f"as given: the current version is {current!r}",
            extra={"currentVersion": current}, headers=etag(current),
        )
    if wanted is None or wanted == "*" or wanted == current:
        return
    raise ApiError(
        409, "version_conflict",
        f"version {wanted!r} is not current; the current version is {current!r}",
        extra={"currentVersion": current}, headers=etag(current),
    )


def page_params(query: Mapping[str, str]) -> tuple[int, int]:
    """``limit`` 1..100 (default 25) and ``offset`` >= 0, else ``400 validation_error``."""
    limit = _int_param(query, "limit", 25)
    offset = _int_param(query, "offset", 0)
    if not 1 <= limit <= 100:
        raise invalid("limit", "must be between 1 and 100")
    if offset < 0:
        raise invalid("offset", "must be 0 or more")
    return limit, offset


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid(name, "must be an integer") from None


def page(
    items: Sequence[T], query: Mapping[str, str], render: Callable[[T], JsonValue]
) -> dict[str, JsonValue]:
    """One page of ``items``; only the page is rendered (lists can hold thousands)."""
    limit, offset = page_params(query)
    return {
        "data": [render(item) for item in items[offset : offset + limit]],
        "total": len(items),
        "limit": limit,
        "offset": offset,
    }


def json_size(value: JsonValue) -> int:
    """Bytes of the compact UTF-8 JSON encoding: the unit of the context size limits."""
    text = jsontypes.dumps(value, compact=True, sort_keys=True)
    return len(text.encode("utf-8"))


def body_hash(value: JsonValue) -> str:
    text = jsontypes.dumps(value, compact=True, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def require_object(body: object) -> dict[str, JsonValue]:
    if not isinstance(body, dict):
        raise invalid("(body)", "must be a JSON object")
    return cast("dict[str, JsonValue]", body)

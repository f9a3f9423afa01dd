"""Session variables: typed values and a scope-resolved snapshot of one bot session.

The platform sends every value as a string. ``coerce`` turns it into the JSON value it
spells, by these rules and no others:

=================================  =====================================================
string                             becomes
=================================  =====================================================
``true`` / ``false``               boolean (exactly these spellings)
``-?(0|[1-9][0-9]*)``              integer (``007``, ``+5``, ``1_000`` stay strings)
a finite JSON number               float (``1.5``, ``-2e3``; ``NaN``, ``inf`` stay strings)
a JSON number we cannot carry      an error naming the variable (``1e999``; an integer of
                                   more than 4300 digits): never a guess, never invalid JSON
a JSON object or array             the parsed object or array (``NaN`` inside is refused)
anything else                      the string itself (``null``, ``"quoted"``, ``yes``)
=================================  =====================================================

Variables are resolved by ``scoping.resolve``: the narrowest scope wins and the snapshot
names the scopes a winner shadowed. Names starting with ``_`` are system variables.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from reconciler import errors, jsontypes
from reconciler.backend import base
from reconciler.clock import Clock
from reconciler.core import livetypes as lt
from reconciler.core import scoping

API_SCOPES: tuple[str, ...] = ("global", "bot", "user", "session")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")


def loads_strict(text: str) -> lt.Json:
    """Strict RFC 8259 JSON (``jsontypes.loads``); raises ValueError."""
    parsed: lt.Json = jsontypes.loads(text)
    return parsed


def parse_json_container(text: str) -> lt.Json | None:
    """The object or array ``text`` spells in strict JSON, else None (scalars are not parsed)."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[":
        return None
    try:
        parsed = loads_strict(stripped)
    except jsontypes.NumberError:
        raise
    except ValueError:
        return None
    return parsed if isinstance(parsed, (dict, list)) else None


def coerce(raw: str) -> lt.Json:
    """The typed value a platform string spells, by the table in the module docstring."""
    if raw in ("true", "false"):
        return raw == "true"
    if _NUMBER.match(raw):  # NumberError when not finite or too long
        return jsontypes.parse_number(raw)
    container = parse_json_container(raw)
    return raw if container is None else container


def type_name(value: lt.Json) -> str:
    """JSON Schema's name of a value's type."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "null" if value is None else "string"


@dataclass(frozen=True)
class Variable:
    """A resolved variable: its typed winning value and what it shadowed (narrowest first)."""

    name: str
    value: lt.Json
    raw: str
    scope: str
    system: bool
    shadowed: tuple[scoping.Shadowed, ...]

    @property
    def type(self) -> str:
        return type_name(self.value)

    def to_json(self) -> dict[str, lt.Json]:
        return {
            "name": self.name,
            "value": self.value,
            "type": self.type,
            "scope": self.scope,
            "system": self.system,
            "shadowed": [{"scope": s.scope, "value": s.value} for s in self.shadowed],
        }


@dataclass(frozen=True)
class Snapshot:
    session_id: str
    variables: tuple[Variable, ...]
    seconds: float

    def to_json(self) -> dict[str, lt.Json]:
        return {
            "sessionId": self.session_id,
            "variables": [v.to_json() for v in self.variables],
            "fetchSeconds": round(self.seconds, 4),
        }


def candidates(variables: list[lt.SessionVariable]) -> list[scoping.Candidate]:
    """Platform variables as resolver candidates, values coerced.

    A value that spells a number JSON cannot carry (``1e999``, 5000 digits) is the tenant's
    mistake: a ``BackendError`` naming the variable, never a crash or invalid JSON output.
    """
    found: list[scoping.Candidate] = []
    for v in variables:
        try:
            value = coerce(v["value"])
        except jsontypes.NumberError as exc:
            raise errors.BackendError(
                f"session variable {v['name']!r} ({v['scope']} scope): the tenant's value "
                f"cannot be read: {exc}"
            ) from None
        found.append(scoping.Candidate(name=v["name"], value=value, scope=v["scope"],
                                       source="session", system=v["name"].startswith("_")))
    return found


async def snapshot(
    backend: base.Backend,
    session_id: str,
    *,
    name: str | None = None,
    scope: str | None = None,
    include_system: bool = False,
    clock: Clock = time.monotonic,
) -> Snapshot:
    """Fetch every page of the filtered variables and resolve them by scope precedence."""
    if scope is not None and scope not in API_SCOPES:
        raise errors.ConfigError(
            f"unknown session variable scope {scope!r}", hint=f"use one of {', '.join(API_SCOPES)}"
        )
    started = clock()
    variables = await backend.get_session_variables(
        session_id, name=name, scope=scope, include_system=include_system
    )
    seconds = clock() - started
    resolved = scoping.resolve(candidates(variables))
    # The raw text of each winner, shown next to its typed value.
    raw: dict[tuple[str, str], str] = {(v["name"], v["scope"]): v["value"] for v in variables}
    return Snapshot(
        session_id=session_id,
        variables=tuple(
            Variable(
                name=r.name, value=r.value, raw=raw[(r.name, r.scope)],
                scope=r.scope, system=r.system, shadowed=r.shadowed,
            )
            for r in sorted(resolved.values(), key=lambda r: r.name)
        ),
        seconds=seconds,
    )

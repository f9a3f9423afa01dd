"""Conversation context: inject values with optimistic concurrency, render templates from it.

Injecting:
- ``KEY=VALUE`` arguments: the value is parsed as JSON where it parses (``42``, ``true``,
  ``{"a": 1}``, ``"text"``), else taken as a string (``hello world``). ``NaN`` and
  ``Infinity`` are not JSON and stay strings.
- Before anything is sent: keys match ``^[A-Za-z0-9_]+$`` and each entry as sent (value
  with its scope) is at most 10 KB as compact UTF-8 JSON; before the PATCH, the merged
  context (live plus injected) is at most 512 KB.
- Every value is written in the entry form ``{"value": v, "scope": s}`` (scope default
  ``conversation``), the form context defaults use, so one resolver serves both.
- PATCH carries ``If-Match`` with the version just read. On ``409 version_conflict`` another
  writer got there first: re-read, merge (the injected keys win, the rest is theirs), re-check
  the limits, wait a jittered moment and retry, at most ``attempts`` times.
- A backend whose conversation is a session written with its user and no version
  (``UserBoundContexts``: Cognigy.AI's inject) needs ``user_id``; values go as they are (the
  flow reads ``context.KEY``), only the scopes the session's context is (``conversation``,
  ``session``), in one request: the last writer wins, and the result says so.

Rendering fills ``{{name}}`` (or ``{{name.path}}`` into an object) from the context defaults of
the bot, the conversation's context and optionally a session's variables, all resolved by
``scoping.resolve``. Unknown placeholders stay as written and are listed.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from reconciler import errors, jsontypes
from reconciler.backend import base
from reconciler.clock import Sleep
from reconciler.core import livetypes as lt
from reconciler.core import scoping
from reconciler.manifests import models
from reconciler.ops import sessions

KEY_PATTERN = re.compile(r"[A-Za-z0-9_]+\Z")
SCOPES: tuple[str, ...] = ("global", "conversation", "user", "session")
DEFAULT_SCOPE = "conversation"
SESSION_SCOPES: tuple[str, ...] = ("conversation", "session")
LAST_WRITER_WINS = ("last writer wins: this api keeps no version of a session's context, so a "
                    "concurrent write of the same keys may be lost")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*\}\}")


def _json_bytes(value: object) -> int:
    return len(jsontypes.dumps(value, compact=True).encode("utf-8"))


def parse_value(text: str) -> lt.Json:
    """JSON where ``text`` parses as strict JSON, else the text itself."""
    try:
        return sessions.loads_strict(text)
    except jsontypes.NumberError as exc:
        raise ValueError(f"{exc}; quote it as a JSON string (\"...\") to send it as text") \
            from None
    except ValueError:
        return text


def parse_assignments(pairs: Sequence[str]) -> dict[str, lt.Json]:
    """``KEY=VALUE`` arguments as a mapping; every problem is reported at once."""
    found: dict[str, lt.Json] = {}
    problems: list[str] = []
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep:
            problems.append(f"{pair!r}: expected KEY=VALUE")
        elif not KEY_PATTERN.match(key):
            problems.append(f"{key!r}: a key is letters, digits and _ only")
        elif key in found:
            problems.append(f"{key!r}: given twice")
        else:
            try:
                found[key] = parse_value(text)
            except ValueError as exc:
                problems.append(f"{key!r}: {exc}")
    if not pairs:
        problems.append("nothing to inject: give at least one KEY=VALUE")
    if problems:
        raise errors.ConfigError("; ".join(problems))
    return found


def check_limits(values: Mapping[str, lt.Json], merged: Mapping[str, lt.Json]) -> None:
    """Refuse a value over 10 KB or a merged context over 512 KB (the platform's limits)."""
    for key, value in values.items():
        size = _json_bytes(value)
        limit = models.MAX_CONTEXT_VALUE_BYTES
        if size > limit:
            raise errors.ConfigError(
                f"value of {key!r} is {size} bytes as JSON; the limit is {limit}"
            )
    total = _json_bytes(merged)
    if total > models.MAX_CONTEXT_BYTES:
        raise errors.ConfigError(
            f"the context would be {total} bytes as JSON; the limit is {models.MAX_CONTEXT_BYTES}",
            hint="remove keys or inject smaller values",
        )


def entries(values: Mapping[str, lt.Json], scope: str) -> dict[str, lt.Json]:
    """Values in the entry form that is sent: ``{"value": v, "scope": scope}``."""
    if scope not in SCOPES:
        raise errors.ConfigError(f"unknown scope {scope!r}", hint=f"use one of {', '.join(SCOPES)}")
    return {key: {"value": value, "scope": scope} for key, value in values.items()}


@runtime_checkable
class UserBoundContexts(Protocol):
    """A backend whose conversation context is a session's, written with the session's user
    and no version to check (Cognigy.AI's ``context/inject``)."""

    async def inject_session_context(self, session_id: str, user_id: str,
                                     values: Mapping[str, lt.Json]) -> dict[str, lt.Json]: ...


@dataclass(frozen=True)
class InjectResult:
    """``last_writer_wins``: no version was checked (``previous_version`` and ``version``
    are then empty)."""

    conversation_id: str
    keys: tuple[str, ...]
    scope: str
    previous_version: str
    version: str
    attempts: int
    user_id: str | None = None
    last_writer_wins: bool = False

    def to_json(self) -> dict[str, lt.Json]:
        found: dict[str, lt.Json] = {
            "conversationId": self.conversation_id, "keys": list(self.keys),
            "scope": self.scope, "previousVersion": self.previous_version,
            "contextVersion": self.version, "attempts": self.attempts,
        }
        if self.last_writer_wins:
            found.update(userId=self.user_id, lastWriterWins=True, note=LAST_WRITER_WINS)
        return found


async def _inject_user_bound(backend: UserBoundContexts, conversation_id: str,
                             values: Mapping[str, lt.Json], *, scope: str,
                             user_id: str | None) -> InjectResult:
    if not user_id:
        raise errors.ConfigError(
            "this api writes a session's context with the session's user: give --user-id",
            hint="the user id is the one the channel sent with the conversation")
    if scope not in SESSION_SCOPES:
        raise errors.ConfigError(
            f"scope {scope} has no home in a session's context on this api",
            hint=f"use --scope {' or '.join(SESSION_SCOPES)}")
    check_limits(values, values)
    await backend.inject_session_context(conversation_id, user_id, values)
    return InjectResult(conversation_id=conversation_id, keys=tuple(values), scope=scope,
                        previous_version="", version="", attempts=1, user_id=user_id,
                        last_writer_wins=True)


async def inject(
    backend: base.Backend,
    conversation_id: str,
    values: Mapping[str, lt.Json],
    *,
    scope: str = DEFAULT_SCOPE,
    user_id: str | None = None,
    attempts: int = 5,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
) -> InjectResult:
    """PATCH ``values`` into the conversation's context with If-Match; retry 409s, merged.
    A ``UserBoundContexts`` backend injects them once with ``user_id`` instead."""
    if isinstance(backend, UserBoundContexts):
        return await _inject_user_bound(backend, conversation_id, values, scope=scope,
                                        user_id=user_id)
    if user_id is not None:
        raise errors.ConfigError("--user-id is for api cognigy-ai, where a session's context "
                                 "is written with its user", hint="leave --user-id out here")
    rng = rng or random.Random()
    sent = entries(values, scope)
    check_limits(sent, sent)
    for attempt in range(1, attempts + 1):
        live = await backend.get_conversation_context(conversation_id)
        check_limits(sent, {**live["context"], **sent})
        try:
            answer = await backend.patch_conversation_context(
                conversation_id, sent, if_match=live["contextVersion"]
            )
        except errors.VersionConflictError:
            if attempt == attempts:
                break
            # Full jitter, so racing writers do not retry in lockstep.
            await sleep(rng.uniform(0, 0.05 * 2**attempt))
            continue
        return InjectResult(
            conversation_id=conversation_id, keys=tuple(values), scope=scope,
            previous_version=live["contextVersion"], version=answer["contextVersion"],
            attempts=attempt,
        )
    raise errors.ConflictError(
        f"conversation {conversation_id}: the context changed under every one of {attempts} "
        "attempts (409 version_conflict)",
        hint="another writer is busy with it; run the command again",
    )


@dataclass(frozen=True)
class Rendered:
    text: str
    used: Mapping[str, scoping.Resolved]
    unknown: tuple[str, ...]

    def to_json(self) -> dict[str, lt.Json]:
        return {
            "text": self.text,
            "used": {k: {"value": r.value, "scope": r.scope, "source": r.source}
                     for k, r in self.used.items()},
            "unknown": list(self.unknown),
        }


def _lookup(resolved: Mapping[str, scoping.Resolved], path: str) -> tuple[bool, lt.Json]:
    head, *rest = path.split(".")
    if head not in resolved:
        return False, None
    value = resolved[head].value
    for part in rest:
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def render(template: str, resolved: Mapping[str, scoping.Resolved]) -> Rendered:
    """Fill placeholders; strings verbatim, other values as compact JSON. Pure."""
    used: dict[str, scoping.Resolved] = {}
    unknown: list[str] = []

    def fill(match: re.Match[str]) -> str:
        path = match.group(1)
        found, value = _lookup(resolved, path)
        if not found:
            if path not in unknown:
                unknown.append(path)
            return match.group(0)
        used[path.split(".")[0]] = resolved[path.split(".")[0]]
        return value if isinstance(value, str) else jsontypes.dumps(value, compact=True)

    return Rendered(text=_PLACEHOLDER.sub(fill, template), used=used, unknown=tuple(unknown))


async def gather_candidates(
    backend: base.Backend,
    conversation_id: str,
    *,
    bot_id: str | None = None,
    session_id: str | None = None,
) -> list[scoping.Candidate]:
    """Every value a template may use, broadest source first."""
    found: list[scoping.Candidate] = []
    if bot_id is not None:
        defaults = await backend.get_context(bot_id)
        entries: dict[str, lt.Json] = {
            k: {"value": e["value"], "scope": e["scope"]} for k, e in defaults["context"].items()
        }
        found += scoping.candidates_from_entries(entries, source="bot context",
                                                 default_scope="bot")
    conversation = await backend.get_conversation_context(conversation_id)
    found += scoping.candidates_from_entries(
        conversation["context"], source="conversation", default_scope=DEFAULT_SCOPE
    )
    if session_id is not None:
        variables = await backend.get_session_variables(session_id, include_system=False)
        found += sessions.candidates(variables)
    return found


async def render_conversation(
    backend: base.Backend,
    template: str,
    conversation_id: str,
    *,
    bot_id: str | None = None,
    session_id: str | None = None,
) -> Rendered:
    """Render ``template`` against everything the conversation can see, narrowest scope first."""
    found: Iterable[scoping.Candidate] = await gather_candidates(
        backend, conversation_id, bot_id=bot_id, session_id=session_id
    )
    return render(template, scoping.resolve(found))

"""The one scope-precedence resolver: the narrowest scope wins.

The platform contract settles the tutorials' disagreement with a single order,
``global < bot < user < conversation < session``, for every resolver: session variables,
conversation context and template rendering all come through ``resolve``. When the same name
is set in several scopes, the narrowest one wins and the others are *shadowed*; when it is set
twice in the same scope, the later candidate wins (sources are given broadest-first, e.g. the
bot's context defaults before the conversation's own context).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler import errors
from reconciler.core import livetypes as lt

ORDER: tuple[str, ...] = ("global", "bot", "user", "conversation", "session")
_RANK = {scope: rank for rank, scope in enumerate(ORDER)}


@dataclass(frozen=True)
class Candidate:
    """One value for ``name`` offered by ``source`` (e.g. ``session``, ``bot context``)."""

    name: str
    value: lt.Json
    scope: str
    source: str = ""
    system: bool = False


@dataclass(frozen=True)
class Shadowed:
    scope: str
    value: lt.Json
    source: str


@dataclass(frozen=True)
class Resolved:
    """The winning value of ``name``; ``shadowed`` lists the losers, narrowest first."""

    name: str
    value: lt.Json
    scope: str
    source: str
    system: bool
    shadowed: tuple[Shadowed, ...]


def rank(scope: str) -> int:
    """Position in the precedence order; an unknown scope is an error, never a guess."""
    try:
        return _RANK[scope]
    except KeyError:
        raise errors.CogctlError(
            f"unknown scope {scope!r}", hint=f"expected one of {', '.join(ORDER)}"
        ) from None


def resolve(candidates: Iterable[Candidate]) -> dict[str, Resolved]:
    """Resolve every name to its narrowest-scope value, keeping names in first-seen order."""
    grouped: dict[str, list[tuple[int, int, Candidate]]] = {}
    for position, candidate in enumerate(candidates):
        grouped.setdefault(candidate.name, []).append((rank(candidate.scope), position, candidate))
    resolved: dict[str, Resolved] = {}
    for name, offers in grouped.items():
        ordered = [c for _, _, c in sorted(offers, key=lambda o: (o[0], o[1]), reverse=True)]
        winner, losers = ordered[0], ordered[1:]
        resolved[name] = Resolved(
            name=name,
            value=winner.value,
            scope=winner.scope,
            source=winner.source,
            system=winner.system,
            shadowed=tuple(Shadowed(c.scope, c.value, c.source) for c in losers),
        )
    return resolved


def candidates_from_entries(
    entries: Mapping[str, lt.Json], *, source: str, default_scope: str
) -> list[Candidate]:
    """Context entries as candidates: ``{"value", "scope"}`` objects or plain values.

    Bot context defaults always use the entry form; conversation context may hold either,
    and a plain value belongs to ``default_scope`` (``conversation`` for a conversation).
    """
    found: list[Candidate] = []
    for name, entry in entries.items():
        if isinstance(entry, dict) and set(entry) == {"value", "scope"} and isinstance(
            entry["scope"], str
        ):
            scope = str(entry["scope"])
            found.append(Candidate(name, entry["value"], scope, source))
        else:
            found.append(Candidate(name, entry, default_scope, source))
    return found

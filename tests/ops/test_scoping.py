"""The one precedence resolver: global < bot < user < conversation < session."""

from __future__ import annotations

import itertools

import pytest

from reconciler import errors
from reconciler.core import scoping
from reconciler.jsontypes import Json

ORDER = ["global", "bot", "user", "conversation", "session"]


@pytest.mark.parametrize("scopes", list(itertools.permutations(ORDER, 3)))
def test_the_narrowest_scope_wins_whatever_the_order_of_arrival(scopes: tuple[str, ...]) -> None:
    candidates = [scoping.Candidate("x", f"from {s}", s, source=s) for s in scopes]
    resolved = scoping.resolve(candidates)["x"]
    narrowest = max(scopes, key=ORDER.index)
    assert resolved.scope == narrowest
    assert resolved.value == f"from {narrowest}"
    shadowed = [s.scope for s in resolved.shadowed]
    assert shadowed == sorted(set(scopes) - {narrowest}, key=ORDER.index, reverse=True)


@pytest.mark.parametrize(
    ("offers", "winner", "shadowed"),
    [
        ([("global", 1), ("session", 2)], ("session", 2), ["global"]),
        ([("user", 1), ("bot", 2)], ("user", 1), ["bot"]),
        # The session-variables tutorial ranked user above session; the contract does not.
        ([("session", "s"), ("user", "u")], ("session", "s"), ["user"]),
        # The context tutorial's code let global win; the contract does not.
        ([("conversation", "c"), ("global", "g")], ("conversation", "c"), ["global"]),
        # Same scope twice: the later source wins.
        ([("bot", "defaults"), ("bot", "override")], ("bot", "override"), ["bot"]),
    ],
)
def test_resolution_table(
    offers: list[tuple[str, Json]], winner: tuple[str, Json], shadowed: list[str]
) -> None:
    resolved = scoping.resolve(scoping.Candidate("k", v, s) for s, v in offers)["k"]
    assert (resolved.scope, resolved.value) == winner
    assert [s.scope for s in resolved.shadowed] == shadowed


def test_names_resolve_independently_and_keep_first_seen_order() -> None:
    resolved = scoping.resolve([
        scoping.Candidate("b", 1, "global"),
        scoping.Candidate("a", 2, "session"),
        scoping.Candidate("b", 3, "user"),
    ])
    assert list(resolved) == ["b", "a"]
    assert resolved["b"].value == 3
    assert resolved["a"].shadowed == ()


def test_an_unknown_scope_is_an_error_not_a_guess() -> None:
    with pytest.raises(errors.CogctlError, match="unknown scope 'tenant'"):
        scoping.resolve([scoping.Candidate("x", 1, "tenant")])


@pytest.mark.parametrize(
    ("entry", "value", "scope"),
    [
        ({"value": 5, "scope": "user"}, 5, "user"),
        ("plain", "plain", "conversation"),
        ({"value": 5}, {"value": 5}, "conversation"),
        ({"value": 5, "scope": "user", "extra": 1}, {"value": 5, "scope": "user", "extra": 1},
         "conversation"),
    ],
)
def test_context_entries_and_plain_values(entry: Json, value: Json, scope: str) -> None:
    (candidate,) = scoping.candidates_from_entries(
        {"k": entry}, source="conversation", default_scope="conversation"
    )
    assert (candidate.value, candidate.scope) == (value, scope)

"""Diffing: canonical hashes, field paths with before/after, list and map order."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core import diffing, plans
from reconciler.manifests import locating


@pytest.mark.parametrize(
    ("parts", "path"),
    [
        (["spec", "patterns", 0], "spec.patterns[0]"),
        (["labels", "team"], "labels.team"),
        (["spec", "headers", "X-Api-Key"], "spec.headers.X-Api-Key"),
        (["labels", "app.io/name"], 'labels["app.io/name"]'),
        (["variables", "a b", "value"], 'variables["a b"].value'),
        (["spec", "cases", 0, "id"], "spec.cases[0].id"),
        (["context", "tier\n"], 'context["tier\\n"]'),  # not an identifier: quoted
        ([], ""),
    ],
)
def test_format_path(parts: list[str | int], path: str) -> None:
    """One path format for diffs and for validation messages."""
    assert locating.format_path(parts) == path


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}, []),
        ({"spec": {"patterns": ["x", "y"]}}, {"spec": {"patterns": ["y", "x"]}},
         [("spec.patterns[0]", "x", "y"), ("spec.patterns[1]", "y", "x")]),
        ({"spec": {"patterns": ["x"]}}, {"spec": {"patterns": ["x", "z"]}},
         [("spec.patterns[1]", None, "z")]),
        ({"labels": {"a": "1"}}, {"labels": {"b": "1"}},
         [("labels.a", "1", None), ("labels.b", None, "1")]),
        ({"spec": {"dependencies": ["a", "b"]}}, {"spec": {"dependencies": ["b", "c"]}},
         [("spec.dependencies", ["a", "b"], ["b", "c"])]),
        ({"x": {"y": 1}}, {"x": None}, [("x", {"y": 1}, None)]),
        ({"n": [1] * 3 + [2]}, {"n": [1] * 3 + [3]}, [("n[3]", 2, 3)]),
        ({"p": list(range(12))}, {"p": [*range(10), 99, 11]}, [("p[10]", 10, 99)]),
        ({"t": 1}, {"t": "1"}, [("t", 1, "1")]),
    ],
    ids=["map-order", "list-order", "list-append", "map-keys", "set-like-whole",
         "to-null", "index", "natural-sort", "type-change"],
)
def test_field_diffs(before: Any, after: Any, expected: list[tuple[str, Any, Any]]) -> None:
    diffs = diffing.field_diffs(before, after)
    assert [(d.path, d.before, d.after) for d in diffs] == expected
    same = diffing.content_hash(before) == diffing.content_hash(after)
    assert same is (not expected)


def test_hash_is_canonical() -> None:
    assert diffing.content_hash({"b": 1.0, "a": "é"}) == diffing.content_hash({"a": "é", "b": 1})
    assert diffing.content_hash([1, 2]) != diffing.content_hash([2, 1])


@pytest.mark.parametrize(
    ("paths", "text"),
    [
        ([], "no field changed"),
        (["spec.url"], "spec.url changed"),
        (["a", "b", "c", "d", "e"], "a, b, c and 2 more changed"),
    ],
)
def test_describe(paths: list[str], text: str) -> None:
    assert diffing.describe(tuple(plans.FieldDiff(p, 1, 2) for p in paths)) == text

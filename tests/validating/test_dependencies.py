"""Dependency cycles between slots: found, each once, printed as a path from its first slot."""

from __future__ import annotations

import pytest

from reconciler.manifests import crossdoc, dependencies


@pytest.mark.parametrize(
    ("graph", "cycles"),
    [
        ({}, []),
        ({"a": [], "b": ["a"]}, []),
        ({"a": ["b"], "b": ["a"]}, [["a", "b", "a"]]),
        ({"a": ["b"], "b": ["c"], "c": ["a"]}, [["a", "b", "c", "a"]]),
        # reported from the node written first, whichever node the search enters by
        ({"x": ["b"], "c": ["b"], "b": ["c"]}, [["c", "b", "c"]]),
        ({"a": ["b"], "b": ["a"], "c": ["d"], "d": ["c"]}, [["a", "b", "a"], ["c", "d", "c"]]),
        ({"a": ["b", "c"], "b": ["c"], "c": []}, []),  # a diamond is not a cycle
        ({"a": ["missing"]}, []),  # unknown names are another rule's business
        ({"a": ["a"]}, [["a", "a"]]),
    ],
)
def test_find_cycles(graph: dict[str, list[str]], cycles: list[list[str]]) -> None:
    assert dependencies.find_cycles(graph) == cycles


def test_a_long_chain_does_not_exhaust_the_stack() -> None:
    size = 20_000
    graph = {f"s{i}": [f"s{i + 1}"] for i in range(size)}
    graph[f"s{size}"] = ["s0"]

    [cycle] = dependencies.find_cycles(graph)

    assert len(cycle) == size + 2
    assert cycle[0] == cycle[-1] == "s0"


def _slot(name: str | None, depends: list[str], *, line: int = 1,
          bot: str | None = "support") -> crossdoc.Outline:
    return crossdoc.Outline("Slot", bot, name, tuple(enumerate(depends)), "m.yaml", line, 1,
                            f"Slot/{bot}/{name}")


@pytest.mark.parametrize(
    ("slots", "invalid", "found"),
    [
        # a slot without a usable name still has its dependencies looked up
        ([_slot(None, ["a", "x"]), _slot("a", [], line=9)], set(),
         [(1, "depends on 'x', which is not a slot of bot 'support' (its slots: a)")]),
        ([_slot(None, ["x"])], set(),
         [(1, "depends on 'x', which is not a slot of bot 'support' (none of its slots has "
              "a valid name)")]),
        # without a usable bot there is nothing to look the dependencies up in
        ([_slot("a", ["x"], bot=None)], set(), []),
        # a slot depending on itself is its own rule's business, not a cycle
        ([_slot("a", ["a"])], set(), []),
        # a document that failed before it could be outlined still exists
        ([_slot("a", ["b"])], {("Slot", "support", "b")}, []),
        # a second slot of a name: its dependencies are looked up; the first is the node
        ([_slot("a", ["b"]), _slot("a", ["x"], line=9), _slot("b", ["a"], line=18)], set(),
         [(9, "depends on 'x', which is not a slot of bot 'support' (its slots: a, b)"),
          (1, "dependency cycle: a -> b -> a")]),
    ],
)
def test_check_dependencies_over_outlines(
    slots: list[crossdoc.Outline], invalid: set[tuple[str, str, str]],
    found: list[tuple[int, str]],
) -> None:
    diagnostics = dependencies.check_dependencies(slots, invalid=frozenset(invalid))

    assert [(d.line, d.message) for d in diagnostics] == found

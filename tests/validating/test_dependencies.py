"""Dependency cycles between slots: found, each once, printed as a path from its first slot."""

from __future__ import annotations

import pytest

from reconciler import dependencies


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

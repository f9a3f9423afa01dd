"""Slot dependencies across documents: every one names a slot of the same bot; no cycles.

The platform refuses a slot whose dependency does not exist yet and a cycle it cannot order,
so we refuse both before any API call. A cycle is reported once, at the slot of the cycle
written first, as the path ``a -> b -> c -> a``. Slots that failed their own checks take
part with the parts of them that are usable (``outlines``).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from reconciler.manifests import crossdoc, loading

_SHOWN = 8  # slot names listed when no close match exists


def _slots_by_bot(documents: Sequence[crossdoc.Outline]) -> dict[str, list[crossdoc.Outline]]:
    """Slots with a usable bot, by bot; those without one cannot be checked."""
    slots: dict[str, list[crossdoc.Outline]] = {}
    for outline in documents:
        if outline.kind == "Slot" and outline.bot is not None:
            slots.setdefault(outline.bot, []).append(outline)
    return slots


def _named(slots: Sequence[crossdoc.Outline]) -> dict[str, crossdoc.Outline]:
    """The slots with a usable name, by name, the first written where one is repeated."""
    named: dict[str, crossdoc.Outline] = {}
    for outline in slots:
        if outline.name is not None:
            named.setdefault(outline.name, outline)
    return named


def _unknown(
    bot: str, slots: Sequence[crossdoc.Outline], invalid: frozenset[tuple[str, str, str]]
) -> list[loading.Diagnostic]:
    found: list[loading.Diagnostic] = []
    named = _named(slots)
    for outline in slots:
        for index, name in outline.dependencies:
            if name in named or ("Slot", bot, name) in invalid:
                continue
            found.append(
                _at_dependency(
                    outline,
                    index,
                    f"depends on {name!r}, which is not a slot of bot {bot!r} "
                    f"({_suggest(name, sorted(named))})",
                )
            )
    return found


def _at_dependency(outline: crossdoc.Outline, index: int, message: str) -> loading.Diagnostic:
    """A diagnostic placed at ``spec.dependencies[index]`` of ``outline``."""
    line, column = outline.locate("spec", "dependencies", index)
    return loading.Diagnostic(outline.file, line, column, outline.address, message)


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    if not known:
        return "none of its slots has a valid name"
    shown = ", ".join(known[:_SHOWN])
    return f"its slots: {shown}" + (
        f" and {len(known) - _SHOWN} more" if len(known) > _SHOWN else ""
    )


def _rotated(loop: list[str], order: dict[str, int]) -> list[str]:
    """The closed path of ``loop`` starting at its node that comes first in ``order``."""
    start = min(range(len(loop)), key=lambda index: order[loop[index]])
    nodes = loop[start:] + loop[:start]
    return [*nodes, nodes[0]]


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Cycles of ``graph`` as node paths (``[a, b, a]``), each set of nodes once.

    Iterative depth-first search, nodes in insertion order, so the result is stable and a
    deep chain cannot exhaust the stack. Edges to nodes outside the graph are ignored.
    """
    order = {node: index for index, node in enumerate(graph)}
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for root in graph:
        if root in state:
            continue
        path: list[str] = [root]
        pending: list[list[str]] = [[n for n in graph[root] if n in graph]]
        state[root] = 1
        while path:
            if not pending[-1]:
                state[path.pop()] = 2
                pending.pop()
                continue
            node = pending[-1].pop(0)
            if state.get(node) == 1:
                cycle = _rotated(path[path.index(node) :], order)
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    cycles.append(cycle)
            elif node not in state:
                state[node] = 1
                path.append(node)
                pending.append([n for n in graph[node] if n in graph])
    return cycles


def check_dependencies(
    documents: Sequence[crossdoc.Outline],
    *,
    invalid: frozenset[tuple[str, str, str]] = frozenset(),
) -> list[loading.Diagnostic]:
    """Unknown dependencies and dependency cycles among the slots of each bot.

    ``documents`` are outlines, valid or not. Every slot with a usable bot has its
    dependencies looked up; only the first slot of each name is a node of the graph; a slot
    depending on itself is its own checks' business, not a cycle.
    """
    found: list[loading.Diagnostic] = []
    for bot, slots in _slots_by_bot(documents).items():
        found.extend(_unknown(bot, slots, invalid))
        named = _named(slots)
        graph = {name: [dependency for _, dependency in outline.dependencies
                        if dependency != name] for name, outline in named.items()}
        for cycle in find_cycles(graph):
            outline = named[cycle[0]]
            index = next(i for i, dependency in outline.dependencies if dependency == cycle[1])
            found.append(_at_dependency(outline, index, f"dependency cycle: {' -> '.join(cycle)}"))
    return found

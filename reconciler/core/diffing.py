"""Compare normalized contents: hash first, field-level diff only for what differs.

``content_hash`` is the versioned applied hash (``canonical.content_hash``: SHA-256 of the RFC 8785
canonical JSON) of a normalized content, so map order never matters; ``same_content`` decides
most unchanged objects without serialising them at all. ``field_diffs``
runs deepdiff only on objects whose hashes differ and reports paths in the manifests' own
notation (``spec.patterns[0]``, ``labels.team``, ``spec.headers["X-Api-Key"]``), each with
its before and after (None where the field is absent). Lists are compared in order, except
the set-like ones (``SET_LIKE``: already sorted by ``normalizing``), which are reported as a
whole so that adding one dependency does not read as every index shifting.
"""

from __future__ import annotations

import re
from typing import Any, cast

from pydantic import JsonValue

from reconciler.core import canonical, plans
from reconciler.manifests import locating

SET_LIKE = frozenset({"dependencies"})


def content_hash(content: JsonValue) -> str:
    """The applied hash of ``content``: ``v2:`` + hex SHA-256 of its RFC 8785 JSON."""
    return canonical.content_hash(content)


def same_content(before: JsonValue, after: JsonValue, *, textual: bool = False) -> bool:
    """A sufficient (not necessary) test that two contents hash alike, without hashing.

    Python equality of JSON values agrees with canonical JSON (maps compare as maps, ``1``
    equals ``1.0`` in both) except that ``True == 1``. ``textual``: the caller knows that
    ``after`` holds no numbers or booleans (the slot model types every field as text), so
    no such confusion can arise and equality is enough. Otherwise equal ``repr`` confirms
    it (same types, same key order); a map built in another order falls back to the hashes.
    """
    return before == after and (textual or repr(before) == repr(after))


def _plain(value: Any) -> JsonValue:
    """deepdiff marks a missing side with a sentinel object; that is None to us."""
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return cast(JsonValue, value)
    return None


def _collapse(parts: list[str | int]) -> list[str | int] | None:
    """The path to report: set-like lists as a whole; None when it is unchanged."""
    for index, part in enumerate(parts):
        if part in SET_LIKE and isinstance(part, str):
            return parts[: index + 1]
    return parts


def _value_at(content: JsonValue, parts: list[str | int]) -> JsonValue:
    node: JsonValue = content
    for part in parts:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def field_diffs(before: JsonValue, after: JsonValue) -> tuple[plans.FieldDiff, ...]:
    """Field-level differences, sorted by path. Empty when the contents are equal."""
    if before == after:
        return ()
    from deepdiff import DeepDiff  # heavy to import; only a plan with changes needs it

    tree = DeepDiff(
        before, after, view="tree", ignore_order=False, verbose_level=2, threshold_to_diff_deeper=0
    )
    found: dict[str, plans.FieldDiff] = {}
    for report in tree.values():
        for level in report:
            parts = cast(list[str | int], level.path(output_format="list"))
            collapsed = _collapse(parts)
            if collapsed is None:
                continue
            path = locating.format_path(collapsed) or "(root)"
            if collapsed != parts:
                found[path] = plans.FieldDiff(
                    path, _value_at(before, collapsed), _value_at(after, collapsed)
                )
            else:
                found[path] = plans.FieldDiff(path, _plain(level.t1), _plain(level.t2))
    return tuple(found[p] for p in sorted(found, key=_path_sort_key))


def _path_sort_key(path: str) -> list[tuple[int, str | int]]:
    # Natural order: patterns[2] before patterns[10].
    return [(0, int(t)) if t.isdigit() else (1, t) for t in re.split(r"[\[\].]+", path) if t]


def describe(diffs: tuple[plans.FieldDiff, ...], *, limit: int = 3) -> str:
    """``spec.patterns[0] changed`` / ``spec.url, spec.method changed`` / ``... and 4 more``."""
    paths = [d.path for d in diffs]
    if not paths:
        return "no field changed"
    shown = ", ".join(paths[:limit])
    more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
    return f"{shown}{more} changed"

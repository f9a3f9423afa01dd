"""Outlines: what the rules across documents read of a document, valid or not.

One run reports every problem, so a document that fails its own checks still takes part in
the rules across documents (addresses, one ContextDefaults per bot, slot dependencies) as
far as its raw mapping allows. A raw part is *usable* when it has the expected type and no
problem was reported at it, below it, or at a field above it: an invalid ``metadata.name``
keeps the document out of the address rules, an invalid dependency is not looked up, and no
rule repeats or contradicts what the document's own checks already said.

Pydantic runs a model's own cross-field rules only when all of its fields are valid, so a
document that failed also misses those; ``outline_document`` applies the ones that matter
across a run (a slot depending on itself, a case id used twice) to the usable raw parts.

Invariants: ``kind`` is a known manifest kind; ``bot`` and ``name`` are usable or None; a
document with structural YAML problems or a bad header has no outline (``loading``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import Any

from reconciler.manifests import locating, models, parsing

Found = list[tuple[parsing.FieldPath, str]]  # (field path, message): what a rule found


@dataclasses.dataclass(frozen=True)
class Outline:
    """A document as the rules across documents see it, and where its parts were written.

    ``dependencies`` are (index in ``spec.dependencies``, slot name) of the usable entries;
    ``address`` names the document in diagnostics, as its own diagnostics do.
    """

    kind: str
    bot: str | None
    name: str | None
    dependencies: tuple[tuple[int, str], ...]
    file: str
    line: int
    column: int
    address: str | None
    _values: Mapping[parsing.FieldPath, parsing.Position] = dataclasses.field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def identity(self) -> tuple[str, str, str] | None:
        """(kind, bot, name) when the document can take part in the address rules."""
        if self.bot is None or self.name is None:
            return None
        return (self.kind, self.bot, self.name)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def locate(self, *field_path: str | int) -> parsing.Position:
        """Line and column of a value; for one without a place of its own (inside an alias),
        its nearest ancestor's; else the document's start."""
        for end in range(len(field_path), 0, -1):
            found = self._values.get(tuple(field_path[:end]))
            if found is not None:
                return found
        return (self.line, self.column)


def raw_identity(data: Any) -> tuple[str, str, str] | None:
    """(kind, bot, name) as a raw document states them, when all three are strings."""
    if not isinstance(data, dict) or not isinstance(data.get("metadata"), dict):
        return None
    kind, meta = data.get("kind"), data["metadata"]
    name, bot = meta.get("name"), meta.get("bot")
    if isinstance(kind, str) and isinstance(name, str) and isinstance(bot, str):
        return (kind, bot, name)
    return None


def raw_address(data: Any) -> str | None:
    """``Kind/bot/name`` as a raw document states it, when the kind is known."""
    identity = raw_identity(data)
    if identity is None or identity[0] not in models.KIND_BY_NAME:
        return None
    return "/".join(identity)


def outline_manifest(
    manifest: models.Integration | models.Slot | models.ContextDefaults | models.SimulationSuite,
    *,
    file: str,
    line: int,
    column: int,
    values: Mapping[parsing.FieldPath, parsing.Position],
) -> Outline:
    """The outline of a valid manifest: every part is usable."""
    found = manifest.spec.dependencies if isinstance(manifest, models.Slot) else []
    return Outline(manifest.kind, manifest.metadata.bot, manifest.metadata.name,
                   tuple(enumerate(found)), file, line, column, manifest.address, values)


def outline_document(
    data: Mapping[Any, Any],
    problems: Collection[parsing.FieldPath],
    *,
    file: str,
    doc: parsing.ParsedDocument,
    address: str | None,
) -> tuple[Outline, Found]:
    """The outline of a document that failed its own checks, and the rules it still breaks.

    ``data`` has a valid header and its ``${vars}`` filled; ``problems`` are the field paths
    its own diagnostics point at.
    """
    usable = _Usable(data, frozenset(problems))
    kind = str(data["kind"])
    bot, name = usable.text("metadata", "bot"), usable.text("metadata", "name")
    dependencies: list[tuple[int, str]] = []
    if kind == "Slot":
        for index in range(len(usable.items("spec", "dependencies"))):
            dependency = usable.text("spec", "dependencies", index)
            if dependency is not None:
                dependencies.append((index, dependency))
    found: Found = []
    if name is not None:
        found += [(("spec", "dependencies", index), f"slot {name!r} cannot depend on itself")
                  for index, dependency in dependencies if dependency == name]
    if kind == "SimulationSuite":
        found += _repeated_case_ids(usable)
    outline = Outline(kind, bot, name, tuple(dependencies), file, doc.line, doc.column,
                      address, doc.values)
    # The document's own checks may have said it already (the model's rule did run).
    return outline, [(path, _labelled(path, message)) for path, message in found
                     if path not in usable.problems]


def _repeated_case_ids(usable: _Usable) -> Found:
    found: Found = []
    seen: set[str] = set()
    for index in range(len(usable.items("spec", "cases"))):
        case_id = usable.text("spec", "cases", index, "id")
        if case_id is not None and case_id in seen:
            found.append((("spec", "cases", index, "id"), f"case id {case_id!r} is used twice"))
        elif case_id is not None:
            seen.add(case_id)
    return found


def _labelled(path: parsing.FieldPath, message: str) -> str:
    """``spec.cases[1].id: message``, as the document's own checks word a rule."""
    return f"{locating.format_path(path)}: {message}"


@dataclasses.dataclass(frozen=True)
class _Usable:
    """Reads raw parts of a document, refusing those its own checks found fault with."""

    data: Mapping[Any, Any]
    problems: frozenset[parsing.FieldPath]

    def _value(self, path: parsing.FieldPath) -> Any:
        if self._faulty(path):
            return None
        current: Any = self.data
        for part in path:
            if isinstance(part, int) and isinstance(current, list) and part < len(current):
                current = current[part]
            elif isinstance(part, str) and isinstance(current, dict):
                current = current.get(part)
            else:
                return None
        return current

    def _faulty(self, path: parsing.FieldPath) -> bool:
        """A problem at ``path``, below it, or at a field above it (not the document)."""
        return any(
            problem[: len(path)] == path or (problem and path[: len(problem)] == problem)
            for problem in self.problems
        )

    def text(self, *path: str | int) -> str | None:
        value = self._value(path)
        return value if isinstance(value, str) else None

    def items(self, *path: str | int) -> list[Any]:
        """The list at ``path``, whatever the state of its entries; empty when none."""
        current: Any = self.data
        for part in path:
            current = current.get(part) if isinstance(current, dict) else None
        return current if isinstance(current, list) else []

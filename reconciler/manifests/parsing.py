"""Safe YAML parsing with positions and limits that hold against hostile files.

We consume libyaml's *event* stream (``yaml.parse`` with the C safe loader, pure Python when
libyaml is missing) and build plain JSON-like values ourselves, iteratively, so that:

- every value and every mapping key keeps its 1-based line and column (``values``/``keys``,
  keyed by field path, e.g. ``("spec", "patterns", 0)``);
- nesting deeper than ``MAX_DEPTH`` is refused at once, by our own check and with our words,
  whatever the YAML library's own limits (no recursion: a file of a million ``[`` cannot
  exhaust the stack). libyaml scans a flow collection ahead of its events, so a very deep one
  would trip libyaml's own limit before we see a single event: a quick pass over the text
  finds where flow nesting first goes past ``MAX_DEPTH``, and the events of the text up to
  there decide (see ``_deep_flow_end``);
- aliases are allowed but their expansion is counted: a document that would expand to more
  than ``MAX_NODES`` nodes (a "billion laughs" file) is refused before anything is copied;
- duplicate mapping keys, complex keys, merge keys (``<<``) and tags beyond the JSON-like
  core (``!!binary``, ``!!python/...``, custom ``!tags``) are problems, not surprises;
- timestamps stay strings (manifests are JSON-shaped; ``2024-01-01`` is not a date object);
- ``.nan``, ``.inf`` and numbers too large to be finite are problems: JSON cannot carry them.

The caller (``loading``) checks size and encoding of the file before calling ``parse_text``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from typing import Any

import yaml

MAX_DEPTH = 64
MAX_NODES = 200_000
_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels is refused"

FieldPath = tuple[str | int, ...]
Position = tuple[int, int]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_TAG = "tag:yaml.org,2002:"
_CONSTRUCT = {
    _TAG + "bool": _CONSTRUCTOR.construct_yaml_bool,
    _TAG + "int": _CONSTRUCTOR.construct_yaml_int,
    _TAG + "float": _CONSTRUCTOR.construct_yaml_float,
}
_COLLECTION_TAGS = {None, "!", _TAG + "map", _TAG + "seq"}


@dataclasses.dataclass(frozen=True)
class Problem:
    """Something wrong in the text; ``line`` and ``column`` are 1-based."""

    line: int
    column: int
    message: str


@dataclasses.dataclass
class ParsedDocument:
    """One YAML document as plain data, with where each part of it was written.

    Values reached through an alias share the alias's position; their insides have none.
    ``plain`` holds the paths of unquoted string scalars (their type came from the text).
    """

    data: Any
    line: int
    column: int
    values: dict[FieldPath, Position] = dataclasses.field(default_factory=dict)
    keys: dict[FieldPath, Position] = dataclasses.field(default_factory=dict)
    plain: set[FieldPath] = dataclasses.field(default_factory=set)
    problems: list[Problem] = dataclasses.field(default_factory=list)


class _Abort(Exception):
    """The rest of the file cannot be read safely."""


_NO_KEY = object()


@dataclasses.dataclass
class _Frame:
    value: dict[Any, Any] | list[Any]
    path: FieldPath | None  # None while the collection is a mapping key (refused)
    anchor: str | None
    size: int = 1
    height: int = 1
    start: Position = (0, 0)
    key: Any = _NO_KEY
    key_position: Position = (0, 0)


def _position(mark: Any) -> Position:
    return (mark.line + 1, mark.column + 1)


@functools.lru_cache(maxsize=8192)
def _resolve(text: str, implicit: tuple[bool, bool]) -> str:
    """The implicit tag of a plain scalar. Remembered: keys and kinds repeat in every document
    (``apiVersion``, ``metadata``, ``Slot``), and PyYAML's resolver is a chain of regexes."""
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, text, implicit)  # type: ignore[no-untyped-call]
    return tag


def resolve_plain(text: str) -> Any:
    """What an unquoted scalar ``text`` means in YAML (int, float, bool, null or the string)."""
    return _construct(_resolve(text, (True, False)), text)


def _construct(tag: str, text: str) -> Any:
    if tag == _TAG + "null":
        return None
    builder = _CONSTRUCT.get(tag)
    if builder is None:
        return text
    return builder(yaml.ScalarNode(tag, text))


class _Composer:
    def __init__(self) -> None:
        self.documents: list[ParsedDocument] = []
        self.doc: ParsedDocument | None = None
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int, int]] = {}
        self.nodes = 0

    def problem(self, position: Position, message: str) -> None:
        assert self.doc is not None
        self.doc.problems.append(Problem(position[0], position[1], message))

    def abort(self, position: Position, message: str) -> _Abort:
        self.problem(position, message)
        return _Abort(message)

    def feed(self, event: Any) -> None:
        kind = type(event)
        if kind is yaml.ScalarEvent:  # most events: checked first
            self.scalar(event, _position(event.start_mark))
        elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
            frame = self.stack.pop()
            self.attach(frame.value, frame.start, size=frame.size, height=frame.height,
                        anchor=frame.anchor, placed=True)
        elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
            self.start(event, _position(event.start_mark))
        elif kind is yaml.AliasEvent:
            self.alias(event, _position(event.start_mark))
        elif kind is yaml.DocumentStartEvent:
            line, column = _position(event.start_mark)
            self.doc = ParsedDocument(data=None, line=line, column=column)
            self.anchors, self.nodes = {}, 0
        elif kind is yaml.DocumentEndEvent:
            assert self.doc is not None
            # A document is where its content starts, not its "---" line.
            self.doc.line, self.doc.column = self.doc.values.get(
                (), (self.doc.line, self.doc.column)
            )
            self.documents.append(self.doc)
            self.doc = None

    def scalar(self, event: Any, position: Position) -> None:
        tag, text = event.tag, event.value
        if tag is None and event.style:  # quoted or block text: always a string
            self.attach(text, position, size=1, height=1, anchor=event.anchor)
            return
        if tag is None:
            tag = _resolve(text, event.implicit)
        elif tag == "!":
            tag = _TAG + "str"
        value: Any = text
        if tag == _TAG + "merge":
            self.problem(position, "merge keys (<<) are not supported; write the keys out")
        elif tag in _CONSTRUCT or tag == _TAG + "null":
            try:
                value = _construct(tag, text)
            except ValueError as exc:
                self.problem(position, f"{text!r} is not a valid {tag.rsplit(':', 1)[-1]}: {exc}")
            else:
                if isinstance(value, float) and not math.isfinite(value):
                    self.problem(position, f"{text!r} is not a finite number: NaN and "
                                 "infinities cannot be written as JSON; quote it for a string")
                    value = None
        elif tag not in (_TAG + "str", _TAG + "timestamp"):
            self.problem(position, f"unsupported tag {tag!r}; manifests hold plain YAML values")
        plain = tag == _TAG + "str" and event.implicit[0] and not event.style
        self.attach(value, position, size=1, height=1, anchor=event.anchor, plain=plain)

    def alias(self, event: Any, position: Position) -> None:
        target = self.anchors.get(event.anchor)
        if target is None:
            self.problem(position, f"unknown alias *{event.anchor} (anchors must come first)")
            self.attach(None, position, size=1, height=1, anchor=None)
            return
        value, size, height = target
        self.attach(value, position, size=size, height=height, anchor=None)

    def start(self, event: Any, position: Position) -> None:
        if event.tag not in _COLLECTION_TAGS:
            self.problem(position, f"unsupported tag {event.tag!r}; manifests hold plain YAML")
        if len(self.stack) + 1 > MAX_DEPTH:
            raise self.abort(position, _TOO_DEEP)
        path = self.place(position)
        value: dict[Any, Any] | list[Any] = (
            {} if isinstance(event, yaml.MappingStartEvent) else []
        )
        self.stack.append(_Frame(value=value, path=path, anchor=event.anchor, start=position))

    def place(self, position: Position) -> FieldPath | None:
        """The path of the node starting at ``position``, recording where it is."""
        assert self.doc is not None
        if not self.stack:
            path: FieldPath = ()
        else:
            top = self.stack[-1]
            if top.path is None:
                return None
            if isinstance(top.value, list):
                path = (*top.path, len(top.value))
            elif top.key is _NO_KEY:
                return None  # a key: its position is kept as the key's
            else:
                path = (*top.path, top.key)
                self.doc.keys[path] = top.key_position
        self.doc.values[path] = position
        return path

    def attach(self, value: Any, position: Position, *, size: int, height: int,
               anchor: str | None, plain: bool = False, placed: bool = False) -> None:
        assert self.doc is not None
        self.nodes += size
        if self.nodes > MAX_NODES:
            raise self.abort(position, f"the document expands to more than {MAX_NODES} nodes "
                             "(aliases that multiply content, a 'billion laughs' file?)")
        if len(self.stack) + height > MAX_DEPTH:
            raise self.abort(position, _TOO_DEEP)
        if anchor is not None:
            self.anchors[anchor] = (value, size, height)
        path = None if placed else self.place(position)
        if plain and path is not None:
            self.doc.plain.add(path)
        if not self.stack:
            self.doc.data = value
            return
        top = self.stack[-1]
        top.size += size
        if height >= top.height:
            top.height = height + 1
        if isinstance(top.value, list):
            top.value.append(value)
        elif top.key is _NO_KEY:
            self.set_key(top, value, position)
        else:
            top.value[top.key] = value
            top.key = _NO_KEY

    def set_key(self, top: _Frame, key: Any, position: Position) -> None:
        assert self.doc is not None
        if isinstance(key, (dict, list)):
            self.problem(position, "mapping keys must be plain scalars")
            key = f"<complex key at {position[0]}:{position[1]}>"
        if key in top.value and top.path is not None:
            first = self.doc.keys.get((*top.path, key), position)
            self.problem(position, f"duplicate key {key!r} (first at line {first[0]}, "
                                   f"column {first[1]})")
        top.key, top.key_position = key, position


_FLOW_MARKS = re.compile(r"""[\[\]{}'"#]""")
_SCALAR_START = frozenset(" \t\r\n[{,:")


def _closing_quote(text: str, start: int) -> int:
    """The offset just past the quoted scalar opening at ``start`` (the end if unclosed)."""
    quote = text[start]
    at = start + 1
    while True:
        at = text.find(quote, at)
        if at < 0:
            return len(text)
        if quote == "'":
            if text.startswith("''", at):
                at += 2
                continue
            return at + 1
        backslashes = 0
        while text[at - 1 - backslashes] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return at + 1
        at += 1


def _deep_flow_end(text: str) -> int | None:
    """Where flow nesting first goes past ``MAX_DEPTH``, as an offset just past that opener.

    A linear pass that knows quoted scalars and comments. It may see a collection where there
    is none (``[`` inside a block scalar), never the reverse for well-formed text: the events
    of the text up to the offset confirm it, so a wrong guess costs a short extra parse.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth, at = 0, 0
    while True:
        found = _FLOW_MARKS.search(text, at)
        if found is None:
            return None
        at, mark = found.start(), found.group()
        before = text[at - 1] if at else "\n"
        if mark in "'\"" and before in _SCALAR_START:
            at = _closing_quote(text, at)
            continue
        if mark == "#" and before in _SCALAR_START:
            newline = text.find("\n", at)
            at = len(text) if newline < 0 else newline
            continue
        if mark in "[{" and (depth or before in _SCALAR_START):
            depth += 1
            if depth > MAX_DEPTH:
                return at + 1
        elif mark in "]}" and depth:
            depth -= 1
        at += 1


def _compose(text: str) -> tuple[_Composer, list[Problem] | None]:
    """Feed the events of ``text``; the problems that stopped it, or None if it read to the end."""
    composer = _Composer()
    try:
        for event in yaml.parse(text, Loader=_Loader):
            composer.feed(event)
    except _Abort:
        assert composer.doc is not None
        return composer, composer.doc.problems
    except yaml.YAMLError as exc:
        stopped = [_syntax_problem(exc, text)]
        if composer.doc is not None:
            stopped = composer.doc.problems + stopped
        return composer, stopped
    return composer, None


def parse_text(text: str) -> tuple[list[ParsedDocument], list[Problem]]:
    """Parse every document of ``text``.

    Returns the complete documents (each with its own problems) and the problems that stopped
    reading the file (a syntax error, a limit): documents after such a problem are not read.
    """
    deep = _deep_flow_end(text)
    if deep is not None:
        composer, stopped = _compose(text[:deep])
        if stopped and stopped[-1].message == _TOO_DEEP:
            return composer.documents, stopped
    composer, stopped = _compose(text)
    return composer.documents, stopped or []


def _syntax_problem(exc: yaml.YAMLError, text: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line, column = _position(mark)
    else:
        offset = min(int(getattr(exc, "position", 0) or 0), len(text))
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if "nesting depth" in problem:  # the library's own limit, should ours ever be missed
        return Problem(line, column, _TOO_DEEP)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return Problem(line, column, message)

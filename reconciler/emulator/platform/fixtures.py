"""The fixture format (``shared/interfaces.md``, "Emulator"): a YAML tenant description.

``settings``, ``workspaces [{id, clients, bots}]``; each bot has ``entities``, ``flows``,
``intents``, ``utterances``, ``sessions``, ``conversations`` and, optionally, live objects
to seed: ``slots``, ``integrations`` and ``context`` (for tests of drift and unmanaged
objects). A fixture in the wrong shape is a ``ConfigError`` naming the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from reconciler import errors, fileio, jsontypes
from reconciler.emulator.platform import records


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionSpec(_Spec):
    """``variables`` is a list of ``{name, value, scope, type}`` or a map name -> value."""

    sessionId: str = Field(min_length=1)
    variables: list[records.VariableRecord] | dict[str, JsonValue] = Field(default_factory=list)

    def variable_records(self) -> list[records.VariableRecord]:
        if isinstance(self.variables, dict):
            return [records.VariableRecord(name=k, value=v) for k, v in self.variables.items()]
        return list(self.variables)


class ConversationSpec(_Spec):
    conversationId: str = Field(min_length=1)
    context: dict[str, JsonValue] = Field(default_factory=dict)


class SlotSeed(_Spec):
    """A live slot to seed; ``dependencies`` name other seeded slots of the bot."""

    slotId: str | None = None
    name: str
    type: records.SlotType = "regex"
    patterns: list[str]
    fillStrategy: records.FillStrategy = "firstMatch"
    dependencies: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)


class IntegrationSeed(_Spec):
    id: str | None = None
    name: str
    description: str = ""
    status: str = "ACTIVE"
    labels: dict[str, str] = Field(default_factory=dict)
    config: dict[str, JsonValue]


class BotSpec(_Spec):
    botId: str = Field(min_length=1)
    name: str = ""
    entities: list[records.EntityRecord] = Field(default_factory=list)
    flows: list[records.FlowRecord] = Field(default_factory=list)
    intents: list[records.IntentRecord] = Field(default_factory=list)
    utterances: list[records.UtteranceRecord] = Field(default_factory=list)
    sessions: list[SessionSpec] = Field(default_factory=list)
    conversations: list[ConversationSpec] = Field(default_factory=list)
    slots: list[SlotSeed] = Field(default_factory=list)
    integrations: list[IntegrationSeed] = Field(default_factory=list)
    context: dict[str, records.ContextEntryRecord] = Field(default_factory=dict)


class WorkspaceSpec(_Spec):
    id: str = Field(min_length=1)
    name: str = ""
    clients: list[records.ClientRecord] = Field(default_factory=list)
    bots: list[BotSpec] = Field(default_factory=list)


class Fixture(_Spec):
    settings: records.Settings = Field(default_factory=records.Settings)
    workspaces: list[WorkspaceSpec] = Field(min_length=1)


# The limits of a fixture file (a pull request controls the fixture cogctl.yaml names): the
# manifests' own depth limit, and room for tens of thousands of objects.
MAX_FIXTURE_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 2_000_000
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read(path: Path) -> Fixture:
    """Parse and validate a fixture file; every problem names the file and the field."""
    return parse(read_document(path), source=str(path))


def read_document(path: Path) -> object:
    """The plain data of a YAML fixture file, read and built within bounds (both emulators).

    Only a regular file of at most ``MAX_FIXTURE_BYTES`` is read, and its YAML is measured
    before it is built: nesting deeper than ``MAX_DEPTH`` or aliases that expand it past
    ``MAX_NODES`` nodes (a "billion laughs" file) are refused, as are NaN and infinities.
    """
    try:
        text = fileio.read_bounded(path, MAX_FIXTURE_BYTES).decode("utf-8")
    except OSError as exc:
        raise errors.ConfigError(f"{path}: cannot read the fixture: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise errors.ConfigError(f"{path}: the fixture is not valid UTF-8 (byte offset "
                                 f"{exc.start})") from None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise errors.ConfigError(f"{path}{where}: not valid YAML: {problem}") from None
    document = None
    if node is not None:
        _measure(node, str(path))
        document = _Loader("").construct_document(node)
    non_finite = jsontypes.find_non_finite(document, root="(top level)")
    if non_finite is not None:
        raise errors.ConfigError(f"{path}: {non_finite}: not a finite number (NaN and infinities "
                                 "are refused)")
    return document


def _measure(root: yaml.Node, source: str) -> None:
    """Refuse a node graph deeper than ``MAX_DEPTH``, larger than ``MAX_NODES`` once aliases
    are expanded, or holding itself. Iterative; each distinct node is measured once."""
    sizes: dict[int, tuple[int, int]] = {}  # id -> (expanded nodes, height)
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            open_nodes.discard(key)
            measured = [sizes[id(child)] for child in children]
            size = 1 + sum(s for s, _ in measured)
            height = 1 + max((h for _, h in measured), default=0)
            mark = node.start_mark
            where = f"{source}:{mark.line + 1}:{mark.column + 1}"
            if height > MAX_DEPTH:
                raise errors.ConfigError(f"{where}: nesting deeper than {MAX_DEPTH} levels "
                                         "is refused")
            if size > MAX_NODES:
                raise errors.ConfigError(f"{where}: the fixture expands to more than "
                                         f"{MAX_NODES} nodes (aliases that multiply content?)")
            sizes[key] = (size, height)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            mark = node.start_mark
            raise errors.ConfigError(f"{source}:{mark.line + 1}:{mark.column + 1}: an alias "
                                     "refers to a node that contains it")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def parse(document: object, *, source: str) -> Fixture:
    if not isinstance(document, dict):
        raise errors.ConfigError(f"{source}: a fixture must be a mapping with 'workspaces'")
    try:
        fixture = Fixture.model_validate(document)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise errors.ConfigError(
            f"{source}: {_where(first['loc'])}: {first['msg']}",
            hint=f"{exc.error_count()} problem(s) in the fixture",
        ) from None
    _check_references(fixture, source)
    return fixture


def _where(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


def _check_references(fixture: Fixture, source: str) -> None:
    """Ids unique across the tenant; intents point at flows of their bot."""
    seen: dict[str, str] = {}
    for w, workspace in enumerate(fixture.workspaces):
        for c, client in enumerate(workspace.clients):
            _unique(seen, f"client {client.clientId}", f"workspaces[{w}].clients[{c}]", source)
        for b, bot in enumerate(workspace.bots):
            where = f"workspaces[{w}].bots[{b}]"
            _unique(seen, f"bot {bot.botId}", where, source)
            flows = {flow.flowId for flow in bot.flows}
            for i, intent in enumerate(bot.intents):
                if intent.flowId not in flows:
                    raise errors.ConfigError(
                        f"{source}: {where}.intents[{i}].flowId: {intent.flowId!r} is not a "
                        f"flow of bot {bot.botId!r}"
                    )
            for s, session in enumerate(bot.sessions):
                _unique(seen, f"session {session.sessionId}", f"{where}.sessions[{s}]", source)
            for v, conv in enumerate(bot.conversations):
                _unique(seen, f"conversation {conv.conversationId}",
                        f"{where}.conversations[{v}]", source)


def _unique(seen: dict[str, str], key: str, where: str, source: str) -> None:
    if key in seen:
        raise errors.ConfigError(f"{source}: {where}: {key} is already defined at {seen[key]}")
    seen[key] = where

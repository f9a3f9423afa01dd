"""Validation of write bodies, as the contract states it, shared by the API and fixture seeding.

Each check raises ``wire.ApiError`` (``400 validation_error`` with ``details``). Read-only
keys a client may echo back from a read (``id``, ``version``, timestamps, the secret's
fingerprint) are ignored; any other unknown key is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Literal, TypeVar
from urllib.parse import urlsplit

import jmespath
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator
from pydantic import model_validator as _model_validator

from reconciler.emulator.platform import records, wire

MAX_PATTERN_CHARS = 50
MAX_CONTEXT_VALUE_BYTES = 10 * 1024
MAX_CONTEXT_BYTES = 512 * 1024
CONTEXT_KEY = re.compile(r"^[A-Za-z0-9_]+$")

_INTEGRATION_READ_ONLY = ("id", "created_at", "updated_at", "version", "auth_secret_sha256")
_SLOT_READ_ONLY = ("slotId", "version", "updatedAt")
M = TypeVar("M", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ResponseMapping(_Body):
    extract: str | None = None
    normalize: Literal["none", "flatten", "map_keys"] = "none"

    @field_validator("extract")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                jmespath.compile(value)
            except jmespath.exceptions.JMESPathError as exc:
                raise ValueError(f"not a JMESPath expression: {exc}") from None
        return value


class IntegrationConfig(_Body):
    url: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    auth_type: Literal["bearer", "api_key", "basic", "none"] = "none"
    auth_header_name: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    request_mapping: dict[str, JsonValue] = Field(default_factory=dict)
    response_mapping: ResponseMapping = Field(default_factory=ResponseMapping)
    timeout_seconds: int = Field(default=30, ge=1, le=120)
    auth_secret: str | None = None

    @field_validator("url")
    @classmethod
    def _https_only(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.netloc:
            raise ValueError("must be an https:// URL")
        return value

    @_model_validator(mode="after")
    def _no_body_on_get(self) -> IntegrationConfig:
        if self.method == "GET" and "body" in self.request_mapping:
            raise ValueError("request_mapping.body is not allowed with method GET")
        return self


class IntegrationBody(_Body):
    bot_id: str = Field(min_length=1)
    name: str = Field(min_length=3, max_length=100)
    description: str = ""
    status: Literal["ACTIVE", "INACTIVE"] = "ACTIVE"
    labels: dict[str, str] = Field(default_factory=dict)
    config: IntegrationConfig

    def stored_config(self) -> dict[str, JsonValue]:
        """The config as stored and read back: defaults filled in, the secret left out."""
        return self.config.model_dump(mode="json", exclude={"auth_secret"})

    def secret_given(self) -> bool:
        return "auth_secret" in self.config.model_fields_set


class SlotBody(_Body):
    botId: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=100)
    type: records.SlotType = "regex"
    patterns: list[str] = Field(min_length=1)
    fillStrategy: records.FillStrategy = "firstMatch"
    dependencies: list[str] = Field(default_factory=list)
    triggerRetrain: bool = False
    labels: dict[str, str] = Field(default_factory=dict)

    @_model_validator(mode="after")
    def _patterns_compile(self) -> SlotBody:
        for index, pattern in enumerate(self.patterns):
            if len(pattern) > MAX_PATTERN_CHARS:
                raise ValueError(
                    f"patterns[{index}] is {len(pattern)} characters; at most "
                    f"{MAX_PATTERN_CHARS} allowed"
                )
            if self.type == "regex":
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"patterns[{index}] does not compile: {exc}") from None
        return self


def parse_integration(body: object) -> IntegrationBody:
    return _parse(IntegrationBody, body, _INTEGRATION_READ_ONLY)


def parse_slot(body: object) -> SlotBody:
    return _parse(SlotBody, body, _SLOT_READ_ONLY)


def _parse(model: type[M], body: object, read_only: tuple[str, ...]) -> M:
    """A write body as ``model``; read-only keys a client echoes back from a read are ignored."""
    data = {k: v for k, v in wire.require_object(body).items() if k not in read_only}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise wire.from_validation_error(exc) from None


def check_dependencies(
    slot_id: str, bot_id: str, dependencies: list[str], slots: Mapping[str, records.SlotRecord]
) -> None:
    """Every dependency is a slot of the same bot, and the graph stays acyclic."""
    for index, dep in enumerate(dependencies):
        other = slots.get(dep)
        if dep != slot_id and (other is None or other.botId != bot_id):
            raise wire.invalid(f"dependencies.{index}", f"{dep!r} is not a slot of bot {bot_id!r}")
    if not dependencies:
        return  # a cycle through this slot needs an edge out of it

    def edges(node: str) -> list[str]:
        # Walked lazily from the slot being written: only what it can reach is visited, so a
        # write costs the size of its dependency chain, not of the tenant.
        if node == slot_id:
            return list(dependencies)
        slot = slots.get(node)
        return list(slot.dependencies) if slot is not None and slot.botId == bot_id else []

    cycle = _find_cycle(slot_id, edges)
    if cycle:
        raise wire.invalid("dependencies", "dependency cycle: " + " -> ".join(cycle))


def _find_cycle(start: str, edges: Callable[[str], list[str]]) -> list[str] | None:
    """A path from ``start`` back to itself, if any (depth-first)."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in edges(node):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def check_context_entries(changes: Mapping[str, JsonValue], *, defaults: bool) -> None:
    """Keys and per-value size; for context defaults also the entry shape and scope."""
    for key, entry in changes.items():
        if defaults and not CONTEXT_KEY.fullmatch(key):
            raise wire.invalid(f"context.{key}", "key must match ^[A-Za-z0-9_]+$")
        if entry is None:
            continue
        value: JsonValue = entry
        if defaults:
            try:
                value = records.ContextEntryRecord.model_validate(entry).value
            except ValidationError as exc:
                err = wire.from_validation_error(exc)
                raise wire.invalid(f"context.{key}", err.message) from None
        if wire.json_size(value) > MAX_CONTEXT_VALUE_BYTES:
            raise wire.invalid(f"context.{key}", "value is larger than 10 KB as JSON")


def check_context_total(context: JsonValue) -> None:
    if wire.json_size(context) > MAX_CONTEXT_BYTES:
        raise wire.invalid("context", "the whole context is larger than 512 KB as JSON")

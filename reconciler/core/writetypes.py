"""The write bodies a plan carries, as a tagged union: one frozen class per kind and operation.

``writebodies`` builds them (from manifests, or from a live slot for a rollback) and
``engine.writing`` sends them; neither side ever casts. Each body is tagged twice, by its
class and by ``kind`` (the change's kind) and ``op`` (what it does to the object):

- ``IntegrationBody`` (``Integration``, ``upsert``): POST on create, PUT on update. Never
  holds a secret value: ``wire(secret)`` puts the one apply resolved in its place;
  ``clears_secret`` says the manifest names none, so ``auth_secret`` goes out as an explicit
  null and the stored secret is removed (a PUT without the key keeps it).
- ``SlotBody`` (``Slot``, ``upsert``): the PUT of a slot, created or replaced.
- ``ContextPatch`` (``ContextDefaults``, ``merge``): the merge PATCH of context defaults:
  every wanted key, None for keys to remove, and the applied entry (``_cogctl_applied``:
  name, applied hash, managed keys).
- ``ContextRemoval`` (``ContextDefaults``, ``remove``): the merge PATCH that deletes (prunes)
  context defaults: the keys the applied entry managed when the plan was made, and that
  entry.

``to_json`` is the body exactly as the saved plan records it (``plandocuments``), which is
what is sent, secret aside.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Literal

from pydantic import JsonValue

from reconciler.core import livetypes as lt
from reconciler.manifests import models

RESERVED_PREFIX = "_cogctl_"  # the reconciler's own context keys: applied entry, marker


@dataclasses.dataclass(frozen=True)
class IntegrationBody:
    """``body`` never holds ``config.auth_secret``; see the module docstring."""

    body: lt.IntegrationWrite
    clears_secret: bool = False
    kind: Literal["Integration"] = dataclasses.field(default="Integration", init=False)
    op: Literal["upsert"] = dataclasses.field(default="upsert", init=False)

    def wire(self, secret: str | None) -> lt.IntegrationWrite:
        """What is sent: the body with the secret resolved at apply time (if any)."""
        config: lt.IntegrationConfig = {**self.body["config"]}
        if secret is not None:
            config["auth_secret"] = secret
        elif self.clears_secret:
            config["auth_secret"] = None
        return {**self.body, "config": config}

    def to_json(self) -> dict[str, JsonValue]:
        body, config = self.body, self.body["config"]
        mapping = config["response_mapping"]
        doc: dict[str, JsonValue] = {
            "url": config["url"],
            "method": config["method"],
            "auth_type": config["auth_type"],
            "auth_header_name": config["auth_header_name"],
            "headers": {**config["headers"]},
            "request_mapping": {**config["request_mapping"]},
            "response_mapping": {**mapping},
            "timeout_seconds": config["timeout_seconds"],
        }
        if self.clears_secret:
            doc["auth_secret"] = None
        return {
            "bot_id": body["bot_id"],
            "name": body["name"],
            "description": body["description"],
            "status": body["status"],
            "labels": {**body["labels"]},
            "config": doc,
        }


@dataclasses.dataclass(frozen=True)
class SlotBody:
    """Written without ``triggerRetrain``: apply retrains once per bot, after every write."""

    body: lt.SlotWrite
    kind: Literal["Slot"] = dataclasses.field(default="Slot", init=False)
    op: Literal["upsert"] = dataclasses.field(default="upsert", init=False)

    def wire(self) -> lt.SlotWrite:
        return {**self.body, "triggerRetrain": False}

    def to_json(self) -> dict[str, JsonValue]:
        body = self.body
        return {
            "botId": body["botId"],
            "name": body["name"],
            "type": body["type"],
            "patterns": [*body["patterns"]],
            "fillStrategy": body["fillStrategy"],
            "dependencies": [*body["dependencies"]],
            "triggerRetrain": body["triggerRetrain"],
            "labels": {**body["labels"]},
        }


def _context_json(changes: Mapping[str, lt.ContextEntry | None]) -> dict[str, JsonValue]:
    inner: dict[str, JsonValue] = {
        key: None if entry is None else {"value": entry["value"], "scope": entry["scope"]}
        for key, entry in changes.items()
    }
    return {"context": inner}


@dataclasses.dataclass(frozen=True)
class ContextPatch:
    """``changes``: key -> entry, or None to remove the key; the applied entry among them."""

    changes: Mapping[str, lt.ContextEntry | None]
    kind: Literal["ContextDefaults"] = dataclasses.field(default="ContextDefaults", init=False)
    op: Literal["merge"] = dataclasses.field(default="merge", init=False)

    def wire(self) -> dict[str, lt.ContextEntry | None]:
        return dict(self.changes)

    def variables(self) -> frozenset[str]:
        """The keys this PATCH writes or removes, the reconciler's own bookkeeping aside."""
        return frozenset(k for k in self.changes if not k.startswith(RESERVED_PREFIX))

    def to_json(self) -> dict[str, JsonValue]:
        return _context_json(self.changes)


@dataclasses.dataclass(frozen=True)
class ContextRemoval:
    """``keys``: the variables the applied entry managed when the plan was made, sorted."""

    keys: tuple[str, ...]
    kind: Literal["ContextDefaults"] = dataclasses.field(default="ContextDefaults", init=False)
    op: Literal["remove"] = dataclasses.field(default="remove", init=False)

    def wire(self) -> dict[str, lt.ContextEntry | None]:
        return dict.fromkeys([*self.keys, models.CONTEXT_APPLIED_KEY])

    def variables(self) -> frozenset[str]:
        return frozenset(self.keys)

    def to_json(self) -> dict[str, JsonValue]:
        return _context_json(self.wire())


ContextBody = ContextPatch | ContextRemoval
WriteBody = IntegrationBody | SlotBody | ContextPatch | ContextRemoval

"""Manifest and live-object builders, and a fake tenant that stores writes as the API does.

``FakeTenant`` is the pure counterpart of the emulator for planning tests: it executes a
plan's write bodies the way the Platform API contract stores them (server fields added,
secrets kept only as ``auth_secret_sha256``, context PATCH merged) and hands back a
``LiveState``. The end-to-end proof against the emulator itself is in ``test_convergence``.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from typing import Any, cast

from pydantic import TypeAdapter

from reconciler.core import livestate, normalizing, plans, writebodies
from reconciler.core import livetypes as lt
from reconciler.core import writetypes as wt
from reconciler.manifests import models

_MANIFEST = TypeAdapter(models.Manifest)
CANARY = "canary-Zx9-7f3a-SECRET-do-not-print"


def manifest(kind: str, name: str, spec: Mapping[str, Any], *, bot: str = "support",
             labels: Mapping[str, str] | None = None) -> Any:
    metadata: dict[str, Any] = {"name": name, "bot": bot}
    if labels:
        metadata["labels"] = dict(labels)
    return _MANIFEST.validate_python(
        {"apiVersion": "cogctl/v1", "kind": kind, "metadata": metadata, "spec": dict(spec)}
    )


def integration(name: str = "crm_lookup", *, bot: str = "support", secret_env: str | None = None,
                labels: Mapping[str, str] | None = None, **spec: Any) -> models.Integration:
    body: dict[str, Any] = {"url": "https://crm.example.com/api", **spec}
    if secret_env:
        body["auth"] = {"type": "bearer", "secret": {"fromEnv": secret_env}}
    return cast(models.Integration, manifest("Integration", name, body, bot=bot, labels=labels))


def slot(name: str, *, bot: str = "support", patterns: tuple[str, ...] = (r"\d{5}",),
         dependencies: tuple[str, ...] = (), labels: Mapping[str, str] | None = None,
         **spec: Any) -> models.Slot:
    body = {"patterns": list(patterns), "dependencies": list(dependencies), **spec}
    return cast(models.Slot, manifest("Slot", name, body, bot=bot, labels=labels))


def context(variables: Mapping[str, Any], *, bot: str = "support",
            name: str = "defaults") -> models.ContextDefaults:
    return cast(models.ContextDefaults,
                manifest("ContextDefaults", name, {"variables": dict(variables)}, bot=bot))


def suite(name: str = "smoke", *, bot: str = "support") -> models.SimulationSuite:
    spec = {"cases": [{"id": "test_one", "userId": "usr_1", "utterance": "hi"}]}
    return cast(models.SimulationSuite, manifest("SimulationSuite", name, spec, bot=bot))


def written_context(change: plans.Change) -> dict[str, lt.ContextEntry | None]:
    """The ``context`` patch of a ContextDefaults change's write body: key -> entry, or None
    to remove the key (the shape apply sends)."""
    body = change.write
    assert isinstance(body, wt.ContextPatch | wt.ContextRemoval), f"{change.address}: {body}"
    return body.wire()


def slot_body(name: str = "x", *, bot_id: str = "bot_sup") -> wt.SlotBody:
    """A slot's PUT, for hand-made plans that only need one to be there."""
    return writebodies.slot_body(bot_id=bot_id, name=name, slot_type="regex", patterns=["x"],
                                 fill_strategy="bestMatch", dependency_ids=(), labels={})


def integration_body(name: str = "crm_lookup", *, bot_id: str = "bot_sup") -> wt.IntegrationBody:
    return writebodies.integration_write(integration(name), bot_id=bot_id, applied_hash="h")


def context_body(variables: Mapping[str, Any] | None = None) -> wt.ContextPatch:
    return writebodies.context_patch(context(variables or {}), applied_hash="h", remove=())


class FakeTenant:
    """Live objects per bot, written through plans as the Platform API would store them."""

    def __init__(self, bot_ids: Mapping[str, str] | None = None) -> None:
        self.integrations: dict[str, lt.LiveIntegration] = {}
        self.slots: dict[str, lt.LiveSlot] = {}
        self.contexts: dict[str, lt.LiveContext] = {}
        self._versions = itertools.count(1)
        for bot_id in (bot_ids or {}).values():
            self.context_of(bot_id)

    def _version(self) -> str:
        return str(next(self._versions))

    def context_of(self, bot_id: str) -> lt.LiveContext:
        return self.contexts.setdefault(
            bot_id, {"botId": bot_id, "contextVersion": self._version(), "context": {}}
        )

    def state(self) -> livestate.LiveState:
        bot_ids = {i["bot_id"] for i in self.integrations.values()}
        bot_ids |= {s["botId"] for s in self.slots.values()} | set(self.contexts)
        return livestate.LiveState(bots={
            b: livestate.BotState(
                bot_id=b,
                integrations=tuple(copy.deepcopy(i) for i in self.integrations.values()
                                   if i["bot_id"] == b),
                slots=tuple(copy.deepcopy(s) for s in self.slots.values() if s["botId"] == b),
                context=copy.deepcopy(self.contexts.get(b)),
            )
            for b in bot_ids
        })

    def apply(self, plan: plans.Plan, env: Mapping[str, str] | None = None) -> None:
        for change in plan.pending():
            getattr(self, f"_apply_{change.kind}")(change, dict(env or {}))

    # -- writes, as the API stores them --------------------------------------------------

    def _apply_Integration(self, change: plans.Change, env: dict[str, str]) -> None:
        if change.action is plans.Action.DELETE:
            del self.integrations[cast(str, change.live_id)]
            return
        assert isinstance(change.write, wt.IntegrationBody)
        body: dict[str, Any] = copy.deepcopy(change.write.to_json())
        config = body.pop("config")
        explicit_none = "auth_secret" in config and config.pop("auth_secret") is None
        ident = change.live_id or f"int_{len(self.integrations) + 1:04d}"
        old = self.integrations.get(ident)
        sha = old["auth_secret_sha256"] if old else None
        if change.secret_env:
            sha = normalizing.secret_sha256(ident, env[change.secret_env])
        elif explicit_none:
            sha = None
        self.integrations[ident] = cast(lt.LiveIntegration, {
            **body, "id": ident, "config": config, "auth_secret_sha256": sha,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
            "version": self._version(),
        })

    def _apply_Slot(self, change: plans.Change, env: dict[str, str]) -> None:
        slot_id = cast(str, change.live_id)
        if change.action is plans.Action.DELETE:
            del self.slots[slot_id]
            return
        assert isinstance(change.write, wt.SlotBody)
        body: dict[str, Any] = copy.deepcopy(change.write.to_json())
        body.pop("triggerRetrain")
        self.slots[slot_id] = cast(lt.LiveSlot, {
            **body, "slotId": slot_id, "version": self._version(),
            "updatedAt": "2026-01-02T00:00:00Z",
        })

    def _apply_ContextDefaults(self, change: plans.Change, env: dict[str, str]) -> None:
        ctx = self.context_of(change.bot_id)
        for key, entry in written_context(change).items():
            if entry is None:
                ctx["context"].pop(key, None)
            else:
                ctx["context"][key] = copy.deepcopy(entry)
        ctx["contextVersion"] = self._version()

    # -- edits made outside cogctl ---------------------------------------------------------

    def edit_slot(self, bot_id: str, name: str, **fields: Any) -> None:
        found = next(s for s in self.slots.values() if s["botId"] == bot_id and s["name"] == name)
        found.update(fields)  # type: ignore[typeddict-item]
        found["version"] = self._version()

    def add_slot(self, bot_id: str, name: str, *, labels: Mapping[str, str] | None = None,
                 patterns: tuple[str, ...] = ("x",), dependencies: tuple[str, ...] = ()) -> str:
        slot_id = f"slot_manual_{name}"
        self.slots[slot_id] = {
            "slotId": slot_id, "botId": bot_id, "name": name, "type": "regex",
            "patterns": list(patterns), "fillStrategy": "bestMatch",
            "dependencies": list(dependencies), "labels": dict(labels or {}),
            "version": self._version(), "updatedAt": "2026-01-01T00:00:00Z",
        }
        return slot_id

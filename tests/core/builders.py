"""Manifest builders for the core tests, and a reader of a plan's context write body.

Live state is not built here: the core tests take it from the emulator (``emulated.Tenant``),
written and read through the real client, so they see what the API contract stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from pydantic import TypeAdapter

from reconciler.core import livetypes as lt
from reconciler.core import plans, writebodies
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

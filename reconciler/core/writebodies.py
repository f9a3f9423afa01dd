"""Write bodies the plan carries (``writetypes``): what apply sends, hash included, no secrets.

Every body carries the applied hash: labels ``managed-by: cogctl`` and ``cogctl/applied-hash`` (the
content hash of the normalized content being written), or for context defaults the reserved
key ``normalizing.CONTEXT_APPLIED_KEY``. Integration bodies never hold a secret value: when
the manifest names a secret, the change's ``secret_env`` names the environment variable apply
reads it from; when it names none, the body clears the stored one. A rollback's slot body
comes from the same constructor as the planner's (``slot_body``). Ids the
reconciler chooses (new slots) and idempotency keys are derived from stable inputs, so
re-running a plan after a failure re-uses them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Literal

from reconciler.core import livetypes as lt
from reconciler.core import normalizing
from reconciler.core import writetypes as wt
from reconciler.manifests import models


def applied_labels(labels: Mapping[str, str], applied_hash: str) -> dict[str, str]:
    """The manifest's labels with cogctl's own: ``managed-by`` and the applied hash."""
    own = normalizing.own_labels(labels)
    own[normalizing.MANAGED_LABEL] = normalizing.MANAGED_VALUE
    own[normalizing.HASH_LABEL] = applied_hash
    return own


def slot_id_for(bot_id: str, name: str) -> str:
    """Deterministic id of a new slot: ``slot_`` + 16 hex of sha256(botId, name)."""
    return "slot_" + hashlib.sha256(f"{bot_id}\x00{name}".encode()).hexdigest()[:16]


def idempotency_key_for(bot_id: str, name: str, applied_hash: str) -> str:
    """Same bot, name and content -> same key, so a retried POST answers the first result."""
    digest = hashlib.sha256(f"{bot_id}\x00{name}\x00{applied_hash}".encode()).hexdigest()
    return f"cogctl-{digest[:32]}"


def integration_write(
    manifest: models.Integration, *, bot_id: str, applied_hash: str
) -> wt.IntegrationBody:
    spec = manifest.spec
    config: lt.IntegrationConfig = {
        "url": spec.url,
        "method": spec.method,
        "auth_type": spec.auth.type,
        "auth_header_name": spec.auth.headerName,
        "headers": dict(spec.headers),
        "request_mapping": dict(spec.requestMapping),
        "response_mapping": {
            "extract": spec.responseMapping.extract,
            "normalize": spec.responseMapping.normalize,
        },
        "timeout_seconds": spec.timeoutSeconds,
    }
    body: lt.IntegrationWrite = {
        "bot_id": bot_id,
        "name": manifest.metadata.name,
        "description": spec.description,
        "status": spec.status,
        "labels": applied_labels(manifest.metadata.labels, applied_hash),
        "config": config,
    }
    return wt.IntegrationBody(body, clears_secret=spec.auth.secret is None)


def slot_body(
    *,
    bot_id: str,
    name: str,
    slot_type: Literal["regex", "keyphrase"],
    patterns: Iterable[str],
    fill_strategy: str,
    dependency_ids: Iterable[str],
    labels: Mapping[str, str],
) -> wt.SlotBody:
    """The one constructor of a slot's PUT, for the planner and for a rollback alike."""
    return wt.SlotBody({
        "botId": bot_id,
        "name": name,
        "type": slot_type,
        "patterns": list(patterns),
        "fillStrategy": fill_strategy,
        "dependencies": sorted(set(dependency_ids)),
        "triggerRetrain": False,
        "labels": dict(labels),
    })


def slot_write(
    manifest: models.Slot, *, bot_id: str, applied_hash: str, dependency_ids: Iterable[str]
) -> wt.SlotBody:
    spec = manifest.spec
    return slot_body(
        bot_id=bot_id, name=manifest.metadata.name, slot_type=spec.type, patterns=spec.patterns,
        fill_strategy=spec.fillStrategy, dependency_ids=dependency_ids,
        labels=applied_labels(manifest.metadata.labels, applied_hash),
    )


def slot_restore(live: lt.LiveSlot) -> wt.SlotBody:
    """The PUT that puts ``live`` back as it was, its labels (and so its applied hash) included."""
    return slot_body(
        bot_id=live["botId"], name=live["name"], slot_type=live["type"], patterns=live["patterns"],
        fill_strategy=live["fillStrategy"], dependency_ids=live.get("dependencies") or (),
        labels=live.get("labels") or {},
    )


def context_patch(
    manifest: models.ContextDefaults, *, applied_hash: str, remove: Iterable[str]
) -> wt.ContextPatch:
    """Every wanted key, ``None`` for keys to remove, the applied entry."""
    changes: dict[str, lt.ContextEntry | None] = dict.fromkeys(sorted(remove))
    for key, var in sorted(manifest.spec.variables.items()):
        changes[key] = {"value": var.value, "scope": var.scope}
    changes[normalizing.CONTEXT_APPLIED_KEY] = normalizing.applied_entry(
        manifest.metadata.name, applied_hash, list(manifest.spec.variables)
    )
    return wt.ContextPatch(changes)


def context_removal(keys: Iterable[str]) -> wt.ContextRemoval:
    """The PATCH that deletes (prunes) context defaults: the managed keys and the applied entry."""
    return wt.ContextRemoval(tuple(sorted(set(keys))))

"""Write bodies the plan carries: the exact JSON apply sends, stamped, without secret values.

Every body carries the stamp: labels ``managed-by: cogctl`` and ``cogctl/applied-hash`` (the
content hash of the normalized content being written), or for context defaults the reserved
key ``normalizing.CONTEXT_STAMP_KEY``. Integration bodies never hold a secret value: when
the manifest names a secret, the change's ``secret_env`` names the environment variable apply
reads it from (and ``auth_secret`` is absent); when it names none, ``auth_secret`` is an
explicit null, which removes a stored secret (a PUT without the key keeps it). Ids the
reconciler chooses (new slots) and idempotency keys are derived from stable inputs, so
re-running a plan after a failure re-uses them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import cast

from reconciler.core import livetypes as lt
from reconciler.core import normalizing
from reconciler.core.plans import JsonObject
from reconciler.manifests import models


def stamped_labels(labels: Mapping[str, str], applied_hash: str) -> dict[str, str]:
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
) -> JsonObject:
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
    if spec.auth.secret is None:
        config["auth_secret"] = None  # type: ignore[typeddict-item]
    body: lt.IntegrationWrite = {
        "bot_id": bot_id,
        "name": manifest.metadata.name,
        "description": spec.description,
        "status": spec.status,
        "labels": stamped_labels(manifest.metadata.labels, applied_hash),
        "config": config,
    }
    return cast(JsonObject, body)


def slot_write(
    manifest: models.Slot, *, bot_id: str, applied_hash: str, dependency_ids: Iterable[str]
) -> JsonObject:
    """Slots are written without ``triggerRetrain``: apply retrains once per bot."""
    spec = manifest.spec
    body: lt.SlotWrite = {
        "botId": bot_id,
        "name": manifest.metadata.name,
        "type": spec.type,
        "patterns": list(spec.patterns),
        "fillStrategy": spec.fillStrategy,
        "dependencies": sorted(set(dependency_ids)),
        "triggerRetrain": False,
        "labels": stamped_labels(manifest.metadata.labels, applied_hash),
    }
    return cast(JsonObject, body)


def context_patch(
    manifest: models.ContextDefaults, *, applied_hash: str, remove: Iterable[str]
) -> JsonObject:
    """``{"context": {...}}``: every wanted key, ``None`` for keys to remove, the stamp."""
    changes: dict[str, lt.ContextEntry | None] = dict.fromkeys(sorted(remove))
    for key, var in sorted(manifest.spec.variables.items()):
        changes[key] = {"value": var.value, "scope": var.scope}
    changes[normalizing.CONTEXT_STAMP_KEY] = normalizing.context_stamp_entry(
        manifest.metadata.name, applied_hash, list(manifest.spec.variables)
    )
    return cast(JsonObject, {"context": changes})


def context_removal(keys: Iterable[str]) -> JsonObject:
    """The PATCH that deletes (prunes) context defaults: the managed keys and the stamp."""
    changes = dict.fromkeys([*sorted(keys), normalizing.CONTEXT_STAMP_KEY])
    return cast(JsonObject, {"context": changes})

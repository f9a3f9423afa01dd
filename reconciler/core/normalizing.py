"""Both sides of a diff in one canonical form, so an object just applied compares equal.

Policy (the "normalized content" of an object, also what plans show as before/after):

- Manifest vocabulary: ``{"labels": {...}, "spec": {...}}`` with the manifest's camelCase
  keys; context defaults are ``{"variables": {key: {"value", "scope"}}}``.
- Server-managed fields are out: ids, ``version``/``contextVersion``, ``created_at``,
  ``updated_at``/``updatedAt``, ``bot_id``. Fields the API does not store are out too
  (``probe`` of an integration, ``verify`` of a slot: they only drive our checks).
- Defaults are filled on both sides from the manifest models, so a manifest omitting
  ``timeoutSeconds`` equals a live 30 and an empty live ``headers`` equals none.
- The reconciler's own labels (``managed-by``, ``cogctl/applied-hash``) are out of the
  compared labels; they hold the applied hash, read with ``applied_record_of``.
- Secrets: only whether one is set (``SENSITIVE`` or None). Whether the stored secret equals
  ours is decided from ``auth_secret_sha256`` in ``secret_matches``; values are never read.
- Slot dependencies are names (live ids mapped through the bot's slots), sorted: the API
  treats them as a set. Slot patterns keep their order for every fill strategy: under
  ``firstMatch`` order decides which pattern wins, and the engine breaks ties between equally
  good matches by order under the other strategies too, so a reordering is a real change.
- Maps (labels, headers, mappings, variables) compare as maps: the content hash is taken over
  canonical JSON (RFC 8785), which sorts keys.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from typing import cast

from pydantic import BaseModel, JsonValue

from reconciler.core import livetypes as lt
from reconciler.core.plans import SENSITIVE, JsonObject
from reconciler.manifests import models

MANAGED_LABEL = "managed-by"
MANAGED_VALUE = "cogctl"
HASH_LABEL = "cogctl/applied-hash"
RESERVED_LABELS = frozenset({MANAGED_LABEL, HASH_LABEL})
# Context defaults carry no labels: their applied hash is in this reserved context key
# (global scope), whose value is {"name", "hash", "keys"}: the manifest name, the applied
# hash and the keys the reconciler manages. Keys outside "keys" belong to someone else and
# are never compared.
CONTEXT_APPLIED_KEY = models.CONTEXT_APPLIED_KEY


def _default(model: type[BaseModel], field: str) -> JsonValue:
    value = model.model_fields[field].get_default(call_default_factory=True)
    return cast(JsonValue, value.model_dump(mode="json") if isinstance(value, BaseModel) else value)


def _json(value: object) -> JsonValue:
    """Typed views (``dict[str, str]``, ``list[str]``) are JSON values; mypy needs telling."""
    return cast(JsonValue, value)


def own_labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    """The user's labels: everything but the reconciler's own (``RESERVED_LABELS``)."""
    return {k: v for k, v in (labels or {}).items() if k not in RESERVED_LABELS}


@dataclasses.dataclass(frozen=True)
class AppliedRecord:
    """What the reconciler wrote last time: the hash of the normalized content it wrote."""

    applied_hash: str | None
    managed: bool


def applied_hash_of(labels: Mapping[str, str] | None) -> str | None:
    """``applied_record_of(labels).applied_hash``, without building the ``AppliedRecord``."""
    return labels.get(HASH_LABEL) if labels else None


def applied_record_of(labels: Mapping[str, str] | None) -> AppliedRecord:
    labels = labels or {}
    return AppliedRecord(
        applied_hash=labels.get(HASH_LABEL),
        managed=labels.get(MANAGED_LABEL) == MANAGED_VALUE,
    )


# --- integrations --------------------------------------------------------------------------


def integration_from_manifest(manifest: models.Integration) -> JsonObject:
    spec = manifest.spec
    return {
        "labels": _json(dict(manifest.metadata.labels)),
        "spec": {
            "description": spec.description,
            "status": spec.status,
            "url": spec.url,
            "method": spec.method,
            "auth": {
                "type": spec.auth.type,
                "headerName": spec.auth.headerName or None,
                "secret": SENSITIVE if spec.auth.secret else None,
            },
            "headers": _json(dict(spec.headers)),
            "requestMapping": dict(spec.requestMapping),
            "responseMapping": {
                "extract": spec.responseMapping.extract,
                "normalize": spec.responseMapping.normalize,
            },
            "timeoutSeconds": spec.timeoutSeconds,
        },
    }


def integration_from_live(live: lt.LiveIntegration) -> JsonObject:
    config = live.get("config") or {}
    mapping = config.get("response_mapping") or {}
    spec_fields = models.IntegrationSpec
    return {
        "labels": _json(own_labels(live.get("labels"))),
        "spec": {
            "description": live.get("description") or "",
            "status": live.get("status") or _default(spec_fields, "status"),
            "url": config.get("url"),
            "method": config.get("method") or _default(spec_fields, "method"),
            "auth": {
                "type": config.get("auth_type") or _default(models.IntegrationAuth, "type"),
                "headerName": config.get("auth_header_name") or None,
                "secret": SENSITIVE if live.get("auth_secret_sha256") else None,
            },
            "headers": dict(config.get("headers") or {}),
            "requestMapping": dict(config.get("request_mapping") or {}),
            "responseMapping": {
                "extract": mapping.get("extract"),
                "normalize": mapping.get("normalize")
                or _default(models.ResponseMapping, "normalize"),
            },
            "timeoutSeconds": config.get("timeout_seconds")
            or _default(spec_fields, "timeoutSeconds"),
        },
    }


def secret_sha256(object_id: str, secret: str) -> str:
    """The API's fingerprint of a stored secret: hex sha256 of ``"<id>:<secret>"``."""
    return hashlib.sha256(f"{object_id}:{secret}".encode()).hexdigest()


def secret_matches(live: lt.LiveIntegration, secret: str | None) -> bool | None:
    """Whether the live secret is ``secret``; None when unknowable (value not available)."""
    live_hash = live.get("auth_secret_sha256")
    if secret is None:
        return None
    if not live_hash:
        return False
    return secret_sha256(live["id"], secret) == live_hash


# --- slots ---------------------------------------------------------------------------------


def slot_from_manifest(manifest: models.Slot) -> JsonObject:
    spec = manifest.spec
    return {
        "labels": _json(dict(manifest.metadata.labels)),
        "spec": {
            "type": spec.type,
            "patterns": _json(list(spec.patterns)),
            "fillStrategy": spec.fillStrategy,
            "dependencies": _json(sorted(set(spec.dependencies))),
        },
    }


def slot_from_live(live: lt.LiveSlot, names_by_id: Mapping[str, str]) -> JsonObject:
    """``names_by_id``: the bot's slot ids to names; an unknown id stays as the id."""
    dependencies = {names_by_id.get(dep, dep) for dep in live.get("dependencies") or ()}
    return _slot_content(live.get("labels"), live.get("type"), live.get("patterns"),
                         live.get("fillStrategy"), dependencies)


def slot_from_write(body: lt.SlotWrite) -> JsonObject:
    """What a slot holds once ``body`` is written, its dependencies as the ids it writes: the
    counterpart of ``slot_from_live(live, {})`` when no names are at hand (apply, after a 409)."""
    return _slot_content(body["labels"], body["type"], body["patterns"], body["fillStrategy"],
                         set(body["dependencies"]))


def _slot_content(
    labels: Mapping[str, str] | None,
    slot_type: str | None,
    patterns: list[str] | None,
    fill_strategy: str | None,
    dependencies: set[str],
) -> JsonObject:
    return {
        "labels": _json(own_labels(labels)),
        "spec": {
            "type": slot_type or _default(models.SlotSpec, "type"),
            "patterns": _json(list(patterns or ())),
            "fillStrategy": fill_strategy or _default(models.SlotSpec, "fillStrategy"),
            "dependencies": _json(sorted(dependencies)),
        },
    }


# --- context defaults ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ContextApplied:
    """What the reserved context key records: manifest name, applied hash, managed keys."""

    name: str | None
    applied_hash: str | None
    keys: tuple[str, ...]


def context_from_manifest(manifest: models.ContextDefaults) -> JsonObject:
    variables: JsonObject = {
        key: {"value": var.value, "scope": var.scope}
        for key, var in sorted(manifest.spec.variables.items())
    }
    return {"variables": variables}


def context_from_live(live: lt.LiveContext, keys: set[str] | frozenset[str]) -> JsonObject:
    """The live entries of ``keys`` only (the ones the reconciler manages or wants)."""
    context = live.get("context") or {}
    variables: JsonObject = {}
    for key in sorted(keys):
        entry = context.get(key)
        if isinstance(entry, dict) and key != CONTEXT_APPLIED_KEY:
            variables[key] = {
                "value": entry.get("value"),
                "scope": entry.get("scope") or _default(models.ContextVariable, "scope"),
            }
    return {"variables": variables}


def context_applied_of(live: lt.LiveContext | None) -> ContextApplied | None:
    """What the reserved context key records, or None when there is none (or garbled)."""
    entry = (live.get("context") or {}).get(CONTEXT_APPLIED_KEY) if live else None
    value = entry.get("value") if isinstance(entry, dict) else None
    if not isinstance(value, dict):
        return None
    keys = value.get("keys")
    name, applied = value.get("name"), value.get("hash")
    return ContextApplied(
        name=name if isinstance(name, str) else None,
        applied_hash=applied if isinstance(applied, str) else None,
        keys=tuple(k for k in keys if isinstance(k, str)) if isinstance(keys, list) else (),
    )


def applied_entry(name: str, applied_hash: str, keys: list[str]) -> lt.ContextEntry:
    """The applied entry apply writes (its shape is the manifests' own, which validate counts)."""
    return context_entry(models.applied_entry(name, applied_hash, keys))


def context_entry(raw: Mapping[str, JsonValue]) -> lt.ContextEntry:
    """An entry the manifests build as JSON (``{"value", "scope"}``) as the API's type."""
    scope = raw.get("scope")
    if not isinstance(scope, str):
        raise ValueError(f"a context entry without a scope: {raw!r}")
    return {"value": raw.get("value"), "scope": scope}

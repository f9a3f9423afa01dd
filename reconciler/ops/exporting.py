"""Manifests from live state: what ``cogctl export`` writes, as text, without touching files.

One file per kind per bot, relative to the output directory: ``<bot>/integrations.yaml``,
``<bot>/slots.yaml``, ``<bot>/context.yaml`` (a kind with nothing live gets no file). Each is
multi-document YAML of ``apiVersion: cogctl/v1`` manifests in the manifest vocabulary
(camelCase keys), documents sorted by name, values equal to the manifest default left out.

Policy, so that what is written validates and plans to zero changes against the state it came
from:

- Content goes through ``normalizing``'s ``*_from_live``: exactly the form the planner compares.
- Labels lose the reconciler's own (``managed-by``, ``cogctl/applied-hash``); slot
  dependencies are slot names; the context's applied entry (``_cogctl_applied``) and the
  pending-retraining marker (``_cogctl_retrain``) are left out, and
  the ContextDefaults document takes the applied entry's name (else ``context``). Every other live
  context key is exported: exporting adopts it.
- A stored integration secret becomes ``secret: {fromEnv: <BOT>_<NAME>_SECRET}``: the API
  never returns a value. While that variable is unset the planner cannot compare the secret
  and counts it as unchanged; once set, a plan shows a secret change unless it holds the
  stored value.
- What is not live state cannot be exported: slot ``verify`` thresholds and integration
  ``probe`` sections come out as the defaults (left out); add them by hand. A slot's
  ``examples`` and ``verify`` that a manifest already in the output directory gives it
  (``kept_slot_parts``: ``export --force`` rewriting its own files) are kept.
- Every document starts with ``# yaml-language-server: $schema=<path>``, as ``cogctl init``
  writes them (the editor applies that comment to its own document only): ``<path>`` is
  ``schemas/manifest.schema.json`` of the project root, relative to the file written
  (``schema_reference``; by default the one ``cogctl init`` lays out, two folders up).
- A live object that cannot be a valid manifest (a name the manifest format does not allow, a
  value out of range) is skipped and reported in ``ExportResult.skipped``, never half-written.
  So is one the backend says its live state does not express faithfully (``refusals``: a
  backend with ``ExportRefusals``, such as Cognigy.AI's, where a slot filler with regex flags
  or of a type cogctl does not map reads as a slot it is not): address -> reason.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, cast, runtime_checkable

import pydantic
import yaml

from reconciler import errors, fileio
from reconciler.core import livestate, normalizing, plans, retrainmarker
from reconciler.core import livetypes as lt
from reconciler.manifests import loading, models, rules

FILENAMES: dict[str, str] = {
    "Integration": "integrations.yaml",
    "Slot": "slots.yaml",
    "ContextDefaults": "context.yaml",
}
DEFAULT_CONTEXT_NAME = "context"
SCHEMA_FILE = "schemas/manifest.schema.json"
DEFAULT_SCHEMA_REFERENCE = f"../../{SCHEMA_FILE}"
MODELINE = "# yaml-language-server: $schema="
_NOT_ENV_CHARS = re.compile(r"[^A-Za-z0-9]+")


@dataclasses.dataclass(frozen=True)
class ExportResult:
    """``files``: relative path -> YAML text; ``skipped``: one line per object left out;
    ``counts``: documents per file; ``secret_envs``: the variables the placeholders name."""

    files: dict[str, str]
    skipped: tuple[str, ...] = ()
    counts: Mapping[str, int] = dataclasses.field(default_factory=dict)
    secret_envs: tuple[str, ...] = ()


@runtime_checkable
class ExportRefusals(Protocol):
    """A backend that knows live objects its live state cannot export faithfully."""

    async def export_refusals(self, bot_id: str) -> dict[str, str]:
        """address (``Kind/bot/name``) -> why it is left out."""
        ...


async def refusals(backend: object, bot_id: str) -> dict[str, str]:
    """What ``backend`` says must not be exported for ``bot_id`` (nothing, if it says nothing)."""
    if isinstance(backend, ExportRefusals):
        return await backend.export_refusals(bot_id)
    return {}


def secret_env_name(logical_bot: str, name: str) -> str:
    """``<BOT>_<NAME>_SECRET`` in upper case, every other character run as one ``_``; with a
    ``BOT_`` prefix where that would be a reserved variable (``rules.reserved_secret_env``)."""
    words = _NOT_ENV_CHARS.sub("_", f"{logical_bot}_{name}").strip("_").upper()
    env = f"{words}_SECRET"
    if not re.match(models.ENV_VAR_PATTERN, env):
        env = f"_{env}"
    # a bot called ``github`` or ``ci`` must not produce a reserved variable name
    return f"BOT_{env}" if rules.reserved_secret_env(env) else env


def build_export(
    live: livestate.BotState | livestate.LiveState, bot_id: str, logical_bot: str
) -> dict[str, str]:
    """The files ``cogctl export`` writes for one bot: relative path -> YAML text."""
    return export_bot(live, bot_id, logical_bot).files


def schema_reference(out: Path, project_root: Path, logical_bot: str) -> str:
    """The manifest schema of ``project_root`` as seen from ``out/<logical_bot>/`` (where
    the exported files go), for the per-document modeline: a relative POSIX path."""
    folder = (out / logical_bot).absolute()
    schema = (project_root / SCHEMA_FILE).absolute()
    return Path(os.path.relpath(schema, folder)).as_posix()


def kept_slot_parts(root: Path, logical_bot: str) -> dict[str, dict[str, Any]]:
    """slot name -> ``{"examples": [...], "verify": {...}}`` of the valid Slot manifests of
    ``logical_bot`` already under ``root`` (what export would otherwise lose on rewrite)."""
    folder = root / logical_bot
    if not folder.is_dir():
        return {}
    kept: dict[str, dict[str, Any]] = {}
    for loaded in loading.load_manifests([folder]).manifests:
        slot = loaded.manifest
        if isinstance(slot, models.Slot) and slot.metadata.bot == logical_bot:
            parts = slot.spec.model_dump(mode="json", include={"examples", "verify"},
                                         exclude_defaults=True)
            if parts:
                kept[slot.metadata.name] = parts
    return kept


def export_bot(
    live: livestate.BotState | livestate.LiveState,
    bot_id: str,
    logical_bot: str,
    *,
    kept: Mapping[str, Mapping[str, Any]] | None = None,
    schema: str = DEFAULT_SCHEMA_REFERENCE,
    refused: Mapping[str, str] | None = None,
) -> ExportResult:
    """Like ``build_export``, also saying what was skipped and how many documents each file has.

    ``kept``: slot name -> spec parts to carry over (``kept_slot_parts``); ``schema``: the
    path every document's modeline names (``schema_reference``); ``refused``: address ->
    reason, objects left out (``refusals``)."""
    bot = live.bot(bot_id) if isinstance(live, livestate.LiveState) else live
    skipped = [f"{address}: {reason}; left out" for address, reason in
               sorted((refused or {}).items())]
    bot = _without(bot, {a.split("/", 2)[2] for a in refused or {} if a.startswith("Slot/")},
                   {a.split("/", 2)[2] for a in refused or {} if a.startswith("Integration/")})
    documents: dict[str, list[models.Integration | models.Slot | models.ContextDefaults]] = {}
    names_by_id = {slot["slotId"]: slot["name"] for slot in bot.slots}
    for integration in sorted(bot.integrations, key=lambda i: i["name"]):
        _add(documents, skipped, "Integration", integration["name"], logical_bot,
             _integration_spec(integration, logical_bot),
             labels=normalizing.own_labels(integration.get("labels")))
    for slot in sorted(bot.slots, key=lambda s: s["name"]):
        spec = dict(cast(Mapping[str, Any], normalizing.slot_from_live(slot, names_by_id)["spec"]))
        spec.update((kept or {}).get(slot["name"], {}))
        _add(documents, skipped, "Slot", slot["name"], logical_bot, spec,
             labels=normalizing.own_labels(slot.get("labels")))
    if bot.context is not None:
        record = normalizing.context_applied_of(bot.context)
        variables = _context_variables(bot.context)
        if variables:
            _add(documents, skipped, "ContextDefaults",
                 (record.name if record and record.name else None) or DEFAULT_CONTEXT_NAME,
                 logical_bot, {"variables": variables}, labels={})
    files = {
        f"{logical_bot}/{FILENAMES[kind]}": _render(docs, bot_id, schema)
        for kind, docs in documents.items()
    }
    counts = {f"{logical_bot}/{FILENAMES[kind]}": len(docs) for kind, docs in documents.items()}
    secret_envs = tuple(
        doc.spec.auth.secret.fromEnv
        for doc in documents.get("Integration", ())
        if isinstance(doc, models.Integration) and doc.spec.auth.secret is not None
    )
    return ExportResult(files=files, skipped=tuple(skipped), counts=counts,
                        secret_envs=secret_envs)


def _without(bot: livestate.BotState, slots: set[str],
             integrations: set[str]) -> livestate.BotState:
    if not slots and not integrations:
        return bot
    return dataclasses.replace(
        bot, slots=tuple(s for s in bot.slots if s["name"] not in slots),
        integrations=tuple(i for i in bot.integrations if i["name"] not in integrations))


def _integration_spec(live: lt.LiveIntegration, logical_bot: str) -> Any:
    spec = dict(cast(Mapping[str, Any], normalizing.integration_from_live(live)["spec"]))
    auth = dict(cast(Mapping[str, Any], spec["auth"]))
    if auth.pop("secret", None) == plans.SENSITIVE:
        auth["secret"] = {"fromEnv": secret_env_name(logical_bot, live["name"])}
    spec["auth"] = auth
    return spec


def _context_variables(context: lt.LiveContext) -> dict[str, Any]:
    keys = set(context.get("context") or {}) - {
        normalizing.CONTEXT_APPLIED_KEY, retrainmarker.MARKER_KEY,
    }
    variables = normalizing.context_from_live(context, keys)["variables"]
    return dict(cast(Mapping[str, Any], variables))


_KIND_MODELS: dict[str, type[models.Integration | models.Slot | models.ContextDefaults]] = {
    "Integration": models.Integration,
    "Slot": models.Slot,
    "ContextDefaults": models.ContextDefaults,
}


def _add(
    documents: dict[str, list[models.Integration | models.Slot | models.ContextDefaults]],
    skipped: list[str],
    kind: str,
    name: str,
    logical_bot: str,
    spec: Any,
    *,
    labels: dict[str, str],
) -> None:
    """Validate one document through the manifest model; a failure skips it with a reason."""
    metadata: dict[str, Any] = {"name": name, "bot": logical_bot}
    if labels:
        metadata["labels"] = labels
    raw = {"apiVersion": models.API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}
    try:
        document = _KIND_MODELS[kind].model_validate(raw)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        skipped.append(f"{kind}/{logical_bot}/{name}: not a valid manifest "
                       f"({where}: {first['msg']}); left out")
        return
    documents.setdefault(kind, []).append(document)


def _render(docs: list[models.Integration | models.Slot | models.ContextDefaults],
            bot_id: str, schema: str) -> str:
    header = f"# Exported by cogctl export --bot {bot_id}. Review before committing.\n"
    body = "".join(
        "---\n" + MODELINE + schema + "\n"
        + yaml.safe_dump(_document(doc), sort_keys=False, allow_unicode=True,
                         default_flow_style=False, width=100)
        for doc in docs
    )
    return header + body


def _document(doc: models.Integration | models.Slot | models.ContextDefaults) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": doc.metadata.name, "bot": doc.metadata.bot}
    if doc.metadata.labels:
        metadata["labels"] = dict(doc.metadata.labels)
    spec = doc.spec.model_dump(mode="json", exclude_defaults=True)
    if isinstance(doc, models.ContextDefaults):
        # A variable's value is kept even when it equals a default (null, ""): it is the point.
        spec = {"variables": {
            key: {"value": var.value, **({"scope": var.scope} if var.scope != "global" else {})}
            for key, var in doc.spec.variables.items()
        }}
    return {"apiVersion": doc.apiVersion, "kind": doc.kind, "metadata": metadata, "spec": spec}


def write_export(root: Path, files: Mapping[str, str], *, force: bool = False,
                 hint: str = "pass --force to overwrite, or --out another directory") -> list[Path]:
    """Write ``files`` under ``root``; each file appears whole or not at all.

    Refuses (``errors.CogctlError``, nothing written) when a file exists, unless ``force``.
    Every file is first written and synced beside its target, then all are renamed into
    place, so a failure while writing leaves no file changed.
    """
    targets = [(root / relative, text) for relative, text in sorted(files.items())]
    existing = [str(path) for path, _ in targets if path.exists()]
    if existing and not force:
        raise errors.CogctlError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}",
            hint=hint,
        )
    try:
        fileio.write_all_atomic(targets, mode=0o644)
    except OSError as exc:
        raise errors.CogctlError(
            f"cannot write {exc.filename or root}: {exc.strerror or exc}"
        ) from exc
    return [path for path, _ in targets]

"""The plan document: one format for ``plan --output json``, ``plan --out FILE`` and ``show``.

``public_document`` is what ``plan --output json`` prints (``shared/interfaces.md``)::

    {"format_version", "target", "fingerprint", "summary": {"create", "update", "delete",
     "unchanged"}, "changes": [{"address", "action", "reason", "drift", "before", "after",
     "diff": [{"path", "before", "after"}], "secret"}], "retrain": [botId], "verify": [...],
     "source": {"digest"}}

Format 1.1 added ``changes[].predicted`` (only on a created or updated slot with examples:
``{"before": {"passed", "total", "rate"} | null, "after": {...}, "changed": [{"text",
"expected", "before", "after", "passedBefore", "passedAfter"}], "regression",
"maxRegression"}``); 1.2 ``changes[].secret`` (``{"fromEnv": NAME}`` where the object's secret
comes from, else null: a name, never a value) and ``source.digest`` (what the plan was made
from, see ``planclaims``); 1.3 ``targets`` (the ``--target`` patterns; empty: the whole
desired state). Minor versions only add fields.

``saved_document`` (``plan --out FILE``) is that same document plus one key, ``execution``:
what ``apply --plan`` needs to check the plan's claims and carry it out (the live versions
observed, the write bodies, ids, dependencies and idempotency keys, the options it was made
with). ``read_saved`` reads it back into the ``plans.Plan`` it was written from, exactly,
and refuses anything else with one line that says what is wrong: a document printed by
``--output json`` (no ``execution``), a plan from another major version or from before 1.2
(nothing to verify it by), a malformed one. Reading checks shape only; whether the plan
may be applied is ``planclaims`` and ``engine.savedplans``' business.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from reconciler import errors
from reconciler.core import livetypes as lt
from reconciler.core import plans, predicting
from reconciler.core import writetypes as wt
from reconciler.manifests import models

FORMAT_VERSION = plans.FORMAT_VERSION  # the one version, history in plans.py
EXECUTION = "execution"
_MAJOR = FORMAT_VERSION.split(".")[0]
_FIRST_VERIFIABLE = (1, 2)
# ``Kind/bot/name`` with a kind apply knows; names may hold spaces and dots, never a slash.
ADDRESS = r"^(Integration|Slot|ContextDefaults|SimulationSuite)/[^/\s]+/[^/]+$"
APPLIED_KEY = models.CONTEXT_APPLIED_KEY
_REPLAN = "re-run cogctl plan --out FILE with this cogctl, review it, and apply that"


def public_document(plan: plans.Plan) -> dict[str, Any]:
    """The ``plan --output json`` document (see the module docstring)."""
    return {
        "format_version": FORMAT_VERSION,
        "target": plan.target,
        "fingerprint": plan.fingerprint,
        "summary": plan.summary().as_dict(),
        "changes": [_public_change(c, plan.prediction_for(c.address)) for c in plan.changes],
        "retrain": list(plan.retrain),
        "verify": [check.to_document() for check in plan.verify],
        "source": {"digest": plan.source or None},
        "targets": list(plan.targets),
    }


def saved_document(plan: plans.Plan) -> dict[str, Any]:
    """The ``plan --out FILE`` document: the public one plus ``execution``."""
    return {**public_document(plan), EXECUTION: _execution(plan)}


def _public_change(change: plans.Change,
                   prediction: predicting.Prediction | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "address": change.address,
        "action": change.action.value,
        "reason": change.reason,
        "drift": change.drift,
        "before": change.before,
        "after": change.after,
        "diff": [{"path": d.path, "before": d.before, "after": d.after} for d in change.diff],
        "secret": {"fromEnv": change.secret_env} if change.secret_env else None,
    }
    if prediction is not None:
        doc["predicted"] = prediction.to_document()
    return doc


def _execution(plan: plans.Plan) -> dict[str, Any]:
    return {
        "observed": dict(plan.observed),
        "unmanaged": list(plan.unmanaged),
        "orphaned": list(plan.orphaned),
        "prune": plan.prune,
        "secretsRead": list(plan.secrets_read),
        "pendingRetrain": [p.to_document() for p in plan.pending_retrain],
        "contextVersions": dict(plan.context_versions),
        "changes": [
            {
                "address": c.address, "kind": c.kind, "bot": c.bot, "botId": c.bot_id,
                "name": c.name, "liveId": c.live_id, "liveVersion": c.live_version,
                "write": c.write.to_json() if c.write else None,
                "dependsOn": list(c.depends_on),
                "idempotencyKey": c.idempotency_key,
                "sensitive": [d.path for d in c.diff if d.sensitive],
            }
            for c in plan.changes
        ],
    }


# --- reading -------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Open(BaseModel):
    """Parts later minor versions may add keys to: unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


Address = Annotated[str, Field(pattern=ADDRESS, max_length=400)]
Text = Annotated[str, Field(max_length=100_000)]


class _Diff(_Open):
    path: Text
    before: JsonValue
    after: JsonValue


class _SecretRef(_Strict):
    fromEnv: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class _PublicChange(_Open):
    address: Address
    action: Literal["create", "update", "delete", "no-op"]
    reason: Text
    drift: bool
    before: dict[str, JsonValue] | None
    after: dict[str, JsonValue] | None
    diff: list[_Diff]
    secret: _SecretRef | None = None


class _Verify(_Open):
    address: Address
    check: Literal["extraction", "simulation"]
    botId: Text
    slotId: Text | None = None
    minExtractionRate: float | None = None
    maxRegression: float | None = None
    minPassRate: float | None = None


class _ExecutionChange(_Open):
    address: Address
    kind: Literal["Integration", "Slot", "ContextDefaults", "SimulationSuite"]
    bot: Text
    botId: Text
    name: Text
    liveId: Text | None
    liveVersion: Text | None
    write: dict[str, JsonValue] | None
    dependsOn: list[Address]
    idempotencyKey: Text | None
    sensitive: list[Text] = Field(default_factory=list)


class _IntegrationConfigBody(_Strict):
    url: Text
    method: Text
    auth_type: Text
    auth_header_name: Text | None
    headers: dict[Text, Text]
    request_mapping: dict[Text, JsonValue]
    response_mapping: dict[Text, JsonValue]
    timeout_seconds: int
    auth_secret: None = None  # a plan never holds a secret: at most the null that clears it


class _IntegrationBody(_Strict):
    bot_id: Text
    name: Text
    description: Text
    status: Literal["ACTIVE", "INACTIVE"]
    labels: dict[Text, Text]
    config: _IntegrationConfigBody


class _SlotBody(_Strict):
    botId: Text
    name: Text
    type: Literal["regex", "keyphrase"]
    patterns: list[Text]
    fillStrategy: Text
    dependencies: list[Text]
    triggerRetrain: Literal[False]
    labels: dict[Text, Text]


class _ContextEntry(_Strict):
    value: JsonValue
    scope: Text


class _ContextBody(_Strict):
    context: dict[Text, _ContextEntry | None]


class _Pending(_Open):
    botId: Text
    reason: Text
    jobId: Text | None = None


class _Execution(_Open):
    observed: dict[Address, Text]
    unmanaged: list[Text]
    orphaned: list[Text]
    prune: bool
    secretsRead: list[Text]
    pendingRetrain: list[_Pending]
    contextVersions: dict[Text, Text]
    changes: list[_ExecutionChange]


class _Source(_Open):
    digest: Text | None


class _Saved(_Open):
    format_version: Text
    target: Text
    fingerprint: Text
    summary: dict[str, int]
    changes: list[_PublicChange]
    retrain: list[Text]
    verify: list[_Verify]
    source: _Source
    execution: _Execution
    targets: list[Text] = Field(default_factory=list)  # 1.3


def _version(data: Mapping[str, Any]) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d{1,4})\.(\d{1,4})", str(data.get("format_version", "")))
    return (int(match.group(1)), int(match.group(2))) if match else None


def is_plan_document(data: object) -> bool:
    """True for anything that claims to be a plan document (a ``format_version`` and changes)."""
    return isinstance(data, Mapping) and "format_version" in data and "changes" in data


def read_saved(data: object) -> plans.Plan:
    """The plan a saved document holds; ``errors.ConfigError`` (one line) for anything else."""
    if not isinstance(data, Mapping) or "format_version" not in data:
        raise errors.ConfigError("not a saved plan: expected a JSON object with format_version",
                                 hint=_REPLAN)
    version = _version(data)
    if version is None or str(version[0]) != _MAJOR:
        raise errors.ConfigError(
            f"saved plan has format_version {data.get('format_version')!r}; this cogctl reads "
            f"{_MAJOR}.x", hint=_REPLAN)
    if version < _FIRST_VERIFIABLE:
        raise errors.ConfigError(
            f"saved plan has format_version {data['format_version']}, older than "
            f"{FORMAT_VERSION}: it records nothing apply can verify it by", hint=_REPLAN)
    if EXECUTION not in data:
        raise errors.ConfigError(
            "this is a plan document as plan --output json prints it, not a saved plan: it "
            "lacks what apply needs", hint="save one with cogctl plan --out FILE")
    try:
        saved = _Saved.model_validate(data)
    except pydantic.ValidationError as exc:
        raise errors.ConfigError(f"saved plan is not valid: {_first_error(exc)}",
                                 hint=_REPLAN) from None
    try:
        return _plan(saved)
    except ValueError as exc:
        raise errors.ConfigError(f"saved plan is not valid: {exc}", hint=_REPLAN) from None


def _first_error(exc: pydantic.ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    return f"{where}: {first['msg']}"


def _plan(saved: _Saved) -> plans.Plan:
    run = saved.execution
    if [c.address for c in saved.changes] != [c.address for c in run.changes]:
        raise ValueError("changes and execution.changes do not name the same objects in order")
    return plans.Plan(
        target=saved.target,
        fingerprint=saved.fingerprint,
        changes=tuple(_change(shown, how) for shown, how
                      in zip(saved.changes, run.changes, strict=True)),
        unmanaged=tuple(run.unmanaged),
        orphaned=tuple(run.orphaned),
        retrain=tuple(saved.retrain),
        verify=tuple(_check(v) for v in saved.verify),
        observed=dict(run.observed),
        pending_retrain=tuple(plans.PendingRetrain(p.botId, p.reason, p.jobId)
                              for p in run.pendingRetrain),
        context_versions=dict(run.contextVersions),
        source=saved.source.digest or "",
        prune=run.prune,
        secrets_read=tuple(run.secretsRead),
        targets=tuple(saved.targets),
        format_version=saved.format_version,
    )


def _change(shown: _PublicChange, how: _ExecutionChange) -> plans.Change:
    sensitive = set(how.sensitive)
    try:
        write = _write_body(how.kind, shown.action, how.write)
    except pydantic.ValidationError as exc:
        raise ValueError(f"{shown.address}: write: {_first_error(exc)}") from None
    except ValueError as exc:
        raise ValueError(f"{shown.address}: write: {exc}") from None
    return plans.Change(
        address=shown.address,
        kind=how.kind,
        bot=how.bot,
        bot_id=how.botId,
        name=how.name,
        action=plans.Action(shown.action),
        reason=shown.reason,
        drift=shown.drift,
        before=shown.before,
        after=shown.after,
        diff=tuple(plans.FieldDiff(d.path, d.before, d.after, d.path in sensitive)
                   for d in shown.diff),
        live_id=how.liveId,
        live_version=how.liveVersion,
        write=write,
        secret_env=shown.secret.fromEnv if shown.secret else None,
        depends_on=tuple(how.dependsOn),
        idempotency_key=how.idempotencyKey,
    )


def _write_body(kind: str, action: str, data: plans.JsonObject | None) -> wt.WriteBody | None:
    """The typed body a saved change records (the JSON ``writetypes`` bodies write)."""
    if data is None:
        return None
    if kind == "Integration":
        return _integration_body(_IntegrationBody.model_validate(data))
    if kind == "Slot":
        slot = _SlotBody.model_validate(data)
        return wt.SlotBody({
            "botId": slot.botId, "name": slot.name, "type": slot.type,
            "patterns": slot.patterns, "fillStrategy": slot.fillStrategy,
            "dependencies": slot.dependencies, "triggerRetrain": False, "labels": slot.labels,
        })
    if kind != "ContextDefaults":
        raise ValueError(f"a {kind} change writes nothing")
    changes: dict[str, lt.ContextEntry | None] = {
        key: None if entry is None else {"value": entry.value, "scope": entry.scope}
        for key, entry in _ContextBody.model_validate(data).context.items()
    }
    if action != plans.Action.DELETE.value:
        return wt.ContextPatch(changes)
    if any(entry is not None for entry in changes.values()) or APPLIED_KEY not in changes:
        raise ValueError("the removal of context defaults sets a key, or keeps the applied entry")
    return wt.ContextRemoval(tuple(sorted(k for k in changes if k != APPLIED_KEY)))


def _integration_body(doc: _IntegrationBody) -> wt.IntegrationBody:
    c = doc.config
    config: lt.IntegrationConfig = {
        "url": c.url, "method": c.method, "auth_type": c.auth_type,
        "auth_header_name": c.auth_header_name, "headers": c.headers,
        "request_mapping": c.request_mapping, "response_mapping": c.response_mapping,
        "timeout_seconds": c.timeout_seconds,
    }
    return wt.IntegrationBody(
        {"bot_id": doc.bot_id, "name": doc.name, "description": doc.description,
         "status": doc.status, "labels": doc.labels, "config": config},
        clears_secret="auth_secret" in c.model_fields_set,
    )


def _check(doc: _Verify) -> plans.VerifyCheck:
    return plans.VerifyCheck(
        address=doc.address, check=doc.check, bot_id=doc.botId, slot_id=doc.slotId,
        min_extraction_rate=doc.minExtractionRate, max_regression=doc.maxRegression,
        min_pass_rate=doc.minPassRate,
    )

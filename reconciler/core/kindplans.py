"""Per-kind planning of one bot's objects; ``planning.build_plan`` drives it and orders.

Each ``plan_*`` function matches manifests with live objects by name, normalizes both
sides, decides through ``comparing.compare`` and appends ``plans.Change`` objects (and what
it observed, and what it leaves alone) to the ``Accumulator``. Policy is described in
``planning``; the normalized form in ``normalizing``; write bodies in ``writebodies``
(their types in ``writetypes``). What varies between changes travels in two small dataclasses:
``Desired`` (what the manifests want of an object) and ``Leftover`` (a live object to delete).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from reconciler.core import (
    comparing,
    diffing,
    livestate,
    normalizing,
    plans,
    writebodies,
    writetypes,
)
from reconciler.core import livetypes as lt
from reconciler.manifests import models


@dataclasses.dataclass
class Accumulator:
    """Mutable while one plan is built; frozen into a ``plans.Plan`` at the end."""

    prune: bool
    secrets: dict[str, str | None]
    changes: list[plans.Change] = dataclasses.field(default_factory=list)
    observed: dict[str, str] = dataclasses.field(default_factory=dict)
    unmanaged: list[str] = dataclasses.field(default_factory=list)
    orphaned: list[str] = dataclasses.field(default_factory=list)
    checks: dict[str, plans.VerifyCheck] = dataclasses.field(default_factory=dict)
    pending: list[plans.PendingRetrain] = dataclasses.field(default_factory=list)
    context_versions: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Desired:
    """What the manifests want of one object: its content, and how to write it.

    ``write`` builds the body only when it is sent: a no-op needs neither the body nor the
    applied hash it carries (most objects of a converged tenant; building bodies nobody sends
    would be most of a no-op plan's cost).
    """

    after: plans.JsonObject
    write: Callable[[], writetypes.WriteBody]
    secret_env: str | None = None
    depends_on: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Leftover:
    """A live object the manifests no longer name, as a delete would remove it."""

    before: plans.JsonObject
    version: str | None
    live_id: str | None = None
    depends_on: tuple[str, ...] = ()  # whatever still depends on it goes first
    removal: writetypes.ContextRemoval | None = None  # context defaults: the keys to remove


@dataclasses.dataclass(frozen=True)
class BotContext:
    logical: str
    bot_id: str
    live: livestate.BotState

    def address(self, kind: str, name: str) -> str:
        return f"{kind}/{self.logical}/{name}"

    def created(
        self, kind: str, name: str, desired: Desired, *, live_id: str | None = None,
        live_version: str | None = None, idempotency_key: str | None = None,
    ) -> plans.Change:
        return plans.Change(
            address=self.address(kind, name), kind=kind, bot=self.logical, bot_id=self.bot_id,
            name=name, action=plans.Action.CREATE, reason=comparing.NEW, drift=False,
            before=None, after=desired.after, live_id=live_id, live_version=live_version,
            write=desired.write(), secret_env=desired.secret_env,
            depends_on=desired.depends_on, idempotency_key=idempotency_key,
        )

    def existing(
        self, kind: str, name: str, desired: Desired, verdict: comparing.Verdict, *,
        before: plans.JsonObject, live_id: str | None, live_version: str | None,
    ) -> plans.Change:
        noop = verdict.action is plans.Action.NOOP
        return plans.Change(
            address=self.address(kind, name), kind=kind, bot=self.logical, bot_id=self.bot_id,
            name=name, action=verdict.action, reason=verdict.reason, drift=verdict.drift,
            # equal contents: one dict serves as both sides (a large plan is mostly these)
            before=desired.after if noop else before, after=desired.after, diff=verdict.diff,
            live_id=live_id, live_version=live_version,
            write=None if noop else desired.write(), secret_env=desired.secret_env,
            depends_on=desired.depends_on,
        )

    def deleted(self, kind: str, name: str, leftover: Leftover, note: str) -> plans.Change:
        return plans.Change(
            address=self.address(kind, name), kind=kind, bot=self.logical, bot_id=self.bot_id,
            name=name, action=plans.Action.DELETE, reason=comparing.ORPHAN + note, drift=False,
            before=leftover.before, after=None, live_id=leftover.live_id,
            live_version=leftover.version, write=leftover.removal,
            depends_on=leftover.depends_on,
        )


def _leftover(
    acc: Accumulator, ctx: BotContext, kind: str, name: str, leftover: Leftover, *,
    managed: bool, note: str = "",
) -> None:
    """A live object the manifests do not name: prune, list as orphaned, or leave alone."""
    address = ctx.address(kind, name)
    if not managed:
        acc.unmanaged.append(address)
    elif not acc.prune:
        acc.orphaned.append(address)
    else:
        acc.observed[address] = leftover.version or plans.ABSENT
        acc.changes.append(ctx.deleted(kind, name, leftover, note))


# --- integrations --------------------------------------------------------------------------


def plan_integrations(
    acc: Accumulator, ctx: BotContext, manifests: Sequence[models.Integration]
) -> None:
    live_by_name = {i["name"]: i for i in ctx.live.integrations}
    for manifest in sorted(manifests, key=lambda m: m.metadata.name):
        live = live_by_name.pop(manifest.metadata.name, None)
        acc.changes.append(_plan_integration(acc, ctx, manifest, live))
    for name, live in sorted(live_by_name.items()):
        _leftover(
            acc, ctx, "Integration", name,
            Leftover(normalizing.integration_from_live(live), live.get("version"), live["id"]),
            managed=normalizing.applied_record_of(live.get("labels")).managed,
        )


def _plan_integration(
    acc: Accumulator,
    ctx: BotContext,
    manifest: models.Integration,
    live: lt.LiveIntegration | None,
) -> plans.Change:
    name = manifest.metadata.name
    after = normalizing.integration_from_manifest(manifest)
    secret_env = manifest.spec.auth.secret.fromEnv if manifest.spec.auth.secret else None
    desired = Desired(
        after,
        _with_applied_hash(lambda h: writebodies.integration_write(manifest, bot_id=ctx.bot_id,
                                                                   applied_hash=h), after),
        secret_env=secret_env,
    )
    address = ctx.address("Integration", name)
    if live is None:
        acc.observed[address] = plans.ABSENT
        key = writebodies.idempotency_key_for(ctx.bot_id, name, diffing.content_hash(after))
        return ctx.created("Integration", name, desired, idempotency_key=key)
    acc.observed[address] = live["version"]
    extra, extra_reason = _secret_change(acc, live, secret_env)
    before = normalizing.integration_from_live(live)
    verdict = comparing.compare(
        before,
        after,
        applied_hash=normalizing.applied_record_of(live.get("labels")).applied_hash,
        extra=extra,
        extra_reason=extra_reason,
    )
    return ctx.existing("Integration", name, desired, verdict, before=before,
                        live_id=live["id"], live_version=live["version"])


def _secret_change(
    acc: Accumulator, live: lt.LiveIntegration, secret_env: str | None
) -> tuple[tuple[plans.FieldDiff, ...], str]:
    """A stored secret that differs from the environment's value (when that is known)."""
    wanted = acc.secrets.get(secret_env) if secret_env else None
    if comparing.secret_differs(live, wanted):
        why = f"the value of {secret_env} differs from the stored secret"
        return (comparing.secret_diff(),), why
    return (), ""


def _with_applied_hash(
    make: Callable[[str], writetypes.WriteBody], after: plans.JsonObject
) -> Callable[[], writetypes.WriteBody]:
    """The write-body factory, given the hash of ``after`` when (if ever) it is built."""
    return lambda: make(diffing.content_hash(after))


# --- slots ---------------------------------------------------------------------------------


def plan_slots(acc: Accumulator, ctx: BotContext, manifests: Sequence[models.Slot]) -> None:
    live_by_name = {s["name"]: s for s in ctx.live.slots}
    names_by_id = {s["slotId"]: s["name"] for s in ctx.live.slots}
    ids = {n: s["slotId"] for n, s in live_by_name.items()}
    for manifest in manifests:
        name = manifest.metadata.name
        ids.setdefault(name, writebodies.slot_id_for(ctx.bot_id, name))
    for manifest in sorted(manifests, key=lambda m: m.metadata.name):
        _plan_slot(acc, ctx, manifest, live_by_name.pop(manifest.metadata.name, None),
                   ids=ids, names_by_id=names_by_id)
    dependants: dict[str, list[str]] = {}
    for slot in ctx.live.slots:
        for dep in slot.get("dependencies") or ():
            dependants.setdefault(names_by_id.get(dep, dep), []).append(slot["name"])
    managed = {
        n: normalizing.applied_record_of(s.get("labels")).managed for n, s in live_by_name.items()
    }
    for name, live in sorted(live_by_name.items()):
        # A slot nobody deletes or rewrites still depends on it: the API will refuse (409).
        blockers = [d for d in dependants.get(name, ()) if d in managed and not managed[d]]
        _leftover(
            acc, ctx, "Slot", name,
            Leftover(
                normalizing.slot_from_live(live, names_by_id), live.get("version"),
                live["slotId"],
                # Whatever still depends on this slot must be rewritten or deleted first.
                depends_on=tuple(ctx.address("Slot", d) for d in sorted(dependants.get(name, ()))),
            ),
            managed=managed[name],
            note=f"; still a dependency of {', '.join(sorted(blockers))}, which cogctl does not "
            "manage: the API refuses the delete until that changes" if blockers else "",
        )


def _plan_slot(
    acc: Accumulator,
    ctx: BotContext,
    manifest: models.Slot,
    live: lt.LiveSlot | None,
    *,
    ids: dict[str, str],
    names_by_id: dict[str, str],
) -> None:
    name = manifest.metadata.name
    after = normalizing.slot_from_manifest(manifest)
    dependencies = sorted(set(manifest.spec.dependencies))
    dependency_ids = [ids.get(d) or writebodies.slot_id_for(ctx.bot_id, d) for d in dependencies]
    desired = Desired(
        after,
        _with_applied_hash(lambda h: writebodies.slot_write(manifest, bot_id=ctx.bot_id,
                                                            applied_hash=h,
                                                            dependency_ids=dependency_ids), after),
        depends_on=tuple(ctx.address("Slot", d) for d in dependencies),
    )
    address = ctx.address("Slot", name)
    if live is None:
        acc.observed[address] = plans.ABSENT
        change = ctx.created("Slot", name, desired, live_id=ids[name])
    else:
        acc.observed[address] = live["version"]
        before = normalizing.slot_from_live(live, names_by_id)
        verdict = comparing.compare(
            before,
            after,
            applied_hash=normalizing.applied_hash_of(live.get("labels")),
            textual=True,  # slot_from_manifest: labels, type, patterns, dependencies: text
        )
        change = ctx.existing("Slot", name, desired, verdict, before=before,
                              live_id=live["slotId"], live_version=live["version"])
    acc.changes.append(change)
    if change.action is not plans.Action.NOOP:
        acc.checks[address] = _extraction_check(ctx, manifest, ids[name])


def check_slots(acc: Accumulator, ctx: BotContext, manifests: Sequence[models.Slot]) -> None:
    """An extraction check for every slot of ``manifests`` (a bot retrained without a slot
    change in this plan: what an interrupted apply wrote is verified after all)."""
    ids = {s["name"]: s["slotId"] for s in ctx.live.slots}
    for manifest in manifests:
        name = manifest.metadata.name
        slot_id = ids.get(name) or writebodies.slot_id_for(ctx.bot_id, name)
        acc.checks.setdefault(ctx.address("Slot", name), _extraction_check(ctx, manifest, slot_id))


def _extraction_check(ctx: BotContext, manifest: models.Slot, slot_id: str) -> plans.VerifyCheck:
    return plans.VerifyCheck(
        address=manifest.address,
        check="extraction",
        bot_id=ctx.bot_id,
        slot_id=slot_id,
        min_extraction_rate=manifest.spec.verify.minExtractionRate,
        max_regression=manifest.spec.verify.maxRegression,
    )


# --- context defaults ----------------------------------------------------------------------


def _context_leftover(
    acc: Accumulator, ctx: BotContext, live: lt.LiveContext, record: normalizing.ContextApplied
) -> None:
    """Context defaults cogctl applied to a bot whose manifests no longer have any."""
    managed = set(record.keys)
    leftover = Leftover(normalizing.context_from_live(live, managed), live.get("contextVersion"),
                        removal=writebodies.context_removal(managed))
    _leftover(acc, ctx, "ContextDefaults", record.name or "context", leftover, managed=True)


def plan_context(
    acc: Accumulator, ctx: BotContext, manifest: models.ContextDefaults | None
) -> None:
    live = ctx.live.context
    record = normalizing.context_applied_of(live)
    version = live.get("contextVersion") if live else None
    managed = set(record.keys) if record else set()
    if manifest is None:
        if record is not None and live is not None:
            _context_leftover(acc, ctx, live, record)
        return
    name = manifest.metadata.name
    acc.observed[ctx.address("ContextDefaults", name)] = version or plans.ABSENT
    wanted = set(manifest.spec.variables)
    after = normalizing.context_from_manifest(manifest)
    applied = diffing.content_hash(after)
    empty: lt.LiveContext = {"botId": ctx.bot_id, "contextVersion": "", "context": {}}
    before = normalizing.context_from_live(live or empty, wanted | managed)
    variables = before["variables"]
    present = set(variables) if isinstance(variables, dict) else set()
    write = writebodies.context_patch(
        manifest, applied_hash=applied, remove=(managed - wanted) & present
    )
    desired = Desired(after, lambda: write)
    if record is None and not present:
        acc.changes.append(ctx.created("ContextDefaults", name, desired, live_version=version))
        return
    verdict = comparing.compare(
        before,
        after,
        applied_hash=record.applied_hash if record else None,
        wanted_hash=applied,
        drift_base=normalizing.context_from_live(live or empty, managed),
    )
    acc.changes.append(ctx.existing("ContextDefaults", name, desired, verdict, before=before,
                                    live_id=None, live_version=version))

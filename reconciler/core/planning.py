"""Build the plan: desired manifests + a live snapshot -> an ordered, immutable ``Plan``.

Pure: no network, no terminal. Policy:

- Objects are matched by (bot, kind, name); the manifests name bots logically and
  ``bot_ids`` maps them to botIds (a name without a mapping is the botId itself).
- A live object that is not in the manifests is deleted only with ``prune=True`` and only
  when it is labelled ``managed-by: cogctl`` (context defaults: when the reserved applied-hash
  key exists); without prune it is listed in ``orphaned``. Anything else is ``unmanaged`` and
  left alone.
- New slots get ``bodies.slot_id_for(botId, name)`` as id (the slot PUT is an upsert, so a
  repeated create is harmless); new integrations get an idempotency key.
- Order: integrations, slots (dependencies first), context defaults; then deletes in the
  reverse order (context defaults, slots with dependants first, integrations).
- ``observed`` records the version (or ``absent``) of every object the plan acts on or
  compares; ``stale_addresses`` re-reads exactly those.
- Secrets compare through ``auth_secret_sha256`` when ``secrets`` holds the value; when the
  environment variable is unset the stored secret cannot be compared and counts as equal
  (a plan job needs no secrets); a secret that is wanted but missing live is always a change.
- Every created or updated slot with examples gets a ``predicting.Prediction``: its examples
  with the live patterns and with the new ones.
- A bot whose context defaults carry the pending-retraining marker (``retrainmarks``) is
  retrained even when nothing changes: it is in ``retrain`` and ``pending_retrain`` (with a
  reason), and every slot of its manifests gets an extraction check. The marker is not an
  observed object: setting or clearing it never makes a saved plan stale by itself.
- ``targets`` (``--target``: addresses, ``fnmatch`` globs such as ``Slot/support/*``) limit
  the plan to the objects they match and, for a target that is created, the changes of what
  it depends on (transitively): nothing else is written, and prune never deletes outside the
  targets. ``observed``, ``orphaned``, ``unmanaged``, retraining and verification follow the
  objects kept; the plan records its ``targets`` so every renderer can say it is partial.
- Prune needs the whole desired state: ``prune_scope_problem`` says why a run that did not
  load every manifest path of the project may not prune.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePath

from reconciler import collector, errors
from reconciler.core import kindplans as kinds
from reconciler.core import livestate, plans, predicting, retrainmarker
from reconciler.manifests import models

Desired = models.Integration | models.Slot | models.ContextDefaults | models.SimulationSuite


def build_plan(
    desired: Sequence[Desired],
    live: livestate.LiveState,
    *,
    bot_ids: Mapping[str, str],
    target: str,
    prune: bool = False,
    secrets: Mapping[str, str | None] | None = None,
    targets: Sequence[str] = (),
    source: str = "",
) -> plans.Plan:
    """The plan that makes ``live`` match ``desired`` (see the module docstring).

    ``source`` is the digest of what ``desired`` came from (``planclaims.source_digest``).
    """
    with collector.paused():
        return _build(desired, live, bot_ids=bot_ids, target=target, prune=prune,
                      secrets=secrets, targets=targets, source=source)


def _build(
    desired: Sequence[Desired],
    live: livestate.LiveState,
    *,
    bot_ids: Mapping[str, str],
    target: str,
    prune: bool,
    secrets: Mapping[str, str | None] | None,
    targets: Sequence[str],
    source: str,
) -> plans.Plan:
    acc = kinds.Accumulator(prune=prune, secrets=dict(secrets or {}))
    by_bot: dict[str, list[Desired]] = {}
    for manifest in desired:
        by_bot.setdefault(manifest.metadata.bot, []).append(manifest)
    for logical, of_bot in sorted(by_bot.items()):
        bot_id = bot_ids.get(logical, logical)
        _plan_bot(acc, kinds.BotContext(logical=logical, bot_id=bot_id, live=live.bot(bot_id)),
                  of_bot)
    changes = _ordered(acc.changes)
    if targets:
        _narrow(acc, changes := targeted(changes, targets), targets)
    suites = [m for m in desired if isinstance(m, models.SimulationSuite)]
    observed = dict(sorted(acc.observed.items()))
    retrain = _retrain(changes, acc.pending)
    return plans.Plan(
        target=target,
        fingerprint=plans.fingerprint_of(observed),
        changes=changes,
        unmanaged=tuple(sorted(acc.unmanaged)),
        orphaned=tuple(sorted(acc.orphaned)),
        retrain=retrain,
        verify=_verify(changes, acc.checks, suites, bot_ids, acc.pending),
        observed=observed,
        pending_retrain=tuple(sorted(acc.pending, key=lambda p: p.bot_id)),
        context_versions={
            b: v for b, v in sorted(acc.context_versions.items()) if b in retrain
        },
        predictions=_predictions(changes, desired),
        targets=tuple(targets),
        source=source,
        prune=prune,
        secrets_read=tuple(sorted(k for k, v in (secrets or {}).items() if v is not None)),
    )


def _predictions(
    changes: Sequence[plans.Change], desired: Sequence[Desired]
) -> tuple[predicting.Prediction, ...]:
    """Predicted extraction of every created or updated slot with examples, in plan order."""
    slots = {m.address: m for m in desired if isinstance(m, models.Slot)}
    found = []
    for change in changes:
        manifest = slots.get(change.address)
        if manifest is None or change.action not in (plans.Action.CREATE, plans.Action.UPDATE):
            continue
        prediction = predicting.predict(change.address, manifest, change.before,
                                        depends_on=change.depends_on)
        if prediction is not None:
            found.append(prediction)
    return tuple(found)


def matches(address: str, targets: Iterable[str]) -> bool:
    """Whether ``address`` is one of ``targets`` (exact, or an ``fnmatch`` glob)."""
    return any(address == t or fnmatch.fnmatchcase(address, t) for t in targets)


def targeted(changes: Sequence[plans.Change], targets: Sequence[str]) -> tuple[plans.Change, ...]:
    """The changes of the objects ``targets`` match, with what new ones depend on; in order.

    A delete is kept only when its own address matches: a dependency never widens a prune.
    """
    by_address = {c.address: c for c in changes}
    kept = {c.address for c in changes if matches(c.address, targets)}
    todo = [a for a in kept if by_address[a].action is plans.Action.CREATE]
    while todo:
        for dependency in by_address[todo.pop()].depends_on:
            found = by_address.get(dependency)
            if found is None or dependency in kept or found.action is plans.Action.DELETE:
                continue
            kept.add(dependency)
            if found.action is plans.Action.CREATE:
                todo.append(dependency)
    return tuple(c for c in changes if c.address in kept)


def _narrow(acc: kinds.Accumulator, changes: Sequence[plans.Change],
            targets: Sequence[str]) -> None:
    """Keep in ``acc`` only what belongs to the targeted ``changes`` and ``targets``."""
    kept = {c.address for c in changes}
    acc.observed = {a: v for a, v in acc.observed.items() if a in kept}
    acc.orphaned = [a for a in acc.orphaned if matches(a, targets)]
    acc.unmanaged = [a for a in acc.unmanaged if matches(a, targets)]
    bots = {c.bot_id for c in changes}
    acc.pending = [p for p in acc.pending if p.bot_id in bots]


def prune_scope_problem(
    project_paths: Sequence[PurePath], run_paths: Sequence[PurePath]
) -> str | None:
    """Why a run over ``run_paths`` may not prune, or None when it loads the whole project.

    Both sides are absolute paths; a project path is loaded when a run path is it or one of
    its parents. A run that loads part of the project sees the rest as "left the manifests".
    """
    missing = [p for p in project_paths
               if not any(p == r or r in p.parents for r in run_paths)]
    if not missing:
        return None
    return ("--prune needs every manifest path of the project, and this run does not load "
            + ", ".join(str(p) for p in missing)
            + ": what it does not load would count as removed and be deleted")


def _plan_bot(acc: kinds.Accumulator, ctx: kinds.BotContext, of_bot: list[Desired]) -> None:
    kinds.plan_integrations(acc, ctx, [m for m in of_bot if isinstance(m, models.Integration)])
    slots = [m for m in of_bot if isinstance(m, models.Slot)]
    kinds.plan_slots(acc, ctx, slots)
    _pending_retrain(acc, ctx, slots)
    contexts = [m for m in of_bot if isinstance(m, models.ContextDefaults)]
    if len(contexts) > 1:
        raise errors.ManifestError(
            f"bot {ctx.logical!r} has {len(contexts)} ContextDefaults documents; one per bot"
        )
    kinds.plan_context(acc, ctx, contexts[0] if contexts else None)


def _pending_retrain(
    acc: kinds.Accumulator, ctx: kinds.BotContext, slots: Sequence[models.Slot]
) -> None:
    """The bot's pending retraining, if its marker is live; its slots are then verified.

    The bot's contextVersion is kept for apply's marker PATCHes (If-Match without a read).
    """
    if ctx.live.context and ctx.live.context.get("contextVersion"):
        acc.context_versions[ctx.bot_id] = ctx.live.context["contextVersion"]
    marker = retrainmarker.marker_of(ctx.live.context)
    if marker is None:
        return
    kinds.check_slots(acc, ctx, slots)
    acc.pending.append(plans.PendingRetrain(
        ctx.bot_id, retrainmarker.reason_for(ctx.bot_id, marker), marker.job_id
    ))


def _ordered(changes: list[plans.Change]) -> tuple[plans.Change, ...]:
    kind_rank = {"Integration": 0, "Slot": 1, "ContextDefaults": 2}
    writes = [c for c in changes if c.action is not plans.Action.DELETE]
    deletes = [c for c in changes if c.action is plans.Action.DELETE]
    writes.sort(key=lambda c: (kind_rank.get(c.kind, 9), c.bot, c.name))
    deletes.sort(key=lambda c: (-kind_rank.get(c.kind, 9), c.bot, c.name))
    # A delete's depends_on names the slots that still depend on it: they go first.
    return (*_topological(writes), *_topological(deletes))


def _topological(changes: list[plans.Change]) -> list[plans.Change]:
    """Stable topological order by ``depends_on``; a cycle keeps the given order."""
    index = {c.address: c for c in changes}
    done: set[str] = set()
    visiting: set[str] = set()
    out: list[plans.Change] = []

    def visit(change: plans.Change) -> None:
        if change.address in done or change.address in visiting:
            return
        visiting.add(change.address)
        for dep in change.depends_on:
            if dep in index:
                visit(index[dep])
        visiting.discard(change.address)
        done.add(change.address)
        out.append(change)

    for change in changes:
        visit(change)
    return out


def _retrain(
    changes: Iterable[plans.Change], pending: Iterable[plans.PendingRetrain]
) -> tuple[str, ...]:
    bots = {c.bot_id for c in changes if c.kind == "Slot" and c.action is not plans.Action.NOOP}
    return tuple(sorted(bots | {p.bot_id for p in pending}))


def _verify(
    changes: tuple[plans.Change, ...],
    extraction: Mapping[str, plans.VerifyCheck],
    suites: list[models.SimulationSuite],
    bot_ids: Mapping[str, str],
    pending: Iterable[plans.PendingRetrain],
) -> tuple[plans.VerifyCheck, ...]:
    checks = [extraction[c.address] for c in changes if c.address in extraction]
    changed_bots = {c.bot_id for c in changes if c.action is not plans.Action.NOOP}
    changed_bots |= {p.bot_id for p in pending}
    for suite in sorted(suites, key=lambda s: s.address):
        bot_id = bot_ids.get(suite.metadata.bot, suite.metadata.bot)
        if bot_id in changed_bots:
            checks.append(
                plans.VerifyCheck(
                    address=suite.address,
                    check="simulation",
                    bot_id=bot_id,
                    min_pass_rate=suite.spec.minPassRate,
                )
            )
    return tuple(checks)


def stale_addresses(
    plan: plans.Plan, live: livestate.LiveState, bot_ids: Mapping[str, str]
) -> list[str]:
    """Addresses whose live version differs from what ``plan`` observed, sorted.

    An object that appeared where the plan saw none (``absent``) counts, and so does one
    that disappeared.
    """
    current = {
        address: current_version(address, live, bot_ids) for address in plan.observed
    }
    return sorted(a for a, seen in plan.observed.items() if current[a] != seen)


def current_version(address: str, live: livestate.LiveState, bot_ids: Mapping[str, str]) -> str:
    """The live version at ``address`` (``Kind/bot/name``), or ``plans.ABSENT``."""
    kind, logical, name = address.split("/", 2)
    bot = live.bot(bot_ids.get(logical, logical))
    found: str | None = None
    if kind == "Integration":
        integration = bot.integration_named(name)
        found = integration["version"] if integration else None
    elif kind == "Slot":
        slot = bot.slot_named(name)
        found = slot["version"] if slot else None
    elif kind == "ContextDefaults" and bot.context is not None:
        found = bot.context.get("contextVersion")
    return found if found is not None else plans.ABSENT


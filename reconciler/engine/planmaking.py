"""Make a plan from a project and a tenant, and hold a saved plan to its claims.

``make_plan`` is load -> fetch -> plan: the manifests' bots are read through the backend and
``core.planning`` diffs them. The plan records the digest of the project it came from, the
options it was made with and which secrets it could compare.

``verify_saved`` is what ``apply --plan FILE`` runs before anything is written (policy in
``core.planclaims``), in this order, refusing with exit 1 at the first failure:

1. the fingerprint is recomputed from the live versions the plan records;
2. the plan's target is this run's target;
3. the digest of this run's validated manifests and project file is the plan's;
4. live state is read (bots from the project, never from the file) and every object the plan
   observed still has the version it saw: otherwise the plan is stale, or, when live state
   already is what the plan would make it, "already applied";
5. the plan is re-derived from the manifests against that live state, with the plan's own
   options and the same secrets compared, and must equal the saved plan exactly.

The re-derived plan is what apply then executes: equal to the saved one in every change.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from reconciler import errors, fileio, jsontypes
from reconciler.backend import base
from reconciler.core import livestate, planclaims, plandocuments, planning, plans
from reconciler.engine import fetching
from reconciler.manifests import models, validating

Desired = models.Integration | models.Slot | models.ContextDefaults
_REPLAN = "run cogctl plan --out FILE again, review it, and apply that"


def bot_ids(project: validating.Project) -> dict[str, str]:
    """logical bot -> botId, for every bot the manifests name."""
    return {
        loaded.manifest.metadata.bot: project.bot_id(loaded.manifest.metadata.bot)
        for loaded in project.manifests
    }


def desired(project: validating.Project) -> list[Desired]:
    """The manifests that are live objects (simulation suites are not)."""
    return [
        loaded.manifest
        for loaded in project.manifests
        if not isinstance(loaded.manifest, models.SimulationSuite)
    ]


def source_digest(project: validating.Project) -> str:
    return planclaims.source_digest(
        [loaded.manifest for loaded in project.manifests], project.config, project.environment
    )


def secret_values(
    manifests: Collection[Desired], env: Mapping[str, str] = os.environ
) -> dict[str, str | None]:
    """env var -> value (None when unset) of every secret the manifests reference."""
    names = {
        m.spec.auth.secret.fromEnv
        for m in manifests
        if isinstance(m, models.Integration) and m.spec.auth.secret is not None
    }
    return {name: env.get(name) or None for name in sorted(names)}


async def fetch_live(backend: base.Backend, project: validating.Project) -> livestate.LiveState:
    return await fetching.fetch_live_state(
        backend, sorted(set(bot_ids(project).values())), project=project
    )


def derive(
    project: validating.Project,
    live: livestate.LiveState,
    *,
    target: str,
    prune: bool,
    secrets: Mapping[str, str | None],
    targets: Sequence[str] = (),
) -> plans.Plan:
    """The plan the manifests give against ``live`` (pure), limited to ``targets`` if any."""
    return planning.build_plan(
        [loaded.manifest for loaded in project.manifests],  # suites: verified, not written
        live,
        bot_ids=bot_ids(project),
        target=target,
        prune=prune,
        secrets=secrets,
        source=source_digest(project),
        targets=targets,
    )


async def make_plan(
    backend: base.Backend,
    project: validating.Project,
    *,
    target: str,
    prune: bool,
    targets: Sequence[str] = (),
    env: Mapping[str, str] = os.environ,
) -> tuple[plans.Plan, livestate.LiveState]:
    """Fetch the live state of the manifests' bots and diff it into a plan."""
    live = await fetch_live(backend, project)
    plan = derive(project, live, target=target, prune=prune,
                  secrets=secret_values(desired(project), env), targets=targets)
    return plan, live


async def verify_saved(
    backend: base.Backend,
    project: validating.Project,
    saved: plans.Plan,
    *,
    target: str,
    env: Mapping[str, str] = os.environ,
) -> tuple[plans.Plan, livestate.LiveState]:
    """The plan to execute for ``saved``, after checking its every claim (module docstring)."""
    problem = planclaims.fingerprint_problem(saved)
    if problem is not None:
        raise errors.ConfigError(f"refusing the saved plan: {problem}", hint=_REPLAN)
    if saved.target != target:
        raise errors.ConfigError(
            f"the saved plan was made for {saved.target!r}, this run targets {target!r}",
            hint="plan again against this target",
        )
    digest = source_digest(project)
    if saved.source != digest:
        raise errors.ConfigError(
            "refusing the saved plan: it was not made from the manifests and cogctl.yaml this "
            f"run loads (plan source {saved.source or 'none'}, these {digest})",
            hint="apply with the same paths and --env as the plan, or " + _REPLAN,
        )
    live = await fetch_live(backend, project)
    # Only secrets the plan compared are compared again: a plan made without them (a CI
    # plan job has none) is re-derived without them too.
    secrets = {name: (value if name in saved.secrets_read else None)
               for name, value in secret_values(desired(project), env).items()}
    fresh = derive(project, live, target=target, prune=saved.prune, secrets=secrets,
                   targets=saved.targets)
    stale = planning.stale_addresses(saved, live, bot_ids(project))
    if stale:
        raise _stale_error(saved, fresh, stale)
    found = planclaims.differences(saved, fresh)
    if found:
        raise errors.ConfigError(
            "refusing the saved plan: it is not what the manifests give against live state: "
            + planclaims.describe(found),
            hint=_REPLAN,
        )
    return fresh, live


def _stale_error(saved: plans.Plan, fresh: plans.Plan, stale: list[str]) -> errors.StalePlanError:
    """Stale, or, when live state already is what the plan makes it, already applied."""
    written = {c.address for c in saved.pending()}
    still = {c.address for c in fresh.pending()}
    if written and set(stale) <= written and not (written & still):
        return errors.StalePlanError(
            f"the saved plan was already applied: live state of its {len(written)} object(s) "
            f"({planclaims.describe(sorted(written))}) already is what it makes it, so it is "
            "stale and there is nothing to do",
            hint="a saved plan applies once; run cogctl plan to see what changed since",
        )
    return errors.StalePlanError(
        f"the saved plan is stale: live state changed since it was made at {', '.join(stale)}",
        hint=_REPLAN,
    )


# --- saved plan files ----------------------------------------------------------------------

MAX_PLAN_BYTES = 64 * 1024 * 1024


def read_saved_file(path: Path) -> plans.Plan:
    """The plan saved in ``path``; one clear ``ConfigError`` for anything else."""
    return plandocuments.read_saved(_read_json(path, what="saved plan"))


def _read_json(path: Path, *, what: str) -> object:
    """A regular file of at most ``MAX_PLAN_BYTES``, as strict JSON (the one reader of each)."""
    try:
        raw = fileio.read_bounded(path, MAX_PLAN_BYTES)
    except OSError as exc:
        raise errors.ConfigError(
            f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    try:
        return jsontypes.loads(raw)
    except ValueError as exc:
        raise errors.ConfigError(f"{path}: the {what} is not JSON: {exc}") from None


def refuse_plan_paths(paths: Collection[Path]) -> None:
    """``apply FILE.json`` where FILE is a saved plan: say to use ``--plan FILE``."""
    for path in paths:
        if path.suffix.lower() != ".json" or not path.is_file():
            continue
        try:
            data = _read_json(path, what="file")
        except errors.ConfigError:
            continue
        if plandocuments.is_plan_document(data):
            raise errors.ConfigError(
                f"{path} is a saved plan, not a manifest path",
                hint=f"use cogctl apply --plan {path}",
            )

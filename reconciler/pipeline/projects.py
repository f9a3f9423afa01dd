"""The project a command works on: loaded and validated before any API call.

``load_project`` is what every manifest command loads; ``project_for_target`` is what the
commands that work on ids load (session, context): cogctl.yaml beside ``manifests/`` (or
``--config``) says where to connect, and with neither, environment variables alone do. Both
choose the environment by the one rule of ``manifests.projects``, as ``export`` does through
``load_config`` and ``backend.targeting.choose_environment``.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path

from reconciler import errors
from reconciler.core import planning
from reconciler.engine import planmaking
from reconciler.manifests import loading, models, validating
from reconciler.pipeline.settings import Settings

Suite = tuple[models.SimulationSuite, str]


def load_project(settings: Settings, *, prune: bool = False) -> validating.Project:
    """Load and validate every document; no API call happens before this succeeds.

    ``prune``: the run will delete what left the manifests, so it must load every manifest
    path of the project (``check_prune``).
    """
    project = validating.require_valid(validating.load_project(
        list(settings.paths), env=settings.env, config=settings.config
    ))
    if prune:
        check_prune(project, settings.paths)
    return project


def project_for_target(settings: Settings) -> validating.Project:
    """The project whose cogctl.yaml says where to connect; manifests are not required.

    Manifests found are validated as for every command (no API call before they are valid),
    but having none is fine here: these commands work on ids, not on manifests.
    """
    existing = [path for path in settings.paths if path.exists()]
    if not existing and settings.config is not None:
        existing = [settings.config.parent]
    if not existing:  # no manifests folder: the cogctl.yaml here or above still says where
        found = validating.find_config([Path(".")])
        existing = [found.parent] if found is not None else []
    if not existing:
        return validating.Project(manifests=(), diagnostics=(), config=None, config_path=None,
                                  environment=settings.env)
    return validating.require_valid(validating.load_project(
        existing, env=settings.env, config=settings.config, allow_empty=True))


def load_config(path: Path | None) -> models.ProjectConfig | None:
    """The project file alone (no manifests), or None without one; invalid is an error."""
    if path is None:
        return None
    loaded, diagnostics = loading.load_config(path)
    if diagnostics or loaded is None:
        raise errors.ManifestError(
            diagnostics[0].render() if diagnostics else f"{path}: cannot load",
            diagnostics=diagnostics,
        )
    return loaded.config


def check_prune(project: validating.Project, paths: Collection[Path]) -> None:
    """Refuse --prune (exit 1) unless this run loads every manifest path of the project."""
    problem = planning.prune_scope_problem(
        validating.project_paths(project), [Path(os.path.abspath(p)) for p in paths]
    )
    if problem is not None:
        raise errors.ConfigError(
            problem, hint="run on every path of the project (list them under manifests: in "
                          "cogctl.yaml), and narrow with --target instead")


def suites(project: validating.Project, bots: Collection[str] | None = None) -> list[Suite]:
    """(suite, botId) for every suite, or only those of ``bots`` (botIds) when given."""
    found = []
    for loaded in project.manifests:
        manifest = loaded.manifest
        if isinstance(manifest, models.SimulationSuite):
            bot_id = project.bot_id(manifest.metadata.bot)
            if bots is None or bot_id in bots:
                found.append((manifest, bot_id))
    return found


def select_suites(project: validating.Project, names: Collection[str]) -> list[Suite]:
    """The suites to run: all, or those whose name (or address) is among ``names``."""
    every = suites(project)
    found = [(s, b) for s, b in every if not names or s.metadata.name in names
             or s.address in names]
    unknown = set(names) - {s.metadata.name for s, _ in found} - {s.address for s, _ in found}
    if unknown:
        known = ", ".join(sorted(s.metadata.name for s, _ in every))
        raise errors.ConfigError(
            f"no SimulationSuite named {', '.join(sorted(unknown))} (known: {known or 'none'})")
    if not found:
        raise errors.ConfigError("no SimulationSuite in the manifests given")
    return found


def missing_secret_warnings(
    project: validating.Project, env: Mapping[str, str] = os.environ
) -> list[str]:
    """One warning per secret the manifests reference that the environment does not hold."""
    users: dict[str, list[str]] = {}
    for manifest in planmaking.desired(project):
        if isinstance(manifest, models.Integration) and manifest.spec.auth.secret is not None:
            users.setdefault(manifest.spec.auth.secret.fromEnv, []).append(manifest.address)
    return [
        f"warning: ${name} is not set: {', '.join(addresses)} cannot be compared, and apply "
        "will refuse to write it until it is set"
        for name, addresses in sorted(users.items()) if not env.get(name)
    ]

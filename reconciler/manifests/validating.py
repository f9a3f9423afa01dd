"""A project: the manifests of a run, the project file, the chosen environment, and every
problem found in them.

``load_project`` never raises for bad input; ``require_valid`` turns problems into one
``errors.ManifestError``. Cross-document rules live here:

- the same address (kind, bot, name) twice is an error naming both places;
- one ContextDefaults per bot;
- slot dependencies name slots of the same bot, and form no cycle (printed ``a -> b -> a``);
- with ``run_examples``, every slot's examples extract their labelled values (``examples``).

They run over documents that failed their own checks too, as far as their raw structure
allows (``outlines``), so one run reports every problem, not the first layer's.

``cogctl.yaml`` is looked for beside the manifests: in each given directory (or a given
file's folder) and then its parents, up to the filesystem root; ``config`` overrides. The
environment is ``env``, else ``$COGCTL_ENV``, else ``defaultEnvironment``, else ``local``
when defined, else the only one.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler import collector, errors, statedir
from reconciler.manifests import (
    aiapi,
    crossdoc,
    dependencies,
    examples,
    loading,
    models,
    patterncache,
    projects,
)

DEFAULT_PATHS = (Path("manifests"),)


@dataclasses.dataclass(frozen=True)
class Project:
    """What a run works on. Invariant: ``ok`` exactly when there are no diagnostics."""

    manifests: tuple[loading.LoadedManifest, ...]
    diagnostics: tuple[loading.Diagnostic, ...]
    config: models.ProjectConfig | None
    config_path: Path | None
    environment: str | None
    ignored: tuple[str, ...] = ()  # YAML files under the paths that are not manifests

    @property
    def ok(self) -> bool:
        return not self.diagnostics

    @property
    def environment_config(self) -> models.Environment | None:
        """The chosen environment's settings, if a project file and an environment exist."""
        if self.config is None or self.environment is None:
            return None
        return self.config.environments.get(self.environment)

    def bot_id(self, logical_bot: str) -> str:
        """The botId of a logical bot in the chosen environment; unmapped names are botIds."""
        settings = self.environment_config
        return settings.bot_id(logical_bot) if settings else logical_bot

    def bots(self) -> tuple[str, ...]:
        """The logical bots the manifests name, in first-seen order."""
        return tuple(dict.fromkeys(m.manifest.metadata.bot for m in self.manifests))


def find_config(paths: Sequence[Path]) -> Path | None:
    """The first ``cogctl.yaml`` beside the given paths or in one of their parents."""
    for given in paths:
        start = given if given.is_dir() else given.parent
        for folder in (start.absolute(), *start.absolute().parents):
            for name in loading.PROJECT_FILENAMES:
                candidate = folder / name
                if candidate.is_file():
                    return _shown(candidate)
    return None


def _shown(path: Path) -> Path:
    """``path`` relative to the working directory when it lies below it (shorter messages)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _choose_environment(
    loaded: loading.LoadedConfig, requested: str | None, environ: Mapping[str, str]
) -> tuple[str | None, list[loading.Diagnostic]]:
    try:
        return projects.choose_environment(loaded.config, requested, environ), []
    except projects.EnvironmentChoiceError as exc:
        line, column = loaded.locate("environments", at_key=True)
        return None, [loading.Diagnostic(loaded.file, line, column, None, str(exc))]


def _fixture_paths(loaded: loading.LoadedConfig) -> list[Path]:
    base = Path(loaded.file).parent
    return [base / env.emulator.fixture for env in loaded.config.environments.values()
            if env.emulator is not None]


def load_project(paths: Sequence[Path], *, env: str | None = None, config: Path | None = None,
                 environ: Mapping[str, str] | None = None, run_examples: bool = False,
                 allow_empty: bool = False) -> Project:
    """Load, validate and cross-check everything under ``paths`` (default ``manifests/``).

    ``run_examples`` (``cogctl validate``) also runs every slot's examples: a failing example
    of a slot below its ``minExampleRate`` is a problem. Other commands leave them to
    ``cogctl test`` and the plan's predictions, which must still show a regression.
    ``allow_empty``: finding no manifest at all is no problem (commands that work on ids).
    """
    paths = list(paths) or list(DEFAULT_PATHS)
    environ = os.environ if environ is None else environ
    config_path = config if config is not None else find_config(paths)
    diagnostics: list[loading.Diagnostic] = []
    loaded_config: loading.LoadedConfig | None = None
    environment: str | None = None
    exclude: list[Path] = []
    if config_path is not None:
        loaded_config, found = loading.load_config(config_path)
        diagnostics.extend(found)
        exclude.append(config_path)
    if loaded_config is not None:
        environment, found = _choose_environment(loaded_config, env, environ)
        if found:  # with no environment, every ${vars.NAME} would be a false second error
            return Project((), (*diagnostics, *found), loaded_config.config, config_path, None)
        exclude.extend(_fixture_paths(loaded_config))
    elif env is not None and config_path is None:
        diagnostics.append(loading.Diagnostic(
            str(paths[0]), 1, 1, None,
            f"--env {env} needs a cogctl.yaml beside the manifests (or --config FILE)"))
    variables = None
    if loaded_config is not None and environment is not None:
        variables = loaded_config.config.environments[environment].vars
    state_dir = statedir.state_dir(environ, project_file=config_path)
    with patterncache.on_disk(state_dir / patterncache.FILE_NAME), collector.paused():
        result = loading.load_manifests(paths, variables=variables, exclude=exclude)
    diagnostics.extend(result.diagnostics)
    diagnostics.extend(check_documents(result.outlined, invalid=result.invalid))
    if run_examples:
        diagnostics.extend(examples.diagnostics(result.manifests))
    if loaded_config is not None:
        diagnostics.extend(check_secret_policy(result.manifests, loaded_config.config.secrets))
    if loaded_config is not None and environment is not None and (
            loaded_config.config.environments[environment].is_cognigy_ai):
        diagnostics.extend(aiapi.diagnostics(result.manifests))
    if result.files == 0 and not result.diagnostics and not allow_empty:
        diagnostics.append(loading.Diagnostic(
            str(paths[0]), 1, 1, None,
            f"no manifests found (a manifest is a YAML file with apiVersion: "
            f"{models.API_VERSION})"))
    return Project(
        manifests=result.manifests,
        diagnostics=tuple(diagnostics),
        config=loaded_config.config if loaded_config else None,
        config_path=config_path,
        environment=environment,
        ignored=result.ignored,
    )


def check_examples(paths: Sequence[Path], *, env: str | None = None,
                  config: Path | None = None) -> tuple[Project, examples.ExampleReport]:
    """``cogctl test``: load and validate the project (a ``ManifestError`` when it is not
    valid), then run every slot's examples offline."""
    project = require_valid(load_project(paths, env=env, config=config))
    return project, examples.run_slots(project.manifests)


def project_paths(project: Project) -> tuple[Path, ...]:
    """Every manifest path of the project, absolute: ``manifests`` of cogctl.yaml (relative
    to it), else the folder of cogctl.yaml, else the default ``manifests/``."""
    if project.config_path is None:
        return tuple(p.absolute() for p in DEFAULT_PATHS)
    base = project.config_path.absolute().parent
    named = project.config.manifests if project.config is not None else None
    return tuple(Path(os.path.normpath(base / p)) for p in named or ["."])


def require_valid(project: Project) -> Project:
    """``project`` itself when valid; otherwise ``errors.ManifestError`` with every problem."""
    if project.ok:
        return project
    count = len(project.diagnostics)
    first = project.diagnostics[0].render()
    more = f" (and {count - 1} more; run cogctl validate)" if count > 1 else ""
    raise errors.ManifestError(f"{first}{more}", diagnostics=project.diagnostics)


def check_documents(
    documents: Sequence[crossdoc.Outline],
    *,
    invalid: frozenset[tuple[str, str, str]] = frozenset(),
) -> list[loading.Diagnostic]:
    """Rules across documents: unique addresses, one ContextDefaults per bot, dependencies.

    ``documents`` are outlines of valid manifests and of documents that failed their own
    checks alike: a document without a usable name takes no part in the address rule, one
    without a usable bot in none. A second document at an address is not checked against
    the ContextDefaults rule, nor a node of the dependency graph, but its own dependencies
    are still looked up: they are wrong whichever of the two the author keeps.
    """
    found: list[loading.Diagnostic] = []
    first_by_address: dict[tuple[str, str, str], crossdoc.Outline] = {}
    context_by_bot: dict[str, crossdoc.Outline] = {}
    for outline in documents:
        identity = outline.identity
        earlier = outline if identity is None else first_by_address.setdefault(identity, outline)
        if earlier is not outline:
            found.append(_found(outline, f"defined twice: here and at {earlier.where}"))
            continue
        if outline.kind == "ContextDefaults" and outline.bot is not None:
            earlier = context_by_bot.setdefault(outline.bot, outline)
            if earlier is not outline:
                found.append(_found(outline, f"bot {outline.bot!r} already has ContextDefaults "
                                             f"at {earlier.where} (one per bot)"))
    found.extend(dependencies.check_dependencies(documents, invalid=invalid))
    return found


def check_secret_policy(
    manifests: Sequence[loading.LoadedManifest], policy: models.SecretPolicy
) -> list[loading.Diagnostic]:
    """Secret references the project file's ``secrets`` policy does not allow."""
    found: list[loading.Diagnostic] = []
    for loaded in manifests:
        manifest = loaded.manifest
        if not isinstance(manifest, models.Integration) or manifest.spec.auth.secret is None:
            continue
        name = manifest.spec.auth.secret.fromEnv
        if not policy.permits(name):
            line, column = loaded.locate("spec", "auth", "secret", "fromEnv")
            found.append(loading.Diagnostic(
                loaded.file, line, column, loaded.address,
                f"spec.auth.secret.fromEnv: {name} is not allowed by cogctl.yaml secrets "
                f"(allowed: {policy.describe()})"))
    return found


def _found(outline: crossdoc.Outline, message: str) -> loading.Diagnostic:
    """A problem of a whole document, shown at its start."""
    return loading.Diagnostic(outline.file, outline.line, outline.column, outline.address,
                              message)

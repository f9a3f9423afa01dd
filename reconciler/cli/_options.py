"""Click options shared by the commands that read manifests and talk to a target.

``project_options`` adds PATHS and the target/recording options to a command and hands the
command one ``Settings`` instead of eight keyword arguments; ``target_options`` does the same
without PATHS, and ``settings_options`` for any subset. Commands that need only some
options without a ``Settings`` use the single decorators (``env_option``, ``output_option``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.pipeline import settings

F = TypeVar("F", bound=Callable[..., Any])

Settings = settings.Settings
DEFAULT_PATHS = settings.DEFAULT_PATHS

_FILE = click.Path(dir_okay=False, path_type=Path)
_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)

paths_argument = click.argument(
    "paths", nargs=-1, type=click.Path(exists=True, path_type=Path)
)
env_option = click.option(
    "--env", "env", metavar="NAME", default=None,
    help="Environment of cogctl.yaml to target (default: COGCTL_ENV, defaultEnvironment, local).",
)
config_option = click.option(
    "--config", "config", type=_EXISTING_FILE, default=None,
    help="Project file to use instead of the cogctl.yaml found beside the manifests.",
)
emulator_fixture_option = click.option(
    "--emulator-fixture", "emulator_fixture", type=_EXISTING_FILE, default=None,
    help="Seed the embedded emulator from this fixture (when no tenant URL is set).",
)
audit_log_option = click.option(
    "--audit-log", "audit_log", type=_FILE, default=None, envvar="COGCTL_AUDIT_LOG",
    help="Audit log to append to (default .cogctl/audit.jsonl).",
)
metrics_file_option = click.option(
    "--metrics-file", "metrics_file", type=_FILE, default=None,
    help="Write request metrics (Prometheus text format) to FILE at the end.",
)


junit_option = click.option(
    "--junit", "junit_file", type=_FILE, default=None,
    help="Also write a JUnit XML report to FILE (for CI).",
)
target_option = click.option(
    "--target", "targets", metavar="ADDRESS", multiple=True,
    help="Plan only this object (Kind/bot/name; globs like 'Slot/support/*'; repeatable), "
         "and what a new one depends on.",
)


def output_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    names = choices or ("text", "json", "markdown")
    return click.option(
        "--output", "-o", "output", type=click.Choice(names), default=default,
        show_default=True, help="Output format on stdout.",
    )


_SETTING_OPTIONS: dict[str, Callable[[Any], Any]] = {
    "paths": paths_argument,
    "env": env_option,
    "config": config_option,
    "emulator_fixture": emulator_fixture_option,
    "audit_log": audit_log_option,
    "metrics_file": metrics_file_option,
}


def settings_options(*keys: str) -> Callable[[F], F]:
    """The options named by ``keys`` (in that order), handed to the command as ``settings``.

    Options not named keep ``Settings``' defaults; no PATHS means ``DEFAULT_PATHS``.
    """

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            values = {key: kwargs.pop(key) for key in keys}
            if "paths" in values:
                values["paths"] = tuple(values["paths"]) or DEFAULT_PATHS
            return command(settings=Settings(**values), **kwargs)

        decorated: Any = wrapper
        for key in reversed(keys):
            decorated = _SETTING_OPTIONS[key](decorated)
        return decorated  # type: ignore[no-any-return]

    return decorate


# PATHS, --env, --config, --emulator-fixture, --audit-log, --metrics-file -> ``settings``.
project_options = settings_options(*_SETTING_OPTIONS)
# The same without PATHS: session and context commands work on ids, not manifests
# (``pipeline.projects.project_for_target`` finds their target).
target_options = settings_options(*(key for key in _SETTING_OPTIONS if key != "paths"))

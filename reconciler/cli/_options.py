"""Click options shared by the commands that read manifests and talk to a target.

``project_options`` adds PATHS and the target/recording options to a command and hands the
command one ``Settings`` instead of eight keyword arguments. Commands that need only some of
them use the single decorators (``env_option``, ``output_option``, ...).
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


_SETTING_KEYS = ("paths", "env", "config", "emulator_fixture", "audit_log", "metrics_file")


def project_options(command: F) -> F:
    """PATHS, --env, --config, --emulator-fixture, --audit-log, --metrics-file -> ``settings``."""

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        values = {key: kwargs.pop(key) for key in _SETTING_KEYS}
        values["paths"] = tuple(values["paths"]) or DEFAULT_PATHS
        return command(settings=Settings(**values), **kwargs)

    decorated: Any = wrapper
    for option in reversed(
        (
            paths_argument,
            env_option,
            config_option,
            emulator_fixture_option,
            audit_log_option,
            metrics_file_option,
        )
    ):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]

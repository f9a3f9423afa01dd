"""Glue shared by the operational commands (simulate, session, context, integration).

``target_options`` gives a command the target and recording options without PATHS (session
and context commands work on ids, not manifests); ``project_for_target`` then finds the
environment settings the way every other command does: cogctl.yaml beside ``manifests/``
(or ``--config``), and with neither, environment variables alone.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from reconciler import jsontypes
from reconciler.cli import _options
from reconciler.core import livetypes as lt
from reconciler.manifests import validating

F = TypeVar("F", bound=Callable[..., Any])

_NO_MANIFESTS = "no manifests found"
_TARGET_KEYS = ("env", "config", "emulator_fixture", "audit_log", "metrics_file")


def target_options(command: F) -> F:
    """--env, --config, --emulator-fixture, --audit-log, --metrics-file -> ``settings``."""

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        values = {key: kwargs.pop(key) for key in _TARGET_KEYS}
        return command(settings=_options.Settings(**values), **kwargs)

    decorated: Any = wrapper
    for option in reversed((
        _options.env_option, _options.config_option, _options.emulator_fixture_option,
        _options.audit_log_option, _options.metrics_file_option,
    )):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


def project_for_target(settings: _options.Settings) -> validating.Project:
    """The project whose cogctl.yaml says where to connect; manifests are not required.

    Manifests found are validated as for every command (no API call before they are valid),
    but having none is fine here: these commands work on ids, not on manifests.
    """
    existing = [path for path in settings.paths if path.exists()]
    if not existing and settings.config is not None:
        existing = [settings.config.parent]
    if not existing:
        return validating.Project(manifests=(), diagnostics=(), config=None, config_path=None,
                                  environment=settings.env)
    project = validating.load_project(existing, env=settings.env, config=settings.config)
    problems = tuple(d for d in project.diagnostics if not d.message.startswith(_NO_MANIFESTS))
    return validating.require_valid(dataclasses.replace(project, diagnostics=problems))


def dumps(data: lt.Json) -> str:
    return jsontypes.dumps(data, indent=2)


def short(value: lt.Json, width: int = 40) -> str:
    """A value on one line for tables: JSON text, cut with an ellipsis past ``width``."""
    text = jsontypes.dumps(value, compact=True)
    return text if len(text) <= width else text[: width - 1] + "…"


def table(
    header: tuple[str, ...], rows: Sequence[tuple[str, ...]], indent: str = ""
) -> list[str]:
    """Left-aligned columns; the last column is never padded."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    return [
        indent + "  ".join(
            [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        ).rstrip()
        for row in [header, *rows]
    ]

"""What the operational commands share (simulate, session, context, integration, test).

``target_options`` gives a command the target and recording options without PATHS (session
and context commands work on ids, not manifests: ``pipeline.projects.project_for_target``
finds their target); ``dumps``, ``short`` and ``table`` lay their results out as text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from reconciler import jsontypes
from reconciler.cli import _options
from reconciler.core import livetypes as lt

F = TypeVar("F", bound=Callable[..., Any])

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

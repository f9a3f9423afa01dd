"""Results laid out as text: pretty JSON, one-line values, and left-aligned columns.

What the operational commands (simulate, session, test, integration probe) share to print
their results; pure string building.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler import jsontypes
from reconciler.core import livetypes as lt


def dumps(data: lt.Json) -> str:
    """A result as ``--output json`` prints it: indented, keys in their given order."""
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

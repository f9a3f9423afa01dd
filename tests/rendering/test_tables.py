"""Results laid out as text: one-line values cut with an ellipsis, columns aligned."""

from __future__ import annotations

import pytest

from reconciler.core import livetypes as lt
from reconciler.rendering import tables


@pytest.mark.parametrize(
    ("value", "width", "shown"),
    [
        ("gold", 40, '"gold"'),
        (2, 40, "2"),
        ({"a": [1, 2]}, 40, '{"a":[1,2]}'),
        ("x" * 50, 10, '"xxxxxxxx…'),
        ("abcdefgh", 10, '"abcdefgh"'),
        (None, 40, "null"),
    ],
)
def test_short(value: lt.Json, width: int, shown: str) -> None:
    assert tables.short(value, width) == shown
    assert len(tables.short(value, width)) <= width


@pytest.mark.parametrize(
    ("header", "rows", "indent", "lines"),
    [
        (("A", "B"), [], "", ["A  B"]),
        (("", "NAME", "DETAIL"), [("ok", "a", "x"), ("FAIL", "long_name", "")], "  ",
         ["        NAME       DETAIL", "  ok    a          x", "  FAIL  long_name"]),
        (("NAME", "VALUE"), [("n", "a value longer than the header")], "",
         ["NAME  VALUE", "n     a value longer than the header"]),
    ],
)
def test_table_pads_every_column_but_the_last(
    header: tuple[str, ...], rows: list[tuple[str, ...]], indent: str, lines: list[str]
) -> None:
    assert tables.table(header, rows, indent=indent) == lines


def test_dumps_indents_and_keeps_key_order() -> None:
    assert tables.dumps({"b": 1, "a": [True]}) == '{\n  "b": 1,\n  "a": [\n    true\n  ]\n}'

"""The one strict JSON reader and writer, and the one bounded reader of regular files."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from reconciler import fileio, jsontypes


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("NaN", "NaN is not a JSON number"),
        ('{"a": [Infinity]}', "Infinity is not a JSON number"),
        ("-Infinity", "-Infinity is not a JSON number"),
        ("1e999", "too large to be finite"),
        ("[-1E+400]", "too large to be finite"),
        ("9" * 5000, "5000 digits is too long"),
        ("[" * 129 + "]" * 129, "nesting deeper than 128"),
        ("[" * 200_000, "nesting deeper than 128"),
        ('{"a": 1,}', "line 1 column"),  # the column json names varies across Pythons
        (b"\xff", "not valid UTF-8"),
    ],
)
def test_loads_refuses_what_rfc_8259_does_not_allow(text: str | bytes, needle: str) -> None:
    with pytest.raises(jsontypes.JsonError, match=None) as caught:
        jsontypes.loads(text)
    assert needle in str(caught.value)


def test_loads_keeps_what_it_allows() -> None:
    value = jsontypes.loads('\ufeff{"a": [1, 2.5, "[[[[", null, true], "b": "NaN"}')
    assert value == {"a": [1, 2.5, "[[[[", None, True], "b": "NaN"}
    assert jsontypes.loads("[" * 128 + "]" * 128) is not None


@pytest.mark.parametrize(("value", "where"), [
    (math.nan, "$"), ({"spec": {"k": [1, math.inf]}}, "$.spec.k[1]"),
    ([{"x": -math.inf}], "$[0].x"),
])
def test_dumps_names_the_non_finite_number_and_writes_nothing(value: object, where: str) -> None:
    with pytest.raises(jsontypes.JsonError, match=r"is not a finite number") as caught:
        jsontypes.dumps(value)
    assert str(caught.value).startswith(where + " ")


def test_dumps_is_the_standard_encoding_otherwise() -> None:
    assert jsontypes.dumps({"b": 1, "a": "é"}, sort_keys=True, compact=True) == '{"a":"é","b":1}'
    assert jsontypes.dumps({"a": "é"}, ensure_ascii=True) == '{"a": "\\u00e9"}'


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop.name)
    for path, needle in [(fifo, "not a regular file (a FIFO)"), (tmp_path, "(a folder)"),
                         (Path("/dev/zero"), "(a device)"), (loop, "symbolic links")]:
        with pytest.raises(OSError, match=r".") as caught:
            fileio.read_bounded(path)
        assert needle in str(caught.value.strerror)


def test_reads_are_bounded(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b"x" * 101)
    assert fileio.read_bounded(big, 101) == b"x" * 101
    with pytest.raises(fileio.FileRefusedError, match="larger than 100 bytes"):
        fileio.read_bounded(big, 100)


def test_a_failed_write_names_the_target_not_the_temporary_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError, match="cannot write") as caught:
        fileio.write_atomic(blocker / "plan.json", "{}")
    assert caught.value.filename == str(blocker / "plan.json")

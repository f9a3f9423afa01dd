"""``fileio``: content lands whole, modes are as asked, no temporary file outlives a failure."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from reconciler import fileio


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("plain text\n", b"plain text\n"),
        ("ünïcödé ✓\n", "ünïcödé ✓\n".encode()),
        (b"\x00\xffraw bytes", b"\x00\xffraw bytes"),
        ("", b""),
    ],
)
def test_writes_the_content_creating_parent_folders(
    tmp_path: Path, data: str | bytes, expected: bytes
) -> None:
    target = tmp_path / "a" / "b" / "file.txt"
    fileio.write_atomic(target, data)
    assert target.read_bytes() == expected
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.txt"]


def test_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("old and longer than the new content\n")
    fileio.write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [(None, fileio.PRIVATE_MODE), (0o644, 0o644), (0o600, 0o600), (0o640, 0o640)],
)
def test_file_mode(tmp_path: Path, mode: int | None, expected: int) -> None:
    target = tmp_path / "file.txt"
    fileio.write_atomic(target, "x", mode=mode)
    assert _mode(target) == expected


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file.txt"
    target.write_text("old\n")

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        fileio.write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


def test_a_failed_rename_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file.txt"

    def failing_replace(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(PermissionError):
        fileio.write_atomic(target, "new\n")
    assert list(tmp_path.iterdir()) == []


def test_write_all_changes_nothing_when_one_file_cannot_be_staged(tmp_path: Path) -> None:
    first = tmp_path / "first.txt"
    first.write_text("old\n")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder is needed\n")
    with pytest.raises(OSError, match="blocker"):
        fileio.write_all_atomic([(first, "new\n"), (blocker / "second.txt", "new\n")])
    assert first.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "first.txt"]


def test_write_all_writes_every_file(tmp_path: Path) -> None:
    files: list[tuple[Path, str | bytes]] = [
        (tmp_path / "x" / "one.yaml", "1\n"), (tmp_path / "y" / "two.yaml", b"2\n"),
    ]
    fileio.write_all_atomic(files, mode=0o644)
    assert (tmp_path / "x" / "one.yaml").read_text() == "1\n"
    assert (tmp_path / "y" / "two.yaml").read_bytes() == b"2\n"
    assert {_mode(path) for path, _ in files} == {0o644}

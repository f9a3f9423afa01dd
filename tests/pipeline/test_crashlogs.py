"""The crash log: the traceback in the state directory, else in $TMPDIR, else nowhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.pipeline import crashlogs


def _raised() -> ValueError:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        return exc


def test_the_traceback_goes_to_the_state_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COGCTL_STATE_DIR", str(tmp_path / "state"))
    path = crashlogs.write(_raised())
    assert path is not None
    assert path.parent == crashlogs.directory() == tmp_path / "state" / "logs"
    assert path.name.startswith("cogctl-crash-")
    assert path.suffix == ".log"
    text = path.read_text(encoding="utf-8")
    assert "Traceback" in text
    assert "ValueError: boom" in text


def test_an_unwritable_state_directory_falls_back_to_tmpdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")  # a file where the folder would go
    monkeypatch.setenv("COGCTL_STATE_DIR", str(blocked))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    path = crashlogs.write(_raised())
    assert path is not None
    assert path.parent == tmp_path / "tmp"


def test_no_writable_folder_gives_no_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("COGCTL_STATE_DIR", str(blocked))
    monkeypatch.setenv("TMPDIR", str(blocked / "tmp"))
    assert crashlogs.write(_raised()) is None

"""``cogctl audit verify`` run as a user runs it: exit codes and the line it prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.records import auditing


def _cogctl(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COGCTL_")}
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd, env={**clean, **(env or {})}, capture_output=True, text=True, timeout=60,
        check=False,
    )


def _write_log(path: Path, count: int = 3) -> list[auditing.AuditEntry]:
    log = auditing.AuditLog(path)
    return [log.append("apply.write", address=f"Slot/support/s{i}") for i in range(count)]


def test_intact_log_in_the_default_place(tmp_path: Path) -> None:
    entries = _write_log(tmp_path / ".cogctl" / "audit.jsonl")
    result = _cogctl("audit", "verify", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"intact: 3 entries, last hash {entries[-1]['hash']}\n"


def test_file_from_the_environment_and_json_output(tmp_path: Path) -> None:
    entries = _write_log(tmp_path / "elsewhere.jsonl", 2)
    result = _cogctl("audit", "verify", "-o", "json", cwd=tmp_path,
                     env={"COGCTL_AUDIT_LOG": "elsewhere.jsonl"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "file": "elsewhere.jsonl", "ok": True, "entries": 2, "first_bad_line": None,
        "reason": None, "last_hash": entries[-1]["hash"], "expected_hash_line": None,
    }


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: [lines[0], lines[1].replace("s1", "s9"), lines[2]],
         "audit.jsonl:2: audit log broken: hash mismatch"),
        (lambda lines: [lines[0], lines[2]], "audit.jsonl:2: audit log broken: broken chain"),
        (lambda lines: [lines[0], lines[1], lines[2][:30]],
         "audit.jsonl:3: audit log broken: torn write"),
        (lambda lines: [lines[0], "{oops\n", lines[2]],
         "audit.jsonl:2: audit log broken: unparsable line"),
    ],
)
def test_broken_log_names_the_line(
    tmp_path: Path, damage: Callable[[list[str]], list[str]], message: str
) -> None:
    path = tmp_path / "audit.jsonl"
    _write_log(path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(damage(lines)), encoding="utf-8")
    result = _cogctl("audit", "verify", str(path), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {path.parent}/{message}")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_expected_hash_detects_a_cut_off_end(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    entries = _write_log(path, 4)
    anchored = _cogctl("audit", "verify", str(path), "--expect-hash", entries[2]["hash"],
                       cwd=tmp_path)
    assert anchored.returncode == 0
    assert anchored.stdout.endswith("expected hash at line 3\n")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:2]), encoding="utf-8")
    assert _cogctl("audit", "verify", str(path), cwd=tmp_path).returncode == 0
    cut = _cogctl("audit", "verify", str(path), "--expect-hash", entries[2]["hash"], cwd=tmp_path)
    assert cut.returncode == 1
    assert "is not in the log's 2 entries: entries were removed from its end" in cut.stderr


def test_missing_log_is_one_clear_line(tmp_path: Path) -> None:
    result = _cogctl("audit", "verify", "nope.jsonl", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == "error: no audit log at nope.jsonl (pass the file or set COGCTL_AUDIT_LOG)\n"

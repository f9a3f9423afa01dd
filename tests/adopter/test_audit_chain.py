"""The audit chain continues across CI runs: the head kept in ``COGCTL_AUDIT_HEAD`` is checked
at the next start; a log that does not continue it is a gap, reported and recorded, never
silently restarted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.records import audithead, auditing

from .helpers import clean_env, cogctl


def _log(path: Path, events: int) -> auditing.AuditLog:
    log = auditing.AuditLog(path)
    for number in range(events):
        log.append("test.event", number=number)
    return log


def test_no_head_file_is_the_first_run(tmp_path: Path) -> None:
    assert audithead.check(tmp_path / "audit.jsonl", tmp_path / "head.json") is None


def test_a_log_holding_the_recorded_head_continues_it(tmp_path: Path) -> None:
    log, head = tmp_path / "audit.jsonl", tmp_path / "head.json"
    _log(log, 3)
    recorded = audithead.record(log, head)
    assert recorded is not None
    assert recorded.entries == 3
    assert json.loads(head.read_text())["hash"] == recorded.hash
    auditing.AuditLog(log).append("test.more")
    assert audithead.check(log, head) is None  # grown past the head: still continues it


@pytest.mark.parametrize("fresh", ["missing", "new chain", "truncated"])
def test_a_log_without_the_recorded_head_is_a_gap(tmp_path: Path, fresh: str) -> None:
    log, head = tmp_path / "audit.jsonl", tmp_path / "head.json"
    _log(log, 3)
    recorded = audithead.record(log, head)
    assert recorded is not None
    lines = log.read_text().splitlines(keepends=True)
    log.unlink()
    if fresh == "new chain":
        _log(log, 1)
    elif fresh == "truncated":
        log.write_text("".join(lines[:2]))
    gap = audithead.check(log, head)
    assert gap is not None
    assert gap.warning.startswith(f"warning: audit gap: {log} does not continue")
    assert recorded.hash in gap.warning
    assert f"cogctl audit verify --expect-hash {recorded.hash}" in gap.warning
    found = audithead.current(log)
    assert gap.fields == {"recorded_hash": recorded.hash, "recorded_entries": 3,
                          "found_hash": found.hash if found else None}
    if found is not None:
        assert found.hash in gap.warning  # both hashes named


def test_a_damaged_head_file_is_an_error_not_a_restart(tmp_path: Path) -> None:
    head = tmp_path / "head.json"
    head.write_text("{}")
    with pytest.raises(errors.CogctlError, match="not an audit head"):
        audithead.check(tmp_path / "audit.jsonl", head)


def test_two_ci_runs_one_chain_then_a_lost_log_is_reported(tmp_path: Path) -> None:
    """As the reusable workflow runs it: each run in a fresh folder, the log and the head
    restored from the run before; the third run loses the log and says so."""
    assert cogctl(tmp_path, "init", "p").returncode == 0
    project = tmp_path / "p"
    kept = tmp_path / "kept"  # what the workflow carries from run to run
    head = tmp_path / "head" / "audit-head.json"

    def run(*args: str) -> tuple[str, Path]:
        log = kept / "audit.jsonl"
        env = clean_env(CRM_API_TOKEN="t", COGCTL_AUDIT_LOG=str(log),
                        COGCTL_AUDIT_HEAD=str(head))
        result = cogctl(project, *args, env=env)
        assert result.returncode in (0, 2), result.stdout + result.stderr
        return result.stderr, log

    stderr, log = run("plan")
    assert "audit gap" not in stderr
    first = json.loads(head.read_text())
    stderr, log = run("apply", "--auto-approve")
    assert "audit gap" not in stderr
    second = json.loads(head.read_text())
    assert second["entries"] > first["entries"]
    verified = cogctl(project, "audit", "verify", str(log), "--expect-hash", first["hash"])
    assert verified.returncode == 0, verified.stderr  # one chain across both runs

    log.unlink()  # the next run starts without the previous log
    stderr, log = run("plan")
    (warning,) = [line for line in stderr.splitlines() if "audit gap" in line]
    assert second["hash"] in warning
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert entries[0]["event"] == "audit.gap"
    assert entries[0]["fields"]["recorded_hash"] == second["hash"]
    assert json.loads(head.read_text())["hash"] == entries[-1]["hash"]
    lost = cogctl(project, "audit", "verify", str(log), "--expect-hash", second["hash"])
    assert lost.returncode == 1
    assert "is not in the log" in lost.stderr

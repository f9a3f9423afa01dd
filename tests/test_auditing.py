"""The audit log: hash chain, tamper detection, torn writes, concurrent appenders, no secrets."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler import errors
from reconciler.records import auditing

T0 = dt.datetime(2026, 11, 22, 0, 30, tzinfo=dt.timezone.utc)


def _clock() -> Callable[[], dt.datetime]:
    ticks = iter(range(10_000))
    return lambda: T0 + dt.timedelta(seconds=next(ticks))


def _log(path: Path, count: int) -> list[auditing.AuditEntry]:
    log = auditing.AuditLog(path, clock=_clock())
    return [log.append("apply.write", address=f"Slot/support/s{i}", n=i) for i in range(count)]


def _rewrite(path: Path, edit: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(edit(lines)), encoding="utf-8")


def test_entries_chain_and_hash_their_canonical_json(tmp_path: Path) -> None:
    first, second = _log(tmp_path / "audit.jsonl", 2)
    assert first["prev_hash"] == "0" * 64
    assert second["prev_hash"] == first["hash"]
    unsigned: dict[str, Any] = {k: v for k, v in second.items() if k != "hash"}
    assert second["hash"] == hashlib.sha256(rfc8785.dumps(unsigned)).hexdigest()
    assert first["ts"] == "2026-11-22T00:30:00.000000Z"
    assert first["fields"] == {"address": "Slot/support/s0", "n": 0}
    lines = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [first, second]


def test_chain_continues_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    earlier = _log(path, 3)
    later = auditing.AuditLog(path).append("plan.done", changes=2)
    assert later["prev_hash"] == earlier[-1]["hash"]
    result = auditing.verify_log(path)
    assert result == auditing.VerifyResult(True, 4, last_hash=later["hash"])


def _set_field(lines: list[str]) -> list[str]:
    entry = json.loads(lines[2])
    entry["fields"]["n"] = 99
    lines[2] = json.dumps(entry) + "\n"
    return lines


def _set_field_and_rehash(lines: list[str]) -> list[str]:
    entry = json.loads(lines[2])
    entry["fields"]["n"] = 99
    entry["hash"] = auditing.entry_hash(entry)
    lines[2] = json.dumps(entry) + "\n"
    return lines


def _swap(lines: list[str]) -> list[str]:
    lines[1], lines[2] = lines[2], lines[1]
    return lines


def _duplicate_key(lines: list[str]) -> list[str]:
    lines[1] = lines[1].replace('"event":', '"event":"forged","event":', 1)
    return lines


@pytest.mark.parametrize(
    ("edit", "bad_line", "reason"),
    [
        pytest.param(_set_field, 3, "hash mismatch", id="tamper-field"),
        pytest.param(lambda ls: [ls[0], ls[1].replace("apply.write", "apply.skip"), *ls[2:]],
                     2, "hash mismatch", id="tamper-event"),
        pytest.param(_set_field_and_rehash, 4, "broken chain", id="tamper-and-rehash"),
        pytest.param(lambda ls: [ls[0], *ls[2:]], 2, "broken chain", id="delete-middle"),
        pytest.param(lambda ls: ls[1:], 1, "broken chain", id="delete-first"),
        pytest.param(_swap, 2, "broken chain", id="reorder"),
        pytest.param(lambda ls: [*ls[:2], "not json\n", *ls[2:]], 3, "unparsable", id="insert"),
        pytest.param(lambda ls: [*ls[:2], "\n", *ls[2:]], 3, "unparsable", id="blank-line"),
        pytest.param(_duplicate_key, 2, "unparsable", id="duplicate-key"),
        pytest.param(lambda ls: [*ls[:-1], ls[-1][:40]], 5, "torn write", id="torn-last"),
        pytest.param(lambda ls: [*ls[:3], ls[3].replace('"ts"', '"when"'), ls[4]], 4,
                     "malformed", id="renamed-key"),
    ],
)
def test_verify_names_the_first_bad_line(
    tmp_path: Path, edit: Callable[[list[str]], list[str]], bad_line: int, reason: str
) -> None:
    path = tmp_path / "audit.jsonl"
    _log(path, 5)
    assert auditing.verify_log(path).ok
    _rewrite(path, edit)
    result = auditing.verify_log(path)
    assert not result.ok
    assert result.first_bad_line == bad_line
    assert result.reason is not None
    assert result.reason.startswith(reason)
    assert result.entries == bad_line - 1


def test_append_after_a_torn_write_recovers_and_records_it(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    entries = _log(path, 3)
    with path.open("ab") as handle:
        handle.write(b'{"ts":"2026-11-22T00:31:00Z","event":"apply.wr')  # the crash
    assert auditing.verify_log(path).reason.startswith("torn write")  # type: ignore[union-attr]
    log = auditing.AuditLog(path, clock=_clock())
    recovered_then_next = log.append("apply.write", n=3)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [e["event"] for e in lines] == ["apply.write"] * 3 + ["audit.recovered", "apply.write"]
    assert lines[3]["prev_hash"] == entries[-1]["hash"]
    assert lines[3]["fields"] == {"dropped_bytes": 46}
    assert auditing.verify_log(path) == auditing.VerifyResult(
        True, 5, last_hash=recovered_then_next["hash"]
    )


def test_append_refuses_to_extend_a_damaged_last_entry(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _log(path, 2)
    _rewrite(path, _set_last_field)
    before = path.read_bytes()
    with pytest.raises(errors.CogctlError, match="damaged at its last entry: hash mismatch"):
        auditing.AuditLog(path).append("apply.write")
    assert path.read_bytes() == before


def _set_last_field(lines: list[str]) -> list[str]:
    entry = json.loads(lines[-1])
    entry["fields"]["n"] = 7
    return [*lines[:-1], json.dumps(entry) + "\n"]


def test_long_entries_are_found_by_the_tail_reader(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = auditing.AuditLog(path)
    first = log.append("big", blob="x" * 50_000)
    second = log.append("big", blob="y" * 20_000)
    assert second["prev_hash"] == first["hash"]
    assert auditing.verify_log(path).ok


@pytest.mark.parametrize(
    "fields",
    [
        {"token": "abc"},
        {"client_secret": "abc"},
        {"Authorization": "Bearer abc"},
        {"password": "hunter2"},
        {"change": {"after": {"auth": {"secret": "abc"}}}},
        {"headers": [{"X-Api-Key": "abc"}]},
        {"auth_secret_sha256": "9f86d081884c7d65"},
        {"secret_env": "not a variable name"},
        {"secret": {"fromEnv": "CRM_TOKEN", "value": "abc"}},
        {"secret": {"value": "abc"}},
        {"token": 123456},
    ],
)
def test_append_refuses_secret_looking_fields(tmp_path: Path, fields: dict[str, object]) -> None:
    path = tmp_path / "audit.jsonl"
    with pytest.raises(ValueError, match="looks like a secret"):
        auditing.AuditLog(path).append("apply.write", **fields)
    assert not path.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"secret": "(sensitive)"},
        {"change": {"auth": {"secret": "(sensitive)"}}},
        {"secret_changed": True},
        {"token": None},
        {"secret_env": "SUPPORT_CRM_SECRET", "tokenEnv": "GH_TOKEN"},
        {"spec": {"auth": {"type": "bearer", "secret": {"fromEnv": "CRM_TOKEN"}}}},
        {"address": "Integration/support/crm", "status": "ok"},
    ],
)
def test_append_accepts_placeholders(tmp_path: Path, fields: dict[str, object]) -> None:
    entry = auditing.AuditLog(tmp_path / "a.jsonl").append("apply.write", **fields)
    assert entry["fields"] == fields


@pytest.mark.parametrize("value", [float("nan"), object(), 2**60, {1, 2}, "lone \ud800"])
def test_append_refuses_values_that_are_not_json(tmp_path: Path, value: object) -> None:
    with pytest.raises(ValueError, match="not JSON"):
        auditing.AuditLog(tmp_path / "a.jsonl").append("x", value=value)


def test_naive_clock_is_refused(tmp_path: Path) -> None:
    log = auditing.AuditLog(tmp_path / "a.jsonl", clock=lambda: dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        log.append("x")


def test_unwritable_path_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(errors.CogctlError, match="cannot write the audit log"):
        auditing.AuditLog(blocker / "audit.jsonl").append("x")


def test_verify_of_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(errors.CogctlError, match="no audit log at"):
        auditing.verify_log(tmp_path / "missing.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert auditing.verify_log(empty) == auditing.VerifyResult(True, 0)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ".cogctl/audit.jsonl"),
        ({"COGCTL_STATE_DIR": "/var/cogctl"}, "/var/cogctl/audit.jsonl"),
        ({"COGCTL_AUDIT_LOG": "logs/a.jsonl", "COGCTL_STATE_DIR": "/x"}, "logs/a.jsonl"),
    ],
)
def test_default_path(env: dict[str, str], expected: str) -> None:
    assert auditing.default_path(env) == Path(expected)


_APPENDER = """
import sys
from pathlib import Path
from reconciler.records import auditing
log = auditing.AuditLog(Path(sys.argv[1]))
for i in range(int(sys.argv[3])):
    log.append("concurrent", writer=sys.argv[2], n=i)
"""


def test_two_processes_appending_at_once_keep_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    per_writer = 150
    writers = [
        subprocess.Popen([sys.executable, "-c", _APPENDER, str(path), name, str(per_writer)])
        for name in ("a", "b")
    ]
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0]
    result = auditing.verify_log(path)
    assert result.ok, result
    assert result.entries == 2 * per_writer
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for name in ("a", "b"):
        ns = [e["fields"]["n"] for e in entries if e["fields"]["writer"] == name]
        assert ns == list(range(per_writer))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["x", "value", "items", "é", ""]), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(fields=st.dictionaries(st.sampled_from(["a", "change", "n", "note"]), _JSON, max_size=4))
def test_any_json_fields_round_trip_and_verify(fields: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.jsonl"
        log = auditing.AuditLog(path)
        entry = log.append("event", **fields)
        log.append("after")
        raw = path.read_bytes()
        assert raw.isascii()
        first = json.loads(raw.splitlines()[0])
        assert first == entry
        assert auditing.verify_log(path).ok

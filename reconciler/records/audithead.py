"""The audit chain's head kept outside the log, so a chain continues across CI runs.

A CI job starts in a fresh folder: without help, every run would start a new hash chain and
nothing would show that the entries before it were lost. The head (the last entry's hash and
the entry count) is kept in a small JSON file named by ``COGCTL_AUDIT_HEAD``, which the CI
job keeps somewhere else than the log (the reusable workflow restores the previous run's
log and head, each from its own store)::

    {"hash": "<64 hex>", "entries": 42, "log": "audit.jsonl"}

When the previous head cannot be had (its artifact expired, say), the workflow writes
``{"lost": "<why>"}`` there instead (``write_lost``): that too is a gap, never a first run.

At the start of a command (``check``), when the head file exists, the log must still hold
the recorded hash (``auditing.verify_log(anchor=...)``). When it does not (a fresh log, a
replaced or truncated one) that is a gap: ``check`` returns one warning line naming both
hashes and what to do, and the caller records an ``audit.gap`` entry, so the new chain says
where it could not continue instead of silently starting over. At the end (``record``) the
head file is rewritten with the log's new head. Without ``COGCTL_AUDIT_HEAD`` nothing of
this happens.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path

from reconciler import errors, fileio
from reconciler.records import auditing

ENV_VAR = "COGCTL_AUDIT_HEAD"
GAP_EVENT = "audit.gap"


@dataclasses.dataclass(frozen=True)
class Head:
    hash: str
    entries: int
    lost: str | None = None  # why the recorded head could not be had: always a gap


@dataclasses.dataclass(frozen=True)
class Gap:
    """The recorded head is not in the log: ``warning`` for stderr, ``fields`` for the entry."""

    warning: str
    fields: dict[str, object]


def head_path(env: Mapping[str, str] = os.environ) -> Path | None:
    value = env.get(ENV_VAR)
    return Path(value) if value else None


def read(path: Path) -> Head | None:
    """The recorded head, or None when the file does not exist (the first run)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise errors.CogctlError(f"cannot read the audit head {path}: {exc}",
                                 hint=f"restore it, or unset {ENV_VAR}") from exc
    if isinstance(raw, dict) and isinstance(raw.get("lost"), str):
        return Head("", 0, lost=raw["lost"])
    if (not isinstance(raw, dict) or not isinstance(raw.get("hash"), str)
            or not isinstance(raw.get("entries"), int)):
        raise errors.CogctlError(f"{path}: not an audit head (want hash and entries)",
                                 hint=f"restore it, or unset {ENV_VAR}")
    return Head(raw["hash"], raw["entries"])


def current(log: Path) -> Head | None:
    """The log's head now, or None for a missing or empty log."""
    if not log.exists():
        return None
    result = auditing.verify_log(log)
    if result.last_hash is None:
        return None
    return Head(result.last_hash, result.entries)


def check(log: Path, head_file: Path) -> Gap | None:
    """None when the log continues the recorded head (or none is recorded), else the gap."""
    recorded = read(head_file)
    if recorded is None:
        return None
    if recorded.lost is not None:
        return Gap(f"warning: audit gap: the previous head of this chain is lost "
                   f"({recorded.lost}); {log} starts a new chain from here. Find the last "
                   f"run's audit log and check it with `cogctl audit verify`; this run "
                   f"records an {GAP_EVENT} entry and goes on",
                   {"lost": recorded.lost, "recorded_hash": None, "found_hash": None})
    found_hash: str | None = None
    if log.exists():
        result = auditing.verify_log(log, anchor=recorded.hash)
        if result.anchor_line is not None:
            return None
        found_hash = result.last_hash
        found = (f"its last hash is {found_hash} ({_entries(result.entries)})"
                 if found_hash else "it is empty")
    else:
        found = "it does not exist"
    warning = (
        f"warning: audit gap: {log} does not continue the recorded chain: head "
        f"{recorded.hash} ({_entries(recorded.entries)}, from {head_file}) is not in it, "
        f"{found}. Restore the previous log (the audit artifact of the last run) and check "
        f"it with `cogctl audit verify --expect-hash {recorded.hash}`; this run records an "
        f"{GAP_EVENT} entry and goes on"
    )
    fields: dict[str, object] = {"recorded_hash": recorded.hash,
                                 "recorded_entries": recorded.entries,
                                 "found_hash": found_hash}
    return Gap(warning, fields)


def record(log: Path, head_file: Path) -> Head | None:
    """Rewrite ``head_file`` (atomically) with the log's head; None when the log is empty."""
    head = current(log)
    if head is None:
        return None
    _write(head_file, {"hash": head.hash, "entries": head.entries, "log": str(log)})
    return head


def write_lost(head_file: Path, reason: str) -> None:
    """Say in ``head_file`` that the previous head could not be had: the next check is a gap."""
    _write(head_file, {"lost": reason})


def _write(head_file: Path, content: dict[str, object]) -> None:
    try:
        head_file.parent.mkdir(parents=True, exist_ok=True)
        fileio.write_all_atomic([(head_file, json.dumps(content) + "\n")], mode=0o644)
    except OSError as exc:
        raise errors.CogctlError(f"cannot write the audit head {head_file}: "
                                 f"{exc.strerror or exc}") from exc


def _entries(count: int) -> str:
    return "1 entry" if count == 1 else f"{count} entries"

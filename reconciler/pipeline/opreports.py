"""Text and JSON of the operations' results: session variables, context injections,
integration probes, simulation batches, exports and the audit log's check.

Pure string building (the commands print it); secrets never reach a result, so none can
reach these lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reconciler.core import livetypes as lt
from reconciler.core import simulations
from reconciler.engine import simulating
from reconciler.ops import contexts, probing, sessions
from reconciler.pipeline import exporting, operations
from reconciler.records import auditing
from reconciler.rendering import tables


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def session_text(snapshot: sessions.Snapshot) -> str:
    """A head line counting the variables, then one row each: value, type, scope, shadowed."""
    head = _plural(len(snapshot.variables), "variable", "variables")
    lines = [f"session {snapshot.session_id}: {head} "
             f"(fetched in {snapshot.seconds * 1000:.0f} ms)"]
    rows = [
        (
            v.name + (" (system)" if v.system else ""),
            tables.short(v.value),
            v.type,
            v.scope,
            ", ".join(f"{s.scope}={tables.short(s.value, 20)}" for s in v.shadowed) or "-",
        )
        for v in snapshot.variables
    ]
    lines += tables.table(("NAME", "VALUE", "TYPE", "SCOPE", "SHADOWED"), rows)
    return "\n".join(lines)


def session_document(
    snapshot: sessions.Snapshot, pushed: operations.Delivery | None
) -> dict[str, lt.Json]:
    """``session vars --output json``: the snapshot, and its webhook delivery when pushed."""
    data = snapshot.to_json()
    if pushed is not None:
        data["webhook"] = {"delivered": pushed.delivered,
                           "latencyMs": round(pushed.seconds * 1000, 1)}
    return data


def webhook_line(pushed: operations.Delivery) -> str:
    state = "delivered" if pushed.delivered else "NOT delivered (see the log)"
    return f"webhook: {state} in {pushed.seconds * 1000:.0f} ms"


def inject_line(result: contexts.InjectResult) -> str:
    """What ``context inject`` set, and the context version it moved (or that none is kept)."""
    keys = ", ".join(result.keys)
    if result.last_writer_wins:
        return (f"conversation {result.conversation_id} (user {result.user_id}): set {keys} "
                f"(scope {result.scope}); {contexts.LAST_WRITER_WINS}")
    return (f"conversation {result.conversation_id}: set {keys} (scope {result.scope}); "
            f"contextVersion {result.previous_version} -> {result.version} "
            f"after {_plural(result.attempts, 'attempt', 'attempts')}")


def probe_text(result: probing.ProbeResult) -> str:
    """The call made, where it connected, each check, the mapped result, PASSED or FAILED."""
    lines = [
        f"probe {result.address}: {result.method} {result.url}",
        f"  connected to {result.connected_to}: status {result.status} in "
        f"{result.seconds * 1000:.1f} ms ({_plural(result.attempts, 'attempt', 'attempts')})",
    ]
    lines += [f"  {'ok' if c.ok else 'FAIL':<4} {c.name:<6} {c.detail}" for c in result.checks]
    lines.append("result:")
    lines += ["  " + line for line in tables.dumps(result.result).splitlines()]
    lines.append("PASSED" if result.ok else "FAILED")
    return "\n".join(lines)


def simulation_document(reports: Sequence[simulations.SuiteReport]) -> dict[str, lt.Json]:
    """``simulate --output json``: the batch summary, then every suite's full report."""
    return {**simulating.summarize(reports), "reports": [r.to_json() for r in reports]}


def export_lines(exported: exporting.Exported, out: Path) -> list[str]:
    """A line per file written (documents in it), then the secrets to set before apply."""
    if not exported.written:
        return [f"nothing to export: bot {exported.bot_id} has no integrations, slots or "
                "context"]
    counts = exported.result.counts
    lines = []
    for path in exported.written:
        documents = counts.get(path.relative_to(out).as_posix(), 0)
        lines.append(f"wrote {path} ({_plural(documents, 'document', 'documents')})")
    lines += [f"note: set {name} to the stored secret before apply; until it is set, "
              "plans cannot compare that secret and show it unchanged"
              for name in exported.result.secret_envs]
    return lines


def entries(count: int) -> str:
    return _plural(count, "entry", "entries")


def audit_document(path: Path, result: auditing.VerifyResult, *, anchored: bool) -> lt.Json:
    """``audit verify --output json``: the check's outcome, whether or not the chain holds."""
    return {
        "file": str(path), "ok": result.ok and anchored, "entries": result.entries,
        "first_bad_line": result.first_bad_line, "reason": result.reason,
        "last_hash": result.last_hash, "expected_hash_line": result.anchor_line,
    }


def audit_failure(path: Path, result: auditing.VerifyResult, *,
                  expect_hash: str | None) -> str | None:
    """Why the log fails the check (its first bad line, or the expected hash missing)."""
    if not result.ok:
        return (f"{path}:{result.first_bad_line}: audit log broken: {result.reason} "
                f"({entries(result.entries)} intact before it)")
    if expect_hash is not None and result.anchor_line is None:
        return (f"{path}: the expected hash {expect_hash} is not in the log's "
                f"{entries(result.entries)}: entries were removed from its end or it was "
                "replaced")
    return None


def audit_line(result: auditing.VerifyResult, *, expect_hash: str | None) -> str:
    """``intact: N entries, last hash H`` (and where the expected hash is)."""
    where = f", expected hash at line {result.anchor_line}" if expect_hash else ""
    return f"intact: {entries(result.entries)}, last hash {result.last_hash or '-'}{where}"

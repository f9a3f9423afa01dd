"""Text and JSON of the operations' results: session variables (the head line counts them
in proper English), context injections, probes, exports, the audit log's check."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.ops import contexts, probing, sessions
from reconciler.ops import exporting as ops_exporting
from reconciler.pipeline import exporting, operations, opreports
from reconciler.records import auditing


def _variable(name: str) -> sessions.Variable:
    return sessions.Variable(name=name, value="x", raw="x", scope="session", system=False,
                             shadowed=())


@pytest.mark.parametrize(
    ("count", "head"),
    [
        (0, "session s1: 0 variables (fetched in 12 ms)"),
        (1, "session s1: 1 variable (fetched in 12 ms)"),
        (2, "session s1: 2 variables (fetched in 12 ms)"),
    ],
)
def test_the_head_line_pluralises(count: int, head: str) -> None:
    snapshot = sessions.Snapshot(
        "s1", tuple(_variable(f"v{i}") for i in range(count)), seconds=0.012
    )
    assert opreports.session_text(snapshot).splitlines()[0] == head


@pytest.mark.parametrize(
    ("result", "line"),
    [
        (contexts.InjectResult("c1", ("a", "b"), "conversation", "4", "5", 1),
         "conversation c1: set a, b (scope conversation); contextVersion 4 -> 5 after 1 attempt"),
        (contexts.InjectResult("c1", ("a",), "user", "4", "7", 3),
         "conversation c1: set a (scope user); contextVersion 4 -> 7 after 3 attempts"),
        (contexts.InjectResult("c1", ("a",), "session", "", "", 1, user_id="u9",
                               last_writer_wins=True),
         f"conversation c1 (user u9): set a (scope session); {contexts.LAST_WRITER_WINS}"),
    ],
)
def test_inject_line(result: contexts.InjectResult, line: str) -> None:
    assert opreports.inject_line(result) == line


@pytest.mark.parametrize(
    ("pushed", "document", "line"),
    [
        (operations.Delivery(True, 0.01234), {"delivered": True, "latencyMs": 12.3},
         "webhook: delivered in 12 ms"),
        (operations.Delivery(False, 2.0), {"delivered": False, "latencyMs": 2000.0},
         "webhook: NOT delivered (see the log) in 2000 ms"),
    ],
)
def test_a_pushed_snapshot_says_how_its_webhook_went(
    pushed: operations.Delivery, document: dict[str, object], line: str
) -> None:
    snapshot = sessions.Snapshot("s1", (_variable("v"),), seconds=0.012)
    assert opreports.session_document(snapshot, pushed)["webhook"] == document
    assert "webhook" not in opreports.session_document(snapshot, None)
    assert opreports.webhook_line(pushed) == line


def test_probe_text() -> None:
    result = probing.ProbeResult(
        address="Integration/b/crm", method="GET", url="https://crm.example/x",
        connected_to="203.0.113.7:443", status=200, seconds=0.0421, attempts=2,
        result={"tier": "gold"},
        checks=(probing.Check("status", True, "200"), probing.Check("keys", False, "no tier")),
    )
    assert opreports.probe_text(result).splitlines() == [
        "probe Integration/b/crm: GET https://crm.example/x",
        "  connected to 203.0.113.7:443: status 200 in 42.1 ms (2 attempts)",
        "  ok   status 200",
        "  FAIL keys   no tier",
        "result:",
        "  {",
        '    "tier": "gold"',
        "  }",
        "FAILED",
    ]


def test_export_lines(tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = (out / "b" / "slots.yaml", out / "b" / "context.yaml")
    result = ops_exporting.ExportResult(files={}, counts={"b/slots.yaml": 3, "b/context.yaml": 1},
                                        secret_envs=("B_CRM_SECRET",))
    assert opreports.export_lines(exporting.Exported("bot_b", result, written), out) == [
        f"wrote {written[0]} (3 documents)",
        f"wrote {written[1]} (1 document)",
        "note: set B_CRM_SECRET to the stored secret before apply; until it is set, plans "
        "cannot compare that secret and show it unchanged",
    ]
    assert opreports.export_lines(exporting.Exported("bot_b", result, ()), out) == [
        "nothing to export: bot bot_b has no integrations, slots or context"]


LOG = Path("audit.jsonl")
INTACT = auditing.VerifyResult(ok=True, entries=1, last_hash="h1", anchor_line=1)


@pytest.mark.parametrize(
    ("result", "expect_hash", "failure", "line"),
    [
        (INTACT, None, None, "intact: 1 entry, last hash h1"),
        (INTACT, "h1", None, "intact: 1 entry, last hash h1, expected hash at line 1"),
        (auditing.VerifyResult(ok=True, entries=0), None, None, "intact: 0 entries, last hash -"),
        (auditing.VerifyResult(ok=True, entries=2, last_hash="h2"), "h0",
         "audit.jsonl: the expected hash h0 is not in the log's 2 entries: entries were "
         "removed from its end or it was replaced", None),
        (auditing.VerifyResult(ok=False, entries=4, first_bad_line=5, reason="hash mismatch"),
         None, "audit.jsonl:5: audit log broken: hash mismatch (4 entries intact before it)",
         None),
    ],
)
def test_audit_lines(
    result: auditing.VerifyResult, expect_hash: str | None, failure: str | None, line: str | None
) -> None:
    assert opreports.audit_failure(LOG, result, expect_hash=expect_hash) == failure
    if line is not None:
        assert opreports.audit_line(result, expect_hash=expect_hash) == line
    anchored = expect_hash is None or result.anchor_line is not None
    document = opreports.audit_document(LOG, result, anchored=anchored)
    assert document == {
        "file": "audit.jsonl", "ok": failure is None, "entries": result.entries,
        "first_bad_line": result.first_bad_line, "reason": result.reason,
        "last_hash": result.last_hash, "expected_hash_line": result.anchor_line,
    }

"""What apply does when things go wrong: failed verification, rollback, an apply cut off."""

from __future__ import annotations

import json

import pytest

from .harness import Cli

pytestmark = pytest.mark.e2e

WORSE = "'ORD-\\d{3}'"  # extracts "ORD-123" where "ORD-123456" is expected: rate 0


def _lower_extraction(cli: Cli) -> None:
    slots = cli.project / "slots.yaml"
    slots.write_text(slots.read_text().replace("'ORD-\\d{6}'", WORSE))


def test_lower_extraction_exits_3_and_verify_agrees(cli: Cli) -> None:
    assert cli("apply", "project", "--auto-approve").code == 0
    _lower_extraction(cli)

    failed = cli("apply", "project", "--auto-approve", "--output", "json")
    assert failed.code == 3, failed.output
    document = json.loads(failed.stdout)
    (first,) = document["verification"]
    verdicts = {s["address"]: s for s in first["slots"]}
    order = verdicts["Slot/support/order_number"]
    assert order["passed"] is False
    assert order["baseline"] == 1.0
    assert order["successRate"] == 0.0
    assert cli.live_slot("order_number")["patterns"] == ["ORD-\\d{3}"]

    assert "FAILED" not in failed.stdout  # JSON only on stdout
    assert "FAIL Slot/support/order_number" in failed.stderr
    verified = cli("verify", "project")
    assert verified.code == 3, verified.output
    assert "FAIL: success rate 0.000 below minimum 0.900" in verified.stdout


def test_rollback_restores_the_slot_and_verifies_again(cli: Cli) -> None:
    assert cli("apply", "project", "--auto-approve").code == 0
    _lower_extraction(cli)
    rolled = cli("apply", "project", "--auto-approve", "--rollback-on-failure")
    assert rolled.code == 3, rolled.output
    assert "Verification after apply:" in rolled.stdout
    assert "Verification after rollback:" in rolled.stdout
    after_apply, after_rollback = rolled.stdout.split("Verification after rollback:")
    assert "FAILED" in after_apply
    assert "PASSED" in after_rollback
    assert cli.live_slot("order_number")["patterns"] == ["ORD-\\d{6}"]
    audit = (cli.workdir / ".cogctl" / "audit.jsonl").read_text()
    assert audit.count('"event":"apply.retrain"') == 3  # first apply, the change, the rollback
    # the manifests still want the worse pattern: plan shows exactly that change
    planned = cli("plan", "project", "--detailed-exitcode")
    assert planned.code == 2
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in planned.stdout


def test_apply_cut_off_half_way_converges_on_the_next_run(cli: Cli) -> None:
    # token, three reads, the retraining marker's PATCH, then the integration's POST fails
    # on every attempt
    cli.admin("PUT", "faults", {"sequence": [None, None, None, None, None, *["500"] * 5]})
    cut = cli("apply", "project", "--auto-approve", "--concurrency", "1")
    assert cut.code == 1, cut.output
    assert "Apply incomplete: 3 applied, 1 failed." in cut.stdout
    assert "failed        Integration/support/crm-lookup" in cut.stdout
    cli.admin("PUT", "faults", {})

    planned = cli("plan", "project", "--output", "json")
    actions = {c["address"]: c["action"] for c in json.loads(planned.stdout)["changes"]}
    assert actions["Integration/support/crm-lookup"] == "create"
    assert actions["Slot/support/order_number"] == "no-op"

    resumed = cli("apply", "project", "--auto-approve")
    assert resumed.code == 0, resumed.output
    assert "Apply complete: 1 applied." in resumed.stdout
    cli.clear_requests()
    again = cli("plan", "project", "--detailed-exitcode")
    assert again.code == 0, again.output
    assert cli.writes() == []


def test_write_committed_then_503_is_not_duplicated(cli: Cli) -> None:
    # token, three reads, the retraining marker's PATCH, the integration's POST, then the
    # first slot PUT is stored but answered 503; the retry finds the slot already as planned
    sequence = [None, None, None, None, None, None, "commit-then-503"]
    cli.admin("PUT", "faults", {"sequence": sequence})
    first = cli("apply", "project", "--auto-approve", "--concurrency", "1", "--no-verify")
    cli.admin("PUT", "faults", {})
    assert first.code == 0, first.output
    assert "Apply complete: 4 applied." in first.stdout
    assert "Slot/support/order_number: already as planned" in first.stderr
    faulted = [r for r in cli.requests() if r["fault"]]
    assert [(r["method"], r["path"].split("/")[3]) for r in faulted] == [("PUT", "slots")]
    page = cli.api("GET", "/api/v1/slots?botId=bot_support&limit=100")
    assert sorted(s["name"] for s in page["data"]) == ["email", "order_number"]
    cli.clear_requests()
    assert cli("plan", "project", "--detailed-exitcode").code == 0
    assert cli.writes() == []


def test_apply_cut_off_before_retraining_retrains_on_the_next_run(cli: Cli) -> None:
    # token, three reads, the retraining marker's PATCH, four writes; then every attempt of
    # the retrain POST fails: the writes are live, the model is not trained on them
    cli.admin("PUT", "faults", {"sequence": [*[None] * 9, *["503"] * 6]})
    cut = cli("apply", "project", "--auto-approve", "--concurrency", "1", "--no-verify")
    cli.admin("PUT", "faults", {})
    assert cut.code != 0, cut.output
    assert "Apply complete: 4 applied." in cut.stdout
    faulted = {(r["method"], r["path"]) for r in cli.requests() if r["fault"]}
    assert faulted == {("POST", "/api/v1/bots/bot_support/nlp/retrain")}, cli.requests()

    reason = "Retraining pending from an interrupted apply: bot_support"
    planned = cli("plan", "project", "--detailed-exitcode")
    assert planned.code == 2, planned.output
    assert reason in planned.stdout
    assert "Plan: 0 to add, 0 to change, 0 to destroy. 1 retraining(s) pending." in planned.stdout
    drifted = cli("drift", "project")
    assert drifted.code == 2, drifted.output
    assert drifted.stderr.splitlines()[-1] == (
        "drift: live objects match the manifests; retraining pending from an interrupted "
        "apply (apply finishes it): support (bot_support)"
    )
    document = json.loads(cli("plan", "project", "--output", "json").stdout)
    assert {c["action"] for c in document["changes"]} == {"no-op"}
    assert document["retrain"] == ["bot_support"]
    assert document["format_version"] == "1.3"
    exported = cli("export", "--bot", "bot_support", "--out", "exported")
    assert exported.code == 0, exported.output
    assert "_cogctl" not in (cli.workdir / "exported" / "bot_support" / "context.yaml").read_text()

    cli.clear_requests()
    resumed = cli("apply", "project", "--auto-approve")
    assert resumed.code == 0, resumed.output
    assert "PASSED" in resumed.stdout
    writes = [(w["method"], w["path"]) for w in cli.writes()]
    assert writes == [("POST", "/api/v1/bots/bot_support/nlp/retrain"),
                      ("PATCH", "/api/v1/bots/bot_support/context")]
    cli.clear_requests()
    again = cli("plan", "project", "--detailed-exitcode")
    assert again.code == 0, again.output
    assert cli.writes() == []


EMAIL_CASE = """
    - id: test_email
      userId: usr_e2e2
      utterance: my address is ann@example.com
      expect:
        entities: {email: ann@example.com}
"""


def test_rollback_says_a_deleted_slot_is_not_restored(cli: Cli) -> None:
    suite = cli.project / "suite.yaml"
    suite.write_text(suite.read_text() + EMAIL_CASE)
    assert cli("apply", "project", "--auto-approve").code == 0
    slots = cli.project / "slots.yaml"
    slots.write_text(slots.read_text().split("\n---\n")[0] + "\n")  # email leaves the manifests

    pruned = cli("apply", "project", "--prune", "--auto-approve", "--rollback-on-failure")
    assert pruned.code == 3, pruned.output
    assert "test_email: misconfigured: unknown entity 'email'" in pruned.stdout
    assert "Rollback complete" not in pruned.stdout  # there was nothing it could write
    assert "Verification after rollback:" not in pruned.stdout
    assert ("Rollback: nothing was rolled back: deleted slots are not restored "
            "(Slot/support/email).") in pruned.stdout
    assert pruned.stderr.splitlines()[-1] == (
        "error: applied, but verification failed: SimulationSuite/support/orders: pass rate "
        "0.50 < 1.00; nothing was rolled back: deleted slots are not restored "
        "(Slot/support/email)"
    )
    assert [s["name"] for s in cli.api("GET", "/api/v1/slots?botId=bot_support")["data"]] == [
        "order_number"
    ]
    cli.clear_requests()
    assert cli("plan", "project", "--prune", "--detailed-exitcode").code == 0
    assert cli.writes() == []

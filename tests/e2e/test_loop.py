"""plan -> apply -> plan converges, through the CLI over real HTTP, and the loop's edges."""

from __future__ import annotations

import base64
import json

import pytest
from standardwebhooks import Webhook

from .conftest import Receiver
from .harness import CANARY, FIXTURE, Cli

pytestmark = pytest.mark.e2e


def _converged(cli: Cli) -> None:
    """A second plan shows no change and writes nothing."""
    cli.clear_requests()
    again = cli("plan", "project", "--detailed-exitcode")
    assert again.code == 0, again.output
    assert "No changes." in again.stdout
    assert cli.writes() == []


def test_plan_apply_plan_converges(cli: Cli) -> None:
    first = cli("plan", "project", "--detailed-exitcode")
    assert first.code == 2, first.output
    assert first.stderr.startswith(f"target: tenant {cli.url}")
    assert "Plan: 4 to add, 0 to change, 0 to destroy." in first.stdout
    assert cli.writes() == []  # plan reads only

    applied = cli("apply", "project", "--auto-approve")
    assert applied.code == 0, applied.output
    assert "Apply complete: 4 applied." in applied.stdout
    assert "PASSED" in applied.stdout
    assert "suite SimulationSuite/support/orders" in applied.stdout
    writes = cli.writes()
    retrains = [w for w in writes if w["path"].endswith("/nlp/retrain")]
    assert len(retrains) == 1
    assert {w["method"] for w in writes} >= {"PUT", "POST", "PATCH"}
    _converged(cli)

    verified = cli("verify", "project")
    assert verified.code == 0, verified.output
    assert "PASSED" in verified.stdout


def test_one_slot_change_is_one_put_one_retraining_and_the_marker(cli: Cli) -> None:
    assert cli("apply", "project", "--auto-approve").code == 0
    slots = cli.project / "slots.yaml"
    slots.write_text(slots.read_text().replace("'ORD-\\d{6}'", "'ORD-\\d{6}', 'ORD-\\d{7}'"))
    cli.clear_requests()
    applied = cli("apply", "project", "--auto-approve")
    assert applied.code == 0, applied.output
    writes = cli.writes()
    # the pending-retraining marker is set before the slot write and cleared after training
    context = "/api/v1/bots/bot_support/context"
    assert [(w["method"], "slots" in w["path"]) for w in writes] == [
        ("PATCH", False),
        ("PUT", True),
        ("POST", False),
        ("PATCH", False),
    ]
    assert writes[0]["path"] == writes[3]["path"] == context
    assert writes[2]["path"] == "/api/v1/bots/bot_support/nlp/retrain"
    _converged(cli)


def test_edit_outside_shows_drift(cli: Cli) -> None:
    assert cli("apply", "project", "--auto-approve").code == 0
    slot = cli.live_slot("order_number")
    cli.admin_put_slot(slot, patterns=["ORD-\\d+"])
    assert cli("drift", "project").code == 2
    result = cli("drift", "project", "--output", "json")
    assert result.code == 2
    assert "changed outside cogctl: Slot/support/order_number" in result.stderr
    document = json.loads(result.stdout)
    changed = {c["address"]: c for c in document["changes"]}
    assert changed["Slot/support/order_number"]["drift"] is True
    assert changed["Slot/support/email"]["drift"] is False
    assert changed["Slot/support/order_number"]["action"] == "update"
    # apply puts it back; then there is no drift
    assert cli("apply", "project", "--auto-approve").code == 0
    assert cli("drift", "project").code == 0
    _converged(cli)


def test_stale_saved_plan_is_refused(cli: Cli) -> None:
    saved = cli("plan", "project", "--out", "saved.json")
    assert saved.code == 0, saved.output
    # an object appears where the plan saw none
    cli.admin_put_slot(
        {"slotId": "slot_outside", "botId": "bot_support", "name": "order_number"},
        patterns=["X\\d+"],
    )
    cli.clear_requests()
    refused = cli("apply", "project", "--plan", "saved.json", "--auto-approve")
    assert refused.code == 1
    assert "stale" in refused.stderr
    assert "Slot/support/order_number" in refused.stderr
    assert cli.writes() == []


def test_saved_plan_applies_exactly(cli: Cli) -> None:
    assert cli("plan", "project", "--out", "saved.json").code == 0
    applied = cli("apply", "project", "--plan", "saved.json", "--auto-approve")
    assert applied.code == 0, applied.output
    assert "Apply complete: 4 applied." in applied.stdout
    _converged(cli)
    # the same saved plan again is stale now: everything it saw as absent exists
    again = cli("apply", "project", "--plan", "saved.json", "--auto-approve")
    assert again.code == 1
    assert "stale" in again.stderr


def test_apply_without_terminal_needs_auto_approve(cli: Cli) -> None:
    refused = cli("apply", "project")
    assert refused.code == 1
    assert "--auto-approve" in refused.stderr
    assert cli.writes() == []


def test_apply_on_a_terminal_asks_first(cli: Cli) -> None:
    declined = cli("apply", "project", terminal_input="y\n")  # only "yes" approves
    assert declined.code == 1, declined.output
    assert "Only 'yes' will be accepted to approve." in declined.stderr
    assert "apply cancelled ('y' is not 'yes')" in declined.stderr
    assert cli.writes() == []
    accepted = cli("apply", "project", terminal_input="yes\n")
    assert accepted.code == 0, accepted.output
    assert "Apply complete: 4 applied." in accepted.stdout


def test_missing_secret_fails_before_any_write(cli: Cli) -> None:
    result = cli("apply", "project", "--auto-approve", env={"E2E_CRM_TOKEN": ""})
    assert result.code == 1
    assert "E2E_CRM_TOKEN" in result.stderr
    assert "Integration/support/crm-lookup" in result.stderr
    assert cli.writes() == []


def test_prune_leaves_unmanaged_objects(cli: Cli) -> None:
    assert cli("apply", "project", "--auto-approve").code == 0
    (cli.project / "context.yaml").unlink()
    slots = cli.project / "slots.yaml"
    slots.write_text(slots.read_text().split("---")[0])  # drop the email slot
    planned = cli("plan", "project", "--prune", "--output", "json")
    assert planned.code == 0, planned.output
    actions = {c["address"]: c["action"] for c in json.loads(planned.stdout)["changes"]}
    assert actions["Slot/support/email"] == "delete"
    assert actions["ContextDefaults/support/support-defaults"] == "delete"
    assert "Integration/support/legacy-webhook" not in actions
    pruned = cli("apply", "project", "--prune", "--auto-approve")
    assert pruned.code == 0, pruned.output
    state = json.dumps(cli.admin("GET", "state"))
    assert "legacy-webhook" in state
    cli.clear_requests()
    again = cli("plan", "project", "--prune", "--detailed-exitcode")
    assert again.code == 0, again.output
    assert cli.writes() == []


def test_canary_secret_never_appears(cli: Cli, receiver: tuple[Receiver, str]) -> None:
    hook, url = receiver
    signing = "whsec_" + base64.b64encode(b"e2e-webhook-signing-key").decode()
    cli.env.update(COGCTL_WEBHOOK_URL=url, COGCTL_WEBHOOK_SECRET=signing)
    outputs = [
        cli("plan", "project"),
        cli("plan", "project", "--output", "json", "--out", "saved.json"),
        cli("plan", "project", "--output", "markdown"),
        cli("apply", "project", "--auto-approve", "--metrics-file", "metrics.prom"),
        cli("apply", "project", "--auto-approve", "--output", "json"),
        cli("drift", "project", "--output", "markdown"),
        cli("verify", "project", "--output", "json"),
        cli("apply", "project", "--auto-approve", env={"E2E_CRM_TOKEN": ""}),
    ]
    for result in outputs:
        assert CANARY not in result.output
    for path in cli.workdir.rglob("*"):
        if path.is_file():
            assert CANARY not in path.read_text(errors="replace"), path
    audit = (cli.workdir / ".cogctl" / "audit.jsonl").read_text()
    assert "apply.write" in audit
    assert "verify.verdict" in audit
    metrics = (cli.workdir / "metrics.prom").read_text()
    assert "cogctl_http_requests_total" in metrics
    types = []
    for body, headers in hook.deliveries:
        assert CANARY.encode() not in body
        event = Webhook(signing).verify(body, headers)
        types.append(event["type"])
    assert {"plan.created", "apply.completed", "verify.completed"} <= set(types)


def test_embedded_emulator_round_trip(cli: Cli) -> None:
    """No tenant URL: the embedded emulator, its state kept between commands."""
    embedded = {"COGNIGY_TENANT_URL": "", "COGNIGY_CLIENT_ID": "", "COGNIGY_CLIENT_SECRET": ""}
    fixture = str(FIXTURE)
    first = cli("apply", "project", "--auto-approve", "--emulator-fixture", fixture, env=embedded)
    assert first.code == 0, first.output
    assert first.stderr.startswith("target: embedded emulator (state ")
    assert "Apply complete: 4 applied." in first.stdout
    assert (cli.workdir / ".cogctl" / "local-tenant.json").is_file()
    again = cli("plan", "project", "--detailed-exitcode", "--emulator-fixture", fixture,
                env=embedded)
    assert again.code == 0, again.output
    assert "No changes." in again.stdout
    assert cli.writes() == []  # the served tenant was never touched

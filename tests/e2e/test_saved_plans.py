"""Saved plans as claims apply verifies, and as one format with ``plan --output json``.

Every forgery below edits a file ``plan --out`` wrote, the way an attacker with write access
to a CI artifact (or a careless hand) would, and keeps the rest of the file consistent where
that is possible (a recomputed fingerprint, matching ``after`` and write body). Each must be
refused with exit 1 before a single write reaches the tenant.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from reconciler.core import plans

from .harness import CANARY, Cli

Doc = dict[str, Any]


def _saved(cli: Cli, *extra: str) -> Doc:
    made = cli("plan", "project", "--out", "saved.json", *extra)
    assert made.code == 0, made.output
    return dict(json.loads((cli.workdir / "saved.json").read_text()))


def _index(doc: Doc, address: str) -> int:
    return [c["address"] for c in doc["changes"]].index(address)


def _refit(doc: Doc) -> None:
    """What a careful forger does last: make the fingerprint match the observed versions."""
    doc["fingerprint"] = plans.fingerprint_of(doc["execution"]["observed"])


def _forged_fingerprint(doc: Doc) -> None:
    doc["fingerprint"] = "sha256:" + "0" * 64


def _observed_edit(doc: Doc) -> None:
    doc["execution"]["observed"]["Slot/support/email"] = "7"  # the fingerprint no longer fits


def _pattern_validate_refuses(doc: Doc) -> None:
    i = _index(doc, "Slot/support/order_number")
    doc["execution"]["changes"][i]["write"]["patterns"] = ["(a+)+$"]
    doc["changes"][i]["after"]["spec"]["patterns"] = ["(a+)+$"]


def _integration_url_to_a_collector(doc: Doc) -> None:
    i = _index(doc, "Integration/support/crm-lookup")
    doc["execution"]["changes"][i]["write"]["config"]["url"] = "https://collector.example.net/"
    doc["changes"][i]["after"]["spec"]["url"] = "https://collector.example.net/"


def _secret_from_the_reconcilers_own_variable(doc: Doc) -> None:
    i = _index(doc, "Integration/support/crm-lookup")
    doc["changes"][i]["secret"] = {"fromEnv": "COGNIGY_CLIENT_SECRET"}


def _secret_from_another_variable(doc: Doc) -> None:
    i = _index(doc, "Integration/support/crm-lookup")
    doc["changes"][i]["secret"] = {"fromEnv": "HOME"}


def _slot_moved_into_another_bot(doc: Doc) -> None:
    i = _index(doc, "Slot/support/email")
    doc["execution"]["changes"][i]["botId"] = "bot_elsewhere"
    doc["execution"]["changes"][i]["write"]["botId"] = "bot_elsewhere"


def _extra_delete(doc: Doc, live: dict[str, Any]) -> None:
    doc["changes"].append({"address": "Slot/support/theirs", "action": "delete",
                           "reason": "not in manifests", "drift": False, "before": {},
                           "after": None, "diff": [], "secret": None})
    doc["execution"]["changes"].append({
        "address": "Slot/support/theirs", "kind": "Slot", "bot": "support",
        "botId": "bot_support", "name": "theirs", "liveId": live["slotId"],
        "liveVersion": live["version"], "write": None, "dependsOn": [], "idempotencyKey": None,
        "sensitive": []})
    doc["execution"]["observed"]["Slot/support/theirs"] = live["version"]


def _change_dropped(doc: Doc) -> None:
    i = _index(doc, "ContextDefaults/support/support-defaults")
    del doc["changes"][i], doc["execution"]["changes"][i]


def _weaker_verification(doc: Doc) -> None:
    for check in doc["verify"]:
        if check["check"] == "extraction":
            check["minExtractionRate"] = 0.0


def _source_digest(doc: Doc) -> None:
    doc["source"]["digest"] = "sha256:" + "1" * 64


FORGERIES: dict[str, tuple[Callable[..., None], bool, str]] = {
    # name: (edit, refit the fingerprint afterwards, what the refusal says)
    "forged fingerprint": (_forged_fingerprint, False, "fingerprint"),
    "observed versions edited": (_observed_edit, False, "fingerprint"),
    "a pattern validate refuses": (_pattern_validate_refuses, True, "Slot/support/order_number"),
    "integration URL to a collector": (_integration_url_to_a_collector, True, "crm-lookup"),
    "secret from COGNIGY_CLIENT_SECRET": (_secret_from_the_reconcilers_own_variable, True,
                                          "crm-lookup: secret variable"),
    "secret from another variable": (_secret_from_another_variable, True, "secret variable"),
    "slot moved into another bot": (_slot_moved_into_another_bot, True, "Slot/support/email"),
    "an extra delete": (_extra_delete, True, "Slot/support/theirs"),
    "a change dropped": (_change_dropped, True, "ContextDefaults/support/support-defaults"),
    "weaker verification": (_weaker_verification, True, "verification of"),
    "another source digest": (_source_digest, True, "not made from the manifests"),
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_a_forged_saved_plan_is_refused_with_zero_writes(cli: Cli, name: str) -> None:
    edit, refit, said = FORGERIES[name]
    # an object someone else manages, which a forged plan could try to delete
    cli.admin_put_slot({"slotId": "slot_theirs", "botId": "bot_support", "name": "theirs"},
                       patterns=["T\\d+"])
    doc = _saved(cli)
    if edit is _extra_delete:
        edit(doc, cli.live_slot("theirs"))
    else:
        edit(doc)
    if refit:
        _refit(doc)
    (cli.workdir / "saved.json").write_text(json.dumps(doc))
    cli.clear_requests()
    refused = cli("apply", "project", "--plan", "saved.json", "--auto-approve")
    assert refused.code == 1, refused.output
    assert "refusing the saved plan" in refused.stderr
    assert said in refused.stderr
    assert cli.writes() == []
    assert CANARY not in refused.output
    assert "e2e-client-secret" not in refused.output


def test_manifests_edited_after_the_plan_are_refused(cli: Cli) -> None:
    _saved(cli)
    slots = cli.project / "slots.yaml"
    slots.write_text(slots.read_text().replace("ORD-\\d{6}", "ORD-\\d{7}"))
    cli.clear_requests()
    refused = cli("apply", "project", "--plan", "saved.json", "--auto-approve")
    assert refused.code == 1
    assert "not made from the manifests and cogctl.yaml this run loads" in refused.stderr
    assert cli.writes() == []


def test_formatting_and_comments_do_not_change_the_source(cli: Cli) -> None:
    _saved(cli)
    slots = cli.project / "slots.yaml"
    slots.write_text("# reviewed\n" + slots.read_text().replace("type: regex", "type:   regex"))
    applied = cli("apply", "project", "--plan", "saved.json", "--auto-approve")
    assert applied.code == 0, applied.output


def test_a_project_file_edited_after_the_plan_is_refused(cli: Cli) -> None:
    _saved(cli)
    config = cli.project / "cogctl.yaml"
    config.write_text(config.read_text() + "    vars: {x: y}\n")
    refused = cli("apply", "project", "--plan", "saved.json", "--auto-approve")
    assert refused.code == 1
    assert "cogctl.yaml" in refused.stderr


def test_a_saved_plan_applies_and_then_says_already_applied(cli: Cli) -> None:
    _saved(cli)
    applied = cli("apply", "project", "--plan", "saved.json", "--auto-approve")
    assert applied.code == 0, applied.output
    cli.clear_requests()
    again = cli("apply", "project", "--plan", "saved.json", "--auto-approve")
    assert again.code == 1
    assert "already applied" in again.stderr
    assert "stale" in again.stderr
    assert cli.writes() == []
    converged = cli("plan", "project", "--detailed-exitcode")
    assert converged.code == 0, converged.output
    assert cli.writes() == []


def test_a_saved_plan_made_without_secrets_applies_with_them(cli: Cli) -> None:
    """The CI shape: the plan job has no secrets, the apply job has them."""
    made = cli("plan", "project", "--out", "saved.json", env={"E2E_CRM_TOKEN": ""})
    assert made.code == 0, made.output
    doc = json.loads((cli.workdir / "saved.json").read_text())
    assert doc["execution"]["secretsRead"] == []
    applied = cli("apply", "project", "--plan", "saved.json", "--auto-approve")
    assert applied.code == 0, applied.output


def test_apply_given_a_plan_file_as_a_path_says_use_plan(cli: Cli) -> None:
    _saved(cli)
    refused = cli("apply", "saved.json", "--auto-approve")
    assert refused.code == 1
    assert "use cogctl apply --plan saved.json" in refused.stderr
    assert cli.writes() == []


def test_saved_plan_is_the_json_document_plus_what_apply_needs(cli: Cli) -> None:
    doc = _saved(cli)
    shown = cli("plan", "project", "--output", "json")
    assert shown.code == 0
    public = json.loads(shown.stdout)
    assert {k: v for k, v in doc.items() if k != "execution"} == public
    assert public["format_version"] == "1.3"
    assert public["summary"] == {"create": 4, "update": 0, "delete": 0, "unchanged": 0}
    crm = public["changes"][_index(public, "Integration/support/crm-lookup")]
    assert crm["secret"] == {"fromEnv": "E2E_CRM_TOKEN"}
    assert CANARY not in json.dumps(doc)


def test_show_renders_a_saved_plan_as_plan_did(cli: Cli) -> None:
    _saved(cli)
    for output in ("json", "text", "markdown"):
        planned = cli("plan", "project", "--output", output, "--env", "test")
        shown = cli("show", "saved.json", "--output", output, "--environment", "test")
        assert shown.code == 0, shown.output
        assert shown.stdout == planned.stdout, output
    assert "secret read from $E2E_CRM_TOKEN" in cli("show", "saved.json").stdout
    assert cli.writes() == []


def test_show_and_apply_refuse_what_is_not_a_saved_plan(cli: Cli) -> None:
    public = cli("plan", "project", "--output", "json")
    (cli.workdir / "doc.json").write_text(public.stdout)
    (cli.workdir / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (cli.workdir / "nan.json").write_text('{"format_version": NaN}')
    for name, said in (("doc.json", "plan --out FILE"), ("deep.json", "nesting deeper than"),
                       ("nan.json", "NaN is not a JSON number")):
        for args in (("show", name), ("apply", "project", "--plan", name, "--auto-approve")):
            refused = cli(*args)
            assert refused.code == 1, (args, refused.output)
            assert said in refused.stderr, (args, refused.stderr)
    assert cli.writes() == []

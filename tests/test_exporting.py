"""Export: live state -> manifests that validate and plan to zero changes.

The live state comes from the emulator in-process (seeded from a fixture written here), read
through the real client, so the exported files are checked against what the API answers.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler import errors
from reconciler.backend import base, embedded
from reconciler.core import livestate, livetypes, normalizing, planning, plans
from reconciler.engine import fetching
from reconciler.manifests import models, validating
from reconciler.ops import exporting

CANARY = "canary-export-secret-31d9"

FIXTURE = f"""
settings: {{rateLimitPerMinute: 6000, trainingSeconds: 0.1}}
workspaces:
  - id: ws_1
    clients:
      - clientId: reader
        clientSecret: reader-secret
        scopes: [cognigy:platform:read]
    bots:
      - botId: bot_8f3a
        name: Support
        integrations:
          - name: crm-lookup
            description: Order lookup in the CRM
            labels: {{team: care, managed-by: cogctl, cogctl/applied-hash: "abc123"}}
            config:
              url: https://crm.example.com/orders/{{{{order_number}}}}
              method: POST
              auth_type: bearer
              auth_secret: {CANARY}
              headers: {{X-Client: cogctl}}
              request_mapping: {{order: "{{{{order_number}}}}", nested: {{deep: [1, 2]}}}}
              response_mapping: {{extract: data.status, normalize: flatten}}
              timeout_seconds: 12
          - name: status page
            config: {{url: "https://status.example.com/api", method: GET, auth_type: none}}
        slots:
          - slotId: slot_email
            name: email
            patterns: ['[a-z]+@[a-z]+\\.[a-z]+']
            fillStrategy: bestMatch
            dependencies: [slot_order]
            labels: {{managed-by: cogctl}}
          - slotId: slot_order
            name: order_number
            patterns: ['ORD-[0-9]{{6}}', 'ord[0-9]{{6}}']
            fillStrategy: firstMatch
        context:
          greeting: {{value: "Hello!", scope: conversation}}
          limits: {{value: {{maxRetries: 3, channels: [voice, chat]}}}}
          empty: {{value: null, scope: session}}
          _cogctl_applied: {{value: {{name: support-defaults, hash: x, keys: [greeting]}}}}
      - botId: bot_empty
        name: Nothing here
"""


def _live(tmp_path: Path, bot_id: str = "bot_8f3a") -> livestate.LiveState:
    fixture = tmp_path / "tenant.yaml"
    fixture.write_text(FIXTURE, encoding="utf-8")

    async def read() -> livestate.LiveState:
        async with embedded.open_embedded(
            fixture=fixture, state_path=tmp_path / "state.json", scopes=base.READ_SCOPES, env={}
        ) as (backend, _):
            return await fetching.fetch_live_state(backend, [bot_id])

    return asyncio.run(read())


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")


def _plan(root: Path, live: livestate.LiveState, secrets: dict[str, str | None]) -> plans.Plan:
    project = validating.require_valid(validating.load_project([root]))
    desired = [loaded.manifest for loaded in project.manifests]
    return planning.build_plan(desired, live, bot_ids={"support": "bot_8f3a"},
                               target="emulator", secrets=secrets)


def test_exported_files_validate_and_plan_to_zero_changes(tmp_path: Path) -> None:
    live = _live(tmp_path)
    result = exporting.export_bot(live, "bot_8f3a", "support")
    assert sorted(result.files) == [
        "support/context.yaml", "support/integrations.yaml", "support/slots.yaml"
    ]
    assert result.skipped == ()
    assert result.counts == {"support/integrations.yaml": 2, "support/slots.yaml": 2,
                             "support/context.yaml": 1}
    _write(tmp_path / "out", result.files)
    plan = _plan(tmp_path / "out", live, secrets={"SUPPORT_CRM_LOOKUP_SECRET": None})
    assert [(c.address, c.action) for c in plan.changes] == [
        ("Integration/support/crm-lookup", plans.Action.NOOP),
        ("Integration/support/status page", plans.Action.NOOP),
        ("Slot/support/order_number", plans.Action.NOOP),
        ("Slot/support/email", plans.Action.NOOP),
        ("ContextDefaults/support/support-defaults", plans.Action.NOOP),
    ]
    assert not plan.summary().has_changes
    assert plan.unmanaged == ()


def test_the_stored_secret_compares_once_its_variable_is_set(tmp_path: Path) -> None:
    live = _live(tmp_path)
    _write(tmp_path / "out", exporting.build_export(live, "bot_8f3a", "support"))
    same = _plan(tmp_path / "out", live, secrets={"SUPPORT_CRM_LOOKUP_SECRET": CANARY})
    assert not same.summary().has_changes
    other = _plan(tmp_path / "out", live, secrets={"SUPPORT_CRM_LOOKUP_SECRET": "rotated"})
    changed = [c for c in other.changes if c.action is not plans.Action.NOOP]
    assert [c.address for c in changed] == ["Integration/support/crm-lookup"]
    assert [d.path for d in changed[0].diff] == ["spec.auth.secret"]


def test_exported_documents_read_like_hand_written_manifests(tmp_path: Path) -> None:
    files = exporting.build_export(_live(tmp_path), "bot_8f3a", "support")
    integrations = list(yaml.safe_load_all(files["support/integrations.yaml"]))
    assert integrations[0] == {
        "apiVersion": "cogctl/v1",
        "kind": "Integration",
        "metadata": {"name": "crm-lookup", "bot": "support", "labels": {"team": "care"}},
        "spec": {
            "description": "Order lookup in the CRM",
            "url": "https://crm.example.com/orders/{{order_number}}",
            "method": "POST",
            "auth": {"type": "bearer", "secret": {"fromEnv": "SUPPORT_CRM_LOOKUP_SECRET"}},
            "headers": {"X-Client": "cogctl"},
            "requestMapping": {"order": "{{order_number}}", "nested": {"deep": [1, 2]}},
            "responseMapping": {"extract": "data.status", "normalize": "flatten"},
            "timeoutSeconds": 12,
        },
    }
    assert integrations[1]["spec"] == {"url": "https://status.example.com/api"}
    slots = list(yaml.safe_load_all(files["support/slots.yaml"]))
    assert [s["metadata"]["name"] for s in slots] == ["email", "order_number"]
    assert slots[0]["spec"]["dependencies"] == ["order_number"]
    assert "labels" not in slots[0]["metadata"]
    assert slots[1]["spec"] == {"patterns": ["ORD-[0-9]{6}", "ord[0-9]{6}"],
                                "fillStrategy": "firstMatch"}
    (context,) = yaml.safe_load_all(files["support/context.yaml"])
    assert context["metadata"] == {"name": "support-defaults", "bot": "support"}
    assert context["spec"] == {"variables": {
        "empty": {"value": None, "scope": "session"},
        "greeting": {"value": "Hello!", "scope": "conversation"},
        "limits": {"value": {"maxRetries": 3, "channels": ["voice", "chat"]}},
    }}
    for text in files.values():
        assert text.startswith("# Exported by cogctl export --bot bot_8f3a.")
        assert CANARY not in text
        assert hashlib.sha256(f"x:{CANARY}".encode()).hexdigest()[:12] not in text
        assert "managed-by" not in text
        assert "applied-hash" not in text
        assert normalizing.CONTEXT_APPLIED_KEY not in text


def test_a_bot_with_nothing_live_exports_no_files(tmp_path: Path) -> None:
    assert exporting.build_export(_live(tmp_path, "bot_empty"), "bot_empty", "bot_empty") == {}


def _integration(name: str, **config: Any) -> livetypes.LiveIntegration:
    return {
        "id": f"int_{name}", "bot_id": "b", "name": name, "description": "", "status": "ACTIVE",
        "labels": {}, "config": {"url": "https://x.example.com", **config},  # type: ignore[typeddict-item]
        "auth_secret_sha256": None, "created_at": "", "updated_at": "", "version": "1",
    }


@pytest.mark.parametrize(
    ("integration", "skipped"),
    [
        (_integration("crm/lookup"), "Integration/b/crm/lookup: not a valid manifest (metadata.name"),
        (_integration("slow", timeout_seconds=500),
         "Integration/b/slow: not a valid manifest (spec.timeoutSeconds"),
        (_integration("odd", method="TRACE"), "Integration/b/odd: not a valid manifest (spec.method"),
    ],
)
def test_objects_that_cannot_be_manifests_are_skipped_and_reported(
    integration: livetypes.LiveIntegration, skipped: str
) -> None:
    bot = livestate.BotState(bot_id="b", integrations=(integration, _integration("fine")))
    result = exporting.export_bot(bot, "b", "b")
    assert len(result.skipped) == 1
    assert result.skipped[0].startswith(skipped)
    assert result.counts == {"b/integrations.yaml": 1}
    (document,) = yaml.safe_load_all(result.files["b/integrations.yaml"])
    assert document["metadata"]["name"] == "fine"


@pytest.mark.parametrize(
    ("bot", "name", "env"),
    [
        ("support", "crm-lookup", "SUPPORT_CRM_LOOKUP_SECRET"),
        ("eu.support", "CRM lookup v2", "EU_SUPPORT_CRM_LOOKUP_V2_SECRET"),
        ("7eleven", "api", "_7ELEVEN_API_SECRET"),
    ],
)
def test_secret_env_name(bot: str, name: str, env: str) -> None:
    assert exporting.secret_env_name(bot, name) == env
    models.SecretRef(fromEnv=exporting.secret_env_name(bot, name))


def test_write_export_is_all_or_nothing_and_refuses_to_overwrite(tmp_path: Path) -> None:
    files = {"b/slots.yaml": "one\n", "b/context.yaml": "two\n"}
    written = exporting.write_export(tmp_path, files)
    assert written == [tmp_path / "b/context.yaml", tmp_path / "b/slots.yaml"]
    (tmp_path / "b/context.yaml").write_text("edited\n", encoding="utf-8")
    with pytest.raises(errors.CogctlError, match=r"b/context.yaml, .*b/slots.yaml already exist"):
        exporting.write_export(tmp_path, {**files, "b/integrations.yaml": "three\n"})
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["context.yaml", "slots.yaml"]
    assert (tmp_path / "b/context.yaml").read_text(encoding="utf-8") == "edited\n"
    exporting.write_export(tmp_path, files, force=True)
    assert (tmp_path / "b/context.yaml").read_text(encoding="utf-8") == "two\n"
    assert (tmp_path / "b/context.yaml").stat().st_mode & 0o777 == 0o644


def test_write_export_to_an_impossible_place_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "b").write_text("a file where a directory should be", encoding="utf-8")
    with pytest.raises(errors.CogctlError, match="cannot write"):
        exporting.write_export(tmp_path, {"a/x.yaml": "x\n", "b/y.yaml": "y\n"})
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == []


def test_rewriting_keeps_the_examples_and_thresholds_of_the_manifests_there(
    tmp_path: Path,
) -> None:
    live = _live(tmp_path)
    out = tmp_path / "out"
    _write(out, exporting.build_export(live, "bot_8f3a", "support"))
    slots_file = out / "support" / "slots.yaml"
    documents = list(yaml.safe_load_all(slots_file.read_text()))
    order = next(d for d in documents if d and d["metadata"]["name"] == "order_number")
    order["spec"]["examples"] = [{"text": "where is ORD-123456", "value": "ORD-123456"},
                                 {"text": "no order", "value": None}]
    order["spec"]["verify"] = {"minExampleRate": 0.5}
    slots_file.write_text(yaml.safe_dump_all(documents, sort_keys=False))

    kept = exporting.kept_slot_parts(out, "support")
    assert kept == {"order_number": {"verify": {"minExampleRate": 0.5},
                                     "examples": order["spec"]["examples"]}}
    rewritten = exporting.build_export(live, "bot_8f3a", "support") | {}
    again = exporting.export_bot(live, "bot_8f3a", "support", kept=kept).files
    assert "examples" not in rewritten["support/slots.yaml"]
    exporting.write_export(out, again, force=True)
    documents = list(yaml.safe_load_all(slots_file.read_text()))
    order = next(d for d in documents if d and d["metadata"]["name"] == "order_number")
    assert order["spec"]["examples"][1] == {"text": "no order", "value": None}
    assert order["spec"]["verify"] == {"minExampleRate": 0.5}
    plan = _plan(out, live, secrets={"SUPPORT_CRM_LOOKUP_SECRET": None})
    assert not plan.summary().has_changes


def test_every_exported_document_carries_its_schema_modeline(tmp_path: Path) -> None:
    result = exporting.export_bot(_live(tmp_path), "bot_8f3a", "support",
                                  schema="../schemas/manifest.schema.json")
    for path, text in result.files.items():
        documents = text.split("\n---\n")[1:] if "\n---\n" in text else []
        assert len(documents) == result.counts[path], text
        for document in documents:
            assert document.startswith(
                "# yaml-language-server: $schema=../schemas/manifest.schema.json\n"), document
    default = exporting.build_export(_live(tmp_path), "bot_8f3a", "support")
    assert default["support/slots.yaml"].count(
        "# yaml-language-server: $schema=../../schemas/manifest.schema.json\n") == 2


@pytest.mark.parametrize(("out", "root", "expected"), [
    ("manifests", ".", "../../schemas/manifest.schema.json"),
    ("exported", ".", "../../schemas/manifest.schema.json"),
    ("deep/er/out", ".", "../../../../schemas/manifest.schema.json"),
    ("project/manifests", "project", "../../schemas/manifest.schema.json"),
    ("elsewhere", "project", "../../project/schemas/manifest.schema.json"),
])
def test_the_schema_reference_is_relative_to_the_written_file(
    out: str, root: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert exporting.schema_reference(Path(out), Path(root), "support") == expected

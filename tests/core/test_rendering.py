"""Renderers: golden text, JSON and Markdown for a small plan; Markdown size degradation."""

from __future__ import annotations

import json

import pytest

from reconciler import errors
from reconciler.core import plans
from reconciler.rendering import jsonout, markdown, text

from . import builders as b
from .sample_plans import empty_plan, many_changes, small_plan

GOLDEN_TEXT = r'''cogctl will perform the following actions:

  # Integration/support/crm_lookup will be created
  # reason: new in manifests
  + Integration/support/crm_lookup
      + spec.url = "https://crm.example.com"
      + spec.auth.type = "bearer"
      + spec.auth.secret = (sensitive)
      + spec.timeoutSeconds = 30
        secret read from $CRM_TOKEN

  # Slot/support/order_number will be updated in place [drift]
  # reason: changed outside cogctl since last apply (spec.patterns[0] changed)
  ~ Slot/support/order_number
      ~ spec.patterns[0]: "\\d{4}" -> "\\d{5}"

  # Integration/support/billing will be updated in place
  # reason: spec.auth.secret changed (the value of BILL_TOKEN differs from the stored secret)
  ~ Integration/support/billing
      ~ spec.auth.secret = (sensitive value changes)
        secret read from $BILL_TOKEN

  # Slot/support/legacy will be deleted
  # reason: not in manifests, labelled managed-by: cogctl
  - Slot/support/legacy
      - spec.patterns = ["old"]

1 live object(s) not managed by cogctl, left alone:
    Slot/support/hand_made

Retraining after apply: support (bot_sup)

Plan: 1 to add, 2 to change, 1 to destroy.
'''

GOLDEN_MARKDOWN = r'''<!-- cogctl-plan:staging -->
### cogctl plan for `staging`

> [!WARNING]
> This plan **deletes 1 object(s)**: `Slot/support/legacy`.

| create | update | delete | unchanged |
|---:|---:|---:|---:|
| 1 | 2 | 1 | 1 |

**Drift:** 1 object(s) changed outside cogctl since last apply.

<details><summary><code>+ Integration/support/crm_lookup</code>: new in manifests</summary>

```diff
+ spec.url = "https://crm.example.com"
+ spec.auth.type = "bearer"
+ spec.auth.secret = (sensitive)
+ spec.timeoutSeconds = 30
  secret read from $CRM_TOKEN
```

</details>

<details><summary><code>~ Slot/support/order_number</code> (drift): changed outside cogctl since last apply (spec.patterns[0] changed)</summary>

```diff
! spec.patterns[0]: "\\d{4}" -> "\\d{5}"
```

</details>

<details><summary><code>~ Integration/support/billing</code>: spec.auth.secret changed (the value of BILL_TOKEN differs from the stored secret)</summary>

```diff
! spec.auth.secret = (sensitive value changes)
  secret read from $BILL_TOKEN
```

</details>

<details><summary><code>- Slot/support/legacy</code>: not in manifests, labelled managed-by: cogctl</summary>

```diff
- spec.patterns = ["old"]
```

</details>

1 live object(s) not managed by cogctl, left alone.

Retraining after apply: `support (bot_sup)`

<sub>target `staging` · live state `sha256:f57929be71858d6838567f28f9c0b3bcf2711f72fa1cf312a731d5e6dde696c2`</sub>
'''


def test_text_golden() -> None:
    assert text.render_plan(small_plan(), color=False) == GOLDEN_TEXT


def test_text_colour_only_when_asked() -> None:
    coloured = text.render_plan(small_plan(), color=True)
    assert "\x1b[32m" in coloured
    assert "\x1b[31m" in coloured
    assert "\x1b[33m" in coloured
    assert "\x1b[" not in GOLDEN_TEXT
    assert coloured.replace("\x1b[1m", "").replace("\x1b[0m", "").replace("\x1b[32m", "") \
        .replace("\x1b[33m", "").replace("\x1b[31m", "") == GOLDEN_TEXT


def test_text_without_changes() -> None:
    assert text.render_plan(empty_plan(), color=False) == (
        "No changes. Live state matches the manifests.\n"
    )


def test_text_lists_orphans_with_the_prune_hint() -> None:
    plan = plans.Plan(target="t", fingerprint="f", orphaned=("Slot/support/old",))
    assert "(--prune deletes them):\n    Slot/support/old\n" in text.render_plan(plan, color=False)


def test_json_document_is_exactly_the_public_format() -> None:
    doc = jsonout.plan_document(small_plan())
    # 1.0's keys, in 1.0's order, then what 1.2 added (minor versions only add fields)
    assert list(doc) == ["format_version", "target", "fingerprint", "summary", "changes",
                         "retrain", "verify", "source", "targets"]
    assert doc["format_version"] == "1.3"
    assert doc["summary"] == {"create": 1, "update": 2, "delete": 1, "unchanged": 1}
    assert [c["action"] for c in doc["changes"]] == ["create", "update", "update", "no-op",
                                                     "delete"]
    for change in doc["changes"]:
        assert list(change) == ["address", "action", "reason", "drift", "before", "after", "diff",
                                "secret"]
        assert all(list(d) == ["path", "before", "after"] for d in change["diff"])
    assert doc["changes"][2]["diff"] == [
        {"path": "spec.auth.secret", "before": "(sensitive)", "after": "(sensitive)"}
    ]
    assert [c["secret"] for c in doc["changes"]] == [
        {"fromEnv": "CRM_TOKEN"}, None, {"fromEnv": "BILL_TOKEN"}, None, None]
    assert doc["retrain"] == ["bot_sup"]
    assert doc["verify"] == [{"address": "Slot/support/order_number", "check": "extraction",
                              "botId": "bot_sup", "slotId": "slot_1",
                              "minExtractionRate": 0.85, "maxRegression": 0.05}]
    assert json.loads(json.dumps(doc)) == doc


def test_markdown_golden() -> None:
    assert markdown.render_plan(small_plan(), environment="staging") == GOLDEN_MARKDOWN


def test_markdown_without_changes_has_marker_and_summary() -> None:
    body = markdown.render_plan(empty_plan(), environment="prod")
    assert body.startswith("<!-- cogctl-plan:prod -->\n")
    assert "| 0 | 0 | 0 | 0 |" in body
    assert "No changes. Live state matches the manifests." in body
    assert "[!WARNING]" not in body


@pytest.mark.parametrize(
    ("count", "limit", "details", "all_listed"),
    [
        (50, 65_000, 50, True),       # everything fits
        (600, 65_000, None, True),    # details trimmed, every other change as an address
        (5000, 65_000, 0, False),     # addresses only, and not all of them
        (5000, 20_000, 0, False),
    ],
)
def test_markdown_degrades_to_fit(
    count: int, limit: int, details: int | None, all_listed: bool
) -> None:
    plan = many_changes(count)
    body = markdown.render_plan(plan, environment="prod", limit=limit)
    assert len(body) <= limit
    assert body.startswith("<!-- cogctl-plan:prod -->\n")
    summary = plan.summary()
    assert f"| 0 | {summary.update} | {summary.delete} | 0 |" in body
    assert f"> This plan **deletes {summary.delete} object(s)**" in body
    shown_details = body.count("<details>")
    listed = body.count("\n- `")
    if details is not None:
        assert shown_details == details
    else:
        assert 0 < shown_details < count
    assert (shown_details + listed == count) is all_listed
    if not all_listed:
        assert f"… and {count - listed} more not shown" in body
    assert body.rstrip().endswith("</sub>")


def test_markdown_head_survives_even_a_tiny_limit() -> None:
    body = markdown.render_plan(many_changes(100), environment="prod", limit=10)
    assert "[!WARNING]" in body
    assert "| 0 | 90 | 10 | 0 |" in body


def test_markdown_escapes_manifest_text() -> None:
    change = plans.Change(
        address="Slot/support/x", kind="Slot", bot="support", bot_id="b", name="x",
        action=plans.Action.UPDATE, reason="<script>alert(1)</script>", drift=False,
        before={"p": "a"}, after={"p": "```\n</details>"},
        diff=(plans.FieldDiff("p", "a", "```\n</details>"),), write=b.slot_body(),
    )
    body = markdown.render_plan(plans.Plan(target="t", fingerprint="f", changes=(change,)),
                                environment="e")
    assert "<script>" not in body
    assert "&lt;script&gt;" in body
    assert "````diff" in body


@pytest.mark.parametrize("environment", ["", "a b", "x-->y", "prod--eu", "<!--"])
def test_markdown_refuses_environment_names_that_break_the_marker(environment: str) -> None:
    with pytest.raises(errors.ConfigError, match="cannot mark a pull-request comment"):
        markdown.render_plan(empty_plan(), environment=environment)

"""Normalizing: server fields out, defaults in, ids to names, the applied hash out of the content."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core import livetypes as lt
from reconciler.core import normalizing

from . import builders as b


def _live_integration(**over: Any) -> lt.LiveIntegration:
    """A live integration built by hand, not read from the emulator: the table needs reads it
    never answers (a config without the defaults it fills in, a field the contract does not
    name) to show that normalizing fills in and drops the same as for a manifest."""
    live: dict[str, Any] = {
        "id": "int_1", "bot_id": "bot_sup", "name": "crm_lookup", "description": "",
        "status": "ACTIVE", "labels": {"managed-by": "cogctl", "cogctl/applied-hash": "abc"},
        "config": {"url": "https://crm.example.com/api"}, "auth_secret_sha256": None,
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "version": "7",
    }
    live.update(over)
    return live  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("manifest", "live"),
    [
        (b.integration(), _live_integration()),
        (b.integration(timeoutSeconds=30, method="GET"),
         _live_integration(config={"url": "https://crm.example.com/api", "timeout_seconds": 30,
                                   "method": "GET", "headers": {}, "auth_type": "none",
                                   "auth_header_name": None,
                                   "response_mapping": {"extract": None, "normalize": "none"},
                                   "extra_server_field": 1})),
        (b.integration(headers={"A": "1"}, labels={"team": "crm"}),
         _live_integration(config={"url": "https://crm.example.com/api", "headers": {"A": "1"}},
                           labels={"team": "crm", "managed-by": "cogctl"},
                           created_at="2027-01-01T00:00:00Z", version="99")),
        (b.integration(secret_env="CRM_TOKEN"),
         _live_integration(config={"url": "https://crm.example.com/api", "auth_type": "bearer"},
                           auth_secret_sha256="ab" * 32)),
    ],
    ids=["minimal", "defaults-spelled-out", "server-fields-and-own-labels", "secret-set"],
)
def test_manifest_and_live_normalize_equal(manifest: Any, live: lt.LiveIntegration) -> None:
    assert normalizing.integration_from_manifest(manifest) == normalizing.integration_from_live(live)


def test_secret_presence_and_fingerprint() -> None:
    live = _live_integration(auth_secret_sha256=normalizing.secret_sha256("int_1", "s3cret"))
    assert normalizing.integration_from_live(live)["spec"]["auth"]["secret"] == "(sensitive)"  # type: ignore[index,call-overload]
    assert normalizing.secret_matches(live, "s3cret") is True
    assert normalizing.secret_matches(live, "other") is False
    assert normalizing.secret_matches(live, None) is None
    assert normalizing.secret_matches(_live_integration(), "s3cret") is False


def test_slot_dependencies_become_sorted_names_and_patterns_keep_order() -> None:
    live: lt.LiveSlot = {
        "slotId": "s3", "botId": "bot_sup", "name": "c", "type": "regex",
        "patterns": ["z", "a"], "fillStrategy": "firstMatch", "dependencies": ["s2", "s1", "gone"],
        "labels": {"cogctl/applied-hash": "x"}, "version": "3", "updatedAt": "2026-01-01T00:00:00Z",
    }
    content = normalizing.slot_from_live(live, {"s1": "a", "s2": "b"})
    assert content == {
        "labels": {},
        "spec": {"type": "regex", "patterns": ["z", "a"], "fillStrategy": "firstMatch",
                 "dependencies": ["a", "b", "gone"]},
    }
    manifest = b.slot("c", patterns=("z", "a"), dependencies=("b", "a"), fillStrategy="firstMatch",
                      verify={"minExtractionRate": 0.5})
    assert normalizing.slot_from_manifest(manifest)["spec"] == {
        **content["spec"], "dependencies": ["a", "b"]  # type: ignore[dict-item]
    }


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"managed-by": "cogctl", "cogctl/applied-hash": "h", "team": "x"},
         normalizing.AppliedRecord("h", managed=True)),
        ({"managed-by": "someone"}, normalizing.AppliedRecord(None, managed=False)),
        (None, normalizing.AppliedRecord(None, managed=False)),
    ],
)
def test_applied_record_of(labels: dict[str, str] | None, expected: normalizing.AppliedRecord) -> None:
    assert normalizing.applied_record_of(labels) == expected
    assert "managed-by" not in normalizing.own_labels(labels)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"name": "d", "hash": "h", "keys": ["b", "a"]}, normalizing.ContextApplied("d", "h", ("b", "a"))),
        ({"hash": 3, "keys": "nope"}, normalizing.ContextApplied(None, None, ())),
        ("garbled", None),
    ],
)
def test_context_applied_of(value: Any, expected: normalizing.ContextApplied | None) -> None:
    live: lt.LiveContext = {"botId": "b", "contextVersion": "1",
                            "context": {"_cogctl_applied": {"value": value, "scope": "global"}}}
    assert normalizing.context_applied_of(live) == expected
    assert normalizing.context_applied_of(None) is None


def test_context_compares_only_the_given_keys_with_default_scope() -> None:
    live: lt.LiveContext = {"botId": "b", "contextVersion": "1", "context": {
        "lang": {"value": "en", "scope": "global"}, "other": {"value": 1, "scope": "user"},
        "_cogctl_applied": {"value": {}, "scope": "global"},
    }}
    wanted = b.context({"lang": {"value": "en"}})
    assert normalizing.context_from_live(live, {"lang", "_cogctl_applied"}) == \
        normalizing.context_from_manifest(wanted)

"""The pure mapping of the Cognigy.AI backend and the api's validate refusals, as tables."""

from __future__ import annotations

import re
from typing import Any

import pytest

from reconciler import extraction
from reconciler.backend.cognigy_ai import mapping
from reconciler.core import livetypes as lt
from reconciler.manifests import regexes


@pytest.mark.parametrize(("patterns", "regex"), [
    (["a"], "/(?:a)/g"),
    ([r"\bORD-\d{6}\b", r"\b\d{8}\b"], r"/(?:\bORD-\d{6}\b)|(?:\b\d{8}\b)/g"),
    (["a|b", "c"], "/(?:a|b)|(?:c)/g"),
])
def test_patterns_join_into_one_literal_and_read_back_while_unchanged(
        patterns: list[str], regex: str) -> None:
    assert mapping.join_patterns(patterns) == regex
    assert mapping.patterns_of(regex, patterns) == patterns
    # the joined body matches what any pattern matches (same semantics, one regex)
    body = re.compile(mapping.regex_body(regex))
    for pattern in patterns:
        sample = {"a": "a", "c": "c", "a|b": "b"}.get(pattern, "ORD-123456")
        if re.search(pattern, sample):
            assert body.search(sample)


@pytest.mark.parametrize(("regex", "recorded", "shown"), [
    ("/(?:x)/g", ["y"], ["(?:x)"]),  # edited outside cogctl: the body, never the record
    ("/abc/gi", None, ["abc"]),
    ("abc", None, ["abc"]),
    (None, ["a"], []),
])
def test_a_regex_that_is_not_the_recorded_join_shows_its_body(
        regex: str | None, recorded: list[str] | None, shown: list[str]) -> None:
    assert mapping.patterns_of(regex, recorded) == shown


def test_reference_ids_are_deterministic_per_address() -> None:
    one = mapping.reference_id("Slot/support/email")
    assert one == mapping.reference_id("Slot/support/email")
    assert one != mapping.reference_id("Slot/orders/email")


def test_context_changes_keep_unmanaged_keys_and_put_reserved_ones_in_the_state() -> None:
    flow = {"language": "en", "tier": "gold"}
    values, record = mapping.apply_context_changes(flow, {"scopes": {"tier": "session"}}, {
        "max_retries": {"value": 3, "scope": "conversation"},
        "tier": None,
        "_cogctl_applied": {"value": {"hash": "h"}, "scope": "global"},
    })
    assert values == {"language": "en", "max_retries": 3}
    assert record == {"scopes": {"max_retries": "conversation"},
                      "reserved": {"_cogctl_applied": {"value": {"hash": "h"},
                                                      "scope": "global"}}}
    assert flow == {"language": "en", "tier": "gold"}  # inputs untouched


def test_the_context_version_moves_with_the_flow_and_with_the_state_record() -> None:
    flow = {"_id": "f", "lastChanged": 1, "context": {"a": 1}}
    empty: dict[str, Any] = {"scopes": {}, "reserved": {}}
    marked = {"scopes": {}, "reserved": {"_cogctl_retrain": {"value": {}, "scope": "global"}}}
    base = mapping.live_context(flow, empty, bot="b")
    assert base["context"] == {"a": {"value": 1, "scope": "session"}}
    assert mapping.live_context({**flow, "lastChanged": 2}, empty, bot="b")[
        "contextVersion"] != base["contextVersion"]
    with_marker = mapping.live_context(flow, marked, bot="b")
    assert with_marker["contextVersion"] != base["contextVersion"]
    assert "_cogctl_retrain" in with_marker["context"]


@pytest.mark.parametrize(("status", "ours"), [
    ("queued", "queued"), ("active", "running"), ("done", "succeeded"), ("error", "failed"),
    ("cancelled", "failed"),
])
def test_task_status_maps_to_a_retrain_job(status: str, ours: str) -> None:
    job = mapping.retrain_job({"_id": "t", "status": status, "failReason": "boom"}, bot="b")
    assert job["status"] == ours
    assert ("error" in job) is (ours == "failed")


def test_state_that_is_garbled_reads_as_empty() -> None:
    assert mapping.read_state("nonsense") == mapping.empty_state()
    assert mapping.read_state({"format": 99}) == mapping.empty_state()
    kept = mapping.read_state({"format": 1, "objects": {"a": {}}, "contexts": []})
    assert kept["objects"] == {"a": {}}
    assert kept["contexts"] == {}


@pytest.mark.parametrize(("python", "javascript"), [
    (r"\b(?P<value>\d{1,3}) ?pcs\b", r"\b(?<value>\d{1,3}) ?pcs\b"),
    (r"(?P<a>x)-(?P=a)", r"(?<a>x)-\k<a>"),
    (r"[(?P<a>]", r"[(?P<a>]"),  # inside a class: literal characters
    (r"\(?P<a>", r"\(?P<a>"),  # an escaped parenthesis
    (r"[]](?P<v>y)", r"[]](?<v>y)"),  # a leading ] stays inside the class
    (r"no groups", r"no groups"),
])
def test_named_groups_are_written_in_javascript_and_read_back(python: str,
                                                              javascript: str) -> None:
    assert regexes.to_javascript(python) == javascript
    assert regexes.from_javascript(javascript) == python
    joined = mapping.join_patterns([python, "x"])
    assert joined == f"/(?:{javascript})|(?:x)/g"
    assert mapping.patterns_of(joined, [python, "x"]) == [python, "x"]
    assert mapping.patterns_of(f"/{javascript}/g", None) == [python]


@pytest.mark.parametrize(("regex", "recorded", "strategy"), [
    ("/(?:a)/g", "bestMatch", "bestMatch"),  # the record, while the flags agree with it
    ("/(?:a)/gi", "fuzzy", "fuzzy"),
    ("/(?:a)/gi", "bestMatch", "fuzzy"),  # someone added i outside cogctl: fuzzy, a drift
    ("/(?:a)/g", "fuzzy", "firstMatch"),  # someone dropped i: no longer fuzzy
    ("/a/gi", None, "fuzzy"),  # made outside cogctl
    ("/a/g", None, "firstMatch"),
])
def test_fuzzy_is_the_i_flag_both_ways(regex: str, recorded: str | None, strategy: str) -> None:
    assert mapping.strategy_of(regex, recorded) == strategy


def test_a_fuzzy_slot_matches_regardless_of_case_on_this_api() -> None:
    body: lt.SlotWrite = {"botId": "support", "name": "ticket_id", "type": "regex",
                          "patterns": [r"\btck-\d{5}\b"], "fillStrategy": "fuzzy",
                          "dependencies": [], "labels": {}, "triggerRetrain": False}
    written = mapping.filler_write(body, "Slot/support/ticket_id", create=True)
    assert written["regex"] == r"/(?:\btck-\d{5}\b)/gi"
    assert extraction.parse_literal(written["regex"]).first("any news on TCK-12345") == \
        "TCK-12345"
    assert mapping.patterns_of(written["regex"], body["patterns"], "fuzzy") == body["patterns"]
    assert mapping.patterns_of(written["regex"], body["patterns"], "bestMatch") == [
        r"(?:\btck-\d{5}\b)"]  # not the recorded join any more: read from the literal
    assert mapping.export_refusal({"type": "regex", "regex": written["regex"]}) is None
    assert "flag(s) m" in str(mapping.export_refusal({"type": "regex", "regex": "/a/gm"}))

"""The pure mapping of the Cognigy.AI backend and the api's validate refusals, as tables."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler import extraction
from reconciler.backend.cognigy_ai import mapping
from reconciler.core import livetypes as lt
from reconciler.manifests import aiapi, models, regexes

GUARD = r"(?<!^(?=[\s\S]*?(?:{}))[\s\S]*)"


@pytest.mark.parametrize(("patterns", "strategy", "regex"), [
    (["a"], "firstMatch", "/(?:a)/g"),
    ([r"\bORD-\d{6}\b", r"\b\d{8}\b"], "firstMatch",
     "/(?:\\bORD-\\d{6}\\b)|" + GUARD.format(r"\bORD-\d{6}\b") + r"(?:\b\d{8}\b)/g"),
    (["a|b", "c"], "fuzzy", "/(?:a|b)|" + GUARD.format("a|b") + "(?:c)/gi"),
    ([r"(a)b", "c"], "firstMatch", "/(?:(?<value>a)b)|" + GUARD.format("(?:a)b") + "(?:c)/g"),
    ([r"\d{5}"], "strict", r"/(?<=^\s*)(?=\S)(?:\d{5})(?<=\S)(?=\s*$)/g"),
    (["a", "b"], "strict", r"/(?<=^\s*)(?=\S)(?:(?:a)|(?:b))(?<=\S)(?=\s*$)/g"),
])
def test_patterns_join_into_one_literal_and_read_back_while_unchanged(
        patterns: list[str], strategy: str, regex: str) -> None:
    assert mapping.join_patterns(patterns, strategy) == regex
    assert mapping.patterns_of(regex, patterns, strategy) == patterns
    assert mapping.strategy_of(regex, strategy) == strategy


# Patterns the api accepts (RE2 and JavaScript alike) and texts that tell the strategies
# apart: the same pattern in several places, overlaps, outer whitespace, case.
POOL = [r"\d{3}", r"\d{5}", r"\bab\b", "a+b", r"(\d)x", r"(?P<value>\w)-\d",
        r"[a-c]{2}", r"x|\d\d", r"\s?q", "ba", r"(?P<n>b)a"]
TEXT = st.text(alphabet="ab 1234x-qAB\t", max_size=14)


@given(patterns=st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True),
       strategy=st.sampled_from(["firstMatch", "fuzzy", "strict"]), text=TEXT)
@settings(max_examples=600, deadline=None)
def test_the_filler_literal_extracts_what_the_platform_extracts(
        patterns: list[str], strategy: str, text: str) -> None:
    """The one promise of ``aiapi.filler_regex``: on any utterance, the slot filler fills the
    value the platform's extraction does, for every strategy the api accepts."""
    spec = models.SlotSpec.model_validate({"patterns": patterns, "fillStrategy": strategy})
    if aiapi.slot_problems(spec):
        return  # refused at validate: never written
    platform = extraction.Matcher(tuple(patterns), strategy)
    filler = extraction.Matcher(tuple(patterns), strategy, dialect=extraction.COGNIGY_AI,
                                literal=aiapi.filler_regex(patterns, strategy))
    assert extraction.meets(platform, extraction.extract(filler, text),
                            extraction.extract(platform, text)), (
        aiapi.filler_regex(patterns, strategy), text)


@pytest.mark.parametrize(("regex", "recorded", "shown"), [
    ("/(?:x)/g", ["y"], ["x"]),  # edited outside cogctl: what the literal says, never the record
    ("/(?:a)|(?:b)/g", ["a", "b"], ["(?:a)|(?:b)"]),  # not cogctl's shape: its body
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
    joined = mapping.join_patterns([python, "x"], "firstMatch")
    assert joined.startswith(f"/(?:{regexes.with_value_group(javascript)})|")
    assert mapping.patterns_of(joined, [python, "x"], "firstMatch") == [python, "x"]
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
        r"\btck-\d{5}\b"]  # not the recorded join any more: read from the literal
    assert mapping.export_refusal({"type": "regex", "regex": written["regex"]}) is None
    assert "flag(s) m" in str(mapping.export_refusal({"type": "regex", "regex": "/a/gm"}))


@given(patterns=st.lists(st.sampled_from([*POOL, "b|c", "[|(]x", r"\(y\)"]), min_size=1,
                         max_size=3, unique=True),
       strategy=st.sampled_from(["firstMatch", "fuzzy", "strict"]))
@settings(max_examples=300, deadline=None)
def test_a_literal_of_cogctls_shape_reads_back_as_a_slot_that_writes_it_again(
        patterns: list[str], strategy: str) -> None:
    """Without cogctl's state (lost, or the filler edited), the live slot still says what
    its filler does: ``read_filler_regex`` gives patterns and a strategy whose literal is
    the very one live."""
    literal = aiapi.filler_regex(patterns, strategy)
    read = aiapi.read_filler_regex(literal)
    assert read is not None, literal
    assert aiapi.filler_regex(*read) == literal
    assert mapping.strategy_of(literal, None) == strategy

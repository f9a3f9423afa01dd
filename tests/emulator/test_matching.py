"""Extraction by fill strategy and intent recognition: pure tables."""

from __future__ import annotations

import pytest

from reconciler.emulator.platform import matching, records


def _slot(patterns: list[str], strategy: str = "firstMatch", kind: str = "regex") -> records.SlotRecord:
    return records.SlotRecord.model_validate({
        "slotId": "s", "botId": "b", "name": "n", "type": kind, "patterns": patterns,
        "fillStrategy": strategy, "dependencies": [], "labels": {}, "version": "1",
        "updatedAt": "2026-01-01T00:00:00.000Z",
    })


@pytest.mark.parametrize(
    ("patterns", "strategy", "text", "expected"),
    [
        ([r"\d+", r"[A-Z]+-\d+"], "firstMatch", "order ORD-123", "123"),
        ([r"[A-Z]+-\d+", r"\d+"], "firstMatch", "order ORD-123", "ORD-123"),
        ([r"\d+", r"[A-Z]+-\d+"], "bestMatch", "order ORD-123", "ORD-123"),
        ([r"\d{2}", r"\d{4}"], "bestMatch", "12 then 3456", "3456"),
        ([r"ORD-\d+"], "strict", "ORD-12", "ORD-12"),
        ([r"ORD-\d+"], "strict", "order ORD-12", None),
        ([r"ORD-\d+"], "strict", "  ORD-12 ", "ORD-12"),
        ([r"ord-\d+"], "fuzzy", "ORD-12 please", "ORD-12"),
        ([r"ord-\d+"], "firstMatch", "ORD-12 please", None),
        ([r"order (\d+)"], "firstMatch", "order 42 now", "42"),
        ([r"(?P<prefix>ORD)-(?P<value>\d+)"], "firstMatch", "ORD-7", "7"),
        (["gold plan"], "firstMatch", "the gold plan please", "gold plan"),
        (["a.c"], "firstMatch", "abc", "abc"),
    ],
)
def test_extract(patterns: list[str], strategy: str, text: str, expected: str | None) -> None:
    assert matching.extract(_slot(patterns, strategy), text) == expected


def test_keyphrases_match_literally() -> None:
    assert matching.extract(_slot(["a.c"], kind="keyphrase"), "abc") is None
    assert matching.extract(_slot(["a.c"], kind="keyphrase"), "x a.c y") == "a.c"


def test_success_rate_counts_only_utterances_labelled_for_the_slot() -> None:
    utterances = [
        records.UtteranceRecord(text="ORD-1", slots={"n": "ORD-1"}),
        records.UtteranceRecord(text="ord-2", slots={"n": "ORD-2"}),
        records.UtteranceRecord(text="nothing", slots={"n": "ORD-3"}),
        records.UtteranceRecord(text="ORD-4", slots={"other": "ORD-4"}),
        records.UtteranceRecord(text="ORD-5"),
    ]
    assert matching.success_rate(_slot([r"ORD-\d"]), utterances) == (round(1 / 3, 6), 3)
    assert matching.success_rate(_slot([r"ord-\d"], "fuzzy"), utterances) == (round(2 / 3, 6), 3)
    assert matching.success_rate(_slot([r"x"]), []) == (0.0, 0)


INTENTS = [
    records.IntentRecord(name="order_status", flowId="f1", examples=["where is my order"]),
    records.IntentRecord(name="billing", flowId="f2", examples=["question about my bill"]),
]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Where is my order ORD-1?", "order_status"),
        ("I have a question about my bill", "billing"),
        ("hello", None),
        ("", None),
    ],
)
def test_recognise_intent(text: str, intent: str | None) -> None:
    found = matching.recognise_intent(INTENTS, text)
    assert (found.name if found else None) == intent

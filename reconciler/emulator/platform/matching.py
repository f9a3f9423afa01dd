"""Slot extraction and intent recognition, as the platform's runtime does them.

Slot extraction is ``reconciler.extraction``'s (the one semantics the plan's predictions and
``cogctl test`` use too); this module adapts the tenant's records to it.

Intents: the text's lower-case word tokens against each example's (Jaccard overlap); the best
intent wins when it overlaps at least ``INTENT_THRESHOLD``; ties go to the first intent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from reconciler import extraction
from reconciler.emulator.platform import records

INTENT_THRESHOLD = 0.2
_TOKEN = re.compile(r"[a-z0-9]+")


def matcher(slot: records.SlotRecord) -> extraction.Matcher:
    return extraction.Matcher(tuple(slot.patterns), slot.fillStrategy, slot.type)


def extract(slot: records.SlotRecord, text: str) -> str | None:
    """The value the slot fills from ``text``, or None."""
    return extraction.extract(matcher(slot), text)


def success_rate(
    slot: records.SlotRecord, utterances: Iterable[records.UtteranceRecord]
) -> tuple[float, int]:
    """Share of the labelled utterances for this slot whose expected value is extracted."""
    labelled = [(u.text, u.slots[slot.name]) for u in utterances if slot.name in u.slots]
    return extraction.success_rate(matcher(slot), labelled)


def tokens(text: str) -> set[str]:
    return set(_TOKEN.findall(text.lower()))


def recognise_intent(
    intents: Sequence[records.IntentRecord], text: str
) -> records.IntentRecord | None:
    words = tokens(text)
    best: records.IntentRecord | None = None
    best_score = 0.0
    for intent in intents:
        for example in intent.examples:
            other = tokens(example)
            union = words | other
            score = len(words & other) / len(union) if union else 0.0
            if score > best_score:
                best, best_score = intent, score
    return best if best_score >= INTENT_THRESHOLD else None


def extract_entities(
    bot: records.BotRecord, slots: Sequence[records.SlotRecord], text: str
) -> dict[str, str]:
    """Entities found in ``text``: keyword entities by their values, then the slots."""
    found: dict[str, str] = {}
    lowered = text.lower()
    for entity in bot.entities:
        for value in entity.values:
            if re.search(rf"\b{re.escape(value.lower())}\b", lowered):
                found[entity.name] = value
                break
    for slot in slots:
        extracted = extract(slot, text)
        if extracted is not None:
            found[slot.name] = extracted
    return found

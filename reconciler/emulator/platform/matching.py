"""Slot extraction and intent recognition, as the platform's runtime does them.

Extraction matches with Python ``re`` (the runtime backtracks, unlike the RE2 training
engine). A match's value is its named group ``value`` if the pattern has one, else its first
group, else the whole match. Fill strategies: ``firstMatch`` the first pattern (in order)
that matches anywhere; ``bestMatch`` the longest match of any pattern; ``strict`` the first
pattern that matches the whole (stripped) text; ``fuzzy`` like ``firstMatch`` but
case-insensitive (and the value compares case-insensitively). ``keyphrase`` slots match their
patterns literally.

Intents: the text's lower-case word tokens against each example's (Jaccard overlap); the best
intent wins when it overlaps at least ``INTENT_THRESHOLD``; ties go to the first intent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from reconciler.emulator.platform import records

INTENT_THRESHOLD = 0.2
_TOKEN = re.compile(r"[a-z0-9]+")


def _regex(slot: records.SlotRecord, pattern: str) -> re.Pattern[str]:
    source = re.escape(pattern) if slot.type == "keyphrase" else pattern
    flags = re.IGNORECASE if slot.fillStrategy == "fuzzy" else 0
    return re.compile(source, flags)


def _value(match: re.Match[str]) -> str:
    if "value" in match.re.groupindex and match.group("value") is not None:
        return match.group("value")
    if match.re.groups and match.group(1) is not None:
        return match.group(1)
    return match.group(0)


def extract(slot: records.SlotRecord, text: str) -> str | None:
    """The value the slot fills from ``text``, or None."""
    regexes = [_regex(slot, p) for p in slot.patterns]
    if slot.fillStrategy == "bestMatch":
        best: re.Match[str] | None = None
        for rx in regexes:
            for match in rx.finditer(text):
                if best is None or len(match.group(0)) > len(best.group(0)):
                    best = match
        return _value(best) if best is not None else None
    for rx in regexes:
        found = rx.fullmatch(text.strip()) if slot.fillStrategy == "strict" else rx.search(text)
        if found is not None:
            return _value(found)
    return None


def matches_expected(slot: records.SlotRecord, got: str | None, expected: str) -> bool:
    if got is None:
        return False
    if slot.fillStrategy == "fuzzy":
        return got.casefold() == expected.casefold()
    return got == expected


def success_rate(
    slot: records.SlotRecord, utterances: Iterable[records.UtteranceRecord]
) -> tuple[float, int]:
    """Share of the labelled utterances for this slot whose expected value is extracted."""
    labelled = [u for u in utterances if slot.name in u.slots]
    if not labelled:
        return 0.0, 0
    hits = sum(matches_expected(slot, extract(slot, u.text), u.slots[slot.name])
               for u in labelled)
    return round(hits / len(labelled), 6), len(labelled)


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

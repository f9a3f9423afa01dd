"""What the emulated NLU does: slot fillers, intents and the flow's feedback report.

Regex slot fillers hold a JavaScript regex literal (``/source/flags``), which
``reconciler.extraction.parse_literal`` compiles and runs with ECMAScript semantics (the one
definition of extraction, shared with the Platform emulator, validation and plans).
Keyphrase fillers (``type: slot``) match the entries of the flow's attached lexicons that
reference a lexicon slot of that name: any keyphrase as a whole word, case-insensitively
(``reconciler.extraction.lexicon_hit``); the value is the entry's main keyphrase.

Intents: the lower-case word tokens of the text against each example sentence (Jaccard
overlap); the best intent wins at ``INTENT_THRESHOLD`` or more. The feedback report scores
each example by leave-one-out against the others: ``accuracy`` is the share classified
right, ``fScore`` the macro F1 over intents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import JsonValue

INTENT_THRESHOLD = 0.2
LOW_DATA_EXAMPLES = 5
_TOKEN = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> set[str]:
    return set(_TOKEN.findall(text.lower()))


@dataclass(frozen=True)
class IntentExamples:
    name: str
    examples: Sequence[str]


def recognise(intents: Sequence[IntentExamples], text: str,
              skip: tuple[str, int] | None = None) -> tuple[str | None, float]:
    """The best intent for ``text`` and its score (``skip`` leaves one example out)."""
    words = tokens(text)
    best: str | None = None
    best_score = 0.0
    for intent in intents:
        for i, example in enumerate(intent.examples):
            if skip == (intent.name, i):
                continue
            other = tokens(example)
            union = words | other
            score = len(words & other) / len(union) if union else 0.0
            if score > best_score:
                best, best_score = intent.name, score
    if best_score < INTENT_THRESHOLD:
        return None, round(best_score, 4)
    return best, round(best_score, 4)


def feedback(intents: Sequence[IntentExamples]) -> tuple[dict[str, JsonValue],
                                                         dict[str, float]]:
    """The flow's feedback report and each intent's F1, by leave-one-out."""
    pairs: list[tuple[str, str | None]] = []
    for intent in intents:
        for i, example in enumerate(intent.examples):
            got, _ = recognise(intents, example, skip=(intent.name, i))
            pairs.append((intent.name, got))
    f1: dict[str, float] = {}
    for intent in intents:
        tp = sum(1 for want, got in pairs if want == got == intent.name)
        fp = sum(1 for want, got in pairs if got == intent.name and want != intent.name)
        fn = sum(1 for want, got in pairs if want == intent.name and got != intent.name)
        f1[intent.name] = round(2 * tp / (2 * tp + fp + fn), 4) if tp else 0.0
    accuracy = round(sum(1 for w, g in pairs if w == g) / len(pairs), 4) if pairs else 0.0
    score = round(sum(f1.values()) / len(f1), 4) if f1 else 0.0
    kind = "goodAccuracy" if accuracy >= 0.8 else "fairAccuracy" if accuracy >= 0.6 \
        else "poorAccuracy"
    findings: list[JsonValue] = [{"type": kind}]
    return {"findings": findings, "info": {"accuracy": accuracy, "fScore": score}}, f1

"""What a slot extracts from a text: the one definition validation, plans, ``cogctl test`` and
the emulators share, so that a prediction and a measurement can never disagree.

Pure: no I/O; the standard library, and ``regress`` for ECMAScript regexes (the emulators may
import nothing else of ours).

Extraction matches with Python ``re`` (the platform's runtime backtracks, unlike the RE2
engine our pattern checks vouch with). A match's value is its named group ``value`` if the
pattern has one (and it took part), else its first group (if it took part), else the whole
match. Fill strategies:

- ``firstMatch``: the first pattern, in order, that matches anywhere in the text;
- ``bestMatch``: the longest match of any pattern (the earliest pattern, then the earliest
  position, wins a tie);
- ``strict``: the first pattern that matches the whole text, stripped of outer whitespace;
- ``fuzzy``: like ``firstMatch`` but case-insensitive, and the value compares
  case-insensitively.

``keyphrase`` slots match their patterns literally. An expected value of ``None`` means
"nothing may be extracted": it is met exactly when nothing is.

An emulator measures a slot with ``success_rate`` over its labelled utterances; the plan and
``cogctl test`` predict with ``outcomes`` over the manifest's examples: the same code path.

Cognigy.AI's own API keeps a regex slot filler as one JavaScript regex literal
(``/source/flags``): ``parse_literal`` compiles it with ECMAScript semantics (``regress``,
never Python ``re``), and ``JsRegex.first`` gives what the filler fills from a text: the named
group ``value`` when the regex has one and it took part, else the whole first match.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

FillStrategy = Literal["bestMatch", "firstMatch", "strict", "fuzzy"]
SlotType = Literal["regex", "keyphrase"]
STRATEGIES: tuple[str, ...] = ("bestMatch", "firstMatch", "strict", "fuzzy")


PLATFORM, COGNIGY_AI = "platform", "cognigy-ai"


@dataclasses.dataclass(frozen=True)
class Matcher:
    """A slot as extraction sees it: its patterns, in order, and how they fill it.

    ``dialect`` ``cognigy-ai`` reads the slot as Cognigy.AI's v2 runs it: a regex slot as its
    filler's JavaScript ``literal`` (``JsRegex.first``), a keyphrase slot as a lexicon of one
    entry per pattern (``lexicon_value``)."""

    patterns: tuple[str, ...]
    fill_strategy: str = "bestMatch"
    slot_type: str = "regex"
    dialect: str = PLATFORM
    literal: str | None = None


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One labelled text run through a ``Matcher``: what it extracted and whether that is right."""

    text: str
    expected: str | None
    extracted: str | None
    passed: bool


@functools.lru_cache(maxsize=4096)
def _compile(pattern: str, *, literal: bool, fold: bool) -> re.Pattern[str]:
    return re.compile(re.escape(pattern) if literal else pattern, re.IGNORECASE if fold else 0)


def _regexes(matcher: Matcher) -> list[re.Pattern[str]]:
    literal = matcher.slot_type == "keyphrase"
    fold = matcher.fill_strategy == "fuzzy"
    return [_compile(p, literal=literal, fold=fold) for p in matcher.patterns]


def _value(match: re.Match[str]) -> str:
    if "value" in match.re.groupindex and match.group("value") is not None:
        return match.group("value")
    if match.re.groups and match.group(1) is not None:
        return match.group(1)
    return match.group(0)


def extract(matcher: Matcher, text: str) -> str | None:
    """The value ``matcher`` fills from ``text``, or None when nothing is extracted."""
    if matcher.dialect == COGNIGY_AI:
        if matcher.slot_type == "keyphrase":
            return lexicon_value(text, matcher.patterns)
        return parse_literal(matcher.literal or "").first(text)
    regexes = _regexes(matcher)
    if matcher.fill_strategy == "bestMatch":
        best: re.Match[str] | None = None
        for rx in regexes:
            for match in rx.finditer(text):
                if best is None or len(match.group(0)) > len(best.group(0)):
                    best = match
        return _value(best) if best is not None else None
    for rx in regexes:
        strict = matcher.fill_strategy == "strict"
        found = rx.fullmatch(text.strip()) if strict else rx.search(text)
        if found is not None:
            return _value(found)
    return None


def meets(matcher: Matcher, extracted: str | None, expected: str | None) -> bool:
    """Whether ``extracted`` is the labelled ``expected`` value (None: nothing extracted)."""
    if expected is None or extracted is None:
        return expected is None and extracted is None
    if matcher.fill_strategy == "fuzzy":
        return extracted.casefold() == expected.casefold()
    return extracted == expected


def outcome(matcher: Matcher, text: str, expected: str | None) -> Outcome:
    got = extract(matcher, text)
    return Outcome(text, expected, got, meets(matcher, got, expected))


def outcomes(
    matcher: Matcher, labelled: Iterable[tuple[str, str | None]]
) -> tuple[Outcome, ...]:
    """Every (text, expected value) pair run through ``matcher``, in order."""
    return tuple(outcome(matcher, text, expected) for text, expected in labelled)


def pass_rate(results: Sequence[Outcome]) -> float:
    """The share of ``results`` that passed, rounded as the metrics endpoint rounds (0 if none)."""
    if not results:
        return 0.0
    return round(sum(r.passed for r in results) / len(results), 6)


def success_rate(
    matcher: Matcher, labelled: Iterable[tuple[str, str | None]]
) -> tuple[float, int]:
    """(share of pairs whose expected value is extracted, number of pairs): what an emulator's
    extraction metrics endpoint answers for a slot's labelled utterances."""
    results = outcomes(matcher, labelled)
    return pass_rate(results), len(results)


def lexicon_hit(text: str, phrases: Sequence[str]) -> bool:
    """Whether a lexicon entry of ``phrases`` is in ``text``: any phrase as a whole word, in
    any case (how Cognigy.AI's NLU reads a lexicon, as the v2 emulator runs it)."""
    lowered = text.casefold()
    return any(re.search(rf"(?<!\w){re.escape(p.casefold())}(?!\w)", lowered)
               for p in phrases if p)


def lexicon_value(text: str, entries: Sequence[str]) -> str | None:
    """What a keyphrase slot filler fills from ``text`` with a lexicon of one entry per
    phrase of ``entries``, in order: the first entry found (``lexicon_hit``), as written."""
    return next((entry for entry in entries if lexicon_hit(text, [entry])), None)


# -- Cognigy.AI's JavaScript regex literals ---------------------------------------------

JS_FLAGS = frozenset("dgimsuyv")


class RegexError(ValueError):
    """Not a JavaScript regex literal, or one ``regress`` cannot compile."""


@dataclass(frozen=True)
class JsRegex:
    source: str
    flags: str
    compiled: Any  # a regress.Regex

    def first(self, text: str) -> str | None:
        """The value of the first match in ``text`` (see the module doc), or None."""
        import regress

        match = self.compiled.find(text)
        if match is None:
            return None
        raw = text.encode("utf-8")  # regress reports UTF-8 byte offsets
        span = None
        try:
            span = match.named_group("value")
        except (KeyError, IndexError, regress.RegressError):
            span = None
        chosen = span if span is not None else match.group(0)
        if chosen is None:
            return None
        value: str = raw[chosen].decode("utf-8")
        return value


def parse_literal(literal: str) -> JsRegex:
    """``/source/flags`` -> a compiled ECMAScript regex (``RegexError`` otherwise)."""
    if len(literal) < 2 or not literal.startswith("/") or literal.rfind("/") == 0:
        raise RegexError(f"{literal!r} is not a regex literal /.../flags")
    end = literal.rfind("/")
    source, flags = literal[1:end], literal[end + 1:]
    bad = set(flags) - JS_FLAGS
    if bad or len(set(flags)) != len(flags):
        raise RegexError(f"{literal!r} has invalid flags {flags!r}")
    if not source:
        raise RegexError(f"{literal!r} has an empty pattern")
    import regress  # only where a JavaScript regex is needed: start-up stays light

    try:
        compiled = regress.Regex(source, flags.replace("g", "").replace("y", "")
                                 .replace("d", ""))
    except regress.RegressError as exc:
        raise RegexError(f"{literal!r}: {exc}") from None
    return JsRegex(source, flags, compiled)

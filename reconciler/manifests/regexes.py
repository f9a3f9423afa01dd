r"""Slot pattern safety: one function every layer uses to decide whether a pattern is acceptable.

The platform matches slot patterns with a backtracking engine (Python-compatible syntax), so
a pattern that can backtrack catastrophically stalls extraction for every utterance of the
bot. We refuse, with the reason:

- a pattern longer than ``MAX_PATTERN_LENGTH`` characters (the platform's own limit);
- a pattern the platform's engine cannot compile (Python ``re`` syntax);
- a pattern RE2 cannot compile (backreferences, lookaround): our own tooling, the emulator's
  training engine included, must always be able to match in linear time;
- a pattern whose meaning differs between the engines we promise (Python ``re`` for the
  platform, RE2, JavaScript for Cognigy.AI v2): POSIX classes (``[[:alpha:]]``) and Python's
  nested-set syntax, ``\A`` / ``\Z`` / ``\z``, a class opening with ``]`` (``[]a]``) and
  ``{,n}``; possessive and atomic syntax and lookbehind are RE2 refusals already;
- a pattern a backtracking matcher can take exponential or high-degree polynomial time on:
  ``ambiguity`` decides the degree of ambiguity statically (``(a|a)*b``, ``(a{1,10}){1,10}b``
  exponential; ``\w+\s*\w+x``, ``.*a.*b`` cubic and worse), and regexploit's own finds
  are refused too (BENCHMARKS.md, "ReDoS corpus", has the measured comparison).

``javascript_problem`` is the one further check for Cognigy.AI v2, whose slot fillers hold a
JavaScript regex literal: the pattern must compile as ECMAScript (``extraction.parse_literal``,
that is ``regress``, on the literal ``/.../g`` as it is written, without the ``u`` flag) and
must not be one of the constructs JavaScript reads differently without an error (``\A``,
``\Z``, ``\z`` are literal letters there). When ``regress`` refuses, the message names the
Python-only construct behind it where it is a known one (named groups ``(?P<...>)``, inline
flags, atomic groups, possessive quantifiers, comments, conditionals).

Results are cached: the same pattern appears in many documents and many runs of a test suite.

Left as they are, with the reason: ``\d``, ``\w``, ``\s``, ``\b`` and ``.`` read the same
on ASCII text in all three engines and differ on some non-ASCII characters (Python's ``\d``
matches Arabic-Indic digits, JavaScript's ``.`` stops at U+2028); ``$`` also matches before a
final newline in Python. Refusing them would refuse nearly every pattern.
"""

from __future__ import annotations

import functools
import itertools
import re
import warnings
from collections.abc import Iterator
from typing import Any

import re2

with warnings.catch_warnings():
    # regexploit builds on sre_parse/sre_constants, deprecated aliases since Python 3.11. We
    # parse with sre_parse once and hand the tree to regexploit: parsing is most of the cost.
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_parse

    from regexploit.ast.sre import SreOpParser
    from regexploit.redos import find as _find_redos

from reconciler import extraction
from reconciler.manifests import ambiguity

MAX_PATTERN_LENGTH = 50
# Time on a failing search of n characters grows like n**degree; from 3 on it is refused
# (a quadratic search, one loop scanned from every start, is every regex's lot).
MAX_DEGREE = 2

_RE2_OPTIONS = re2.Options()
# Without this, RE2 reports parse errors through absl logging straight to stderr.
_RE2_OPTIONS.log_errors = False


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _parse(pattern: str) -> tuple[Any, str | None]:
    """The pattern's parse tree as the platform's (Python) engine reads it, or why it fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)
            return sre_parse.parse(pattern), None
    except FutureWarning as exc:  # "Possible nested set": [[:alpha:]], [a&&b], [a--b]
        return None, (f"is read differently by Python, RE2 and JavaScript ({exc}); "
                      "write the characters of the class out, e.g. [A-Za-z]")
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        return None, f"does not compile: {exc.msg}{where}"
    except (OverflowError, RecursionError, ValueError) as exc:
        return None, f"does not compile: {_first_line(str(exc))}"


def _re2_error(pattern: str) -> str | None:
    try:
        re2.compile(pattern, options=_RE2_OPTIONS)
    except Exception as exc:  # re2 raises its own error type (re2.error) and sometimes others
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return (
            "is not supported by a linear-time (RE2) matcher "
            f"({detail}); backreferences and lookaround are refused"
        )
    return None


_ANCHOR_ESCAPES = {
    "A": "\\A is the start of the text in Python and RE2 but a literal A in JavaScript; "
         "write ^",
    "Z": "\\Z is the end of the text in Python, unknown to RE2 and a literal Z in "
         "JavaScript; write $",
    "z": "\\z is the end of the text in RE2 (and Python 3.14) but a literal z in "
         "JavaScript; write $",
}


def _portability_error(pattern: str) -> str | None:
    """A construct whose meaning differs between Python, RE2 and JavaScript, if any.

    One pass that knows escapes and character classes (a pattern is at most 50 characters).
    """
    at, end, in_class, class_start = 0, len(pattern), False, -1
    while at < end:
        char = pattern[at]
        if char == "\\" and at + 1 < end:
            escaped = pattern[at + 1]
            if not in_class and escaped in _ANCHOR_ESCAPES:
                return f"is read differently by the engines: {_ANCHOR_ESCAPES[escaped]}"
            at += 2
            continue
        if in_class:
            if char == "]" and at == class_start:
                return ("is read differently by the engines: a class opening with ] holds "
                        "the character ] in Python and RE2, but in JavaScript [] is empty and "
                        "[^] any character; escape it as \\]")
            if char == "[" and pattern.startswith((":", ".", "="), at + 1):
                return ("is read differently by the engines: [: :] is a POSIX class in RE2 "
                        "but plain characters in Python and JavaScript; write the characters "
                        "out, e.g. [A-Za-z]")
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            class_start = at + 2 if pattern.startswith("^", at + 1) else at + 1
        elif char == "{" and pattern.startswith(",", at + 1):
            return ("is read differently by the engines: {,n} repeats up to n times in "
                    "Python but is literal text in JavaScript; write {0,n}")
        at += 1
    return None


def _ambiguity_error(tree: Any, pattern: str) -> str | None:
    try:
        verdict = ambiguity.analyse(tree, pattern)
    except ambiguity.TooComplex as exc:
        return (f"is too complex to prove safe from catastrophic backtracking ({exc}); "
                "split it into simpler patterns")
    except (RecursionError, ValueError, TypeError, KeyError, IndexError):
        return None  # a construct the analysis does not know: regexploit and RE2 decide
    if verdict.exponential:
        return (
            "can backtrack catastrophically on the platform's matcher: a repetition can "
            f"split a run of {verdict.witness} in exponentially many ways (nested or "
            "overlapping quantifiers or alternatives); rewrite it so each character has one "
            "way to match"
        )
    if verdict.degree > MAX_DEGREE:
        return (
            f"can backtrack polynomially on the platform's matcher: a failing search of n "
            f"characters takes about n**{verdict.degree} steps (adjacent quantifiers that "
            "can match the same characters); make the parts exclude each other"
        )
    return None


def _redos_error(tree: Any) -> str | None:
    try:
        found = list(_find_redos(SreOpParser().sequence_or_singleton(tree)))
    except Exception:  # the analyser does not know every construct; RE2 already vouched for it
        return None
    if not found:
        return None
    worst = max(found, key=lambda redos: redos.starriness)
    return (
        "can backtrack catastrophically on the platform's matcher: nested or adjacent "
        f"quantifiers can split a run of {worst.repeated_character} in exponentially many "
        "ways; rewrite it so each character has one way to match"
    )


@functools.lru_cache(maxsize=65536)
def check_pattern(pattern: str) -> str | None:
    """Return why ``pattern`` is refused as a slot pattern, or None when it is safe.

    The reason reads after the pattern: ``f"pattern {p!r} {reason}"``.
    """
    if not pattern:
        return "is empty (it would match every utterance)"
    if len(pattern) > MAX_PATTERN_LENGTH:
        return (f"is {len(pattern)} characters long; "
                f"the platform allows at most {MAX_PATTERN_LENGTH}")
    tree, error = _parse(pattern)
    return (error or _portability_error(pattern) or _re2_error(pattern)
            or _ambiguity_error(tree, pattern) or _redos_error(tree))


# Python-only constructs behind most of regress's refusals, with what to write instead.
_PY_GROUPS = {"?#": "a comment group (?#...): drop it",
              "?>": "an atomic group (?>...): JavaScript has none",
              "?(": "a conditional group (?(...)...): JavaScript has none"}
_INLINE_FLAGS = frozenset("aiLmsux-")
_POSSESSIVE = re.compile(r"(?:[*+?]|\{\d+(?:,\d*)?\})\+")


def _outside_classes(pattern: str) -> Iterator[int]:
    """The index of each character of ``pattern`` outside character classes that is not
    escaped; an escape ``\\x`` outside a class is yielded once, at its backslash."""
    at, in_class = 0, False
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            if not in_class:
                yield at
            at += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            at += 2 if pattern.startswith("]", at + 1) else 1  # a leading ] is literal
            continue
        else:
            yield at
        at += 1


def _python_only(pattern: str) -> str | None:
    """The known Python-only construct in ``pattern`` (outside classes, unescaped), if any."""
    for at in _outside_classes(pattern):
        char = pattern[at]
        if char == "(" and pattern.startswith("?", at + 1):
            found = next((what for start, what in _PY_GROUPS.items()
                          if pattern.startswith(start, at + 1)), None)
            if found:
                return found
            flags = ""
            while at + 2 + len(flags) < len(pattern) and (
                    pattern[at + 2 + len(flags)] in _INLINE_FLAGS):
                flags += pattern[at + 2 + len(flags)]
            closing = pattern[at + 2 + len(flags): at + 3 + len(flags)]
            if flags and closing in (")", ":"):
                return f"inline flags (?{flags}{closing}: JavaScript has none"
        elif char not in "(|" and _POSSESSIVE.match(pattern, at + (2 if char == "\\" else 1)):
            return "a possessive quantifier (x*+, x++, x?+, x{n}+): JavaScript has none"
    return None


_NAMED_GROUP = re.compile(r"\(\?P<([A-Za-z_][A-Za-z0-9_]*)>")
_NAMED_REFERENCE = re.compile(r"\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)")
_JS_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>")
_JS_NAMED_REFERENCE = re.compile(r"\\k<([A-Za-z_][A-Za-z0-9_]*)>")


def _rewrite(pattern: str, rules: tuple[tuple[re.Pattern[str], str], ...]) -> str:
    """``pattern`` with each rule applied where it starts a group or escape of its own
    (never inside a character class, never after an escaping backslash)."""
    out: list[str] = []
    copied = 0
    for at in _outside_classes(pattern):
        if at < copied:
            continue  # inside what a rule replaced already
        for rule, replacement in rules:
            found = rule.match(pattern, at)
            if found:
                out.append(pattern[copied:at] + replacement.format(found[1]))
                copied = found.end()
                break
    return "".join(out) + pattern[copied:]


def to_javascript(pattern: str) -> str:
    """The slot pattern (Python/RE2 dialect) as JavaScript writes it: named groups
    ``(?P<n>...)`` -> ``(?<n>...)`` and back-references ``(?P=n)`` -> ``\\k<n>``, the one
    spelling the dialects do not share; everything else is left as written."""
    return _rewrite(pattern, ((_NAMED_GROUP, "(?<{}>"), (_NAMED_REFERENCE, "\\k<{}>")))


def from_javascript(pattern: str) -> str:
    """``to_javascript`` undone: a live JavaScript pattern in the manifests' dialect."""
    return _rewrite(pattern, ((_JS_NAMED_GROUP, "(?P<{}>"), (_JS_NAMED_REFERENCE, "(?P={})")))


def _ecmascript_error(pattern: str) -> str | None:
    """Why the slot filler literal ``/pattern/g`` does not compile as ECMAScript, or None."""
    try:
        extraction.parse_literal(f"/{pattern}/g")
    except extraction.RegexError as exc:
        return str(exc.__cause__ or exc)
    return None


@functools.lru_cache(maxsize=65536)
def javascript_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a JavaScript regex with the same meaning, or None.

    The reason reads after "pattern is not a JavaScript regex with the same meaning: ".
    """
    pattern = to_javascript(pattern)
    error = _ecmascript_error(pattern)
    if error is not None:
        hint = _python_only(pattern)
        return hint or f"JavaScript does not compile it ({error})"
    for at in _outside_classes(pattern):
        if pattern[at] == "\\" and pattern[at + 1: at + 2] in _ANCHOR_ESCAPES:
            return _ANCHOR_ESCAPES[pattern[at + 1]]
    return None


@functools.lru_cache(maxsize=65536)
def javascript_backtracking(pattern: str) -> str | None:
    """Why JavaScript's matcher can backtrack catastrophically on ``pattern`` (in the
    manifests' dialect, safe by ``check_pattern``) though the platform's does not, or None;
    it reads after "pattern ". Python's parser merges alternatives of one character each
    into one class (``(\\w|\\d)`` is ``[\\w\\d]``: one way to match a digit); JavaScript
    tries them as alternatives (two ways). The analyses run again on the pattern with those
    alternatives kept apart."""
    unmerged = _unmerged(pattern)
    if unmerged == pattern:
        return None
    tree, error = _parse(unmerged)
    found = None if error else (_ambiguity_error(tree, unmerged) or _redos_error(tree))
    if found is None or not found.startswith("can backtrack"):
        return None  # "too complex" of the rewritten form is no finding about the pattern
    return found.replace("on the platform's matcher", "in JavaScript (alternatives of one "
                         "character each are tried one by one there)")


def _merged_by_python(branches: list[str]) -> bool:
    """Whether Python's parser turns these alternatives into one class: after their common
    prefix (which it factors out) each is one literal or class, as ``(\\w|\\d)`` or
    ``(a\\w|a\\d)``."""
    items = []
    for branch in branches:
        tree, error = _parse(branch)
        if error is not None or not branch:
            return False
        items.append(list(tree))
    common = 0
    while all(len(i) > common for i in items) and all(
            i[common] == items[0][common] for i in items):
        common += 1
    return all(len(i) == common + 1 and i[common][0] in (sre_parse.LITERAL, sre_parse.IN)
               for i in items)


def _unmerged(pattern: str) -> str:
    """``pattern`` with ``{1}`` after each branch of an alternation that Python's parser
    merges into one class (``_merged_by_python``; inside groups too), so that the branches
    stay apart as JavaScript tries them; same matches."""
    branches = top_level_alternatives(pattern)
    if len(branches) > 1:
        merged = _merged_by_python(branches)
        return "|".join(_unmerged(b) + ("{1}" if merged else "") for b in branches)
    out: list[str] = []
    copied = 0
    for at in _outside_classes(pattern):
        if at < copied or pattern[at] != "(":
            continue
        end = group_end(pattern, at)
        if end is None:
            return pattern
        opener = _group_opener(pattern, at)
        out.append(pattern[copied:at + len(opener)] + _unmerged(pattern[at + len(opener):end - 1])
                   + ")")
        copied = end
    return "".join(out) + pattern[copied:]


def _group_opener(pattern: str, at: int) -> str:
    """The opener of the group at ``pattern[at]``: ``(``, ``(?P<name>``, ``(?<name>``,
    ``(?:``, a lookaround's, or ``(?`` for any other (inline flags and the like)."""
    named = _NAMED_GROUP.match(pattern, at) or _JS_NAMED_GROUP.match(pattern, at)
    if named:
        return named.group(0)
    for opener in ("(?:", "(?=", "(?!", "(?<=", "(?<!"):
        if pattern.startswith(opener, at):
            return opener
    return "(?" if pattern.startswith("?", at + 1) else "("


def _group_openers(pattern: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the opener of each capturing group of ``pattern``, in order: ``(``,
    ``(?P<name>`` or ``(?<name>`` (never a lookaround ``(?<=``/``(?<!``)."""
    for at in _outside_classes(pattern):
        if pattern[at] == "(":
            opener = _group_opener(pattern, at)
            if opener == "(" or opener.endswith(">"):
                yield at, at + len(opener)


def captures(pattern: str) -> bool:
    """Whether ``pattern`` has a capturing group (extraction's value comes from one)."""
    return next(_group_openers(pattern), None) is not None


def with_value_group(pattern: str) -> str:
    """A JavaScript-spelled ``pattern`` whose group ``value`` is what extraction reads on the
    platform: the group named ``value`` if there is one, else the first group (renamed
    ``value``; left as it is when a back-reference names it), else the whole match."""
    openers = list(_group_openers(pattern))
    if not openers or any(pattern[s:e] in ("(?<value>", "(?P<value>") for s, e in openers):
        return pattern
    start, end = openers[0]
    name = _JS_NAMED_GROUP.match(pattern, start) or _NAMED_GROUP.match(pattern, start)
    if name and re.search(rf"\\k<{name[1]}>|\(\?P={name[1]}\)", pattern):
        return pattern
    return pattern[:start] + "(?<value>" + pattern[end:]


def without_captures(pattern: str) -> str:
    """``pattern`` with every capturing group made non-capturing (``(?:``): the same
    matches, no group names (a copy of a pattern inside a guard must add none)."""
    out: list[str] = []
    copied = 0
    for start, end in _group_openers(pattern):
        out.append(pattern[copied:start] + "(?:")
        copied = end
    return "".join(out) + pattern[copied:]


def group_end(pattern: str, start: int) -> int | None:
    """The index just past the group opened at ``pattern[start]`` (a ``(`` outside classes),
    or None when it is not closed."""
    depth = 0
    for at in _outside_classes(pattern):
        if at < start:
            continue
        if pattern[at] == "(":
            depth += 1
        elif pattern[at] == ")":
            depth -= 1
            if depth == 0:
                return at + 1
    return None


def top_level_alternatives(pattern: str) -> list[str]:
    """``pattern`` split at its ``|`` outside every group and class."""
    cuts, depth = [], 0
    for at in _outside_classes(pattern):
        char = pattern[at]
        depth += (char == "(") - (char == ")")
        if char == "|" and depth == 0:
            cuts.append(at)
    bounds = [-1, *cuts, len(pattern)]
    return [pattern[a + 1:b] for a, b in itertools.pairwise(bounds)]

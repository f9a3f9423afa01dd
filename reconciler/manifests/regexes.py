"""Slot pattern safety: one function every layer uses to decide whether a pattern is acceptable.

The platform matches slot patterns with a backtracking engine (Python-compatible syntax), so
a pattern that can backtrack catastrophically stalls extraction for every utterance of the
bot. We refuse, with the reason:

- a pattern longer than ``MAX_PATTERN_LENGTH`` characters (the platform's own limit);
- a pattern the platform's engine cannot compile (Python ``re`` syntax);
- a pattern RE2 cannot compile (backreferences, lookaround): our own tooling, the emulator's
  training engine included, must always be able to match in linear time;
- a pattern regexploit finds catastrophic backtracking in (``(a+)+$``, ``(x+x+)+y``).

Results are cached: the same pattern appears in many documents and many runs of a test suite.
"""

from __future__ import annotations

import functools
import re
import warnings
from typing import Any

import re2

with warnings.catch_warnings():
    # regexploit builds on sre_parse/sre_constants, deprecated aliases since Python 3.11. We
    # parse with sre_parse once and hand the tree to regexploit: parsing is most of the cost.
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_parse

    from regexploit.ast.sre import SreOpParser
    from regexploit.redos import find as _find_redos

MAX_PATTERN_LENGTH = 50

_RE2_OPTIONS = re2.Options()
# Without this, RE2 reports parse errors through absl logging straight to stderr.
_RE2_OPTIONS.log_errors = False


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _parse(pattern: str) -> tuple[Any, str | None]:
    """The pattern's parse tree as the platform's (Python) engine reads it, or why it fails."""
    try:
        return sre_parse.parse(pattern), None
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
    return error or _re2_error(pattern) or _redos_error(tree)

"""Slot pattern safety (``regexes.check_pattern``): what is refused, and why."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reconciler.manifests import regexes


@pytest.mark.parametrize(
    "pattern",
    [
        r"\bORD-\d{6}\b",
        r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
        r"(?P<value>\d{1,3}) ?(?:x|pcs)\b",
        r"(?i)order\s+#?(\d+)",
        r"\d+\.\d+",
        r".*a.*b",
        "SPRING10",
        "a" * 50,
    ],
)
def test_safe_patterns_are_accepted(pattern: str) -> None:
    assert regexes.check_pattern(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("", "is empty"),
        ("a" * 51, "is 51 characters long; the platform allows at most 50"),
        ("[a-", "does not compile: unterminated character set at position 0"),
        ("(?P<x", "does not compile"),
        ("a{2,1}", "does not compile"),
        (r"(a)\1", "linear-time (RE2) matcher"),
        (r"(?=ORD)ORD", "linear-time (RE2) matcher"),
        (r"(?<!x)y", "linear-time (RE2) matcher"),
        (r"(?P<n>a)(?P=n)", "linear-time (RE2) matcher"),
        (r"(a+)+$", "backtrack catastrophically"),
        (r"(x+x+)+y", "backtrack catastrophically"),
        (r"(\w+\s?)*$", "backtrack catastrophically"),
        (r"(a*)*b", "backtrack catastrophically"),
        (r"(\d+)*x", "backtrack catastrophically"),
    ],
)
def test_unsafe_patterns_are_refused_with_the_reason(pattern: str, reason: str) -> None:
    found = regexes.check_pattern(pattern)
    assert found is not None
    assert reason in found


def test_re2_parse_errors_do_not_reach_stderr() -> None:
    code = (
        "from reconciler.manifests import regexes\n"
        "assert regexes.check_pattern(r'(a)\\1') is not None\n"
        "assert regexes.check_pattern(r'(?=a)b') is not None\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""

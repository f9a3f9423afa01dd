"""Slot pattern safety (``regexes.check_pattern``): what is refused, and why."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.manifests import regexes

_NEWER_SYNTAX = "linear-time (RE2) matcher" if sys.version_info >= (3, 11) else "does not compile"


@pytest.mark.parametrize(
    "pattern",
    [
        r"\bORD-\d{6}\b",
        r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
        r"(?P<value>\d{1,3}) ?(?:x|pcs)\b",
        r"(?i)order\s+#?(\d+)",
        r"\d+\.\d+",
        r"^.*a.*b",
        r"\+?\d[\d ]{6,14}\d",
        r"(\d{3}-){2}\d{4}",
        r"\w+\s*\w+",
        r"(a|aa)*",
        r"[a\]]",
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
        (r"(a|a)*b", "backtrack catastrophically"),
        (r"(a|aa)*b", "backtrack catastrophically"),
        (r"(a{1,10}){1,10}b", "backtrack catastrophically"),
        (r"^(a|aa)+$", "backtrack catastrophically"),
        (r"(a|a?)+b", "backtrack catastrophically"),
        (r"^(\s*a\s*)*$", "backtrack catastrophically"),
        (r".*a.*b", "n**3 steps"),
        (r"\w+\s*\w+x", "n**3 steps"),
        (r"\d+\d+\d+x", "n**4 steps"),
        ("[[:alpha:]]", "read differently by Python, RE2 and JavaScript"),
        ("[a&&b]", "read differently"),
        (r"\Aorder", r"\A is the start of the text"),
        (r"order\Z", r"\Z is the end of the text"),
        ("[]a]", "a class opening with ]"),
        ("[^]a]", "a class opening with ]"),
        ("a{,5}", "{,n} repeats up to n times"),
        # Python 3.11 reads these (then RE2 refuses them); 3.10's re does not compile them.
        (r"a*+", _NEWER_SYNTAX),
        (r"(?>a)b", _NEWER_SYNTAX),
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


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_accepted_patterns_compile_in_javascript_too() -> None:
    """What check_pattern accepts, the Cognigy.AI v2 dialect (JavaScript) compiles, once the
    named group is spelled the JavaScript way and a leading (?i) becomes the i flag."""
    import json

    import yaml

    patterns = [p for path in sorted(Path("manifests").glob("*/slots.yaml"))
                for doc in yaml.safe_load_all(path.read_text()) for p in doc["spec"]["patterns"]]
    patterns += [r"(?P<value>\d{1,3}) ?(?:x|pcs)\b", r"[a\]]", r"(a|aa)*", r"\+?\d[\d ]{6,14}\d"]
    assert all(regexes.check_pattern(p) is None for p in patterns)
    script = (
        "const ps = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "for (const p of ps) new RegExp(p.replace(/\\(\\?P</g, '(?<'));"
    )
    done = subprocess.run(["node", "-e", script], input=json.dumps(patterns), text=True,
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr

"""ReDoS checks measured on a corpus of known-vulnerable and known-safe slot patterns.

Candidates: regexploit alone (the analyser cogctl used before), ``ambiguity`` (the static
degree-of-ambiguity analysis cogctl uses now, with regexploit's finds on top:
``regexes.check_pattern``), a bounded dynamic check (Python ``re`` on pumped inputs in a
subprocess with a timeout), and, when ``REDOS_NPM_DIR`` names a folder where the npm packages
``recheck``, ``redos-detector`` and ``safe-regex`` are installed, those three through node.

The groups are the ground truth: "vulnerable" holds patterns known (from the literature and
the issue that found them) to take exponential or at least cubic time on a backtracking
matcher, "example" the example project's patterns and "safe" other patterns that must stay
accepted. The "measured" column is a second opinion, not the truth: Python's own matcher on
single-character pumped inputs (``c*n + "!"``) in a subprocess with a deadline ("exp": over
5 s at 40 characters; "poly": x6 or more from 800 to 1600). It cannot pump multi-character
or separator-dependent blow-ups (``(a|b|ab)*c``, ``^(\s*a\s*)*$``), which is also why the
dynamic check misses some. Prints one row per pattern and the tally per candidate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

from reconciler.manifests import ambiguity, regexes

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from regexploit.ast.sre import SreOpParser
    from regexploit.redos import find as regexploit_find

VULNERABLE = [
    r"(a|a)*b", r"(a|aa)*b", r"(a{1,10}){1,10}b", r"^(a|aa)+$", r"(a+)+$", r"(x+x+)+y",
    r"(\w+\s?)*$", r"(a*)*b", r"(\d+)*x", r"(a|a?)+b", r"(.*a){5}", r"^(\s*a\s*)*$",
    r"(a|b|ab)*c", r"\w+\s*\w+x", r".*a.*b", r"\d+\d+\d+x", r"(\d|\d\d)+x",
]
EXAMPLE = Path(__file__).resolve().parents[1] / "manifests"
SAFE_EXTRA = [
    r"(?i)order\s+#?(\d+)", r"\d+\.\d+", r"^\d{3}-\d{4}$", r"(\d{3}-){2}\d{4}", r"\w+\s*\w+",
    r"[a-z]+\d+", r"^(a|b)*$", r"(a|aa)*", r"^.*a.*b", "a" * 50,
]
DYNAMIC_SECONDS = 2.0

_PROBE = r"""
import re, sys, time, json
pattern, alphabet, lengths = json.loads(sys.argv[1])
rx = re.compile(pattern)
worst = {}
for n in lengths:
    slowest = 0.0
    for c in alphabet:
        for text in (c * n + "!", "x" + c * n + "!", c * n):
            t = time.perf_counter()
            rx.search(text)
            slowest = max(slowest, time.perf_counter() - t)
    worst[n] = slowest
print(json.dumps(worst))
"""


def _example_patterns() -> list[str]:
    import yaml

    found: list[str] = []
    for path in sorted(EXAMPLE.glob("*/slots.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            found.extend(doc["spec"]["patterns"])
    return found


def _alphabet(pattern: str) -> list[str]:
    chars = {c for c in pattern if c.isalnum() or c in " -.@_"} | {"a", "0", " ", "x"}
    return sorted(chars)


def _timed(pattern: str, lengths: list[int], seconds: float) -> dict[str, float] | None:
    """Worst time per length of Python's re on pumped inputs; None past the deadline."""
    argument = json.dumps([pattern, _alphabet(pattern), lengths])
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE, argument], capture_output=True,
                              text=True, timeout=seconds, check=True)
    except subprocess.TimeoutExpired:
        return None
    times: dict[str, float] = json.loads(done.stdout)
    return times


def truth(pattern: str) -> str:
    """Measured: 'exp' (times out on 40 characters), 'poly' (x6 or more from 800 to 1600
    characters, i.e. cubic or worse), 'ok'."""
    short = _timed(pattern, [40], 5.0)
    if short is None:
        return "exp"
    long = _timed(pattern, [800, 1600], 20.0)
    if long is None:
        return "poly"
    slow, fast = long["1600"], max(long["800"], 1e-4)
    return "poly" if slow > 0.05 and slow / fast >= 6 else "ok"


def ours(pattern: str) -> str:
    return "refused" if regexes.check_pattern(pattern) else "accepted"


def ambiguity_only(pattern: str) -> str:
    try:
        verdict = ambiguity.analyse(ambiguity.parse(pattern), pattern)
    except ambiguity.TooComplex:
        return "refused"
    return "refused" if verdict.exponential or verdict.degree > regexes.MAX_DEGREE else "accepted"


def regexploit_only(pattern: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import sre_parse

        tree = sre_parse.parse(pattern)
    try:
        found = list(regexploit_find(SreOpParser().sequence_or_singleton(tree)))
    except Exception:
        return "accepted"
    return "refused" if found else "accepted"


def dynamic(pattern: str) -> str:
    """A bounded dynamic check as a validator would run it: 24 and 48 pumped characters."""
    times = _timed(pattern, [24, 48], DYNAMIC_SECONDS)
    if times is None:
        return "refused"
    return "refused" if times["48"] > 0.05 else "accepted"


def npm_tools(patterns: list[str]) -> dict[str, dict[str, str]]:
    folder = os.environ.get("REDOS_NPM_DIR")
    script = Path(folder or "/nonexistent") / "check.js"
    if not folder or not script.is_file():
        return {}
    done = subprocess.run(["node", str(script)], input=json.dumps(patterns), text=True,
                          capture_output=True, timeout=600, check=True, cwd=folder)
    rows = json.loads(done.stdout)
    return {row["pattern"]: {k: v for k, v in row.items() if k != "pattern"} for row in rows}


def _refused(verdict: str) -> bool:
    return verdict not in ("accepted", "safe")


def main() -> int:
    corpus = [(p, "vulnerable") for p in VULNERABLE]
    corpus += [(p, "example") for p in _example_patterns()]
    corpus += [(p, "safe") for p in SAFE_EXTRA]
    candidates = {"cogctl": ours, "ambiguity": ambiguity_only, "regexploit": regexploit_only,
                  "dynamic": dynamic}
    npm = npm_tools([p for p, _ in corpus])
    names = list(candidates) + sorted({k for row in npm.values() for k in row})
    tally = {name: {"caught": 0, "missed": 0, "false": 0} for name in names}
    seconds = {name: 0.0 for name in candidates}
    print(f"{'pattern':36} {'group':10} {'measured':8} " + " ".join(f"{n:>15}" for n in names))
    for pattern, group in corpus:
        measured = truth(pattern)
        row = []
        for name in names:
            if name in candidates:
                started = time.perf_counter()
                verdict = candidates[name](pattern)
                seconds[name] += time.perf_counter() - started
            else:
                verdict = npm.get(pattern, {}).get(name, "n/a")
            row.append(verdict)
            if group == "vulnerable":
                tally[name]["caught" if _refused(verdict) else "missed"] += 1
            elif _refused(verdict):
                tally[name]["false"] += 1
        print(f"{pattern[:36]:36} {group:10} {measured:8} " + " ".join(f"{v:>15}" for v in row))
    print()
    for name in names:
        t = tally[name]
        per = seconds.get(name)
        cost = f", {per * 1000 / len(corpus):.1f} ms per pattern" if per is not None else ""
        print(f"{name:15} caught {t['caught']}, missed {t['missed']}, "
              f"false positives {t['false']}{cost}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

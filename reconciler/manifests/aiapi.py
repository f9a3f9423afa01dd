"""What an environment with ``api: cognigy-ai`` refuses at validate time, each at its place.

Cognigy.AI's v2.0 API has no home for some of what the manifests can say, and cogctl does
not map some of it yet; both are refused here rather than dropped at apply:

- ``Integration`` documents (HTTP Request nodes are not mapped yet), ``keyphrase`` slots
  (lexicons are not mapped yet);
- of a ``SimulationSuite`` (a case runs as a playbook), what no playbook assert can check or
  seed: a case's ``context`` and ``expect.nextFlow``;
- ``ContextDefaults`` variables whose scope has no native home (only ``session`` and
  ``conversation`` map to the flow's context; ``global``, ``bot`` and ``user`` do not);
- slot patterns that JavaScript reads differently or not at all (a slot filler's regex is a
  JavaScript literal): Python's named groups ``(?P<...>)``, ``(?P=...)``, comments ``(?#``,
  inline flags ``(?i)``, atomic groups ``(?>``, conditionals ``(?(``, possessive quantifiers
  and the anchors ``\\A``, ``\\Z``, ``\\z``; a ``/`` is fine (the literal is built escaped
  by the server's parser) but a pattern must not be empty.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.manifests import loading, models

API = "cognigy-ai"
NATIVE_SCOPES = frozenset({"session", "conversation"})
_PY_GROUPS = {"?P<": "a Python named group (?P<name>...): write (?<name>...)",
              "?P=": "a Python named back-reference (?P=name): write \\k<name>",
              "?#": "a comment group (?#...)", "?>": "an atomic group (?>...)",
              "?(": "a conditional group (?(...)...)"}
_ANCHORS = {"A": "\\A (JavaScript reads a literal A): write ^",
            "Z": "\\Z (JavaScript reads a literal Z): write $",
            "z": "\\z (JavaScript reads a literal z): write $"}
_INLINE_FLAGS = set("aiLmsux-")


def javascript_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be a JavaScript regex with the same meaning, or None."""
    in_class = False
    previous_quantifier = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            escaped = pattern[i + 1: i + 2]
            if escaped in _ANCHORS:
                return _ANCHORS[escaped]
            i += 2
            previous_quantifier = False
            continue
        if in_class:
            in_class = char != "]"
            i += 1
            continue
        if char == "[":
            in_class = True
            i += 1
            if pattern[i: i + 1] == "]":
                i += 1  # a leading ] is literal
            previous_quantifier = False
            continue
        if char == "(" and pattern[i + 1: i + 2] == "?":
            for start, what in _PY_GROUPS.items():
                if pattern.startswith(start, i + 1):
                    return what
            flags = ""
            j = i + 2
            while j < len(pattern) and pattern[j] in _INLINE_FLAGS:
                flags += pattern[j]
                j += 1
            if flags and pattern[j: j + 1] in (")", ":"):
                return f"inline flags (?{flags}{pattern[j]}: JavaScript has none"
            i += 2
            previous_quantifier = False
            continue
        if char == "+" and previous_quantifier:
            return "a possessive quantifier (x*+, x++, x?+, x{n}+)"
        # a lazy '?' after a quantifier ends it; '+' right after one is possessive
        previous_quantifier = char in "*+?}" and not (char == "?" and previous_quantifier)
        i += 1
    return None


def _at(loaded: loading.LoadedManifest, message: str, *path: str | int) -> loading.Diagnostic:
    line, column = loaded.locate(*path) if path else (loaded.line, loaded.column)
    return loading.Diagnostic(loaded.file, line, column, loaded.address, message)


def diagnostics(manifests: Sequence[loading.LoadedManifest]) -> list[loading.Diagnostic]:
    """Every refusal of the module docstring, in document order."""
    found: list[loading.Diagnostic] = []
    for loaded in manifests:
        manifest = loaded.manifest
        if isinstance(manifest, models.Integration):
            found.append(_at(loaded, f"kind {manifest.kind} is not supported on api {API} "
                                     "yet; keep it in an environment with api: platform",
                             "kind"))
        elif isinstance(manifest, models.SimulationSuite):
            found.extend(_suite(loaded, manifest))
        elif isinstance(manifest, models.Slot):
            found.extend(_slot(loaded, manifest))
        elif isinstance(manifest, models.ContextDefaults):
            for key, variable in manifest.spec.variables.items():
                if variable.scope not in NATIVE_SCOPES:
                    found.append(_at(
                        loaded, f"scope {variable.scope} of {key!r} has no native home on api "
                                f"{API} (only session and conversation map to the flow's "
                                "context)", "spec", "variables", key, "scope"))
    return found


def _suite(loaded: loading.LoadedManifest,
           suite: models.SimulationSuite) -> list[loading.Diagnostic]:
    found = []
    for index, case in enumerate(suite.spec.cases):
        if case.context:
            found.append(_at(loaded, f"case {case.id}: a playbook cannot seed the context on "
                                     f"api {API}; remove context", "spec", "cases", index,
                             "context"))
        if case.expect.nextFlow is not None:
            found.append(_at(loaded, f"case {case.id}: no playbook assert checks the flow a "
                                     f"turn ends in on api {API}; remove nextFlow", "spec",
                             "cases", index, "expect", "nextFlow"))
    return found


def _slot(loaded: loading.LoadedManifest, slot: models.Slot) -> list[loading.Diagnostic]:
    if slot.spec.type != "regex":
        return [_at(loaded, f"slot type {slot.spec.type} is not supported on api {API} yet "
                            "(lexicons are not mapped); use type: regex", "spec", "type")]
    found = []
    for index, pattern in enumerate(slot.spec.patterns):
        problem = javascript_problem(pattern)
        if problem is not None:
            found.append(_at(loaded, f"pattern is not a JavaScript regex with the same "
                                     f"meaning: {problem}", "spec", "patterns", index))
    return found

"""What an environment with ``api: cognigy-ai`` refuses at validate time, each at its place.

Cognigy.AI's v2.0 API has no home for some of what the manifests can say, and cogctl does
not map some of it yet; both are refused here rather than dropped at apply:

- of a ``SimulationSuite`` (a case runs as a playbook), what no playbook assert can check or
  seed: a case's ``context`` and ``expect.nextFlow``;
- ``ContextDefaults`` variables whose scope has no native home (only ``session`` and
  ``conversation`` map to the flow's context; ``global``, ``bot`` and ``user`` do not);
- slot patterns that JavaScript reads differently or not at all (a slot filler's regex is a
  JavaScript literal; ``regexes.javascript_problem`` decides), or can backtrack
  catastrophically on where the platform's engine does not (``regexes.javascript_backtracking``:
  alternatives of one character each, which Python merges into one class);
- fill strategies one slot filler cannot honour (``filler_regex`` says how the others are
  written): ``bestMatch`` (the longest match of any pattern: a filler fills from the first
  match of its regex), a keyphrase slot's strategy other than ``fuzzy`` (a lexicon matches
  keyphrases in any case), and more than one pattern with a capturing group (the literal has
  one group ``value``);
- a slot example that the slot filler or lexicon would read differently from the platform
  (every example runs through both: ``extraction.parse_literal`` on the very literal cogctl
  writes, ``extraction.lexicon_value`` as a lexicon matches: whole words);
- what an HTTP Request node cannot express of an ``Integration`` (``integration_problems``):
  a header name other than the native ones for the auth type (the node sends
  ``Authorization`` or ``X-API-Key`` only), a timeout outside the node's 2..30 s, a response
  mapping (JMESPath ``extract`` or ``normalize``: the node stores the whole answer, only a
  Code node could map it, and cogctl writes none), and request mappings other than a JSON
  body whose placeholders name a slot (``{{slots.x}}``, ``{{payload.x}}``, ``{{x}}``: the
  node reads ``{{context.x}}``, where the slot filler stores the slot).

The rules the backend must read the same way live here, once: which native auth type and
connection an auth maps to (``native_auth``), how a placeholder reads on the node
(``node_placeholder``) and the JavaScript literal a regex slot's filler holds
(``filler_regex``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from pydantic import JsonValue

from reconciler import extraction
from reconciler.manifests import examples, loading, models, regexes, rules

API = "cognigy-ai"
NATIVE_SCOPES = frozenset({"session", "conversation"})
MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS = 2, 30
# auth type -> {header name (lower case, None: the type's default) -> (node authType,
# connection type)}. "Authorization: ApiKey" is the node's apiKeyAuthKey: cogctl stores the
# whole header value in the connection (a bearer token as "Bearer <token>").
_NATIVE_AUTH: dict[str, dict[str | None, tuple[str, str]]] = {
    "bearer": {None: ("apiKeyAuthKey", "http_apiKeyAuthKey"),
               "authorization": ("apiKeyAuthKey", "http_apiKeyAuthKey")},
    "api_key": {"x-api-key": ("apiKeyXKey", "http_apiKeyXKey"),
                "authorization": ("apiKeyAuthKey", "http_apiKeyAuthKey")},
    "basic": {None: ("basic", "http_basic"), "authorization": ("basic", "http_basic")},
    "none": {None: ("none", "")},
}
_SLOT_REFERENCE = re.compile(r"^(?:(?:slots|payload)\.)?([A-Za-z_][A-Za-z0-9_]*)$")


# strict: the match is the utterance stripped of outer whitespace, and nothing else.
STRICT_START, STRICT_END = r"(?<=^\s*)(?=\S)", r"(?<=\S)(?=\s*$)"
FUZZY_FLAGS = "gi"


def filler_regex(patterns: Sequence[str], fill_strategy: str | None = None) -> str:
    """The one JavaScript regex literal a regex slot's filler holds, reading like the
    platform's extraction (``reconciler.extraction``): each pattern in JavaScript's
    spelling with its value group named ``value`` (``regexes.with_value_group``);

    - ``firstMatch``: ``/(?:p1)|G1(?:p2)|.../g``, where the guard ``Gk`` (a lookbehind)
      lets pattern k match only where none of the patterns before it matches anywhere in
      the utterance: the first pattern in order wins, not the leftmost match;
    - ``fuzzy``: the same with the flag ``i``;
    - ``strict``: ``/S(?:(?:p1)|(?:p2))E/g``, anchored by lookarounds to the utterance
      stripped of outer whitespace, so the match (the value) never holds that whitespace.

    ``bestMatch`` is refused at validate; were it written, it would read as ``firstMatch``.
    """
    bodies = [regexes.with_value_group(regexes.to_javascript(p)) for p in patterns]
    alternatives = [f"(?:{body})" for body in bodies]
    if fill_strategy == "strict":
        inner = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"
        body = STRICT_START + inner + STRICT_END
    else:
        guarded = alternatives[:1]
        for index in range(1, len(bodies)):
            before = "|".join(regexes.without_captures(b) for b in bodies[:index])
            guarded.append(rf"(?<!^(?=[\s\S]*?(?:{before}))[\s\S]*){alternatives[index]}")
        body = "|".join(guarded)
    return "/" + body + "/" + (FUZZY_FLAGS if fill_strategy == "fuzzy" else "g")


@functools.lru_cache(maxsize=4096)
def read_filler_regex(literal: str) -> tuple[tuple[str, ...], str] | None:
    """``filler_regex`` undone: the patterns (in the manifests' dialect) and the strategy a
    literal of cogctl's shape was written from, or None for any other literal. Cached: a
    slot's strategy and patterns are both read from it, for every filler of every plan."""
    end = literal.rfind("/")
    if not literal.startswith("/") or end <= 0 or literal[end + 1:] not in ("g", FUZZY_FLAGS):
        return None
    body, flags = literal[1:end], literal[end + 1:]
    readings = [(body, "fuzzy" if flags == FUZZY_FLAGS else "firstMatch")]
    if body.startswith(STRICT_START) and body.endswith(STRICT_END) and flags == "g":
        inner = body[len(STRICT_START):len(body) - len(STRICT_END)]
        # one pattern (?:p), or several in one more group (?:(?:p1)|(?:p2))
        readings = [(_unwrap(inner) or inner, "strict"), (inner, "strict"), *readings]
    for candidate, strategy in readings:
        patterns = _alternatives(candidate)
        if patterns is not None and filler_regex(patterns, strategy) == literal:
            return tuple(patterns), strategy
    return None


def _alternatives(body: str) -> list[str] | None:
    """The patterns of a firstMatch-shaped body ``(?:p1)|G(?:p2)|...``, or None."""
    patterns = []
    for alternative in regexes.top_level_alternatives(body):
        if alternative.startswith("(?<!"):  # a later pattern's guard
            alternative = alternative[regexes.group_end(alternative, 0) or 0:]
        pattern = _unwrap(alternative)
        if pattern is None:
            return None
        patterns.append(regexes.from_javascript(pattern))
    return patterns


def _unwrap(text: str) -> str | None:
    """``X`` of ``(?:X)`` when that group spans all of ``text``, else None."""
    if text.startswith("(?:") and regexes.group_end(text, 0) == len(text):
        return text[3:-1]
    return None


def native_auth(auth_type: str, header_name: str | None) -> tuple[str, str] | None:
    """``(node authType, connection type)`` for an auth, or None when the node has none."""
    choices = _NATIVE_AUTH.get(auth_type, {})
    return choices.get(header_name.lower() if header_name else None)


def node_placeholder(expression: str) -> str | None:
    """The node's CognigyScript for a request-mapping placeholder naming a slot, or None."""
    found = _SLOT_REFERENCE.match(expression)
    return f"context.{found.group(1)}" if found else None


def _at(loaded: loading.LoadedManifest, message: str, *path: str | int) -> loading.Diagnostic:
    line, column = loaded.locate(*path) if path else (loaded.line, loaded.column)
    return loading.Diagnostic(loaded.file, line, column, loaded.address, message)


def diagnostics(manifests: Sequence[loading.LoadedManifest]) -> list[loading.Diagnostic]:
    """Every refusal of the module docstring, in document order."""
    found: list[loading.Diagnostic] = []
    for loaded in manifests:
        manifest = loaded.manifest
        if isinstance(manifest, models.Integration):
            found.extend(_at(loaded, message, *path)
                         for path, message in integration_problems(manifest.spec))
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
    spec = slot.spec
    found = [_at(loaded, message, "spec", *path) for path, message in slot_problems(spec)]
    if found:
        return found
    matcher = _filler_matcher(spec)
    for index, platform in enumerate(examples.run(spec)):
        here = extraction.extract(matcher, platform.text)
        if not extraction.meets(matcher, here, platform.extracted):
            why = ("a lexicon matches keyphrases as whole words" if spec.type == "keyphrase"
                   else "JavaScript reads the pattern differently")
            found.append(_at(
                loaded, f"spec.examples[{index}] {examples.shown(platform.text)}: on api {API} "
                        f"{examples.shown(here)} is extracted, on the platform "
                        f"{examples.shown(platform.extracted)} ({why}); reword the example or "
                        "the patterns", "spec", "examples", index, "text"))
    return found


def _filler_matcher(spec: models.SlotSpec) -> extraction.Matcher:
    """``spec`` as the slot filler (or lexicon) this api runs it."""
    literal = None if spec.type == "keyphrase" else filler_regex(spec.patterns,
                                                                  spec.fillStrategy)
    return extraction.Matcher(tuple(spec.patterns), spec.fillStrategy, spec.type,
                              dialect=extraction.COGNIGY_AI, literal=literal)


def slot_problems(spec: models.SlotSpec) -> list[Problem]:
    """What one slot filler cannot honour of ``spec``: (path below spec, message)."""
    if spec.type == "keyphrase":
        if spec.fillStrategy != "fuzzy":
            return [(("fillStrategy",), f"a keyphrase slot is a lexicon on api {API}, which "
                                        f"matches keyphrases in any case: fillStrategy "
                                        f"{spec.fillStrategy} cannot hold; use fuzzy")]
        return []  # keyphrases are lexicon entries, matched as written
    found: list[Problem] = []
    if spec.fillStrategy == "bestMatch":
        found.append((("fillStrategy",), f"bestMatch (the longest match of any pattern) has no "
                                         f"equivalent on api {API}: a slot filler fills from "
                                         "the first match of its regex; use firstMatch"))
    for index, pattern in enumerate(spec.patterns):
        problem = regexes.javascript_problem(pattern)
        if problem is not None:
            found.append((("patterns", index), f"pattern is not a JavaScript regex with the "
                                               f"same meaning: {problem}"))
        elif (slow := regexes.javascript_backtracking(pattern)) is not None:
            found.append((("patterns", index), f"pattern {slow}"))
    capturing = [i for i, p in enumerate(spec.patterns) if regexes.captures(p)]
    if len(capturing) > 1:
        found.append((("patterns", capturing[1]),
                      f"on api {API} a slot filler's regex has one value group, and patterns "
                      f"{', '.join(str(i) for i in capturing)} each capture; make the groups "
                      "that only group (?:...), or join the patterns into one"))
    return found


Problem = tuple[tuple[str | int, ...], str]


def integration_problems(spec: models.IntegrationSpec) -> list[Problem]:
    """What an HTTP Request node cannot express of ``spec``: (field path, message)."""
    found: list[Problem] = []
    auth = spec.auth
    if native_auth(auth.type, auth.headerName) is None:
        native = [h or "the default" for h in _NATIVE_AUTH.get(auth.type, {})]
        found.append((("spec", "auth", "headerName"),
                      f"auth type {auth.type} with header {auth.headerName} has no native "
                      f"connection on api {API} (the HTTP Request node sends "
                      f"{', '.join(str(n) for n in native)} only); use one of those"))
    if not MIN_TIMEOUT_SECONDS <= spec.timeoutSeconds <= MAX_TIMEOUT_SECONDS:
        found.append((("spec", "timeoutSeconds"),
                      f"timeoutSeconds {spec.timeoutSeconds} is outside the HTTP Request "
                      f"node's {MIN_TIMEOUT_SECONDS}..{MAX_TIMEOUT_SECONDS} s on api {API}"))
    mapping = spec.responseMapping
    if mapping.extract is not None or mapping.normalize != "none":
        field = "extract" if mapping.extract is not None else "normalize"
        found.append((("spec", "responseMapping", field),
                      f"a response mapping needs a Code node after the HTTP Request node on "
                      f"api {API}, which cogctl does not write; drop responseMapping (the "
                      "whole answer is stored in the context under the integration's name)"))
    found.extend(_request_problems(spec))
    return found


def _request_problems(spec: models.IntegrationSpec) -> list[Problem]:
    request = spec.requestMapping
    if not request:
        return []
    if spec.method in ("GET", "DELETE"):
        return [(("spec", "requestMapping"),
                 f"query parameters from requestMapping are not mapped on api {API}; write "
                 "them into url")]
    for key in ("query", "headers"):
        if key in request:
            return [(("spec", "requestMapping", key),
                     f"requestMapping.{key} is not mapped on api {API}; write "
                     f"{'query parameters into url' if key == 'query' else 'spec.headers'}")]
    if "body" in request and (len(request) > 1 or not isinstance(request["body"], dict)):
        return [(("spec", "requestMapping", "body"),
                 f"on api {API} the body is one JSON object: requestMapping.body alone, or "
                 "the body's fields without body")]
    return [(("spec", "requestMapping", *path), message)
            for path, message in _placeholder_problems(request, ())]


def _placeholder_problems(value: JsonValue, path: tuple[str | int, ...]) -> list[Problem]:
    if isinstance(value, dict):
        return [p for key, item in value.items()
                for p in _placeholder_problems(item, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value)
                for p in _placeholder_problems(item, (*path, index))]
    if not isinstance(value, str):
        return []
    for found in rules.PLACEHOLDER.finditer(value):
        if node_placeholder(found.group(1)) is None:
            return [(path, f"placeholder {{{{{found.group(1)}}}}} is not mapped on api {API}: "
                           "only a slot by name ({{slots.NAME}}, {{payload.NAME}} or "
                           "{{NAME}}) reads the same on the HTTP Request node")]
    return []

"""What ``api: cognigy-ai`` refuses at validate time, as tables: integrations the HTTP
Request node cannot express (at file:line:col) and slot patterns JavaScript reads otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.manifests import aiapi, models, regexes, validating


def spec(**fields: Any) -> models.IntegrationSpec:
    base: dict[str, Any] = {"url": "https://api.example.com/x", "method": "POST"}
    return models.IntegrationSpec.model_validate({**base, **fields})


SECRET = {"secret": {"fromEnv": "API_TOKEN"}}


@pytest.mark.parametrize(("fields", "where", "words"), [
    ({}, None, None),
    ({"auth": {"type": "bearer", **SECRET}}, None, None),
    ({"auth": {"type": "bearer", "headerName": "Authorization", **SECRET}}, None, None),
    ({"auth": {"type": "api_key", "headerName": "x-api-key", **SECRET}}, None, None),
    ({"auth": {"type": "basic", **SECRET}}, None, None),
    ({"timeoutSeconds": 2}, None, None),
    ({"requestMapping": {"body": {"id": "{{slots.order}}", "n": [1, "{{ x }}"]}}}, None, None),
    ({"requestMapping": {"id": "{{payload.order}}"}}, None, None),
    ({"auth": {"type": "bearer", "headerName": "X-Token", **SECRET}},
     ("spec", "auth", "headerName"), "no native connection"),
    ({"auth": {"type": "api_key", "headerName": "X-Custom-Key", **SECRET}},
     ("spec", "auth", "headerName"), "X-Custom-Key"),
    ({"timeoutSeconds": 1}, ("spec", "timeoutSeconds"), "2..30"),
    ({"timeoutSeconds": 31}, ("spec", "timeoutSeconds"), "2..30"),
    ({"responseMapping": {"extract": "data.id"}}, ("spec", "responseMapping", "extract"),
     "Code node"),
    ({"responseMapping": {"normalize": "flatten"}}, ("spec", "responseMapping", "normalize"),
     "Code node"),
    ({"method": "GET", "requestMapping": {"q": "x"}}, ("spec", "requestMapping"), "url"),
    ({"requestMapping": {"query": {"a": "b"}}}, ("spec", "requestMapping", "query"), "url"),
    ({"requestMapping": {"body": {"a": 1}, "b": 2}}, ("spec", "requestMapping", "body"),
     "one JSON object"),
    ({"requestMapping": {"body": {"a": "{{slots.x | upper(@)}}"}}},
     ("spec", "requestMapping", "body", "a"), "placeholder"),
])
def test_what_an_http_request_node_cannot_express_is_refused_where_it_is_written(
        fields: dict[str, Any], where: tuple[str | int, ...] | None, words: str | None) -> None:
    assert_one_problem(aiapi.integration_problems(spec(**fields)), where, words)


def assert_one_problem(found: list[aiapi.Problem], where: tuple[str | int, ...] | None,
                       words: str | None) -> None:
    """None of ``found`` when ``where`` is None; else just one, at ``where``, saying ``words``."""
    if where is None:
        assert found == []
    else:
        [(path, message)] = found
        assert path == where
        assert words is not None
        assert words in message


@pytest.mark.parametrize(("pattern", "refused"), [
    (r"\bORD-\d{6}\b", None),
    (r"(?<year>\d{4})-\d{2}", None),
    (r"[A-Z]{2}\d{4}", None),
    (r"a(?=b)", None),
    (r"\k<x>(?<x>a)", None),  # JavaScript allows a forward named reference
    (r"[\A]", None),  # inside a class the escape is another rule's business
    (r"(?P<x>a)", None),  # written (?<x>a) on this api (regexes.to_javascript)
    (r"(?i)abc", "inline flags"),
    (r"x*+", "possessive"),
    (r"(?>a)", "atomic"),
    (r"(?(1)a|b)", "conditional"),
    (r"\Aabc", "write ^"),
    (r"abc\z", "write $"),
    (r"(ab", "does not compile"),
    (r"a{3,1}", "does not compile"),
    (r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", None),
    (r"(?<year>\d{4})", None),
    (r"a+?b*?", None),
    (r"[(?P<]", None),  # inside a class: literal characters
    (r"\(?P<x>", None),  # an escaped parenthesis
    (r"(?P<x>\d+)", None),  # the same group in JavaScript's spelling, (?<x>...)
    (r"(?P<x>a)(?P=x)", None),  # and its back-reference, \k<x>
    (r"(?i:abc)", "inline flags"),
    (r"(?#note)a", "comment"),
    (r"a++", "possessive"),
    (r"a{2}+", "possessive"),
    (r"\d*+", "possessive"),  # after an escape too
    (r"abc\Z", r"\Z"),
])
def test_javascript_compatibility_table(pattern: str, refused: str | None) -> None:
    found = regexes.javascript_problem(pattern)
    if refused is None:
        assert found is None
    else:
        assert found is not None
        assert refused in found


def test_validate_points_at_each_refusal_and_accepts_a_keyphrase_slot(tmp_path: Path) -> None:
    (tmp_path / "cogctl.yaml").write_text(
        "environments:\n  ai:\n    api: cognigy-ai\n    baseUrl: https://api-x.cognigy.ai\n"
        "    bots:\n      support: {project: P, flow: Main, locale: en-US,"
        " integrationsFlow: Integrations}\n")
    (tmp_path / "bot.yaml").write_text(
        "apiVersion: cogctl/v1\nkind: Integration\nmetadata: {name: crm, bot: support}\n"
        "spec:\n  url: https://api.example.com/x\n  timeoutSeconds: 60\n"
        "  responseMapping: {extract: data.id}\n---\n"
        "apiVersion: cogctl/v1\nkind: Slot\nmetadata: {name: airline, bot: support}\n"
        "spec:\n  type: keyphrase\n  patterns: [United]\n  fillStrategy: fuzzy\n---\n"
        "apiVersion: cogctl/v1\nkind: Slot\nmetadata: {name: code, bot: support}\n"
        "spec:\n  patterns: ['ok', '(?i)abc']\n  fillStrategy: firstMatch\n")
    project = validating.load_project([tmp_path], environ={})
    shown = [(d.line, d.column, d.message) for d in project.diagnostics]
    assert [(line, column) for line, column, _ in shown] == [(6, 19), (7, 30), (21, 20)], shown
    assert "timeoutSeconds 60" in shown[0][2]
    assert "Code node" in shown[1][2]
    assert "inline flags" in shown[2][2]


def slot_spec(**fields: Any) -> models.SlotSpec:
    return models.SlotSpec.model_validate({"patterns": ["a"], **fields})


@pytest.mark.parametrize(("fields", "where", "words"), [
    ({"fillStrategy": "firstMatch"}, None, None),
    ({"fillStrategy": "strict", "patterns": [r"\d{5}", r"\d{4}"]}, None, None),
    ({"fillStrategy": "fuzzy", "patterns": [r"x(\d)", "y"]}, None, None),
    ({"fillStrategy": "bestMatch"}, ("fillStrategy",), "use firstMatch"),
    ({}, ("fillStrategy",), "bestMatch"),  # the default strategy too
    ({"type": "keyphrase", "fillStrategy": "fuzzy"}, None, None),
    ({"type": "keyphrase", "fillStrategy": "firstMatch"}, ("fillStrategy",), "use fuzzy"),
    ({"type": "keyphrase"}, ("fillStrategy",), "in any case"),
    ({"fillStrategy": "firstMatch", "patterns": [r"a(\d)", "b", r"(?P<value>c)"]},
     ("patterns", 2), "one value group"),
])
def test_what_one_slot_filler_cannot_honour_is_refused(
        fields: dict[str, Any], where: tuple[str | int, ...] | None, words: str | None) -> None:
    assert_one_problem(aiapi.slot_problems(slot_spec(**fields)), where, words)


def test_an_example_a_lexicon_reads_otherwise_is_refused_at_its_text(tmp_path: Path) -> None:
    (tmp_path / "cogctl.yaml").write_text(
        "environments:\n  ai:\n    api: cognigy-ai\n    baseUrl: https://api-x.cognigy.ai\n"
        "    bots:\n      support: {project: P, flow: Main, locale: en-US}\n")
    (tmp_path / "bot.yaml").write_text(
        "apiVersion: cogctl/v1\nkind: Slot\nmetadata: {name: coupon, bot: support}\n"
        "spec:\n  type: keyphrase\n  patterns: [SPRING10]\n  fillStrategy: fuzzy\n"
        "  examples:\n    - {text: apply spring10, value: SPRING10}\n"
        "    - {text: codeSPRING10, value: SPRING10}\n")
    project = validating.load_project([tmp_path], environ={})
    [problem] = project.diagnostics
    assert (problem.line, problem.column) == (10, 14)
    assert "whole words" in problem.message
    assert '"codeSPRING10"' in problem.message
    assert "nothing" in problem.message


@pytest.mark.parametrize(("pattern", "exponential"), [
    (r"(\w|\d)+x", True),  # Python reads [\w\d]+x; JavaScript tries \w, then \d, per digit
    (r"(?P<v>\d|\w)+!", True),
    (r"(?:x|(?:\w|\d))+!", True),  # nested alternations too
    (r"(?:a|[ab])*c", True),
    (r"(a\w|a\d)+x", True),  # Python factors out a, then merges the rest
    (r"(ab|ac)+x", False),
    (r"(x|y)+z", False),  # disjoint characters: one way to match either way
    (r"(a|aa)*", False),  # not merged by Python either, and nothing after it can fail
    (r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", False),
    (r"\b(?:[01]?\d|2[0-3]):[0-5]\d\b", False),
    (r"[|(]a|b", False),  # | and ( inside a class are characters
])
def test_alternatives_python_merges_but_javascript_tries_one_by_one(
        pattern: str, exponential: bool) -> None:
    assert regexes.check_pattern(pattern) is None  # safe on the platform's engine
    found = regexes.javascript_backtracking(pattern)
    assert (found is not None) is exponential, found
    if found is not None:
        assert "in JavaScript" in found
        [(path, message)] = aiapi.slot_problems(slot_spec(patterns=[pattern],
                                                          fillStrategy="firstMatch"))
        assert path == ("patterns", 0)
        assert message.startswith("pattern can backtrack catastrophically in JavaScript")

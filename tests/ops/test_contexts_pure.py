"""Context injection input rules and template rendering (no network)."""

from __future__ import annotations

import pytest

from reconciler import errors
from reconciler.core import scoping
from reconciler.jsontypes import Json
from reconciler.ops import contexts


@pytest.mark.parametrize(
    ("pair", "key", "value"),
    [
        ("n=42", "n", 42),
        ("f=1.5", "f", 1.5),
        ("b=true", "b", True),
        ("z=null", "z", None),
        ('o={"a": [1, 2]}', "o", {"a": [1, 2]}),
        ('s="quoted"', "s", "quoted"),
        ("t=hello world", "t", "hello world"),
        ("e=", "e", ""),
        ("eq=a=b", "eq", "a=b"),
        ("nan=NaN", "nan", "NaN"),
        ("zero=007", "zero", "007"),
        ("brace={oops", "brace", "{oops"),
    ],
)
def test_values_are_json_where_they_parse(pair: str, key: str, value: object) -> None:
    assert contexts.parse_assignments([pair]) == {key: value}


def test_every_bad_assignment_is_reported_at_once() -> None:
    with pytest.raises(errors.ConfigError) as caught:
        contexts.parse_assignments(["no_equals", "bad-key=1", "ok=1", "ok=2", "sp ace=1"])
    message = str(caught.value)
    for part in ("'no_equals': expected KEY=VALUE", "'bad-key': a key is", "'ok': given twice",
                 "'sp ace'"):
        assert part in message


def test_nothing_to_inject_is_an_error() -> None:
    with pytest.raises(errors.ConfigError, match="nothing to inject"):
        contexts.parse_assignments([])


def test_a_value_over_10_kb_is_refused_before_sending() -> None:
    big = "x" * (10 * 1024)  # 10 KB of text is 10 KB + 2 quotes as JSON
    contexts.check_limits({"ok": "x" * (10 * 1024 - 2)}, {})
    with pytest.raises(errors.ConfigError, match=r"'big' is 10242 bytes as JSON; the limit is 10240"):
        contexts.check_limits({"big": big}, {"big": big})


def test_multibyte_text_counts_in_bytes() -> None:
    with pytest.raises(errors.ConfigError, match="bytes as JSON"):
        contexts.check_limits({"k": "é" * 5200}, {})


def test_the_merged_context_over_512_kb_is_refused() -> None:
    live = {f"k{i}": "x" * 10_000 for i in range(52)}
    with pytest.raises(errors.ConfigError, match=r"the context would be .* the limit is 524288"):
        contexts.check_limits({"new": "y" * 5000}, {**live, "new": "y" * 5000})


def _resolved(**values: tuple[Json, str]) -> dict[str, scoping.Resolved]:
    return scoping.resolve(
        scoping.Candidate(name, value, scope, source=scope)
        for name, (value, scope) in values.items()
    )


@pytest.mark.parametrize(
    ("template", "text", "unknown"),
    [
        ("Hello {{name}}!", "Hello Ann!", ()),
        ("Hello {{ name }}", "Hello Ann", ()),
        ("{{count}} items", "3 items", ()),
        ("{{order.id}} / {{order}}", '7 / {"id":7}', ()),
        ("{{order.nope}} {{ghost}} {{ghost}}", "{{order.nope}} {{ghost}} {{ghost}}",
         ("order.nope", "ghost")),
        ("{{flag}}", "true", ()),
        ("{{ not a placeholder }}", "{{ not a placeholder }}", ()),
        ("no placeholders", "no placeholders", ()),
    ],
)
def test_render(template: str, text: str, unknown: tuple[str, ...]) -> None:
    resolved = _resolved(name=("Ann", "user"), count=(3, "session"), order=({"id": 7}, "bot"),
                         flag=(True, "global"))
    rendered = contexts.render(template, resolved)
    assert rendered.text == text
    assert rendered.unknown == unknown


def test_render_uses_the_narrowest_scope() -> None:
    resolved = scoping.resolve([
        scoping.Candidate("greeting", "Hello", "global", "bot context"),
        scoping.Candidate("greeting", "Hi", "conversation", "conversation"),
        scoping.Candidate("greeting", "Yo", "user", "bot context"),
    ])
    rendered = contexts.render("{{greeting}}", resolved)
    assert rendered.text == "Hi"
    assert rendered.used["greeting"].scope == "conversation"

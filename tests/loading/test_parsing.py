"""Safe YAML parsing: values, positions, and the limits that hold against hostile files."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.manifests import parsing


def _one(text: str) -> parsing.ParsedDocument:
    documents, stopped = parsing.parse_text(text)
    assert stopped == []
    assert len(documents) == 1
    return documents[0]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a: 1", {"a": 1}),
        ("a: 1.5", {"a": 1.5}),
        ("a: true", {"a": True}),
        ("a: yes", {"a": True}),
        ("a: ~", {"a": None}),
        ("a: null", {"a": None}),
        ("a: '1'", {"a": "1"}),
        ("a: 0x1f", {"a": 31}),
        ("a: 2024-01-02", {"a": "2024-01-02"}),  # timestamps stay strings
        ("a: 2024-01-02T10:00:00Z", {"a": "2024-01-02T10:00:00Z"}),
        ("a: !!str 12", {"a": "12"}),
        ("a: ! 12", {"a": "12"}),
        ("a: [1, {b: c}]", {"a": [1, {"b": "c"}]}),
        ("- x\n- y", ["x", "y"]),
        ("x", "x"),
        ("1: one", {1: "one"}),
    ],
)
def test_values_are_json_like(text: str, value: Any) -> None:
    assert _one(text).data == value


def test_positions_of_values_and_keys_are_one_based() -> None:
    doc = _one("apiVersion: cogctl/v1\nspec:\n  patterns:\n    - 'a'\n    - b\n")

    assert doc.values[()] == (1, 1)
    assert doc.values[("apiVersion",)] == (1, 13)
    assert doc.keys[("spec",)] == (2, 1)
    assert doc.keys[("spec", "patterns")] == (3, 3)
    assert doc.values[("spec", "patterns", 0)] == (4, 7)
    assert doc.values[("spec", "patterns", 1)] == (5, 7)
    assert ("spec", "patterns", 1) in doc.plain
    assert ("spec", "patterns", 0) not in doc.plain  # quoted


def test_several_documents_each_start_at_their_content() -> None:
    documents, stopped = parsing.parse_text("a: 1\n---\n# note\nb: 2\n---\n")

    assert stopped == []
    assert [d.data for d in documents] == [{"a": 1}, {"b": 2}, None]
    assert (documents[1].line, documents[1].column) == (4, 1)


def test_aliases_are_expanded_and_placed_at_the_alias() -> None:
    doc = _one("base: &b {x: 1}\nuse: *b\n")

    assert doc.data == {"base": {"x": 1}, "use": {"x": 1}}
    assert doc.values[("use",)] == (2, 6)
    assert ("use", "x") not in doc.values


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("a: 1\na: 2\n", 2, 1, "duplicate key 'a' (first at line 1, column 1)"),
        ("a: !!binary aGk=\n", 1, 4, "unsupported tag"),
        ("a: !!python/name:os.system ''\n", 1, 4, "unsupported tag"),
        ("a: !custom {}\n", 1, 4, "unsupported tag"),
        ("<<: {a: 1}\n", 1, 1, "merge keys"),
        ("? [a]\n: 1\n", 1, 3, "mapping keys must be plain scalars"),
        ("a: *nope\n", 1, 4, "unknown alias *nope"),
        ("a: &x [*x]\n", 1, 8, "unknown alias *x"),
        ("a: !!int zz\n", 1, 4, "'zz' is not a valid int"),
    ],
)
def test_document_problems(text: str, line: int, column: int, message: str) -> None:
    doc = _one(text)
    assert [(p.line, p.column) for p in doc.problems] == [(line, column)]
    assert message in doc.problems[0].message


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("a: [1\nb: 2\n", 2, 2, "invalid YAML"),
        ("a: 'open\n", 2, 1, "invalid YAML"),
        ("a: b\x07\n", 1, 5, "control characters are not allowed"),
        ("\ta: 1\n", 1, 1, "invalid YAML"),
    ],
)
def test_syntax_errors_stop_the_file_with_a_position(
    text: str, line: int, column: int, message: str
) -> None:
    _, stopped = parsing.parse_text(text)
    assert [(p.line, p.column) for p in stopped] == [(line, column)]
    assert message in stopped[0].message


def test_documents_before_a_syntax_error_are_kept() -> None:
    documents, stopped = parsing.parse_text("a: 1\n---\nb: [\n")
    assert [d.data for d in documents] == [{"a": 1}]
    assert len(stopped) == 1


def _billion_laughs(levels: int = 9) -> str:
    text = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for i in range(1, levels + 1):
        text += f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n"
    return text


def test_billion_laughs_is_refused_before_expanding() -> None:
    _, stopped = parsing.parse_text(_billion_laughs())
    assert len(stopped) == 1
    assert "expands to more than" in stopped[0].message
    # Refused at the first alias that crosses the cap, not after copying a billion nodes.
    assert stopped[0].line <= 7


def test_aliases_within_the_cap_are_fine() -> None:
    doc = _one(_billion_laughs(levels=3))  # 10^4 nodes
    assert len(doc.data["l3"]) == 10


@pytest.mark.parametrize(
    "text",
    [
        "[" * 300_000,  # a megabyte-class file of openers must not blow the stack
        "{a: " * 300_000,
        "".join("  " * i + "-\n" for i in range(200)),
    ],
    ids=["flow-sequences", "flow-mappings", "block-sequences"],
)
def test_deep_nesting_is_refused_without_recursion(text: str) -> None:
    _, stopped = parsing.parse_text(text)
    assert len(stopped) == 1
    assert f"nesting deeper than {parsing.MAX_DEPTH} levels" in stopped[0].message


def test_nesting_through_aliases_counts_too() -> None:
    inner = "[" * 40 + "]" * 40
    text = f"a: &a {inner}\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n"
    _, stopped = parsing.parse_text(text)
    assert len(stopped) == 1
    assert "nesting deeper" in stopped[0].message


def test_nesting_at_the_limit_is_fine() -> None:
    depth = parsing.MAX_DEPTH - 1
    doc = _one("a: " + "[" * depth + "]" * depth)
    assert doc.data is not None


@pytest.mark.parametrize(
    ("text", "value"), [("20", 20), ("1.5", 1.5), ("true", True), ("x", "x"), ("", None)]
)
def test_resolve_plain(text: str, value: Any) -> None:
    assert parsing.resolve_plain(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "a:\n" + "".join("  " * i + "-\n" for i in range(1, 30)) + "  " * 30 + "[" * 2000,
        "- " + "{a: [" * 1500,
        "k: " + '["]", ' * 1500,  # quoted closers do not hide the openers
        "# [[[[\n" + "[" * 5000,
        "a: 'it''s [' \nb: " + "[" * 5000,
    ],
    ids=["block-then-flow", "mixed-flow", "quoted-closers", "after-comment", "after-quotes"],
)
def test_deep_nesting_of_any_mix_is_ours_to_refuse(text: str) -> None:
    _, stopped = parsing.parse_text(text)
    assert [p.message for p in stopped] == [
        f"nesting deeper than {parsing.MAX_DEPTH} levels is refused"
    ]
    assert stopped[0].line >= 1
    assert stopped[0].column >= 1


def test_deep_flow_is_refused_at_the_opener_past_the_limit() -> None:
    _, stopped = parsing.parse_text("a: " + "[" * 300)
    assert (stopped[0].line, stopped[0].column) == (1, 3 + parsing.MAX_DEPTH)  # the mapping is a level too


def test_brackets_in_a_block_scalar_are_text_not_nesting() -> None:
    text = "a: |\n  " + "[" * 500 + "\nb: 1\n"
    doc = _one(text)
    assert doc.data == {"a": "[" * 500 + "\n", "b": 1}


def test_the_librarys_own_nesting_error_is_said_in_our_words() -> None:
    class Mark:
        line, column = 2, 7

    exc = parsing.yaml.YAMLError()
    exc.problem = "exceeded maximum nesting depth"  # type: ignore[attr-defined]
    exc.problem_mark = Mark()  # type: ignore[attr-defined]
    problem = parsing._syntax_problem(exc, "")
    assert (problem.line, problem.column, problem.message) == (
        3, 8, f"nesting deeper than {parsing.MAX_DEPTH} levels is refused")

"""Loading: finding manifest files, reading them safely, and validating every document."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifests import loading, models

SLOT = """apiVersion: cogctl/v1
kind: Slot
metadata:
  name: {name}
  bot: support
spec:
  patterns: ['ORD-\\d{{6}}']
"""


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_diagnostic_render_with_and_without_address() -> None:
    with_address = loading.Diagnostic("m/a.yaml", 3, 7, "Slot/support/x", "bad")
    without = loading.Diagnostic("m/a.yaml", 1, 1, None, "bad")

    assert with_address.render() == "m/a.yaml:3:7: Slot/support/x: bad"
    assert without.render() == "m/a.yaml:1:1: bad"
    assert with_address.to_json() == {
        "file": "m/a.yaml", "line": 3, "column": 7, "address": "Slot/support/x", "message": "bad"
    }


def test_discovery_is_recursive_and_skips_project_files_fixtures_and_hidden(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", SLOT.format(name="a"))
    _write(tmp_path / "deep" / "er" / "b.yml", SLOT.format(name="b"))
    _write(tmp_path / "cogctl.yaml", "environments: {local: {}}\n")
    _write(tmp_path / "fixtures" / "tenant.yaml", SLOT.format(name="fixture"))
    _write(tmp_path / ".hidden" / "c.yaml", SLOT.format(name="hidden"))
    _write(tmp_path / "notes.txt", SLOT.format(name="text"))
    _write(tmp_path / "workflow.yaml", "on: push\njobs: {}\n")  # YAML, but not a manifest

    result = loading.load_manifests([tmp_path])

    assert result.diagnostics == ()
    assert sorted(m.manifest.metadata.name for m in result.manifests) == ["a", "b"]
    assert result.files == 2


def test_symbolic_link_loops_are_walked_once(tmp_path: Path) -> None:
    _write(tmp_path / "slots" / "a.yaml", SLOT.format(name="a"))
    (tmp_path / "slots" / "again").symlink_to(tmp_path)

    result = loading.load_manifests([tmp_path])

    assert result.diagnostics == ()
    assert [m.manifest.metadata.name for m in result.manifests] == ["a"]


def test_an_explicit_file_is_always_a_manifest(tmp_path: Path) -> None:
    path = _write(tmp_path / "workflow.yaml", "on: push\n")

    result = loading.load_manifests([path])

    assert [d.message for d in result.diagnostics] == [
        "missing apiVersion (expected apiVersion: cogctl/v1)"
    ]


def test_a_broken_file_is_reported_when_it_mentions_cogctl(tmp_path: Path) -> None:
    _write(tmp_path / "broken.yaml", "apiVersion: cogctl/v1\nkind: [\n")
    _write(tmp_path / "other.yaml", "{{ helm template }}: [\n")

    result = loading.load_manifests([tmp_path])

    assert [(Path(d.file).name, d.line) for d in result.diagnostics] == [("broken.yaml", 3)]


def test_missing_path_is_a_diagnostic(tmp_path: Path) -> None:
    result = loading.load_manifests([tmp_path / "nope"])
    assert [d.message for d in result.diagnostics] == ["no such file or directory"]


def test_file_larger_than_one_mebibyte_is_refused_unread(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.yaml", "# " + "x" * loading.MAX_FILE_BYTES + "\n")

    result = loading.load_manifests([path])

    assert [(d.line, d.column) for d in result.diagnostics] == [(1, 1)]
    assert "larger than 1048576 bytes" in result.diagnostics[0].message


def test_non_utf8_is_refused_at_the_byte(tmp_path: Path) -> None:
    path = _write(tmp_path / "latin1.yaml", "apiVersion: cogctl/v1\n# café\n".encode("latin-1"))

    result = loading.load_manifests([path])

    assert [(d.line, d.column) for d in result.diagnostics] == [(2, 6)]
    assert "not valid UTF-8 (byte 0xe9)" in result.diagnostics[0].message


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path / "bom.yaml", b"\xef\xbb\xbf" + SLOT.format(name="a").encode())
    assert loading.load_manifests([path]).diagnostics == ()


def test_loaded_manifest_knows_where_its_fields_are(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.yaml", "# lead comment\n" + SLOT.format(name="order_number"))

    [loaded] = loading.load_manifests([path]).manifests

    assert isinstance(loaded.manifest, models.Slot)
    assert (loaded.file, loaded.line, loaded.column) == (str(path), 2, 1)
    assert loaded.address == "Slot/support/order_number"
    assert loaded.locate("spec", "patterns", 0) == (8, 14)
    assert loaded.locate("metadata", "name") == (5, 9)
    assert loaded.locate("spec", "fillStrategy") == (7, 1)  # defaulted: nearest written
    assert loaded.locate() == (2, 1)


def test_every_problem_of_every_file_is_reported(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", SLOT.format(name="a").replace("support", "bad bot") +
           "---\n" + SLOT.format(name="b").replace("Slot", "Slott"))
    _write(tmp_path / "b.yaml", SLOT.format(name="c") + "  fillStrategy: most\n")

    result = loading.load_manifests([tmp_path])

    assert [(Path(d.file).name, d.line) for d in result.diagnostics] == [
        ("a.yaml", 5), ("a.yaml", 10), ("b.yaml", 8)
    ]
    assert result.invalid == {("Slot", "bad bot", "a"), ("Slott", "support", "b"),
                              ("Slot", "support", "c")}


@pytest.mark.parametrize(
    ("value", "variables", "expected"),
    [
        ("${vars.url}/v1", {"url": "https://x.example.com"}, "https://x.example.com/v1"),
        ("${vars.a}-${vars.b}", {"a": "1", "b": "2"}, "1-2"),
        ("$${vars.a}", {"a": "1"}, "${vars.a}"),
        ("no placeholder", {}, "no placeholder"),
        ("${env.HOME}", {}, "${env.HOME}"),
    ],
)
def test_placeholders_are_filled_in_strings(
    tmp_path: Path, value: str, variables: dict[str, str], expected: str
) -> None:
    text = SLOT.format(name="a").replace(
        "  bot: support\n", f"  bot: support\n  labels: {{note: '{value}'}}\n"
    )
    path = _write(tmp_path / "s.yaml", text)

    result = loading.load_manifests([path], variables=variables)

    assert result.diagnostics == ()
    assert result.manifests[0].manifest.metadata.labels == {"note": expected}


def test_an_unquoted_lone_placeholder_takes_the_type_of_its_value(tmp_path: Path) -> None:
    text = ("apiVersion: cogctl/v1\nkind: Integration\nmetadata: {name: crm, bot: b}\n"
            "spec:\n  url: ${vars.url}\n  timeoutSeconds: ${vars.timeout}\n"
            "  description: '${vars.timeout}'\n")
    path = _write(tmp_path / "i.yaml", text)

    result = loading.load_manifests(
        [path], variables={"url": "https://crm.example.com", "timeout": "20"}
    )

    [loaded] = result.manifests
    assert isinstance(loaded.manifest, models.Integration)
    assert loaded.manifest.spec.timeoutSeconds == 20
    assert loaded.manifest.spec.description == "20"


def test_unknown_placeholder_is_reported_at_its_string(tmp_path: Path) -> None:
    text = SLOT.format(name="a").replace("bot: support", "bot: support\n  labels: {x: '${vars.nope}'}")
    path = _write(tmp_path / "s.yaml", text)

    result = loading.load_manifests([path], variables={"known": "1"})

    assert [(d.line, d.column, d.message) for d in result.diagnostics] == [
        (6, 15, "unknown variable ${vars.nope} (defined for this environment: known)")
    ]


def test_load_config_reports_problems_with_positions(tmp_path: Path) -> None:
    path = _write(tmp_path / "cogctl.yaml", "environments:\n  local:\n    bots: {a: 'b c'}\n")

    loaded, problems = loading.load_config(path)

    assert loaded is None
    assert [(d.line, d.column) for d in problems] == [(3, 15)]
    assert "environments.local.bots.a" in problems[0].message


def test_load_config_refuses_an_empty_file(tmp_path: Path) -> None:
    loaded, problems = loading.load_config(_write(tmp_path / "cogctl.yaml", "# nothing\n"))
    assert loaded is None
    assert "must be one YAML mapping" in problems[0].message


def test_failed_documents_are_outlined_when_their_yaml_and_header_are_sound(
    tmp_path: Path,
) -> None:
    documents = [
        SLOT.format(name="a"),
        SLOT.format(name="b") + "  fillStrategy: most\n",
        SLOT.format(name="c").replace("cogctl/v1", "cogctl/v2"),
        SLOT.format(name="d") + "  patterns: [again]\n",  # a duplicate key
        SLOT.format(name="e") + "  dependencies: [e]\n",
    ]
    _write(tmp_path / "a.yaml", "---\n".join(documents))

    result = loading.load_manifests([tmp_path])

    assert [m.manifest.metadata.name for m in result.manifests] == ["a"]
    assert [o.name for o in result.outlined] == ["a", "b", "e"]
    assert result.outlined[0] == result.manifests[0].outline
    assert [d.message.split(":")[0] for d in result.diagnostics] == [
        "spec.fillStrategy", "apiVersion must be cogctl/v1, got 'cogctl/v2'",
        "duplicate key 'patterns' (first at line 32, column 3)", "spec.dependencies[0]",
    ]


@pytest.mark.parametrize(
    ("version", "label", "messages"),
    [
        ("cogctl/v2", "${vars.team}", ["apiVersion must be", "unknown variable ${vars.team}"]),
        # one problem at one place: the header's message shows the unfilled text
        ("${vars.api}", "x", ["apiVersion must be cogctl/v1, got '${vars.api}'"]),
    ],
)
def test_variables_are_checked_in_a_document_with_a_bad_header(
    tmp_path: Path, version: str, label: str, messages: list[str]
) -> None:
    text = SLOT.format(name="a").replace("cogctl/v1", version).replace(
        "  bot: support\n", f"  bot: support\n  labels: {{team: '{label}'}}\n")
    path = _write(tmp_path / "a.yaml", text)

    result = loading.load_manifests([path], variables={"other": "1"})

    assert len(result.diagnostics) == len(messages)
    for diagnostic, message in zip(result.diagnostics, messages, strict=True):
        assert diagnostic.message.startswith(message)
    assert result.outlined == ()

"""Pattern analyses remembered in-process and on disk answer exactly what the analyser does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.manifests import patterncache, regexes, validating

PATTERNS = [r"\b\d{5}\b", "(a+)+$", "(?P<x>a)(?P=x)", "[", "", "a" * 60, "(?i)order (\\w+)"]


@pytest.fixture(autouse=True)
def _fresh() -> None:
    patterncache.clear()


@pytest.mark.parametrize("pattern", PATTERNS)
def test_same_answer_as_the_analyser(pattern: str) -> None:
    assert patterncache.check_pattern(pattern) == regexes.check_pattern(pattern)
    assert patterncache.check_pattern(pattern) == regexes.check_pattern(pattern)  # remembered


def _boom(pattern: str) -> str | None:
    raise AssertionError(f"analysed again: {pattern!r}")


def test_a_second_run_reads_the_disk_and_analyses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state" / patterncache.FILE_NAME
    with patterncache.on_disk(path):
        first = [patterncache.check_pattern(p) for p in PATTERNS]
    document = json.loads(path.read_text())
    assert document["analyzer"] == patterncache.analyzer_version()
    assert set(document["results"]) == set(PATTERNS)
    patterncache.clear()
    monkeypatch.setattr(regexes, "check_pattern", _boom)
    with patterncache.on_disk(path):
        assert [patterncache.check_pattern(p) for p in PATTERNS] == first


@pytest.mark.parametrize(
    "content",
    ['{"analyzer": "someone else", "results": {"(a+)+$": null}}', "{not json", "[1, 2]",
     '{"analyzer": "%s", "results": {"(a+)+$": 7}}'],
    ids=["other-analyzer", "damaged", "not-an-object", "wrong-type"],
)
def test_a_foreign_or_damaged_file_is_not_trusted(tmp_path: Path, content: str) -> None:
    path = tmp_path / patterncache.FILE_NAME
    path.write_text(content.replace("%s", patterncache.analyzer_version()))
    with patterncache.on_disk(path):
        assert patterncache.check_pattern("(a+)+$") == regexes.check_pattern("(a+)+$")
    assert patterncache.check_pattern("(a+)+$") is not None
    saved = json.loads(path.read_text())
    assert saved["analyzer"] == patterncache.analyzer_version()
    assert saved["results"]["(a+)+$"] == regexes.check_pattern("(a+)+$")


def test_the_version_follows_the_analysers_source() -> None:
    version = patterncache.analyzer_version()
    assert len(version) == 32
    assert version == patterncache.analyzer_version()


def test_a_refused_pattern_from_the_disk_is_still_refused_with_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "m.yaml").write_text(
        "apiVersion: cogctl/v1\nkind: Slot\nmetadata: {name: s, bot: b}\n"
        "spec:\n  patterns: ['(a+)+$']\n")
    environ = {"COGCTL_STATE_DIR": str(tmp_path / "state")}
    first = validating.load_project([tmp_path / "m.yaml"], environ=environ)
    assert (tmp_path / "state" / patterncache.FILE_NAME).exists()
    patterncache.clear()
    monkeypatch.setattr(regexes, "check_pattern", _boom)
    second = validating.load_project([tmp_path / "m.yaml"], environ=environ)
    assert not second.ok
    assert [d.render() for d in second.diagnostics] == [d.render() for d in first.diagnostics]
    assert "backtrack catastrophically" in second.diagnostics[0].render()


def test_the_analyzer_version_covers_every_module_the_analysis_runs() -> None:
    """A change to the ambiguity analysis (not only to regexes.py) invalidates the cache."""
    from reconciler.manifests import patterncache

    names = {path.name for path in patterncache.analyzer_sources()}
    assert {"regexes.py", "ambiguity.py"} <= names

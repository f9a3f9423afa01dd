"""The table of invalid manifests: each case names the exact place and what is wrong.

Every case under ``tests/data/invalid/`` (a file, or a folder with its own cogctl.yaml)
declares what ``cogctl validate`` must report, in comments at the end of the file concerned:
``# expect: LINE:COL: text the message contains``. The run must report exactly those places,
no more and no fewer, each with its text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.manifests import validating

ROOT = Path(__file__).resolve().parents[2]
INVALID = Path("tests/data/invalid")
_EXPECT = re.compile(rb"^# expect: (\d+):(\d+): (.+)$", re.MULTILINE)


def _cases() -> list[str]:
    return sorted(path.name for path in (ROOT / INVALID).iterdir())


def expectations(case: Path) -> set[tuple[str, int, int, str]]:
    """(file, line, column, text) of every ``# expect:`` comment of the case."""
    files = [case] if case.is_file() else sorted(case.rglob("*.yaml"))
    found = set()
    for path in files:
        for match in _EXPECT.finditer(path.read_bytes()):
            line, column, text = match.groups()
            found.add((str(path), int(line), int(column), text.decode("utf-8")))
    return found


def test_the_table_is_large_enough() -> None:
    count = sum(len(expectations(ROOT / INVALID / case)) for case in _cases())
    assert len(_cases()) >= 40
    assert count >= 40


@pytest.mark.parametrize("case", _cases())
def test_invalid_case_reports_exactly_its_problems(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("COGCTL_ENV", raising=False)
    path = INVALID / case
    expected = expectations(path)
    assert expected, f"{case} declares no '# expect:' comment"

    project = validating.load_project([path], run_examples=True)

    assert not project.ok
    got = {(d.file, d.line, d.column): d.message for d in project.diagnostics}
    assert len(got) == len(project.diagnostics), "two problems at one place"
    assert {place[:3] for place in expected} == set(got), "\n".join(
        d.render() for d in project.diagnostics
    )
    for file, line, column, text in expected:
        assert text in f"{got[(file, line, column)]} {file}", (text, got[(file, line, column)])


@pytest.mark.parametrize("case", _cases())
def test_require_valid_raises_with_every_diagnostic(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("COGCTL_ENV", raising=False)
    project = validating.load_project([INVALID / case], run_examples=True)

    with pytest.raises(errors.ManifestError) as raised:
        validating.require_valid(project)

    assert raised.value.diagnostics == list(project.diagnostics)
    assert str(raised.value).startswith(project.diagnostics[0].render())

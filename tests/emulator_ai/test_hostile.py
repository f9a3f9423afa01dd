"""One hostile request or fixture never breaks the Cognigy.AI emulator: the same bounds as the
Platform emulator's (strict JSON bodies, bounded fixture reads)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import errors
from reconciler.emulator.cognigy_ai import fixtures

from .conftest import FLOW, Api


@pytest.mark.parametrize("body", [b'{"context": {"a": NaN}}', b'{"context": {"a": 1e999}}',
                                  b'{"context": ' + b"[" * 5000 + b"]" * 5000 + b"}"])
def test_a_body_that_is_not_strict_json_is_a_400_and_nothing_is_stored(api: Api,
                                                                        body: bytes) -> None:
    before = api.get(f"/flows/{FLOW}").json()
    answer = api.request("PATCH", f"/new/v2.0/flows/{FLOW}", content=body,
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    after = api.get(f"/flows/{FLOW}")
    assert after.status_code == 200
    assert after.json()["context"] == before["context"]
    assert after.json()["lastChanged"] == before["lastChanged"]


def _laughs() -> str:
    text = "apiKeys: [{key: k, userId: u}]\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for i in range(1, 10):
        text += f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n"
    return text


@pytest.mark.parametrize(("text", "message"), [
    (_laughs(), "expand"),
    ("apiKeys: " + "[" * 200 + "]" * 200 + "\n", "deeper"),
    ("apiKeys: [{key: k, userId: u}]\nsettings: {x: .nan}\n", "finite"),
])
def test_a_hostile_fixture_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "tenant.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(errors.ConfigError, match=message):
        fixtures.read(path)


def test_a_fixture_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigError, match="regular file"):
        fixtures.read(Path("/dev/zero"))

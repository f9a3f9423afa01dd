"""Debugging and CI surfaces: --debug HTTP lines (redacted), JSON errors, GitHub annotations
and job summaries, the failure comment's excerpt; and the paper cuts: "did you mean" for
environments and enum values, --no-color / FORCE_COLOR."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reconciler.backend.httpkit import redacting
from reconciler.rendering import actions

from .helpers import clean_env, cogctl

_HTTP_LINE = re.compile(
    r"^http (GET|POST|PUT|PATCH|DELETE) (\S+) -> (\d{3}) in (\d+\.\d{3})s \(attempt (\d+)\)$",
    re.MULTILINE)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("debugging")
    assert cogctl(root, "init", "repo").returncode == 0
    return root / "repo"


@pytest.mark.parametrize(("url", "shown"), [
    ("https://t.example.com/api/v1/bots?limit=100", "https://t.example.com/api/v1/bots?limit=100"),
    ("https://t.example.com/x?access_token=abc&limit=1",
     "https://t.example.com/x?access_token=(redacted)&limit=1"),
    ("https://u:pw@t.example.com:8443/p?api_key=k", "https://(redacted)@t.example.com:8443/p?api_key=(redacted)"),
    ("https://hooks.example.com/T000/B000/secretpath?sig=1", "https://hooks.example.com/(redacted)"),
])
def test_urls_are_redacted(url: str, shown: str) -> None:
    assert redacting.redact_url(url, path="hooks" not in url) == shown


@pytest.mark.parametrize("how", ["--debug", "COGCTL_LOG_LEVEL"])
def test_debug_logs_every_exchange_without_secrets(project: Path, how: str) -> None:
    args = ["--debug", "plan"] if how == "--debug" else ["plan"]
    extra = {"COGCTL_LOG_LEVEL": "DEBUG"} if how != "--debug" else {}
    result = cogctl(project, *args, env=clean_env(**extra))
    assert result.returncode == 0, result.stderr
    lines = _HTTP_LINE.findall(result.stderr)
    methods_paths = {(m, u.split("?")[0].split("/api/")[-1]) for m, u, *_ in lines}
    assert ("POST", "v1/auth/oauth/token") in methods_paths
    assert ("GET", "v1/slots") in methods_paths
    assert all(status == "200" and attempt == "1" for _m, _u, status, _t, attempt in lines)
    assert "local-client-secret" not in result.stderr
    assert "Bearer" not in result.stderr


def test_without_debug_there_are_no_http_lines(project: Path) -> None:
    result = cogctl(project, "plan")
    assert not _HTTP_LINE.search(result.stderr)


def test_errors_under_json_output_are_json_on_stdout(project: Path) -> None:
    result = cogctl(project, "plan", "-o", "json", "--env", "stagin")
    assert result.returncode == 1
    error = json.loads(result.stdout)["error"]
    assert error["exitCode"] == 1
    assert "did you mean 'staging'?" in error["message"]
    assert error["diagnostics"][0]["file"] == "cogctl.yaml"
    assert result.stderr.startswith("error: cogctl.yaml:")


def test_unknown_environment_is_one_line_with_did_you_mean(project: Path) -> None:
    result = cogctl(project, "validate", "--env", "stagin")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "cogctl.yaml:6:1: unknown environment 'stagin' from --env (did you mean 'staging'? "
        "defined: local, staging)"]


def _misspelt_strategy(slots: str) -> str:
    """The scaffold's slots with the email slot's fillStrategy in the wrong case."""
    email = slots.index("name: email")
    return slots[:email] + slots[email:].replace("fillStrategy: firstMatch",
                                                 "fillStrategy: firstmatch", 1)


def test_enum_values_get_did_you_mean(tmp_path: Path, project: Path) -> None:
    slots = project / "manifests/example/slots.yaml"
    original = slots.read_text()
    try:
        slots.write_text(_misspelt_strategy(original))
        result = cogctl(project, "validate")
    finally:
        slots.write_text(original)
    assert result.returncode == 1
    assert "got 'firstmatch' (did you mean 'firstMatch'?)" in result.stdout


def test_github_actions_annotations_and_summary_on_failure(project: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = clean_env(GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    slots = project / "manifests/example/slots.yaml"
    original = slots.read_text()
    try:
        slots.write_text(_misspelt_strategy(original))
        validated = cogctl(project, "validate", env=env)
        planned = cogctl(project, "plan", env=env)
    finally:
        slots.write_text(original)
    assert validated.returncode == 1
    assert planned.returncode == 1
    expected = ("::error file=manifests/example/slots.yaml,line=31,col=17,title=cogctl::"
                "Slot/example/email: spec.fillStrategy: Input should be")
    assert expected in validated.stdout
    assert expected in planned.stdout
    text = summary.read_text()
    assert "### :x: cogctl validate failed (exit 1)" in text
    assert "### :x: cogctl plan failed (exit 1)" in text
    assert text.count("slots.yaml:31:17") == 2
    ok = cogctl(project, "validate", env=env)
    assert ok.returncode == 0
    assert "### :white_check_mark: cogctl validate succeeded (exit 0)" in summary.read_text()
    assert "::error" not in ok.stdout


def test_failure_excerpt_keeps_the_first_error_and_the_tail() -> None:
    log = "\n".join(["target: x", "error: the cause", *[f"line {n}" for n in range(30)]])
    excerpt = actions.failure_excerpt(log, tail=5)
    assert excerpt == ["error: the cause", "... (25 lines left out)",
                       "line 25", "line 26", "line 27", "line 28", "line 29"]
    assert actions.failure_excerpt("a\nerror: b\nc", tail=5) == ["a", "error: b", "c"]


def test_failure_body_command(tmp_path: Path) -> None:
    log = tmp_path / "stderr.txt"
    log.write_text("error: first\n" + "".join(f"x{n}\n" for n in range(40)))
    result = cogctl(tmp_path, "github", "failure-body", "--log", str(log), "--title", "t")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:4] == ["### t", "", "```text", "error: first"]
    assert "x39" in result.stdout
    assert "x5\n" not in result.stdout


@pytest.mark.parametrize(("args", "env", "colored"), [
    (("plan",), {"FORCE_COLOR": "1"}, True),
    (("--no-color", "plan"), {"FORCE_COLOR": "1"}, False),
    (("plan",), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    (("plan",), {}, False),  # not a terminal
])
def test_colour_switches(tmp_path: Path, args: tuple[str, ...], env: dict[str, str],
                         colored: bool) -> None:
    assert cogctl(tmp_path, "init", "p").returncode == 0
    result = cogctl(tmp_path / "p", *args, env=clean_env(**env))
    assert result.returncode == 0, result.stderr
    assert ("\x1b[" in result.stdout) is colored

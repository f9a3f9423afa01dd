"""Hostile files, values and tenants, run as a user runs cogctl (a subprocess).

Each class of input has one rule and one mechanism; these tests drive every entry point of
that mechanism with a few hostile inputs and check the outcome a user sees: exit 1 with one
clear line that says where and what, never exit 70, never a hang, never invalid JSON.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from reconciler.emulator.platform import TenantState, create_app
from reconciler.emulator.platform.serving import ServerHandle, serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "manifests"
BOMB = "\n".join(
    [f"l0: &l0 [{', '.join(['x'] * 10)}]"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
    + ["workspaces: [*l8]"]
) + "\n"


def _strict_json(text: str) -> object:
    """Parse as RFC 8259 allows: Python's NaN/Infinity extensions raise."""
    def refuse(name: str) -> object:
        raise AssertionError(f"{name} in JSON output")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "manifests")
    return tmp_path


def _cogctl(cwd: Path, *args: str, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("COGNIGY_", "COGCTL_"))}
    environ.update({"COGCTL_STATE_DIR": str(cwd / ".cogctl"), "NO_COLOR": "1"})
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=timeout, check=False)


def _error_document_only(stdout: str) -> bool:
    """Under ``-o json`` a refusal prints its error as one JSON document, and nothing else."""
    return list(json.loads(stdout)) == ["error"]


def _one_clear_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stdout + result.stderr, result.stdout + result.stderr


# --- non-finite numbers ------------------------------------------------------------------

@pytest.mark.parametrize("spelling", [".nan", ".NaN", ".inf", "-.Inf", "1.0e+999"])
def test_a_non_finite_number_in_a_manifest_is_refused_where_it_is(project: Path,
                                                                  spelling: str) -> None:
    context = project / "manifests" / "orders" / "context.yaml"
    text = context.read_text(encoding="utf-8")
    context.write_text(text.replace("value: 50,", f"value: {spelling},"), encoding="utf-8")
    line = next(i for i, row in enumerate(context.read_text().splitlines(), 1) if spelling in row)

    validated = _cogctl(project, "validate")
    _one_clear_error(validated, f"manifests/orders/context.yaml:{line}:", "not a finite number")
    planned = _cogctl(project, "plan", "-o", "json")
    _one_clear_error(planned, "not a finite number")
    assert _error_document_only(planned.stdout)  # nothing half-written


def test_a_non_finite_number_in_the_project_file_is_refused(project: Path) -> None:
    config = project / "manifests" / "cogctl.yaml"
    config.write_text(config.read_text().replace("carrier: dhl", "carrier: .inf", 1))
    _one_clear_error(_cogctl(project, "validate"), "cogctl.yaml:", "not a finite number")


@pytest.mark.parametrize("value", ["1e999", "-1E400", "[1e999]", '{"a": 1e999}', "9" * 5000])
def test_context_inject_refuses_a_number_json_cannot_carry(project: Path, value: str) -> None:
    result = _cogctl(project, "context", "inject", "conv-1", f"k={value}")
    _one_clear_error(result, "'k':")


def test_every_json_output_is_strict(project: Path) -> None:
    plan = _cogctl(project, "plan", "-o", "json")
    assert plan.returncode in (0, 2), plan.stderr
    _strict_json(plan.stdout)
    validated = _cogctl(project, "validate", "--output", "json")
    _strict_json(validated.stdout)


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda text: text.replace('"fingerprint"', '"x": NaN, "fingerprint"', 1), "NaN"),
        (lambda text: text.replace('"fingerprint"', '"x": 1e999, "fingerprint"', 1),
         "too large to be finite"),
        (lambda text: "[" * 100_000 + "]" * 100_000, "nesting deeper than"),
        (lambda text: text[: len(text) // 2], "the saved plan is not JSON"),
    ],
)
def test_a_hostile_saved_plan_is_refused_before_anything_is_sent(project: Path, mutate,
                                                                  needle: str) -> None:
    saved = project / "plan.json"
    made = _cogctl(project, "plan", "--out", str(saved))
    assert made.returncode in (0, 2), made.stderr
    saved.write_text(mutate(saved.read_text()))
    _one_clear_error(_cogctl(project, "apply", "--plan", str(saved)), needle)


# --- files: only regular files, bounded reads ---------------------------------------------

def test_validate_names_what_is_wrong_with_a_special_file(project: Path) -> None:
    _one_clear_error(_cogctl(project, "validate", "/dev/zero"),
                     "/dev/zero:1:1:", "not a regular file (a device)")


def test_a_fifo_among_the_manifests_is_reported_without_blocking(project: Path) -> None:
    os.mkfifo(project / "manifests" / "pipe.yaml")
    result = _cogctl(project, "validate", timeout=30)
    _one_clear_error(result, "manifests/pipe.yaml:1:1:", "not a regular file (a FIFO)")


def test_a_symlink_to_itself_is_one_clear_line(project: Path) -> None:
    (project / "manifests" / "loop.yaml").symlink_to("loop.yaml")
    _one_clear_error(_cogctl(project, "validate"), "manifests/loop.yaml:1:1:",
                     "symbolic links")
    _one_clear_error(_cogctl(project, "validate", "manifests/loop.yaml"), "symbolic links")


def test_unrelated_yaml_beside_the_manifests_is_ignored(project: Path) -> None:
    extra = project / "manifests" / "other"
    extra.mkdir()
    (extra / "huge.yaml").write_text("data: " + "x" * (1024 * 1024 + 10) + "\n")
    (extra / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    result = _cogctl(project, "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "17 manifests in 8 files" in result.stdout


def test_a_manifest_too_large_or_not_utf8_is_still_reported(project: Path) -> None:
    folder = project / "manifests" / "orders"
    (folder / "big.yaml").write_text("apiVersion: cogctl/v1\n# " + "x" * (1024 * 1024) + "\n")
    (folder / "latin1.yaml").write_bytes(b"apiVersion: cogctl/v1\nkind: Slot # caf\xe9\n")
    result = _cogctl(project, "validate")
    _one_clear_error(result, "big.yaml:1:1: file is larger than", "latin1.yaml:2:",
                     "not valid UTF-8")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (BOMB, "expands to more than"),
        ("workspaces:\n" + "".join("  " * i + "- \n" for i in range(1, 80)), "nesting deeper"),
        ("settings: {latencyMs: .nan}\nworkspaces: []\n", "not a finite number"),
        ("a: &a [*a]\n", "refers to a node that contains it"),
    ],
)
def test_a_hostile_emulator_fixture_is_refused_quickly(project: Path, content: str,
                                                       needle: str) -> None:
    fixture = project / "hostile.yaml"
    fixture.write_text(content)
    result = _cogctl(project, "plan", "--emulator-fixture", str(fixture), timeout=30)
    _one_clear_error(result, needle)


def test_dev_zero_as_a_fixture_or_audit_log_is_refused(project: Path) -> None:
    _one_clear_error(_cogctl(project, "plan", "--emulator-fixture", "/dev/zero", timeout=30),
                     "not a regular file")
    _one_clear_error(_cogctl(project, "audit", "verify", "/dev/zero", timeout=30),
                     "not a regular file")


def test_a_deeply_nested_audit_line_is_a_broken_line_not_a_crash(project: Path) -> None:
    log = project / "audit.jsonl"
    log.write_text("[" * 50_000 + "]" * 50_000 + "\n")
    _one_clear_error(_cogctl(project, "audit", "verify", str(log)), "audit.jsonl:1:",
                     "nesting deeper than")


def test_output_files_that_cannot_be_written_are_one_clear_line(project: Path) -> None:
    blocker = project / "not-a-folder"
    blocker.write_text("")
    _one_clear_error(_cogctl(project, "plan", "--out", str(blocker / "plan.json")),
                     "not-a-folder/plan.json: cannot write")
    _one_clear_error(_cogctl(project, "simulate", "--junit", str(blocker / "junit.xml")),
                     "not-a-folder/junit.xml: cannot write")


# --- hostile tenants ----------------------------------------------------------------------

class _Rewriting:
    """The emulator behind a proxy that rewrites one answer's body (a hostile tenant)."""

    def __init__(self, app: object, path: str, rewrite) -> None:
        self.app, self.path, self.rewrite = app, path, rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "GET":
            await self.app(scope, receive, send)  # type: ignore[operator]
            return
        parts: list[Message] = []

        async def keep(message: Message) -> None:
            parts.append(message)

        await self.app(scope, receive, keep)  # type: ignore[operator]
        body = self.rewrite(b"".join(m.get("body", b"") for m in parts[1:]))
        start = dict(parts[0])
        start["headers"] = [(k, v) for k, v in start["headers"] if k != b"content-length"]
        start["headers"].append((b"content-length", str(len(body)).encode()))
        await send(start)
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[ServerHandle]:
    path, rewrite = request.param
    state = TenantState.from_fixture(EXAMPLE / "fixtures" / "demo-tenant.yaml")
    with serve_in_thread(_Rewriting(create_app(state), path, rewrite)) as server:
        yield server


def _tenant_env(server: ServerHandle) -> dict[str, str]:
    fixture = TenantState.from_fixture(EXAMPLE / "fixtures" / "demo-tenant.yaml")
    client = fixture.fixture.workspaces[0].clients[0]
    return {"COGNIGY_TENANT_URL": server.url, "COGNIGY_CLIENT_ID": client.clientId,
            "COGNIGY_CLIENT_SECRET": client.clientSecret, "COGCTL_ENV": "local"}


def _nan(body: bytes) -> bytes:
    entry = b'"tier":{"value":NaN,"scope":"global"}'
    changed = re.sub(rb'"context":\{(\}?)',
                     lambda m: b'"context":{' + entry + (b"}" if m.group(1) else b","), body,
                     count=1)
    assert changed != body
    return changed


def _deep(body: bytes) -> bytes:
    return b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    "hostile",
    [("/api/v1/bots/bot_orders/context", _nan), ("/api/v1/bots/bot_orders/context", _deep)],
    indirect=True, ids=["nan", "deep"],
)
def test_a_hostile_tenant_answer_names_the_request(project: Path,
                                                   hostile: ServerHandle) -> None:
    # The answer must be reachable at all: check the proxy really serves the emulator.
    assert httpx.get(hostile.url + "/openapi.json", timeout=10).status_code == 200
    result = _cogctl(project, "plan", "-o", "json", env=_tenant_env(hostile))
    _one_clear_error(result, "GET /api/v1/bots/bot_orders/context",
                     "the tenant's answer is not strict JSON")
    assert _error_document_only(result.stdout)


@pytest.mark.parametrize("flag", [(), ("--allow-private",)])
def test_a_probe_url_with_an_octal_ip_is_one_clear_line(project: Path, flag: tuple[str, ...]) -> None:
    integrations = project / "manifests" / "orders" / "integrations.yaml"
    integrations.write_text(integrations.read_text().replace(
        "https://orders.example.com/api/v2/orders", "https://0177.0.0.1:9/orders"))
    result = _cogctl(project, "integration", "probe", "order_status_api", *flag)
    _one_clear_error(result, "refusing host '0177.0.0.1'", "not a dotted-decimal IPv4")

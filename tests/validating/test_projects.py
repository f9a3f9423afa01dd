"""A project: cogctl.yaml discovery, choosing the environment, bot mapping, and vars."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import errors
from reconciler.manifests import validating

SLOT = """apiVersion: cogctl/v1
kind: Slot
metadata: {{name: {name}, bot: support}}
spec:
  patterns: ['{pattern}']
"""
CONFIG = """defaultEnvironment: {default}
environments:
  local:
    emulator: {{fixture: fixtures/tenant.yaml}}
    bots: {{support: bot_support}}
    vars: {{pattern: 'ORD-[0-9]+'}}
  staging:
    tenantUrl: https://staging.example.cognigy.com
    bots: {{support: bot_8f3a}}
    vars: {{pattern: 'STG-[0-9]+'}}
"""


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("COGCTL_ENV", raising=False)
    root = tmp_path / "project"
    (root / "manifests" / "slots").mkdir(parents=True)
    (root / "manifests" / "fixtures").mkdir()
    (root / "manifests" / "fixtures" / "tenant.yaml").write_text("settings: {}\n")
    (root / "manifests" / "cogctl.yaml").write_text(CONFIG.format(default="local"))
    (root / "manifests" / "slots" / "a.yaml").write_text(
        SLOT.format(name="order_number", pattern="${vars.pattern}")
    )
    return root / "manifests"


def _patterns(project: validating.Project) -> list[str]:
    return [p for m in project.manifests for p in getattr(m.manifest.spec, "patterns", [])]


def test_config_beside_the_manifests_maps_bots_and_fills_vars(project_dir: Path) -> None:
    project = validating.load_project([project_dir])

    assert project.ok, [d.render() for d in project.diagnostics]
    assert project.config_path == project_dir / "cogctl.yaml"
    assert project.environment == "local"
    assert project.bot_id("support") == "bot_support"
    assert project.bot_id("unmapped") == "unmapped"
    assert project.bots() == ("support",)
    assert _patterns(project) == ["ORD-[0-9]+"]
    env = project.environment_config
    assert env is not None
    assert env.emulator is not None
    assert env.emulator.fixture == "fixtures/tenant.yaml"


def test_config_is_found_in_a_parent_of_a_given_file(project_dir: Path) -> None:
    project = validating.load_project([project_dir / "slots" / "a.yaml"])
    assert project.ok
    assert project.config_path == project_dir / "cogctl.yaml"


@pytest.mark.parametrize(
    ("env", "environ", "default", "chosen", "bot", "pattern"),
    [
        ("staging", {}, "local", "staging", "bot_8f3a", "STG-[0-9]+"),
        (None, {"COGCTL_ENV": "staging"}, "local", "staging", "bot_8f3a", "STG-[0-9]+"),
        ("local", {"COGCTL_ENV": "staging"}, "staging", "local", "bot_support", "ORD-[0-9]+"),
        (None, {}, "staging", "staging", "bot_8f3a", "STG-[0-9]+"),
    ],
)
def test_environment_choice_order(
    project_dir: Path, env: str | None, environ: dict[str, str], default: str,
    chosen: str, bot: str, pattern: str,
) -> None:
    (project_dir / "cogctl.yaml").write_text(CONFIG.format(default=default))

    project = validating.load_project([project_dir], env=env, environ=environ)

    assert project.ok
    assert (project.environment, project.bot_id("support")) == (chosen, bot)
    assert _patterns(project) == [pattern]


def test_local_is_chosen_when_no_default(project_dir: Path) -> None:
    text = CONFIG.format(default="x").replace("defaultEnvironment: x\n", "")
    (project_dir / "cogctl.yaml").write_text(text)
    assert validating.load_project([project_dir], environ={}).environment == "local"


def test_the_only_environment_is_chosen(project_dir: Path) -> None:
    (project_dir / "cogctl.yaml").write_text(
        "environments:\n  prod:\n    vars: {pattern: 'P-1'}\n"
    )
    project = validating.load_project([project_dir], environ={})
    assert project.environment == "prod"
    assert _patterns(project) == ["P-1"]


@pytest.mark.parametrize(
    ("env", "environ", "source"),
    [("prod", {}, "--env"), (None, {"COGCTL_ENV": "qa"}, "COGCTL_ENV")],
)
def test_unknown_environment_names_the_choices(
    project_dir: Path, env: str | None, environ: dict[str, str], source: str
) -> None:
    project = validating.load_project([project_dir], env=env, environ=environ)

    assert not project.ok
    assert project.environment is None
    [first, *_] = project.diagnostics
    assert first.file == str(project_dir / "cogctl.yaml")
    assert (first.line, first.column) == (2, 1)
    assert f"from {source} (defined: local, staging)" in first.message


def test_explicit_config_overrides_discovery(project_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("environments:\n  qa:\n    bots: {support: bot_qa}\n    vars: {pattern: Q}\n")

    project = validating.load_project([project_dir], config=other, environ={})

    assert project.ok
    assert (project.config_path, project.environment) == (other, "qa")
    assert project.bot_id("support") == "bot_qa"


def test_no_config_means_logical_bots_are_bot_ids(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SLOT.format(name="a", pattern="x"))

    project = validating.load_project([tmp_path], environ={})

    assert project.ok
    assert (project.config, project.config_path, project.environment) == (None, None, None)
    assert project.bot_id("support") == "support"


def test_env_without_a_config_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SLOT.format(name="a", pattern="x"))
    project = validating.load_project([tmp_path], env="staging", environ={})
    assert ["needs a cogctl.yaml" in d.message for d in project.diagnostics] == [True]


def test_no_manifests_is_an_error(tmp_path: Path) -> None:
    project = validating.load_project([tmp_path], environ={})
    assert [d.message for d in project.diagnostics] == [
        "no manifests found (a manifest is a YAML file with apiVersion: cogctl/v1)"
    ]


def test_require_valid_returns_a_valid_project(project_dir: Path) -> None:
    project = validating.load_project([project_dir])
    assert validating.require_valid(project) is project


def test_require_valid_summarises_many_problems(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        SLOT.format(name="a", pattern="(a+)+$") + "---\n" + SLOT.format(name="b", pattern="[")
    )
    project = validating.load_project([tmp_path], environ={})

    with pytest.raises(errors.ManifestError, match=r"\(and 1 more; run cogctl validate\)"):
        validating.require_valid(project)


def test_cross_document_rules_ignore_documents_that_failed(tmp_path: Path) -> None:
    # b is invalid on its own; a's dependency on it must not also be called unknown.
    (tmp_path / "s.yaml").write_text(
        SLOT.format(name="a", pattern="a").replace("spec:\n", "spec:\n  dependencies: [b]\n")
        + "---\n" + SLOT.format(name="b", pattern="(b+)+$")
    )
    project = validating.load_project([tmp_path], environ={})
    assert [d.address for d in project.diagnostics] == ["Slot/support/b"]

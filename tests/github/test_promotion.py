"""Promotion: environments name what they follow; ``cogctl github environments`` orders them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pydantic
import pytest

from reconciler.manifests import models


def _config(**environments: dict[str, object]) -> models.ProjectConfig:
    return models.ProjectConfig.model_validate({"environments": environments})


@pytest.mark.parametrize(
    ("environments", "order"),
    [
        ({"prod": {"after": "staging"}, "staging": {}}, [("staging", None), ("prod", "staging")]),
        ({"a": {}, "b": {}}, [("a", None), ("b", None)]),
        ({"prod": {"after": "qa"}, "qa": {"after": "dev"}, "dev": {}},
         [("dev", None), ("qa", "dev"), ("prod", "qa")]),
    ],
)
def test_promotion_order_puts_every_predecessor_first(
    environments: dict[str, dict[str, object]], order: list[tuple[str, str | None]]
) -> None:
    assert _config(**environments).promotion_order() == order


@pytest.mark.parametrize(
    ("environments", "message"),
    [
        ({"prod": {"after": "stagign"}, "staging": {}}, "after: unknown environment 'stagign'"),
        ({"a": {"after": "b"}, "b": {"after": "a"}}, "after: promotion cycle a -> b -> a"),
        ({"a": {"after": "a"}}, "after: promotion cycle a -> a"),
    ],
)
def test_bad_promotion_is_refused(environments: dict[str, dict[str, object]],
                                  message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        _config(**environments)


def test_environments_prints_them_in_order_with_predecessors(tmp_path: Path) -> None:
    (tmp_path / "cogctl.yaml").write_text(
        "environments:\n"
        "  prod: {tenantUrl: https://prod.example.com, after: staging}\n"
        "  local: {emulator: {fixture: f.yaml}}\n"
        "  staging: {tenantUrl: https://staging.example.com}\n"
    )

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", "github", "environments", str(tmp_path), *args],
            capture_output=True, text=True, timeout=60, check=True)
        return done.stdout

    assert json.loads(run("--skip-emulator")) == ["staging", "prod"]
    assert json.loads(run("-o", "json", "--skip-emulator")) == [
        {"name": "staging", "after": None}, {"name": "prod", "after": "staging"}]
    assert run("-o", "text").splitlines() == ["staging", "prod (after staging)", "local"]

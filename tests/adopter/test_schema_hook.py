"""The manifest schema without ``discriminator``: every document of a multi-document file is
checked, and an error is that of the document's own kind only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from reconciler.manifests import schemacheck, schemagen

from .helpers import ROOT

TWO_DOCUMENTS = """\
apiVersion: cogctl/v1
kind: Slot
metadata: {name: a, bot: b}
spec: {patterns: ['\\\\d+'], fillStrategy: firstMatch}
---
apiVersion: cogctl/v1
kind: Slot
metadata: {name: c, bot: b}
spec: {patterns: ['\\\\d+'], fillStrategy: bestmatch}
"""


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schemagen.generate()["manifest.schema.json"])
    return schema


def test_the_schema_has_no_discriminator_but_one_if_then_per_kind() -> None:
    schema = _schema()
    assert "discriminator" not in json.dumps(schema)
    kinds = [rule["if"]["properties"]["kind"]["const"] for rule in schema["allOf"]]
    assert sorted(kinds) == ["ContextDefaults", "Integration", "SimulationSuite", "Slot"]


def test_an_error_in_the_second_document_names_that_document_and_kind(tmp_path: Path) -> None:
    path = tmp_path / "slots.yaml"
    path.write_text(TWO_DOCUMENTS)
    assert schemacheck.check(_schema(), path) == [
        f"{path}: document 2: spec.fillStrategy: 'bestmatch' is not one of "
        "['bestMatch', 'firstMatch', 'strict', 'fuzzy']"]
    assert schemacheck.main([str(path)]) == 1


def test_the_example_manifests_pass_the_schema_check() -> None:
    files = [str(p) for p in sorted((ROOT / "manifests").rglob("*.yaml"))
             if "fixtures" not in p.parts and p.name != "cogctl.yaml"]
    assert schemacheck.main(files) == 0


def test_pre_commit_hooks_are_declared() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    ids = {hook["id"]: hook for hook in hooks}
    assert set(ids) == {"cogctl-validate", "cogctl-schema"}
    assert ids["cogctl-validate"]["entry"] == "cogctl validate"
    assert ids["cogctl-schema"]["entry"] == "python -m reconciler.manifests.schemacheck"

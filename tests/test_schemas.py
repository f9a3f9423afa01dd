"""The JSON Schemas in schemas/: fresh, valid JSON Schema, and agreeing with the models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from reconciler.manifests import schemagen

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas"
KIND_SCHEMAS = {
    "Integration": "integration.schema.json",
    "Slot": "slot.schema.json",
    "ContextDefaults": "context-defaults.schema.json",
    "SimulationSuite": "simulation-suite.schema.json",
}


def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded


def _example_documents() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in sorted((ROOT / "manifests").rglob("*.yaml")):
        if "fixtures" in path.parts or path.name == "cogctl.yaml":
            continue
        documents.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return documents


def test_checked_in_schemas_are_fresh() -> None:
    assert schemagen.stale(SCHEMAS) == [], "run: python -m reconciler.manifests.schemagen"


def test_the_packaged_openapi_document_is_the_schemas_one_byte_for_byte() -> None:
    packaged = ROOT / "reconciler" / "emulator" / "platform" / "openapi.yaml"
    ai = ROOT / "reconciler" / "emulator" / "cognigy_ai" / "openapi.yaml"
    assert {"cognigy-api.openapi.yaml": packaged,
            "cognigy-ai.openapi.yaml": ai} == schemagen.PACKAGED
    assert packaged.read_bytes() == (SCHEMAS / "cognigy-api.openapi.yaml").read_bytes(), (
        "run: make schemas"
    )
    assert ai.read_bytes() == (SCHEMAS / "cognigy-ai.openapi.yaml").read_bytes(), (
        "run: make schemas"
    )
    assert schemagen.stale_copies(SCHEMAS) == []


def test_stale_copies_detects_a_changed_source(tmp_path: Path) -> None:
    (tmp_path / "cognigy-api.openapi.yaml").write_text("openapi: 3.1.0\n")
    (tmp_path / "cognigy-ai.openapi.yaml").write_text("openapi: 3.1.0\n")
    assert schemagen.stale_copies(tmp_path) == list(schemagen.PACKAGED.values())


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["--bogus"], ["extra"]])
def test_usage_and_unknown_arguments_write_nothing(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(*args: object) -> list[Path]:
        raise AssertionError("wrote files")

    monkeypatch.setattr(schemagen, "write", refuse)
    monkeypatch.setattr(schemagen, "copy_packaged", refuse)
    with pytest.raises(SystemExit) as exited:
        schemagen.main(argv)
    out, err = capsys.readouterr()
    assert "usage: python -m reconciler.manifests.schemagen" in out + err
    assert exited.value.code == (0 if argv[0] in ("--help", "-h") else 2)


def test_check_reports_fresh_files_with_exit_0() -> None:
    assert schemagen.main(["--check"]) == 0


def test_stale_detects_a_changed_file(tmp_path: Path) -> None:
    schemagen.write(tmp_path)
    assert schemagen.stale(tmp_path) == []
    (tmp_path / "slot.schema.json").write_text("{}\n")
    (tmp_path / "manifest.schema.json").unlink()
    assert sorted(schemagen.stale(tmp_path)) == ["manifest.schema.json", "slot.schema.json"]


@pytest.mark.parametrize("name", sorted(schemagen.generate()))
def test_schemas_are_valid_json_schema(name: str) -> None:
    schema = _schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_example_manifests_satisfy_their_schemas() -> None:
    documents = _example_documents()
    assert len(documents) >= 10
    any_kind = jsonschema.Draft202012Validator(_schema("manifest.schema.json"))
    for document in documents:
        # Placeholders are strings wherever a manifest uses them; the examples only put them
        # where strings go, so the schemas hold for the unsubstituted text too.
        any_kind.validate(document)
        jsonschema.Draft202012Validator(_schema(KIND_SCHEMAS[document["kind"]])).validate(
            document
        )


def test_project_file_satisfies_its_schema() -> None:
    config = yaml.safe_load((ROOT / "manifests" / "cogctl.yaml").read_text())
    jsonschema.Draft202012Validator(_schema("cogctl-project.schema.json")).validate(config)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["spec"].update(fillStrategy="longest"), ["spec", "fillStrategy"]),
        (lambda d: d["spec"].update(extra=1), ["spec"]),
        (lambda d: d["spec"].update(patterns=[]), ["spec", "patterns"]),
        (lambda d: d.update(kind="Slott"), ["kind"]),
        (lambda d: d["metadata"].pop("bot"), ["metadata"]),
    ],
)
def test_schema_refuses_what_the_models_refuse(change: Any, path: list[str]) -> None:
    document = {
        "apiVersion": "cogctl/v1", "kind": "Slot",
        "metadata": {"name": "sku", "bot": "orders"}, "spec": {"patterns": ["SKU-1"]},
    }
    any_kind = jsonschema.Draft202012Validator(_schema("manifest.schema.json"))
    slot = jsonschema.Draft202012Validator(_schema("slot.schema.json"))
    assert list(any_kind.iter_errors(document)) == list(slot.iter_errors(document)) == []
    change(document)
    assert list(any_kind.iter_errors(document))
    errors = list(slot.iter_errors(document))
    assert any(list(error.absolute_path) == path for error in errors), errors

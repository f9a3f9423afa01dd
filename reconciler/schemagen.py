"""JSON Schemas of the manifest kinds and of cogctl.yaml, generated from ``models``.

``python -m reconciler.schemagen`` rewrites ``schemas/*.schema.json``; ``--check`` only
reports whether the checked-in files are stale (exit 1). Editors pick the schemas up
through a ``# yaml-language-server: $schema=...`` comment at the top of a manifest.

The schemas carry what JSON Schema can say (types, enums, ranges, patterns, required and
unknown keys); rules it cannot express (regex safety, literal credentials, JMESPath, cross-
document rules, ``${vars.NAME}``) are checked by ``cogctl validate``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pydantic

from reconciler import models

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent / "schemas"

_TARGETS: dict[str, tuple[Any, str, str]] = {
    "manifest.schema.json": (
        models.Manifest, "cogctl manifest",
        "Any cogctl/v1 manifest document: Integration, Slot, ContextDefaults or "
        "SimulationSuite (chosen by kind).",
    ),
    "integration.schema.json": (
        models.Integration, "cogctl Integration", "An external API a Cognigy bot calls.",
    ),
    "slot.schema.json": (
        models.Slot, "cogctl Slot", "A slot of a Cognigy bot: patterns that fill it.",
    ),
    "context-defaults.schema.json": (
        models.ContextDefaults, "cogctl ContextDefaults",
        "Default context variables of a Cognigy bot (one document per bot).",
    ),
    "simulation-suite.schema.json": (
        models.SimulationSuite, "cogctl SimulationSuite",
        "Simulated conversations a bot must pass after an apply.",
    ),
    "cogctl-project.schema.json": (
        models.ProjectConfig, "cogctl project file (cogctl.yaml)",
        "Environments, the logical bot mapping per environment, and ${vars.NAME} values.",
    ),
}


def _schema(target: Any, title: str, description: str) -> dict[str, Any]:
    body = pydantic.TypeAdapter(target).json_schema(mode="validation")
    return {"$schema": SCHEMA_DIALECT, "title": title, "description": description, **{
        key: value for key, value in body.items() if key not in ("title", "description")
    }}


def generate() -> dict[str, str]:
    """File name -> file text of every schema, deterministic (sorted keys, final newline)."""
    return {
        name: json.dumps(_schema(*target), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for name, target in _TARGETS.items()
    }


def stale(directory: Path = DEFAULT_DIRECTORY) -> list[str]:
    """Names of schema files that are missing or differ from what the models generate."""
    found = []
    for name, text in generate().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            found.append(name)
    return found


def write(directory: Path = DEFAULT_DIRECTORY) -> list[Path]:
    """Write every schema into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generate().items():
        path = directory / name
        temporary = path.with_suffix(".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    directory = DEFAULT_DIRECTORY
    if "--check" in args:
        names = stale(directory)
        for name in names:
            sys.stderr.write(f"stale: {directory / name} (run python -m reconciler.schemagen)\n")
        return 1 if names else 0
    for path in write(directory):
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

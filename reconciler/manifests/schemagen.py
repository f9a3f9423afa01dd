"""JSON Schemas of the manifest kinds and of cogctl.yaml, generated from ``models``.

``python -m reconciler.manifests.schemagen`` rewrites ``schemas/*.schema.json`` and refreshes the
packaged copy of the Platform API document
(``reconciler/emulator/platform/openapi.yaml``, served by the emulator;
``schemas/cognigy-api.openapi.yaml`` is the one source); ``--check`` only reports whether any
of them is stale (exit 1). Editors pick the schemas up through a
``# yaml-language-server: $schema=...`` comment at the top of a manifest.

The schemas carry what JSON Schema can say (types, enums, ranges, patterns, required and
unknown keys); rules it cannot express (regex safety, literal credentials, JMESPath, cross-
document rules, ``${vars.NAME}``) are checked by ``cogctl validate``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pydantic

from reconciler import fileio, jsontypes
from reconciler.manifests import models

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_PACKAGE = Path(__file__).resolve().parents[1]
DEFAULT_DIRECTORY = _PACKAGE.parent / "schemas"
# Files edited in schemas/ and shipped inside the package (where an installed wheel finds
# them): source name -> packaged copy, kept byte-identical by ``copy_packaged``.
PACKAGED: dict[str, Path] = {
    "cognigy-api.openapi.yaml": _PACKAGE / "emulator" / "platform" / "openapi.yaml",
    "cognigy-ai.openapi.yaml": _PACKAGE / "emulator" / "cognigy_ai" / "openapi.yaml",
}

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


def _plain_kinds(body: dict[str, Any]) -> dict[str, Any]:
    """Replace OpenAPI's ``discriminator`` (which plain JSON Schema validators ignore, so an
    error blames every kind) by one ``if kind is K then K's schema`` per kind: a validator
    (yaml-language-server, check-jsonschema) then reports the errors of the right kind only."""
    discriminator = body.pop("discriminator", None)
    if discriminator is None:
        return body
    body.pop("oneOf", None)
    key = discriminator["propertyName"]
    mapping = discriminator["mapping"]
    return {
        **body,
        "type": "object",
        "required": [key],
        "properties": {key: {"enum": list(mapping), "description": "The manifest kind."}},
        "allOf": [
            {"if": {"properties": {key: {"const": kind}}, "required": [key]},
             "then": {"$ref": ref}}
            for kind, ref in mapping.items()
        ],
    }


def _schema(target: Any, title: str, description: str) -> dict[str, Any]:
    body = _plain_kinds(pydantic.TypeAdapter(target).json_schema(mode="validation"))
    return {"$schema": SCHEMA_DIALECT, "title": title, "description": description, **{
        key: value for key, value in body.items() if key not in ("title", "description")
    }}


def generate() -> dict[str, str]:
    """File name -> file text of every schema, deterministic (sorted keys, final newline)."""
    return {
        name: jsontypes.dumps(_schema(*target), indent=2, sort_keys=True) + "\n"
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
    written = []
    for name, text in generate().items():
        path = directory / name
        fileio.write_atomic(path, text, mode=0o644)
        written.append(path)
    return written


def stale_copies(directory: Path = DEFAULT_DIRECTORY) -> list[Path]:
    """Packaged copies that are missing or differ byte for byte from their source."""
    return [copy for name, copy in PACKAGED.items()
            if not copy.is_file() or copy.read_bytes() != (directory / name).read_bytes()]


def copy_packaged(directory: Path = DEFAULT_DIRECTORY) -> list[Path]:
    """Refresh every packaged copy from its source in ``directory``; returns the copies."""
    for name, copy in PACKAGED.items():
        fileio.write_atomic(copy, (directory / name).read_bytes(), mode=0o644)
    return list(PACKAGED.values())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reconciler.manifests.schemagen",
        description="Regenerate schemas/*.schema.json from the models and refresh the copies "
                    "of schemas/ files shipped in the package.",
    )
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a file is stale")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(DEFAULT_DIRECTORY, check=args.check)
    except OSError as exc:
        sys.stderr.write(f"error: {exc.filename or DEFAULT_DIRECTORY}: {exc.strerror or exc}"
                         " (run it from a source checkout)\n")
        return 1


def _run(directory: Path, *, check: bool) -> int:
    if check:
        names = [str(directory / name) for name in stale(directory)]
        names += [str(copy) for copy in stale_copies(directory)]
        for name in names:
            sys.stderr.write(f"stale: {name} (run python -m reconciler.manifests.schemagen)\n")
        return 1 if names else 0
    for path in [*write(directory), *copy_packaged(directory)]:
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Every document of multi-document YAML files against a JSON Schema (the ``cogctl-schema``
pre-commit hook): ``python -m reconciler.manifests.schemacheck [--schema FILE] FILES``.

check-jsonschema reads one document per file; manifests hold several. Without ``--schema``
the schema of the installed cogctl (``schemagen``) is used. One line per problem,
``file: document N: field.path: message``; exit 1 when any is found.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import yaml

from reconciler.manifests import schemagen


def check(schema: dict[str, Any], path: Path) -> list[str]:
    """One line per problem of every document of ``path``."""
    validator = jsonschema.Draft202012Validator(schema)
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [f"{path}: cannot read: {exc}"]
    problems = []
    for number, document in enumerate(documents, start=1):
        if document is None:
            continue
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path)):
            where = ".".join(str(part) for part in error.absolute_path) or "(document)"
            problems.append(f"{path}: document {number}: {where}: {error.message}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reconciler.manifests.schemacheck")
    parser.add_argument("--schema", type=Path, help="JSON Schema file (default: cogctl's own)")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.schema is not None:
        schema = json.loads(args.schema.read_text(encoding="utf-8"))
    else:
        schema = json.loads(schemagen.generate()["manifest.schema.json"])
    problems = [line for path in args.files for line in check(schema, path)]
    for line in problems:
        sys.stdout.write(line + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

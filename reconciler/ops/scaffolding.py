"""``cogctl init``: a new project for an adopter's repository, as files, written all or none.

What it writes under the project folder (``DIR``, default the working directory):

- ``cogctl.yaml``: a ``local`` environment on the embedded emulator and a ``staging`` one,
  both on the API ``--api`` names (the Platform API, or Cognigy.AI's v2.0 API);
- ``manifests/example/``: one example manifest per kind, the same for either API (nothing in
  them that ``api: cognigy-ai`` refuses), each document with its own
  ``# yaml-language-server: $schema=`` comment (the editor checks every document);
- ``fixtures/local-tenant.yaml``: the emulator tenant the ``local`` environment runs against,
  in the fixture format of that API's emulator;
- ``schemas/``: the JSON Schemas of this cogctl version, for editors and the schema hook;
- ``.pre-commit-config.yaml``: the ``cogctl-validate`` and ``cogctl-schema`` hooks;
- ``.github/workflows/cogctl-{plan,apply,drift}.yml``: callers of the reusable workflow
  ``OWNER/cognigy-reconciler/.github/workflows/cogctl.yml@v<version>``;
- ``.gitignore`` (only when there is none): cogctl's local state folder.

The templates are package data (``reconciler/data/init``); ``build`` renders them without
touching the disk, ``write`` refuses to overwrite an existing file unless forced.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from reconciler import __version__, errors
from reconciler.manifests import schemagen
from reconciler.ops import exporting

DEFAULT_WORKFLOW_REPO = "cognigy-reconciler/cognigy-reconciler"
_TEMPLATES = "data/init"

# template -> where it goes in the project
_FILES: dict[str, str] = {
    "cogctl.yaml": "cogctl.yaml",
    "integration.yaml": "manifests/example/integration.yaml",
    "slots.yaml": "manifests/example/slots.yaml",
    "context.yaml": "manifests/example/context.yaml",
    "suite.yaml": "manifests/example/suite.yaml",
    "local-tenant.yaml": "fixtures/local-tenant.yaml",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "cogctl-plan.yml": ".github/workflows/cogctl-plan.yml",
    "cogctl-apply.yml": ".github/workflows/cogctl-apply.yml",
    "cogctl-drift.yml": ".github/workflows/cogctl-drift.yml",
}
_OPTIONAL = {"gitignore": ".gitignore"}  # written only where none exists
# api -> {template in _FILES -> the template that replaces it}: only the environments and
# the emulator fixture differ; the manifests are one set valid on either API.
_API_TEMPLATES: dict[str, dict[str, str]] = {
    "platform": {},
    "cognigy-ai": {"cogctl.yaml": "cognigy-ai.cogctl.yaml",
                   "local-tenant.yaml": "cognigy-ai.local-tenant.yaml"},
}
APIS = tuple(_API_TEMPLATES)


@dataclasses.dataclass(frozen=True)
class InitOptions:
    api: str = "platform"
    workflow_repo: str = DEFAULT_WORKFLOW_REPO
    version: str = __version__


def _template(name: str) -> str:
    return (resources.files("reconciler") / _TEMPLATES / name).read_text(encoding="utf-8")


def _check(options: InitOptions) -> None:
    if options.api not in APIS:
        raise errors.ConfigError(f"unknown api {options.api!r}", hint=f"use one of: "
                                 f"{', '.join(APIS)}")
    owner, _, name = options.workflow_repo.partition("/")
    if not owner or not name or "/" in name or any(c.isspace() for c in options.workflow_repo):
        raise errors.ConfigError(
            f"--workflow-repo {options.workflow_repo!r} is not OWNER/NAME",
            hint=f"e.g. {DEFAULT_WORKFLOW_REPO}",
        )


def build(options: InitOptions = InitOptions()) -> dict[str, str]:
    """Relative path -> file text of the whole scaffold (``.gitignore`` included)."""
    _check(options)
    values = {
        "@@VERSION@@": options.version,
        "@@WORKFLOW_REPO@@": options.workflow_repo,
        "@@MANIFESTS@@": "manifests",
        "@@PATHS_GLOB@@": "manifests/**",
    }
    files: dict[str, str] = {}
    overrides = _API_TEMPLATES[options.api]
    for template, target in {**_FILES, **_OPTIONAL}.items():
        text = _template(overrides.get(template, template))
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        files[target] = text
    for name, text in schemagen.generate().items():
        files[f"schemas/{name}"] = text
    return files


def write(root: Path, files: Mapping[str, str], *, force: bool = False) -> list[Path]:
    """Write the scaffold under ``root``: every file whole, or none (an existing one refused).

    ``.gitignore`` is left alone where it exists, whatever ``force`` says.
    """
    wanted = {path: text for path, text in files.items()
              if not (path in _OPTIONAL.values() and (root / path).exists())}
    return exporting.write_export(
        root, wanted, force=force, hint="pass --force to overwrite, or init another folder"
    )

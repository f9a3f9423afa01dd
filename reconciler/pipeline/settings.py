"""What every command that reads manifests or talks to a target is told: where the
manifests are, which environment, and where to record what happened.

Kept apart from ``running`` so that reading options costs no import of the HTTP client.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.manifests import validating

DEFAULT_PATHS = validating.DEFAULT_PATHS


@dataclass(frozen=True)
class Settings:
    """Where the manifests are, which target, and where to record what happened."""

    paths: tuple[Path, ...] = DEFAULT_PATHS
    env: str | None = None
    config: Path | None = None
    emulator_fixture: Path | None = None
    audit_log: Path | None = None
    metrics_file: Path | None = None

    @property
    def project_file(self) -> Path | None:
        """The project file the manifests load with: state and audit log are anchored
        beside it."""
        return self.config or validating.find_config(list(self.paths))

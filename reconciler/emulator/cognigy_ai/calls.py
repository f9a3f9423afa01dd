"""``Call`` (one request as a handler sees it) and ``Endpoint`` (a handler at a path)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pydantic import JsonValue

from reconciler.emulator.cognigy_ai import wire
from reconciler.emulator.cognigy_ai.records import Doc
from reconciler.emulator.cognigy_ai.state import TenantState


@dataclass
class Call:
    state: TenantState
    user: str
    now: float
    params: Mapping[str, str]
    query: Mapping[str, str]
    body: JsonValue
    path: str = ""

    def project(self, project_id: object, name: str = "projectId") -> Doc:
        if not isinstance(project_id, str) or not project_id:
            raise wire.missing(name)
        return self.state.get("project", project_id, "Project")

    def scope(self) -> str | None:
        """``?projectId=`` if given (the project must exist)."""
        wanted = self.query.get("projectId")
        if wanted:
            self.project(wanted)
            return wanted
        return None

    def doc(self, kind: str, param: str, what: str, *, parent: str | None = None) -> Doc:
        return self.state.get(kind, self.params[param], what, parent=parent)


Handler = Callable[[Call], wire.Answer]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    operation: str  # the official client's function name

"""The OpenAPI document and the emulator describe the same operations with the same scopes,
and every operation documents the contract's common answers and headers."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from reconciler.emulator.platform import app

DOC: dict[str, Any] = yaml.safe_load(app.OPENAPI_PATH.read_text(encoding="utf-8"))
OPERATIONS = [
    (method.upper(), path, op)
    for path, item in DOC["paths"].items()
    for method, op in item.items()
    if method != "parameters"
]


def test_the_document_is_openapi_3_1_with_oauth2_client_credentials() -> None:
    assert DOC["openapi"] == "3.1.0"
    flow = DOC["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/api/v1/auth/oauth/token"
    assert {"cognigy:platform:read", "context:write", "session:read"} <= set(flow["scopes"])


def test_documented_operations_are_the_served_ones() -> None:
    served = {(ep.method, ep.path) for ep in app.ENDPOINTS}
    assert {(method, path) for method, path, _ in OPERATIONS} == served


@pytest.mark.parametrize("endpoint", app.ENDPOINTS, ids=lambda ep: f"{ep.method} {ep.path}")
def test_scopes_match(endpoint: Any) -> None:
    op = DOC["paths"][endpoint.path][endpoint.method.lower()]
    documented = [s for requirement in op["security"] for s in requirement.get("oauth2", [])]
    assert tuple(documented) == endpoint.scopes


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS,
                         ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_operation_documents_rate_limits_and_errors(
    method: str, path: str, op: dict[str, Any]
) -> None:
    responses = op["responses"]
    assert "429" in responses
    assert "503" in responses
    if op.get("security") != []:  # the token request and its aliases need no token
        assert {"401", "403"} <= set(responses)
    for status, response in responses.items():
        headers = response.get("headers") or DOC["components"]["responses"][
            response["$ref"].rsplit("/", 1)[1]]["headers"]
        assert "X-RateLimit-Remaining" in headers, (method, path, status)

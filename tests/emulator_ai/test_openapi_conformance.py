"""schemathesis drives every operation of the Cognigy.AI OpenAPI document against the
emulator served over real HTTP (uvicorn in a thread), and checks status codes, headers and
bodies against the document (the file the emulator serves at ``/openapi.json``)."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from reconciler.emulator.cognigy_ai import TenantState, app, create_app
from reconciler.emulator.platform import serving

from .conftest import FLOW, KEY, LOCALE, PROJECT, TENANT

schema = schemathesis.openapi.from_path(str(app.OPENAPI_PATH))

# Random ids only reach 404s, so every other draw of a read uses a real id of the tenant.
REAL_IDS = {"projectId": PROJECT, "flowId": FLOW, "localeId": LOCALE,
            "sessionId": "sess_demo_1", "profileId": "65f0c0ffee0000000000d001"}
_DRAWS: collections.Counter[tuple[str, str]] = collections.Counter()


@schema.hook("map_path_parameters")
def _real_path_ids(ctx: Any, values: dict[str, Any] | None) -> dict[str, Any] | None:
    if not values or ctx.operation.method.upper() != "GET":
        return values
    _DRAWS[(ctx.operation.path, "path")] += 1
    if _DRAWS[(ctx.operation.path, "path")] % 2:
        return values
    return {name: REAL_IDS.get(name, value) for name, value in values.items()}


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    state = TenantState.from_fixture(TENANT)
    state.settings.rateLimitRequests = 1_000_000
    with serving.serve_in_thread(create_app(state)) as handle:
        yield handle.url


def test_the_served_document_is_the_file(served: str) -> None:
    served_doc = httpx.get(f"{served}/openapi.json").json()
    assert served_doc == yaml.safe_load(app.OPENAPI_PATH.read_text(encoding="utf-8"))
    assert served_doc["openapi"].startswith("3.1")


def test_every_served_endpoint_is_documented() -> None:
    doc = yaml.safe_load(app.OPENAPI_PATH.read_text(encoding="utf-8"))
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    served = {(e.method, "/new/v2.0" + e.path) for e in app.ENDPOINTS}
    assert documented == served


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms(case: Any, served: str) -> None:
    # The document's request schemas are the client's types, looser than what the emulator
    # accepts (ids must exist, cursors must be its own), so a 400 for generated data is
    # expected; server errors and answers outside the document are not.
    case.call_and_validate(base_url=served, headers={"X-API-Key": KEY},
                           excluded_checks=[positive_data_acceptance])


@pytest.mark.slow
def test_reads_reached_real_objects(served: str) -> None:
    """Runs after the generated cases: reads of real ids answered 200 and were validated."""
    log = httpx.get(f"{served}/_emulator/requests").json()
    answered = {e["path"] for e in log if e["method"] == "GET" and e["status"] == 200}
    for path in (f"/new/v2.0/projects/{PROJECT}", f"/new/v2.0/flows/{FLOW}",
                 f"/new/v2.0/flows/{FLOW}/chart", "/new/v2.0/sessions/sess_demo_1/state"):
        assert path in answered, path

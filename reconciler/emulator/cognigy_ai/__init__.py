"""A local Cognigy.AI tenant: Cognigy.AI's own v2.0 REST API as a Starlette app.

``TenantState`` is the whole tenant (JSON-serialisable, seeded from a YAML fixture);
``create_app`` serves it, in-process (``httpx.ASGITransport``) or over uvicorn
(``reconciler.emulator.platform.serving``, ``cogctl emulator serve --api cognigy-ai``).
Tasks (training, playbook runs, snapshots) and rate-limit windows are derived from the
injected clock and stored timestamps, never from background work.
"""

from reconciler.emulator.cognigy_ai.app import create_app
from reconciler.emulator.cognigy_ai.state import TenantState

__all__ = ["TenantState", "create_app"]

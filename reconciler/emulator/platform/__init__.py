"""A local Cognigy tenant: the Platform API contract as a Starlette app.

``TenantState`` is the whole tenant (JSON-serialisable, seeded from a YAML fixture);
``create_app`` serves it, in-process (``httpx.ASGITransport``) or over uvicorn
(``serving.serve_in_thread``, ``cogctl emulator serve``). All time-dependent behaviour
(training, simulations, token expiry, rate-limit windows) is derived from the injected clock
and stored timestamps, never from background tasks.
"""

from reconciler.emulator.platform.app import create_app
from reconciler.emulator.platform.faults import ConnectionDropped
from reconciler.emulator.platform.serving import ServerHandle, serve_in_thread
from reconciler.emulator.platform.state import TenantState

__all__ = ["ConnectionDropped", "ServerHandle", "TenantState", "create_app", "serve_in_thread"]

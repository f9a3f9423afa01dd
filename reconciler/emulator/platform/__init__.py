"""A local Cognigy tenant: the Platform API contract as a Starlette app.

``TenantState`` is the whole tenant (JSON-serialisable, seeded from a YAML fixture);
``create_app`` serves it, in-process (``httpx.ASGITransport``) or over uvicorn
(``serving.serve_in_thread``, ``cogctl emulator serve``). All time-dependent behaviour
(training, simulations, token expiry, rate-limit windows) is derived from the injected clock
and stored timestamps, never from background tasks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.platform.app import create_app
from reconciler.emulator.platform.faults import ConnectionDropped
from reconciler.emulator.platform.state import TenantState

if TYPE_CHECKING:
    from reconciler.emulator.platform.serving import ServerHandle, serve_in_thread


def __getattr__(name: str) -> Any:
    """``serving`` (and uvicorn with it) loads only when a real server is wanted."""
    if name in ("ServerHandle", "serve_in_thread"):
        from reconciler.emulator.platform import serving

        return getattr(serving, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ConnectionDropped", "ServerHandle", "TenantState", "create_app", "serve_in_thread"]

"""The embedded Cognigy.AI emulator as a backend: ``CognigyAiBackend`` over
an in-process ASGI transport, as ``backend.embedded`` does for the Platform emulator.

State is read from ``state_path`` if present, else seeded from the fixture, and saved
atomically when the block ends, failed or not, since writes happened. The key is
``COGNIGY_API_KEY`` when set, else the fixture's first key. Requests are paced to the
emulator's own quota (its fixture's ``settings.rateLimitRequests`` per
``rateLimitWindowSeconds``), or to the environment's ``rateLimitPerMinute`` when set: the
documented 1,000 per 5 minutes is a real tenant's. The emulator is imported only here and
only when a command opens it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import errors
from reconciler.backend import base
from reconciler.backend import embedded as platform_embedded
from reconciler.backend.cognigy_ai import adapter, http
from reconciler.backend.httpkit import sending
from reconciler.manifests import projects

if TYPE_CHECKING:
    from reconciler.emulator.cognigy_ai import state as emulator_state

BASE_URL = "http://cognigy-ai.emulator.cogctl.invalid"
STATE_FILE = "local-cognigy-ai.json"


def _load_state(fixture: Path | None, state_path: Path) -> emulator_state.TenantState:
    from reconciler.emulator.cognigy_ai import state as emulator_state

    return platform_embedded.load_or_seed(
        emulator_state.TenantState, fixture, state_path, missing=errors.ConfigError(
            f"no Cognigy.AI tenant to talk to: the environment has api: {adapter.API_NAME} "
            "but neither baseUrl nor emulator.fixture",
            hint="set baseUrl (with COGNIGY_API_KEY) or emulator: {fixture: FILE}"))[0]


def _key(state: emulator_state.TenantState, env: Mapping[str, str]) -> str:
    given = env.get(http.ENV_API_KEY)
    if given:
        return given
    if not state.fixture.apiKeys:
        raise errors.ConfigError("the emulator fixture defines no API key",
                                 hint="add apiKeys: [{key, userId}] to the fixture")
    return state.fixture.apiKeys[0].key


def quota_per_minute(state: emulator_state.TenantState) -> int:
    """The emulator's quota as a pace per minute (at least one)."""
    window = state.settings.rateLimitWindowSeconds
    return max(1, int(state.settings.rateLimitRequests * 60 // window))


@contextlib.asynccontextmanager
async def open_embedded(
    *,
    fixture: Path | None,
    state_path: Path,
    bots: Mapping[str, projects.CognigyAiBot],
    observers: Sequence[base.RequestObserver] = (),
    env: Mapping[str, str],
    manifests: Sequence[object] = (),
    limit_per_minute: int | None = None,
) -> AsyncIterator[tuple[adapter.CognigyAiBackend, str]]:
    """A backend on the in-process v2 emulator and the line that describes it."""
    from reconciler.emulator import cognigy_ai as emulator

    state = _load_state(fixture, state_path)
    app = emulator.create_app(state)
    backend = adapter.CognigyAiBackend(
        base_url=BASE_URL, api_key=_key(state, env), bots=bots,
        transport=sending.asgi_transport(app), observers=observers, manifests=manifests,
        limit_per_minute=limit_per_minute or quota_per_minute(state))
    try:
        yield backend, "Cognigy.AI " + platform_embedded.describe(fixture, state_path)
    finally:
        try:
            await backend.aclose()
        finally:
            try:
                state.save(state_path)
            except OSError as exc:
                raise errors.ConfigError(
                    f"{state_path}: cannot save the emulator state: {exc.strerror}",
                    hint="check the directory is writable") from None

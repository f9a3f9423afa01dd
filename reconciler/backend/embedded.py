"""The embedded emulator as a backend: ``PlatformBackend`` over an in-process ASGI transport.

The same client code as against a real tenant (tokens, retries, rate limit, error mapping)
talks to ``reconciler.emulator.platform.create_app`` in-process, so a dry run on a laptop exercises
what CI will. State is read from ``state_path`` if present, else seeded from the fixture;
it is saved atomically when the block ends, also after a failure, since writes happened.
The emulator is imported only here and only when a command opens it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from reconciler import errors
from reconciler.backend import base, client
from reconciler.backend.httpkit import sending

if TYPE_CHECKING:
    from reconciler.emulator.platform import state as emulator_state

BASE_URL = "http://emulator.cogctl.invalid"
ENV_CLIENT_ID = "COGNIGY_CLIENT_ID"
ENV_CLIENT_SECRET = "COGNIGY_CLIENT_SECRET"



S_co = TypeVar("S_co", covariant=True)


class StateType(Protocol[S_co]):
    """An emulator's ``TenantState`` class: loaded from its saved JSON, or seeded."""

    def load(self, path: Path) -> S_co: ...

    def from_fixture(self, path: Path) -> S_co: ...


def load_or_seed(states: StateType[S_co], fixture: Path | None, state_path: Path | None, *,
                 missing: errors.ConfigError) -> tuple[S_co, bool]:
    """(state, loaded): the saved state when ``state_path`` exists, else seeded from the
    fixture; ``missing`` is raised when there is neither. The one rule of both embedded
    emulators and ``emulator serve``."""
    if state_path is not None and state_path.exists():
        return states.load(state_path), True
    if fixture is None:
        raise missing
    return states.from_fixture(fixture), False


def _load_state(fixture: Path | None, state_path: Path) -> emulator_state.TenantState:
    from reconciler.emulator.platform import state as emulator_state

    return load_or_seed(emulator_state.TenantState, fixture, state_path, missing=errors.ConfigError(
        "no tenant to talk to: COGNIGY_TENANT_URL is not set and no emulator fixture is "
        "configured",
        hint="set COGNIGY_TENANT_URL (with COGNIGY_CLIENT_ID and COGNIGY_CLIENT_SECRET), "
        "or give --emulator-fixture FILE or environments.<env>.emulator.fixture in "
        "cogctl.yaml",
    ))[0]


def _credentials(
    state: emulator_state.TenantState, env: Mapping[str, str]
) -> tuple[str, str]:
    """``COGNIGY_CLIENT_ID`` (its secret from the environment or the state), else the first."""
    wanted = env.get(ENV_CLIENT_ID)
    if wanted:
        secret = env.get(ENV_CLIENT_SECRET)
        if not secret and wanted in state.clients:
            secret = state.clients[wanted].clientSecret
        if not secret:
            raise errors.ConfigError(
                f"{ENV_CLIENT_ID}={wanted} is not a client of the emulator fixture and "
                f"{ENV_CLIENT_SECRET} is not set",
                hint=f"set {ENV_CLIENT_SECRET}, or unset {ENV_CLIENT_ID} to use the first client",
            )
        return wanted, secret
    if not state.clients:
        raise errors.ConfigError(
            "the emulator fixture defines no OAuth client",
            hint="add workspaces[0].clients[0] {clientId, clientSecret, scopes} to the fixture",
        )
    first = next(iter(state.clients.values()))
    return first.clientId, first.clientSecret


def _save(state: emulator_state.TenantState, state_path: Path) -> None:
    try:
        state.save(state_path)
    except OSError as exc:
        raise errors.ConfigError(
            f"{state_path}: cannot save the emulator state: {exc.strerror}",
            hint="check the directory is writable, or pass another state directory",
        ) from None


def describe(fixture: Path | None, state_path: Path) -> str:
    where = f"state {state_path}"
    if fixture is not None:
        where += f", fixture {fixture}"
    return f"embedded emulator ({where})"


@contextlib.asynccontextmanager
async def open_embedded(
    *,
    fixture: Path | None,
    state_path: Path,
    scopes: Collection[str],
    observers: Sequence[base.RequestObserver] = (),
    env: Mapping[str, str],
    rate_limit_per_minute: int | None = None,
) -> AsyncIterator[tuple[client.PlatformBackend, str]]:
    """A backend on the in-process emulator and the line that describes it."""
    from reconciler.emulator import platform as emulator

    state = _load_state(fixture, state_path)
    client_id, secret = _credentials(state, env)
    app = emulator.create_app(state)
    backend = client.PlatformBackend(
        base_url=BASE_URL,
        client_id=client_id,
        client_secret=secret,
        scopes=scopes,
        transport=sending.asgi_transport(app),
        rate_limit_per_minute=rate_limit_per_minute,
        observers=observers,
    )
    try:
        yield backend, describe(fixture, state_path)
    finally:
        try:
            await backend.aclose()
        finally:
            _save(state, state_path)

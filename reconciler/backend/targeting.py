"""Which tenant a command talks to, with which credentials and scopes: a ``Target``.

Rules (``shared/interfaces.md``, "Target and environments"): credentials come only from the
environment (``COGNIGY_CLIENT_ID``, ``COGNIGY_CLIENT_SECRET``); ``COGNIGY_TENANT_URL`` and
``COGNIGY_TOKEN_URL`` override the environment's ``tenantUrl`` and ``tokenUrl`` in
cogctl.yaml. With no tenant URL from either, the command runs against the embedded emulator
in-process: its state lives in ``<state_dir>/local-tenant.json``, seeded on first use from
the environment's ``emulator.fixture`` (relative to cogctl.yaml) or ``--emulator-fixture``,
and is saved atomically when the command ends, failed or not, since writes happened.

An environment with ``api: cognigy-ai`` talks Cognigy.AI's v2.0 REST API instead
(``backend.cognigy_ai``): ``baseUrl`` (``COGNIGY_BASE_URL`` overrides it) with the key from
``COGNIGY_API_KEY`` only, or, with no base URL, the embedded v2 emulator (state
``<state_dir>/local-cognigy-ai.json``, seeded from ``emulator.fixture``). Scopes do not
apply there: an API key acts as its user.

Each command asks for the scopes it needs and no more: plan, validate, drift and export
read; apply asks for what its plan writes (``scopes_for_apply``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler import errors, statedir
from reconciler.backend import base, client, embedded
from reconciler.manifests import models, projects, rules

SCOPE_READ = "cognigy:platform:read"
SCOPES_READ: frozenset[str] = frozenset({SCOPE_READ})
SCOPES_SIMULATE: frozenset[str] = frozenset({SCOPE_READ, "simulation:execute"})
SCOPES_SESSION_VARS: frozenset[str] = frozenset({"session:read", "variable:read"})
SCOPES_CONTEXT_INJECT: frozenset[str] = frozenset({"conversation:read", "context:write"})

# Manifest kind -> the scope its writes need.
_WRITE_SCOPES: dict[str, str] = {
    "Integration": "cognigy:integrations:write",
    "Slot": "cognigy:slots:write",
    "ContextDefaults": "context:write",
}
STATE_FILE = "local-tenant.json"
ENV_CLIENT_ID = embedded.ENV_CLIENT_ID
ENV_CLIENT_SECRET = embedded.ENV_CLIENT_SECRET
ENV_TENANT_URL = "COGNIGY_TENANT_URL"
ENV_TOKEN_URL = "COGNIGY_TOKEN_URL"
ENV_AI_BASE_URL = "COGNIGY_BASE_URL"


def scopes_for_apply(
    kinds: Iterable[str], *, retrain: bool, simulate: bool = False
) -> frozenset[str]:
    """Scopes an apply needs: read, the write scope of each changed kind, and retraining.

    ``kinds`` are manifest kind names of the plan's changes (``Slot``, ...); kinds that
    write nothing (``SimulationSuite``) add nothing. ``simulate`` adds what verify's
    simulation suites need.
    """
    scopes = set(SCOPES_READ)
    scopes.update(_WRITE_SCOPES[kind] for kind in kinds if kind in _WRITE_SCOPES)
    if retrain:
        scopes.add("cognigy:nlp:retrain")
    if simulate:
        scopes |= SCOPES_SIMULATE
    return frozenset(scopes)


@dataclass(frozen=True)
class Target:
    """Where a command runs. ``embedded`` is true exactly for the in-process emulator.

    ``description`` is what commands print on their first line, e.g. ``tenant https://...``
    or ``embedded emulator (state .cogctl/local-tenant.json, fixture ...)``.
    """

    environment: str | None
    backend: base.Backend
    description: str
    embedded: bool
    settings: models.Environment | None = None


def choose_environment(
    config: models.ProjectConfig | None,
    environment: str | None,
    env: Mapping[str, str] = os.environ,
) -> tuple[str | None, models.Environment | None]:
    """The environment's name and settings, by the one rule of ``projects.choose_environment``.

    With no cogctl.yaml, ``--env`` is only a label: environment variables are enough.
    """
    if config is None:
        return environment, None
    try:
        name = projects.choose_environment(config, environment, env)
    except projects.EnvironmentChoiceError as exc:
        raise errors.ConfigError(str(exc), hint="pass --env NAME (or set COGCTL_ENV)") from None
    return name, config.environments[name]


@contextlib.asynccontextmanager
async def connect(
    *,
    config: models.ProjectConfig | None,
    config_path: Path | None,
    environment: str | None,
    scopes: Collection[str],
    emulator_fixture: Path | None = None,
    state_dir: Path = statedir.DEFAULT,
    observers: Sequence[base.RequestObserver] = (),
    env: Mapping[str, str] = os.environ,
    manifests: Sequence[object] = (),
) -> AsyncIterator[Target]:
    """Open the command's backend; close it (and save embedded state) when the block ends.

    ``manifests``: the run's manifests, for a backend that needs what they say beyond the
    plan (on ``cognigy-ai``: simulation cases and slot examples, run as playbooks)."""
    name, settings = choose_environment(config, environment, env)
    if settings is not None and settings.is_cognigy_ai:
        async with _connect_ai(name, settings, config_path, emulator_fixture, state_dir,
                               observers, env, manifests) as target:
            yield target
        return
    tenant_url = env_url(env, ENV_TENANT_URL) or (settings.tenantUrl if settings else None)
    if tenant_url:
        backend = _tenant_backend(tenant_url, settings, scopes, observers, env)
        try:
            yield Target(name, backend, f"tenant {backend.base_url}", False, settings)
        finally:
            await backend.aclose()
        return
    fixture = emulator_fixture or _configured_fixture(settings, config_path)
    async with embedded.open_embedded(
        fixture=fixture, state_path=state_dir / STATE_FILE, scopes=scopes,
        observers=observers, env=env,
        rate_limit_per_minute=settings.rateLimitPerMinute if settings else None,
    ) as (local, description):
        yield Target(name, local, description, True, settings)


def env_url(env: Mapping[str, str], variable: str) -> str | None:
    """A tenant or token URL from the environment, held to cogctl.yaml's rule (https, or
    http to a plainly written loopback host): one rule for every source of such a URL."""
    value = env.get(variable)
    if not value:
        return None
    check = rules.check_token_url if variable == ENV_TOKEN_URL else rules.check_tenant_url
    try:
        return check(value)
    except ValueError as exc:
        # The value is not echoed: a malformed URL may carry a credential.
        raise errors.ConfigError(
            f"{variable}: {exc}",
            hint=f"set {variable} to an https:// URL (http:// only for 127.0.0.1, [::1] or "
            "localhost)",
        ) from None


@contextlib.asynccontextmanager
async def _connect_ai(
    name: str | None,
    settings: models.Environment,
    config_path: Path | None,
    emulator_fixture: Path | None,
    state_dir: Path,
    observers: Sequence[base.RequestObserver],
    env: Mapping[str, str],
    manifests: Sequence[object],
) -> AsyncIterator[Target]:
    from reconciler.backend.cognigy_ai import adapter, http
    from reconciler.backend.cognigy_ai import embedded as ai_embedded

    base_url = env_url(env, ENV_AI_BASE_URL) or settings.baseUrl
    if base_url:
        key = env.get(http.ENV_API_KEY)
        if not key:
            raise errors.ConfigError(
                f"no API key for {base_url}: {http.ENV_API_KEY} is not set",
                hint=f"export {http.ENV_API_KEY} (My Profile > API Keys in Cognigy.AI); "
                "it is never read from a file")
        backend = adapter.CognigyAiBackend(
            base_url=base_url, api_key=key, bots=settings.ai_bots(),
            api_prefix=settings.apiPrefix or projects.DEFAULT_AI_PREFIX,
            limit_per_minute=settings.rateLimitPerMinute, observers=observers,
            manifests=manifests)
        try:
            yield Target(name, backend, f"Cognigy.AI tenant {backend.base_url}", False,
                         settings)
        finally:
            await backend.aclose()
        return
    fixture = emulator_fixture or _configured_fixture(settings, config_path)
    async with ai_embedded.open_embedded(
        fixture=fixture, state_path=state_dir / ai_embedded.STATE_FILE,
        bots=settings.ai_bots(), observers=observers, env=env, manifests=manifests,
        limit_per_minute=settings.rateLimitPerMinute,
    ) as (local, description):
        yield Target(name, local, description, True, settings)


def _tenant_backend(
    tenant_url: str,
    settings: models.Environment | None,
    scopes: Collection[str],
    observers: Sequence[base.RequestObserver],
    env: Mapping[str, str],
) -> client.PlatformBackend:
    missing = [var for var in (ENV_CLIENT_ID, ENV_CLIENT_SECRET) if not env.get(var)]
    if missing:
        raise errors.ConfigError(
            f"no credentials for tenant {tenant_url}: {' and '.join(missing)} not set",
            hint=f"export {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} of an OAuth client "
            "with the scopes this command needs",
        )
    return client.PlatformBackend(
        base_url=tenant_url,
        client_id=env[ENV_CLIENT_ID],
        client_secret=env[ENV_CLIENT_SECRET],
        scopes=scopes,
        token_url=env_url(env, ENV_TOKEN_URL) or (settings.tokenUrl if settings else None),
        rate_limit_per_minute=settings.rateLimitPerMinute if settings else None,
        observers=observers,
    )


def _configured_fixture(
    settings: models.Environment | None, config_path: Path | None
) -> Path | None:
    if settings is None or settings.emulator is None:
        return None
    fixture = Path(settings.emulator.fixture)
    if not fixture.is_absolute() and config_path is not None:
        fixture = config_path.parent / fixture
    return fixture

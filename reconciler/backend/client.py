"""``PlatformBackend``: the ``Backend`` protocol over the Platform API contract.

Each method is one endpoint of ``shared/cognigy-api.md``: it builds the path, headers and
body and returns the livetypes shape the server answered. Everything about sending (tokens,
rate limit, retries, observers, error mapping) lives in ``requesting``. Creations carry an
``Idempotency-Key`` (the caller's, or a fresh one) so a create retried after an answer that
got lost never makes a second object.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast
from urllib.parse import quote

from reconciler import errors
from reconciler.backend import base, pagination, ratelimit, requesting
from reconciler.backend.httpkit import retrying, sending
from reconciler.core import livetypes as lt
from reconciler.manifests import rules

TOKEN_PATH = "/api/v1/auth/oauth/token"


def _seg(value: str) -> str:
    """One path segment: ids are escaped so a stray ``/`` or ``?`` cannot change the route."""
    return quote(value, safe="")


def _etag(version: str) -> str:
    """``If-Match`` value: the version as the ETag the server sent (RFC 9110 quoted form)."""
    return version if version.startswith(('"', "W/")) else f'"{version}"'


def _if_match(version: str | None) -> dict[str, str]:
    """The ``If-Match`` header for ``version``; none when the write is unconditional."""
    return {"If-Match": _etag(version)} if version else {}


def _obj(answer: requesting.Answer, method: str, path: str) -> dict[str, Any]:
    if not isinstance(answer.body, dict):
        raise errors.BackendError(
            f"{method} {path} answered {answer.status} without a JSON object",
            method=method, path=path, status=answer.status,
            hint="the tenant URL may not point at the Cognigy Platform API",
        )
    return answer.body


def _check_network_urls(base_url: str, token_url: str | None) -> None:
    """The client secret and bearer tokens travel only over https, or http to loopback:
    the rule cogctl.yaml states, held here for every way a URL reaches the client."""
    for what, url, check in (("tenant URL", base_url, rules.check_tenant_url),
                             ("token URL", token_url, rules.check_token_url)):
        if url is None:
            continue
        try:
            check(url)
        except ValueError as exc:
            raise errors.ConfigError(f"{what}: {exc}") from None


class PlatformBackend:
    """The Platform API client. One pooled connection set, one token, one rate limiter."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        scopes: Iterable[str],
        token_url: str | None = None,
        transport: sending.Transport | None = None,
        rate_limit_per_minute: int | None = None,
        retry: retrying.RetryPolicy | None = None,
        observers: Sequence[base.RequestObserver] = (),
        logger: logging.Logger | None = None,
        timeout_seconds: float = sending.DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if transport is None:
            _check_network_urls(base_url, token_url)
        policy = retry or retrying.RetryPolicy()
        root = base_url.rstrip("/")
        self.base_url = root
        self.scopes = tuple(sorted(set(scopes)))
        self._requester = requesting.Requester(
            base_url=root,
            credentials=requesting.Credentials(
                client_id=client_id, client_secret=client_secret, scopes=self.scopes,
                token_url=token_url or f"{root}{TOKEN_PATH}",
            ),
            transport=transport,
            limiter=ratelimit.TokenBucket(
                limit_per_minute=rate_limit_per_minute, clock=policy.clock, sleep=policy.sleep
            ),
            retry=policy,
            observers=observers,
            logger=logger or logging.getLogger(retrying.LOGGER_NAME),
            timeout_seconds=timeout_seconds,
        )

    @property
    def limiter(self) -> ratelimit.TokenBucket:
        return self._requester.limiter

    @property
    def token_fetches(self) -> int:
        """How many tokens this client has asked for (tests and diagnostics)."""
        return self._requester.tokens.fetches

    async def aclose(self) -> None:
        await self._requester.aclose()

    async def __aenter__(self) -> PlatformBackend:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- plumbing -------------------------------------------------------------------------

    async def _get(self, path: str, params: requesting.Params | None = None) -> dict[str, Any]:
        return _obj(await self._requester.request("GET", path, params=params), "GET", path)

    async def _list(self, path: str, id_key: str, **params: str) -> list[dict[str, Any]]:
        async def _page(limit: int, offset: int) -> lt.Json:
            answer = await self._requester.request(
                "GET", path, params={**params, "limit": limit, "offset": offset}
            )
            return answer.body

        return await pagination.collect(_page, where=path, id_key=id_key)

    async def _write(
        self, method: str, path: str, body: lt.Json, headers: Mapping[str, str]
    ) -> requesting.Answer:
        return await self._requester.request(method, path, json=body, headers=headers)

    # --- bots -----------------------------------------------------------------------------

    async def list_bots(self) -> list[lt.Bot]:
        return cast(list[lt.Bot], await self._list("/api/v1/bots", "botId"))

    async def get_bot(self, bot_id: str) -> lt.Bot:
        return cast(lt.Bot, await self._get(f"/api/v1/bots/{_seg(bot_id)}"))

    # --- integrations ---------------------------------------------------------------------

    async def list_integrations(self, bot_id: str) -> list[lt.LiveIntegration]:
        found = await self._list("/api/v1/integrations", "id", botId=bot_id)
        return cast(list[lt.LiveIntegration], found)

    async def get_integration(self, integration_id: str) -> lt.LiveIntegration:
        path = f"/api/v1/integrations/{_seg(integration_id)}"
        return cast(lt.LiveIntegration, await self._get(path))

    async def create_integration(
        self, body: lt.IntegrationWrite, *, idempotency_key: str | None = None
    ) -> lt.LiveIntegration:
        path = "/api/v1/integrations"
        key = idempotency_key or f"cogctl-{uuid.uuid4()}"
        answer = await self._write("POST", path, cast(lt.Json, body), {"Idempotency-Key": key})
        return cast(lt.LiveIntegration, _obj(answer, "POST", path))

    async def put_integration(
        self, integration_id: str, body: lt.IntegrationWrite, *, if_match: str | None = None
    ) -> lt.LiveIntegration:
        path = f"/api/v1/integrations/{_seg(integration_id)}"
        headers = _if_match(if_match)
        answer = await self._write("PUT", path, cast(lt.Json, body), headers)
        return cast(lt.LiveIntegration, _obj(answer, "PUT", path))

    async def delete_integration(self, integration_id: str, *, if_match: str | None = None) -> None:
        path = f"/api/v1/integrations/{_seg(integration_id)}"
        headers = _if_match(if_match)
        await self._requester.request("DELETE", path, headers=headers)

    # --- slots ----------------------------------------------------------------------------

    async def list_slots(self, bot_id: str) -> list[lt.LiveSlot]:
        return cast(list[lt.LiveSlot], await self._list("/api/v1/slots", "slotId", botId=bot_id))

    async def get_slot(self, slot_id: str) -> lt.LiveSlot:
        return cast(lt.LiveSlot, await self._get(f"/api/v1/slots/{_seg(slot_id)}"))

    async def put_slot(
        self,
        slot_id: str,
        body: lt.SlotWrite,
        *,
        if_match: str | None = None,
        create_only: bool = False,
    ) -> tuple[lt.LiveSlot, str | None]:
        path = f"/api/v1/slots/{_seg(slot_id)}"
        headers = _if_match(if_match)
        if create_only:
            headers["If-None-Match"] = "*"
        answer = await self._write("PUT", path, cast(lt.Json, body), headers)
        slot = cast(lt.LiveSlot, _obj(answer, "PUT", path))
        return slot, answer.headers.get("x-retrain-job")

    async def delete_slot(self, slot_id: str, *, if_match: str | None = None) -> None:
        path = f"/api/v1/slots/{_seg(slot_id)}"
        headers = _if_match(if_match)
        await self._requester.request("DELETE", path, headers=headers)

    # --- context defaults -----------------------------------------------------------------

    async def get_context(self, bot_id: str) -> lt.LiveContext:
        return cast(lt.LiveContext, await self._get(f"/api/v1/bots/{_seg(bot_id)}/context"))

    async def patch_context(
        self,
        bot_id: str,
        changes: Mapping[str, lt.ContextEntry | None],
        *,
        if_match: str,
    ) -> lt.LiveContext:
        path = f"/api/v1/bots/{_seg(bot_id)}/context"
        body = cast(lt.Json, {"context": dict(changes)})
        answer = _obj(await self._write("PATCH", path, body, {"If-Match": _etag(if_match)}),
                      "PATCH", path)
        if "context" not in answer:  # the contract only promises the new contextVersion
            return await self.get_context(bot_id)
        return cast(lt.LiveContext, answer)

    # --- retraining and metrics -----------------------------------------------------------

    async def start_retrain(self, bot_id: str) -> lt.RetrainJob:
        path = f"/api/v1/bots/{_seg(bot_id)}/nlp/retrain"
        # The server joins a running job, so repeating the POST is safe; the key says so.
        key = f"cogctl-{uuid.uuid4()}"
        answer = await self._write("POST", path, None, {"Idempotency-Key": key})
        return cast(lt.RetrainJob, _obj(answer, "POST", path))

    async def get_job(self, job_id: str) -> lt.RetrainJob:
        return cast(lt.RetrainJob, await self._get(f"/api/v1/nlp/jobs/{_seg(job_id)}"))

    async def get_extraction_metrics(
        self, bot_id: str, slot_id: str, *, time_range: str = "last24h"
    ) -> lt.ExtractionMetrics:
        path = f"/api/v1/bots/{_seg(bot_id)}/analytics/slots/{_seg(slot_id)}/extraction"
        found = await self._get(path, {"timeRange": time_range, "metric": "successRate"})
        return cast(lt.ExtractionMetrics, found)

    # --- simulations ----------------------------------------------------------------------

    async def list_entities(self, bot_id: str) -> list[lt.Entity]:
        path = "/api/bot/entities"
        answer = await self._requester.request("GET", path, params={"botId": bot_id})
        if not isinstance(answer.body, list):
            raise errors.BackendError(f"GET {path} answered no list", method="GET", path=path,
                                      status=answer.status)
        return cast(list[lt.Entity], answer.body)

    async def start_simulation(self, body: lt.SimulationRequest) -> str:
        path = "/api/bot/simulate"
        # A repeated simulation only costs a run; the key lets the server drop the duplicate.
        answer = await self._write("POST", path, cast(lt.Json, body),
                                   {"Idempotency-Key": f"cogctl-{uuid.uuid4()}"})
        simulation_id = _obj(answer, "POST", path).get("simulationId")
        if not isinstance(simulation_id, str):
            raise errors.BackendError(f"POST {path} answered no simulationId", method="POST",
                                      path=path, status=answer.status)
        return simulation_id

    async def get_simulation(self, simulation_id: str) -> lt.Simulation:
        path = f"/api/bot/simulation/{_seg(simulation_id)}"
        return cast(lt.Simulation, await self._get(path))

    # --- sessions and conversations -------------------------------------------------------

    async def get_session_variables(
        self,
        session_id: str,
        *,
        name: str | None = None,
        scope: str | None = None,
        include_system: bool = False,
    ) -> list[lt.SessionVariable]:
        path = f"/api/v2/botsessions/{_seg(session_id)}/variables"
        params: dict[str, str | int] = {"includeSystem": "true" if include_system else "false"}
        if name is not None:
            params["name"] = name
        if scope is not None:
            params["scope"] = scope

        async def _page(limit: int, offset: int) -> lt.Json:
            # v2 pages as {"variables": [...], "pagination": {"total", "limit", "offset"}}
            found = await self._get(path, {**params, "limit": limit, "offset": offset})
            paging = found.get("pagination")
            total = paging.get("total") if isinstance(paging, dict) else None
            return {"data": found.get("variables"), "total": total}

        found = await pagination.collect(_page, where=path, id_key=None)
        return cast(list[lt.SessionVariable], found)

    async def get_conversation_context(self, conversation_id: str) -> lt.ConversationContext:
        path = f"/api/v1/context/{_seg(conversation_id)}"
        return cast(lt.ConversationContext, await self._get(path))

    async def patch_conversation_context(
        self,
        conversation_id: str,
        context: Mapping[str, lt.Json],
        *,
        if_match: str | None,
    ) -> lt.ConversationContext:
        path = "/api/v1/context"
        body = cast(lt.Json, {"conversationId": conversation_id, "context": dict(context)})
        headers = _if_match(if_match)
        answer = _obj(await self._write("PATCH", path, body, headers), "PATCH", path)
        if "context" not in answer:  # the contract answers only the new contextVersion
            return await self.get_conversation_context(conversation_id)
        return cast(lt.ConversationContext, answer)

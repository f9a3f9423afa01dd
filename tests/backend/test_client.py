"""Every ``Backend`` method of ``PlatformBackend`` against the emulator in-process."""

from __future__ import annotations

import pytest

from reconciler import errors
from reconciler.backend import base
from reconciler.core import livetypes as lt

from .conftest import Tenant, run

NEW_INTEGRATION: lt.IntegrationWrite = {
    "bot_id": "bot_support", "name": "order_api", "description": "orders",
    "status": "ACTIVE", "labels": {"managed-by": "cogctl"},
    "config": {"url": "https://orders.example.com/v1", "method": "GET", "auth_type": "bearer",
               "headers": {}, "request_mapping": {}, "timeout_seconds": 10,
               "response_mapping": {"extract": "data.status", "normalize": "none"},
               "auth_secret": "integration-secret-canary"},
}
NEW_SLOT: lt.SlotWrite = {
    "botId": "bot_support", "name": "order_number", "type": "regex",
    "patterns": ["ORD-\\d{1,5}"], "fillStrategy": "firstMatch", "dependencies": [],
    "triggerRetrain": False, "labels": {"managed-by": "cogctl"},
}


def test_backend_satisfies_the_protocol(tenant: Tenant) -> None:
    async def scenario() -> None:
        backend: base.Backend = tenant.backend()  # mypy-style check, and at runtime:
        for name in [n for n in dir(base.Backend) if not n.startswith("_")]:
            assert callable(getattr(backend, name)), name
        await backend.aclose()

    run(scenario)


def test_bots_and_listing_pages(tenant: Tenant) -> None:
    for i in range(230):  # more than two pages of 100
        tenant.state.slots[f"slot_{i:03}"] = tenant.state.slots["slot_zip"].model_copy(
            update={"slotId": f"slot_{i:03}", "name": f"s{i:03}"})

    async def scenario() -> None:
        async with tenant.backend() as backend:
            bots = await backend.list_bots()
            assert [b["botId"] for b in bots] == ["bot_support"]
            assert (await backend.get_bot("bot_support"))["name"] == "Support"
            slots = await backend.list_slots("bot_support")
            assert len(slots) == 231
            assert len({s["slotId"] for s in slots}) == 231

    run(scenario)
    pages = tenant.log(method="GET", path="/api/v1/slots")
    assert len(pages) == 3


def test_integrations_round_trip(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend() as backend:
            created = await backend.create_integration(NEW_INTEGRATION)
            assert created["id"].startswith("int_")
            assert "auth_secret" not in created["config"]
            assert created["auth_secret_sha256"]
            got = await backend.get_integration(created["id"])
            assert got["version"] == created["version"]
            listed = await backend.list_integrations("bot_support")
            assert {i["name"] for i in listed} == {"legacy_crm", "order_api"}
            body: lt.IntegrationWrite = {**NEW_INTEGRATION, "description": "orders v2"}
            put = await backend.put_integration(created["id"], body,
                                                if_match=created["version"])
            assert put["description"] == "orders v2"
            assert put["version"] != created["version"]
            with pytest.raises(errors.VersionConflictError) as stale:
                await backend.put_integration(created["id"], body,
                                              if_match=created["version"])
            assert stale.value.current_version == put["version"]
            with pytest.raises(errors.NameConflictError) as dup:
                await backend.create_integration(NEW_INTEGRATION)
            assert dup.value.existing_id == created["id"]
            await backend.delete_integration(created["id"], if_match=put["version"])
            with pytest.raises(errors.NotFoundError, match="GET /api/v1/integrations/"):
                await backend.get_integration(created["id"])

    run(scenario)


def test_slots_round_trip(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend() as backend:
            slot, job = await backend.put_slot("slot_order", NEW_SLOT,
                                               create_only=True)
            assert slot["slotId"] == "slot_order"
            assert job is None
            with pytest.raises(errors.BackendError):
                await backend.put_slot("slot_order", NEW_SLOT,
                                       create_only=True)
            dependent: lt.SlotWrite = {**NEW_SLOT, "name": "order_line", "dependencies": ["slot_order"],
                         "triggerRetrain": True}
            _, job = await backend.put_slot("slot_line", dependent)
            assert job
            with pytest.raises(errors.DependencyConflictError):
                await backend.delete_slot("slot_order")
            bad: lt.SlotWrite = {**NEW_SLOT, "name": "bad", "patterns": ["x" * 60]}
            with pytest.raises(errors.RequestRejectedError) as rejected:
                await backend.put_slot("slot_bad", bad)
            assert rejected.value.details
            assert "patterns" in str(rejected.value)
            got = await backend.get_slot("slot_line")
            await backend.delete_slot("slot_line", if_match=got["version"])
            await backend.delete_slot("slot_order")
            assert [s["slotId"] for s in await backend.list_slots("bot_support")] == ["slot_zip"]

    run(scenario)


def test_context_retrain_metrics(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend() as backend:
            context = await backend.get_context("bot_support")
            assert context["context"]["locale"]["value"] == "en-US"
            patched = await backend.patch_context(
                "bot_support", {"tier": {"value": "gold", "scope": "user"}, "locale": None},
                if_match=context["contextVersion"])
            assert set(patched["context"]) == {"tier"}
            assert patched["contextVersion"] != context["contextVersion"]
            with pytest.raises(errors.VersionConflictError):
                await backend.patch_context("bot_support", {"locale": None},
                                            if_match=context["contextVersion"])
            await backend.put_slot("slot_order", NEW_SLOT)
            with pytest.raises(errors.MetricsNotReadyError):
                await backend.get_extraction_metrics("bot_support", "slot_order")
            job = await backend.start_retrain("bot_support")
            assert (await backend.start_retrain("bot_support"))["jobId"] == job["jobId"]
            tenant.clock.now += 60
            done = await backend.get_job(job["jobId"])
            assert done["status"] == "succeeded"
            metrics = await backend.get_extraction_metrics("bot_support", "slot_order")
            assert (metrics["successRate"], metrics["sampleSize"]) == (0.5, 2)  # "ord-" misses

    run(scenario)


def test_simulations_sessions_conversations(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend() as backend:
            entities = {e["name"] for e in await backend.list_entities("bot_support")}
            assert entities == {"product", "zip_code"}  # slots count as entities
            sim_id = await backend.start_simulation({
                "botId": "bot_support", "userId": "usr_1", "platform": "webchat",
                "input": {"text": "where is my order"}, "context": {}, "testId": "test_1"})
            tenant.clock.now += 5
            simulation = await backend.get_simulation(sim_id)
            assert simulation["status"] == "completed"
            assert simulation["turns"][0]["intent"] == "order_status"
            names = [v["name"] for v in await backend.get_session_variables("sess_1")]
            assert names == ["customer_name"]
            system = await backend.get_session_variables("sess_1", include_system=True)
            assert {v["name"] for v in system} == {"customer_name", "_internal_id"}
            conv = await backend.get_conversation_context("conv_1")
            assert conv["context"] == {"language": "en"}
            new = await backend.patch_conversation_context(
                "conv_1", {"plan": "gold"}, if_match=conv["contextVersion"])
            assert new["context"] == {"language": "en", "plan": "gold"}

    run(scenario)


def test_another_workspace_is_forbidden(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend() as backend:
            with pytest.raises(errors.ForbiddenError) as info:
                await backend.get_bot("bot_other")
            assert not isinstance(info.value, errors.InsufficientScopeError)
            assert "cogctl.yaml" in str(info.value)

    run(scenario)


def test_session_variables_every_page(tenant: Tenant) -> None:
    session = tenant.state.sessions["sess_1"]
    template = session.variables[0]
    session.variables = [template.model_copy(update={"name": f"v{i:03d}", "value": i})
                         for i in range(230)]

    async def scenario() -> list:
        async with tenant.backend() as backend:
            return await backend.get_session_variables("sess_1")

    variables = run(scenario)
    assert [v["name"] for v in variables] == [f"v{i:03d}" for i in range(230)]
    assert len(tenant.log(path="/api/v2/botsessions/sess_1/variables")) == 3

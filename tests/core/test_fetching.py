"""fetching against the emulator in-process: list endpoints only, and exactly how many."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.engine import fetching
from reconciler.manifests import validating

from .emulated import Tenant, api_requests, minimum_reads


def _bots() -> list[dict[str, object]]:
    many = [{"name": f"s{i:03d}", "patterns": [f"p{i}"]} for i in range(250)]
    integrations = [
        {"name": f"int_{i}", "config": {"url": f"https://api{i}.example.com"}} for i in range(3)
    ]
    return [
        {"botId": "bot_big", "slots": many, "integrations": integrations,
         "context": {"lang": {"value": "en", "scope": "global"}}},
        {"botId": "bot_small", "slots": [{"name": "only", "patterns": ["x"]}]},
        {"botId": "bot_empty"},
    ]


def test_fetch_reads_everything_with_list_calls_only() -> None:
    tenant = Tenant(_bots())

    async def run() -> None:
        backend = tenant.backend()
        try:
            live = await fetching.fetch_live_state(
                backend, ["bot_big", "bot_small", "bot_empty", "bot_big"], concurrency=2
            )
        finally:
            await backend.aclose()
        assert sorted(live.bots) == ["bot_big", "bot_empty", "bot_small"]
        big = live.bot("bot_big")
        assert len(big.slots) == 250
        assert len({s["slotId"] for s in big.slots}) == 250
        assert [i["name"] for i in big.integrations] == ["int_0", "int_1", "int_2"]
        assert big.context is not None
        assert big.context["context"]["lang"]["value"] == "en"
        assert live.bot("bot_empty").slots == ()
        assert live.object_count() == 254
        log = api_requests(await tenant.requests())
        assert {e["method"] for e in log} == {"GET"}
        assert all("/slots/" not in e["path"] and "/integrations/" not in e["path"] for e in log)
        expected = minimum_reads({"bot_big": (3, 250), "bot_small": (0, 1), "bot_empty": (0, 0)})
        assert len(log) == expected == (1 + 3 + 1) + 3 + 3

    asyncio.run(run())


class _SlowBackend:
    """Counts how many bots are being read at once; every read yields to the loop."""

    def __init__(self) -> None:
        self.active: set[str] = set()
        self.peak = 0
        self.calls: list[str] = []

    async def _read(self, bot_id: str, what: str) -> None:
        self.calls.append(f"{what}:{bot_id}")
        self.active.add(bot_id)
        self.peak = max(self.peak, len(self.active))
        for _ in range(3):
            await asyncio.sleep(0)

    async def list_integrations(self, bot_id: str) -> list[object]:
        await self._read(bot_id, "integrations")
        return []

    async def list_slots(self, bot_id: str) -> list[object]:
        await self._read(bot_id, "slots")
        return []

    async def get_context(self, bot_id: str) -> dict[str, object]:
        await self._read(bot_id, "context")
        self.active.discard(bot_id)
        return {"botId": bot_id, "contextVersion": "1", "context": {}}


def test_bots_are_read_concurrently_within_the_bound() -> None:
    backend = _SlowBackend()
    live = asyncio.run(fetching.fetch_live_state(
        backend, [f"bot_{i}" for i in range(10)], concurrency=3  # type: ignore[arg-type]
    ))
    assert len(live.bots) == 10
    assert 1 < backend.peak <= 3
    assert sorted(backend.calls) == sorted(
        f"{what}:bot_{i}" for i in range(10) for what in ("integrations", "slots", "context")
    )


_CONTEXT = """apiVersion: cogctl/v1
kind: ContextDefaults
metadata: {name: defaults, bot: support}
spec:
  variables:
    language: {value: en, scope: global}
"""


@pytest.mark.parametrize(
    ("config", "bot_id", "hint"),
    [
        (None, "support",
         "'support' is used as a botId because no cogctl.yaml was found for these manifests: "
         "give --config PATH/cogctl.yaml, or add one that maps it (`bots: {support: BOT_ID}`)"),
        ("environments: {local: {bots: {}}}\n", "support",
         "'support' is used as a botId because environment 'local' of {config} does not map "
         "it: map it to its botId (`bots: {support: BOT_ID}` in the environment), or give "
         "--config PATH/cogctl.yaml"),
        ("environments: {local: {bots: {support: bot_gone}}}\n", "bot_gone",
         "environment 'local' of {config} maps 'support' to 'bot_gone': check that botId"),
    ],
)
def test_a_missing_bot_says_which_project_file_mapped_it(
    tmp_path: Path, config: str | None, bot_id: str, hint: str
) -> None:
    (tmp_path / "context.yaml").write_text(_CONTEXT)
    if config is not None:
        (tmp_path / "cogctl.yaml").write_text(config)
    project = validating.load_project([tmp_path], environ={})
    assert project.ok, project.diagnostics
    tenant = Tenant([{"botId": "bot_other"}])

    async def run() -> None:
        backend = tenant.backend()
        try:
            await fetching.fetch_live_state(backend, [project.bot_id("support")], project=project)
        finally:
            await backend.aclose()

    with pytest.raises(errors.NotFoundError) as info:
        asyncio.run(run())
    assert info.value.message.endswith(f": bot {bot_id!r} does not exist on the target")
    assert info.value.hint == hint.replace("{config}", str(project.config_path))


def test_a_missing_bot_without_a_project_still_names_the_fix() -> None:
    tenant = Tenant([])

    async def run() -> None:
        backend = tenant.backend()
        try:
            await fetching.fetch_live_state(backend, ["support"])
        finally:
            await backend.aclose()

    with pytest.raises(errors.NotFoundError, match="bot 'support' does not exist") as info:
        asyncio.run(run())
    assert "--config PATH/cogctl.yaml" in str(info.value)
    assert "`bots: {support: BOT_ID}`" in str(info.value)

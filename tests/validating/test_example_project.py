"""The example project in manifests/: valid, complete, and passing against its own fixture.

The fixture is judged with the emulator's own matching rules (extraction and intent
recognition) and the reconciler's own case judge, so "every suite case passes" and "every
slot reaches its extraction threshold" are measured here, not assumed.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from reconciler.core import simulations
from reconciler.core.livetypes import SimulationTurn
from reconciler.emulator.platform import fixtures, matching, records
from reconciler.manifests import models, validating

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"


@pytest.fixture(scope="module")
def project() -> validating.Project:
    return validating.load_project([MANIFESTS], environ={})


@pytest.fixture(scope="module")
def bots() -> dict[str, records.BotRecord]:
    fixture = fixtures.read(MANIFESTS / "fixtures" / "demo-tenant.yaml")
    return {
        bot.botId: records.BotRecord(
            botId=bot.botId, name=bot.name, workspaceId=workspace.id, entities=bot.entities,
            flows=bot.flows, intents=bot.intents, utterances=bot.utterances,
        )
        for workspace in fixture.workspaces for bot in workspace.bots
    }


def _slots(project: validating.Project) -> list[models.Slot]:
    return [m.manifest for m in project.manifests if isinstance(m.manifest, models.Slot)]


def _record(slot: models.Slot, bot_id: str) -> records.SlotRecord:
    spec = slot.spec
    return records.SlotRecord(
        slotId=f"slot_{slot.metadata.name}", botId=bot_id, name=slot.metadata.name,
        type=spec.type, patterns=list(spec.patterns), fillStrategy=spec.fillStrategy,
        dependencies=[], labels={}, version="1", updatedAt="2026-01-01T00:00:00Z",
    )


def test_example_project_is_valid(project: validating.Project) -> None:
    assert project.ok, "\n".join(d.render() for d in project.diagnostics)
    assert project.environment == "local"


def test_example_project_has_what_the_demo_needs(project: validating.Project) -> None:
    kinds = Counter((type(m.manifest).__name__, m.manifest.metadata.bot)
                    for m in project.manifests)
    assert set(project.bots()) == {"support", "orders"}
    assert sum(n for (kind, _), n in kinds.items() if kind == "Slot") >= 8
    assert sum(n for (kind, _), n in kinds.items() if kind == "Integration") == 3
    for bot in ("support", "orders"):
        assert kinds[("ContextDefaults", bot)] == 1
        assert kinds[("SimulationSuite", bot)] == 1
    assert sum(1 for slot in _slots(project) if slot.spec.dependencies) >= 4
    secrets = [m.manifest.spec.auth.secret for m in project.manifests
               if isinstance(m.manifest, models.Integration) and m.manifest.spec.auth.secret]
    assert [s.fromEnv for s in secrets] == ["CRM_API_TOKEN"]


def test_environments_map_bots(project: validating.Project) -> None:
    assert project.config is not None
    local = project.config.environments["local"]
    assert local.emulator is not None
    assert (MANIFESTS / local.emulator.fixture).is_file()
    assert local.bots == {"support": "bot_support", "orders": "bot_orders"}
    staging = project.config.environments["staging"]
    assert staging.tenantUrl is not None
    assert staging.tenantUrl.startswith("https://")
    assert set(staging.bots) == {"support", "orders"}


def test_fixture_settings_suit_a_quick_demo() -> None:
    fixture = fixtures.read(MANIFESTS / "fixtures" / "demo-tenant.yaml")
    settings = fixture.settings
    assert (settings.trainingSeconds, settings.tokenTtlSeconds,
            settings.rateLimitPerMinute) == (1, 3600, 600)
    [workspace] = fixture.workspaces
    [client] = workspace.clients
    assert {"cognigy:platform:read", "cognigy:integrations:write", "cognigy:slots:write",
            "cognigy:nlp:retrain", "context:write", "conversation:read",
            "simulation:execute", "session:read", "variable:read"} <= set(client.scopes)


def test_every_slot_reaches_its_extraction_threshold(
    project: validating.Project, bots: dict[str, records.BotRecord]
) -> None:
    for slot in _slots(project):
        bot = bots[project.bot_id(slot.metadata.bot)]
        rate, size = matching.success_rate(_record(slot, bot.botId), bot.utterances)
        assert size >= 10, f"{slot.metadata.name}: {size} labelled utterances"
        assert rate >= slot.spec.verify.minExtractionRate, f"{slot.metadata.name}: {rate}"


def test_every_suite_case_passes_against_the_fixture(
    project: validating.Project, bots: dict[str, records.BotRecord]
) -> None:
    slots = _slots(project)
    suites = [m.manifest for m in project.manifests
              if isinstance(m.manifest, models.SimulationSuite)]
    for suite in suites:
        bot = bots[project.bot_id(suite.metadata.bot)]
        bot_slots = [_record(s, bot.botId) for s in slots
                     if s.metadata.bot == suite.metadata.bot]
        deployed = {flow.flowId for flow in bot.flows if flow.deployed}
        assert set(suite.spec.expectedFlows) <= deployed
        for case in suite.spec.cases:
            intent = matching.recognise_intent(bot.intents, case.utterance)
            assert intent is not None, case.id
            turn: SimulationTurn = {
                "turnIndex": 0, "flowId": intent.flowId, "intent": intent.name,
                "entities": dict(matching.extract_entities(bot, bot_slots, case.utterance)),
                "response": intent.response, "errorCode": None, "errorMessage": None,
            }
            assert simulations.judge(case, [turn]) == [], case.id

"""The plan's prediction equals the emulator's measurement, on generated patterns and sentences.

The emulator runs in-process with an injected clock: the test writes the slot through the
API with ``triggerRetrain``, lets training finish, and reads the extraction metrics endpoint
as the client does. The prediction comes from the plan built from a manifest whose examples
are the emulator's labelled utterances.
"""

from __future__ import annotations

import re
from typing import Any

from fakes import FakeClock
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reconciler.core import livestate, planning
from reconciler.emulator.platform import TenantState, create_app, fixtures
from reconciler.manifests import models, regexes

from .conftest import Api

# Pattern pieces: each safe on the platform's matcher and in RE2, so every combination is a
# valid manifest pattern; together they exercise groups, named groups, anchors and overlaps.
ATOMS = [r"\d{2,4}", r"[A-Z]+-\d+", r"ab+c", r"(?P<value>\d+)x", r"order (\d+)", r"[a-c]{2}",
         r"\bORD\b", "x", r"-?\d", r"(a|b)c", "gold plan", r"\s", r"[0-9a-f]{3}"]
WORDS = ["order", "ORD", "ORD-12", "ab", "abbc", "12", "3456", "x", "7x", "gold plan", "Gold",
         "-", "bc", "ac", "fff", " ", "a1b", "9", "order 42", "AB-7"]

patterns = st.lists(
    st.lists(st.sampled_from(ATOMS), min_size=1, max_size=2).map("".join),
    min_size=1, max_size=3, unique=True,
).filter(lambda ps: all(regexes.check_pattern(p) is None for p in ps))
sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join).filter(str.strip)


@st.composite
def labelled(draw: st.DrawFn, patterns: list[str], kind: str) -> list[tuple[str, str]]:
    """Sentences, each labelled with a match of one of the patterns (plain ``re``, any match,
    any group), a piece of itself or a word: some pass, some do not."""
    texts = draw(st.lists(sentence, min_size=1, max_size=8, unique=True))
    sources = [re.escape(p) if kind == "keyphrase" else p for p in patterns]
    out = []
    for text in texts:
        matches = [m for src in sources for m in re.finditer(src, text, re.IGNORECASE)]
        values = [v for m in matches for v in (m.group(0), *m.groups()) if v]
        how = draw(st.sampled_from(["match", "match", "piece", "other"]))
        if how == "match" and values:
            label = draw(st.sampled_from(values))
        elif how == "piece":
            start = draw(st.integers(0, len(text) - 1))
            end = draw(st.integers(start + 1, len(text)))
            label = text[start:end]
        else:
            label = draw(st.sampled_from(WORDS))
        out.append((text, label if label.strip() else "x"))
    return out


@st.composite
def slots(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    chosen = draw(patterns)
    kind = draw(st.sampled_from(["regex", "regex", "keyphrase"]))
    strategy = draw(st.sampled_from(["bestMatch", "firstMatch", "strict", "fuzzy"]))
    slot = {"type": kind, "patterns": chosen, "fillStrategy": strategy}
    return slot, draw(labelled(chosen, kind))


def _tenant(pairs: list[tuple[str, str]]) -> TenantState:
    document: dict[str, Any] = {
        "settings": {"rateLimitPerMinute": 1000, "tokenTtlSeconds": 3600, "trainingSeconds": 5},
        "workspaces": [{
            "id": "ws", "clients": [{"clientId": "c", "clientSecret": "c-secret",
                                     "scopes": ["cognigy:platform:read", "cognigy:slots:write",
                                                "cognigy:nlp:retrain"]}],
            "bots": [{"botId": "bot", "name": "Bot", "utterances": [
                {"text": text, "slots": {"s": value}} for text, value in pairs]}],
        }],
    }
    return TenantState.from_fixture_model(fixtures.parse(document, source="generated"),
                                          source="generated")


def _measured(slot: dict[str, Any], pairs: list[tuple[str, str]]) -> tuple[float, int]:
    clock = FakeClock()
    api = Api(create_app(_tenant(pairs), clock=clock))
    client = api.as_client("c")
    written = client.put("/api/v1/slots/slot_s", json={
        "botId": "bot", "name": "s", "dependencies": [], "labels": {}, "triggerRetrain": True,
        **slot})
    assert written.status_code == 201, written.text
    job = written.headers["X-Retrain-Job"]
    for _ in range(100):
        status = client.get(f"/api/v1/nlp/jobs/{job}").json()["status"]
        if status in ("succeeded", "failed"):
            break
        clock.advance(1.0)
    assert status == "succeeded"
    metrics = client.get("/api/v1/bots/bot/analytics/slots/slot_s/extraction")
    assert metrics.status_code == 200, metrics.text
    body = metrics.json()
    return body["successRate"], body["sampleSize"]


def _predicted(slot: dict[str, Any], pairs: list[tuple[str, str]]) -> tuple[float, int]:
    manifest = models.Slot.model_validate({
        "apiVersion": "cogctl/v1", "kind": "Slot", "metadata": {"name": "s", "bot": "bot"},
        "spec": {**slot, "examples": [{"text": t, "value": v} for t, v in pairs]},
    })
    plan = planning.build_plan([manifest], livestate.LiveState(), bot_ids={}, target="t")
    (prediction,) = plan.predictions
    return prediction.after.rate, prediction.after.total


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=slots())
def test_prediction_equals_the_emulators_measurement(
    case: tuple[dict[str, Any], list[tuple[str, str]]],
) -> None:
    slot, pairs = case
    predicted = _predicted(slot, pairs)
    event("rate " + ("0" if predicted[0] == 0 else "1" if predicted[0] == 1 else "between"))
    assert predicted == _measured(slot, pairs)

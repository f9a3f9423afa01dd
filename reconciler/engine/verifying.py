"""Did the change do what it should: extraction metrics against thresholds, and simulations.

Policy:
- A baseline is read before apply for every changed slot that exists live; a slot then
  passes when ``successRate >= minExtractionRate`` and the drop from the baseline is at most
  ``maxRegression`` (no baseline: only the minimum applies).
- ``404 metrics_not_ready`` is polled until a deadline (time injected); still not ready then
  is a failure that says so. Slots of a bot whose retraining failed are failed at once.
- Simulation suites of the changed bots run through ``simulating.run_suite``.
- Beside each measured rate stands the rate the plan predicted on the manifest's examples
  (``predicted``): not a threshold, a comparison. When they differ the verdict says so: the
  tenant measures on its own labelled utterances, which are not the manifest's examples.
Nothing here prints; a ``VerifyReport`` is returned and every verdict is also an event.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import JsonValue

from reconciler import errors, extraction
from reconciler.backend import base
from reconciler.clock import Clock, Sleep
from reconciler.core import livestate, plans, simulations
from reconciler.core import livetypes as lt
from reconciler.engine import applyresults, progress
from reconciler.manifests import examples, models

_EPSILON = 1e-9  # rates are shares of small integers; do not fail on float rounding


@dataclass(frozen=True)
class SlotVerdict:
    address: str
    slot_id: str | None
    passed: bool
    reason: str
    success_rate: float | None = None
    baseline: float | None = None
    sample_size: int | None = None
    min_extraction_rate: float | None = None
    max_regression: float | None = None
    model_version: str | None = None
    predicted_rate: float | None = None
    predicted_examples: int | None = None

    @property
    def predicted_differs(self) -> bool:
        return (self.predicted_rate is not None and self.success_rate is not None
                and abs(self.predicted_rate - self.success_rate) > _EPSILON)

    def comparison(self) -> str | None:
        """Measured beside predicted, and why they may differ; None without a prediction."""
        if self.predicted_rate is None or self.success_rate is None:
            return None
        line = (f"measured {self.success_rate:.3f} on {self.sample_size} labelled utterance(s) "
                f"of the tenant, predicted {self.predicted_rate:.3f} on "
                f"{self.predicted_examples} example(s) of the manifest")
        if self.predicted_differs:
            line += (": they differ (the tenant's labelled utterances are not the manifest's "
                     "examples)")
        return line

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "address": self.address,
            "slotId": self.slot_id,
            "passed": self.passed,
            "reason": self.reason,
            "successRate": self.success_rate,
            "baseline": self.baseline,
            "sampleSize": self.sample_size,
            "minExtractionRate": self.min_extraction_rate,
            "maxRegression": self.max_regression,
            "modelVersion": self.model_version,
            "predictedRate": self.predicted_rate,
            "predictedExamples": self.predicted_examples,
        }


@dataclass(frozen=True)
class VerifyReport:
    """One round of verification (``label``: "after apply", "after rollback", ...)."""

    label: str
    retrains: tuple[applyresults.RetrainOutcome, ...] = ()
    slots: tuple[SlotVerdict, ...] = ()
    suites: tuple[simulations.SuiteReport, ...] = ()

    @property
    def passed(self) -> bool:
        return (
            all(r.ok for r in self.retrains)
            and all(s.passed for s in self.slots)
            and all(s.passed for s in self.suites)
        )

    def failures(self) -> list[str]:
        found = [f"retraining of {r.bot_id}: {r.error}" for r in self.retrains if not r.ok]
        found += [f"{s.address}: {s.reason}" for s in self.slots if not s.passed]
        found += [
            f"{s.address}: pass rate {s.pass_rate:.2f} < {s.min_pass_rate:.2f}"
            for s in self.suites
            if not s.passed
        ]
        return found

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "label": self.label,
            "passed": self.passed,
            "retrain": [r.to_json() for r in self.retrains],
            "slots": [s.to_json() for s in self.slots],
            "suites": [dict(s.to_json()) for s in self.suites],
        }


def judge(
    check: plans.VerifyCheck, metrics: lt.ExtractionMetrics | None, baseline: float | None
) -> SlotVerdict:
    """The verdict for one slot from its metrics (None: not ready) and baseline. Pure."""
    minimum = check.min_extraction_rate if check.min_extraction_rate is not None else 0.85
    regression = check.max_regression if check.max_regression is not None else 0.05
    if metrics is None:
        return SlotVerdict(
            check.address, check.slot_id, False, "metrics not ready: model not trained",
            baseline=baseline, min_extraction_rate=minimum, max_regression=regression,
        )
    rate = float(metrics["successRate"])
    reasons = []
    if rate + _EPSILON < minimum:
        reasons.append(f"success rate {rate:.3f} below minimum {minimum:.3f}"
                       + (" (no labelled sample was measured: add examples or utterances)"
                          if int(metrics["sampleSize"]) == 0 else ""))
    if baseline is not None and baseline - rate > regression + _EPSILON:
        reasons.append(f"dropped {baseline - rate:.3f} from {baseline:.3f} (max {regression:.3f})")
    return SlotVerdict(
        check.address,
        check.slot_id,
        not reasons,
        "; ".join(reasons) or f"success rate {rate:.3f}",
        success_rate=rate,
        baseline=baseline,
        sample_size=int(metrics["sampleSize"]),
        min_extraction_rate=minimum,
        max_regression=regression,
        model_version=metrics.get("modelVersion"),
    )


def predicted_rates(slots: Sequence[models.Slot]) -> dict[str, tuple[float, int]]:
    """address -> (pass rate, number of examples) of the manifests' own examples, for slots
    that have examples: what live patterns equal to the manifests' extract."""
    found: dict[str, tuple[float, int]] = {}
    for slot in slots:
        results = examples.run(slot.spec)
        if results:
            found[slot.address] = (extraction.pass_rate(results), len(results))
    return found


def plan_predictions(plan: plans.Plan) -> dict[str, tuple[float, int]]:
    """address -> (predicted pass rate after apply, number of examples), from the plan."""
    return {p.address: (p.after.rate, p.after.total) for p in plan.predictions}


def checks_for_slots(
    slots: Sequence[models.Slot], live: livestate.LiveState, bot_ids: Mapping[str, str]
) -> tuple[list[plans.VerifyCheck], list[SlotVerdict]]:
    """Checks for manifest slots that exist live, and failed verdicts for those that do not."""
    checks: list[plans.VerifyCheck] = []
    missing: list[SlotVerdict] = []
    for slot in slots:
        bot_id = bot_ids.get(slot.metadata.bot, slot.metadata.bot)
        found = live.bot(bot_id).slot_named(slot.metadata.name)
        if found is None:
            missing.append(
                SlotVerdict(slot.address, None, False, "not found live: run cogctl apply")
            )
            continue
        checks.append(
            plans.VerifyCheck(
                address=slot.address,
                check="extraction",
                bot_id=bot_id,
                slot_id=found["slotId"],
                min_extraction_rate=slot.spec.verify.minExtractionRate,
                max_regression=slot.spec.verify.maxRegression,
            )
        )
    return checks, missing


def extraction_checks(plan: plans.Plan) -> tuple[plans.VerifyCheck, ...]:
    return tuple(c for c in plan.verify if c.check == "extraction" and c.slot_id)


async def read_baseline(
    backend: base.Backend, checks: Sequence[plans.VerifyCheck], *, existing: set[str]
) -> dict[str, float]:
    """address -> success rate now, for each check whose slot exists live and has metrics."""

    async def one(check: plans.VerifyCheck) -> tuple[str, float | None]:
        if check.slot_id not in existing:
            return check.address, None
        try:
            metrics = await backend.get_extraction_metrics(check.bot_id, check.slot_id or "")
        except errors.NotFoundError:  # includes metrics_not_ready: nothing to compare with
            return check.address, None
        return check.address, float(metrics["successRate"])

    pairs = await asyncio.gather(*(one(c) for c in checks))
    return {address: rate for address, rate in pairs if rate is not None}


async def measure_extraction(
    backend: base.Backend,
    checks: Sequence[plans.VerifyCheck],
    *,
    baseline: Mapping[str, float],
    predicted: Mapping[str, tuple[float, int]] | None = None,
    failed_bots: frozenset[str] = frozenset(),
    deadline_seconds: float = 120.0,
    poll_seconds: float = 0.5,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    on_event: progress.Listener = progress.ignore,
) -> tuple[SlotVerdict, ...]:
    """Judge every check, polling ``metrics_not_ready`` until ``deadline_seconds``."""
    started = clock()
    gate = asyncio.Semaphore(4)

    async def one(check: plans.VerifyCheck) -> SlotVerdict:
        if check.bot_id in failed_bots:
            verdict = SlotVerdict(check.address, check.slot_id, False, "retraining failed")
        else:
            async with gate:
                metrics = await _metrics_when_ready(
                    backend, check, until=started + deadline_seconds, poll=poll_seconds,
                    clock=clock, sleep=sleep, on_event=on_event,
                )
            verdict = judge(check, metrics, baseline.get(check.address))
        if predicted and check.address in predicted:
            rate, count = predicted[check.address]
            verdict = dataclasses.replace(verdict, predicted_rate=rate, predicted_examples=count)
        on_event(progress.Verdict(check.address, verdict.passed, verdict.reason))
        return verdict

    return tuple(await asyncio.gather(*(one(c) for c in checks)))


async def _metrics_when_ready(
    backend: base.Backend,
    check: plans.VerifyCheck,
    *,
    until: float,
    poll: float,
    clock: Clock,
    sleep: Sleep,
    on_event: progress.Listener,
) -> lt.ExtractionMetrics | None:
    while True:
        try:
            return await backend.get_extraction_metrics(check.bot_id, check.slot_id or "")
        except errors.MetricsNotReadyError:
            now = clock()
            if now >= until:
                return None
            on_event(progress.Waiting(f"metrics of {check.address}", now))
            await sleep(min(poll, until - now))

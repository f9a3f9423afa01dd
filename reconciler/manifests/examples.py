"""Slot examples: run a slot's labelled sentences through ``reconciler.extraction``, offline.

Policy: a slot passes when the share of its examples that extract their labelled value is at
least ``spec.verify.minExampleRate`` (default 1.0: every one). A slot without examples has
nothing to test and passes. ``validate`` reports each failing example of a failing slot at the
example's own file:line:col, saying what was extracted instead; ``cogctl test`` reports every
slot (``run_slots``). Pure: the manifests are already loaded.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

from reconciler import extraction
from reconciler.manifests import loading, models

_EPSILON = 1e-9  # rates are shares of small integers; do not fail on float rounding


def matcher_of(spec: models.SlotSpec) -> extraction.Matcher:
    return extraction.Matcher(tuple(spec.patterns), spec.fillStrategy, spec.type)


def labelled(spec: models.SlotSpec) -> list[tuple[str, str | None]]:
    return [(example.text, example.value) for example in spec.examples]


def run(spec: models.SlotSpec) -> tuple[extraction.Outcome, ...]:
    """Every example of ``spec`` run through its own patterns, in order."""
    return extraction.outcomes(matcher_of(spec), labelled(spec))


def shown(value: str | None) -> str:
    """A value as messages and tables show it: quoted, or ``nothing``."""
    return "nothing" if value is None else json.dumps(value, ensure_ascii=False)


def describe(result: extraction.Outcome) -> str:
    """Why an example failed: what was expected and what was extracted instead."""
    if result.expected is None:
        return f"expected nothing to be extracted, extracted {shown(result.extracted)}"
    return f"expected {shown(result.expected)}, extracted {shown(result.extracted)} instead"


@dataclasses.dataclass(frozen=True)
class SlotResult:
    """One slot's examples, run. ``positions[i]`` is where example ``i`` was written."""

    address: str
    file: str
    outcomes: tuple[extraction.Outcome, ...]
    min_rate: float
    positions: tuple[tuple[int, int], ...] = ()

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def passed_count(self) -> int:
        return sum(r.passed for r in self.outcomes)

    @property
    def rate(self) -> float:
        return extraction.pass_rate(self.outcomes) if self.outcomes else 1.0

    @property
    def passed(self) -> bool:
        return self.rate + _EPSILON >= self.min_rate


@dataclasses.dataclass(frozen=True)
class ExampleReport:
    """``cogctl test``: every slot of the manifests, with or without examples."""

    slots: tuple[SlotResult, ...]

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.slots)

    @property
    def examples(self) -> int:
        return sum(s.total for s in self.slots)

    @property
    def failed_examples(self) -> int:
        return sum(s.total - s.passed_count for s in self.slots)


def slot_result(loaded: loading.LoadedManifest) -> SlotResult:
    """``loaded`` must hold a ``models.Slot``."""
    slot = loaded.manifest
    assert isinstance(slot, models.Slot)
    return SlotResult(
        address=slot.address,
        file=loaded.file,
        outcomes=run(slot.spec),
        min_rate=slot.spec.verify.minExampleRate,
        positions=tuple(
            loaded.locate("spec", "examples", i, "text") for i in range(len(slot.spec.examples))
        ),
    )


def run_slots(manifests: Sequence[loading.LoadedManifest]) -> ExampleReport:
    """Run the examples of every slot among ``manifests``, in the manifests' order."""
    return ExampleReport(tuple(
        slot_result(m) for m in manifests if isinstance(m.manifest, models.Slot)
    ))


def diagnostics(manifests: Sequence[loading.LoadedManifest]) -> list[loading.Diagnostic]:
    """One problem per failing example of each slot below its ``minExampleRate``."""
    found: list[loading.Diagnostic] = []
    for result in run_slots(manifests).slots:
        if result.passed:
            continue
        bar = (f"; {result.passed_count}/{result.total} pass, verify.minExampleRate is "
               f"{result.min_rate:g}" if result.min_rate < 1.0 else "")
        for index, outcome in enumerate(result.outcomes):
            if outcome.passed:
                continue
            line, column = result.positions[index]
            found.append(loading.Diagnostic(
                result.file, line, column, result.address,
                f"spec.examples[{index}] {shown(outcome.text)}: {describe(outcome)}{bar}",
            ))
    return found

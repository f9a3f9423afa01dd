"""Predicted extraction: a changed slot's examples with the live patterns and with the new ones.

Pure. For every slot the plan creates or updates whose manifest has examples, the examples
run through ``reconciler.extraction`` twice: with the live slot's patterns, fill strategy and
type (``before``; None for a slot that does not exist yet) and with the manifest's
(``after``). ``changed`` lists the examples whose extracted value or verdict differs. A
prediction is a ``regression`` when the pass rate drops by more than the slot's
``verify.maxRegression``. These are the same semantics the emulator measures with, so an
emulator whose labelled utterances are the examples measures exactly ``after``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from pydantic import JsonValue

from reconciler import extraction
from reconciler.manifests import examples, models

_EPSILON = 1e-9


@dataclasses.dataclass(frozen=True)
class ExampleRate:
    passed: int
    total: int

    @property
    def rate(self) -> float:
        return round(self.passed / self.total, 6) if self.total else 1.0

    def to_document(self) -> dict[str, JsonValue]:
        return {"passed": self.passed, "total": self.total, "rate": self.rate}

    def __str__(self) -> str:
        return f"{self.passed}/{self.total}"


@dataclasses.dataclass(frozen=True)
class ExampleChange:
    """An example whose outcome changes: what is extracted before and after, and verdicts."""

    text: str
    expected: str | None
    before: str | None
    after: str | None
    passed_before: bool | None
    passed_after: bool

    @property
    def breaks(self) -> bool:
        return self.passed_before is not False and not self.passed_after

    def to_document(self) -> dict[str, JsonValue]:
        return {
            "text": self.text, "expected": self.expected, "before": self.before,
            "after": self.after, "passedBefore": self.passed_before,
            "passedAfter": self.passed_after,
        }


@dataclasses.dataclass(frozen=True)
class Prediction:
    """One changed slot's examples, predicted. ``before`` is None for a create."""

    address: str
    before: ExampleRate | None
    after: ExampleRate
    changed: tuple[ExampleChange, ...]
    max_regression: float
    depends_on: tuple[str, ...] = ()

    @property
    def drop(self) -> float:
        return 0.0 if self.before is None else self.before.rate - self.after.rate

    @property
    def regression(self) -> bool:
        return self.drop > self.max_regression + _EPSILON

    def to_document(self) -> dict[str, JsonValue]:
        """``predicted`` of the public plan JSON: ``{before, after, changed, ...}``."""
        return {
            "before": self.before.to_document() if self.before else None,
            "after": self.after.to_document(),
            "changed": [c.to_document() for c in self.changed],
            "regression": self.regression,
            "maxRegression": self.max_regression,
        }

    def summary(self) -> str:
        """``examples 12/12 -> 9/12`` (``examples 9/12 (new slot)`` for a create)."""
        if self.before is None:
            return f"examples {self.after} (new slot)"
        return f"examples {self.before} -> {self.after}"


def _rate(results: Sequence[extraction.Outcome]) -> ExampleRate:
    return ExampleRate(sum(r.passed for r in results), len(results))


def _live_matcher(before: Mapping[str, JsonValue]) -> extraction.Matcher | None:
    spec = before.get("spec")
    if not isinstance(spec, Mapping):
        return None
    patterns = spec.get("patterns")
    if not isinstance(patterns, list):
        return None
    return extraction.Matcher(
        tuple(str(p) for p in patterns),
        str(spec.get("fillStrategy") or "bestMatch"),
        str(spec.get("type") or "regex"),
    )


def predict(
    address: str,
    manifest: models.Slot,
    before: Mapping[str, JsonValue] | None,
    *,
    depends_on: tuple[str, ...] = (),
) -> Prediction | None:
    """The prediction for one slot change (``before``: the live slot's normalized contents,
    None for a create), or None when the manifest has no examples."""
    if not manifest.spec.examples:
        return None
    pairs = examples.labelled(manifest.spec)
    after = examples.run(manifest.spec)
    matcher = _live_matcher(before) if before is not None else None
    old = _safe_outcomes(matcher, pairs) if matcher is not None else None
    changed: list[ExampleChange] = []
    if old is not None:
        for was, now in zip(old, after, strict=True):
            if was.extracted != now.extracted or was.passed != now.passed:
                changed.append(ExampleChange(now.text, now.expected, was.extracted,
                                             now.extracted, was.passed, now.passed))
    return Prediction(
        address=address,
        before=_rate(old) if old is not None else None,
        after=_rate(after),
        changed=tuple(changed),
        max_regression=manifest.spec.verify.maxRegression,
        depends_on=depends_on,
    )


def _safe_outcomes(
    matcher: extraction.Matcher, pairs: Sequence[tuple[str, str | None]]
) -> tuple[extraction.Outcome, ...] | None:
    """The live patterns were written outside our checks: one that does not compile predicts
    nothing rather than failing the plan."""
    try:
        return extraction.outcomes(matcher, pairs)
    except (ValueError, RecursionError, OverflowError):  # re.error is a ValueError
        return None

"""The emulator and the client each state the contract's context limits (the emulator is a
product of its own and imports nothing of the client); this keeps the two statements equal."""

from __future__ import annotations

from reconciler.emulator.platform import checks
from reconciler.manifests import models


def test_the_emulator_enforces_the_limits_validate_checks() -> None:
    assert (models.MAX_CONTEXT_VALUE_BYTES, models.MAX_CONTEXT_BYTES) == (
        checks.MAX_CONTEXT_VALUE_BYTES, checks.MAX_CONTEXT_BYTES) == (10 * 1024, 512 * 1024)

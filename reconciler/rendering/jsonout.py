"""``plan --output json``: the public plan document of ``shared/interfaces.md``.

The document itself, its format version and the saved form ``plan --out`` writes are defined
once, in ``core.plandocuments``; this renderer prints it.
"""

from __future__ import annotations

from typing import Any

from reconciler.core import plandocuments, plans

PUBLIC_FORMAT_VERSION = plandocuments.FORMAT_VERSION


def plan_document(plan: plans.Plan) -> dict[str, Any]:
    return plandocuments.public_document(plan)

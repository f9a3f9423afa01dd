"""The plan in the format ``--output`` names (text, JSON or Markdown), and drift's one line.

``plan``, ``show``, ``drift`` and ``apply`` print a plan through ``render_plan``, so a saved
plan shows exactly as it was shown when it was made. Colour is the caller's decision (the
terminal, ``NO_COLOR``); the words are the same either way.
"""

from __future__ import annotations

from reconciler import jsontypes
from reconciler.core import plans
from reconciler.rendering import _lines, jsonout, markdown, text


def render_plan(plan: plans.Plan, output: str, *, environment: str | None, color: bool) -> str:
    """The plan in ``output`` format, without a trailing newline (the printer adds one)."""
    if output == "json":
        return jsontypes.dumps(jsonout.plan_document(plan), indent=2)
    if output == "markdown":
        rendered = markdown.render_plan(plan, environment=environment or "default")
    else:
        rendered = text.render_plan(plan, color=color)
    return rendered.rstrip("\n")


def drift_line(plan: plans.Plan) -> str:
    """One line: how many objects differ, how many were edited outside cogctl, and which bots
    an interrupted apply left waiting for a retraining."""
    pending = plan.pending()
    outside = [c.address for c in pending if c.drift]
    if pending:
        line = f"drift: {len(pending)} object(s) differ from the manifests"
    elif plan.pending_retrain:
        line = "drift: live objects match the manifests"
    else:
        line = "drift: none, live state matches the manifests"
    if outside:
        line += f"; changed outside cogctl: {', '.join(outside)}"
    if plan.pending_retrain:
        labels = _lines.bot_labels(plan)
        bots = ", ".join(labels.get(p.bot_id, p.bot_id) for p in plan.pending_retrain)
        line += (f"; retraining pending from an interrupted apply (apply finishes it): {bots}")
    if plan.orphaned:
        # Not drift: the manifests dropped them and only --prune deletes; worth knowing.
        line += (f"; {len(plan.orphaned)} managed object(s) left the manifests "
                 f"(apply --prune deletes them): {', '.join(plan.orphaned)}")
    return line

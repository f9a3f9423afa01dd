"""What every plan renderer shows of one change: signed field lines, values as JSON.

Signs: ``+`` a field that appears, ``-`` one that goes, ``~`` one that changes. A secret's
place only ever reads ``(sensitive)``: the plan holds no secret value to show, and a
sensitive field diff says only that the secret changes.
"""

from __future__ import annotations

import json

from pydantic import JsonValue

from reconciler import diffing, plans

SIGN = {
    plans.Action.CREATE: "+",
    plans.Action.UPDATE: "~",
    plans.Action.DELETE: "-",
    plans.Action.NOOP: " ",
}
VERB = {
    plans.Action.CREATE: "will be created",
    plans.Action.UPDATE: "will be updated in place",
    plans.Action.DELETE: "will be deleted",
    plans.Action.NOOP: "is unchanged",
}


def format_value(value: JsonValue) -> str:
    if value == plans.SENSITIVE:
        return plans.SENSITIVE
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def flatten(content: JsonValue, prefix: tuple[str | int, ...] = ()) -> list[tuple[str, JsonValue]]:
    """Leaf fields of a normalized content, skipping empty ones (None, {}, [])."""
    if isinstance(content, dict) and content:
        out: list[tuple[str, JsonValue]] = []
        for key in content:
            out.extend(flatten(content[key], (*prefix, key)))
        return out
    if content is None or content == {} or content == []:
        return []
    return [(diffing.format_path(prefix), content)]


def field_lines(change: plans.Change) -> list[tuple[str, str]]:
    """(sign, text) per field of a change; no-ops have none."""
    if change.action is plans.Action.CREATE:
        return [("+", f"{p} = {format_value(v)}") for p, v in flatten(change.after)]
    if change.action is plans.Action.DELETE:
        return [("-", f"{p} = {format_value(v)}") for p, v in flatten(change.before)]
    return [_diff_line(d) for d in change.diff]


def _diff_line(diff: plans.FieldDiff) -> tuple[str, str]:
    if diff.before is None:
        return "+", f"{diff.path} = {format_value(diff.after)}"
    if diff.after is None:
        return "-", f"{diff.path} = {format_value(diff.before)}"
    if diff.sensitive:
        return "~", f"{diff.path} = (sensitive value changes)"
    return "~", f"{diff.path}: {format_value(diff.before)} -> {format_value(diff.after)}"


def totals_line(summary: plans.Summary) -> str:
    pending = (
        f" {summary.retrain_pending} retraining(s) pending." if summary.retrain_pending else ""
    )
    return (
        f"Plan: {summary.create} to add, {summary.update} to change, "
        f"{summary.delete} to destroy.{pending}"
    )


NO_CHANGES = "No changes. Live state matches the manifests."

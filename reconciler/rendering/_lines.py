"""What every plan renderer shows of one change: signed field lines, values as JSON.

Signs: ``+`` a field that appears, ``-`` one that goes, ``~`` one that changes. A secret's
place only ever reads ``(sensitive)``: the plan holds no secret value to show, and a
sensitive field diff says only that the secret changes.

An empty field (null, ``{}``, ``[]``) is an unset setting and is left out, except inside a
context variable's ``value``: there null and empty collections are values that get written,
so they are always shown (``+ variables.cart_items.value = []``), and a value that becomes
null reads ``"x" -> null``, not as a removal.
"""

from __future__ import annotations

from pydantic import JsonValue

from reconciler import jsontypes
from reconciler.core import plans, predicting
from reconciler.manifests import locating

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
    return jsontypes.dumps(value, sort_keys=True)


def _is_data(prefix: tuple[str | int, ...]) -> bool:
    """Inside a context variable's value (``variables.KEY.value...``): empty is a value."""
    return len(prefix) >= 3 and prefix[0] == "variables" and prefix[2] == "value"


def flatten(content: JsonValue, prefix: tuple[str | int, ...] = ()) -> list[tuple[str, JsonValue]]:
    """Leaf fields of a normalized content; empty ones (None, {}, []) only as data values."""
    if isinstance(content, dict) and content:
        out: list[tuple[str, JsonValue]] = []
        for key in content:
            out.extend(flatten(content[key], (*prefix, key)))
        return out
    if (content is None or content == {} or content == []) and not _is_data(prefix):
        return []
    return [(locating.format_path(prefix), content)]


def field_lines(change: plans.Change) -> list[tuple[str, str]]:
    """(sign, text) per field of a change; no-ops have none. A write that sends a secret
    ends with the variable it is read from (its name; the value is never in a plan)."""
    lines = _fields(change)
    if change.secret_env and change.action in (plans.Action.CREATE, plans.Action.UPDATE):
        lines.append((" ", f"secret read from ${change.secret_env}"))
    return lines


def _fields(change: plans.Change) -> list[tuple[str, str]]:
    if change.action is plans.Action.CREATE:
        return [("+", f"{p} = {format_value(v)}") for p, v in flatten(change.after)]
    if change.action is plans.Action.DELETE:
        return [("-", f"{p} = {format_value(v)}") for p, v in flatten(change.before)]
    # A diff side of None is "absent" unless that path is a null data value on that side.
    before = {path for path, value in flatten(change.before) if value is None}
    after = {path for path, value in flatten(change.after) if value is None}
    return [_diff_line(d, null_before=d.path in before, null_after=d.path in after)
            for d in change.diff]


def _diff_line(
    diff: plans.FieldDiff, *, null_before: bool = False, null_after: bool = False
) -> tuple[str, str]:
    if diff.before is None and not null_before:
        return "+", f"{diff.path} = {format_value(diff.after)}"
    if diff.after is None and not null_after:
        return "-", f"{diff.path} = {format_value(diff.before)}"
    if diff.sensitive:
        return "~", f"{diff.path} = (sensitive value changes)"
    return "~", f"{diff.path}: {format_value(diff.before)} -> {format_value(diff.after)}"


def bot_label(bot: str | None, bot_id: str) -> str:
    """How every output names a bot: ``orders (bot_orders)``; the botId alone when the
    logical name is unknown or is the botId itself (an unmapped name)."""
    return f"{bot} ({bot_id})" if bot and bot != bot_id else bot_id


def bot_labels(plan: plans.Plan) -> dict[str, str]:
    """botId -> label for every bot the plan's changes name (others go by botId)."""
    return {c.bot_id: bot_label(c.bot, c.bot_id) for c in plan.changes}


def totals_line(summary: plans.Summary) -> str:
    pending = (
        f" {summary.retrain_pending} retraining(s) pending." if summary.retrain_pending else ""
    )
    return (
        f"Plan: {summary.create} to add, {summary.update} to change, "
        f"{summary.delete} to destroy.{pending}"
    )


NO_CHANGES = "No changes. Live state matches the manifests."


def _shown(value: str | None) -> str:
    return "nothing" if value is None else jsontypes.dumps(value)


def prediction_headline(prediction: predicting.Prediction) -> str:
    """``examples 12/12 -> 9/12``, and the regression when the drop exceeds maxRegression."""
    line = prediction.summary()
    if prediction.regression:
        line += (f" (REGRESSION: drop {prediction.drop:.3f} > maxRegression "
                 f"{prediction.max_regression:g})")
    return line


def example_change_line(change: predicting.ExampleChange) -> str:
    """One example whose outcome changes: ``FAIL "text": extracts "x" (was "y"), expected "y"``."""
    verdict = "pass" if change.passed_after else "FAIL"
    was = f" (was {_shown(change.before)})" if change.before != change.after else ""
    return (f"{verdict} {jsontypes.dumps(change.text)}: extracts "
            f"{_shown(change.after)}{was}, expected {_shown(change.expected)}")


def targeted_line(plan: plans.Plan) -> str:
    """What a targeted plan says first: it is partial, and how to see the rest."""
    return (f"Targeted plan (--target {', '.join(plan.targets)}): only these objects, and what "
            "new ones depend on, were planned; other changes may be missing. Run without "
            "--target to see them all.")

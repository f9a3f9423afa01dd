"""The plan as terminal text, in the manner of ``terraform plan``.

One block per change that writes (``+`` create, ``~`` update, ``-`` delete), with its reason
and its fields (``old -> new``); a slot with examples adds its predicted extraction
(``# examples 12/12 -> 9/12``) and the examples that change outcome; then what is left alone,
then the totals line, or "No changes. Live state matches the manifests." ANSI colour only
when ``color`` is true: the CLI decides from the terminal and ``NO_COLOR``; the rendered words
are the same either way.
"""

from __future__ import annotations

from reconciler.core import plans, predicting
from reconciler.rendering import _lines

_COLORS = {"+": "\x1b[32m", "~": "\x1b[33m", "-": "\x1b[31m", "!": "\x1b[35m"}
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"


def _paint(text: str, sign: str, *, color: bool, bold: bool = False) -> str:
    if not color:
        return text
    return f"{_BOLD if bold else ''}{_COLORS.get(sign, '')}{text}{_RESET}"


def render_plan(plan: plans.Plan, *, color: bool) -> str:
    """The whole plan as text, ending with a newline."""
    summary = plan.summary()
    out: list[str] = []
    if plan.targets:
        out += [_paint(_lines.targeted_line(plan), "~", color=color, bold=True), ""]
    pending = plan.pending()
    if pending:
        out.append("cogctl will perform the following actions:")
        out.append("")
        for change in pending:
            out.extend(_change_block(change, color=color))
            out.extend(_prediction_block(plan.prediction_for(change.address), color=color))
            out.append("")
    out.extend(_left_alone(plan))
    if plan.retrain:
        labels = _lines.bot_labels(plan)
        named = ", ".join(labels.get(bot_id, bot_id) for bot_id in plan.retrain)
        out.append(f"Retraining after apply: {named}")
        out.extend(f"  # {pending.reason}" for pending in plan.pending_retrain)
        out.append("")
    if summary.has_changes:
        out.append(_paint(_lines.totals_line(summary), "", color=color, bold=True))
    else:
        out.append(_paint(_lines.NO_CHANGES, "+", color=color, bold=True))
    return "\n".join(out) + "\n"


def _change_block(change: plans.Change, *, color: bool) -> list[str]:
    sign = _lines.SIGN[change.action]
    drift = " [drift]" if change.drift else ""
    lines = [
        f"  # {change.address} {_lines.VERB[change.action]}{drift}",
        f"  # reason: {change.reason}",
        _paint(f"  {sign} {change.address}", sign, color=color, bold=True),
    ]
    for field_sign, text in _lines.field_lines(change):
        lines.append(_paint(f"      {field_sign} {text}", field_sign, color=color))
    return lines


def _prediction_block(prediction: predicting.Prediction | None, *, color: bool) -> list[str]:
    if prediction is None:
        return []
    sign = "!" if prediction.regression else " "
    lines = [_paint(f"      # {_lines.prediction_headline(prediction)}", sign, color=color)]
    for change in prediction.changed:
        lines.append(_paint(f"      #   {_lines.example_change_line(change)}",
                            "-" if change.breaks else "+", color=color))
    return lines


def _left_alone(plan: plans.Plan) -> list[str]:
    out: list[str] = []
    if plan.orphaned:
        out.append(
            f"{len(plan.orphaned)} object(s) labelled managed-by: cogctl are no longer in the "
            "manifests (--prune deletes them):"
        )
        out.extend(f"    {address}" for address in plan.orphaned)
        out.append("")
    if plan.unmanaged:
        out.append(f"{len(plan.unmanaged)} live object(s) not managed by cogctl, left alone:")
        out.extend(f"    {address}" for address in plan.unmanaged)
        out.append("")
    return out

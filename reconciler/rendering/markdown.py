"""The plan as a pull-request comment (GitHub-flavoured Markdown) that always fits.

Layout: the hidden marker ``<!-- cogctl-plan:ENV -->`` first (the sticky comment is found by
it), a heading, the summary table, a warning banner when anything is deleted, then one
collapsible ``<details>`` block per change with its field diff, then what is left alone.

Fitting ``limit`` characters (GitHub refuses comments over 65,536): the head (marker,
summary, deletion banner) and the foot always stay. Details are dropped first, from the end;
the changes whose details no longer fit are listed as addresses only; when even those do
not fit, the list stops with a count of what is not shown. Text from manifests is escaped:
HTML in summaries, fences longer than any backtick run inside.
"""

from __future__ import annotations

import html
import re

from reconciler import errors
from reconciler.core import plans
from reconciler.rendering import _lines

DEFAULT_LIMIT = 65_000
_BANNER_ADDRESSES = 20
# Room for the listing's header and its closing "... and N more not shown" line.
_LISTING_OVERHEAD = 160
_MD_SIGN = {"+": "+", "-": "-", "~": "!", " ": " "}  # "!" reads as a change in ```diff


_ENVIRONMENT = re.compile(r"^[A-Za-z0-9_.\-]+$")


def marker(environment: str) -> str:
    """The hidden line the sticky comment is found by; refuses names that could break it."""
    if not _ENVIRONMENT.match(environment) or "--" in environment:
        raise errors.ConfigError(
            f"environment name {environment!r} cannot mark a pull-request comment",
            hint="use letters, digits, '_', '.' and single '-'",
        )
    return f"<!-- cogctl-plan:{environment} -->"


def render_plan(plan: plans.Plan, *, environment: str, limit: int = DEFAULT_LIMIT) -> str:
    """The comment body, at most ``limit`` characters (the head is never cut)."""
    head = _head(plan, environment)
    foot = _foot(plan)
    pending = plan.pending()
    budget = limit - len(head) - len(foot)
    # What listing every change from index i onwards as an address line costs.
    tail_cost = [0] * (len(pending) + 1)
    for index in range(len(pending) - 1, -1, -1):
        tail_cost[index] = tail_cost[index + 1] + len(_address_line(pending[index]))
    blocks: list[str] = []
    used = 0
    for change in pending:
        block = _details(change)
        rest = len(blocks) + 1
        listing = tail_cost[rest] + (_LISTING_OVERHEAD if rest < len(pending) else 0)
        if used + len(block) + listing > budget:
            break
        blocks.append(block)
        used += len(block)
    rest_changes = pending[len(blocks):]
    if rest_changes:
        blocks.append(_addresses(rest_changes, budget - used))
    return head + "".join(blocks) + foot


def _head(plan: plans.Plan, environment: str) -> str:
    summary = plan.summary()
    parts = [
        marker(environment) + "\n",
        f"### cogctl plan for `{_code(environment)}`\n\n",
    ]
    if summary.delete:
        deleted = [c.address for c in plan.pending() if c.action is plans.Action.DELETE]
        names = ", ".join(f"`{_code(a)}`" for a in deleted[:_BANNER_ADDRESSES])
        hidden = len(deleted) - _BANNER_ADDRESSES
        more = f" and {hidden} more" if hidden > 0 else ""
        parts.append(
            f"> [!WARNING]\n> This plan **deletes {summary.delete} object(s)**: {names}{more}.\n\n"
        )
    parts.append(
        "| create | update | delete | unchanged |\n|---:|---:|---:|---:|\n"
        f"| {summary.create} | {summary.update} | {summary.delete} | {summary.unchanged} |\n\n"
    )
    drifted = sum(1 for c in plan.changes if c.drift)
    if drifted:
        parts.append(f"**Drift:** {drifted} object(s) changed outside cogctl since last apply.\n\n")
    if not summary.has_changes:
        parts.append(f"{_lines.NO_CHANGES}\n\n")
    return "".join(parts)


def _foot(plan: plans.Plan) -> str:
    parts = []
    if plan.orphaned:
        parts.append(
            f"{len(plan.orphaned)} object(s) labelled `managed-by: cogctl` are no longer in the "
            "manifests; `--prune` deletes them.\n\n"
        )
    if plan.unmanaged:
        parts.append(f"{len(plan.unmanaged)} live object(s) not managed by cogctl, left alone.\n\n")
    if plan.retrain:
        labels = _lines.bot_labels(plan)
        named = ", ".join(f"`{_code(labels.get(b, b))}`" for b in plan.retrain)
        parts.append(f"Retraining after apply: {named}\n\n")
        parts.extend(f"> {_code(p.reason)}\n\n" for p in plan.pending_retrain)
    parts.append(f"<sub>target `{_code(plan.target)}` · live state `{plan.fingerprint}`</sub>\n")
    return "".join(parts)


def _details(change: plans.Change) -> str:
    sign = _lines.SIGN[change.action]
    drift = " (drift)" if change.drift else ""
    lines = "\n".join(f"{_MD_SIGN[s]} {text}" for s, text in _lines.field_lines(change))
    fence = "`" * max(3, _longest_backtick_run(lines) + 1)
    summary = (
        f"<code>{sign} {html.escape(change.address)}</code>{drift}: {html.escape(change.reason)}"
    )
    body = f"\n\n{fence}diff\n{lines}\n{fence}\n" if lines else "\n"
    return f"<details><summary>{summary}</summary>{body}\n</details>\n\n"


def _address_line(change: plans.Change) -> str:
    drift = " (drift)" if change.drift else ""
    return f"- `{_lines.SIGN[change.action]} {_code(change.address)}`{drift}\n"


def _addresses(changes: tuple[plans.Change, ...], budget: int) -> str:
    """Address lines while they fit, then one line counting what is not shown."""
    header = f"{len(changes)} change(s) listed without details:\n\n"
    lines: list[str] = []
    used = len(header) + _LISTING_OVERHEAD
    for index, change in enumerate(changes):
        line = _address_line(change)
        if used + len(line) > budget:
            lines.append(
                f"- … and {len(changes) - index} more not shown: see the job summary or the "
                "plan artifact.\n"
            )
            break
        lines.append(line)
        used += len(line)
    return header + "".join(lines) + "\n"


def _code(text: str) -> str:
    """Safe inside single backticks: no backtick, no line break."""
    return text.replace("`", "'").replace("\n", " ")


def _longest_backtick_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)

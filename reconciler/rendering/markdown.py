"""The plan as a pull-request comment (GitHub-flavoured Markdown) that always fits.

Layout: the hidden marker ``<!-- cogctl-plan:ENV -->`` first (the sticky comment is found by
it), a heading, a warning banner when anything is deleted and one when a slot's predicted
extraction regresses, the summary table, then "Predicted extraction" (a table of the changed
slots' example pass rates, the examples that change outcome and a Mermaid graph of the changed
slots and their dependencies), then one collapsible ``<details>`` block per change with its
field diff, then what is left alone.

Fitting ``limit`` characters (GitHub refuses comments over 65,536): the head (marker,
summary, banners) and the foot always stay; the predictions take at most half of the rest
and shrink (no examples, no graph, one line) to fit. Details are dropped first, from the end;
the changes whose details no longer fit are listed as addresses only; when even those do
not fit, the list stops with a count of what is not shown. Text from manifests is escaped:
HTML in summaries, fences longer than any backtick run inside.
"""

from __future__ import annotations

import html
import re

from reconciler import errors
from reconciler.core import plans, predicting
from reconciler.rendering import _lines

DEFAULT_LIMIT = 65_000
_BANNER_ADDRESSES = 20
# Room for the listing's header and its closing "... and N more not shown" line.
_LISTING_OVERHEAD = 160
_MD_SIGN = {"+": "+", "-": "-", "~": "!", " ": " "}  # "!" reads as a change in ```diff


_ENVIRONMENT = re.compile(r"^[A-Za-z0-9_.\-]+$")


def marker(environment: str) -> str:
    """The hidden line the sticky comment is found by; refuses names that could break it."""
    if not _ENVIRONMENT.fullmatch(environment) or "--" in environment:
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
    # Predictions take at most half of what is left; they shrink to fit (``_predicted``).
    predicted = _predicted(plan, budget // 2)
    head += predicted
    budget -= len(predicted)
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
    if plan.targets:
        parts.append(f"> [!NOTE]\n> {_lines.targeted_line(plan)}\n\n")
    if summary.delete:
        deleted = [c.address for c in plan.pending() if c.action is plans.Action.DELETE]
        names = ", ".join(f"`{_code(a)}`" for a in deleted[:_BANNER_ADDRESSES])
        hidden = len(deleted) - _BANNER_ADDRESSES
        more = f" and {hidden} more" if hidden > 0 else ""
        parts.append(
            f"> [!WARNING]\n> This plan **deletes {summary.delete} object(s)**: {names}{more}.\n\n"
        )
    regressions = plan.regressions()
    if regressions:
        named = ", ".join(f"`{_code(p.address)}` ({p.before} -> {p.after})"
                          for p in regressions[:_BANNER_ADDRESSES])
        hidden = len(regressions) - _BANNER_ADDRESSES
        more = f" and {hidden} more" if hidden > 0 else ""
        parts.append(
            f"> [!WARNING]\n> **Predicted extraction drops** beyond `verify.maxRegression` in "
            f"{len(regressions)} slot(s): {named}{more}.\n\n"
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


def _predicted(plan: plans.Plan, budget: int) -> str:
    """"Predicted extraction": the table, the examples that change outcome and the Mermaid
    graph of the changed slots; without examples, then without graph, then one line, then
    nothing, whatever fits ``budget``."""
    if not plan.predictions:
        return ""
    table = _prediction_table(plan.predictions[:_MAX_ROWS], len(plan.predictions))
    examples = "".join(_changed_examples(p) for p in plan.predictions[:_MAX_ROWS])
    graph = _graph(plan)
    count = len(plan.predictions)
    line = (f"**Predicted extraction:** {count} slot(s), {len(plan.regressions())} "
            "regression(s); the table is in the job summary.\n\n")
    for candidate in (table + examples + graph, table + graph, table, line):
        if len(candidate) <= budget:
            return candidate
    return ""


_MAX_ROWS = 50
_MAX_EXAMPLES = 10
_MAX_NODES = 40


def _prediction_table(shown: tuple[predicting.Prediction, ...], count: int) -> str:
    rows = ["#### Predicted extraction\n\n",
            "| slot | examples before | examples after | changed | |\n",
            "|---|---:|---:|---:|---|\n"]
    for p in shown:
        flag = "⚠️ regression" if p.regression else ("✅" if p.after.passed == p.after.total
                                                     else "")
        before = str(p.before) if p.before is not None else "new"
        rows.append(
            f"| `{_code(p.address)}` | {before} | {p.after} | {len(p.changed)} | {flag} |\n"
        )
    if count > len(shown):
        rows.append(f"\n… and {count - len(shown)} more slot(s) in the job summary.\n")
    return "".join(rows) + "\n"


def _changed_examples(prediction: predicting.Prediction) -> str:
    if not prediction.changed:
        return ""
    lines = [f"`{_code(prediction.address)}`, examples that change outcome:\n\n"]
    for change in prediction.changed[:_MAX_EXAMPLES]:
        text = _lines.example_change_line(change)
        if len(text) > 200:
            text = text[:199] + "…"
        lines.append(f"- `{_code(text)}`\n")
    hidden = len(prediction.changed) - _MAX_EXAMPLES
    if hidden > 0:
        lines.append(f"- … and {hidden} more\n")
    return "".join(lines) + "\n"


def _graph(plan: plans.Plan) -> str:
    """The changed slots and what they depend on, as a Mermaid flowchart (GitHub renders it)."""
    slots = [c for c in plan.pending() if c.kind == "Slot" and c.action is not plans.Action.DELETE]
    if not slots:
        return ""
    ids: dict[str, str] = {}
    nodes: list[str] = []
    regressed: list[str] = []

    def node(address: str) -> str:
        if address not in ids:
            ids[address] = f"n{len(ids)}"
            prediction = plan.prediction_for(address)
            label = _mermaid_text(address)
            if prediction is not None:
                label += f"<br/>{prediction.before or 'new'} → {prediction.after}"
                if prediction.regression:
                    regressed.append(ids[address])
            changed = any(c.address == address for c in slots)
            shape = f'["{label}"]' if changed else f'(["{label}"])'
            nodes.append(f"  {ids[address]}{shape}\n")
        return ids[address]

    edges: list[str] = []
    for change in slots[:_MAX_NODES]:
        source = node(change.address)
        for dependency in change.depends_on:
            edges.append(f"  {source} -->|depends on| {node(dependency)}\n")
    parts = ["```mermaid\nflowchart LR\n", *nodes, *edges]
    if regressed:
        parts.append("  classDef regression fill:#fde2e1,stroke:#cf222e\n")
        parts.append(f"  class {','.join(regressed)} regression\n")
    parts.append("```\n\n")
    if len(slots) > _MAX_NODES:
        parts.append(f"{len(slots) - _MAX_NODES} more changed slot(s) not drawn.\n\n")
    return "".join(parts)


def _mermaid_text(text: str) -> str:
    """Safe inside a quoted Mermaid label: no quote, bracket, backtick or line break."""
    return re.sub(r'["`\[\]<>{}|\n]', "_", text)


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

"""A busy repository: pull requests planned side by side, merged one after the other.

The composite action runs as a runner would run it (``actionrunner``), against the emulator
over real HTTP and the fake GitHub API over real HTTP. Each pull request has its own tree
(a copy of main with its change); main is the tree the apply runs on after each merge.
"""

from __future__ import annotations

import shutil

import pytest
from actionrunner import Runner, StepsRun

from reconciler.github import planstamps, publishing

# Two pull requests on different bots: each adds a label to one slot.
EDITS = {
    7: ("orders/slots.yaml", "labels: {team: commerce}", "labels: {team: commerce, pr: '7'}"),
    8: ("support/slots.yaml", "labels: {team: support, owner: cx-platform}",
        "labels: {team: support, owner: cx-platform, pr: '8'}"),
}
SHAS = {7: "a7" * 20, 8: "b8" * 20}


def _tree(runner: Runner, name: str, *prs: int) -> str:
    """A copy of the base manifests with the changes of ``prs``; its path for the action."""
    target = runner.workdir / name / "manifests"
    if not target.exists():
        shutil.copytree(runner.workdir / "manifests", target)
    for pr in prs:
        file, old, new = EDITS[pr]
        path = target / file
        text = path.read_text()
        if new not in text:
            assert old in text
            path.write_text(text.replace(old, new, 1))
    return f"{name}/manifests"


def _event(pr: int) -> dict[str, object]:
    return {"number": pr, "pull_request": {"number": pr}}


def _merged(runner: Runner, pr: int, *merged: int) -> StepsRun:
    """Merge ``pr`` (main then holds ``merged``) and run the apply of the push to main."""
    sha = SHAS[pr]
    runner.github.issues[pr].update(merged_at="2026-01-01T00:00:00Z", merge_commit_sha=sha)
    runner.github.commit_pulls[sha] = [pr]
    return runner.action({"ref": "refs/heads/main", "after": sha}, sha=sha, command="apply",
                         env="local", manifests=_tree(runner, "main", *merged))


def _setup(runner: Runner) -> None:
    runner.github.add_pull(8)
    base = runner.cogctl("apply", "manifests", "--env", "local", "--auto-approve")
    assert base.returncode == 0, base.stderr
    for pr in EDITS:
        planned = runner.action(_event(pr), command="plan", env="local",
                                manifests=_tree(runner, f"pr-{pr}", pr))
        assert planned.code == 0, planned.stderr
        assert planned.outputs["changes"] == "true"



@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("order", [(7, 8), (8, 7)], ids=["orders-first", "support-first"])
def test_two_pull_requests_on_different_bots_both_apply_in_either_order(
    runner: Runner, order: tuple[int, int]
) -> None:
    _setup(runner)
    first, second = order
    for merged in ((first,), (first, second)):
        pr = merged[-1]
        applied = _merged(runner, pr, *merged)
        assert applied.code == 0, applied.stdout + applied.stderr
        assert f"matches the one reviewed on #{pr}" in applied.stdout
        assert runner.writes()
        runner.tenant("DELETE", "/_emulator/requests")
    # Converged: the next apply of main finds nothing to do and writes nothing.
    again = _merged(runner, second)
    assert again.code == 0, again.stderr
    assert again.outputs["changes"] == "false"
    assert runner.writes() == []
    assert not [c for c in runner.github.comments.values()
                if c["body"].startswith("<!-- cogctl-apply-refused:")]


@pytest.mark.e2e
def test_a_pull_request_whose_object_changed_after_review_is_refused(runner: Runner) -> None:
    _setup(runner)
    runner.edit_slot_outside("sku", bot="bot_orders")
    runner.tenant("DELETE", "/_emulator/requests")
    refused = _merged(runner, 7, 7)
    assert refused.code == 1
    assert "refusing to apply local: the plan differs from the one reviewed on #7" in (
        refused.stderr)
    assert "changed since the review" in refused.stderr
    assert "Slot/orders/sku" in refused.stderr
    assert runner.writes() == []
    marker = publishing.marker_comment("cogctl-apply-refused:local")
    [comment] = [c for c in runner.github.comments_on(7) if c["body"].startswith(marker)]
    assert "- `Slot/orders/sku`" in comment["body"]
    assert "**To re-plan:**" in comment["body"]

    # Main now holds PR 7's change too, which PR 8 never showed: refused, naming only that.
    next_one = _merged(runner, 8, 8)
    assert next_one.code == 1
    assert "changes the reviewed plan did not show: Slot/orders/sku (" in next_one.stderr
    assert "Slot/support/" not in next_one.stderr


def test_the_stamp_on_the_comment_lists_objects_with_the_versions_seen(runner: Runner) -> None:
    runner.github.add_pull(8)
    planned = runner.action(_event(7), command="plan", env="local",
                            manifests=_tree(runner, "pr-7", 7))
    assert planned.code == 0, planned.stderr
    marker = publishing.marker_comment("cogctl-plan:local")
    [body] = [c["body"] for c in runner.github.comments_on(7) if c["body"].startswith(marker)]
    stamp = planstamps.find_stamp(body, "local")
    assert stamp is not None
    assert stamp.promises
    assert all(p.seen is not None for p in stamp.promises)
    assert {p.seen for p in stamp.promises if p.address.startswith("Slot/")} == {"absent"}

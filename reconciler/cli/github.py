"""``cogctl github``: what the GitHub Actions workflows need from GitHub itself.

Each subcommand reads the standard ``GITHUB_*`` variables of a workflow run, calls one
function of ``reconciler.github.workflows`` and prints one line (or the Markdown asked for).
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import jsontypes
from reconciler.github import workflows
from reconciler.pipeline import auditchains
from reconciler.rendering import actions, markdown

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("github")
def github() -> None:
    """Sticky plan comments, drift issues and reviewed-plan checks for GitHub Actions."""


@github.command("comment")
@click.option("--marker", required=True, help="Hidden marker, e.g. cogctl-plan:staging.")
@click.option("--body-file", required=True, type=_FILE, help="Markdown body to post.")
@click.option("--pr", type=click.IntRange(min=1), help="Pull request (default: the event's).")
@click.option("--plan", "plan_file", type=_FILE,
              help="Plan JSON or saved plan: embed its stamp for the apply check.")
@click.option("--environment", help="Environment of the stamp (default: from the marker).")
def comment(marker: str, body_file: Path, pr: int | None, plan_file: Path | None,
            environment: str | None) -> None:
    """Create or update the one comment carrying MARKER on the pull request."""
    number, outcome = workflows.comment(marker, body_file, pr=pr, plan_file=plan_file,
                                        environment=environment)
    click.echo(f"comment {outcome.action} on pull request #{number}: {outcome.url or ''}".strip())


@github.command("drift-issue")
@click.option("--environment", required=True, help="Environment the drift run checked.")
@click.option("--body-file", required=True, type=_FILE, help="Markdown drift report.")
@click.option("--drift/--no-drift", required=True, help="Whether drift was found.")
def drift_issue(environment: str, body_file: Path, drift: bool) -> None:
    """Open or update the environment's drift issue; close it when drift is gone."""
    outcome = workflows.drift_issue(environment, body_file, drift=drift)
    where = f" #{outcome.number}" if outcome.number else ""
    click.echo(f"drift issue{where}: {outcome.action} {outcome.url or ''}".strip())


@github.command("check-plan")
@click.option("--environment", required=True, help="Environment planned.")
@click.option("--plan", "plan_file", required=True, type=_FILE,
              help="Fresh plan: a saved plan (plan --out), or plan --output json.")
@click.option("--sha", help="Merged commit (default: GITHUB_SHA).")
@click.option("--pr", type=click.IntRange(min=1),
              help="Pull request (default: the merged PR of --sha).")
@click.option("--comment/--no-comment", default=True, show_default=True,
              help="On refusal, say why in a comment on the pull request.")
def check_plan(environment: str, plan_file: Path, sha: str | None, pr: int | None,
               comment: bool) -> None:
    """Refuse (exit 1) unless the fresh plan makes the changes reviewed on the merged PR.

    Object by object: every fresh change was shown (address, action, content after), and
    every object it touches is still at the version seen at review. Changes to other objects
    (another merged pull request) never block.
    """
    reviewed = workflows.check_plan(environment, plan_file, sha=sha, pr=pr,
                                    post_comment=comment)
    done = reviewed.verdict.done
    already = f"; already live: {', '.join(done)}" if done else ""
    click.echo(f"plan for {environment} matches the one reviewed on #{reviewed.number}: "
               f"{reviewed.fresh.describe()}{already}")


@github.command("environments")
@click.argument("path", default="manifests", type=click.Path(path_type=Path))
@click.option("--skip-emulator", is_flag=True, help="Leave out embedded-emulator environments.")
@click.option("--output", "-o", type=click.Choice(["names", "json", "text"]), default="names",
              show_default=True, help="names: a JSON list (for a job matrix); json: "
              "[{name, after}]; text: one line each.")
def environments(path: Path, skip_emulator: bool, output: str) -> None:
    """Print the environments of cogctl.yaml in promotion order, each after what it follows."""
    ordered = workflows.environments(path, skip_emulator=skip_emulator)
    if output == "names":
        click.echo(jsontypes.dumps([name for name, _ in ordered], ensure_ascii=True))
    elif output == "json":
        listed = [{"name": name, "after": after} for name, after in ordered]
        click.echo(jsontypes.dumps(listed, ensure_ascii=True))
    else:
        for name, after in ordered:
            click.echo(f"{name} (after {after})" if after else name)


@github.command("render")
@click.option("--plan", "plan_file", required=True, type=_FILE, help="A saved plan.")
@click.option("--environment", required=True, help="Environment of the plan.")
@click.option("--limit", type=click.IntRange(min=1000), default=1_000_000, show_default=True,
              help="Characters at most (job summaries take up to 1 MiB).")
def render(plan_file: Path, environment: str, limit: int) -> None:
    """Render a saved plan as Markdown, e.g. in full for the job summary."""
    plan = workflows.read_plan(plan_file)
    click.echo(markdown.render_plan(plan, environment=environment, limit=limit))


@github.command("failure-body")
@click.option("--log", "log_file", required=True, type=_FILE, help="The failed step's output.")
@click.option("--title", required=True, help="Heading, e.g. 'cogctl plan for staging failed'.")
@click.option("--tail", type=click.IntRange(min=1), default=20, show_default=True,
              help="Last lines of the log to keep (the first error is kept as well).")
def failure_body(log_file: Path, title: str, tail: int) -> None:
    """Markdown for a failure comment: the first error line and the last lines of the log."""
    click.echo(actions.failure_comment(title, workflows.read_text(log_file),
                                       run_url=workflows.run_url(), tail=tail))


@github.command("audit-restore")
@click.option("--environment", required=True, help="Environment whose chain to continue.")
@click.option("--dir", "folder", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where the audit log and head go (the job's output folder).")
@click.option("--branch", help="Branch whose runs count (default: GITHUB_REF_NAME).")
def audit_restore(environment: str, folder: Path, branch: str | None) -> None:
    """Fetch the newest audit log and head of ENV's earlier runs (artifact cogctl-audit-ENV).

    No earlier artifact: the chain starts here. An expired or incomplete one: the head is
    marked lost, and the command that follows records an audit gap, never a silent restart.
    """
    ref, found = auditchains.restore(environment, folder, branch=branch)
    click.echo(auditchains.describe(environment, ref, found))


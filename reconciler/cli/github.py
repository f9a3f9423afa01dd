"""``cogctl github``: what the GitHub Actions workflows need from GitHub itself.

Each subcommand reads the standard ``GITHUB_*`` variables of a workflow run
(``GITHUB_TOKEN``, ``GITHUB_REPOSITORY``, ``GITHUB_API_URL``, ``GITHUB_EVENT_PATH``,
``GITHUB_SHA``), calls one function of ``reconciler.github.publishing`` and prints one line.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TypeVar

import click
import pydantic
import yaml

from reconciler import errors, fileio, jsontypes
from reconciler.core import plans
from reconciler.github import api, auditchain, planstamps

# ``github`` names the click group below, as the command registry expects.
from reconciler.github import publishing as gh
from reconciler.manifests import models
from reconciler.records import audithead
from reconciler.rendering import actions, markdown

T = TypeVar("T")
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _env(name: str, env: Mapping[str, str], *, hint: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise errors.ConfigError(f"{name} is not set", hint=hint)
    return value


def _with_client(
    action: Callable[[api.GitHubClient, gh.Repository], Awaitable[T]],
) -> T:
    env = os.environ
    token = _env("GITHUB_TOKEN", env, hint="pass env GITHUB_TOKEN: ${{ github.token }}")
    repo = gh.Repository.from_slug(
        _env("GITHUB_REPOSITORY", env, hint="set it to owner/name (GitHub sets it in Actions)")
    )
    api_url = env.get("GITHUB_API_URL") or api.DEFAULT_API_URL

    async def run() -> T:
        async with api.GitHubClient(token=token, api_url=api_url) as client:
            return await action(client, repo)

    return asyncio.run(run())


def _run_url(env: Mapping[str, str]) -> str | None:
    server, repo, run_id = (env.get(k) for k in
                            ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else None


def _read(path: Path) -> str:
    try:
        return fileio.read_bounded(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.ConfigError(f"{path}: cannot read ({exc})") from exc


def _stamp(plan_file: Path, environment: str) -> planstamps.PlanStamp:
    document = gh.load_plan_document(plan_file)
    try:
        return planstamps.stamp_document(document, environment=environment)
    except planstamps.PlanDocumentError as exc:
        raise errors.ConfigError(f"{plan_file}: {exc}") from exc


def _pr_number(pr: int | None) -> int:
    if pr is not None:
        return pr
    event = os.environ.get("GITHUB_EVENT_PATH")
    number = gh.pull_request_number(Path(event) if event else None)
    if number is None:
        raise errors.ConfigError(
            "no pull request number: this event is not a pull request",
            hint="pass --pr N, or run on pull_request events",
        )
    return number


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
    hidden = gh.marker_comment(marker)
    trailer = ""
    if plan_file is not None:
        environment = environment or marker.strip("<!-> ").partition("cogctl-plan:")[2]
        if not environment:
            raise errors.ConfigError("--plan needs --environment (or a cogctl-plan:ENV marker)")
        trailer = _stamp(plan_file, environment).render()
    body = gh.fit_body(_read(body_file), marker=hidden, trailer=trailer)
    number = _pr_number(pr)
    outcome = _with_client(
        lambda client, repo: gh.upsert_comment(client, repo, number, marker=hidden, body=body)
    )
    click.echo(f"comment {outcome.action} on pull request #{number}: {outcome.url or ''}".strip())


@github.command("drift-issue")
@click.option("--environment", required=True, help="Environment the drift run checked.")
@click.option("--body-file", required=True, type=_FILE, help="Markdown drift report.")
@click.option("--drift/--no-drift", required=True, help="Whether drift was found.")
def drift_issue(environment: str, body_file: Path, drift: bool) -> None:
    """Open or update the environment's drift issue; close it when drift is gone."""
    body = _read(body_file)
    run_url = _run_url(os.environ)
    if run_url:
        body = f"{body.rstrip()}\n\nLast checked by {run_url}\n"
    outcome = _with_client(
        lambda client, repo: gh.sync_drift_issue(
            client, repo, environment=environment, body=body, drifted=drift, run_url=run_url
        )
    )
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
    fresh = _stamp(plan_file, environment)
    commit = sha or _env("GITHUB_SHA", os.environ, hint="pass --sha")
    run_url = _run_url(os.environ)

    async def check(client: api.GitHubClient, repo: gh.Repository
                    ) -> tuple[int, planstamps.PlanStamp | None, planstamps.Verdict | None]:
        number = pr
        if number is None:
            pull = await gh.merged_pull_request(client, repo, commit)
            if pull is None:
                raise errors.ConfigError(
                    f"commit {commit} came from no merged pull request, so no plan was reviewed",
                    hint="merge changes through a pull request",
                )
            number = int(pull["number"])
        shown = await gh.shown_stamp(client, repo, number, environment=environment)
        if shown is None:
            return number, None, None
        verdict = planstamps.compare(shown, fresh)
        if not verdict.accepted and comment:
            body = planstamps.refusal_comment(environment=environment, pull_request=number,
                                              verdict=verdict, run_url=run_url)
            await gh.post_refusal(client, repo, number, environment=environment, body=body)
        return number, shown, verdict

    number, stamp, verdict = _with_client(check)
    if stamp is None or verdict is None:
        raise errors.ConfigError(
            f"pull request #{number} shows no plan for {environment}",
            hint="the plan workflow must comment on the pull request before merge",
        )
    if not verdict.accepted:
        raise errors.StalePlanError(
            f"refusing to apply {environment}: the plan differs from the one reviewed on "
            f"#{number}: " + "; ".join(verdict.explain()),
            hint=f"re-plan: open a pull request from main, review its plan for {environment}, "
                 "and merge it (see the comment on the pull request)",
        )
    done = f"; already live: {', '.join(verdict.done)}" if verdict.done else ""
    click.echo(f"plan for {environment} matches the one reviewed on #{number}: "
               f"{fresh.describe()}{done}")


@github.command("environments")
@click.argument("path", default="manifests", type=click.Path(path_type=Path))
@click.option("--skip-emulator", is_flag=True, help="Leave out embedded-emulator environments.")
@click.option("--output", "-o", type=click.Choice(["names", "json", "text"]), default="names",
              show_default=True, help="names: a JSON list (for a job matrix); json: "
              "[{name, after}]; text: one line each.")
def environments(path: Path, skip_emulator: bool, output: str) -> None:
    """Print the environments of cogctl.yaml in promotion order, each after what it follows."""
    config_path = path / "cogctl.yaml" if path.is_dir() else path
    try:
        raw = yaml.safe_load(_read(config_path))
        config = models.ProjectConfig.model_validate(raw)
    except yaml.YAMLError as exc:
        raise errors.ConfigError(f"{config_path}: not YAML ({exc})") from exc
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise errors.ConfigError(f"{config_path}: {where}: {first['msg']}") from exc
    ordered = [
        (name, after) for name, after in config.promotion_order()
        if not (skip_emulator and (target := config.environments[name]).emulator is not None
                and target.tenantUrl is None)
    ]
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
    try:
        data = jsontypes.loads(_read(plan_file))
    except ValueError as exc:
        raise errors.ConfigError(f"{plan_file}: not JSON ({exc})") from exc
    try:
        plan = plans.Plan.from_json(data)
    except errors.ConfigError as exc:
        raise errors.ConfigError(f"{plan_file}: {exc.message}", hint=exc.hint) from exc
    click.echo(markdown.render_plan(plan, environment=environment, limit=limit))



@github.command("failure-body")
@click.option("--log", "log_file", required=True, type=_FILE, help="The failed step's output.")
@click.option("--title", required=True, help="Heading, e.g. 'cogctl plan for staging failed'.")
@click.option("--tail", type=click.IntRange(min=1), default=20, show_default=True,
              help="Last lines of the log to keep (the first error is kept as well).")
def failure_body(log_file: Path, title: str, tail: int) -> None:
    """Markdown for a failure comment: the first error line and the last lines of the log."""
    click.echo(actions.failure_comment(title, _read(log_file), run_url=_run_url(os.environ),
                                       tail=tail))


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
    ref = branch or _env("GITHUB_REF_NAME", os.environ, hint="pass --branch")
    found = _with_client(lambda client, repo: auditchain.find_and_fetch(
        client, repo.path, environment=environment, branch=ref, folder=folder))
    if isinstance(found, auditchain.Restored):
        click.echo(f"audit chain of {environment}: continued from run {found.run_id} "
                   f"({found.artifact})")
    elif isinstance(found, auditchain.Lost):
        audithead.write_lost(folder / auditchain.HEAD_NAME, found.reason)
        click.echo(f"::warning::audit chain of {environment}: {found.reason}; this run "
                   "records an audit gap")
    else:
        click.echo(f"audit chain of {environment}: no earlier {found.artifact} on {ref}; "
                   "the chain starts here")


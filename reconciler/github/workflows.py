"""What the GitHub Actions workflows ask of GitHub: each ``cogctl github`` subcommand is one
function here, over the standard variables of a workflow run.

``GITHUB_TOKEN`` and ``GITHUB_REPOSITORY`` are required where GitHub is called;
``GITHUB_API_URL`` (default api.github.com), ``GITHUB_EVENT_PATH`` (the pull request of the
event), ``GITHUB_SHA`` and ``GITHUB_SERVER_URL``/``GITHUB_RUN_ID`` (the run's link) are read
where they matter. Every missing or unreadable input is a ``ConfigError`` naming it; results
come back as data for the command to print.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pydantic
import yaml

from reconciler import errors, fileio, jsontypes
from reconciler.core import plans
from reconciler.github import api, auditchain, planstamps, publishing
from reconciler.manifests import models

T = TypeVar("T")


def _env(name: str, env: Mapping[str, str], *, hint: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise errors.ConfigError(f"{name} is not set", hint=hint)
    return value


def _with_client(
    action: Callable[[api.GitHubClient, publishing.Repository], Awaitable[T]],
    env: Mapping[str, str],
) -> T:
    token = _env("GITHUB_TOKEN", env, hint="pass env GITHUB_TOKEN: ${{ github.token }}")
    repo = publishing.Repository.from_slug(
        _env("GITHUB_REPOSITORY", env, hint="set it to owner/name (GitHub sets it in Actions)")
    )
    api_url = env.get("GITHUB_API_URL") or api.DEFAULT_API_URL

    async def run() -> T:
        async with api.GitHubClient(token=token, api_url=api_url) as client:
            return await action(client, repo)

    return asyncio.run(run())


def run_url(env: Mapping[str, str] = os.environ) -> str | None:
    """The link to this workflow run, when the run's variables are set."""
    server, repo, run_id = (env.get(k) for k in
                            ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else None


def read_text(path: Path) -> str:
    """A body, log or plan file the workflow hands over, as text."""
    try:
        return fileio.read_bounded(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.ConfigError(f"{path}: cannot read ({exc})") from exc


def _stamp(plan_file: Path, environment: str) -> planstamps.PlanStamp:
    document = publishing.load_plan_document(plan_file)
    try:
        return planstamps.stamp_document(document, environment=environment)
    except planstamps.PlanDocumentError as exc:
        raise errors.ConfigError(f"{plan_file}: {exc}") from exc


def _pr_number(pr: int | None, env: Mapping[str, str]) -> int:
    if pr is not None:
        return pr
    event = env.get("GITHUB_EVENT_PATH")
    number = publishing.pull_request_number(Path(event) if event else None)
    if number is None:
        raise errors.ConfigError(
            "no pull request number: this event is not a pull request",
            hint="pass --pr N, or run on pull_request events",
        )
    return number


def comment(
    marker: str,
    body_file: Path,
    *,
    pr: int | None = None,
    plan_file: Path | None = None,
    environment: str | None = None,
    env: Mapping[str, str] = os.environ,
) -> tuple[int, publishing.Outcome]:
    """Create or update the one comment carrying ``marker`` on the pull request; with a plan,
    its stamp goes at the end for the apply check."""
    hidden = publishing.marker_comment(marker)
    trailer = ""
    if plan_file is not None:
        environment = environment or marker.strip("<!-> ").partition("cogctl-plan:")[2]
        if not environment:
            raise errors.ConfigError("--plan needs --environment (or a cogctl-plan:ENV marker)")
        trailer = _stamp(plan_file, environment).render()
    body = publishing.fit_body(read_text(body_file), marker=hidden, trailer=trailer)
    number = _pr_number(pr, env)
    outcome = _with_client(
        lambda client, repo: publishing.upsert_comment(client, repo, number, marker=hidden,
                                                       body=body),
        env,
    )
    return number, outcome


def drift_issue(
    environment: str, body_file: Path, *, drift: bool, env: Mapping[str, str] = os.environ
) -> publishing.Outcome:
    """Open or update the environment's drift issue; close it when drift is gone."""
    body = read_text(body_file)
    link = run_url(env)
    if link:
        body = f"{body.rstrip()}\n\nLast checked by {link}\n"
    return _with_client(
        lambda client, repo: publishing.sync_drift_issue(
            client, repo, environment=environment, body=body, drifted=drift, run_url=link
        ),
        env,
    )


@dataclass(frozen=True)
class Reviewed:
    """A fresh plan accepted against the one reviewed on pull request ``number``."""

    number: int
    fresh: planstamps.PlanStamp
    verdict: planstamps.Verdict


def check_plan(
    environment: str,
    plan_file: Path,
    *,
    sha: str | None = None,
    pr: int | None = None,
    post_comment: bool = True,
    env: Mapping[str, str] = os.environ,
) -> Reviewed:
    """Refuse (``StalePlanError``) unless the fresh plan makes the changes reviewed on the
    merged pull request, object by object; on refusal, say why on it (``post_comment``)."""
    fresh = _stamp(plan_file, environment)
    commit = sha or _env("GITHUB_SHA", env, hint="pass --sha")
    link = run_url(env)

    async def check(client: api.GitHubClient, repo: publishing.Repository
                    ) -> tuple[int, planstamps.Verdict | None]:
        number = pr if pr is not None else await _merged_number(client, repo, commit)
        shown = await publishing.shown_stamp(client, repo, number, environment=environment)
        if shown is None:
            return number, None
        verdict = planstamps.compare(shown, fresh)
        if not verdict.accepted and post_comment:
            body = planstamps.refusal_comment(environment=environment, pull_request=number,
                                              verdict=verdict, run_url=link)
            await publishing.post_refusal(client, repo, number, environment=environment,
                                          body=body)
        return number, verdict

    number, verdict = _with_client(check, env)
    if verdict is None:
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
    return Reviewed(number, fresh, verdict)


async def _merged_number(
    client: api.GitHubClient, repo: publishing.Repository, commit: str
) -> int:
    pull = await publishing.merged_pull_request(client, repo, commit)
    if pull is None:
        raise errors.ConfigError(
            f"commit {commit} came from no merged pull request, so no plan was reviewed",
            hint="merge changes through a pull request",
        )
    return int(pull["number"])


def environments(path: Path, *, skip_emulator: bool = False) -> list[tuple[str, str | None]]:
    """(name, the environment it follows) of cogctl.yaml (or the one in ``path``), in
    promotion order; ``skip_emulator`` leaves out those that run on the embedded emulator."""
    config_path = path / "cogctl.yaml" if path.is_dir() else path
    try:
        raw = yaml.safe_load(read_text(config_path))
        config = models.ProjectConfig.model_validate(raw)
    except yaml.YAMLError as exc:
        raise errors.ConfigError(f"{config_path}: not YAML ({exc})") from exc
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise errors.ConfigError(f"{config_path}: {where}: {first['msg']}") from exc
    return [
        (name, after) for name, after in config.promotion_order()
        if not (skip_emulator and (target := config.environments[name]).emulator is not None
                and target.tenantUrl is None)
    ]


def read_plan(plan_file: Path) -> plans.Plan:
    """A saved plan (or ``plan --output json``'s document) read back as a plan."""
    try:
        data = jsontypes.loads(read_text(plan_file))
    except ValueError as exc:
        raise errors.ConfigError(f"{plan_file}: not JSON ({exc})") from exc
    try:
        return plans.Plan.from_json(data)
    except errors.ConfigError as exc:
        raise errors.ConfigError(f"{plan_file}: {exc.message}", hint=exc.hint) from exc


def audit_restore(environment: str, folder: Path, *, branch: str | None = None,
                  env: Mapping[str, str] = os.environ) -> tuple[str, auditchain.Found]:
    """(branch, the newest audit chain of ``environment`` on it, fetched into ``folder``)."""
    ref = branch or _env("GITHUB_REF_NAME", env, hint="pass --branch")
    return ref, _with_client(lambda client, repo: auditchain.find_and_fetch(
        client, repo.path, environment=environment, branch=ref, folder=folder), env)


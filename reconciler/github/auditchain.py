"""Find and fetch the previous run's audit chain (log and head) among the workflow artifacts.

A CI job starts in an empty folder. The reusable workflow uploads each apply and drift run's
audit log and head as the artifact ``cogctl-audit-<env>``; the next run of that environment
fetches the newest one before it starts, so the hash chain continues and a lost link shows.

Only artifacts made by runs of this repository's own code on the branch being run count (a
pull request, a fork's included, can upload an artifact of the same name from its own run;
it must never become the chain of the default branch). Of those the newest decides:

- none at all: the first run of this environment (``First``);
- the newest expired, or not holding the head: the chain is lost (``Lost``: the caller
  records a gap, never a silent new start);
- otherwise its ``audit.jsonl`` and ``audit-head.json`` are written into the folder
  (``Restored``).

The zip archive is read with limits: only the two member names are taken, each bounded in
size, so a crafted archive can neither escape the folder nor fill the disk.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import errors, fileio
from reconciler.github import api

ARTIFACT_PREFIX = "cogctl-audit-"
LOG_NAME = "audit.jsonl"
HEAD_NAME = "audit-head.json"
MAX_ARCHIVE_BYTES = 256 * 1024 * 1024
MAX_MEMBER_BYTES = {LOG_NAME: 1024 * 1024 * 1024, HEAD_NAME: 64 * 1024}
_PAGE = 100
_MAX_PAGES = 50


@dataclass(frozen=True)
class First:
    artifact: str


@dataclass(frozen=True)
class Lost:
    artifact: str
    run_id: int | None
    reason: str


@dataclass(frozen=True)
class Restored:
    artifact: str
    run_id: int
    log: Path | None
    head: Path


Found = First | Lost | Restored


def artifact_name(environment: str) -> str:
    return ARTIFACT_PREFIX + environment


def _ours(artifact: Mapping[str, Any], *, branch: str, repository_id: int | None) -> bool:
    run = artifact.get("workflow_run")
    if not isinstance(run, Mapping) or run.get("head_branch") != branch:
        return False
    # A fork's pull request runs in this repository but from the fork's head repository.
    return repository_id is None or (run.get("head_repository_id") == repository_id
                                     and run.get("repository_id") == repository_id)


async def _artifacts(client: api.GitHubClient, repo_path: str, name: str
                     ) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for page in range(1, _MAX_PAGES + 1):
        answer = await client.get(f"{repo_path}/actions/artifacts",
                                  params={"name": name, "per_page": str(_PAGE),
                                          "page": str(page)})
        items = answer.get("artifacts") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise errors.BackendError(
                f"GitHub API GET {repo_path}/actions/artifacts: expected an object with "
                "artifacts", method="GET", path=f"{repo_path}/actions/artifacts")
        found.extend(item for item in items if isinstance(item, Mapping))
        if len(items) < _PAGE:
            break
    return found


async def _repository_id(client: api.GitHubClient, repo_path: str) -> int | None:
    answer = await client.get(repo_path)
    value = answer.get("id") if isinstance(answer, dict) else None
    return value if isinstance(value, int) else None


async def find_and_fetch(client: api.GitHubClient, repo_path: str, *, environment: str,
                         branch: str, folder: Path) -> Found:
    """The previous chain of ``environment`` on ``branch``, written into ``folder``."""
    name = artifact_name(environment)
    repository_id = await _repository_id(client, repo_path)
    candidates = [a for a in await _artifacts(client, repo_path, name)
                  if a.get("name") == name
                  and _ours(a, branch=branch, repository_id=repository_id)]
    if not candidates:
        return First(name)
    newest = max(candidates, key=lambda a: (str(a.get("created_at") or ""), int(a.get("id") or 0)))
    run = newest.get("workflow_run") or {}
    run_id = run.get("id") if isinstance(run.get("id"), int) else None
    if newest.get("expired"):
        return Lost(name, run_id, f"the artifact {name} of run {run_id} has expired")
    size = newest.get("size_in_bytes")
    if isinstance(size, int) and size > MAX_ARCHIVE_BYTES:
        return Lost(name, run_id, f"the artifact {name} of run {run_id} is {size} bytes, over "
                                  f"the {MAX_ARCHIVE_BYTES} this reads")
    archive = await client.download(f"{repo_path}/actions/artifacts/{int(newest['id'])}/zip",
                                    limit=MAX_ARCHIVE_BYTES)
    members = _members(archive, name)
    if HEAD_NAME not in members:
        return Lost(name, run_id, f"the artifact {name} of run {run_id} holds no {HEAD_NAME}")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fileio.write_all_atomic([(folder / member, content)
                                 for member, content in members.items()], mode=0o644)
    except OSError as exc:
        raise errors.ConfigError(f"cannot write the audit chain into {folder}: "
                                 f"{exc.strerror or exc}") from exc
    log = folder / LOG_NAME if LOG_NAME in members else None
    return Restored(name, run_id or 0, log, folder / HEAD_NAME)


def _members(archive: bytes, name: str) -> dict[str, bytes]:
    """The log and head members of the zip, each bounded; anything else is left unread."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            taken: dict[str, bytes] = {}
            for info in zipped.infolist():
                limit = MAX_MEMBER_BYTES.get(info.filename)
                if limit is None or info.is_dir():
                    continue
                with zipped.open(info) as member:
                    content = member.read(limit + 1)
                if len(content) > limit:
                    raise errors.ConfigError(
                        f"artifact {name}: {info.filename} is over {limit} bytes")
                content.decode("utf-8")
                taken[info.filename] = content
            return taken
    except (zipfile.BadZipFile, UnicodeDecodeError, EOFError, ValueError) as exc:
        raise errors.ConfigError(f"artifact {name}: not a readable zip archive ({exc})",
                                 hint="delete the artifact; the next run records a gap") from exc

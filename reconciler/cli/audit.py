"""``cogctl audit verify [FILE]``: check the audit log's hash chain.

Exit 0 and ``intact: N entries, last hash H`` when every entry's hash and link hold; exit 1
naming the first bad line and why (hash mismatch, broken chain, unparsable line, torn write).
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import jsontypes
from reconciler.cli import _common
from reconciler.manifests import validating
from reconciler.records import auditing


@click.group()
def audit() -> None:
    """Inspect the audit log (JSON lines, hash-chained; default .cogctl/audit.jsonl)."""


@audit.command("verify")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--expect-hash", "expect_hash", metavar="HASH", default=None,
              help="A hash printed by an earlier run: fail unless the log still holds it.")
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format on stdout.")
def verify(file: Path | None, expect_hash: str | None, output: str) -> None:
    """Check every entry's hash and the chain linking it to the one before.

    FILE defaults to COGCTL_AUDIT_LOG, else .cogctl/audit.jsonl beside cogctl.yaml. The
    chain alone cannot show entries cut off the end: keep the last hash printed here
    somewhere else (a CI artifact, a job summary) and pass it later as --expect-hash.

    Exit codes: 0 intact; 1 broken (the first bad line is named), the expected hash is
    missing, or the file cannot be read.
    """
    path = file or auditing.default_path(project_file=validating.find_config([Path(".")]))
    result = auditing.verify_log(path, anchor=expect_hash)
    anchored = expect_hash is None or result.anchor_line is not None
    if output == "json":
        click.echo(jsontypes.dumps({
            "file": str(path), "ok": result.ok and anchored, "entries": result.entries,
            "first_bad_line": result.first_bad_line, "reason": result.reason,
            "last_hash": result.last_hash, "expected_hash_line": result.anchor_line,
        }))
    if not result.ok:
        raise _common.fail(
            f"{path}:{result.first_bad_line}: audit log broken: {result.reason} "
            f"({_entries(result.entries)} intact before it)"
        )
    if not anchored:
        raise _common.fail(
            f"{path}: the expected hash {expect_hash} is not in the log's "
            f"{_entries(result.entries)}: entries were removed from its end or it was replaced"
        )
    if output == "text":
        where = f", expected hash at line {result.anchor_line}" if expect_hash else ""
        click.echo(f"intact: {_entries(result.entries)}, last hash "
                   f"{result.last_hash or '-'}{where}")


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"

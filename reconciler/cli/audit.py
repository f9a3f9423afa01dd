"""``cogctl audit verify [FILE]``: check the audit log's hash chain.

Exit 0 and ``intact: N entries, last hash H`` when every entry's hash and link hold; exit 1
naming the first bad line and why (hash mismatch, broken chain, unparsable line, torn write).
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import jsontypes
from reconciler.cli import _common, _options
from reconciler.manifests import validating
from reconciler.pipeline import opreports
from reconciler.records import auditing


@click.group()
def audit() -> None:
    """Inspect the audit log (JSON lines, hash-chained; default .cogctl/audit.jsonl)."""


@audit.command("verify")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--expect-hash", "expect_hash", metavar="HASH", default=None,
              help="A hash printed by an earlier run: fail unless the log still holds it.")
@_options.output_option("text", "json")
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
        click.echo(jsontypes.dumps(opreports.audit_document(path, result, anchored=anchored)))
    failure = opreports.audit_failure(path, result, expect_hash=expect_hash)
    if failure is not None:
        raise _common.fail(failure)
    if output == "text":
        click.echo(opreports.audit_line(result, expect_hash=expect_hash))

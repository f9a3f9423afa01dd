"""``cogctl apply``: execute a plan (fresh or saved), retrain, verify, optionally roll back."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import jsontypes
from reconciler.cli import _common, _options, _progress, _prompting, _run
from reconciler.cli import plan as plan_cmd
from reconciler.core import plans
from reconciler.pipeline import applying, reports
from reconciler.rendering import _lines


@click.command()
@_options.project_options
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Apply this saved plan (refused when live state moved since).")
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--prune", is_flag=True,
              help="Delete objects labelled managed-by: cogctl that left the manifests.")
@click.option("--no-verify", is_flag=True, help="Skip extraction metrics and simulations.")
@click.option("--rollback-on-failure", "rollback", is_flag=True,
              help="When verification fails, restore the changed slots and verify again.")
@click.option("--force", is_flag=True,
              help="Write over objects changed outside cogctl since the plan (409 conflicts).")
@click.option("--concurrency", type=int, default=4, show_default=True,
              help="Changes written at once (dependants always wait for dependencies).")
@_options.target_option
@_options.output_option("text", "json")
def apply(settings: _options.Settings, plan_file: Path | None, auto_approve: bool, prune: bool,
          no_verify: bool, rollback: bool, force: bool, concurrency: int,
          targets: tuple[str, ...], output: str) -> None:
    """Execute the plan, retrain once per changed bot, and verify.

    Exit codes: 0 applied and verified; 1 error (nothing or only part applied: the output
    lists what was not done); 3 applied but verification failed.
    """
    request = applying.prepare(settings, plan_file=plan_file, prune=prune, targets=targets,
                               concurrency=concurrency, force=force, verify=not no_verify,
                               rollback=rollback)
    # Bad input first (all local), then the terminal: before the target line, before any call.
    _prompting.require_terminal(auto_approve)
    run = _run.start(settings, "apply")

    def show(plan: plans.Plan) -> None:
        # The plan goes to stdout with text output; with JSON output a person asked to
        # confirm still sees it, on stderr.
        if output == "text" or not auto_approve:
            shown = plan_cmd.render(plan, "text", environment=run.environment)
            click.echo(shown, err=output != "text", color=plan_cmd.color_wanted() or None)

    done = _run.execute(run, applying.apply_plan(
        run, request, show=show,
        approve=None if auto_approve else lambda plan: _prompting.confirm(plan.target),
        watch=lambda plan: _progress.Display(names=_lines.bot_labels(plan)),
    ))
    if output == "json":
        click.echo(jsontypes.dumps(reports.apply_document(done.plan, done.release), indent=2))
    elif done.release is not None:
        click.echo(reports.apply_text(done.plan, done.release))
    code, line = reports.apply_outcome(done.release)
    if code:
        raise _common.fail(line, code=code)

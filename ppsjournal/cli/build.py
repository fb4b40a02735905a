"""ppsj build and ppsj watch."""

from __future__ import annotations

import click

from ppsjournal.cli import common_options, runtime, warn
from ppsjournal.errors import PpsjError


@click.command()
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if any output is stale.")
@common_options
def build(check: bool) -> None:
    """Write Follow-ups.md and the calendars (Calendar/*.ics) from the notes.

    A file whose bytes would not change is not rewritten. Notes that cannot be
    read are named on stderr and left out; the rest is still built.

    \b
    Example:
      ppsj build
      ppsj build --check || echo "outputs are stale"
    """
    from ppsjournal.build import build as run_build

    rt = runtime()
    result = run_build(rt.vault, rt.today, rt.index(), check=check)
    for problem in result.problems:
        warn(str(problem))
    if check:
        for rel in result.stale:
            click.echo(f"stale {rel}")
        if result.stale:
            click.get_current_context().exit(1)
        click.echo("up to date")
        return
    for rel in result.written:
        click.echo(f"wrote {rel}")
    for rel in result.removed:
        click.echo(f"removed {rel}")
    if not result.written and not result.removed:
        click.echo("up to date")


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1)
@common_options
def watch(args: tuple[str, ...]) -> None:
    """(Not implemented yet.)"""
    raise PpsjError("ppsj watch is not implemented yet")

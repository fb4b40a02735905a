"""ppsj sync (git: commit, pull, build, commit, push) and the merge driver git runs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ppsjournal.cli import common_options, runtime, warn
from ppsjournal.errors import EXIT_PROBLEMS


@click.command()
@click.option("--message", "-m", metavar="TEXT", help="The commit message (default: generated).")
@click.option("--no-push", is_flag=True, help="Commit and pull, but do not push.")
@click.option(
    "--setup",
    is_flag=True,
    help="Only set up: the merge driver's lines in .gitattributes and .git/config.",
)
@common_options
def sync(message: str | None, no_push: bool, setup: bool) -> None:
    """Sync the vault with its git remote, without conflicts in what ppsj writes.

    Builds, commits this machine's changes, pulls (merge or rebase, as the
    repository's pull.rebase says), builds again from the merged notes,
    commits that, and pushes. Follow-ups.md and Calendar/*.ics never
    conflict: the 'ppsj' merge driver keeps one side and the build writes
    them from the merged notes. A session note written by 'ppsj week' on two
    machines merges three-way against the note as week wrote it. A partner's
    series changed on both machines gets a SEQUENCE above both (named: run
    'ppsj invite --changed --send'). A conflict
    in a note you wrote is left to you: the pull stops mid-merge, the files
    are named, nothing is committed (fix them, 'git add', 'git commit', sync
    again). The driver is configured on every sync; --setup does only that
    (a fresh clone that pulls with plain git). Exit 1 on any failure, 3 if
    notes could not be read (named on stderr).

    \b
    Example:
      ppsj sync
      ppsj sync -m "Friday sessions" --no-push
      ppsj sync --setup
    """
    from ppsjournal import sync as sync_mod

    rt = runtime()
    if setup:
        done = sync_mod.setup(rt.vault)
        for line in done:
            click.echo(line)
        if not done:
            click.echo("already set up")
        return
    result = sync_mod.sync(rt.vault, rt.today, message, push=not no_push)
    for line in result.setup:
        click.echo(line)
    for line in result.steps:
        click.echo(line)
    build = result.build
    if build is not None:
        for problem in build.problems:
            warn(str(problem))
    click.echo("pushed" if result.pushed else "not pushed (--no-push)")
    if build is not None and build.problems:
        click.get_current_context().exit(EXIT_PROBLEMS)


@click.command(name="merge-driver")
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("ours", type=click.Path(path_type=Path))
@click.argument("theirs", type=click.Path(path_type=Path))
@click.argument("path")
@common_options
def merge_driver(base: Path, ours: Path, theirs: Path, path: str) -> None:
    """Merge one file for git (run by git, not by you): BASE OURS THEIRS PATH.

    git runs it, from the repository root, for the files .gitattributes marks
    'merge=ppsj' (see 'ppsj sync'), with git's %O %A %B %P. It writes the
    result into OURS. Exit 0 merged; 1 conflicts are left marked in the file
    for you, as git's own merge leaves them.

    \b
    Example:
      ppsj merge-driver %O %A %B %P   # as git runs it ('ppsj sync --setup')
    """
    from ppsjournal.sync import merge_driver as merge

    conflicts = merge(Path.cwd(), base, ours, theirs, path)
    if conflicts:
        click.echo(f"ppsj: {path}: {conflicts} conflict(s) left for you to merge", err=True)
        sys.exit(1)

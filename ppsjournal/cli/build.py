"""ppsj build and ppsj watch."""

from __future__ import annotations

import click

from ppsjournal.cli import common_options, runtime, warn
from ppsjournal.errors import EXIT_FAILED, EXIT_PROBLEMS
from ppsjournal.layout import CALENDAR


@click.command()
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if any output is stale.")
@common_options
def build(check: bool) -> None:
    """Write Follow-ups.md and the calendars (Calendar/*.ics) from the notes.

    A file whose bytes would not change is not rewritten. Notes that cannot be
    read are named on stderr and left out; the rest is still built, and the
    exit status is 3 (as for every command that reads the vault). While a
    partner note cannot be read the calendars stay as they are: a typo must
    not cancel that partner's sessions for everyone subscribed. A file of
    your own where an output goes is never overwritten: it is named, the
    rest is written, exit 1. With --check: exit 1 if an output is stale,
    else 0 (3 if notes could not be read).

    \b
    Example:
      ppsj build
      ppsj build --check || echo "outputs are stale"
    """
    rt = runtime()
    result = rt.builder().build(rt.today, check=check)
    for problem in result.problems:
        warn(str(problem))
    if check:
        for rel in result.stale:
            click.echo(f"stale {rel}")
        if result.stale:
            click.get_current_context().exit(EXIT_FAILED)
        click.echo("up to date")
        if result.problems:
            click.get_current_context().exit(EXIT_PROBLEMS)
        return
    for rel in result.cleaned:
        click.echo(f"removed {rel} (left by a write that was cut off)")
    for rel in result.written:
        click.echo(f"wrote {rel}")
    for rel in result.removed:
        click.echo(f"removed {rel}")
    if not result.written and not result.removed and not result.refused:
        click.echo("up to date")
    if any(rel.startswith(CALENDAR + "/") for rel in result.written):
        # A calendar changed (a holiday added, a note edited by hand): say whose
        # invitation no longer matches it.
        from ppsjournal.invite import out_of_date_line, pending_invitations

        for found in pending_invitations(rt.index().partners.values(), rt.vault.settings):
            if found.sent is not None:
                click.echo(out_of_date_line(found))
    for refused in result.refused:
        warn(str(refused))
    if result.refused:  # a file of the user's where an output goes: refused
        click.get_current_context().exit(EXIT_FAILED)
    if result.problems:  # built, but some notes were left out (named above)
        click.get_current_context().exit(EXIT_PROBLEMS)


def _finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    import math

    # FloatRange's bounds checks are comparisons, which NaN never fails.
    if not math.isfinite(value):
        raise click.BadParameter(f"must be a finite number of seconds, not {value}")
    return value


@click.command()
@click.option(
    "--polling",
    is_flag=True,
    help="Poll the files instead of inotify/FSEvents (network drives, synced folders).",
)
@click.option(
    "--debounce",
    type=click.FloatRange(0.0, 60.0),
    default=0.25,
    show_default=True,
    metavar="SECONDS",
    help="Seconds of quiet after a change before rebuilding.",
    callback=_finite,
)
@click.option(
    "--publish",
    is_flag=True,
    help="Publish to the CalDAV calendar (ppsj publish) after each build that changed a calendar.",
)
@common_options
def watch(polling: bool, debounce: float, publish: bool) -> None:
    """Build, then rebuild whenever a note changes, until Ctrl-C.

    Only the notes that changed are read again. One line is logged per
    rebuild (what changed, what was written, how long); a note that cannot be
    read is named with its line and skipped until it is fixed. At midnight
    (the owner's time zone) the outputs are rebuilt, since "overdue" moved;
    with --today the day stays fixed. Ctrl-C or SIGTERM stops it (exit 0).
    With --publish, the series go to the CalDAV calendar of [caldav] at the
    start and after each build that changed a calendar (see ppsj publish); a
    failed publish is one line, and is tried again at the next rebuild.
    See docs/watch.md to keep it running as a service.

    \b
    Example:
      ppsj watch
      ppsj watch --polling      # a vault on a network drive or synced folder
      PPSJ_CALDAV_PASSWORD=... ppsj watch --publish
    """
    import sys

    from ppsjournal.caldav_sync import PASSWORD_ENV, check
    from ppsjournal.watch import Watcher

    rt = runtime()
    fixed = bool(rt.options.get("today") or rt.environ.get("PPSJ_TODAY"))
    password = rt.environ.get(PASSWORD_ENV)
    if publish:  # settings or password missing: said now, not after the first build
        check(rt.vault.settings.caldav, password)
    rt.today  # noqa: B018 - a bad --today fails here, before watching starts

    def log(line: str) -> None:
        click.echo(line)
        sys.stdout.flush()

    def problem(line: str) -> None:
        click.echo(line, err=True)
        sys.stderr.flush()

    watcher = Watcher(
        rt.vault,
        lambda: rt.today,
        day_fixed=fixed,
        debounce=debounce,
        polling=polling,
        log=log,
        warn=problem,
        publish=publish,
        password=password,
    )
    watcher.run()

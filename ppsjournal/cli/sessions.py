"""ppsj held and ppsj missed: record how a session went, in its note's status."""

from __future__ import annotations

import datetime as dt

import click

from ppsjournal.cli import common_options, runtime
from ppsjournal.cli.types import PAST_DATE
from ppsjournal.errors import UsageError


def _record(name: str, day: dt.date | None, status: str, note: str | None) -> None:
    from ppsjournal.actions import record_session

    if note is not None:
        note = note.strip()
        if not note:
            raise UsageError("--note is empty")
    rt = runtime()
    builder = rt.builder()
    done = record_session(builder, rt.today, name, day, status, note)
    added = ", note added" if note else ""
    if done.created:
        click.echo(f"wrote {done.path}: status {status}{added}")
    else:
        click.echo(f"{done.path}: status {status}{added}")
    if done.carry and done.carry.tasks:
        n = len(done.carry.tasks)
        what = "follow-up" if n == 1 else "follow-ups"
        click.echo(f"  carried {n} open {what} from {done.carry.path} (marked [>] there)")


# The session's day, as held and missed both take it.
_date_option = click.option(
    "--date",
    "day",
    type=PAST_DATE,
    help="The session's day (default: the latest session on or before today).",
)


@click.command()
@click.argument("name")
@_date_option
@click.option("--note", help="Text to add at the end of the session note.")
@common_options
def held(name: str, day: dt.date | None, note: str | None) -> None:
    """Record that NAME's session was held: its note's status becomes held.

    The session is the one of --date, else the partner's latest on or before
    today (a session note, or the series' session). A session ppsj week did
    not write a note for gets one, from the same template. --note adds its
    text as a paragraph at the end of the note. Only the status line (and
    the note's end, with --note) changes.

    \b
    Example:
      ppsj held "Debbie Harper"
      ppsj held debbie --date 2026-12-04 --note "Two showings Saturday; call the Lees."
    """
    _record(name, day, "held", note)


@click.command()
@click.argument("name")
@_date_option
@common_options
def missed(name: str, day: dt.date | None) -> None:
    """Record that NAME's session was missed: its note's status becomes missed.

    The session is found as for ppsj held, and gets its note if it has none.

    \b
    Example:
      ppsj missed "Tom Okafor" --date 2026-12-04
    """
    _record(name, day, "missed", None)

"""ppsj held and ppsj missed: record how a session went, in its note's status."""

from __future__ import annotations

import datetime as dt

import click

from ppsjournal.cli import common_options, find_partner, runtime
from ppsjournal.cli.types import PAST_DATE
from ppsjournal.errors import PpsjError, UsageError


def _record(name: str, day: dt.date | None, status: str, note: str | None) -> None:
    from ppsjournal.app import record_session
    from ppsjournal.properties import QUOTED_KEYS
    from ppsjournal.week import append_note, find_session

    if note is not None:
        note = note.strip()
        if not note:
            raise UsageError("--note is empty")
    rt = runtime()
    vault, today = rt.vault, rt.today

    def add_note(text: str) -> str:
        return append_note(text, note) if note else text

    # Found and written under the vault's write lock, the notes read again inside it.
    with rt.builder().writing() as index:
        partner = find_partner(index, name, writing=True)
        found = find_session(index, vault.settings, partner, day, today)
        if found.existing is not None:
            vault.update_keys(found.existing, {"status": status}, QUOTED_KEYS, edit=add_note)
            click.echo(f"{found.existing}: status {status}" + (", note added" if note else ""))
            return
        planned = found.planned
        assert planned is not None
        if planned.path in index.entries or vault.exists(planned.path):
            raise PpsjError("a note of that name is there but is not a session note", planned.path)
        carry = record_session(vault, index, planned, today, status, add_note)
        click.echo(f"wrote {planned.path}: status {status}" + (", note added" if note else ""))
        if carry and carry.tasks:
            n = len(carry.tasks)
            what = "follow-up" if n == 1 else "follow-ups"
            click.echo(f"  carried {n} open {what} from {carry.path} (marked [>] there)")


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

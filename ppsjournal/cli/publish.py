"""ppsj publish: every series onto a CalDAV calendar (the phone's)."""

from __future__ import annotations

import click

from ppsjournal.cli import common_options, echo_json, runtime, warn
from ppsjournal.errors import EXIT_FAILED, EXIT_PROBLEMS

_DONE = {"create": "created", "update": "updated", "delete": "removed"}
_PLANNED = {"create": "would create", "update": "would update", "delete": "would remove"}


@click.command()
@click.option("--dry-run", is_flag=True, help="List what would be sent; send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan and its result as JSON.")
@common_options
def publish(dry_run: bool, as_json: bool) -> None:
    """Put every series on the CalDAV calendar of [caldav] in ppsj.toml.

    One calendar event per series (the one of Calendar/<Name>.ics, with its
    reminder, less the partner as attendee), under the series' UID: a new
    series is created, a changed one updated, one paused or ended removed.
    Events ppsj did not publish are never touched. An event changed on the
    server between the listing and the update is named and not overwritten
    (exit 1). The password comes from $PPSJ_CALDAV_PASSWORD; nothing in the
    vault is written. See docs/calendar.md for phones.

    \b
    Example:
      PPSJ_CALDAV_PASSWORD=... ppsj publish
      ppsj publish --dry-run
      ppsj publish --json
    """
    from ppsjournal.app import publish as publish_action
    from ppsjournal.caldav_sync import PASSWORD_ENV

    rt = runtime()
    result = publish_action(rt.builder(), rt.environ.get(PASSWORD_ENV), dry_run=dry_run)
    for problem in result.problems:
        warn(str(problem))
    foreign = result.foreign
    work = [s for s in result.steps if s.action in _DONE]
    if as_json:
        rows = []
        for s in result.steps:
            if s.action in ("keep", "foreign"):
                outcome = "left alone" if s.action == "foreign" else "up to date"
            elif dry_run:
                outcome = "planned"
            else:
                outcome = "changed on the server" if s in result.changed else "done"
            rows.append({"action": s.action, "name": s.name, "uid": s.uid, "result": outcome})
        echo_json({"dry_run": dry_run, "up_to_date": not work and not foreign, "series": rows})
    else:
        for s in work:
            if dry_run:
                click.echo(f"{_PLANNED[s.action]} {s.name}")
            elif s not in result.changed:
                click.echo(f"{_DONE[s.action]} {s.name}")
        if not work and not foreign:
            click.echo("up to date")
    for s in result.changed:
        warn(f"changed on the server since it was listed; not overwritten: {s.name}")
    for s in foreign:
        warn(
            f"the calendar has an event with the UID of {s.name}'s series that ppsj did "
            "not publish (an imported PPS.ics?); left alone: remove it to publish the series"
        )
    if result.changed or foreign:
        click.get_current_context().exit(EXIT_FAILED)
    if result.problems:
        click.get_current_context().exit(EXIT_PROBLEMS)

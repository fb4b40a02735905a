"""ppsj lead and ppsj stage: a lead note, and moving it along."""

from __future__ import annotations

import datetime as dt

import click

from ppsjournal import layout
from ppsjournal.cli import (
    common_options,
    find_partner,
    runtime,
)
from ppsjournal.cli.types import DATE
from ppsjournal.errors import PpsjError, UsageError


@click.command()
@click.argument("name")
@click.option("--partner", "partner_name", required=True, help="The partner who named the lead.")
@click.option(
    "--source",
    required=True,
    metavar="SOURCE",
    help="lost-lead (met, may not use the partner), showing (a buyer at a showing), "
    "or referral (sent to you by the partner).",
)
@click.option("--phone", help="The lead's phone number.")
@click.option("--email", help="The lead's e-mail address.")
@click.option("--showing", type=DATE, help="The day of a showing: pre-qualify before it.")
@click.option(
    "--value", type=click.FloatRange(min=0), help="The loan amount, or what the deal is worth."
)
@common_options
def lead(
    name: str,
    partner_name: str,
    source: str,
    phone: str | None,
    email: str | None,
    showing: dt.date | None,
    value: float | None,
) -> None:
    """A new lead note, Leads/NAME.md, with its first follow-up.

    The note gets stage: new, created and stage_changed set to today, and one
    open task: due the day before the showing with --showing (today if that
    has passed), else tomorrow. A referral lead is what clears a partner's
    passed referral_expected from Follow-ups.md.

    \b
    Example:
      ppsj lead "Sam Lee" --partner "Debbie Harper" --source showing --showing 2026-12-05
      ppsj lead "Ana Ruiz" --partner "Debbie Harper" --source referral --phone "+1 555 0101"
    """
    from ppsjournal.leads import lead_context, lead_front_matter, new_lead
    from ppsjournal.names import name_key
    from ppsjournal.templates import render_note

    day = showing
    rt = runtime()
    vault, today = rt.vault, rt.today
    index = rt.index()
    partner = find_partner(index, partner_name)
    try:
        new = new_lead(
            name, partner, source, today, phone=phone, email=email, showing=day, value=value
        )
    except PpsjError as exc:  # every value it checks was typed on the command line
        raise UsageError(exc.message, exc.where) from None
    existing = index.leads.get(name_key(new.name))
    if existing is not None:
        raise PpsjError(f"{existing.name} is already a lead ({existing.path})")
    index.check_new_name(new.name, "lead")
    rel = layout.lead_path(new.name)
    text = render_note(
        vault.root, "lead.md.j2", lead_front_matter(new), lead_context(new, vault.settings, today)
    )
    vault.create(rel, text.encode("utf-8"))
    click.echo(
        f"wrote {rel}: {new.source} from {new.partner}, first follow-up due {new.due.isoformat()}"
    )


@click.command()
@click.argument("name")
@click.argument("stage", metavar="STAGE")
@common_options
def stage(name: str, stage: str) -> None:
    """Move a lead to STAGE; sets stage and stage_changed (today).

    STAGE is one of: new, contacted, prequalified, application, closed, lost.
    Only those two lines of the note's properties change, and the note's own
    open task that the stage fulfils is ticked done today ([x] and a done
    date, as the Tasks plugin writes it): the first call ("First call with
    ..." or "Reach out to ...", as ppsj lead words it) from contacted on, the
    pre-qualification call ("Pre-qualification call with ...") from
    prequalified on. lost ticks nothing.

    \b
    Example:
      ppsj stage "Sam Lee" prequalified
    """
    from ppsjournal.leads import check_choice, stage_updates, tick_fulfilled
    from ppsjournal.names import match_name, name_key
    from ppsjournal.properties import LEAD_STAGES, QUOTED_KEYS

    try:
        stage = check_choice(stage, LEAD_STAGES, "stage")
    except PpsjError as exc:
        raise UsageError(exc.message) from None
    rt = runtime()
    index = rt.index()
    found = index.leads.get(name_key(name))
    if found is None:
        # A lead note that does not parse is not "no lead": say what is wrong with it.
        path = layout.lead_path(name)
        entry = index.entries.get(path)
        for problem in index.problems:
            if problem.where.partition(":")[0] == path:
                raise PpsjError(f"cannot read the lead note: {problem.message}", problem.where)
        if entry is not None:
            raise PpsjError("not a lead note (no 'type: lead')", path)
        # As typed: any case or accents, a unique first name or start of the name.
        names = [lead.name for lead in index.leads.values()]
        found = index.lead(match_name(name, names, "lead", "create it with 'ppsj lead'"))
    updates = stage_updates(found, stage, rt.today)
    if not updates:
        click.echo(f"{found.name} is already at stage {found.stage}; nothing changed")
        return
    ticked: list[str] = []

    def tick(text: str) -> str:
        new, lines = tick_fulfilled(found.path, text, updates["stage"], rt.today)
        ticked[:] = lines
        return new

    rt.vault.update_keys(found.path, updates, QUOTED_KEYS, edit=tick)
    click.echo(
        f"{found.name}: {found.stage} -> {updates['stage']} "
        f"(stage_changed {rt.today.isoformat()}) in {found.path}"
    )
    for line in ticked:
        click.echo(f"ticked: {line.strip()}")

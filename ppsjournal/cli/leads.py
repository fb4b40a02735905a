"""ppsj lead and ppsj stage: a lead note, and moving it along."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import click

from ppsjournal import layout
from ppsjournal.cli import (
    common_options,
    find_partner,
    runtime,
)
from ppsjournal.cli.types import DATE, MONEY
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
    "--value",
    type=MONEY,
    help="The loan amount, or what the deal is worth: 420000, $420,000, 420k, 1.2m.",
)
@common_options
def lead(
    name: str,
    partner_name: str,
    source: str,
    phone: str | None,
    email: str | None,
    showing: dt.date | None,
    value: Decimal | None,
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
      ppsj lead "Kim Park" --partner "Debbie Harper" --source referral --value 420k
    """
    from ppsjournal.leads import new_lead

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
    rel = _create_lead(vault, index, new, "lead.md.j2", today)
    click.echo(
        f"wrote {rel}: {new.source} from {new.partner}, first follow-up due {new.due.isoformat()}"
    )


def _create_lead(vault, index, new, template: str, today: dt.date) -> str:
    """Write the new lead's note from ``template``, refusing a name a lead (or
    any note) already has, in any case or accents; the note's path."""
    from ppsjournal.leads import lead_context, lead_front_matter
    from ppsjournal.templates import render_note

    existing = index.namesake(new.name, "lead")
    if existing is not None:
        raise PpsjError(f"{existing.name} is already a lead ({existing.path})")
    index.check_new_name(new.name, "lead")
    rel = layout.lead_path(new.name)
    meta, context = lead_front_matter(new), lead_context(new, vault.settings, today)
    vault.create(rel, render_note(vault.root, template, meta, context).encode("utf-8"))
    return rel


@click.command()
@click.argument("name")
@click.option("--to", "partner_name", required=True, metavar="PARTNER", help="The partner.")
@click.option("--note", help="One line on who the client is and what they need.")
@click.option("--phone", help="The client's phone number.")
@click.option("--email", help="The client's e-mail address.")
@click.option("--value", type=MONEY, help="What the business is worth, if known: 650k.")
@common_options
def refer(
    name: str,
    partner_name: str,
    note: str | None,
    phone: str | None,
    email: str | None,
    value: Decimal | None,
) -> None:
    """Record a client you send to a partner: Leads/NAME.md with direction: out.

    Business given back ("cross-sell the buyer back to that agent"): the
    note gets source: referral, direction: out, stage: new, created today,
    and its body from referral-out.md.j2. It counts in 'ppsj report' as
    referrals_sent, beside the referrals the partner sent you; it is not
    your lead, so it is not in your leads, funnel, pipeline or closings, and
    no follow-up is written or nagged for it (add a task line if you want
    one). See docs/commands.md.

    \b
    Example:
      ppsj refer "Maria Gomez" --to "Debbie Harper" --note "Selling her condo in the spring"
    """
    from ppsjournal.leads import referral_out

    rt = runtime()
    vault, today = rt.vault, rt.today
    with rt.builder().writing() as index:
        partner = find_partner(index, partner_name, writing=True)
        try:
            new = referral_out(
                name, partner, today, phone=phone, email=email, value=value, note=note
            )
        except PpsjError as exc:  # every value it checks was typed on the command line
            raise UsageError(exc.message, exc.where) from None
        rel = _create_lead(vault, index, new, "referral-out.md.j2", today)
    click.echo(f"wrote {rel}: referral sent to {new.partner} on {today.isoformat()}")


@click.command()
@click.argument("name")
@click.argument("stage", metavar="STAGE")
@click.option("--reason", help="With stage lost: why (written as lost_reason).")
@common_options
def stage(name: str, stage: str, reason: str | None) -> None:
    """Move a lead to STAGE; sets stage and stage_changed (today).

    STAGE is one of: new, contacted, prequalified, application, closed, lost.
    Only those two lines of the note's properties change, and the note's own
    open task that the stage fulfils is ticked done today ([x] and a done
    date, as the Tasks plugin writes it): the first call ("First call with
    ..." or "Reach out to ...", as ppsj lead words it) from contacted on, the
    pre-qualification call ("Pre-qualification call with ...") from
    prequalified on. lost ticks nothing; with --reason it also writes
    lost_reason (the report lists the reasons), and on a lead already lost
    it sets the reason alone.

    \b
    Example:
      ppsj stage "Sam Lee" prequalified
      ppsj stage "Sam Lee" lost --reason "Went with his credit union"
    """
    from ppsjournal.leads import check_choice, stage_updates, tick_fulfilled
    from ppsjournal.names import match_name, name_key
    from ppsjournal.properties import LEAD_STAGES, QUOTED_KEYS

    try:
        stage = check_choice(stage, LEAD_STAGES, "stage")
    except PpsjError as exc:
        raise UsageError(exc.message) from None
    rt = runtime()
    with rt.builder().writing() as index:
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
        try:
            updates = stage_updates(found, stage, rt.today, reason)
        except PpsjError as exc:
            raise UsageError(exc.message) from None
        if not updates:
            click.echo(f"{found.name} is already at stage {found.stage}; nothing changed")
            return
        ticked: list[str] = []

        def tick(text: str) -> str:
            new, lines = tick_fulfilled(found.path, text, updates.get("stage", ""), rt.today)
            ticked[:] = lines
            return new

        rt.vault.update_keys(found.path, updates, QUOTED_KEYS, edit=tick)
    if "stage" in updates:
        click.echo(
            f"{found.name}: {found.stage} -> {updates['stage']} "
            f"(stage_changed {rt.today.isoformat()}) in {found.path}"
        )
    else:
        click.echo(f"{found.name}: still {found.stage} in {found.path}")
    if "lost_reason" in updates:
        click.echo(f"lost_reason: {updates['lost_reason']}")
    for line in ticked:
        click.echo(f"ticked: {line.strip()}")

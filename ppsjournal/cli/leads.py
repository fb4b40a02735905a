"""ppsj lead and ppsj stage: a lead note, and moving it along."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import click

from ppsjournal.cli import common_options, runtime
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
    from ppsjournal.actions import add_lead

    rt = runtime()
    done = add_lead(
        rt.builder(), rt.today, name, partner_name, source, phone, email, showing, value
    )
    new = done.lead
    click.echo(
        f"wrote {done.path}: {new.source} from {new.partner}, "
        f"first follow-up due {new.due.isoformat()}"
    )


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
    from ppsjournal.actions import refer_out

    rt = runtime()
    today = rt.today
    done = refer_out(rt.builder(), today, name, partner_name, note, phone, email, value)
    click.echo(f"wrote {done.path}: referral sent to {done.lead.partner} on {today.isoformat()}")


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
    from ppsjournal.actions import move_stage
    from ppsjournal.leads import check_choice
    from ppsjournal.properties import LEAD_STAGES

    try:
        stage = check_choice(stage, LEAD_STAGES, "stage")
    except PpsjError as exc:
        raise UsageError(exc.message) from None
    rt = runtime()
    builder = rt.builder()
    today = rt.today
    moved = move_stage(builder, today, name, stage, reason)
    found, updates = moved.lead, moved.updates
    if not updates:
        click.echo(f"{found.name} is already at stage {found.stage}; nothing changed")
        return
    if "stage" in updates:
        click.echo(
            f"{found.name}: {found.stage} -> {updates['stage']} "
            f"(stage_changed {today.isoformat()}) in {found.path}"
        )
    else:
        click.echo(f"{found.name}: still {found.stage} in {found.path}")
    if "lost_reason" in updates:
        click.echo(f"lost_reason: {updates['lost_reason']}")
    for line in moved.ticked:
        click.echo(f"ticked: {line.strip()}")

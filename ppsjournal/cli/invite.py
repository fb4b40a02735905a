"""ppsj invite: the e-mail invitation (iMIP) for a partner's series."""

from __future__ import annotations

import datetime as dt
import os

import click

from ppsjournal.cli import common_options, echo_json, output_path, runtime, warn
from ppsjournal.cli import write_output as write_file
from ppsjournal.errors import EXIT_FAILED, UsageError


@click.command()
@click.argument("name", required=False)
@click.option(
    "--out",
    metavar="FILE.eml",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the message to this file (default: Calendar/<Name> invite.eml in the vault).",
)
@click.option("--send", is_flag=True, help="Send it over SMTP ([smtp] in ppsj.toml).")
@click.option(
    "--cancel", is_flag=True, help="Cancel the whole series instead (METHOD:CANCEL, same UID)."
)
@click.option(
    "--changed",
    is_flag=True,
    help="Every partner whose calendar changed since their last invitation (no NAME).",
)
@click.option("--json", "as_json", is_flag=True, help="With --changed: print one JSON document.")
@click.option("--yes", is_flag=True, help="Send a cancellation to a partner who is still active.")
@common_options
def invite(
    name: str | None,
    out: str | None,
    send: bool,
    cancel: bool,
    changed: bool,
    as_json: bool,
    yes: bool,
) -> None:
    """The calendar invitation for NAME's weekly series, as an e-mail (iMIP).

    The message has a readable text part (days, time, time zone, sessions,
    skipped and moved dates) and a text/calendar part (METHOD:REQUEST) that
    mail clients show with Accept/Decline. --cancel makes it METHOD:CANCEL
    with a higher SEQUENCE, recorded in the note's pps_sequence; sending one
    to a partner who is still active needs --yes.

    Without --out or --send the message is written to the vault's Calendar/
    folder, ready to open or attach (rewritten only when what it says
    changed). --send uses [smtp] in ppsj.toml; the password comes from
    $PPSJ_SMTP_PASSWORD and is never shown. A sent invitation is recorded
    in the partner note (pps_invited_sequence, pps_invited_on), and a saved
    Calendar/ copy is brought up to date.

    --changed lists every partner whose calendar changed (skip, move,
    reschedule, renew, pause, resume, a holiday) since the last invitation
    sent to them; with --send it sends each one its update (a cancellation
    to a partner no longer active), after which nothing is pending.

    \b
    Example:
      ppsj invite "Debbie Harper"
      ppsj invite "Debbie Harper" --out debbie.eml
      PPSJ_SMTP_PASSWORD=... ppsj invite "Debbie Harper" --send
      ppsj invite "Debbie Harper" --cancel --send --yes
      ppsj invite --changed
      ppsj invite --changed --send
    """
    if changed:
        if name is not None or out is not None or cancel or yes:
            raise UsageError("--changed takes no NAME, --out, --cancel or --yes")
        _changed(send, as_json)
        return
    if name is None:
        raise UsageError("name a partner, or use --changed (see 'ppsj invite --help')")
    if as_json:
        raise UsageError("--json goes with --changed")
    _one(name, out, send, cancel, yes)


def _smtp_plan(settings, send: bool):
    from ppsjournal import mail

    # Checked before anything is written, so a gap costs nothing.
    return mail.plan(settings.smtp, os.environ.get(mail.PASSWORD_ENV)) if send else None


def _now() -> dt.datetime:
    # The one clock read: SMTP needs a Date, and DTSTAMP orders updates within a SEQUENCE.
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _saved_line(saved) -> str:
    return f"wrote {saved.path}" if saved.written else f"{saved.rel} is up to date"


def _sent_line(invited, plan) -> str:
    return f"sent the {invited.what} to {invited.to} via {plan.server} ({plan.security})"


def _one(name: str, out: str | None, send: bool, cancel: bool, yes: bool) -> None:
    from ppsjournal.actions import invite_partner

    out_path = output_path(out, "--out") if out is not None else None
    rt = runtime()
    plan = _smtp_plan(rt.vault.settings, send)
    builder = rt.builder()
    done = invite_partner(
        builder, rt.today, _now(), name, plan, cancel=cancel, yes=yes, save=out is None
    )
    partner = done.partner
    if done.recorded is not None:
        click.echo(_sent_line(done, plan))
        click.echo(f"recorded SEQUENCE {done.recorded['pps_invited_sequence']} in {partner.path}")
    elif done.sequence is not None:
        click.echo(f"set pps_sequence to {done.sequence} in {partner.path}")
    if out_path is not None:
        write_file(out_path, done.data, str(out_path))
        click.echo(f"wrote {out}")
    if done.saved is not None:
        click.echo(_saved_line(done.saved))
    if cancel and partner.status == "active":
        click.echo(
            f"{partner.name} is still active: 'ppsj pause' takes the series "
            "out of your own calendar"
        )


def _changed(send: bool, as_json: bool) -> None:
    from ppsjournal.actions import send_changed
    from ppsjournal.invite import pending_invitations

    rt = runtime()
    settings = rt.vault.settings
    if not send:
        index = rt.index()
        found = pending_invitations(index.partners.values(), settings)
        if as_json:
            echo_json({"today": rt.today, "pending": [p.as_json() for p in found]})
        elif not found:
            click.echo("no invitation is out of date")
        for p in [] if as_json else found:
            last = (
                f"SEQUENCE {p.sent} sent {p.partner.invited_on or 'on an unknown day'}"
                if p.sent is not None
                else "never invited"
            )
            what = "cancellation" if p.cancel else "update"
            click.echo(f"{p.partner.name}: {what} to SEQUENCE {p.sequence} ({last})")
        return
    plan = _smtp_plan(settings, send)
    failed = []
    sent = []
    builder = rt.builder()
    for outcome in send_changed(builder, rt.today, _now(), plan):
        done = outcome.invited
        if done is None:
            warn(str(outcome.error))
            failed.append(outcome.pending.partner.name)
            continue
        if not as_json:
            click.echo(_sent_line(done, plan))
        keys = done.recorded or {}
        sent.append(
            {
                **outcome.pending.as_json(),
                "sent_sequence": keys["pps_invited_sequence"],
                "sent_on": keys["pps_invited_on"],
            }
        )
        if done.saved is not None and not as_json:
            click.echo(_saved_line(done.saved))
    if as_json:
        echo_json({"today": rt.today, "sent": sent, "failed": failed})
    elif not sent and not failed:
        click.echo("no invitation is out of date")
    if failed:
        click.get_current_context().exit(EXIT_FAILED)

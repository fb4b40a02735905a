"""ppsj invite: the e-mail invitation (iMIP) for a partner's series."""

from __future__ import annotations

import datetime as dt
import os

import click

from ppsjournal.cli import common_options, find_partner, output_path, runtime, write_output


@click.command()
@click.argument("name")
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
@common_options
def invite(name: str, out: str | None, send: bool, cancel: bool) -> None:
    """The calendar invitation for NAME's weekly series, as an e-mail (iMIP).

    The message has a readable text part (days, time, time zone, sessions,
    skipped and moved dates) and a text/calendar part (METHOD:REQUEST) that
    mail clients show with Accept/Decline. --cancel makes it METHOD:CANCEL
    with a higher SEQUENCE, recorded in the note's pps_sequence.

    Without --out or --send the message is written to the vault's Calendar/
    folder, ready to open or attach. --send uses [smtp] in ppsj.toml; the
    password comes from $PPSJ_SMTP_PASSWORD and is never shown.

    \b
    Example:
      ppsj invite "Debbie Harper"
      ppsj invite "Debbie Harper" --out debbie.eml
      PPSJ_SMTP_PASSWORD=... ppsj invite "Debbie Harper" --send
      ppsj invite "Debbie Harper" --cancel --send
    """
    from ppsjournal import mail
    from ppsjournal.invite import build_invite, invite_path, message_bytes

    out_path = output_path(out, "--out") if out is not None else None
    rt = runtime()
    vault = rt.vault
    settings = vault.settings
    index = rt.index()  # a partner is all an invitation reads
    partner = find_partner(index, name)
    # Check the SMTP settings before anything is written, so a gap costs nothing.
    plan = mail.plan(settings.smtp, os.environ.get(mail.PASSWORD_ENV)) if send else None
    # The one clock read: SMTP needs a Date, and DTSTAMP orders updates within a SEQUENCE.
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    msg = build_invite(partner, settings, now=now, cancel=cancel)
    data = message_bytes(msg)
    what = "cancellation" if cancel else "invite"

    if plan is not None:
        to = msg["To"].addresses[0].addr_spec  # checked by build_invite
        sender = msg["From"].addresses[0].addr_spec  # the owner's, checked likewise
        mail.send(msg, plan, sender, [to])
        click.echo(f"sent the {what} to {to} via {plan.server} ({plan.security})")
    if out_path is not None:
        write_output(out_path, data, str(out_path))
        click.echo(f"wrote {out}")
    if plan is None and out is None:
        rel = invite_path(partner, cancel)
        vault.write(rel, data)
        click.echo(f"wrote {vault.abs(rel)}")
    if cancel:
        # The CANCEL's SEQUENCE is now the series': a later REQUEST (resume,
        # renew) bumps it again and so supersedes the cancellation.
        from ppsjournal.invite import invite_sequence
        from ppsjournal.properties import QUOTED_KEYS

        sequence = invite_sequence(partner, cancel)
        vault.update_keys(partner.path, {"pps_sequence": sequence}, QUOTED_KEYS)
        click.echo(f"set pps_sequence to {sequence} in {partner.path}")
        if partner.status == "active":
            click.echo(
                f"{partner.name} is still active: 'ppsj pause' takes the series "
                "out of your own calendar"
            )

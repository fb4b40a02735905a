"""ppsj invite: the e-mail invitation (iMIP) for a partner's series."""

from __future__ import annotations

import datetime as dt
import os

import click

from ppsjournal.cli import common_options, echo_json, find_partner, output_path, runtime, warn
from ppsjournal.cli import write_output as write_file
from ppsjournal.errors import EXIT_FAILED, PpsjError, UsageError


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


def _save(vault, rel: str, data: bytes, only_if_saved: bool) -> str | None:
    """Write the vault's copy of an invite when what it says changed; a message."""
    from ppsjournal.invite import same_invite

    if vault.exists(rel):
        if same_invite(vault.read_bytes(rel), data):
            return f"{rel} is up to date"
    elif only_if_saved:
        return None
    vault.write(rel, data)
    return f"wrote {vault.abs(rel)}"


def _send(msg, plan, what: str) -> str:
    from ppsjournal import mail

    to = msg["To"].addresses[0].addr_spec  # checked by build_invite
    sender = msg["From"].addresses[0].addr_spec  # the owner's, checked likewise
    mail.send(msg, plan, sender, [to])
    return f"sent the {what} to {to} via {plan.server} ({plan.security})"


def _one(name: str, out: str | None, send: bool, cancel: bool, yes: bool) -> None:
    from ppsjournal.invite import build_invite, invite_path, message_bytes, sent_keys
    from ppsjournal.properties import QUOTED_KEYS

    out_path = output_path(out, "--out") if out is not None else None
    rt = runtime()
    vault = rt.vault
    settings = vault.settings
    plan = _smtp_plan(settings, send)
    # Read, sent and recorded under the write lock: the note records what was sent.
    with rt.builder().writing() as index:
        partner = find_partner(index, name, writing=send or cancel)
        if cancel and send and partner.status == "active" and not yes:
            raise PpsjError(
                f"{partner.name} is still active: a cancellation removes every session "
                "from their calendar while the series stays in yours; "
                "'ppsj pause' first, or add --yes to send it anyway"
            )
        msg = build_invite(partner, settings, now=_now(), cancel=cancel)
        data = message_bytes(msg)
        what = "cancellation" if cancel else "invite"
        rel = invite_path(partner, cancel)
        if plan is not None:
            # Recorded before anything is shown: a reader gone (`| head`) cannot
            # leave a sent invitation unrecorded.
            sent_line = _send(msg, plan, what)
            keys = sent_keys(partner, settings, cancel, rt.today)
            vault.update_keys(partner.path, keys, QUOTED_KEYS)
            click.echo(sent_line)
            click.echo(f"recorded SEQUENCE {keys['pps_invited_sequence']} in {partner.path}")
            if out_path is None:
                line = _save(vault, rel, data, only_if_saved=True)
                if line:
                    click.echo(line)
        elif cancel:
            # The CANCEL's SEQUENCE is now the series': a later REQUEST (resume,
            # renew) bumps it again and so supersedes the cancellation.
            from ppsjournal.invite import invite_sequence

            sequence = invite_sequence(partner, settings, cancel)
            keys = partner.settle(settings.sessions.holidays, bump=0)
            keys["pps_sequence"] = sequence
            vault.update_keys(partner.path, keys, QUOTED_KEYS)
            click.echo(f"set pps_sequence to {sequence} in {partner.path}")
        if out_path is not None:
            write_file(out_path, data, str(out_path))
            click.echo(f"wrote {out}")
        if plan is None and out is None:
            click.echo(_save(vault, rel, data, only_if_saved=False))
    if cancel and partner.status == "active":
        click.echo(
            f"{partner.name} is still active: 'ppsj pause' takes the series "
            "out of your own calendar"
        )


def _changed(send: bool, as_json: bool) -> None:
    from ppsjournal.invite import (
        build_invite,
        invite_path,
        message_bytes,
        pending_invitations,
        sent_keys,
    )
    from ppsjournal.properties import QUOTED_KEYS

    rt = runtime()
    vault = rt.vault
    settings = vault.settings
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
    with rt.builder().writing() as index:
        for p in pending_invitations(index.partners.values(), settings):
            partner = p.partner
            try:
                msg = build_invite(partner, settings, now=_now(), cancel=p.cancel)
                line = _send(msg, plan, "cancellation" if p.cancel else "invite")
            except PpsjError as exc:
                warn(str(exc))
                failed.append(partner.name)
                continue
            keys = sent_keys(partner, settings, p.cancel, rt.today)
            vault.update_keys(partner.path, keys, QUOTED_KEYS)
            if not as_json:
                click.echo(line)
            sent.append(
                {
                    **p.as_json(),
                    "sent_sequence": keys["pps_invited_sequence"],
                    "sent_on": keys["pps_invited_on"],
                }
            )
            saved = _save(
                vault, invite_path(partner, p.cancel), message_bytes(msg), only_if_saved=True
            )
            if saved and not as_json:
                click.echo(saved)
    if as_json:
        echo_json({"today": rt.today, "sent": sent, "failed": failed})
    elif not sent and not failed:
        click.echo("no invitation is out of date")
    if failed:
        click.get_current_context().exit(EXIT_FAILED)

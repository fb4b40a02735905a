"""The e-mailed invite for a partner's series: an iMIP message (RFC 6047).

A pure function of the partner, the settings and ``now`` (which the CLI reads
from the clock: SMTP needs a Date). The message is multipart/mixed holding a
multipart/alternative of a readable text/plain part and the
``text/calendar; method=REQUEST`` (or CANCEL) part, plus the same calendar as
an ``invite.ics`` attachment for clients that only look at attachments (the
layout Google Calendar itself sends).

Every header made from note data is checked first: CR, LF and other control
characters, and RFC 2047 encoded-words, are refused, so a name written into a
note can never add a header (Bcc:) or smuggle pre-encoded text into one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import textwrap
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from ppsjournal.calendar import (
    LOST_LEAD_QUESTIONS,
    PARTNERSHIP_QUESTIONS,
    cancelled,
    itip_calendar,
    moves,
    series_uid,
    to_bytes,
)
from ppsjournal.dates import shown_time
from ppsjournal.errors import PpsjError
from ppsjournal.layout import CALENDAR
from ppsjournal.model import Partner
from ppsjournal.schedule import Series, occurrences
from ppsjournal.settings import CONFIG_NAME, WEEKDAYS, Settings, check_email

_ENCODED_WORD = re.compile(r"=\?.*\?=", re.DOTALL)
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def check_header_text(value: str, what: str, where: str | None) -> str:
    """Text safe in a header: one line, no control characters, no encoded-word."""
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
        raise PpsjError(f"{what} {value!r} contains a line break or control character", where)
    if _ENCODED_WORD.search(value):
        raise PpsjError(f"{what} {value!r} looks like an RFC 2047 encoded-word (=?...?=)", where)
    return value


def check_address(value: str | None, what: str, where: str | None) -> str:
    """An address safe in a header and an SMTP envelope."""
    if not value:
        raise PpsjError(f"{what} has no e-mail address", where)
    if "\r" in value or "\n" in value:
        raise PpsjError(f"{what}'s e-mail address contains a line break", where)
    check_email(value, where or what)
    local, _, domain = value.rpartition("@")
    if not local.isascii():
        # Would need SMTPUTF8 end to end, which many servers still refuse.
        raise PpsjError(
            f"{what}'s e-mail address {value!r} has non-ASCII letters before the @, "
            "which an invite cannot carry",
            where,
        )
    if not domain.isascii():
        # An international domain goes in a header as its ASCII (IDNA) form.
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise PpsjError(f"{what}'s e-mail address {value!r} has a bad domain", where) from None
    return f"{local}@{domain}"


def day_text(day: dt.date) -> str:
    """'Friday 4 December 2026', whatever the machine's locale."""
    return f"{WEEKDAYS[day.weekday()].capitalize()} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def invite_sequence(partner: Partner, settings: Settings, cancel: bool) -> int:
    """A REQUEST carries the calendar's SEQUENCE; a CANCEL one more, so it supersedes
    every invite sent so far (the CLI then records it in the note: see docs/calendar.md)."""
    sequence = partner.calendar_sequence(settings.sessions.holidays)
    return sequence + 1 if cancel else sequence


def invite_path(partner: Partner, cancel: bool) -> str:
    return f"{CALENDAR}/{partner.name} {'cancel' if cancel else 'invite'}.eml"


def is_saved_invite(data: bytes) -> bool:
    """Whether a message is one ``ppsj invite`` wrote (by its Message-ID), not the user's."""
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return any(line.lower().startswith(b"message-id: <ppsj.") for line in head.splitlines())


def _series(partner: Partner, cancel: bool) -> Series:
    if partner.series is None:
        raise PpsjError(
            f"{partner.name} has no booked series (book one with 'ppsj add --at')", partner.path
        )
    if not cancel and partner.status != "active":
        raise PpsjError(
            f"{partner.name} is {partner.status}: 'ppsj resume' first, "
            "or send 'ppsj invite --cancel'",
            partner.path,
        )
    return partner.series


def invite_text(partner: Partner, settings: Settings, cancel: bool) -> str:
    """The readable part: days, time, time zone, sessions, and what is skipped or moved."""
    series = _series(partner, cancel)
    s = settings.sessions
    zone_name = settings.owner.timezone
    clock = settings.owner.clock
    when = f"{_slot(series.start.weekday(), series.time, s.length, clock)} ({zone_name} time)"
    span = f"from {day_text(series.start)} to {day_text(series.end)}"
    changes = [
        f"  From {day_text(r.first)}: {_slot(r.weekday, r.time, s.length, clock)}"
        for r in series.reschedules
    ]
    owner = settings.owner
    if cancel:
        return (
            f"Hello {partner.name},\n\n"
            "I have cancelled our weekly Partnership Planning Sessions:\n\n"
            f"  When:      {when}\n"
            + "".join(f"{line}\n" for line in changes)
            + f"  Series:    {span}\n\n"
            "Opening this message removes them from your calendar.\n\n"
            f"{owner.name}\n{owner.email}\n"
        )
    held = occurrences(series, s.holidays)
    lines = [
        f"Hello {partner.name},",
        "",
        "Here are our weekly Partnership Planning Sessions:",
        "",
        f"  When:      {when}",
        *changes,
        f"  Sessions:  {len(held)}, {span}",
    ]
    for p in cancelled(series, s.holidays):
        lines.append(f"  No call:   {day_text(p.slot.date())} ({p.why})")
    for old, new in moves(series):
        lines.append(
            f"  Moved:     {day_text(old)} -> {day_text(new.date())} "
            f"at {shown_time(new.time(), clock)}"
        )
    lines += [
        f"  Reminder:  {s.reminder} minutes before",
        "",
        "Each week we go over three questions about our partnership:",
        *_numbered(PARTNERSHIP_QUESTIONS, 1),
        'and two "lost leads" questions:',
        *_numbered(LOST_LEAD_QUESTIONS, len(PARTNERSHIP_QUESTIONS) + 1),
        "",
        "The calendar invitation is attached: accept it to put every session",
        "in your calendar with a reminder.",
        "",
        owner.name,
        owner.email,
        "",
    ]
    return "\n".join(lines)


def _slot(weekday: int, time: dt.time, length: int, clock: str) -> str:
    end = (dt.datetime.combine(dt.date(2000, 1, 3), time) + dt.timedelta(minutes=length)).time()
    return (
        f"{WEEKDAYS[weekday].capitalize()}s, {shown_time(time, clock)} to {shown_time(end, clock)}"
    )


def _numbered(items: tuple[str, ...], first: int) -> list[str]:
    # Wrapped short, so the part stays 7bit and reads well in any client.
    return [
        textwrap.fill(q, width=72, initial_indent=f"  {i}. ", subsequent_indent="     ")
        for i, q in enumerate(items, first)
    ]


def _subject(partner: Partner, settings: Settings, series: Series, cancel: bool) -> str:
    weekday, time = series.slot_on(series.end)
    what = (
        f"Partnership Planning Sessions, {WEEKDAYS[weekday].capitalize()}s "
        f"{shown_time(time, settings.owner.clock)}"
    )
    who = f"{settings.owner.name} & {partner.name}"
    return f"{'Cancelled' if cancel else 'Invitation'}: {what} ({who})"


def _cte(text: str) -> str:
    # 7bit where it can be (readable .eml); quoted-printable otherwise, never raw
    # 8bit, which a server without 8BITMIME may mangle.
    if text.isascii() and all(len(line) <= 78 for line in text.splitlines()):
        return "7bit"
    return "quoted-printable"


def build_invite(
    partner: Partner, settings: Settings, *, now: dt.datetime, cancel: bool = False
) -> EmailMessage:
    """The iMIP message inviting the partner to the series (or cancelling it)."""
    if now.tzinfo is None:
        raise PpsjError("internal: the invite's time must be time-zone aware")
    series = _series(partner, cancel)
    owner = settings.owner
    # The error must stay one line even when the note's file name holds a line break.
    where = partner.path if partner.path.isprintable() else repr(partner.path)
    check_header_text(partner.name, "the partner's name", where)
    check_header_text(owner.name, "the owner's name", f"{CONFIG_NAME}: owner.name")
    to_addr = check_address(partner.email, partner.name, where)
    from_addr = check_address(owner.email, "the owner", f"{CONFIG_NAME}: owner.email")
    stamp = now.astimezone(dt.UTC).replace(microsecond=0)
    sequence = invite_sequence(partner, settings, cancel)
    method = "CANCEL" if cancel else "REQUEST"
    cal = itip_calendar(partner, settings, cancel=cancel, sequence=sequence, stamp=stamp)
    ics = to_bytes(cal).decode("utf-8")
    text = invite_text(partner, settings, cancel)

    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(owner.name, addr_spec=from_addr)
    msg["To"] = Address(partner.name, addr_spec=to_addr)
    msg["Subject"] = _subject(partner, settings, series, cancel)
    msg["Date"] = format_datetime(stamp)
    uid_local = series_uid(owner.email, partner).split("@", 1)[0]
    domain = from_addr.rsplit("@", 1)[1]
    msg["Message-ID"] = (
        f"<ppsj.{uid_local}.{sequence}.{method.lower()}.{stamp:%Y%m%dT%H%M%SZ}@{domain}>"
    )
    msg.set_content(text, cte=_cte(text))
    msg.add_alternative(ics, subtype="calendar", params={"method": method}, cte=_cte(ics))
    msg.add_attachment(
        ics.encode("utf-8"),
        maintype="application",
        subtype="ics",
        filename="invite.ics",
    )
    _stable_boundaries(msg, f"{text}\n{ics}\n{msg['Message-ID']}")
    return msg


def _stable_boundaries(msg: EmailMessage, content: str) -> None:
    """Boundaries from the content, not a random number: the same invite, the same bytes.

    A boundary must not occur in the parts; a hash of them and a marker do not.
    """
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]
    for depth, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        boundary = f"=_ppsj_{depth}_{digest}"
        if boundary in content:  # pragma: no cover - a hash of the content cannot be in it
            raise PpsjError("internal: could not choose a MIME boundary")
        part.set_boundary(boundary)


def message_bytes(msg: EmailMessage) -> bytes:
    """The message as it goes on the wire (CRLF line ends), for a .eml file."""
    return msg.as_bytes(policy=policy.SMTP)


@dataclass(frozen=True)
class Pending:
    """A partner whose calendar changed since the last invitation sent to them."""

    partner: Partner
    sequence: int  # the SEQUENCE the message carries
    sent: int | None  # the SEQUENCE last sent (pps_invited_sequence), None: never
    cancel: bool  # the update is a cancellation (the partner is no longer active)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.partner.name,
            "email": self.partner.email,
            "sequence": self.sequence,
            "sent_sequence": self.sent,
            "sent_on": self.partner.invited_on,
            "method": "CANCEL" if self.cancel else "REQUEST",
            "note": self.partner.path,
        }


def pending(partner: Partner, settings: Settings) -> Pending | None:
    """The invitation ``partner`` is owed, if any.

    Owed when the calendar's SEQUENCE is above the one last sent; an active
    partner never sent one is owed the first, and one no longer active is owed
    a cancellation only if an invitation was ever sent. No e-mail: none.
    ``sequence`` is the one the message carries (a CANCEL's is one above the
    calendar's).

    A partner no longer active is owed one only for a change ppsj wrote into
    the note (``pps_sequence`` above the one sent: a pause after an invitation):
    a holiday touches a series their calendar no longer has, so once the
    cancellation is sent a holiday added or removed owes them nothing.
    """
    if partner.series is None or not partner.email:
        return None
    active = partner.status == "active"
    sent = partner.invited_sequence
    if not active and (sent is None or partner.sequence <= sent):
        return None
    sequence = invite_sequence(partner, settings, cancel=not active)
    if sent is not None and sequence <= sent:
        return None
    return Pending(partner, sequence, sent, cancel=not active)


def pending_invitations(partners: Iterable[Partner], settings: Settings) -> list[Pending]:
    found = [pending(p, settings) for p in sorted(partners, key=lambda p: p.key)]
    return [p for p in found if p is not None]


def out_of_date_line(p: Pending) -> str:
    what = "Cancellation not sent" if p.cancel else "Invitation out of date"
    return f"{what}: {p.partner.name} (run: ppsj invite --changed --send)"


def sent_keys(partner: Partner, settings: Settings, cancel: bool, day: dt.date) -> dict[str, Any]:
    """What the note records once an invite is sent: its SEQUENCE and the day.
    A cancellation's SEQUENCE becomes the series' own (see invite_sequence)."""
    sequence = invite_sequence(partner, settings, cancel)
    # The holidays sent are settled into pps_sequence: one removed later
    # counts again, from the SEQUENCE the partner now has.
    keys = partner.settle(settings.sessions.holidays, bump=0)
    keys["pps_sequence"] = sequence
    keys.update({"pps_invited_sequence": sequence, "pps_invited_on": day})
    return keys


def _content(data: bytes) -> tuple[str, ...]:
    """What an invite says, without what changes at every run (Date, DTSTAMP, ids)."""
    msg = message_from_bytes(data, policy=policy.default)
    parts = [str(msg["Subject"]), str(msg["From"]), str(msg["To"])]
    for part in msg.walk():
        if part.get_content_type() in ("text/plain", "text/calendar"):
            text = part.get_content()
            parts.append(
                "\n".join(
                    line
                    for line in text.replace("\r\n", "\n").split("\n")
                    if not line.startswith("DTSTAMP")
                )
            )
    return tuple(parts)


def same_invite(old: bytes, new: bytes) -> bool:
    """Whether a saved .eml already says what ``new`` says (then it is kept as it is)."""
    try:
        return _content(old) == _content(new)
    except (ValueError, LookupError, TypeError):
        return False

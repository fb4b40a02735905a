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
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from ppsjournal.calendar import (
    LOST_LEAD_QUESTIONS,
    PARTNERSHIP_QUESTIONS,
    exdates,
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


def invite_sequence(partner: Partner, cancel: bool) -> int:
    """A REQUEST carries pps_sequence; a CANCEL one more, so it supersedes every
    invite sent so far (the CLI then records it in the note: see docs/calendar.md)."""
    return partner.sequence + 1 if cancel else partner.sequence


def invite_path(partner: Partner, cancel: bool) -> str:
    return f"{CALENDAR}/{partner.name} {'cancel' if cancel else 'invite'}.eml"


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
    end_time = (
        dt.datetime.combine(series.start, series.time) + dt.timedelta(minutes=s.length)
    ).time()
    weekday = WEEKDAYS[series.start.weekday()].capitalize()
    clock = settings.owner.clock
    at, until = shown_time(series.time, clock), shown_time(end_time, clock)
    when = f"{weekday}s, {at} to {until} ({settings.owner.timezone} time)"
    span = f"from {day_text(series.start)} to {day_text(series.end)}"
    owner = settings.owner
    if cancel:
        return (
            f"Hello {partner.name},\n\n"
            "I have cancelled our weekly Partnership Planning Sessions:\n\n"
            f"  When:      {when}\n"
            f"  Series:    {span}\n\n"
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
        f"  Sessions:  {len(held)}, {span}",
    ]
    for day in exdates(series, s.holidays):
        why = "skipped" if day in series.skip else "holiday"
        lines.append(f"  No call:   {day_text(day)} ({why})")
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


def _numbered(items: tuple[str, ...], first: int) -> list[str]:
    # Wrapped short, so the part stays 7bit and reads well in any client.
    return [
        textwrap.fill(q, width=72, initial_indent=f"  {i}. ", subsequent_indent="     ")
        for i, q in enumerate(items, first)
    ]


def _subject(partner: Partner, settings: Settings, series: Series, cancel: bool) -> str:
    weekday = WEEKDAYS[series.start.weekday()].capitalize()
    what = (
        f"Partnership Planning Sessions, {weekday}s {shown_time(series.time, settings.owner.clock)}"
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
    sequence = invite_sequence(partner, cancel)
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

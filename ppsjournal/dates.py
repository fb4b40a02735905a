"""Dates as people type them on the command line (notes' properties stay ISO),
and as people read them in a report (``Fri Dec 4``).

``2026-12-25``, ``12/25/2026``, ``12/25`` and ``Dec 25`` / ``december 25``: a
day without a year is the next such day on or after ``today`` (for a day
that has happened, the latest on or before it). Month/day order
is the US one (the loan officer's). Pure: ``today`` is a parameter.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from ppsjournal.errors import PpsjError

TYPED_FORMATS = "YYYY-MM-DD, MM/DD/YYYY, MM/DD or Dec 25"

_MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}
_MONTHS["sept"] = 9
# Not %a / %b: those follow the locale, and a report is the same on every machine.
_DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}))?")
_NAMED = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:(?:,\s*|\s+)(\d{4}))?")


def short_day(day: dt.date) -> str:
    """The day as a person reads it in a table: ``Fri Dec 4``."""
    return f"{_DAY_ABBR[day.weekday()]} {_MONTH_ABBR[day.month - 1]} {day.day}"


class NotADate(PpsjError):
    """Not written in any of the forms a date is typed in."""


def needs_today(text: str) -> bool:
    """Whether ``text`` is a day without a year (so its year depends on today)."""
    text = text.strip()
    for pattern in (_SLASHED, _NAMED):
        m = pattern.fullmatch(text)
        if m:
            return m.group(3) is None
    return False


def parse_typed_date(text: str, today: dt.date | None, past: bool = False) -> dt.date:
    """The day ``text`` names; PpsjError (one line) if it names none or an impossible one.

    ``today`` is needed only for a day without a year (see ``needs_today``):
    the next such day on or after today, or with ``past`` (a day already
    gone by: a spend's, the start of what to look back on) the last such
    day on or before today.
    """
    value = text.strip()
    if _ISO.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise NotADate(f"{text!r} is not a date ({TYPED_FORMATS})") from None
    m = _SLASHED.fullmatch(value)
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise PpsjError(
                f"{text!r} is not a date: there is no month {month} "
                "(the month comes first: MM/DD or MM/DD/YYYY)"
            )
        return _day(text, month, day, m.group(3), today, past)
    m = _NAMED.fullmatch(value)
    if m and m.group(1).lower() in _MONTHS:
        return _day(text, _MONTHS[m.group(1).lower()], int(m.group(2)), m.group(3), today, past)
    raise NotADate(f"{text!r} is not a date ({TYPED_FORMATS})")


def _day(
    text: str, month: int, day: int, year: str | None, today: dt.date | None, past: bool
) -> dt.date:
    name = calendar.month_name[month]
    if not 1 <= day <= 31 or (month != 2 and day > calendar.monthrange(2000, month)[1]):
        raise PpsjError(f"{text!r} is not a date: {name} has no day {day}")
    if month == 2 and day > 29:
        raise PpsjError(f"{text!r} is not a date: February has no day {day}")
    if year is not None:
        try:
            return dt.date(int(year), month, day)
        except ValueError:
            raise PpsjError(f"{text!r} is not a date: {name} {year} has no day {day}") from None
    if today is None:  # pragma: no cover - callers pass today for a day without a year
        raise PpsjError(f"{text!r} has no year; write it as YYYY-MM-DD")
    # A 29 February is at most 8 years off.
    years = range(today.year, today.year - 9, -1) if past else range(today.year, today.year + 9)
    for year_ in years:
        try:
            candidate = dt.date(year_, month, day)
        except ValueError:
            continue
        if (candidate <= today) if past else (candidate >= today):
            return candidate
    raise PpsjError(f"{text!r} is not a date")  # pragma: no cover - unreachable


# -- times -----------------------------------------------------------------


def shown_time(time: dt.time, clock: str = "12h") -> str:
    """A time as people read it, by ``[owner] clock``: ``2:40 PM`` (12h) or ``14:40`` (24h).

    The one home of that rule: the terminal, invitations, notes and Follow-ups.md
    call it. Stored values (``pps_time``, a session's ``time``, the calendars,
    ``--json``) stay ``HH:MM``, 24-hour.
    """
    if clock == "24h":
        return f"{time:%H:%M}"
    return f"{time.hour % 12 or 12}:{time.minute:02d} {'AM' if time.hour < 12 else 'PM'}"


def shown_span(start: dt.time, end: dt.time, clock: str = "12h") -> str:
    """``1:00 PM-4:00 PM`` or ``13:00-16:00``."""
    return f"{shown_time(start, clock)}-{shown_time(end, clock)}"


TYPED_TIME_FORMATS = "14:40, 2:40pm, 2:40 PM, 2pm, or 2:40 read in the PPS window"

_CLOCK = re.compile(r"(\d{1,2})(?::([0-5]\d))?\s*([ap])\.?\s*m\.?", re.IGNORECASE)
_24H = re.compile(r"(\d{1,2}):([0-5]\d)")


class NotATime(PpsjError):
    """Not written in any of the forms a time is typed in."""


def needs_window(text: str) -> bool:
    """Whether ``text`` is a time the PPS window must settle (``2:40``)."""
    m = _24H.fullmatch(text.strip())
    return m is not None and len(m.group(1)) == 1 and m.group(1) != "0"


Span = tuple[dt.time, dt.time]


def parse_typed_time(text: str, window: Span | list[Span] | None, clock: str = "12h") -> dt.time:
    """The time of day ``text`` names; PpsjError (one line) if it names none, or no one.

    ``14:40``, ``02:40`` and ``10:30`` are the 24-hour clock; ``2:40pm``,
    ``2:40 PM``, ``2pm`` the 12-hour one. A one-digit hour without am/pm
    (``2:40``) is 02:40 or 14:40: the one of them in ``window`` (start
    inclusive, end exclusive; a list: in any of them); refused when both or
    neither are, or when no window is given, in words of ``clock`` (the
    owner's). Pure: the window is a parameter.
    """
    value = text.strip()
    m = _CLOCK.fullmatch(value)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if not 1 <= hour <= 12:
            raise NotATime(f"{text!r} is not a time ({TYPED_TIME_FORMATS})")
        return dt.time(hour % 12 + (12 if m.group(3).lower() == "p" else 0), minute)
    m = _24H.fullmatch(value)
    if not m or int(m.group(1)) > 23:
        raise NotATime(f"{text!r} is not a time ({TYPED_TIME_FORMATS})")
    hour, minute = int(m.group(1)), int(m.group(2))
    if len(m.group(1)) == 2 or hour == 0:
        return dt.time(hour, minute)
    early, late = dt.time(hour, minute), dt.time(hour + 12, minute)
    a, b = shown_time(early, clock), shown_time(late, clock)
    # What to type instead: a form that needs no window, on the owner's clock.
    typed = (
        f"{early:%H:%M} or {late:%H:%M}"
        if clock == "24h"
        else f"{hour}:{minute:02d}am or {hour}:{minute:02d}pm"
    )
    spans = [window] if isinstance(window, tuple) else list(window or [])
    if not spans:
        raise PpsjError(f"{text!r} could be {a} or {b}: write {typed}")
    fits = [t for t in (early, late) if any(start <= t < end for start, end in spans)]
    if len(fits) == 1:
        return fits[0]
    shown = ", ".join(shown_span(start, end, clock) for start, end in spans)
    span = f"the PPS window {shown}" if len(spans) == 1 else f"any PPS window ({shown})"
    said = f"both {a} and {b} are in" if fits else f"neither {a} nor {b} is in"
    raise PpsjError(f"{text!r}: {said} {span}: write {typed}")

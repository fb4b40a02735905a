"""Dates as people type them on the command line (notes' properties stay ISO).

``2026-12-25``, ``12/25/2026``, ``12/25`` and ``Dec 25`` / ``december 25``: a
day without a year is the next such day on or after ``today``. Month/day order
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
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}))?")
_NAMED = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:(?:,\s*|\s+)(\d{4}))?")


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


def parse_typed_date(text: str, today: dt.date | None) -> dt.date:
    """The day ``text`` names; PpsjError (one line) if it names none or an impossible one.

    ``today`` is needed only for a day without a year (see ``needs_today``).
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
        return _day(text, month, day, m.group(3), today)
    m = _NAMED.fullmatch(value)
    if m and m.group(1).lower() in _MONTHS:
        return _day(text, _MONTHS[m.group(1).lower()], int(m.group(2)), m.group(3), today)
    raise NotADate(f"{text!r} is not a date ({TYPED_FORMATS})")


def _day(text: str, month: int, day: int, year: str | None, today: dt.date | None) -> dt.date:
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
    for year_ in range(today.year, today.year + 9):  # a 29 February is at most 8 years off
        try:
            candidate = dt.date(year_, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise PpsjError(f"{text!r} is not a date")  # pragma: no cover - unreachable

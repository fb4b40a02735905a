"""The command line's dates and times: click types over the parsers in settings.py.

Every date or time an option or argument takes is one of these, so each is
checked while the command line is parsed, before the vault is opened, and a
bad one is refused alike everywhere: one line, ``ppsj: --start: '2026-13-01'
is not a date (YYYY-MM-DD, ...)``, exit 2. Dates may be typed as people
type them (``12/25``, ``Dec 25``: see ppsjournal.dates); a day without a year
is the next one on or after the CLI's today (``--today`` given before it,
``$PPSJ_TODAY``, else the clock), or for a day that has happened (PAST_DATE)
the latest one on or before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NamedTuple

import click

from ppsjournal.dates import TYPED_FORMATS as TYPED_DATE
from ppsjournal.dates import TYPED_TIME_FORMATS as TYPED_TIME
from ppsjournal.errors import PpsjError

DATE_FORMAT = "YYYY-MM-DD"
TIME_FORMAT = "HH:MM"


class BadValue(click.BadParameter):
    """A value that does not parse: shown as ``NAME: WHAT``, without click's usage block."""

    def format_message(self) -> str:
        param = self.param
        if param is None:
            where = self.param_hint if isinstance(self.param_hint, str) else None
        elif isinstance(param, click.Option):
            where = param.opts[0]
        else:
            where = param.human_readable_name
        return f"{where}: {self.message}" if where else self.message


class NotParsed(PpsjError):
    """Not written as a date or time at all (as against a date out of range)."""


def date_value(
    value: object, today: Callable[[], dt.date] | None = None, past: bool = False
) -> dt.date:
    """``value`` as a date, or PpsjError with the one message every date option gives.

    ``today`` is asked only for a day typed without a year (default: the
    clock); ``past``: such a day is the last one on or before today.
    """
    from ppsjournal.dates import NotADate, needs_today, parse_typed_date
    from ppsjournal.settings import check_date_range

    if not isinstance(value, str):
        raise NotParsed(f"{value!r} is not a date ({TYPED_DATE})")
    day = None
    if needs_today(value):
        day = today() if today is not None else dt.date.today()
    try:
        return check_date_range(parse_typed_date(value, day, past), "")
    except NotADate as exc:
        raise NotParsed(exc.message) from None
    except PpsjError as exc:
        raise PpsjError(exc.message) from None


def cli_today(ctx: click.Context | None) -> Callable[[], dt.date]:
    """The CLI's today, as a command would see it, read only when asked for."""

    def today() -> dt.date:
        from ppsjournal.cli import Runtime

        obj = ctx.find_root().obj if ctx is not None else None
        try:
            return Runtime(obj if isinstance(obj, dict) else {}).today
        except PpsjError:  # no vault yet (or a bad $PPSJ_TODAY, said elsewhere)
            return dt.date.today()

    return today


def cli_window(ctx: click.Context | None) -> Callable[[], list[tuple[dt.time, dt.time]] | None]:
    """The vault's PPS windows (``[sessions] window`` or ``windows``), read only
    when asked for; None when there is no vault to read them from."""

    def window() -> list[tuple[dt.time, dt.time]] | None:
        from ppsjournal.cli import Runtime

        obj = ctx.find_root().obj if ctx is not None else None
        try:
            s = Runtime(obj if isinstance(obj, dict) else {}).vault.settings.sessions
        except PpsjError:  # no vault (or a bad one, said when the command opens it)
            return None
        return [(w.start, w.end) for w in s.windows]

    return window


def cli_clock(ctx: click.Context | None) -> Callable[[], str]:
    """The vault's ``[owner] clock``, read only when asked for; the default
    (12h) when there is no vault to read it from."""

    def clock() -> str:
        from ppsjournal.cli import Runtime

        obj = ctx.find_root().obj if ctx is not None else None
        try:
            return Runtime(obj if isinstance(obj, dict) else {}).vault.settings.owner.clock
        except PpsjError:
            return "12h"

    return clock


def time_value(
    value: object,
    window: Callable[[], list[tuple[dt.time, dt.time]] | None] | None = None,
    clock: Callable[[], str] | None = None,
) -> dt.time:
    """``value`` as a time of day, or PpsjError with the one message every time option gives.

    ``window`` and ``clock`` are asked only for a time that needs them (``2:40``:
    see ppsjournal.dates).
    """
    from ppsjournal.dates import NotATime, needs_window, parse_typed_time

    if not isinstance(value, str):
        raise NotParsed(f"{value!r} is not a time ({TYPED_TIME})")
    if not needs_window(value):
        try:
            return parse_typed_time(value, None)
        except NotATime as exc:
            raise NotParsed(exc.message) from None
    try:
        return parse_typed_time(value, window() if window else None, clock() if clock else "12h")
    except NotATime as exc:
        raise NotParsed(exc.message) from None


class _Type(click.ParamType):
    metavar = ""

    def get_metavar(self, param: click.Parameter, ctx: Any = None) -> str:
        return self.metavar

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value  # a default, or a value converted already
        try:
            return self.parse(value, ctx)
        except PpsjError as exc:
            raise BadValue(exc.message, ctx, param) from None

    def parse(self, value: str, ctx: click.Context | None) -> Any:  # pragma: no cover
        raise NotImplementedError


class DateType(_Type):
    """A day, written YYYY-MM-DD, MM/DD/YYYY, MM/DD or Dec 25 (between 1900 and 8999).

    ``past``: a day gone by (``--since``, a spend's ``--date``), so that ``11/20``
    without a year is the last 20 November, not the next.
    """

    name = "date"
    metavar = DATE_FORMAT

    def __init__(self, past: bool = False) -> None:
        self.past = past

    def parse(self, value: str, ctx: click.Context | None) -> dt.date:
        return date_value(value, cli_today(ctx), self.past)


class TimeType(_Type):
    """A time of day: 14:40, 2:40pm, 2:40 PM, 2pm, or 2:40 read in the PPS window."""

    name = "time"
    metavar = TIME_FORMAT

    def parse(self, value: str, ctx: click.Context | None) -> dt.time:
        return time_value(value, cli_window(ctx), cli_clock(ctx))


class When(NamedTuple):
    """A day, and a time on it if one was given."""

    day: dt.date
    time: dt.time | None


class WhenType(_Type):
    """``YYYY-MM-DD HH:MM`` (or a ``T`` between), or a day alone: ``When``."""

    name = "date-time"
    metavar = f'"{DATE_FORMAT} [{TIME_FORMAT}]"'

    def parse(self, value: str, ctx: click.Context | None) -> When:
        text = value.strip()
        if len(text) > 10 and text[10] == "T" and text[:4].isdigit():
            text = f"{text[:10]} {text[11:]}"  # 2026-12-04T14:40
        parts = text.split()
        today = cli_today(ctx)
        try:
            return When(date_value(" ".join(parts), today), None)
        except NotParsed:
            pass
        for n in (1, 2):  # the time is the last word, or two: "3:20 pm"
            if len(parts) <= n:
                break
            try:
                time = time_value(" ".join(parts[-n:]), cli_window(ctx), cli_clock(ctx))
            except NotParsed:
                continue
            try:
                return When(date_value(" ".join(parts[:-n]), today), time)
            except NotParsed:
                pass
        raise NotParsed(f"{value!r} is not a date and time ({DATE_FORMAT} {TIME_FORMAT})")


class MoneyType(_Type):
    """An amount of dollars: 420000, $420,000, 420k, 1.2m, $250.50 (never negative)."""

    name = "amount"
    metavar = "AMOUNT"

    def parse(self, value: str, ctx: click.Context | None) -> Any:
        from ppsjournal.money import parse_amount

        return parse_amount(value)


DATE = DateType()
PAST_DATE = DateType(past=True)
TIME = TimeType()
DATETIME = WhenType()


class WeekdayType(_Type):
    """A day of the week in English, any case, whole or its first three letters."""

    name = "weekday"
    metavar = "DAY"

    def parse(self, value: str, ctx: click.Context | None) -> int:
        from ppsjournal.settings import WEEKDAYS

        text = value.strip().lower()
        for i, day in enumerate(WEEKDAYS):
            if text in (day, day[:3]):
                return i
        raise PpsjError(f"{value!r} is not a day of the week (friday, fri, Thursday ...)")


MONEY = MoneyType()
WEEKDAY = WeekdayType()

"""The command line's dates and times: click types over the parsers in settings.py.

Every date or time an option or argument takes is one of these, so each is
checked while the command line is parsed, before the vault is opened, and a
bad one is refused alike everywhere: one line, ``ppsj: --start: '2026-13-01'
is not a date (YYYY-MM-DD)``, exit 2.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import click

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


def date_value(value: object) -> dt.date:
    """``value`` as a date, or PpsjError with the one message every date option gives."""
    from ppsjournal.settings import parse_date

    try:
        return parse_date(value, "")
    except PpsjError as exc:
        if exc.message.startswith("must be"):  # else: a date, but out of range
            raise NotParsed(f"{value!r} is not a date ({DATE_FORMAT})") from None
        raise PpsjError(exc.message) from None


def time_value(value: object) -> dt.time:
    """``value`` as a time of day, or PpsjError with the one message every time option gives."""
    from ppsjournal.settings import parse_hhmm

    try:
        return parse_hhmm(value, "")
    except PpsjError:
        raise NotParsed(f"{value!r} is not a time ({TIME_FORMAT})") from None


class _Type(click.ParamType):
    metavar = ""

    def get_metavar(self, param: click.Parameter, ctx: Any = None) -> str:
        return self.metavar

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value  # a default, or a value converted already
        try:
            return self.parse(value)
        except PpsjError as exc:
            raise BadValue(exc.message, ctx, param) from None

    def parse(self, value: str) -> Any:  # pragma: no cover - every subclass has its own
        raise NotImplementedError


class DateType(_Type):
    """A day, written YYYY-MM-DD (and between 1900 and 8999)."""

    name = "date"
    metavar = DATE_FORMAT

    def parse(self, value: str) -> dt.date:
        return date_value(value)


class TimeType(_Type):
    """A time of day, written HH:MM."""

    name = "time"
    metavar = TIME_FORMAT

    def parse(self, value: str) -> dt.time:
        return time_value(value)


class When(NamedTuple):
    """A day, and a time on it if one was given."""

    day: dt.date
    time: dt.time | None


class WhenType(_Type):
    """``YYYY-MM-DD HH:MM`` (or a ``T`` between), or a day alone: ``When``."""

    name = "date-time"
    metavar = f'"{DATE_FORMAT} [{TIME_FORMAT}]"'

    def parse(self, value: str) -> When:
        parts = value.strip().replace("T", " ", 1).split()
        try:
            if len(parts) == 1:
                return When(date_value(parts[0]), None)
            if len(parts) == 2:
                return When(date_value(parts[0]), time_value(parts[1]))
        except NotParsed:
            pass
        raise NotParsed(f"{value!r} is not a date and time ({DATE_FORMAT} {TIME_FORMAT})")


DATE = DateType()
TIME = TimeType()
DATETIME = WhenType()

"""ppsj.toml: the vault's settings, with defaults and validation that names the key."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import tzdata

from ppsjournal.errors import PpsjError

CONFIG_NAME = "ppsj.toml"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SECURITY = ("starttls", "ssl", "none")
CLOCKS = ("12h", "24h")
# An apostrophe is allowed before the @ (o'brien@...: RFC 5322 atext), not after it.
_EMAIL = re.compile(r"^[^@\s<>\",;]+@[^@\s<>\"',;]+\Z")
# The common shape (dot-atoms of letters, digits and a few marks), which the
# e-mail parser below always accepts (tests/test_settings.py): 1 µs, not 70.
_PLAIN_EMAIL = re.compile(
    r"[\w%+'-]+(?:\.[\w%+'-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\Z", re.ASCII
)
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_YMD = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)


@dataclass(frozen=True)
class Owner:
    name: str
    email: str
    timezone: str
    clock: str = "12h"  # how times are shown to people; stored times are always HH:MM

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)


@dataclass(frozen=True)
class Window:
    """One weekly PPS window: a day of the week and the hours sessions fit in."""

    weekday: int  # Monday is 0, as in datetime.date.weekday()
    start: dt.time
    end: dt.time

    @property
    def weekday_name(self) -> str:
        return WEEKDAYS[self.weekday]

    @property
    def span(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def __str__(self) -> str:
        return f"{self.weekday_name} {self.span}"


@dataclass(frozen=True)
class SessionSettings:
    weekday: int = 4  # Monday is 0, as in datetime.date.weekday()
    window_start: dt.time = dt.time(13, 0)
    window_end: dt.time = dt.time(16, 0)
    length: int = 15
    weeks: int = 12
    reminder: int = 15
    holidays: frozenset[dt.date] = frozenset()
    more_windows: tuple[Window, ...] = ()  # after the first: `windows` entries 2, 3 ...

    @property
    def weekday_name(self) -> str:
        return WEEKDAYS[self.weekday]

    @property
    def window(self) -> str:
        return f"{self.window_start:%H:%M}-{self.window_end:%H:%M}"

    @property
    def windows(self) -> tuple[Window, ...]:
        """Every PPS window, the main one (``weekday``, ``window``) first."""
        return (Window(self.weekday, self.window_start, self.window_end), *self.more_windows)


@dataclass(frozen=True)
class Money:
    commission_per_side: float = 12000
    # The loan officer's own pay: basis points (1/100 of a percent) of closed volume.
    lo_bps: float = 0


@dataclass(frozen=True)
class Smtp:
    host: str | None = None
    port: int = 587
    security: str = "starttls"
    username: str | None = None


@dataclass(frozen=True)
class Caldav:
    url: str | None = None
    username: str | None = None
    calendar: str = "PPS"  # its display name, or its URL path (starting with /)


@dataclass(frozen=True)
class Settings:
    owner: Owner
    sessions: SessionSettings = field(default_factory=SessionSettings)
    money: Money = field(default_factory=Money)
    smtp: Smtp = field(default_factory=Smtp)
    caldav: Caldav = field(default_factory=Caldav)

    @property
    def tz(self) -> ZoneInfo:
        return self.owner.tz


def check_email(value: object, where: str) -> str:
    """An e-mail address safe to put in a header: one @, no spaces, no CR/LF."""
    if not isinstance(value, str) or not _EMAIL.match(value):
        raise PpsjError(f"not an e-mail address: {value!r}", where)
    if value.isascii() and not _PLAIN_EMAIL.match(value):
        # The e-mail parser is the judge of what fits a header: a backslash,
        # brackets or a comment pass the quick check but not an invite's To:.
        try:
            ok = Address(addr_spec=value).addr_spec == value
        except (ValueError, IndexError, HeaderParseError):  # "a@x." raises the last
            ok = False
        if not ok:
            raise PpsjError(f"not an e-mail address: {value!r}", where)
    return value


def _tzdata_bytes(*parts: str) -> bytes:
    """A file of the ``tzdata`` package. Opened by its path where the package is
    a folder (as pip installs it): ``importlib.resources`` imports zipfile and
    more, ~4 ms at every command, since every command checks the zone."""
    folder = os.path.dirname(tzdata.__file__ or "")
    try:
        with open(os.path.join(folder, *parts), "rb") as fh:
            return fh.read()
    except OSError:
        from importlib import resources

        return resources.files("tzdata").joinpath(*parts).read_bytes()


@cache
def _tzdata_zones() -> frozenset[str]:
    return frozenset(_tzdata_bytes("zones").decode("ascii").split())


def check_timezone(value: object, where: str) -> str:
    """An IANA zone name the ``tzdata`` package has. Not the machine's database:
    it may name zones tzdata lacks (``localtime``, ``posixrules``), so a vault
    valid here would fail on another machine. ``Factory`` is a placeholder
    ("local time zone must be set"), no place's time."""
    if not isinstance(value, str) or not value:
        raise PpsjError("must be an IANA time zone name such as 'America/Chicago'", where)
    if value not in _tzdata_zones() or value == "Factory":
        raise PpsjError(
            f"unknown time zone {value!r}: use an IANA name such as 'America/Chicago'", where
        )
    return value


@cache
def zone(key: str) -> ZoneInfo:
    """The zone from the ``tzdata`` package, never the machine's zoneinfo.

    Two machines with different system tz databases would otherwise write
    different VTIMEZONE blocks, or see a different "today", for the same
    vault, and conflict in git.
    """
    check_timezone(key, "ppsj.toml: owner.timezone")
    try:
        data = _tzdata_bytes("zoneinfo", *key.split("/"))
        return ZoneInfo.from_file(io.BytesIO(data), key=key)
    except (OSError, ValueError):
        raise PpsjError(
            f"time zone {key!r} is not in the tzdata package", "ppsj.toml: owner.timezone"
        ) from None


def parse_hhmm(value: object, where: str) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 14:40 as the base-60 number 880; Obsidian
        # (YAML 1.2) shows the user the text 14:40, so that is what it means.
        return dt.time(value // 60, value % 60)
    if isinstance(value, str):
        m = _HHMM.match(value.strip())
        if m:
            return dt.time(int(m.group(1)), int(m.group(2)))
    raise PpsjError(f"must be a time as HH:MM, got {value!r}", where)


# Dates a vault may hold: far enough from year 1 and 9999 that every date ppsj
# derives from one (a series' weeks, a report's period) exists.
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(8999, 12, 31)


def check_date_range(day: dt.date, where: str) -> dt.date:
    if not MIN_DATE <= day <= MAX_DATE:
        raise PpsjError(f"{day} is out of range ({MIN_DATE.year} to {MAX_DATE.year})", where)
    return day


def parse_date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return check_date_range(value.date(), where)
    if isinstance(value, dt.date):
        return check_date_range(value, where)
    # Only YYYY-MM-DD: Python also reads 20261204 and 2026-W49-5, which
    # Obsidian shows as text and which a user would not mean as a date.
    if isinstance(value, str) and _YMD.match(value.strip()):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return check_date_range(day, where)
    raise PpsjError(f"must be a date as YYYY-MM-DD, got {value!r}", where)


def _int(value: object, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PpsjError(f"must be a whole number from {low} to {high}, got {value!r}", where)
    return value


def _str(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PpsjError(f"must be non-empty text, got {value!r}", where)
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise PpsjError(
            f"must be one line of text without control characters, got {value!r}", where
        )
    return value


def _choice(value: object, choices: tuple[str, ...], where: str) -> str:
    if value not in choices:
        raise PpsjError(f"must be one of {', '.join(choices)}, got {value!r}", where)
    return str(value)


def check_text(value: object, where: str) -> str:
    """One line of non-empty text (a name that goes into headers and calendars)."""
    return _str(value, where)


class _Table:
    """One TOML table being read: every key read is ticked off, the rest are unknown."""

    def __init__(self, data: dict[str, Any], name: str, file: str) -> None:
        if not isinstance(data, dict):
            raise PpsjError(f"[{name}] must be a table", file)
        self.data, self.name, self.file = data, name, file
        self.seen: set[str] = set()

    def where(self, key: str) -> str:
        return f"{self.file}: {self.name}.{key}"

    def get(self, key: str, default: Any = None) -> Any:
        self.seen.add(key)
        return self.data.get(key, default)

    def has(self, key: str) -> bool:
        return key in self.data

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            hint = ""
            if self.name in ("smtp", "caldav") and unknown[0] in ("password", "pass", "passwd"):
                env = f"PPSJ_{self.name.upper()}_PASSWORD"
                hint = f" (the password comes from ${env}, never from a file)"
            raise PpsjError(f"unknown key {self.name}.{unknown[0]}{hint}", self.file)


def parse_settings(text: str, file: str = CONFIG_NAME) -> Settings:
    """Settings from the text of ppsj.toml; every error names the file and the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PpsjError(f"not valid TOML: {exc}", file) from None
    unknown = sorted(set(data) - {"owner", "sessions", "money", "smtp", "caldav"})
    if unknown:
        raise PpsjError(f"unknown section or key {unknown[0]!r}", file)
    if "owner" not in data:
        raise PpsjError("missing [owner] section (name, email, timezone)", file)

    t = _Table(data["owner"], "owner", file)
    for key in ("name", "email", "timezone"):
        if not t.has(key):
            raise PpsjError(f"missing key owner.{key}", file)
    owner = Owner(
        name=_str(t.get("name"), t.where("name")),
        email=check_email(t.get("email"), t.where("email")),
        timezone=check_timezone(t.get("timezone"), t.where("timezone")),
        clock=_choice(t.get("clock", Owner.clock), CLOCKS, t.where("clock")),
    )
    t.finish()

    t = _Table(data.get("sessions", {}), "sessions", file)
    d = SessionSettings()
    weekday = d.weekday
    if t.has("weekday"):
        weekday = _weekday(t.get("weekday"), t.where("weekday"))
    start, end = d.window_start, d.window_end
    if t.has("window"):
        start, end = _span(t.get("window"), t.where("window"))
    windows = [Window(weekday, start, end)]
    if t.has("windows"):
        if t.has("weekday") or t.has("window"):
            raise PpsjError(
                "give either windows or weekday and window, not both", t.where("windows")
            )
        windows = _windows(t.get("windows"), t.where("windows"))
        weekday, start, end = windows[0].weekday, windows[0].start, windows[0].end
    length = _int(t.get("length", d.length), t.where("length"), 5, 240)
    for w in windows:
        if length > _span_minutes(w.start, w.end):
            what = "the window" if len(windows) == 1 else f"the window {w}"
            raise PpsjError(f"a session of {length} minutes does not fit {what}", t.where("length"))
    holidays_raw = t.get("holidays", [])
    if not isinstance(holidays_raw, list):
        raise PpsjError("must be a list of dates", t.where("holidays"))
    sessions = SessionSettings(
        weekday=weekday,
        window_start=start,
        window_end=end,
        length=length,
        weeks=_int(t.get("weeks", d.weeks), t.where("weeks"), 1, 104),
        reminder=_int(t.get("reminder", d.reminder), t.where("reminder"), 0, 7 * 24 * 60),
        holidays=frozenset(parse_date(h, t.where("holidays")) for h in holidays_raw),
        more_windows=tuple(windows[1:]),
    )
    t.finish()

    t = _Table(data.get("money", {}), "money", file)
    cps = t.get("commission_per_side", Money.commission_per_side)
    if isinstance(cps, bool) or not isinstance(cps, int | float) or not 0 <= cps < 1e12:
        raise PpsjError(
            f"must be a number of dollars >= 0, got {cps!r}", t.where("commission_per_side")
        )
    bps = t.get("lo_bps", Money.lo_bps)
    if isinstance(bps, bool) or not isinstance(bps, int | float) or not 0 <= bps <= 10000:
        raise PpsjError(
            f"must be basis points of the loan amount from 0 to 10000 (100 = 1%), got {bps!r}",
            t.where("lo_bps"),
        )
    money = Money(commission_per_side=cps, lo_bps=bps)
    t.finish()

    t = _Table(data.get("smtp", {}), "smtp", file)
    host = t.get("host")
    security = _choice(t.get("security", Smtp.security), SECURITY, t.where("security"))
    username = t.get("username")
    smtp = Smtp(
        host=_str(host, t.where("host")) if host is not None else None,
        port=_int(t.get("port", Smtp.port), t.where("port"), 1, 65535),
        security=security,
        username=_str(username, t.where("username")) if username is not None else None,
    )
    t.finish()

    t = _Table(data.get("caldav", {}), "caldav", file)
    url = t.get("url")
    if url is not None and not (
        isinstance(url, str) and re.match(r"https?://[^\s/]+", url, re.ASCII)
    ):
        raise PpsjError(f"must be an http:// or https:// address, got {url!r}", t.where("url"))
    username = t.get("username")
    caldav = Caldav(
        url=url,
        username=_str(username, t.where("username")) if username is not None else None,
        calendar=_str(t.get("calendar", Caldav.calendar), t.where("calendar")),
    )
    t.finish()
    return Settings(owner=owner, sessions=sessions, money=money, smtp=smtp, caldav=caldav)


def _weekday(raw: object, where: str) -> int:
    if not isinstance(raw, str) or raw.strip().lower() not in WEEKDAYS:
        raise PpsjError(f"must be a day of the week such as 'friday', got {raw!r}", where)
    return WEEKDAYS.index(raw.strip().lower())


def _span(raw: object, where: str) -> tuple[dt.time, dt.time]:
    parts = raw.split("-") if isinstance(raw, str) else []
    if len(parts) != 2:
        raise PpsjError(f"must be HH:MM-HH:MM, got {raw!r}", where)
    start, end = parse_hhmm(parts[0], where), parse_hhmm(parts[1], where)
    if end <= start:
        raise PpsjError(f"the window ends before it starts: {raw!r}", where)
    return start, end


def _span_minutes(start: dt.time, end: dt.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _windows(raw: object, where: str) -> list[Window]:
    """``["friday 13:00-16:00", "thursday 09:00-11:00"]``: the first is the main window."""
    if not isinstance(raw, list) or not raw:
        raise PpsjError('must be a list such as ["friday 13:00-16:00"]', where)
    windows: list[Window] = []
    for item in raw:
        parts = item.split() if isinstance(item, str) else []
        if len(parts) != 2:
            raise PpsjError(
                f'must be "DAY HH:MM-HH:MM" such as "friday 13:00-16:00", got {item!r}', where
            )
        w = Window(_weekday(parts[0], where), *_span(parts[1], where))
        for other in windows:
            if other.weekday == w.weekday and w.start < other.end and other.start < w.end:
                raise PpsjError(f"the windows {other} and {w} overlap", where)
        windows.append(w)
    return windows


def render_settings(name: str, email: str, timezone: str) -> str:
    """The ppsj.toml that ``ppsj init`` writes: every setting shown with its default."""
    return f"""\
# ppsjournal settings (see the docs: docs/settings.md)

[owner]
name = {_toml_str(name)}
email = {_toml_str(email)}
timezone = {_toml_str(timezone)}      # IANA name; every time in the vault is in it
clock = "12h"                     # 12h | 24h: how times are shown to people

[sessions]
weekday = "friday"
window = "13:00-16:00"            # the weekly PPS window
length = 15                       # minutes a session
weeks = 12                        # sessions in a new series
reminder = 15                     # minutes before, in the calendar
holidays = []                     # dates with no session for anyone

[money]
commission_per_side = 12000       # the partner's average commission per side
lo_bps = 0                        # your own pay, basis points of closed volume (100 = 1%)

# [smtp]                          # only for `ppsj invite --send`
# host = "smtp.lender.example"
# port = 587
# security = "starttls"           # starttls | ssl | none
# username = "you@lender.example" # the password comes from $PPSJ_SMTP_PASSWORD

# [caldav]                        # only for `ppsj publish`
# url = "https://dav.lender.example/"
# username = "you"                # the password comes from $PPSJ_CALDAV_PASSWORD
# calendar = "PPS"                # its display name, or its URL path
"""


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

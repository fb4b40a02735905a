"""The weekly series: when sessions happen, which slots are free, who holds a slot.

Pure functions of dates and settings: no clock, no disk.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ppsjournal.dates import shown_span, shown_time
from ppsjournal.errors import PpsjError
from ppsjournal.settings import WEEKDAYS, SessionSettings, Window, parse_date, parse_hhmm

STEP = 5  # minutes between the free starts `slots` lists
LOOK_AHEAD = 52  # weeks `slots` looks ahead for a series that fits a full window

_MOVE = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})\s*->\s*(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}))?\s*$"
)
_RESCHEDULE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*:\s*([A-Za-z]+)\s+(\d{1,2}:\d{2})\s*$")


@dataclass(frozen=True)
class Reschedule:
    """From ``since`` on, the series' sessions fall on ``weekday`` at ``time``."""

    since: dt.date
    weekday: int
    time: dt.time

    def __str__(self) -> str:
        return f"{self.since.isoformat()}: {WEEKDAYS[self.weekday]} {self.time:%H:%M}"

    @property
    def first(self) -> dt.date:
        """The first day the new slot can hold a session: its weekday, on or after ``since``."""
        return self.since + dt.timedelta(days=(self.weekday - self.since.weekday()) % 7)


@dataclass(frozen=True)
class Series:
    """A partner's booked weekly series, as its note's pps_* keys describe it."""

    partner: str
    start: dt.date
    time: dt.time
    weeks: int
    skip: frozenset[dt.date] = frozenset()
    moved: dict[dt.date, dt.datetime] = field(default_factory=dict)  # naive, owner's zone
    reschedules: tuple[Reschedule, ...] = ()  # in order of ``since``

    @property
    def dates(self) -> list[dt.date]:
        """Every date the weekly rule gives, before skips and moves."""
        return [self.start + dt.timedelta(weeks=i) for i in range(self.weeks)]

    @property
    def rule_end(self) -> dt.date:
        """The rule's last date (the RRULE's), before any reschedule."""
        return self.start + dt.timedelta(weeks=self.weeks - 1)

    @property
    def end(self) -> dt.date:
        """The day of the series' last session as its slot places it."""
        return self.placed()[-1][1].date()

    def placed(self) -> list[tuple[dt.date, dt.datetime]]:
        """Each rule date with where the regular slot puts it, reschedules applied in turn.

        A reschedule from D takes every session placed on D or later to its
        weekday and time: the first to the first such weekday on or after D,
        the rest a week apart, so the week count of the series is kept.
        """
        places = [(d, dt.datetime.combine(d, self.time)) for d in self.dates]
        for r in self.reschedules:
            later = [i for i, (_, at) in enumerate(places) if at.date() >= r.since]
            if not later:
                continue
            shift = r.first - places[later[0]][0]
            for i in later:
                original = places[i][0]
                places[i] = (original, dt.datetime.combine(original + shift, r.time))
        return places

    def slot_on(self, day: dt.date) -> tuple[int, dt.time]:
        """The regular weekday and time in effect on ``day``."""
        weekday, time = self.start.weekday(), self.time
        for r in self.reschedules:
            if r.since <= day:
                weekday, time = r.weekday, r.time
        return weekday, time


@dataclass(frozen=True)
class Occurrence:
    """One session of a series. ``original`` is the rule's date (the RECURRENCE-ID)."""

    partner: str
    week: int  # the session's place in its series, 1-based
    weeks: int
    original: dt.date
    date: dt.date
    time: dt.time
    slot_date: dt.date  # where the regular slot puts it (the rule's date unless rescheduled)

    @property
    def moved(self) -> bool:
        """Moved by hand (``ppsj move``), away from where its slot puts it."""
        return self.date != self.slot_date

    def start(self, tz: dt.tzinfo) -> dt.datetime:
        return dt.datetime.combine(self.date, self.time, tzinfo=tz)


def parse_moves(
    values: Iterable[object], default_time: dt.time, where: str
) -> dict[dt.date, dt.datetime]:
    """``pps_moved`` entries: "2027-01-01 -> 2026-12-31 14:40" (the time is optional)."""
    moves: dict[dt.date, dt.datetime] = {}
    for value in values:
        m = _MOVE.match(value) if isinstance(value, str) else None
        if not m:
            raise PpsjError(f'must be "YYYY-MM-DD -> YYYY-MM-DD HH:MM", got {value!r}', where)
        old = parse_date(m.group(1), where)
        new = parse_date(m.group(2), where)
        time = parse_hhmm(m.group(3), where) if m.group(3) else default_time
        moves[old] = dt.datetime.combine(new, time)
    return moves


def format_move(old: dt.date, new: dt.datetime) -> str:
    return f"{old.isoformat()} -> {new:%Y-%m-%d %H:%M}"


def parse_reschedules(values: Iterable[object], where: str) -> tuple[Reschedule, ...]:
    """``pps_reschedules`` entries: "2027-01-08: thursday 10:00", one per change of slot."""
    found: dict[dt.date, Reschedule] = {}
    for value in values:
        m = _RESCHEDULE.match(value) if isinstance(value, str) else None
        if not m or m.group(2).lower() not in WEEKDAYS:
            raise PpsjError(f'must be "YYYY-MM-DD: weekday HH:MM", got {value!r}', where)
        since = parse_date(m.group(1), where)
        if since in found:
            raise PpsjError(f"has two reschedules from {since}", where)
        weekday = WEEKDAYS.index(m.group(2).lower())
        found[since] = Reschedule(since, weekday, parse_hhmm(m.group(3), where))
    return tuple(found[d] for d in sorted(found))


@dataclass(frozen=True)
class Placement:
    """A rule date of a series, where it falls, and why there is no session (or None)."""

    week: int
    original: dt.date
    slot: dt.datetime  # where the regular slot puts it
    at: dt.datetime  # where it is (a move by hand)
    why: str | None  # None, "skipped" or "holiday"


def placements(series: Series, holidays: frozenset[dt.date] = frozenset()) -> list[Placement]:
    """Every rule date, in rule order: skips win, then moves, then holidays.

    A holiday cancels the session on the day its slot places it (after a
    reschedule to another weekday, that day); a session moved by hand onto
    or off a holiday is where the move put it.
    """
    result = []
    for i, (day, slot) in enumerate(series.placed()):
        why, at = None, slot
        if day in series.skip:
            why = "skipped"
        elif day in series.moved:
            at = series.moved[day]
        elif slot.date() in holidays:
            why = "holiday"
        result.append(Placement(i + 1, day, slot, at, why))
    return result


def occurrences(series: Series, holidays: frozenset[dt.date] = frozenset()) -> list[Occurrence]:
    """The sessions that happen, in date order: skips win, then moves, then holidays."""
    result = [
        Occurrence(
            series.partner,
            p.week,
            series.weeks,
            p.original,
            p.at.date(),
            p.at.time(),
            p.slot.date(),
        )
        for p in placements(series, holidays)
        if p.why is None
    ]
    result.sort(key=lambda o: (o.date, o.time))
    return result


def holiday_dates(series: Series, holidays: frozenset[dt.date]) -> frozenset[dt.date]:
    """The holidays that cancel a session of this series."""
    return frozenset(p.at.date() for p in placements(series, holidays) if p.why == "holiday")


def first_session_day(today: dt.date, weekday: int) -> dt.date:
    """The first PPS weekday at least 7 days after today: "a week from now"."""
    day = today + dt.timedelta(days=7)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _time(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def windows_on(s: SessionSettings, weekday: int) -> list[Window]:
    """The PPS windows of that day of the week (Monday is 0), earliest first."""
    return sorted((w for w in s.windows if w.weekday == weekday), key=lambda w: w.start)


def fits(time: dt.time, length: int, window: Window) -> bool:
    """Whether a session of ``length`` minutes starting at ``time`` lies inside ``window``."""
    return _minutes(window.start) <= _minutes(time) and _minutes(time) + length <= _minutes(
        window.end
    )


def window_for(s: SessionSettings, weekday: int, time: dt.time) -> Window | None:
    """The window of that day of the week a session at ``time`` fits in, or None."""
    return next((w for w in windows_on(s, weekday) if fits(time, s.length, w)), None)


def windows_text(s: SessionSettings, clock: str = "24h") -> str:
    """``Fridays 13:00-16:00, Thursdays 09:00-11:00``: every window (on ``clock``)."""
    return ", ".join(
        f"{w.weekday_name.capitalize()}s {shown_span(w.start, w.end, clock)}" for w in s.windows
    )


def candidate_slots(s: SessionSettings, window: Window | None = None) -> list[dt.time]:
    """The window start, then every ``length`` minutes that still fits the window."""
    w = window or s.windows[0]
    slots = []
    m = _minutes(w.start)
    while m + s.length <= _minutes(w.end):
        slots.append(_time(m))
        m += s.length
    return slots


def check_in_window(
    time: dt.time, s: SessionSettings, weekday: int | None = None, clock: str = "24h"
) -> Window:
    """The window of ``weekday`` (default: the main PPS day) that ``time`` fits; PpsjError
    naming the windows (times on ``clock``) when it fits none. Booking, and any
    command that sets a series' slot (reschedule), share this check."""
    day = s.weekday if weekday is None else weekday
    found = window_for(s, day, time)
    if found is not None:
        return found
    at, session = shown_time(time, clock), f"a session is {s.length} minutes"
    if len(s.windows) == 1 and day == s.weekday:
        span = shown_span(s.window_start, s.window_end, clock)
        raise PpsjError(f"{at} is outside the PPS window {span} ({session})")
    where = "a PPS window" if windows_on(s, day) else "any PPS window"
    others = dict.fromkeys(
        w.weekday for w in s.windows if w.weekday != day and fits(time, s.length, w)
    )
    hint = "".join(f"; it fits {WEEKDAY_NAMES[d]}s (--weekday {WEEKDAYS[d]})" for d in others)
    raise PpsjError(
        f"{at} on a {WEEKDAY_NAMES[day]} is outside {where} "
        f"({windows_text(s, clock)}; {session}){hint}"
    )


@dataclass(frozen=True)
class Clash:
    holder: str
    date: dt.date
    time: dt.time


def clashes(
    day_times: Iterable[tuple[dt.date, dt.time]],
    booked: Iterable[Series],
    s: SessionSettings,
    ignore: str | None = None,
) -> list[Clash]:
    """Booked sessions that overlap any of the given (date, start) sessions."""
    wanted: dict[dt.date, list[int]] = {}
    for day, time in day_times:
        wanted.setdefault(day, []).append(_minutes(time))
    found = []
    for series in booked:
        if ignore is not None and series.partner == ignore:
            continue
        for occ in occurrences(series, s.holidays):
            for start in wanted.get(occ.date, ()):
                other = _minutes(occ.time)
                if start < other + s.length and other < start + s.length:
                    found.append(Clash(series.partner, occ.date, occ.time))
    found.sort(key=lambda c: (c.date, c.time, c.holder))
    return found


def check_wall_clock(
    days: Iterable[dt.date], time: dt.time, tz: dt.tzinfo, zone: str, clock: str = "24h"
) -> None:
    """Refuse a session time that does not exist, or happens twice, on one of ``days``
    in the owner's zone (the night clocks change): its calendar event would land
    an hour off, or in either hour, depending on the client."""
    for day in days:
        naive = dt.datetime.combine(day, time)
        early, late = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
        if early.utcoffset() == late.utcoffset():
            continue
        at = f"{shown_time(time, clock)} on {day.isoformat()}"
        if early.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != naive:
            why = "does not exist (the clocks skip that hour)"
        else:
            why = "happens twice (the clocks go back an hour)"
        raise PpsjError(f"{at} {why} in {zone}; choose another time")


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def new_series_days(start: dt.date, weeks: int, s: SessionSettings) -> list[dt.date]:
    days = [start + dt.timedelta(weeks=i) for i in range(weeks)]
    return [d for d in days if d not in s.holidays]


def free_slots(
    start: dt.date,
    weeks: int,
    booked: Iterable[Series],
    s: SessionSettings,
    window: Window | None = None,
) -> list[tuple[dt.time, list[Clash]]]:
    """Each grid slot of the window with what holds it in the new series' weeks (empty: free)."""
    booked = list(booked)
    days = new_series_days(start, weeks, s)
    return [
        (slot, clashes([(d, slot) for d in days], booked, s)) for slot in candidate_slots(s, window)
    ]


@dataclass(frozen=True)
class Gap:
    """Free time in every week of a new series: any start from ``first`` to ``last`` fits."""

    first: dt.time  # the earliest free start
    last: dt.time  # the latest free start (on the STEP-minute grid from the window start)
    end: dt.time  # when the free time ends: the last start plus a session


Busy = dict[dt.date, list[int]]  # a day -> the start minutes of its booked sessions


def busy(booked: Iterable[Series], s: SessionSettings) -> Busy:
    """The start minutes of every booked session, by day (skips, moves and holidays applied)."""
    found: Busy = {}
    for series in booked:
        for occ in occurrences(series, s.holidays):
            found.setdefault(occ.date, []).append(_minutes(occ.time))
    return found


def free_starts(
    start: dt.date, weeks: int, taken: Busy, s: SessionSettings, window: Window
) -> list[dt.time]:
    """Every start, STEP minutes apart from the window start, whose session overlaps
    no booked session in any week of a new series from ``start``."""
    days = new_series_days(start, weeks, s)
    others = [m for d in days for m in taken.get(d, ())]
    found = []
    m = _minutes(window.start)
    while m + s.length <= _minutes(window.end):
        if not any(m < o + s.length and o < m + s.length for o in others):
            found.append(_time(m))
        m += STEP
    return found


def gaps(starts: list[dt.time], length: int) -> list[Gap]:
    """Runs of free starts STEP minutes apart, each as one Gap."""
    found: list[Gap] = []
    run: list[int] = []
    for m in [_minutes(t) for t in starts] + [-1]:
        if run and m != run[-1] + STEP:
            found.append(Gap(_time(run[0]), _time(run[-1]), _time(run[-1] + length)))
            run = []
        if m >= 0:
            run.append(m)
    return found


def next_free(
    start: dt.date, weeks: int, taken: Busy, s: SessionSettings, window: Window
) -> tuple[dt.date, list[Gap]] | None:
    """For a window full in the series from ``start``: the first later start (a week
    at a time, up to LOOK_AHEAD weeks) from which a series of ``weeks`` fits, and its gaps."""
    for n in range(1, LOOK_AHEAD + 1):
        day = start + dt.timedelta(weeks=n)
        found = free_starts(day, weeks, taken, s, window)
        if found:
            return day, gaps(found, s.length)
    return None

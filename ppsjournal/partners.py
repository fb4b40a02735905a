"""Booking and changing a partner's series: pure functions from the index to key updates.

Each change returns the front-matter updates to make; the CLI applies them to
the note with ``note.set_keys`` so that only these keys' lines change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from ppsjournal.dates import shown_time
from ppsjournal.errors import PpsjError
from ppsjournal.index import Index
from ppsjournal.model import Partner
from ppsjournal.properties import MAX_SERIES_WEEKS
from ppsjournal.schedule import (
    WEEKDAY_NAMES,
    Clash,
    Gap,
    Occurrence,
    Reschedule,
    Series,
    busy,
    check_in_window,
    check_wall_clock,
    clashes,
    first_session_day,
    format_move,
    free_slots,
    free_starts,
    gaps,
    holiday_dates,
    new_series_days,
    next_free,
    occurrences,
    windows_on,
)
from ppsjournal.settings import WEEKDAYS, Settings, Window, check_date_range


def taken_message(clash: Clash, clock: str) -> str:
    return f"{shown_time(clash.time, clock)} on {clash.date.isoformat()} is taken by {clash.holder}"


def check_free(
    index: Index, settings: Settings, start: dt.date, time: dt.time, weeks: int, ignore: str | None
) -> None:
    """Refuse a new series whose slot overlaps a booked session, naming who holds it."""
    days = new_series_days(start, weeks, settings.sessions)
    check_wall_clock(days, time, settings.tz, settings.owner.timezone, settings.owner.clock)
    found = clashes([(d, time) for d in days], index.booked(exclude=ignore), settings.sessions)
    refuse_clashes(found, settings.owner.clock)


def refuse_clashes(found: list[Clash], clock: str) -> None:
    """Refuse a slot some of whose sessions another holds: the first named, the rest counted."""
    if found:
        n = len(found) - 1
        more = f" (and {n} more session{'s' if n > 1 else ''})" if n else ""
        raise PpsjError(f"slot refused: {taken_message(found[0], clock)}{more}; see 'ppsj slots'")


def series_keys(
    start: dt.date, time: dt.time, weeks: int, sequence: int, holidays: frozenset[dt.date]
) -> dict[str, Any]:
    touched = holiday_dates(Series("", start, time, weeks), holidays)
    keys: dict[str, Any] = {
        "pps_time": f"{time:%H:%M}",
        "pps_start": start,
        "pps_weeks": weeks,
        "pps_skip": [],
        "pps_moved": [],
        "pps_sequence": sequence,
    }
    if touched:
        keys["pps_holidays"] = sorted(touched)
    return keys


def book(
    index: Index,
    settings: Settings,
    name: str,
    time: dt.time,
    start: dt.date,
    weeks: int,
    sequence: int = 0,
) -> dict[str, Any]:
    check_date_range(start, "the series' first session")
    check_in_window(time, settings.sessions, start.weekday(), settings.owner.clock)
    check_free(index, settings, start, time, weeks, ignore=name)
    return series_keys(start, time, weeks, sequence, settings.sessions.holidays)


def resolve_start(
    start: dt.date | None, today: dt.date, settings: Settings, weekday: int | None = None
) -> dt.date:
    """``start``, else the first ``weekday`` (default: the main PPS day) a week out."""
    if start is not None:
        return start
    return first_session_day(today, settings.sessions.weekday if weekday is None else weekday)


@dataclass(frozen=True)
class Offer:
    """What ``ppsj slots`` offers in one PPS window, for a new series from ``start``."""

    window: Window
    start: dt.date
    grid: list[tuple[dt.time, list[Clash]]]  # each grid slot and what holds it (empty: free)
    free_starts: list[dt.time]  # every free start, STEP minutes apart
    gaps: list[Gap]  # the same as runs
    next_free: tuple[dt.date, list[Gap]] | None  # with no free start: the first series that fits

    @property
    def free_slots(self) -> list[dt.time]:
        return [slot for slot, held in self.grid if not held]

    def as_json(self) -> dict[str, Any]:
        def gap(g: Gap) -> dict[str, Any]:
            return {"first": g.first, "last": g.last, "end": g.end}

        later = self.next_free
        return {
            "start": self.start,
            "weekday": self.window.weekday_name,
            "window": self.window.span,
            "slots": [
                {"time": slot, "free": not held, "taken_by": sorted({c.holder for c in held})}
                for slot, held in self.grid
            ],
            "free_starts": self.free_starts,
            "gaps": [gap(g) for g in self.gaps],
            "next_free": {"start": later[0], "gaps": [gap(g) for g in later[1]]} if later else None,
        }


def offers(
    booked: Iterable[Series],
    settings: Settings,
    today: dt.date,
    start: dt.date | None,
    weeks: int,
    weekday: int | None,
) -> list[Offer]:
    """Each PPS window (of ``weekday`` only, when given): its grid, every free start
    in all ``weeks`` weeks of a new series from ``start`` (default: where ``add``
    would start it on the window's day), and, when none is free, the next series that fits."""
    s = settings.sessions
    booked = list(booked)
    taken = busy(booked, s)
    found = []
    for w in s.windows:
        if weekday is not None and w.weekday != weekday:
            continue
        first = resolve_start(start, today, settings, w.weekday)
        starts = free_starts(first, weeks, taken, s, w)
        later = None if starts else next_free(first, weeks, taken, s, w)
        grid = free_slots(first, weeks, booked, s, w)
        found.append(Offer(w, first, grid, starts, gaps(starts, s.length), later))
    return found


def _series(partner: Partner) -> Series:
    if partner.series is None:
        raise PpsjError(f"{partner.name} has no booked series (book one with 'ppsj add --at')")
    return partner.series


def find_session(partner: Partner, day: dt.date, settings: Settings) -> Occurrence:
    """The session of this series on ``day`` (where it is, or its rule date)."""
    occs = occurrences(_series(partner), settings.sessions.holidays)
    for occ in occs:
        if day == occ.date:
            return occ
    for occ in occs:
        if day in (occ.slot_date, occ.original):
            return occ
    series = _series(partner)
    if day in series.skip:
        raise PpsjError(f"{partner.name}'s session on {day} is already skipped")
    if day in settings.sessions.holidays and day in series.dates:
        raise PpsjError(f"{day} is a holiday in ppsj.toml: no session that day")
    raise PpsjError(
        f"{partner.name} has no session on {day} "
        f"(the series runs {series.start} to {series.end}, "
        f"{WEEKDAY_NAMES[series.start.weekday()]}s)"
    )


def skip(partner: Partner, day: dt.date, settings: Settings) -> dict[str, Any]:
    occ = find_session(partner, day, settings)
    series = _series(partner)
    skips = sorted(series.skip | {occ.original})
    keys: dict[str, Any] = {"pps_skip": skips}
    if occ.original in series.moved:
        # A moved session that is skipped is no longer moved; other moves are
        # left as the user wrote them (block list, comments and all).
        keys["pps_moved"] = [
            format_move(o, n) for o, n in sorted(series.moved.items()) if o != occ.original
        ]
    after = replace(series, skip=frozenset(skips))
    keys.update(partner.settle(settings.sessions.holidays, after))
    return keys


def move(
    index: Index, partner: Partner, day: dt.date, to: dt.datetime, settings: Settings
) -> dict[str, Any]:
    occ = find_session(partner, day, settings)
    series = _series(partner)
    if to.date() in settings.sessions.holidays:
        raise PpsjError(
            f"cannot move there: {to.date()} is a holiday in ppsj.toml (no session for anyone)"
        )
    check_wall_clock(
        [to.date()], to.time(), settings.tz, settings.owner.timezone, settings.owner.clock
    )
    others = [s for s in index.booked(exclude=partner.name)]
    # The partner's own other sessions count too: two calls with one agent at once is a clash.
    own = replace(series, skip=series.skip | {occ.original})
    found = clashes([(to.date(), to.time())], [*others, own], settings.sessions)
    if found:
        raise PpsjError(f"cannot move there: {taken_message(found[0], settings.owner.clock)}")
    same_day = [o for o in occurrences(own, settings.sessions.holidays) if o.date == to.date()]
    if same_day:
        # A session note is named by the day and the partner: one session a day each.
        raise PpsjError(
            f"cannot move there: {partner.name} already has a session on "
            f"{to.date()} (at {shown_time(same_day[0].time, settings.owner.clock)}); "
            "one session a day per partner"
        )
    if to == dt.datetime.combine(occ.date, occ.time):
        raise PpsjError(
            f"{partner.name}'s session is already at "
            f"{to:%Y-%m-%d} {shown_time(to.time(), settings.owner.clock)}"
        )
    moved = dict(series.moved)
    if to == dt.datetime.combine(occ.slot_date, dict(series.placed())[occ.original].time()):
        moved.pop(occ.original, None)  # moved back to where the slot puts it
    else:
        moved[occ.original] = to
    after = replace(series, moved=moved)
    return {
        "pps_moved": [format_move(o, n) for o, n in sorted(moved.items())],
        **partner.settle(settings.sessions.holidays, after),
    }


def pause(partner: Partner, settings: Settings) -> dict[str, Any]:
    if partner.status == "paused":
        raise PpsjError(f"{partner.name} is already paused")
    if partner.status != "active":
        raise PpsjError(f"{partner.name} is {partner.status}; only an active partner can be paused")
    return {"status": "paused", **partner.settle(settings.sessions.holidays)}


def resume(index: Index, partner: Partner, settings: Settings, today: dt.date) -> dict[str, Any]:
    if partner.status == "active":
        raise PpsjError(f"{partner.name} is already active")
    if partner.series is None:
        raise PpsjError(
            f"{partner.name} has no series to resume (book one with "
            f"'ppsj add \"{partner.name}\" --at HH:MM')"
        )
    if partner.series is not None:
        # Only the sessions still ahead can clash; those behind are history.
        ahead = [
            o for o in occurrences(partner.series, settings.sessions.holidays) if o.date >= today
        ]
        found = clashes(
            [(o.date, o.time) for o in ahead], index.booked(exclude=partner.name), settings.sessions
        )
        if found:
            raise PpsjError(
                f"cannot resume: {taken_message(found[0], settings.owner.clock)}; "
                f'give the series a free slot from that day (ppsj reschedule "{partner.name}" '
                f"--at TIME --from {found[0].date.isoformat()}, see 'ppsj slots'), then resume"
            )
    return {"status": "active", **partner.settle(settings.sessions.holidays)}


def reschedule(
    index: Index,
    partner: Partner,
    settings: Settings,
    since: dt.date,
    time: dt.time,
    weekday: int | None,
) -> tuple[dict[str, Any], str]:
    """The regular slot from ``since`` on: sessions before it keep theirs.

    Kept in the note as one ``pps_reschedules`` entry; the calendar shows it
    as overrides of the same series (docs/calendar.md says why).
    """
    series = _series(partner)
    check_date_range(since, "--from")
    day = series.slot_on(since)[0] if weekday is None else weekday
    check_in_window(time, settings.sessions, day, settings.owner.clock)
    change = Reschedule(since, day, time)
    kept = [r for r in series.reschedules if r.since < since]
    after = replace(series, reschedules=(*kept, change))
    holidays = settings.sessions.holidays
    new = [o for o in occurrences(after, holidays) if o.date >= since and not o.moved]
    if not new:
        raise PpsjError(
            f"{partner.name} has no session on or after {since} "
            f"(the series ends {series.end}); renew it first"
        )
    if after.placed() == series.placed():
        raise PpsjError(
            f"{partner.name}'s sessions from {since} are already "
            f"{WEEKDAYS[day].capitalize()}s at {shown_time(time, settings.owner.clock)}"
        )
    check_wall_clock(
        [o.date for o in new], time, settings.tz, settings.owner.timezone, settings.owner.clock
    )
    if partner.booked:
        found = clashes(
            [(o.date, o.time) for o in new], index.booked(exclude=partner.name), settings.sessions
        )
        refuse_clashes(found, settings.owner.clock)
    keys = {
        "pps_reschedules": [str(r) for r in after.reschedules],
        **partner.settle(holidays, after),
    }
    return keys, (
        f"rescheduled {partner.name}: {WEEKDAYS[day].capitalize()}s at "
        f"{shown_time(time, settings.owner.clock)} "
        f"from {new[0].date} ({len(new)} session{'s' if len(new) != 1 else ''}; "
        "earlier sessions keep their time)"
    )


def renew(
    index: Index, partner: Partner, settings: Settings, today: dt.date, weeks: int
) -> tuple[dict[str, Any], str]:
    """Extend a running series by ``weeks``; a series that has ended starts anew.

    Extending keeps the series (and its calendar UID); a new series after a gap
    starts on the first PPS day a week out, at the same slot.
    """
    series = _series(partner)
    holidays = settings.sessions.holidays
    if series.end >= today:
        new_weeks = series.weeks + weeks
        if new_weeks > MAX_SERIES_WEEKS:
            # The note would hold a pps_weeks that no command could read back.
            raise PpsjError(
                f"{partner.name}'s series would have {new_weeks} weeks, more than "
                f"the {MAX_SERIES_WEEKS} a series can hold; renew with fewer --weeks"
            )
        after = replace(series, weeks=new_weeks)
        # The new weeks fall where the slot of the series' end puts them (a reschedule's).
        added = [o for o in occurrences(after, holidays) if o.original > series.rule_end]
        _, time = series.slot_on(series.end)
        check_wall_clock(
            [o.date for o in added],
            time,
            settings.tz,
            settings.owner.timezone,
            settings.owner.clock,
        )
        found = clashes(
            [(o.date, o.time) for o in added], index.booked(exclude=partner.name), settings.sessions
        )
        refuse_clashes(found, settings.owner.clock)
        return (
            {"pps_weeks": new_weeks, **partner.settle(holidays, after)},
            f"extended to {new_weeks} weeks, last session {after.end}",
        )
    weekday, time = series.slot_on(series.end)
    if not windows_on(settings.sessions, weekday):  # its day is no PPS day any more
        weekday = settings.sessions.weekday
    start = first_session_day(today, weekday)
    sequence = partner.calendar_sequence(holidays) + 1
    keys = book(index, settings, partner.name, time, start, weeks, sequence)
    # The new series starts clean: the old one's history goes with its UID.
    if series.reschedules:
        keys["pps_reschedules"] = []
    if partner.settled_holidays and "pps_holidays" not in keys:
        keys["pps_holidays"] = []
    if partner.status != "active":
        keys["status"] = "active"
    return keys, f"a new series of {weeks} weeks from {start}"


@dataclass(frozen=True)
class PartnerRow:
    """One line of ``ppsj partners``."""

    name: str
    status: str
    company: str | None
    slot: str | None
    week: int | None
    weeks: int | None
    next_session: dt.datetime | None
    series_end: dt.date | None
    open_followups: int
    overdue: int
    referral_expected: dt.date | None
    path: str

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "company": self.company,
            "slot": self.slot,
            "week": self.week,
            "weeks": self.weeks,
            "next_session": self.next_session.isoformat() if self.next_session else None,
            "series_end": self.series_end,
            "open_followups": self.open_followups,
            "overdue": self.overdue,
            "referral_expected": self.referral_expected,
            "note": self.path,
        }


def partner_rows(index: Index, settings: Settings, today: dt.date) -> list[PartnerRow]:
    rows = []
    counts = index.task_counts(today)  # one SQL aggregate, not every partner's tasks
    for p in sorted(index.partners.values(), key=lambda p: p.key):
        n_open, n_overdue = counts.get(p.key, (0, 0))
        week = next_start = end = None
        if p.series is not None:
            occs = occurrences(p.series, settings.sessions.holidays)
            done = [o for o in occs if o.date <= today]
            week = done[-1].week if done else 0
            ahead = [o for o in occs if o.date >= today]
            if ahead and p.status == "active":
                next_start = ahead[0].start(settings.tz)
            end = p.series.end
        rows.append(
            PartnerRow(
                name=p.name,
                status=p.status,
                company=p.company,
                slot=f"{p.series.slot_on(today)[1]:%H:%M}" if p.series else None,
                week=week,
                weeks=p.series.weeks if p.series else None,
                next_session=next_start,
                series_end=end,
                open_followups=n_open,
                overdue=n_overdue,
                referral_expected=p.referral_expected,
                path=p.path,
            )
        )
    return rows


def partner_front_matter(
    *,
    email: str | None,
    phone: str | None,
    company: str | None,
    status: str,
    committed: dt.date | None,
    referral_expected: dt.date | None,
    series: dict[str, Any] | None,
) -> dict[str, Any]:
    """A new partner note's properties, in the contract's order; empty ones left out."""
    meta: dict[str, Any] = {"type": "partner"}
    for key, value in (
        ("email", email),
        ("phone", phone),
        ("company", company),
        ("status", status),
        ("committed", committed),
        ("referral_expected", referral_expected),
    ):
        if value is not None:
            meta[key] = value
    meta.update(series or {})
    meta["tags"] = ["partner"]
    return meta

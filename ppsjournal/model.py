"""The domain model: partners, session notes and leads, read from notes' properties.

Each ``*_from_note`` reads the keys that ``properties.py`` declares for its kind
and raises PpsjError naming the note and the key at the first bad one, so one
bad note is reported and the rest of the vault works. ``ppsj doctor`` checks
the same declarations, all of them at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ppsjournal import properties as p
from ppsjournal.names import name_key
from ppsjournal.note import Note
from ppsjournal.schedule import Series, holiday_dates, parse_moves, parse_reschedules


@dataclass(frozen=True, slots=True)
class Partner:
    name: str
    path: str
    status: str
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    committed: dt.date | None = None
    referral_expected: dt.date | None = None
    series: Series | None = None
    sequence: int = 0
    settled_holidays: frozenset[dt.date] = frozenset()
    invited_sequence: int | None = None
    invited_on: dt.date | None = None
    tags: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return name_key(self.name)

    @property
    def booked(self) -> bool:
        """Whether this partner's series holds slots (an active partner with a series)."""
        return self.status == "active" and self.series is not None

    def calendar_sequence(self, holidays: frozenset[dt.date]) -> int:
        """The SEQUENCE of the series' calendar: pps_sequence, plus one for each
        holiday added or removed (in ppsj.toml) that touches the series since then.

        Holidays live in the settings, not the note, so a holiday cannot bump
        pps_sequence itself; counting the difference from the note's
        pps_holidays keeps the SEQUENCE a pure function of the note and the
        settings (the same on every machine). Each series change writes both
        keys again, so the count only ever restarts from a higher pps_sequence.
        """
        if self.series is None:
            return self.sequence
        return self.sequence + len(holiday_dates(self.series, holidays) ^ self.settled_holidays)

    def settle(
        self, holidays: frozenset[dt.date], series: Series | None = None, bump: int = 1
    ) -> dict[str, Any]:
        """The keys that record a change of the series: a SEQUENCE ``bump`` above
        the calendar's, and the holidays that touch the series (``series``: as
        the change leaves it; default: as it is)."""
        series = series or self.series
        found = holiday_dates(series, holidays) if series else frozenset()
        keys: dict[str, Any] = {"pps_sequence": self.calendar_sequence(holidays) + bump}
        if found or self.settled_holidays:
            keys["pps_holidays"] = sorted(found)
        return keys


@dataclass(frozen=True, slots=True)
class SessionNote:
    path: str
    partner: str
    date: dt.date
    time: dt.time | None = None
    week: int | None = None
    weeks: int | None = None
    status: str = "planned"
    previous: str | None = None


@dataclass(frozen=True, slots=True)
class Lead:
    name: str
    path: str
    partner: str
    source: str
    stage: str
    created: dt.date | None = None
    stage_changed: dt.date | None = None
    phone: str | None = None
    email: str | None = None
    showing: dt.date | None = None
    value: Decimal | None = None
    direction: str = "in"  # out: a client the loan officer sent to the partner
    lost_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def referrals_received(partner: Partner, leads: Iterable[Lead]) -> list[Lead]:
    """The partner's referrals that count as the promised one: leads of source
    ``referral`` (received, not sent) created on or after ``committed`` (any, when either date is
    missing), oldest first. The one rule Follow-ups.md's commitments and the
    session note share."""
    found = [
        lead
        for lead in leads
        if lead.source == "referral"
        and lead.direction == "in"  # a client sent TO the partner is no referral from them
        and (partner.committed is None or lead.created is None or lead.created >= partner.committed)
    ]
    return sorted(found, key=lambda lead: (lead.created or dt.date.min, lead.path))


def partner_from_note(note: Note) -> Partner:
    m, at = note.meta, note.path
    email = p.EMAIL.read(m, at)
    status = p.PARTNER_STATUS.read(m, at)
    time = p.PPS_TIME.read(m, at)
    start = p.PPS_START.read(m, at)
    weeks = p.PPS_WEEKS.read(m, at)
    skip = p.PPS_SKIP.read(m, at)
    moved = p.PPS_MOVED.read(m, at)
    reschedules = p.PPS_RESCHEDULES.read(m, at)
    p.PARTNER.check_rules(m, at)
    series = None
    if time is not None and start is not None:
        series = Series(
            partner=note.name,
            start=start,
            time=time,
            weeks=weeks,
            skip=skip,
            # PPS_MOVED checked the grammar; only the slot, the default time, was unknown.
            moved=parse_moves(moved, time, at),
            reschedules=parse_reschedules(reschedules, at),
        )
    return Partner(
        name=note.name,
        path=at,
        status=status,
        email=email,
        phone=p.PHONE.read(m, at),
        company=p.COMPANY.read(m, at),
        committed=p.COMMITTED.read(m, at),
        referral_expected=p.REFERRAL_EXPECTED.read(m, at),
        series=series,
        sequence=p.PPS_SEQUENCE.read(m, at),
        settled_holidays=p.PPS_HOLIDAYS.read(m, at),
        invited_sequence=p.PPS_INVITED_SEQUENCE.read(m, at),
        invited_on=p.PPS_INVITED_ON.read(m, at),
        tags=p.TAGS.read(m, at),
    )


def session_from_note(note: Note) -> SessionNote:
    m, at = note.meta, note.path
    return SessionNote(
        path=at,
        partner=p.SESSION_PARTNER.read(m, at),
        date=p.SESSION_DATE.read(m, at),
        time=p.SESSION_TIME.read(m, at),
        week=p.WEEK.read(m, at),
        weeks=p.WEEKS.read(m, at),
        status=p.SESSION_STATUS.read(m, at),
        previous=p.PREVIOUS.read(m, at),
    )


def lead_from_note(note: Note) -> Lead:
    m, at = note.meta, note.path
    return Lead(
        name=note.name,
        path=at,
        partner=p.LEAD_PARTNER.read(m, at),
        source=p.SOURCE.read(m, at),
        stage=p.STAGE.read(m, at),
        created=p.CREATED.read(m, at),
        stage_changed=p.STAGE_CHANGED.read(m, at),
        phone=p.PHONE.read(m, at),
        email=p.EMAIL.read(m, at),
        showing=p.SHOWING.read(m, at),
        value=p.VALUE.read(m, at),
        direction=p.DIRECTION.read(m, at),
        lost_reason=p.LOST_REASON.read(m, at),
    )

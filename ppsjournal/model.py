"""The domain model: partners, session notes and leads, read from notes' properties.

Each ``*_from_note`` checks the keys it needs and raises PpsjError naming the
note and the key, so one bad note is reported and the rest of the vault works.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ppsjournal.errors import PpsjError
from ppsjournal.names import link_target, name_key
from ppsjournal.note import Note
from ppsjournal.schedule import Series, parse_moves
from ppsjournal.settings import check_email, parse_date, parse_hhmm

PARTNER_STATUSES = ("prospect", "active", "paused", "ended")
SESSION_STATUSES = ("planned", "held", "missed", "cancelled")
LEAD_SOURCES = ("lost-lead", "showing", "referral")
LEAD_STAGES = ("new", "contacted", "prequalified", "application", "closed", "lost")

# A series grows by renewals; twenty years of weekly sessions is more than anyone books.
MAX_SERIES_WEEKS = 1040
# A calendar's SEQUENCE is an RFC 5545 INTEGER: pps_sequence is at most this.
MAX_SEQUENCE = 2**31 - 1

# Keys written as quoted text always, so Obsidian keeps one property type per key.
QUOTED_KEYS = frozenset({"pps_time", "phone", "partner", "previous", "time"})


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
    tags: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return name_key(self.name)

    @property
    def booked(self) -> bool:
        """Whether this partner's series holds slots (an active partner with a series)."""
        return self.status == "active" and self.series is not None


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
    value: float | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


class _Keys:
    def __init__(self, note: Note) -> None:
        self.note = note

    def where(self, key: str) -> str:
        return f"{self.note.path}: {key}"

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.note.meta.get(key)
        if value is None or value == "":
            if required:
                raise PpsjError(f"missing property {key!r}", self.note.path)
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise PpsjError(f"property {key!r} must be text, got {value!r}", self.note.path)
        return str(value)

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.note.meta.get(key, default)
        if value not in choices:
            if value is None:
                raise PpsjError(f"missing property {key!r}", self.note.path)
            raise PpsjError(
                f"property {key!r} must be one of {', '.join(choices)}, got {value!r}",
                self.note.path,
            )
        return value

    def date(self, key: str, required: bool = False) -> dt.date | None:
        value = self.note.meta.get(key)
        if value is None or value == "":
            if required:
                raise PpsjError(f"missing property {key!r}", self.note.path)
            return None
        return parse_date(value, self.where(key))

    def integer(
        self, key: str, default: int | None = None, low: int = 0, high: int | None = None
    ) -> int | None:
        value = self.note.meta.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise PpsjError(f"must be a whole number >= {low}, got {value!r}", self.where(key))
        if high is not None and value > high:
            raise PpsjError(f"must be a whole number <= {high}, got {value!r}", self.where(key))
        return value

    def number(self, key: str) -> float | None:
        value = self.note.meta.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PpsjError(f"must be a number, got {value!r}", self.where(key))
        return value

    def dates(self, key: str) -> list[dt.date]:
        value = self.note.meta.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            value = [value]
        return [parse_date(v, self.where(key)) for v in value]

    def texts(self, key: str) -> list[str]:
        value = self.note.meta.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            value = [value]
        return [str(v) for v in value if v is not None]

    def link(self, key: str, required: bool = False) -> str | None:
        value = self.note.meta.get(key)
        target = link_target(value)
        if target is None and required:
            raise PpsjError(f'property {key!r} must link a note, like "[[Name]]"', self.note.path)
        return target


def partner_from_note(note: Note) -> Partner:
    k = _Keys(note)
    email = k.text("email")
    if email is not None:
        check_email(email, k.where("email"))
    status = k.choice("status", PARTNER_STATUSES, default="active")
    series = None
    pps_time = note.meta.get("pps_time")
    pps_start = k.date("pps_start")
    if pps_time is not None or pps_start is not None:
        if pps_time is None or pps_start is None:
            raise PpsjError("a series needs both 'pps_time' and 'pps_start'", note.path)
        time = parse_hhmm(pps_time, k.where("pps_time"))
        weeks = k.integer("pps_weeks", default=12, low=1, high=MAX_SERIES_WEEKS) or 12
        series = Series(
            partner=note.name,
            start=pps_start,
            time=time,
            weeks=weeks,
            skip=frozenset(k.dates("pps_skip")),
            moved=parse_moves(k.texts("pps_moved"), time, k.where("pps_moved")),
        )
    return Partner(
        name=note.name,
        path=note.path,
        status=status,
        email=email,
        phone=k.text("phone"),
        company=k.text("company"),
        committed=k.date("committed"),
        referral_expected=k.date("referral_expected"),
        series=series,
        sequence=k.integer("pps_sequence", default=0, high=MAX_SEQUENCE) or 0,
        tags=tuple(k.texts("tags")),
    )


def session_from_note(note: Note) -> SessionNote:
    k = _Keys(note)
    time_raw = note.meta.get("time")
    return SessionNote(
        path=note.path,
        partner=k.link("partner", required=True),  # type: ignore[arg-type]
        date=k.date("date", required=True),  # type: ignore[arg-type]
        time=parse_hhmm(time_raw, k.where("time")) if time_raw not in (None, "") else None,
        week=k.integer("week", low=1),
        weeks=k.integer("weeks", low=1),
        status=k.choice("status", SESSION_STATUSES, default="planned"),
        previous=k.link("previous"),
    )


def lead_from_note(note: Note) -> Lead:
    k = _Keys(note)
    email = k.text("email")
    if email is not None:
        check_email(email, k.where("email"))
    return Lead(
        name=note.name,
        path=note.path,
        partner=k.link("partner", required=True),  # type: ignore[arg-type]
        source=k.choice("source", LEAD_SOURCES),
        stage=k.choice("stage", LEAD_STAGES, default="new"),
        created=k.date("created"),
        stage_changed=k.date("stage_changed"),
        phone=k.text("phone"),
        email=email,
        showing=k.date("showing"),
        value=k.number("value"),
    )

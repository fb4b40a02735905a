"""The properties of partner, session and lead notes, declared once (docs/vault.md).

Two readers share these declarations, so they cannot disagree about what a
note may hold: the model (``model.py``) reads a note key by key and stops at
the first problem, since a command needs a whole partner or none; ``ppsj
doctor`` asks every key of a note and reports all problems in one run.

A property with no value (``None``, ``""`` or ``[]``: what Obsidian writes for
a cleared field) counts as not written: its default, or "missing" if required.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from ppsjournal.errors import PpsjError
from ppsjournal.money import parse_amount
from ppsjournal.names import link_target
from ppsjournal.schedule import parse_moves, parse_reschedules
from ppsjournal.settings import check_email, parse_date, parse_hhmm

T = TypeVar("T")

PARTNER_STATUSES = ("prospect", "active", "paused", "ended")
SESSION_STATUSES = ("planned", "held", "missed", "cancelled")
LEAD_SOURCES = ("lost-lead", "showing", "referral")
LEAD_STAGES = ("new", "contacted", "prequalified", "application", "closed", "lost")
# in: the partner sent the lead to the loan officer; out: the loan officer sent
# a client to the partner (``ppsj refer``), business given back.
LEAD_DIRECTIONS = ("in", "out")

# A series grows by renewals; twenty years of weekly sessions is more than anyone books.
MAX_SERIES_WEEKS = 1040
# A calendar's SEQUENCE is an RFC 5545 INTEGER: pps_sequence is at most this.
MAX_SEQUENCE = 2**31 - 1


# -- value types: each reads a written value or raises PpsjError saying what is wrong --
# (no ``where``: the reader names the note and the key)


def text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PpsjError(f"must be text, got {value!r}")
    return str(value)


def email(value: Any) -> str:
    return check_email(value, "")


def date(value: Any) -> dt.date:
    return parse_date(value, "")


def _unquoted(value: int) -> str:
    return f'must be a time as HH:MM in quotes, like "14:40" (unquoted, YAML read {value!r})'


def time(value: Any) -> dt.time:
    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value < 24 * 60:
        raise PpsjError(_unquoted(value))
    return parse_hhmm(value, "")


def unquoted_time(value: Any) -> str | None:
    """An unquoted 14:40 is the base-60 number 880 to YAML 1.1. ppsj reads it as
    Obsidian shows it, but other tools would not, so doctor asks for quotes."""
    return _unquoted(value) if isinstance(value, int) and not isinstance(value, bool) else None


def amount(value: Any) -> Decimal:
    """Dollars, as a number (420000) or as people write them ("$420,000", "420k")."""
    return parse_amount(value)


def link(value: Any) -> str:
    target = link_target(value)
    if target is None:
        raise PpsjError(f'must link a note, like "[[Name]]", got {value!r}')
    return target


def _items(value: Any) -> list[Any]:
    """A list property's items; a single value is a list of one (YAML lets users drop the [])."""
    return value if isinstance(value, list) else [value]


def dates(value: Any) -> frozenset[dt.date]:
    try:
        return frozenset(parse_date(item, "") for item in _items(value))
    except PpsjError as exc:
        raise PpsjError(f"{exc.message} (in a list of dates)") from None


def texts(value: Any) -> tuple[str, ...]:
    items = _items(value)
    if any(isinstance(i, dict | list) for i in items):
        raise PpsjError(f"must be a list of text, got {value!r}")
    return tuple(str(i) for i in items if i is not None)


def moves(value: Any) -> tuple[str, ...]:
    """``pps_moved`` checked by the schedule's own grammar. Its default time is the
    series' slot, known only with ``pps_time``: the model resolves the moves then."""
    items = tuple(i for i in _items(value) if i is not None)
    parse_moves(items, dt.time(0), "")
    return items


def reschedules(value: Any) -> tuple[str, ...]:
    """``pps_reschedules`` checked by the schedule's own grammar."""
    items = tuple(i for i in _items(value) if i is not None)
    parse_reschedules(items, "")
    return items


@dataclass(frozen=True, slots=True)
class Choice:
    choices: tuple[str, ...]

    def __call__(self, value: Any) -> str:
        # Read in any case (Obsidian users type "Held"): the value is the choice as listed.
        if isinstance(value, str):
            wanted = value.strip().casefold()
            for choice in self.choices:
                if choice == wanted:
                    return choice
        raise PpsjError(f"must be one of {', '.join(self.choices)}, got {value!r}")


@dataclass(frozen=True, slots=True)
class Whole:
    low: int
    high: int | None = None

    def __call__(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < self.low:
            raise PpsjError(f"must be a whole number >= {self.low}, got {value!r}")
        if self.high is not None and value > self.high:
            raise PpsjError(f"must be a whole number <= {self.high}, got {value!r}")
        return value


# -- properties ---------------------------------------------------------------------


class Required:
    """The default of a property a note must have."""


REQUIRED = Required()


def _absent(value: Any) -> bool:
    return value is None or value == "" or value == []


@dataclass(frozen=True, slots=True)
class Prop(Generic[T]):
    key: str
    parse: Callable[[Any], T]
    default: T | Required
    # Written as quoted text always, so Obsidian keeps one property type per key.
    quoted: bool = False
    # What doctor also says of a value the model can read (see unquoted_time).
    advice: Callable[[Any], str | None] | None = None

    @property
    def required(self) -> bool:
        return isinstance(self.default, Required)

    def read(self, meta: Mapping[str, Any], path: str) -> T:
        """The value of this key in a note's properties; PpsjError at ``path`` if it is bad."""
        value = meta.get(self.key)
        if _absent(value):
            if isinstance(self.default, Required):
                raise PpsjError(f"missing property {self.key!r}", path)
            return self.default
        try:
            return self.parse(value)
        except PpsjError as exc:
            raise PpsjError(f"property {self.key!r} {exc.message}", path) from None

    def problem(self, meta: Mapping[str, Any]) -> str | None:
        """What is wrong with this key in a note's properties, or None."""
        try:
            self.read(meta, "")
        except PpsjError as exc:
            return exc.message
        value = meta.get(self.key)
        if self.advice is None or _absent(value):
            return None
        found = self.advice(value)
        return f"property {self.key!r} {found}" if found else None


Rule = Callable[[Mapping[str, Any]], str | None]  # a problem among keys, or None


def series_keys(meta: Mapping[str, Any]) -> str | None:
    """A series is its slot and its first day: one without the other is half written."""
    if _absent(meta.get("pps_time")) != _absent(meta.get("pps_start")):
        return "a series needs both 'pps_time' and 'pps_start'"
    return None


@dataclass(frozen=True, slots=True)
class Kind:
    """A ``type`` of note: its properties, then rules that span several of them."""

    name: str
    props: tuple[Prop[Any], ...]
    rules: tuple[Rule, ...] = ()

    def check_rules(self, meta: Mapping[str, Any], path: str) -> None:
        for rule in self.rules:
            found = rule(meta)
            if found:
                raise PpsjError(found, path)

    def problems(self, meta: Mapping[str, Any]) -> list[str]:
        """Every problem of a note's properties, key by key, then the rules'."""
        found = [prop.problem(meta) for prop in self.props]
        found += [rule(meta) for rule in self.rules]
        return [f for f in found if f]


# Keys that two kinds share mean the same in both: one declaration serves both.
EMAIL = Prop("email", email, None)
PHONE = Prop("phone", text, None, quoted=True)

# Partner: Partners/<Name>.md
COMPANY = Prop("company", text, None)
PARTNER_STATUS = Prop("status", Choice(PARTNER_STATUSES), "active")
COMMITTED = Prop("committed", date, None)
REFERRAL_EXPECTED = Prop("referral_expected", date, None)
PPS_TIME = Prop("pps_time", time, None, quoted=True, advice=unquoted_time)
PPS_START = Prop("pps_start", date, None)
PPS_WEEKS = Prop("pps_weeks", Whole(1, MAX_SERIES_WEEKS), 12)
PPS_SKIP: Prop[frozenset[dt.date]] = Prop("pps_skip", dates, frozenset())
PPS_MOVED: Prop[tuple[str, ...]] = Prop("pps_moved", moves, ())
PPS_RESCHEDULES: Prop[tuple[str, ...]] = Prop("pps_reschedules", reschedules, ())
PPS_SEQUENCE = Prop("pps_sequence", Whole(0, MAX_SEQUENCE), 0)
# The holidays that cancelled a session when pps_sequence was last set: a
# holiday added or removed since then counts in the calendar's SEQUENCE.
PPS_HOLIDAYS: Prop[frozenset[dt.date]] = Prop("pps_holidays", dates, frozenset())
# The SEQUENCE and the day of the last invitation sent (invite --send).
PPS_INVITED_SEQUENCE = Prop("pps_invited_sequence", Whole(0, MAX_SEQUENCE), None)
PPS_INVITED_ON = Prop("pps_invited_on", date, None)
TAGS: Prop[tuple[str, ...]] = Prop("tags", texts, ())

# Session: Sessions/<YYYY>/<YYYY-MM-DD> <Name>.md
SESSION_PARTNER = Prop("partner", link, REQUIRED, quoted=True)
SESSION_DATE = Prop("date", date, REQUIRED)
SESSION_TIME = Prop("time", time, None, quoted=True, advice=unquoted_time)
WEEK = Prop("week", Whole(1), None)
WEEKS = Prop("weeks", Whole(1), None)
SESSION_STATUS = Prop("status", Choice(SESSION_STATUSES), "planned")
PREVIOUS = Prop("previous", link, None, quoted=True)

# Lead: Leads/<Name>.md
LEAD_PARTNER = Prop("partner", link, REQUIRED, quoted=True)
SOURCE = Prop("source", Choice(LEAD_SOURCES), REQUIRED)
STAGE = Prop("stage", Choice(LEAD_STAGES), "new")
CREATED = Prop("created", date, None)
STAGE_CHANGED = Prop("stage_changed", date, None)
SHOWING = Prop("showing", date, None)
VALUE = Prop("value", amount, None)
DIRECTION = Prop("direction", Choice(LEAD_DIRECTIONS), "in")
LOST_REASON = Prop("lost_reason", text, None)

PARTNER = Kind(
    "partner",
    (
        EMAIL,
        PHONE,
        COMPANY,
        PARTNER_STATUS,
        COMMITTED,
        REFERRAL_EXPECTED,
        PPS_TIME,
        PPS_START,
        PPS_WEEKS,
        PPS_SKIP,
        PPS_MOVED,
        PPS_RESCHEDULES,
        PPS_SEQUENCE,
        PPS_HOLIDAYS,
        PPS_INVITED_SEQUENCE,
        PPS_INVITED_ON,
        TAGS,
    ),
    rules=(series_keys,),
)
SESSION = Kind(
    "session",
    (SESSION_PARTNER, SESSION_DATE, SESSION_TIME, WEEK, WEEKS, SESSION_STATUS, PREVIOUS),
)
LEAD = Kind(
    "lead",
    (
        LEAD_PARTNER,
        SOURCE,
        STAGE,
        CREATED,
        STAGE_CHANGED,
        PHONE,
        EMAIL,
        SHOWING,
        VALUE,
        DIRECTION,
        LOST_REASON,
    ),
)
KINDS = {kind.name: kind for kind in (PARTNER, SESSION, LEAD)}

QUOTED_KEYS = frozenset(p.key for kind in KINDS.values() for p in kind.props if p.quoted)

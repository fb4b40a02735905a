"""The partnership scorecard: is the discipline happening, and does it pay?

A pure function of the index, the settings, today and a period. Every rule
below is documented for users in docs/report.md; the short version:

- sessions held / missed / planned / cancelled: session notes dated in the
  period, by their ``status`` (a past session still ``planned`` counts as
  planned: ppsj does not guess whether it happened).
- streak: weeks with a held session, counting back from the latest session
  note on or before ``until``; only notes count, so a week with no note
  (a skip, a holiday, a pause) neither counts nor breaks it.
- follow-ups, overdue, needs_open_now: the open tasks as the vault holds
  them now, overdue as of the earlier of ``until`` and today.
- needs_open, needs_met: needs opened, and met, in the period (needs.py
  says when a need is opened and when it is met); the met ones are listed.
- weeks: the grid's columns are calendar weeks (Monday to Sunday), from the
  first week with a session note in the period to the week of ``until``; a
  partner's cell of a week is labelled by their session day in it (the
  weekday of their series, else the PPS weekday), and holds the session
  notes dated in that week, so a moved session shows in the week it moved to.
- leads (by source), referrals: leads created in the period.
- prequalified: leads now at prequalified, application or closed whose
  latest stage change is in the period; closings: leads now closed whose
  stage changed in the period; commission = closings x commission_per_side.
- lost (and each lost_reason): leads now lost whose stage changed in the period.
- the funnel: the leads passed on in the period, by how far each has got.
- money: volume = the values of the closings; lo_income = volume x lo_bps
  / 10000; pipeline = the values of the open leads (new to application) as
  the vault holds them now; spend = the co-marketing ledger's amounts dated in
  the period; income_per_dollar_spent = lo_income / spend (none without spend).
- referrals_sent: clients the loan officer sent to the partner (``direction:
  out``, ``ppsj refer``) created in the period. Such a lead is the partner's
  business, not the loan officer's: it is in no other figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ppsjournal.dates import short_day
from ppsjournal.errors import UsageError
from ppsjournal.index import Index, SessionMark
from ppsjournal.ledger import Spend
from ppsjournal.model import Lead, Partner
from ppsjournal.money import cents, dollars
from ppsjournal.names import name_key
from ppsjournal.needs import Need, needs_of
from ppsjournal.properties import LEAD_SOURCES
from ppsjournal.settings import Settings

DEFAULT_WEEKS = 12
# Stages in funnel order; "lost" is off the path (a lost lead counts only as passed on).
FUNNEL = (
    ("passed on", ("new", "contacted", "prequalified", "application", "closed", "lost")),
    ("contacted", ("contacted", "prequalified", "application", "closed")),
    ("prequalified", ("prequalified", "application", "closed")),
    ("application", ("application", "closed")),
    ("closed", ("closed",)),
)
PREQUALIFIED_OR_BEYOND = FUNNEL[2][1]
OPEN_STAGES = ("new", "contacted", "prequalified", "application")  # the pipeline
# When one week holds several session notes, the cell of the week shows the best.
_WEEK_RANK = ("held", "missed", "planned", "cancelled")
MONTHS_PER_DAY = 12 / 365


@dataclass(frozen=True)
class Period:
    since: dt.date
    until: dt.date

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def __contains__(self, day: dt.date | None) -> bool:
        return day is not None and self.since <= day <= self.until


def resolve_period(today: dt.date, since: dt.date | None, until: dt.date | None) -> Period:
    """Default: the 12 weeks (84 days) that end on ``until``, and ``until`` is today."""
    end = until or today
    start = since or end - dt.timedelta(weeks=DEFAULT_WEEKS) + dt.timedelta(days=1)
    if start > end:
        raise UsageError(f"--since {start} is after --until {end}")
    return Period(start, end)


@dataclass(frozen=True)
class Counts:
    sessions_held: int = 0
    sessions_missed: int = 0
    sessions_planned: int = 0
    sessions_cancelled: int = 0
    streak: int = 0
    open_followups: int = 0
    overdue: int = 0
    needs_open: int = 0  # opened in the period
    needs_met: int = 0
    needs_open_now: int = 0
    leads: dict[str, int] = field(default_factory=dict)  # by source, plus "total"
    prequalified: int = 0
    referrals: int = 0
    closings: int = 0
    commission: float = 0
    lost: int = 0
    # (lead, partner, day it was lost, lost_reason or None), by day and lead
    lost_reasons: tuple[tuple[str, str, dt.date | None, str | None], ...] = ()
    referrals_sent: int = 0
    volume: Decimal = Decimal(0)
    pipeline: Decimal = Decimal(0)
    lo_income: Decimal = Decimal(0)
    spend: Decimal = Decimal(0)

    @property
    def income_per_dollar_spent(self) -> Decimal | None:
        """The loan officer's income for each dollar of co-marketing spend, to the cent."""
        return cents(self.lo_income / self.spend) if self.spend else None

    def as_json(self) -> dict[str, Any]:
        per_dollar = self.income_per_dollar_spent
        return {
            "sessions_held": self.sessions_held,
            "sessions_missed": self.sessions_missed,
            "sessions_planned": self.sessions_planned,
            "sessions_cancelled": self.sessions_cancelled,
            "streak": self.streak,
            "open_followups": self.open_followups,
            "overdue": self.overdue,
            "needs_open": self.needs_open,
            "needs_met": self.needs_met,
            "needs_open_now": self.needs_open_now,
            "leads": dict(self.leads),
            "prequalified": self.prequalified,
            "referrals": self.referrals,
            "closings": self.closings,
            "commission": dollars(self.commission),
            "lost": self.lost,
            "lost_reasons": [
                {"lead": lead, "partner": partner, "date": day, "reason": reason}
                for lead, partner, day, reason in self.lost_reasons
            ],
            "referrals_sent": self.referrals_sent,
            "volume": dollars(self.volume),
            "pipeline": dollars(self.pipeline),
            "lo_income": dollars(self.lo_income),
            "spend": dollars(self.spend),
            "income_per_dollar_spent": dollars(per_dollar) if per_dollar is not None else None,
        }


@dataclass(frozen=True)
class Week:
    """One partner's cell of the week grid."""

    start: dt.date  # the week's Monday
    day: dt.date  # the partner's session day in that week, which labels it
    status: str | None  # the best status of the session notes dated in the week, or None

    @property
    def label(self) -> str:
        return short_day(self.day)

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "day": self.day.isoformat(),
            "label": self.label,
            "status": self.status,
        }


@dataclass(frozen=True)
class PartnerScore:
    name: str
    status: str
    company: str | None
    counts: Counts
    weeks: tuple[Week, ...]  # the report's weeks, this partner's cell of each
    needs: tuple[str, ...]  # the open needs (without their #need tag), in note order
    met: tuple[Need, ...] = ()  # the needs met in the period, by the day met

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "company": self.company,
            **self.counts.as_json(),
            "weeks": [w.as_json() for w in self.weeks],
            "needs": list(self.needs),
            "met_needs": [{"date": n.met and n.met.isoformat(), "need": n.text} for n in self.met],
        }


@dataclass(frozen=True)
class Potential:
    """The method's promise: one closing per partner per month, at the configured commission."""

    commission_per_side: float
    partners: int  # active partners among those reported
    period_months: float

    @property
    def per_partner_year(self) -> float:
        return self.commission_per_side * 12

    @property
    def year(self) -> float:
        return self.per_partner_year * self.partners

    @property
    def period(self) -> float:
        return round(self.commission_per_side * self.partners * self.period_months)

    def as_json(self) -> dict[str, Any]:
        return {
            "basis": "one closing per active partner per month",
            "commission_per_side": dollars(self.commission_per_side),
            "active_partners": self.partners,
            "per_partner_year": dollars(self.per_partner_year),
            "year": dollars(self.year),
            "period_months": round(self.period_months, 2),
            "period": dollars(self.period),
        }


@dataclass(frozen=True)
class Report:
    owner: str
    today: dt.date
    period: Period
    partners: tuple[PartnerScore, ...]
    totals: Counts
    funnel: tuple[tuple[str, int], ...]
    potential: Potential
    lo_bps: float = 0
    weeks: tuple[Week, ...] = ()  # the grid's columns, labelled by the PPS weekday

    @property
    def met(self) -> list[Need]:
        """Every need met in the period, by the day met, then partner (as listed)."""
        found = [n for p in self.partners for n in p.met]
        found.sort(key=lambda n: n.met or self.period.since)
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "lo_bps": self.lo_bps,
            "since": self.period.since.isoformat(),
            "until": self.period.until.isoformat(),
            "today": self.today.isoformat(),
            "weeks": [
                {"start": w.start.isoformat(), "day": w.day.isoformat(), "label": w.label}
                for w in self.weeks
            ],
            "partners": [p.as_json() for p in self.partners],
            "totals": {"partners": len(self.partners), **self.totals.as_json()},
            "funnel": [{"stage": stage, "count": n} for stage, n in self.funnel],
            "potential": self.potential.as_json(),
            "met_needs": [
                {"date": n.met and n.met.isoformat(), "partner": n.partner, "need": n.text}
                for n in self.met
            ],
        }


def scorecard(
    index: Index,
    settings: Settings,
    today: dt.date,
    period: Period,
    partner: str | None = None,
    spends: Sequence[Spend] = (),
) -> Report:
    """The scorecard of every partner (or of one) over the period; ``spends``:
    the co-marketing ledger's (a spend naming no partner reported is left out)."""
    if partner is not None:
        chosen = [index.partner(partner)]
        leads = {chosen[0].key: index.leads_of(chosen[0].name)}
    else:
        chosen = sorted(index.partners.values(), key=lambda p: p.key)
        # Of a long history only the leads the period counts (open now, or
        # created or changed in it), every partner's in one query.
        leads = index.leads_changed_in(period.since, period.until, OPEN_STAGES)
    cps = settings.money.commission_per_side
    spent: dict[str, list[Spend]] = {}
    for item in spends:
        if item.date in period:
            spent.setdefault(name_key(item.partner), []).append(item)
    starts = week_starts(
        [s.date for p in chosen for s in index.session_marks(p.name) if s.date in period], period
    )
    pps_day = settings.sessions.weekday
    scores = tuple(
        _score(
            index,
            p,
            leads.get(p.key, []),
            today,
            period,
            cps,
            settings.money.lo_bps,
            spent.get(p.key, []),
            starts,
            _weekday(p, pps_day),
        )
        for p in chosen
    )
    cohort = [
        lead
        for p in chosen
        for lead in leads.get(p.key, [])
        if lead.created in period and lead.source in LEAD_SOURCES and lead.direction == "in"
    ]
    funnel = tuple(
        (stage, sum(lead.stage in stages for lead in cohort)) for stage, stages in FUNNEL
    )
    potential = Potential(
        commission_per_side=cps,
        partners=sum(p.status == "active" for p in chosen),
        period_months=period.days * MONTHS_PER_DAY,
    )
    return Report(
        owner=settings.owner.name,
        today=today,
        period=period,
        partners=scores,
        totals=_sum([s.counts for s in scores]),
        funnel=funnel,
        potential=potential,
        lo_bps=settings.money.lo_bps,
        weeks=tuple(Week(start, _day_in(start, pps_day), None) for start in starts),
    )


def _score(
    index: Index,
    partner: Partner,
    every: Sequence[Lead],
    today: dt.date,
    period: Period,
    cps: float,
    lo_bps: float,
    spends: Sequence[Spend],
    starts: Sequence[dt.date],
    weekday: int,
) -> PartnerScore:
    sessions = index.session_marks(partner.name)
    in_period = [s for s in sessions if s.date in period]
    asof = min(period.until, today)
    n_open, n_overdue = index.task_counts(asof).get(partner.key, (0, 0))
    needs = needs_of(
        partner.name,
        # Needs met or given up before the period, written before it, count in no
        # way (needs.py): the store leaves them out, not the thousands of a long
        # history decoded to be dropped.
        index.need_lines(partner.name, live_since=period.since),
        [(s.date, s.path) for s in sessions],
    )
    met = sorted((n for n in needs if n.met in period), key=lambda n: n.met or period.since)
    sent = [lead for lead in every if lead.direction == "out" and lead.created in period]
    all_leads = [lead for lead in every if lead.direction == "in"]
    leads = [lead for lead in all_leads if lead.created in period]
    by_source = {source: sum(lead.source == source for lead in leads) for source in LEAD_SOURCES}
    by_source["total"] = len(leads)
    closed = [lead for lead in all_leads if _changed_to(lead, ("closed",), period)]
    closings = len(closed)
    lost = sorted(
        (lead for lead in all_leads if _changed_to(lead, ("lost",), period)),
        key=lambda lead: (lead.stage_changed, name_key(lead.name)),
    )
    volume = sum((lead.value or Decimal(0) for lead in closed), Decimal(0))
    counts = Counts(
        sessions_held=sum(s.status == "held" for s in in_period),
        sessions_missed=sum(s.status == "missed" for s in in_period),
        sessions_planned=sum(s.status == "planned" for s in in_period),
        sessions_cancelled=sum(s.status == "cancelled" for s in in_period),
        streak=streak(sessions, period.until, today),
        open_followups=n_open,
        overdue=n_overdue,
        needs_open=sum(n.opened in period for n in needs),
        needs_met=len(met),
        needs_open_now=sum(n.is_open for n in needs),
        leads=by_source,
        prequalified=sum(_changed_to(lead, PREQUALIFIED_OR_BEYOND, period) for lead in all_leads),
        referrals=by_source["referral"],
        closings=closings,
        commission=closings * cps,
        lost=len(lost),
        lost_reasons=tuple(
            (lead.name, partner.name, lead.stage_changed, lead.lost_reason) for lead in lost
        ),
        referrals_sent=len(sent),
        volume=volume,
        pipeline=sum(
            (lead.value or Decimal(0) for lead in all_leads if lead.stage in OPEN_STAGES),
            Decimal(0),
        ),
        lo_income=cents(volume * Decimal(str(lo_bps)) / 10000),
        spend=sum((item.amount for item in spends), Decimal(0)),
    )
    return PartnerScore(
        name=partner.name,
        status=partner.status,
        company=partner.company,
        counts=counts,
        weeks=_weeks(in_period, starts, weekday),
        needs=tuple(n.text for n in needs if n.is_open),
        met=tuple(met),
    )


def _changed_to(lead: Lead, stages: tuple[str, ...], period: Period) -> bool:
    # A note keeps only its latest stage change, so "reached X in the period"
    # is read as: is at X (or beyond) now, and its stage last changed in the period.
    return lead.stage in stages and lead.stage_changed in period


def streak(sessions: Sequence[SessionMark], until: dt.date, today: dt.date) -> int:
    """Weeks in a row with a held session, counting back from the latest note on or before until.

    A cancelled session, or a planned one that is not yet past (dated today or
    later), is passed over; a missed one, or a planned one whose day has passed
    without being marked held, ends the streak. Weeks are ISO weeks, so a
    session moved within its week is still one week.
    """
    weeks: set[tuple[int, int]] = set()
    for s in sorted((s for s in sessions if s.date <= until), key=lambda s: s.date, reverse=True):
        if s.status == "held":
            weeks.add(s.date.isocalendar()[:2])
        elif s.status == "cancelled" or (s.status == "planned" and s.date >= today):
            continue
        else:
            break
    return len(weeks)


def monday(day: dt.date) -> dt.date:
    """The Monday of the calendar week (Monday to Sunday) that holds ``day``."""
    return day - dt.timedelta(days=day.weekday())


def week_starts(days: Sequence[dt.date], period: Period) -> tuple[dt.date, ...]:
    """The grid's weeks (their Mondays): from the first week holding one of ``days``
    (the session notes of the period) to the week of ``until``; none without a session."""
    if not days:
        return ()
    first, last = monday(min(days)), monday(period.until)
    return tuple(first + dt.timedelta(weeks=i) for i in range((last - first).days // 7 + 1))


def _weekday(partner: Partner, pps_day: int) -> int:
    """The partner's session day: their series' weekday, else the PPS weekday."""
    return partner.series.start.weekday() if partner.series is not None else pps_day


def _day_in(start: dt.date, weekday: int) -> dt.date:
    return start + dt.timedelta(days=weekday)


def _weeks(
    sessions: Sequence[SessionMark], starts: Sequence[dt.date], weekday: int
) -> tuple[Week, ...]:
    by_week: dict[dt.date, set[str]] = {}
    for s in sessions:
        by_week.setdefault(monday(s.date), set()).add(s.status)
    return tuple(
        Week(
            start,
            _day_in(start, weekday),
            next((st for st in _WEEK_RANK if st in by_week.get(start, ())), None),
        )
        for start in starts
    )


def _sum(counts: list[Counts]) -> Counts:
    leads = {source: sum(c.leads.get(source, 0) for c in counts) for source in LEAD_SOURCES}
    leads["total"] = sum(c.leads.get("total", 0) for c in counts)
    return Counts(
        sessions_held=sum(c.sessions_held for c in counts),
        sessions_missed=sum(c.sessions_missed for c in counts),
        sessions_planned=sum(c.sessions_planned for c in counts),
        sessions_cancelled=sum(c.sessions_cancelled for c in counts),
        # Streaks do not add up: the totals show the longest current one.
        streak=max((c.streak for c in counts), default=0),
        open_followups=sum(c.open_followups for c in counts),
        overdue=sum(c.overdue for c in counts),
        needs_open=sum(c.needs_open for c in counts),
        needs_met=sum(c.needs_met for c in counts),
        needs_open_now=sum(c.needs_open_now for c in counts),
        leads=leads,
        prequalified=sum(c.prequalified for c in counts),
        referrals=sum(c.referrals for c in counts),
        closings=sum(c.closings for c in counts),
        commission=sum(c.commission for c in counts),
        lost=sum(c.lost for c in counts),
        lost_reasons=tuple(
            sorted(
                (r for c in counts for r in c.lost_reasons),
                key=lambda r: (r[2] or dt.date.min, name_key(r[0])),
            )
        ),
        referrals_sent=sum(c.referrals_sent for c in counts),
        volume=sum((c.volume for c in counts), Decimal(0)),
        pipeline=sum((c.pipeline for c in counts), Decimal(0)),
        lo_income=sum((c.lo_income for c in counts), Decimal(0)),
        spend=sum((c.spend for c in counts), Decimal(0)),
    )

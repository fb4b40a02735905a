"""Leads: the people a partner names, from the first call to closing (pure).

``ppsj lead`` makes a lead note from these values and ``ppsj stage`` moves it
along; both are thin shells over the functions here.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ppsjournal.errors import PpsjError
from ppsjournal.model import Lead, Partner
from ppsjournal.money import dollars
from ppsjournal.names import check_name
from ppsjournal.note import parse_note
from ppsjournal.properties import LEAD_SOURCES, LEAD_STAGES
from ppsjournal.settings import Settings, check_email
from ppsjournal.tasks import done_line, iter_task_lines, parse_task


@dataclass(frozen=True)
class NewLead:
    name: str
    partner: str  # the partner's name as their note has it
    source: str
    created: dt.date
    due: dt.date  # the first follow-up's due date
    phone: str | None = None
    email: str | None = None
    showing: dt.date | None = None
    value: Decimal | None = None
    direction: str = "in"  # out: ppsj refer, a client sent to the partner
    note: str | None = None  # ppsj refer --note


def check_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    """``value`` as one of ``choices`` (case-insensitive), or a one-line error listing them."""
    wanted = value.strip().casefold()
    for choice in choices:
        if choice == wanted:
            return choice
    raise PpsjError(f"unknown {what} {value!r}: use one of {', '.join(choices)}")


def first_due(today: dt.date, showing: dt.date | None) -> dt.date:
    """When the lead's first follow-up is due.

    With a showing: the day before it, so the buyer goes out pre-qualified
    (today if the showing is today or tomorrow, or already past). Without
    one: tomorrow; a named lead goes cold fast.
    """
    if showing is not None:
        return max(today, showing - dt.timedelta(days=1))
    return today + dt.timedelta(days=1)


def _one_line(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise PpsjError(f"{option} must be one line of text, got {value!r}")
    return value or None


def new_lead(
    name: str,
    partner: Partner,
    source: str,
    today: dt.date,
    *,
    phone: str | None = None,
    email: str | None = None,
    showing: dt.date | None = None,
    value: Decimal | None = None,
) -> NewLead:
    """A checked new lead; PpsjError names the bad value (the value is checked by
    its option's type, money.parse_amount)."""
    name = check_name(name.strip(), "lead name")
    source = check_choice(source, LEAD_SOURCES, "source")
    if email is not None:
        email = check_email(email.strip(), "--email")
    return NewLead(
        name=name,
        partner=partner.name,
        source=source,
        created=today,
        due=first_due(today, showing),
        phone=_one_line(phone, "--phone"),
        email=email,
        showing=showing,
        value=value,
    )


def referral_out(
    name: str,
    partner: Partner,
    today: dt.date,
    *,
    phone: str | None = None,
    email: str | None = None,
    value: Decimal | None = None,
    note: str | None = None,
) -> NewLead:
    """A client the loan officer sends to the partner (``ppsj refer``): a lead
    note with ``direction: out``, source referral, and no follow-up of its own."""
    found = new_lead(name, partner, "referral", today, phone=phone, email=email, value=value)
    return NewLead(
        name=found.name,
        partner=found.partner,
        source=found.source,
        created=today,
        due=today,
        phone=found.phone,
        email=found.email,
        value=value,
        direction="out",
        note=_one_line(note, "--note"),
    )


def lead_front_matter(lead: NewLead) -> dict[str, Any]:
    """The properties of a new lead note, in product.md's order; optional ones only if given."""
    meta: dict[str, Any] = {
        "type": "lead",
        "partner": f"[[{lead.partner}]]",
        "source": lead.source,
        "stage": "new",
        "created": lead.created,
        "stage_changed": lead.created,
    }
    for key in ("phone", "email", "showing", "value"):
        value = getattr(lead, key)
        if value is not None:
            meta[key] = dollars(value) if key == "value" else value
    if lead.direction != "in":
        meta["direction"] = lead.direction
    return meta


def lead_context(lead: NewLead, settings: Settings, today: dt.date) -> dict[str, Any]:
    """What lead.md.j2 renders the note's body from (plain data for the sandbox)."""
    return {
        "lead": {
            "name": lead.name,
            "partner": lead.partner,
            "source": lead.source,
            "stage": "new",
            "created": lead.created.isoformat(),
            "due": lead.due.isoformat(),
            "phone": lead.phone,
            "email": lead.email,
            "showing": lead.showing.isoformat() if lead.showing else None,
            "value": dollars(lead.value) if lead.value is not None else None,
            "direction": lead.direction,
            "note": lead.note,
        },
        "owner": {
            "name": settings.owner.name,
            "email": settings.owner.email,
            "timezone": settings.owner.timezone,
        },
        "clock": settings.owner.clock,
        "today": today.isoformat(),
    }


def stage_updates(
    lead: Lead, stage: str, today: dt.date, reason: str | None = None
) -> dict[str, Any]:
    """The front-matter keys ``ppsj stage`` sets; empty when nothing would change.

    ``reason`` (only with ``lost``) is written as ``lost_reason``; a lead already
    lost gets its reason set without a new ``stage_changed``.
    """
    stage = check_choice(stage, LEAD_STAGES, "stage")
    reason = _one_line(reason, "--reason")
    if reason is not None and stage != "lost":
        raise PpsjError(f"--reason is for stage lost (why the lead was lost), not {stage}")
    updates: dict[str, Any] = {}
    if stage != lead.stage:
        updates = {"stage": stage, "stage_changed": today}
    if reason is not None and reason != lead.lost_reason:
        updates["lost_reason"] = reason
    return updates


# The lead's own tasks, as lead.md.j2 words them (the start of the description,
# any case): the first call ("First call with NAME, referred by ..." for a
# referral, "Reach out to NAME ..." for a lost lead) and the pre-qualification
# call ("Pre-qualification call with NAME", for a showing).
FIRST_CALL = "first call"
PREQUALIFICATION = "pre-qualification"
_TASK_WORDING = {
    FIRST_CALL: ("first call", "reach out"),
    PREQUALIFICATION: ("pre-qualification", "prequalification", "pre-qualify", "prequalify"),
}
# The stages that fulfil each task: contacted or later, prequalified or later
# ("lost" is the end of a lead, not a call made: it ticks nothing).
_FULFILLED_FROM = {FIRST_CALL: "contacted", PREQUALIFICATION: "prequalified"}
_PROGRESS = ("new", "contacted", "prequalified", "application", "closed")


def fulfilled(stage: str) -> list[str]:
    """The lead tasks (FIRST_CALL, PREQUALIFICATION) that reaching ``stage`` fulfils."""
    if stage not in _PROGRESS:
        return []
    at = _PROGRESS.index(stage)
    return [kind for kind, since in _FULFILLED_FROM.items() if _PROGRESS.index(since) <= at]


def task_kind(description: str) -> str | None:
    """Which of the lead template's tasks a description is, by its wording."""
    words = description.strip().casefold()
    for kind, starts in _TASK_WORDING.items():
        if words.startswith(starts):
            return kind
    return None


def tick_fulfilled(path: str, text: str, stage: str, today: dt.date) -> tuple[str, list[str]]:
    """``text`` with the first open task of each kind ``stage`` fulfils ticked done today.

    Returns the new text and the ticked lines as now written; every other byte
    (line ends too) is kept.
    """
    kinds = fulfilled(stage)
    if not kinds:
        return text, []
    lines = text.split("\n")
    ticked: list[str] = []
    body_line = parse_note(path, text).body_line
    for line_no, line in iter_task_lines(text):
        if line_no < body_line:
            continue  # the properties hold no task
        task = parse_task(path, line_no, line)
        if task is None or not task.is_open:
            continue
        kind = task_kind(task.description)
        if kind not in kinds:
            continue
        kinds.remove(kind)
        raw = lines[line_no - 1]
        cr = "\r" if raw.endswith("\r") else ""
        new = done_line(raw[: len(raw) - len(cr)], today)
        lines[line_no - 1] = new + cr
        ticked.append(new)
        if not kinds:
            break
    return "\n".join(lines), ticked

"""The write actions of the commands: find the note, compute its change with a
feature function, write it under the vault's lock (``Builder.writing()``).

Each takes the builder, ``today`` and values the command line already parsed,
and returns a small result that the cli prints; the cli reads the clock and
the terminal, these never do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ppsjournal import layout
from ppsjournal.app import Builder
from ppsjournal.errors import PpsjError, UsageError
from ppsjournal.index import Index
from ppsjournal.leads import (
    NewLead,
    lead_context,
    lead_front_matter,
    new_lead,
    referral_out,
    stage_updates,
    tick_fulfilled,
)
from ppsjournal.model import Lead, Partner
from ppsjournal.names import link_target, match_name, name_key
from ppsjournal.properties import QUOTED_KEYS
from ppsjournal.templates import render_note
from ppsjournal.vault import Vault


def _note_path(where: str) -> str:
    """The note a problem names: ``where`` without its ``:line`` (a note's name may
    hold a colon of its own, from git)."""
    path, colon, line = where.rpartition(":")
    return path if colon and line.isdigit() else where


def find_partner(index: Index, name: str, writing: bool = False) -> Partner:
    """The partner ``name`` means (see names.match_name); if their note exists but
    cannot be read, say why.

    "No partner named X" would send the user looking for a note that is right there.
    """
    # "[[Debbie Harper]]", as copied from a note, names Debbie Harper too.
    name = link_target(name) or name
    try:
        return index.partner(name)
    except PpsjError:
        for problem in index.problems:
            path = _note_path(problem.where)
            folder, _, file = path.partition("/")
            if folder == layout.PARTNERS and name_key(file.removesuffix(".md")) == name_key(name):
                fix = (
                    "fix the note first; ppsj never rewrites a note it cannot read"
                    if writing
                    else "fix the note first; see 'ppsj doctor'"
                )
                raise PpsjError(f"{problem.message} ({fix})", problem.where) from None
    # As typed: any case or accents, a unique first name or start of the name.
    names = [partner.name for partner in index.partners.values()]
    return index.partner(match_name(name, names, "partner", "see 'ppsj partners'"))


# -- leads ------------------------------------------------------------------------------


@dataclass
class LeadWritten:
    path: str
    lead: NewLead


def add_lead(
    builder: Builder,
    today: dt.date,
    name: str,
    partner_name: str,
    source: str,
    phone: str | None = None,
    email: str | None = None,
    showing: dt.date | None = None,
    value: Decimal | None = None,
) -> LeadWritten:
    """``ppsj lead``: a new lead note with its first follow-up."""
    with builder.writing() as index:
        partner = find_partner(index, partner_name)
        try:
            new = new_lead(
                name, partner, source, today, phone=phone, email=email, showing=showing, value=value
            )
        except PpsjError as exc:  # every value it checks was typed on the command line
            raise UsageError(exc.message, exc.where) from None
        rel = _create_lead(builder.vault, index, new, "lead.md.j2", today)
    return LeadWritten(rel, new)


def refer_out(
    builder: Builder,
    today: dt.date,
    name: str,
    partner_name: str,
    note: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    value: Decimal | None = None,
) -> LeadWritten:
    """``ppsj refer``: a lead note for a client sent to the partner (direction: out)."""
    with builder.writing() as index:
        partner = find_partner(index, partner_name, writing=True)
        try:
            new = referral_out(
                name, partner, today, phone=phone, email=email, value=value, note=note
            )
        except PpsjError as exc:  # every value it checks was typed on the command line
            raise UsageError(exc.message, exc.where) from None
        rel = _create_lead(builder.vault, index, new, "referral-out.md.j2", today)
    return LeadWritten(rel, new)


def _create_lead(vault: Vault, index: Index, new: NewLead, template: str, today: dt.date) -> str:
    """Write the new lead's note from ``template``, refusing a name a lead (or
    any note) already has, in any case or accents; the note's path."""
    existing = index.namesake(new.name, "lead")
    if existing is not None:
        raise PpsjError(f"{existing.name} is already a lead ({existing.path})")
    index.check_new_name(new.name, "lead")
    rel = layout.lead_path(new.name)
    meta, context = lead_front_matter(new), lead_context(new, vault.settings, today)
    vault.create(rel, render_note(vault.root, template, meta, context).encode("utf-8"))
    return rel


@dataclass
class StageMoved:
    lead: Lead
    updates: dict[str, Any]  # empty: the lead was at that stage already, nothing written
    ticked: list[str] = field(default_factory=list)  # the task lines ticked, as now written


def move_stage(
    builder: Builder, today: dt.date, name: str, stage: str, reason: str | None = None
) -> StageMoved:
    """``ppsj stage``: set the lead's stage (or lost_reason) and tick the task it fulfils."""
    with builder.writing() as index:
        found = _find_lead(index, name)
        try:
            updates = stage_updates(found, stage, today, reason)
        except PpsjError as exc:
            raise UsageError(exc.message) from None
        result = StageMoved(found, updates)
        if not updates:
            return result

        def tick(text: str) -> str:
            new, lines = tick_fulfilled(found.path, text, updates.get("stage", ""), today)
            result.ticked[:] = lines
            return new

        builder.vault.update_keys(found.path, updates, QUOTED_KEYS, edit=tick)
    return result


def _find_lead(index: Index, name: str) -> Lead:
    found = index.leads.get(name_key(name))
    if found is not None:
        return found
    # A lead note that does not parse is not "no lead": say what is wrong with it.
    path = layout.lead_path(name)
    entry = index.entries.get(path)
    for problem in index.problems:
        if problem.where.partition(":")[0] == path:
            raise PpsjError(f"cannot read the lead note: {problem.message}", problem.where)
    if entry is not None:
        raise PpsjError("not a lead note (no 'type: lead')", path)
    # As typed: any case or accents, a unique first name or start of the name.
    names = [lead.name for lead in index.leads.values()]
    return index.lead(match_name(name, names, "lead", "create it with 'ppsj lead'"))

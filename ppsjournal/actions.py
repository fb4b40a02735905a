"""The write actions of the commands: find the note, compute its change with a
feature function, write it under the vault's lock (``Builder.writing()``).

Each takes the builder, ``today`` and values the command line already parsed,
and returns a small result that the cli prints; the cli reads the clock and
the terminal, these never do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from ppsjournal import invite as invite_mod
from ppsjournal import layout, mail
from ppsjournal import partners as ops
from ppsjournal.app import Builder, write_session_note
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
from ppsjournal.partners import book, partner_front_matter, resolve_start
from ppsjournal.properties import QUOTED_KEYS
from ppsjournal.schedule import Series
from ppsjournal.settings import WEEKDAYS
from ppsjournal.templates import render_note
from ppsjournal.vault import Vault
from ppsjournal.week import Carry, append_note, find_session


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


# -- partners ---------------------------------------------------------------------------


@dataclass
class PartnerAdded:
    name: str
    path: str
    # The series' keys (with an existing prospect: every key written), None for a prospect.
    keys: dict[str, Any] | None
    existing: bool  # a prospect already there, now booked


def add_partner(
    builder: Builder,
    today: dt.date,
    name: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    company: str | None = None,
    time: dt.time | None = None,
    start: dt.date | None = None,
    weeks: int,
    weekday: int | None = None,
    expected: dt.date | None = None,
) -> PartnerAdded:
    """``ppsj add``: a new partner note, or a prospect's series booked.

    Partners (the slots they hold), and any note of this name: a lead of the
    same name is refused. Checked and written under the vault's write lock, the
    notes read again inside it: two adds at once cannot both book one slot.
    """
    vault, settings = builder.vault, builder.vault.settings
    with builder.writing() as index:
        existing = _partner_as_typed(index, name)

        if existing is not None:
            if existing.series is not None:
                # Booking anew would drop the series' history and leave the old
                # one in the partner's calendar: each change has its command.
                raise PpsjError(
                    f"{existing.name} is already a partner ({existing.path}) with a series: "
                    "change it with 'ppsj reschedule', 'ppsj renew' or 'ppsj resume'"
                )
            if time is None:
                raise PpsjError(f"{existing.name} is already a partner ({existing.path})")
            day = resolve_start(start, today, settings, weekday)
            sequence = existing.calendar_sequence(settings.sessions.holidays) + 1
            series_keys = book(index, settings, existing.name, time, day, weeks, sequence)
            # Keys the note lacks go at the end of its front-matter, in the contract's order.
            keys: dict[str, Any] = {
                key: value
                for key, value in (("email", email), ("phone", phone), ("company", company))
                if value is not None
            }
            keys["status"] = "active"
            if existing.committed is None:
                keys["committed"] = today
            if expected is not None:
                keys["referral_expected"] = expected
            keys.update(series_keys)
            vault.update_keys(existing.path, keys, QUOTED_KEYS)
            return PartnerAdded(existing.name, existing.path, keys, existing=True)

        index.check_new_name(name, "partner")
        series = None
        if time is not None:
            day = resolve_start(start, today, settings, weekday)
            series = book(index, settings, name, time, day, weeks)
        meta = partner_front_matter(
            email=email,
            phone=phone,
            company=company,
            status="active" if series else "prospect",
            committed=today if series or expected else None,
            referral_expected=expected,
            series=series,
        )
        end = None
        if series:
            end = Series(name, series["pps_start"], time, weeks).end  # type: ignore[arg-type]
        context = {
            "partner": {
                "name": name,
                "email": email,
                "phone": phone,
                "company": company,
                "status": meta["status"],
                "committed": meta.get("committed"),
                "referral_expected": expected,
                "pps_time": series["pps_time"] if series else None,
                "pps_start": series["pps_start"] if series else None,
                "pps_weeks": weeks if series else None,
                "pps_end": end,
                "pps_weekday": WEEKDAYS[series["pps_start"].weekday()] if series else None,
            },
            "owner": {
                "name": settings.owner.name,
                "email": settings.owner.email,
                "timezone": settings.owner.timezone,
            },
            "sessions": {
                "weekday": settings.sessions.weekday_name,
                "window": settings.sessions.window,
                "length": settings.sessions.length,
                "reminder": settings.sessions.reminder,
            },
            "clock": settings.owner.clock,
            "today": today,
        }
        rel = layout.partner_path(name)
        text = render_note(vault.root, "partner.md.j2", meta, context)
        vault.create(rel, text.encode("utf-8"))
    return PartnerAdded(name, rel, series, existing=False)


def _partner_as_typed(index: Index, name: str) -> Partner | None:
    """The partner ``name`` already is, as names are typed: the whole name case and
    accents aside (``jose nunez``), else None. A one-word name that is a partner's
    first name or the start of it (``debbie``) is refused: adding it would make a
    second partner of the one the user meant."""
    same = index.namesake(name, "partner")
    if same is not None:
        return same
    names = [p.name for p in index.partners.values()]
    if len(name.split()) > 1:
        return None
    try:
        meant = index.partners[name_key(match_name(name, names))]
    except PpsjError:
        return None
    raise PpsjError(
        f"{name!r} is {meant.name} ({meant.path}): name them in full to book them "
        f'(ppsj add "{meant.name}" --at TIME), or change their series with '
        "'ppsj reschedule', 'ppsj renew' or 'ppsj resume'"
    )


@dataclass
class PartnerChanged:
    partner: Partner  # as it was before the change
    detail: Any  # what the change says of itself (see each action)
    after: Partner | None  # as the note now reads (None: it no longer parses as one)


Change = Callable[[Index, Partner], tuple[dict[str, Any], Any]]


def _change_partner(builder: Builder, name: str, change: Change) -> PartnerChanged:
    """Find the partner, compute the key updates, write them to the note.

    Every change reads partners only (the series and the slots they hold). Read
    and written under the vault's write lock: a check (the slot is free) still
    holds when the note is written.
    """
    with builder.writing() as index:
        partner = find_partner(index, name, writing=True)
        keys, detail = change(index, partner)
        builder.vault.update_keys(partner.path, keys, QUOTED_KEYS)
        after = builder.index().partners.get(partner.key)
    return PartnerChanged(partner, detail, after)


def skip_session(builder: Builder, name: str, day: dt.date) -> PartnerChanged:
    """``ppsj skip``: one session of the series skipped (detail: None)."""
    settings = builder.vault.settings
    return _change_partner(builder, name, lambda index, p: (ops.skip(p, day, settings), None))


def move_session(
    builder: Builder, name: str, day: dt.date, new_day: dt.date, new_time: dt.time | None
) -> PartnerChanged:
    """``ppsj move``: one session moved (detail: where to, a datetime; without
    ``new_time``, at the slot's time)."""
    settings = builder.vault.settings

    def change(index: Index, partner: Partner) -> tuple[dict[str, Any], dt.datetime]:
        if partner.series is None:
            raise PpsjError(f"{partner.name} has no booked series")
        target = dt.datetime.combine(new_day, new_time or partner.series.time)
        return ops.move(index, partner, day, target, settings), target

    return _change_partner(builder, name, change)


def reschedule_slot(
    builder: Builder, name: str, since: dt.date, time: dt.time, weekday: int | None
) -> PartnerChanged:
    """``ppsj reschedule``: the regular slot moved from ``since`` on (detail: the
    line that says so)."""
    settings = builder.vault.settings
    return _change_partner(
        builder, name, lambda index, p: ops.reschedule(index, p, settings, since, time, weekday)
    )


def pause_series(builder: Builder, name: str) -> PartnerChanged:
    """``ppsj pause`` (detail: None)."""
    settings = builder.vault.settings
    return _change_partner(builder, name, lambda index, p: (ops.pause(p, settings), None))


def resume_series(builder: Builder, today: dt.date, name: str) -> PartnerChanged:
    """``ppsj resume`` (detail: None)."""
    settings = builder.vault.settings
    return _change_partner(
        builder, name, lambda index, p: (ops.resume(index, p, settings, today), None)
    )


def renew_series(builder: Builder, today: dt.date, name: str, weeks: int | None) -> PartnerChanged:
    """``ppsj renew``: extended by ``weeks`` (default sessions.weeks), or a new
    series after a gap (detail: what was done, in words)."""
    settings = builder.vault.settings
    n = weeks or settings.sessions.weeks
    return _change_partner(builder, name, lambda index, p: ops.renew(index, p, settings, today, n))


# -- invitations ------------------------------------------------------------------------


@dataclass
class Saved:
    """The vault's copy of an invitation: ``written``, or already saying the same."""

    rel: str
    path: Path
    written: bool


@dataclass
class Invited:
    partner: Partner
    what: str  # "invite" or "cancellation"
    data: bytes  # the message
    to: str | None = None  # the address it was sent to (with an SMTP plan)
    recorded: dict[str, Any] | None = None  # the keys that record the sending
    sequence: int | None = None  # a cancellation not sent: the pps_sequence set
    saved: Saved | None = None


def invite_partner(
    builder: Builder,
    today: dt.date,
    now: dt.datetime,
    name: str,
    plan: mail.Plan | None,
    cancel: bool = False,
    yes: bool = False,
    save: bool = True,
) -> Invited:
    """``ppsj invite NAME``: the invitation (or ``cancel``-lation), sent with a
    ``plan`` and recorded in the note; ``save``: the vault's Calendar/ copy kept
    up to date (with a plan: only a copy already there).

    Read, sent and recorded under the write lock: the note records what was sent.
    """
    vault, settings = builder.vault, builder.vault.settings
    with builder.writing() as index:
        partner = find_partner(index, name, writing=plan is not None or cancel)
        if cancel and plan is not None and partner.status == "active" and not yes:
            raise PpsjError(
                f"{partner.name} is still active: a cancellation removes every session "
                "from their calendar while the series stays in yours; "
                "'ppsj pause' first, or add --yes to send it anyway"
            )
        msg = invite_mod.build_invite(partner, settings, now=now, cancel=cancel)
        result = Invited(
            partner, "cancellation" if cancel else "invite", invite_mod.message_bytes(msg)
        )
        rel = invite_mod.invite_path(partner, cancel)
        if plan is not None:
            result.to = _send(msg, plan)
            keys = invite_mod.sent_keys(partner, settings, cancel, today)
            vault.update_keys(partner.path, keys, QUOTED_KEYS)
            result.recorded = keys
        elif cancel:
            # The CANCEL's SEQUENCE is now the series': a later REQUEST (resume,
            # renew) bumps it again and so supersedes the cancellation.
            sequence = invite_mod.invite_sequence(partner, settings, cancel)
            keys = partner.settle(settings.sessions.holidays, bump=0)
            keys["pps_sequence"] = sequence
            vault.update_keys(partner.path, keys, QUOTED_KEYS)
            result.sequence = sequence
        if save:
            result.saved = _save_invite(vault, rel, result.data, only_if_saved=plan is not None)
    return result


@dataclass
class ChangedInvite:
    pending: invite_mod.Pending
    invited: Invited | None = None  # sent and recorded
    error: PpsjError | None = None  # not sent: why


def send_changed(
    builder: Builder, today: dt.date, now: dt.datetime, plan: mail.Plan
) -> list[ChangedInvite]:
    """``ppsj invite --changed --send``: each partner whose calendar changed since
    their last invitation gets it (a cancellation if no longer active), recorded
    in their note; one that fails is named and the others still go."""
    vault, settings = builder.vault, builder.vault.settings
    results = []
    with builder.writing() as index:
        for p in invite_mod.pending_invitations(index.partners.values(), settings):
            partner = p.partner
            try:
                msg = invite_mod.build_invite(partner, settings, now=now, cancel=p.cancel)
                data = invite_mod.message_bytes(msg)
                to = _send(msg, plan)
            except PpsjError as exc:
                results.append(ChangedInvite(p, error=exc))
                continue
            keys = invite_mod.sent_keys(partner, settings, p.cancel, today)
            vault.update_keys(partner.path, keys, QUOTED_KEYS)
            invited = Invited(
                partner, "cancellation" if p.cancel else "invite", data, to=to, recorded=keys
            )
            rel = invite_mod.invite_path(partner, p.cancel)
            invited.saved = _save_invite(vault, rel, data, only_if_saved=True)
            results.append(ChangedInvite(p, invited))
    return results


def _send(msg: EmailMessage, plan: mail.Plan) -> str:
    """Send the message to its one recipient; their address."""
    to = msg["To"].addresses[0].addr_spec  # checked by build_invite
    sender = msg["From"].addresses[0].addr_spec  # the owner's, checked likewise
    mail.send(msg, plan, sender, [to])
    return to


def _save_invite(vault: Vault, rel: str, data: bytes, only_if_saved: bool) -> Saved | None:
    """Write the vault's copy of an invite when what it says changed."""
    if vault.exists(rel):
        if invite_mod.same_invite(vault.read_bytes(rel), data):
            return Saved(rel, vault.abs(rel), written=False)
    elif only_if_saved:
        return None
    vault.write(rel, data)
    return Saved(rel, vault.abs(rel), written=True)


# -- sessions ---------------------------------------------------------------------------


@dataclass
class Recorded:
    path: str  # the session note
    created: bool  # written now (the session had no note), else its status line edited
    carry: Carry | None = None  # the previous note's open follow-ups carried into it


def record_session(
    builder: Builder,
    today: dt.date,
    name: str,
    day: dt.date | None,
    status: str,
    note: str | None = None,
) -> Recorded:
    """``ppsj held``/``ppsj missed``: the session's note gets ``status`` (and
    ``note`` at its end); a session without a note gets one, as ppsj week writes it.

    Found and written under the vault's write lock, the notes read again inside it.
    """
    vault = builder.vault

    def add_note(text: str) -> str:
        return append_note(text, note) if note else text

    with builder.writing() as index:
        partner = find_partner(index, name, writing=True)
        found = find_session(index, vault.settings, partner, day, today)
        if found.existing is not None:
            vault.update_keys(found.existing, {"status": status}, QUOTED_KEYS, edit=add_note)
            return Recorded(found.existing, created=False)
        planned = found.planned
        assert planned is not None
        if planned.path in index.entries or vault.exists(planned.path):
            raise PpsjError("a note of that name is there but is not a session note", planned.path)
        carry = write_session_note(vault, index, planned, today, status, add_note)
    return Recorded(planned.path, created=True, carry=carry)

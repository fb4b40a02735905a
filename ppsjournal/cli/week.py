"""ppsj week: this week's session notes, follow-ups carried forward, and the agenda."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from ppsjournal.cli import common_options, echo_json, runtime, warn
from ppsjournal.cli.types import DATE
from ppsjournal.errors import EXIT_FAILED, EXIT_PROBLEMS, PpsjError

if TYPE_CHECKING:
    from ppsjournal.vault import Vault
    from ppsjournal.week import Carry, Counts, Planned


@dataclass
class Item:
    """One session of the agenda and what this run does for it."""

    planned: Planned
    counts: Counts
    action: str  # "write" | "exists" | "blocked" | "deferred"
    note: bytes | None = None
    carry: Carry | None = None
    reason: str | None = None


@click.command()
@click.option(
    "--date",
    "date",
    type=DATE,
    help="The first day of the 7 (default: today).",
)
@click.option("--dry-run", is_flag=True, help="Write nothing; show what would be written.")
@click.option("--json", "as_json", is_flag=True, help="Print the agenda as one JSON document.")
@common_options
def week(date: dt.date | None, dry_run: bool, as_json: bool) -> None:
    """Write the note of every session in the 7 days from --date, and print the agenda.

    Each note gets the five questions of the method, the partner's context and
    the open follow-ups of their latest earlier session note, copied as written;
    those old lines become [>] (carried), nothing else in the old note changes.
    Holidays, skipped sessions and paused or ended partners get no note; moved
    sessions count where they were moved to. A partner's session whose
    previous session is today or later is deferred: its note would miss that
    call's follow-ups, so a run on a day after that session writes it. An
    existing note is never overwritten, so running it twice changes nothing;
    a run stopped between writing a note and marking the old lines has them
    marked by the next run (those the note holds exactly as carried). The
    note's body comes from templates/session.md.j2, or the vault's
    Templates/session.md.j2.
    Exit 1 if a session could not get its note; else 3 if a note could not
    be read (named on stderr), 0 if all went well.

    \b
    Example:
      ppsj week                          # Friday morning: today's notes
      ppsj week --date 2026-12-04 --dry-run
      ppsj week --json | jq '.sessions[] | {partner, time, overdue}'
    """
    from ppsjournal.templates import render_note
    from ppsjournal.week import (
        Links,
        check_carried,
        followup_counts,
        plan_week,
        session_context,
        session_meta,
        unreadable_sessions,
        week_range,
    )

    rt = runtime()
    vault, today = rt.vault, rt.today
    settings = vault.settings
    day = date or today
    index = rt.index()
    links = Links(index)

    # Everything is read and rendered first; only then is anything written, so
    # a bad template or an unreadable note leaves the vault as it was.
    items: list[Item] = []
    writing: set[str] = set()
    for p in plan_week(index, settings, day, today):
        counts = followup_counts(index, p.partner.name, today)
        if p.existing:
            # A run stopped after writing it may have left the carried lines
            # open in the previous note too: this run marks them.
            items.append(Item(p, counts, "exists", carry=_unfinished(vault, p)))
            continue
        if p.path in writing:
            # Two sessions of one partner on one day (a hand-edited pps_moved):
            # the note is named by the day, so the second has none of its own.
            reason = (
                f"{p.partner.name} has two sessions on {p.occurrence.date}, and a "
                "session note is named by its day; move one (ppsj move)"
            )
            items.append(Item(p, counts, "blocked", reason=reason))
            continue
        if p.waits_for is not None:
            items.append(Item(p, counts, "deferred", reason=_deferral(p.waits_for, p)))
            continue
        blockers = unreadable_sessions(index, p)
        if blockers:
            reason = f"{blockers[0]} cannot be read; fix it first (ppsj doctor)"
            items.append(Item(p, counts, "blocked", reason=reason))
            continue
        try:
            carry = _read_carry(vault, p.carry_from) if p.carry_from else None
        except PpsjError as exc:  # that partner's note: the others still get theirs
            items.append(Item(p, counts, "blocked", reason=f"{exc}; fix it first (ppsj doctor)"))
            continue
        context = session_context(p, carry, index, settings, today, links)
        text = render_note(vault.root, "session.md.j2", session_meta(p), context)
        check_carried(text, carry)
        items.append(Item(p, counts, "write", text.encode("utf-8"), carry))
        writing.add(p.path)

    if not dry_run:
        _write(vault, [i for i in items if i.action == "write" or i.carry])

    for problem in index.read_problems:
        warn(str(problem))
    first, last = week_range(day)
    if as_json:
        echo_json(_as_json(items, first, last, today, dry_run, index.read_problems))
    else:
        click.echo(_agenda(items, first, last, dry_run, settings.owner.clock))
    # A session left without its note failed (1); the rest written, but a note
    # could not be read (named above): done, with problems (3).
    if any(i.action == "blocked" for i in items):
        click.get_current_context().exit(EXIT_FAILED)
    if index.read_problems:
        click.get_current_context().exit(EXIT_PROBLEMS)


def _deferral(after: dt.date, p: Planned) -> str:
    """Why a session's note waits, and when a run writes it."""
    since = after + dt.timedelta(days=1)
    by = p.occurrence.date
    when = f"on {by}" if since == by else f"from {since} to {by}"
    return f"written once the {after} session is past (run ppsj week {when})"


def _unfinished(vault: Vault, p: Planned) -> Carry | None:
    """The [>] marks a stopped run left undone in the note before ``p.existing``."""
    from ppsjournal.week import unfinished_carry

    if p.existing is None or p.previous is None:
        return None
    try:
        return unfinished_carry(
            p.existing, vault.read_bytes(p.existing), p.previous, vault.read_bytes(p.previous)
        )
    except PpsjError:
        return None  # a note that cannot be read: the index names it


def _read_carry(vault: Vault, rel: str) -> Carry:
    from ppsjournal.week import carry_forward

    # Fresh bytes: the index may come from a cache; these are what replace() compares.
    return carry_forward(rel, vault.read_bytes(rel))


def _write(vault: Vault, items: list[Item]) -> None:
    """Create the new notes and mark the old lines, refusing all if anything moved meanwhile."""
    from ppsjournal.app import check_unchanged, create_carried

    with vault.lock():
        # Checked before the first write, so a refusal leaves everything as it was.
        for item in items:
            if item.action == "write" and vault.exists(item.planned.path):
                raise PpsjError(
                    "a note of that name already exists; not overwritten", item.planned.path
                )
            check_unchanged(vault, item.carry)
        for item in items:
            if item.action == "exists":  # only the marks a stopped run left undone
                assert item.carry is not None
                vault.replace(item.carry.path, item.carry.old, item.carry.new)
                continue
            assert item.note is not None
            create_carried(vault, item.planned.path, item.note, item.carry)


def _agenda(items: list[Item], first: dt.date, last: dt.date, dry_run: bool, clock: str) -> str:
    from ppsjournal.dates import shown_time
    from ppsjournal.output import table
    from ppsjournal.week import day_label

    head = f"Sessions {day_label(first)} to {day_label(last)}: {len(items) or 'none'}"
    if not items:
        return head + " (no active series has a session in these days)"
    lines = [head, ""]
    lines.append(
        table(
            ["DAY", "TIME", "PARTNER", "WEEK", "OPEN", "OVERDUE", "REFERRAL BY"],
            [
                [
                    day_label(i.planned.occurrence.date),
                    shown_time(i.planned.occurrence.time, clock),
                    i.planned.partner.name,
                    f"{i.planned.occurrence.week} of {i.planned.occurrence.weeks}",
                    i.counts.open,
                    i.counts.overdue,
                    i.planned.partner.referral_expected,
                ]
                for i in items
            ],
        )
    )
    lines.append("")
    verb = "would write" if dry_run else "wrote"
    for i in items:
        if i.action == "exists":
            lines.append(f"exists       {i.planned.existing} (not touched)")
            if i.carry:
                n = len(i.carry.tasks)
                what = "follow-up" if n == 1 else "follow-ups"
                mark = "would mark" if dry_run else "marked"
                lines.append(
                    f"  {mark} [>] {n} {what} carried from {i.carry.path} "
                    "(a run stopped before marking them)"
                )
        elif i.action == "blocked":
            lines.append(f"not written  {i.planned.path}: {i.reason}")
        elif i.action == "deferred":
            day = i.planned.occurrence.date
            lines.append(f"deferred     {i.planned.partner.name} {day}: {i.reason}")
        else:
            n = len(i.carry.tasks) if i.carry else 0
            lines.append(f"{verb:<12} {i.planned.path}")
            if n and i.carry:
                what = "follow-up" if n == 1 else "follow-ups"
                mark = "would mark" if dry_run else "marked"
                lines.append(f"  carried {n} open {what} from {i.carry.path} ({mark} [>] there)")
    return "\n".join(lines)


def _as_json(
    items: list[Item], first: dt.date, last: dt.date, today: dt.date, dry_run: bool, problems: list
) -> dict[str, Any]:
    done = {
        "write": "would write" if dry_run else "written",
        "exists": "exists",
        "blocked": "blocked",
        "deferred": "deferred",
    }
    return {
        "from": first,
        "to": last,
        "today": today,
        "dry_run": dry_run,
        "sessions": [
            {
                "date": i.planned.occurrence.date,
                "time": i.planned.occurrence.time,
                "partner": i.planned.partner.name,
                "partner_note": i.planned.partner.path,
                "week": i.planned.occurrence.week,
                "weeks": i.planned.occurrence.weeks,
                "moved_from": (
                    i.planned.occurrence.slot_date if i.planned.occurrence.moved else None
                ),
                "note": i.planned.existing or i.planned.path,
                "action": done[i.action],
                "reason": i.reason,
                "waits_for": i.planned.waits_for if i.action == "deferred" else None,
                "previous": i.planned.previous,
                "open_followups": i.counts.open,
                "overdue": i.counts.overdue,
                "referral_expected": i.planned.partner.referral_expected,
                "carried_from": i.carry.path if i.carry and i.carry.tasks else None,
                "carried": list(i.carry.lines) if i.carry else [],
            }
            for i in items
        ],
        "problems": [str(p) for p in problems],
    }

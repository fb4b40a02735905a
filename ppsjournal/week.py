"""The week's session notes: which sessions, what each note holds, what is carried forward.

Pure functions of the index, the settings, a day and note bytes: the CLI reads
the old notes and writes the results through the vault.

Carrying forward is the bullet journal's migration. Each open task of the
partner's latest earlier session note is copied into the new note as written,
and in the old note only its status character changes, ``[ ]`` to ``[>]``: one
open copy at a time, the old note keeps the trace, no text is lost. Tasks are
found as the index finds them (``tasks.parse_tasks``: fenced code is no task),
so what ppsj counts as open is exactly what it carries.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from ppsjournal.answers import NUMBERS, Answer, remembered
from ppsjournal.errors import PpsjError
from ppsjournal.index import Index
from ppsjournal.layout import session_path
from ppsjournal.model import Lead, Partner, referrals_received
from ppsjournal.names import link_target, name_key, note_name
from ppsjournal.note import decode, parse_note
from ppsjournal.schedule import Occurrence, occurrences
from ppsjournal.settings import Settings
from ppsjournal.tasks import TAG_PATTERN, TASK_LINE, Task, parse_tasks, split_lines

DAYS = 7  # the week: the given day and the six after it
FORWARDED = ">"
OPEN_LEAD_STAGES = ("new", "contacted", "prequalified", "application")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Indentation as a task's (tasks.TASK_LINE): any white space, a no-break space too.
_LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])(?:\s|$)")


# -- which sessions ------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """One session of the week and the note it gets."""

    partner: Partner
    occurrence: Occurrence
    path: str  # Sessions/YYYY/YYYY-MM-DD Name.md
    existing: str | None  # the note already there for it (never overwritten), if any
    previous: str | None  # path of the partner's latest earlier session note
    carry_from: str | None  # the note to carry open tasks from (None: nothing to carry)
    # With no note yet: the day of the partner's session before it that is not
    # past; its note is written once that session is (None: written now).
    waits_for: dt.date | None = None

    @property
    def note_name(self) -> str:
        return note_name(self.path)


def day_label(day: dt.date) -> str:
    """``Fri 2026-12-04``, with English day names whatever the machine's locale."""
    return f"{_WEEKDAYS[day.weekday()][:3]} {day.isoformat()}"


def week_range(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the week that starts on ``day``."""
    return day, day + dt.timedelta(days=DAYS - 1)


def plan_week(index: Index, settings: Settings, day: dt.date, today: dt.date) -> list[Planned]:
    """Every session dated in the 7 days from ``day``, in date and time order.

    Only active partners with a series have sessions; skips, holidays and moves
    are the schedule's (a session moved into the week counts, one moved out
    does not). A session that already has a note (at its path, or any note of
    that partner on that date) is listed with it and left alone.

    A partner's session whose previous session (a note, or one of this week)
    is today or later waits (``waits_for``): written now, its note could not
    carry the follow-ups of that call. A run on a later day writes it.
    """
    first, last = week_range(day)
    found: list[tuple[Partner, Occurrence]] = []
    for partner in index.partners.values():
        if not partner.booked or partner.series is None:
            continue
        for occ in occurrences(partner.series, settings.sessions.holidays):
            if first <= occ.date <= last:
                found.append((partner, occ))
    found.sort(key=lambda po: (po[1].date, po[1].time, po[0].key))

    planned: list[Planned] = []
    written_now: dict[str, Planned] = {}  # partner key -> their last note planned in this run
    seen: dict[str, dt.date] = {}  # partner key -> the day of their last session listed
    for partner, occ in found:
        path = session_path(occ.date.isoformat(), partner.name)
        existing = _existing(index, partner, occ.date, path)
        before = index.latest_session_before(partner.name, occ.date)
        earlier_now = written_now.get(partner.key)
        if earlier_now is not None and (
            before is None or before.date < earlier_now.occurrence.date
        ):
            # A second session of this partner in a week of past days, after
            # one whose note this run writes: that note comes first, and its
            # follow-ups stay open in it.
            previous: str | None = earlier_now.path
            carry_from: str | None = None
        else:
            previous = before.path if before else None
            carry_from = previous
        prior = max(
            [d for d in (before.date if before else None, seen.get(partner.key)) if d is not None],
            default=None,
        )
        waits_for = prior if not existing and prior is not None and prior >= today else None
        p = Planned(
            partner,
            occ,
            path,
            existing,
            previous,
            None if existing or waits_for else carry_from,
            waits_for,
        )
        planned.append(p)
        seen[partner.key] = occ.date
        if not existing and not waits_for:
            written_now[partner.key] = p
    return planned


def _existing(index: Index, partner: Partner, day: dt.date, path: str) -> str | None:
    if path in index.entries:
        return path
    for s in index.sessions_of(partner.name):
        if s.date == day:
            return s.path
    return None


def unreadable_sessions(index: Index, planned: Planned) -> list[str]:
    """Unreadable notes that look like this partner's sessions between the previous and this one.

    Carrying past one of them would leave its open tasks behind, so the caller
    refuses to carry for this session until it is fixed.
    """
    since = _note_date(planned.previous) if planned.previous else None
    found = []
    for problem in index.problems:
        path = problem.where.split(":", 1)[0]
        day = _note_date(path)
        if day is None or not path.endswith(".md"):
            continue
        rest = note_name(path)[11:]
        if name_key(rest) != planned.partner.key:
            continue
        if (since is None or day > since) and day < planned.occurrence.date:
            found.append(path)
    return sorted(set(found))


def _note_date(path: str | None) -> dt.date | None:
    stem = note_name(path or "")
    try:
        return dt.date.fromisoformat(stem[:10]) if stem[10:11] == " " else None
    except ValueError:
        return None


# -- carrying forward ------------------------------------------------------------


@dataclass(frozen=True)
class Carry:
    """The open tasks taken from an old note, and that note's bytes with them marked ``[>]``."""

    path: str
    old: bytes
    new: bytes
    tasks: tuple[Task, ...]
    lines: tuple[str, ...]  # the lines the new note gets, in the old note's order


def check_carried(text: str, carry: Carry | None) -> None:
    """Refuse a note that leaves out a carried task: its old line becomes [>], so
    a template that forgets ``carried`` would make an open follow-up vanish (pure)."""
    if not carry or not carry.tasks:
        return
    lines = set(split_lines(text))
    missing = [line for line in carry.lines if line not in lines]
    if missing:
        raise PpsjError(
            f"the session template does not write the {len(missing)} open follow-up(s) "
            f"carried from {carry.path} (e.g. {missing[0].strip()!r}); nothing written: "
            "render each line of `carried` as it is (see docs/templates.md)",
            "Templates/session.md.j2",
        )


def carry_forward(path: str, data: bytes, only: Collection[str] | None = None) -> Carry:
    """Mark the open tasks of a note's bytes as carried; return them and the new bytes.

    Only the status character of each open task line changes; every other byte
    (line endings, a byte-order mark, text around the tasks) stays as it was.
    ``only``: just the tasks whose carried line is one of these lines.
    """
    text = decode(path, data)
    note = parse_note(path, text)
    tasks = [t for t in parse_tasks(path, note.body, note.body_line) if t.is_open]
    pieces = split_lines(note.body, keepends=True)
    lines = _carried_lines(note.body, pieces, tasks, note.body_line) if tasks else []
    if only is not None:
        kept = [(t, line) for t, line in zip(tasks, lines, strict=True) if line in only]
        tasks, lines = [t for t, _ in kept], [line for _, line in kept]
    if not tasks:
        return Carry(path, data, data, (), ())
    # Offsets in the text as parse_tasks counts lines (tasks.split_lines), so
    # an edit cannot land on another line than the one read.
    body_start = len(text) - len(note.body)
    starts: list[int] = []
    pos = body_start
    for piece in pieces:
        starts.append(pos)
        pos += len(piece)
    chars = list(text)
    for t in tasks:
        i = t.line - note.body_line
        if not 0 <= i < len(pieces) or not pieces[i].startswith(t.text):
            raise PpsjError("cannot find a task's line to mark it carried", f"{path}:{t.line}")
        m = TASK_LINE.match(t.text)
        assert m is not None  # parse_task matched this very line
        chars[starts[i] + m.start("status")] = FORWARDED
    bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
    new = (bom + "".join(chars)).encode("utf-8")
    return Carry(path, data, new, tuple(tasks), tuple(lines))


def reopen_carried(data: bytes) -> bytes:
    """A note's bytes with its ``[>]`` task lines open again (``[ ]``): the note as
    it was before ``week`` carried them on, for the tasks that were carried."""
    lines = data.splitlines(keepends=True)
    for i, line in enumerate(lines):
        m = TASK_LINE.match(line.rstrip(b"\r\n").decode("utf-8", "replace"))
        if m and m.group("status") == FORWARDED:
            at = line.index(b"[>]", len(m.group("indent").encode("utf-8")))
            lines[i] = line[:at] + b"[ ]" + line[at + 3 :]
    return b"".join(lines)


def unfinished_carry(path: str, data: bytes, previous: str, previous_data: bytes) -> Carry | None:
    """The marking a stopped ``ppsj week`` left undone, or None.

    ``week`` writes the new note first, then marks the carried lines ``[>]`` in
    the previous one; stopped in between (killed, a power cut), the follow-ups
    are open in both. When the note at ``path`` names ``previous`` as its
    previous note, the open tasks there whose carried line the note holds
    exactly are the copies: marking them finishes the carry. Any other line,
    typed since, stays as it is.
    """
    note = parse_note(path, decode(path, data))
    target = link_target(note.meta.get("previous"))
    if target is None or name_key(target) != name_key(note_name(previous)):
        return None
    carry = carry_forward(previous, previous_data, only=set(split_lines(note.body)))
    return carry if carry.tasks else None


def _width(indent: str) -> int:
    return len(indent.expandtabs(4))


def _carried_lines(body: str, pieces: list[str], tasks: list[Task], body_line: int) -> list[str]:
    """The open task lines as written; a subtask whose parent item is not carried is un-indented.

    A subtask copied with its indentation but without its parent would nest
    under whatever precedes it in the new note, or (four spaces after a
    heading) become a code block that no longer is a task. Its text is kept.
    """
    carried_at = {t.line - body_line: t for t in tasks}
    # For each line, the list item it belongs under: the nearest earlier list
    # item with less indentation, within the same list (a line with no
    # indentation that is no list item ends the list).
    new_indent: dict[int, str] = {}
    stack: list[tuple[int, int]] = []  # (width, line index) of the open list items
    out = []
    for i, piece in enumerate(pieces):
        line = piece.rstrip("\r\n")
        t = carried_at.get(i)
        if t is not None and ">" in t.indent:
            out.append(t.text)  # in a quote or callout: kept exactly as written
            continue
        m = _LIST_ITEM.match(line)
        if not m:
            if line.strip() and not line[:1].isspace():
                stack.clear()
            if t is not None:  # a task all the same: carried, un-indented, never dropped
                new_indent[i] = ""
                out.append(t.text[len(t.indent) :])
            continue
        width = _width(m.group(1))
        while stack and stack[-1][0] >= width:
            stack.pop()
        parent = stack[-1][1] if stack else None
        stack.append((width, i))
        if t is None:
            continue
        indent = t.indent
        if parent is not None and parent in new_indent:
            parent_indent = carried_at[parent].indent
            rest = indent[len(parent_indent) :] if indent.startswith(parent_indent) else indent
            new_indent[i] = new_indent[parent] + rest
        else:
            new_indent[i] = ""
        out.append(new_indent[i] + t.text[len(indent) :])
    return out


# -- the new note ------------------------------------------------------------------


def session_meta(p: Planned) -> dict[str, Any]:
    """The new note's properties, in the contract's order (render_note quotes the text ones)."""
    occ = p.occurrence
    meta: dict[str, Any] = {
        "type": "session",
        "partner": f"[[{p.partner.name}]]",
        "date": occ.date,
        "time": f"{occ.time:%H:%M}",
        "week": occ.week,
        "weeks": occ.weeks,
        "status": "planned",
    }
    if p.previous:
        meta["previous"] = f"[[{note_name(p.previous)}]]"
    return meta


@dataclass(frozen=True)
class Counts:
    open: int
    overdue: int


def followup_counts(index: Index, partner: str, today: dt.date) -> Counts:
    n_open, n_overdue = index.task_counts(today).get(name_key(partner), (0, 0))
    return Counts(n_open, n_overdue)


def _marked(description: str) -> str:
    """A description shown as context: tags as inline code, so Obsidian does not count them."""
    return TAG_PATTERN.sub(lambda m: f"`{m.group(1)}`", description)


def _task_data(t: Task, link: str, today: dt.date) -> dict[str, Any]:
    return {
        "line": t.text,
        "description": t.description,
        "text": _marked(t.description) or "(no description)",
        "status": t.status_char,
        "tags": list(t.tags),
        "due": t.due,
        "scheduled": t.scheduled,
        "overdue": t.is_overdue(today),
        "link": link,
    }


@dataclass
class Links:
    """Wiki-link targets for notes: the name, or the path where two notes share a name."""

    index: Index
    _targets: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._targets = self.index.targets  # the rule Follow-ups.md links by

    def __call__(self, path: str) -> str:
        return f"[[{self.target(path)}]]"

    def target(self, path: str) -> str:
        return self._targets.get(path, note_name(path))


def _lead_data(lead: Lead, links: Links) -> dict[str, Any]:
    return {
        "name": lead.name,
        "link": links(lead.path),
        "source": lead.source,
        "stage": lead.stage,
        "created": lead.created,
        "showing": lead.showing,
        "phone": lead.phone,
        "email": lead.email,
    }


def session_context(
    p: Planned,
    carry: Carry | None,
    index: Index,
    settings: Settings,
    today: dt.date,
    links: Links | None = None,
) -> dict[str, Any]:
    """What session.md.j2 receives: plain data only (dicts, lists, strings, numbers, dates)."""
    links = links or Links(index)
    partner, occ = p.partner, p.occurrence
    entry = index.entries.get(partner.path)  # not a scan of every task, once a session
    partner_tasks = [t for t in entry.tasks if t.is_open] if entry is not None else []
    all_leads = index.leads_of(partner.name)
    leads = sorted(
        (lead for lead in all_leads if lead.stage in OPEN_LEAD_STAGES and lead.direction == "in"),
        key=lambda lead: (lead.created or dt.date.min, name_key(lead.name)),
    )
    # The agenda's OVERDUE counts the partner's lead notes' tasks too: the note shows them.
    lead_paths = {lead.path for lead in all_leads}
    lead_tasks = [
        t
        for t in index.open_tasks_of(partner.name)
        if t.path in lead_paths and t.is_overdue(occ.date)
    ]
    referrals = referrals_received(partner, all_leads)
    counts = followup_counts(index, partner.name, today)
    series = partner.series
    carried = list(carry.tasks) if carry else []
    return {
        "session": {
            "date": occ.date,
            "weekday": _WEEKDAYS[occ.date.weekday()],
            "time": f"{occ.time:%H:%M}",
            "week": occ.week,
            "weeks": occ.weeks,
            "moved": occ.moved,
            "original_date": occ.slot_date,
            "length": settings.sessions.length,
            "note": p.note_name,
            "path": p.path,
            "previous": note_name(p.previous) if p.previous else None,
            "previous_link": f"[[{note_name(p.previous)}]]" if p.previous else None,
            "next_week": occ.date + dt.timedelta(days=7),
        },
        "partner": {
            "name": partner.name,
            "link": links(partner.path),
            "path": partner.path,
            "email": partner.email,
            "phone": partner.phone,
            "company": partner.company,
            "status": partner.status,
            "committed": partner.committed,
            "referral_expected": partner.referral_expected,
            "referral_passed": partner.referral_expected is not None
            and partner.referral_expected < today,
            "pps_time": f"{series.time:%H:%M}" if series else None,
            "pps_start": series.start if series else None,
            "pps_weeks": series.weeks if series else None,
            "pps_end": series.end if series else None,
            "open_followups": counts.open,
            "overdue": counts.overdue,
        },
        "carried": [
            {**_task_data(t, f"[[{note_name(carry.path)}]]", today), "line": line}
            for t, line in zip(carried, carry.lines, strict=True)
        ]
        if carry
        else [],
        "carried_from": f"[[{note_name(carry.path)}]]" if carry and carry.tasks else None,
        "partner_followups": [_task_data(t, links(partner.path), today) for t in partner_tasks],
        "last_answers": {
            n: _last_answer(a, links) if a is not None else None
            for n, a in index.last_answers(partner.name, occ.date, NUMBERS).items()
        },
        "leads": [_lead_data(lead, links) for lead in leads],
        "lead_followups": [_task_data(t, links(t.path), occ.date) for t in lead_tasks],
        "referrals": [_lead_data(lead, links) for lead in referrals],
        "owner": {
            "name": settings.owner.name,
            "email": settings.owner.email,
            "timezone": settings.owner.timezone,
        },
        "clock": settings.owner.clock,
        "today": today,
    }


def _last_answer(a: Answer, links: Links) -> dict[str, Any]:
    return {
        "date": a.date,
        "note": note_name(a.path),
        "link": links(a.path),
        "text": a.text,
        "quote": remembered(a.date, links.target(a.path), a.text),
    }


# -- recording a session (ppsj held, ppsj missed) ---------------------------------


@dataclass(frozen=True)
class SessionDay:
    """A partner's session of one day: its note, or the Planned one to write."""

    day: dt.date
    existing: str | None  # the session note of that day, if there is one
    planned: Planned | None  # with no note yet: the session to write it for


def find_session(
    index: Index, settings: Settings, partner: Partner, day: dt.date | None, today: dt.date
) -> SessionDay:
    """The partner's session of ``day`` (default: the latest on or before today).

    A session note of that day counts whatever the series says; else the
    series' occurrence of that day (skips, moves and holidays applied), whose
    note is to be written, carrying the open tasks of the partner's previous
    note when no later note exists. PpsjError when there is neither, or when
    the day is after today (a session is held or missed once it has happened).
    """
    if day is not None and day > today:
        raise PpsjError(
            f"{partner.name}'s session on {day.isoformat()} is still ahead "
            f"(today is {today.isoformat()}); to call it off, use 'ppsj skip'"
        )
    notes = {s.date: s.path for s in index.sessions_of(partner.name)}
    occs = {}
    if partner.series is not None:
        occs = {o.date: o for o in occurrences(partner.series, settings.sessions.holidays)}
    if day is None:
        past = [d for d in (*notes, *occs) if d <= today]
        if not past:
            raise PpsjError(f"{partner.name} has no session on or before {today.isoformat()}")
        day = max(past)
    if day in notes:
        return SessionDay(day, notes[day], None)
    occ = occs.get(day)
    if occ is None:
        raise PpsjError(f"{partner.name} has no session on {day.isoformat()}")
    before = index.latest_session_before(partner.name, day)
    previous = before.path if before else None
    # Carried as ``week`` would (the session before is past: this one is), into
    # the partner's latest note (with a later one, they stay open where they are).
    latest = all(s.date < day for s in index.sessions_of(partner.name))
    carry_from = previous if latest else None
    path = session_path(day.isoformat(), partner.name)
    return SessionDay(day, None, Planned(partner, occ, path, None, previous, carry_from))


def append_note(text: str, note: str) -> str:
    """``text`` with ``note`` added as a paragraph at its end, in the text's line ends."""
    end = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith("\n"):
        text += end
    return f"{text}{end}{note}{end}"

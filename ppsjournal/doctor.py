"""``ppsj doctor``: everything in the vault that ppsj cannot use, one finding per line.

Pure: the findings are a function of the index and the settings. Unlike the
other commands, which stop at the first bad property of a note, the doctor
checks every property of every partner, session and lead note, so one run
shows all there is to fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ppsjournal.dates import shown_time
from ppsjournal.errors import PpsjError
from ppsjournal.index import Entry, Index, Problem
from ppsjournal.layout import LEADS, LEDGER, PARTNERS, SESSIONS, TEMPLATES
from ppsjournal.ledger import Spend
from ppsjournal.names import check_name, link_target, name_key, note_name
from ppsjournal.note import CONFLICT_MESSAGE
from ppsjournal.properties import KINDS
from ppsjournal.schedule import occurrences
from ppsjournal.settings import Settings


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int  # 0: the note as a whole
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


FOLDER_TYPES = {PARTNERS: "partner", SESSIONS: "session", LEADS: "lead"}
# Keys on which doctor has advice beyond what the model refuses (an unquoted time).
ADVISED = tuple(sorted({p.key for kind in KINDS.values() for p in kind.props if p.advice}))


def property_findings(entry: Entry) -> list[Finding]:
    """Every missing or mistyped property of a partner, session or lead note,
    by the declarations the model reads them with (properties.py)."""
    kind = entry.meta.get("type")
    # A type that is no text (a list, say) is no type ppsj knows: _folder_types says so.
    declared = KINDS.get(kind) if isinstance(kind, str) else None
    if declared is None:
        return []
    return [Finding(entry.path, 0, problem) for problem in declared.problems(entry.meta)]


# -- the checks -------------------------------------------------------------------


def _split_where(where: str) -> tuple[str, int]:
    path, _, rest = where.partition(":")
    return path, int(rest) if rest.isdigit() else 0


def _note_findings(index: Index) -> Iterator[Finding]:
    """What each note says about itself, in one pass over the notes the store
    finds suspect (any other was read cleanly by the model; tasks left out):
    unreadable notes, bad properties, conflict markers, a folder's notes of
    another type, names ppsj would refuse, and links to no partner or note."""
    described: set[str] = set()  # notes whose property checks said it, key by key
    for entry in index.suspects(FOLDER_TYPES, ADVISED):
        if not entry.error:
            found = property_findings(entry)
            if found:
                described.add(entry.path)
                yield from found
        if isinstance(entry.meta.get("type"), str) and entry.meta["type"] in KINDS:
            for line, key, first in entry.twice:
                yield Finding(
                    entry.path,
                    line,
                    f"property {key!r} is written twice (also on line {first}); keep one line",
                )
        if entry.conflict_line:
            yield Finding(
                entry.path,
                entry.conflict_line,
                CONFLICT_MESSAGE,
            )
        yield from _folder_type(entry)
        yield from _bad_name(entry)
        yield from _links(index, entry)
    for problem in index.problems:
        path, line = _split_where(problem.where)
        if path not in described:
            yield Finding(path, line, problem.message)


def _folder_type(entry: Entry) -> Iterator[Finding]:
    expected = FOLDER_TYPES.get(entry.path.split("/", 1)[0])
    if expected and not entry.error and entry.meta.get("type") != expected:
        got = entry.meta.get("type")
        yield Finding(
            entry.path,
            0,
            f"in {entry.path.split('/', 1)[0]}/ but "
            + (f"its type is {got!r}" if got else "it has no 'type' property")
            + f"; ppsj reads it only with 'type: {expected}'",
        )


def _links(index: Index, entry: Entry) -> Iterator[Finding]:
    """partner: links to partners that do not exist; previous: links to no note."""
    kind = entry.meta.get("type")
    if entry.error or kind not in ("session", "lead"):
        return
    target = link_target(entry.meta.get("partner"))
    if target is not None and name_key(target) not in index.partners:
        notes = index.notes_named(target)
        broken = [path for path, error in notes if error]
        if broken:
            why = f"its note {broken[0]} cannot be read"
        elif notes:
            why = f"{notes[0][0]} is not a partner note (no 'type: partner')"
        else:
            why = f"there is no partner note {PARTNERS}/{target}.md"
        what = "session of an unknown partner" if kind == "session" else "unknown partner"
        yield Finding(entry.path, 0, f"{what} [[{target}]]: {why}")
    previous = link_target(entry.meta.get("previous")) if kind == "session" else None
    if previous is not None and not index.notes_named(previous):
        yield Finding(entry.path, 0, f"'previous' links [[{previous}]], which is no note")


def _bad_name(entry: Entry) -> Iterator[Finding]:
    """A lead note whose name ppsj would refuse to create (from git, say). A
    partner's is a problem of the index (index.check_partner_name): it is left out."""
    if entry.error or entry.meta.get("type") != "lead":
        return
    try:
        check_name(entry.name, "lead name")
    except PpsjError as exc:
        yield Finding(entry.path, 0, f"{exc.message}; rename the note")


def _shared_names(index: Index) -> Iterator[Finding]:
    """A lead named as a partner is: every [[Name]] link to one may open the other."""
    for lead, partner in index.leads_named_as_partners():
        yield Finding(
            lead,
            0,
            f"has the name of the partner note {partner}, so a link [[{note_name(lead)}]] "
            "is ambiguous; rename the lead note (e.g. add a middle initial)",
        )


def _double_booked(index: Index, settings: Settings) -> Iterator[Finding]:
    """Two active series whose sessions overlap in some week (skips, moves, holidays counted).

    Each series' sessions are laid out once and compared day by day, in start
    order: 200 active series made 20,000 pairs, each laid out again.
    """
    booked = sorted(
        (p for p in index.partners.values() if p.booked and p.series), key=lambda p: p.key
    )
    length, clock = settings.sessions.length, settings.owner.clock
    mine = [
        [(o.date, o.time) for o in occurrences(p.series, settings.sessions.holidays)]  # type: ignore[arg-type]
        for p in booked
    ]
    by_day: dict[dt.date, list[tuple[int, int, dt.time]]] = {}  # (start minute, series, time)
    for i, sessions in enumerate(mine):
        for day, time in sessions:
            by_day.setdefault(day, []).append((time.hour * 60 + time.minute, i, time))
    clashes: dict[tuple[int, int], list[tuple[dt.date, dt.time]]] = {}  # (a, b) -> b's sessions
    for day, starts in by_day.items():
        starts.sort()
        for x, (start, i, time_i) in enumerate(starts):
            for other, j, time_j in starts[x + 1 :]:
                if other >= start + length:
                    break
                if i != j:  # one series twice on a day is _same_day's
                    lo, hi, time_hi = (i, j, time_j) if i < j else (j, i, time_i)
                    clashes.setdefault((lo, hi), []).append((day, time_hi))
    for (ia, ib), found in sorted(clashes.items()):
        a, b = booked[ia], booked[ib]
        first_day, first_time = min(found)
        own = next(t for d, t in mine[ia] if d == first_day and _overlap(t, first_time, settings))
        more = f" and {len(found) - 1} more" if len(found) > 1 else ""
        yield Finding(
            a.path,
            0,
            f"double-booked: {a.name} ({shown_time(own, clock)}) and "
            f"{b.name} ({shown_time(first_time, clock)}, "
            f"{b.path}) overlap on {first_day.isoformat()}{more}; "
            f"move or skip one (ppsj move / ppsj skip)",
        )


def _same_day(index: Index, settings: Settings) -> Iterator[Finding]:
    """Two sessions of one series on one day: they would need one note between them."""
    for p in sorted(index.partners.values(), key=lambda p: p.key):
        if p.series is None:
            continue
        days: dict[dt.date, int] = {}
        for o in occurrences(p.series, settings.sessions.holidays):
            days[o.date] = days.get(o.date, 0) + 1
        twice = sorted(d for d, n in days.items() if n > 1)
        if twice:
            yield Finding(
                p.path,
                0,
                f"two sessions of {p.name} on {twice[0].isoformat()} (pps_moved); a session "
                "note is named by its day, so move one (ppsj move)",
            )


def _overlap(x: dt.time, y: dt.time, settings: Settings) -> bool:
    a, b = x.hour * 60 + x.minute, y.hour * 60 + y.minute
    return a < b + settings.sessions.length and b < a + settings.sessions.length


def _task_dates(index: Index) -> Iterator[Finding]:
    for task in index.tasks_with_problems():
        if task.path.startswith(f"{TEMPLATES}/"):
            continue  # Obsidian templates hold placeholders such as 📅 {{date}}, not dates
        for problem in task.problems:
            yield Finding(task.path, task.line, problem)


def _open_twice(index: Index) -> Iterator[Finding]:
    """A follow-up open in a session note and in the previous one it was carried
    from (a ``ppsj week`` stopped between writing the new note and marking the
    old lines [>]): both count as open, and each would be carried on."""
    pairs = index.carried_pairs()  # (previous note, the note carried to), both with open tasks
    if not pairs:
        return
    open_lines: dict[str, dict[str, int]] = {}  # path -> task line as written -> line number
    for task in index.open_tasks({p for pair in pairs for p in pair}):
        open_lines.setdefault(task.path, {}).setdefault(task.text.strip(), task.line)
    for old, new in pairs:
        carried = open_lines.get(new, {})
        for text, line in open_lines.get(old, {}).items():
            if text in carried:
                yield Finding(
                    old,
                    line,
                    f"follow-up open twice: carried to {new} (line {carried[text]}) but "
                    "still open here; mark it [>] here (ppsj week does, rerun for that week)",
                )


def ledger_findings(
    index: Index, spends: Sequence[Spend], problems: Sequence[Problem]
) -> list[Finding]:
    """The co-marketing ledger's lines that do not read, and spends for no partner."""
    found = [Finding(*_split_where(p.where), p.message) for p in problems]
    for spend in spends:
        if name_key(spend.partner) not in index.partners:
            found.append(
                Finding(
                    LEDGER,
                    spend.line,
                    f"ledger line: no partner named {spend.partner!r}; "
                    "the report leaves this spend out",
                )
            )
    return found


def _twins(index: Index) -> Iterator[Finding]:
    """Notes whose paths differ only in case or in Unicode form (NFC and NFD, as
    macOS writes names): one file on macOS and Windows, so a sync through either
    keeps one of them, and a link may open either."""
    first: dict[str, str] = {}
    for path in index.paths:
        key = name_key(path)
        if key in first:
            yield Finding(
                path,
                0,
                f"the same name as {first[key]} but for case or accents (a sync from "
                "macOS or Windows?); keep one note: move this one's text into it",
            )
        else:
            first[key] = path


def findings(index: Index, settings: Settings) -> list[Finding]:
    """Every finding in the vault, by path, then line, then message; no duplicates."""
    every = [
        *_note_findings(index),
        *_shared_names(index),
        *_double_booked(index, settings),
        *_same_day(index, settings),
        *_task_dates(index),
        *_open_twice(index),
        *_twins(index),
    ]
    return sorted(set(every))

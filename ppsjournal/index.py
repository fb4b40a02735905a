"""The index: what each note contributes (its entry), and the vault as the
commands see it (``Index``), answered by the store's queries.

``parse_entry`` and ``classify`` are pure: the store runs them on the notes
that changed and keeps their results as rows. ``Index`` is what features
take: every member is complete (all the partners, all the leads, every task
of a partner), read from the store only when first asked for, so a command
costs what its answer costs and no caller chooses a "lean" or "full" index.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, TypeVar

from ppsjournal.answers import Answer
from ppsjournal.errors import PpsjError
from ppsjournal.model import (
    Lead,
    Partner,
    SessionNote,
    lead_from_note,
    partner_from_note,
    session_from_note,
)
from ppsjournal.names import check_name, name_key, note_name, same_name
from ppsjournal.note import Note, conflict_line, decode, parse_note
from ppsjournal.tasks import Task, parse_tasks

CONFLICT_MARKERS = ("<<<<<<< ", "=======", ">>>>>>> ")
KINDS = ("partner", "session", "lead")  # the ``type`` values the index classifies


@dataclass(frozen=True)
class Problem:
    where: str  # "path" or "path:line"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    @classmethod
    def of(cls, exc: PpsjError) -> Problem:
        return cls(exc.where or "", exc.message)


@dataclass(frozen=True)
class Entry:
    """What one note contributes to the index (no body: the index stays small)."""

    path: str
    meta: dict[str, Any] = field(default_factory=dict)
    tasks: tuple[Task, ...] = ()
    error: Problem | None = None
    conflict_line: int | None = None  # first git conflict marker, if any
    twice: tuple[tuple[int, str, int], ...] = ()  # keys written twice (see Note.twice)

    @property
    def name(self) -> str:
        return note_name(self.path)


def parse_entry(rel: str, data: bytes) -> tuple[Entry, str]:
    """One note's entry, and its body ("" when it cannot be read)."""
    try:
        text = decode(rel, data)
    except PpsjError as exc:
        return Entry(rel, error=Problem.of(exc)), ""
    conflict = conflict_line(text)
    try:
        note = parse_note(rel, text)
    except PpsjError as exc:
        return Entry(rel, error=Problem.of(exc), conflict_line=conflict), ""
    if conflict is not None and conflict < note.body_line:
        # Markers inside a value that still parses (a quoted text over lines):
        # read, they would be copied into the calendars.
        problem = Problem(f"{rel}:{conflict}", "properties not read until the merge is finished")
        return Entry(rel, error=problem, conflict_line=conflict), ""
    tasks = tuple(parse_tasks(rel, note.body, note.body_line))
    return Entry(rel, note.meta, tasks, None, conflict, note.twice), note.body


def entry_from_bytes(rel: str, data: bytes) -> Entry:
    """Parse one note's bytes into its entry; a bad note becomes an entry with an error."""
    return parse_entry(rel, data)[0]


Classified = Partner | SessionNote | Lead | Problem | None


def check_partner_name(entry: Entry) -> None:
    """Refuse a partner note whose name ``ppsj add`` would refuse (names.check_name)."""
    try:
        check_name(entry.name, "partner name")
    except PpsjError as exc:
        raise PpsjError(
            f"{exc.message}; rename the note (left out until then)", entry.path
        ) from None


def classify(entry: Entry) -> Classified:
    """What one entry is by itself, by its ``type`` property (pure): a partner, a
    session or a lead, the problem that keeps it out, or None (another kind of note)."""
    if entry.error:
        return entry.error
    kind = entry.meta.get("type")
    if kind not in KINDS:
        return None
    note = Note(entry.path, entry.meta, "", 1, True)
    try:
        if kind == "partner":
            # A partner's name becomes file names (session notes, Calendar/<name>.ics):
            # a name ppsj would refuse to create is named and left out, never served.
            check_partner_name(entry)
            return partner_from_note(note)
        if kind == "session":
            return session_from_note(note)
        return lead_from_note(note)
    except PpsjError as exc:
        return Problem.of(exc)


class Source(Protocol):
    """The queries ``Index`` asks (the store answers them)."""

    walk_errors: list[tuple[str, str]]

    def count(self) -> int: ...
    def paths(self) -> list[str]: ...
    def has(self, path: str) -> bool: ...
    def shares_name(self, path: str) -> bool | None: ...
    def entry(self, path: str) -> Entry | None: ...
    def entries(self) -> list[Entry]: ...
    def notes(self) -> Iterator[Entry]: ...
    def suspects(
        self, folder_types: Mapping[str, str], advised: Sequence[str]
    ) -> Iterator[Entry]: ...
    def session_marks(self) -> list[tuple[str, dt.date, str, str]]: ...
    def carried_pairs(self) -> list[tuple[str, str]]: ...
    def notes_named(self, name: str) -> list[tuple[str, bool]]: ...
    def leads_named_as_partners(self) -> list[tuple[str, str]]: ...
    def classified(
        self,
        kind: str,
        partner_key: str | None = None,
        status: Sequence[str] | None = None,
        day_before: dt.date | None = None,
        changed_in: tuple[dt.date, dt.date] | None = None,
        or_status: Sequence[str] = (),
    ) -> list[Any]: ...
    def problems(self) -> list[Problem]: ...
    def conflicts(self) -> list[Problem]: ...
    def second_notes(self) -> list[Problem]: ...
    def owner(self, path: str) -> tuple[str, str] | None: ...
    def tasks(
        self,
        *,
        state: str | None = None,
        due_before: dt.date | None = None,
        due_from: dt.date | None = None,
        dated: bool = False,
        with_problems: bool = False,
        partner_key: str | None = None,
        paths: Iterable[str] | None = None,
        tag: str | None = None,
        newest: int | None = None,
    ) -> list[Task]: ...
    def need_lines(self, live_since: dt.date) -> list[tuple[str, NeedLine]]: ...
    def about(self, paths: Iterable[str]) -> dict[str, tuple[str | None, str | None, bool]]: ...
    def count_tasks(self, *, state: str, due_before: dt.date) -> int: ...
    def open_task_counts(self, today: dt.date) -> dict[str, tuple[int, int]]: ...
    def answers(
        self,
        partner_key: str,
        numbers: Collection[int] | None = None,
        since: dt.date | None = None,
        before: dt.date | None = None,
    ) -> list[tuple[str, str, int, str]]: ...
    def search(
        self, text: str, partner_key: str | None = None, limit: int = -1
    ) -> list[tuple[str, str, str, int, str, str]]: ...
    def search_tasks(
        self, text: str, partner_key: str | None = None
    ) -> list[tuple[str, str | None, str | None, Task]]: ...


V = TypeVar("V")


class _ByPath(Mapping[str, V]):
    """Something of every note, by path, looked up in the store one path at a time."""

    def __init__(self, source: Source) -> None:
        self._source = source

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self._source.has(path)

    def __iter__(self) -> Iterator[str]:
        return iter(self._source.paths())

    def __len__(self) -> int:
        return self._source.count()


class Entries(_ByPath[Entry]):
    """Every note's entry by path, read one at a time (or all, for ``doctor``)."""

    def __getitem__(self, path: str) -> Entry:
        found = self._source.entry(path)
        if found is None:
            raise KeyError(path)
        return found

    def values(self) -> list[Entry]:  # type: ignore[override]
        return self._source.entries()


class Targets(_ByPath[str]):
    """Each note's path -> the target a wiki-link uses for it.

    The file name, as Obsidian links it; where two notes share a name
    (``Partners/Sam Lee.md`` and ``Leads/Sam Lee.md``) the path, without
    ``.md``, so that the link cannot land on the wrong one. Looked up one
    path at a time: an output links a few hundred of 100,000 notes.
    """

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.known: dict[str, bool] = {}  # path -> shares its name (Index.prefetch)

    def __getitem__(self, path: str) -> str:
        shared = self.known.get(path)
        if shared is None:
            shared = self._source.shares_name(path)
        if shared is None:
            raise KeyError(path)
        return path[:-3] if shared else note_name(path)


class SessionMark(NamedTuple):
    date: dt.date
    status: str
    path: str = ""


class NeedLine(NamedTuple):
    """A ``#need`` line as needs.py follows it, read without decoding its task."""

    path: str
    line: int
    status: str  # as Task.status
    description: str  # as Task.description
    created: dt.date | None
    done: dt.date | None


class Index:
    """The vault as the commands see it: partners, sessions, leads, tasks and
    problems, each read from the store when first asked for."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.entries = Entries(source)
        self.targets = Targets(source)

    # -- the notes that read as partners, sessions and leads ---------------------

    @functools.cached_property
    def partners(self) -> dict[str, Partner]:
        """Every partner, by ``name_key`` (the first note by path, if two share a
        name: the others are problems, ``Source.second_notes``)."""
        found: dict[str, Partner] = {}
        for p in self.source.classified("partner"):
            found.setdefault(p.key, p)
        return found

    @functools.cached_property
    def leads(self) -> dict[str, Lead]:
        """Every lead, by ``name_key`` (the first note by path, as for partners)."""
        found: dict[str, Lead] = {}
        for lead in self.source.classified("lead"):
            found.setdefault(name_key(lead.name), lead)
        return found

    def planned_sessions(self) -> list[SessionNote]:
        """The session notes still ``planned``, by date, time and partner."""
        return _by_date(self.source.classified("session", status=("planned",)))

    def sessions_of(self, partner: str) -> list[SessionNote]:
        return _by_date(self.source.classified("session", partner_key=name_key(partner)))

    def leads_of(self, partner: str) -> list[Lead]:
        """A partner's leads, by path (one query a partner)."""
        key = name_key(partner)
        if key not in self._leads_of:
            found = self.source.classified("lead", partner_key=key)
            self._leads_of[key] = _first_of_each_name(found)
        return list(self._leads_of[key])

    @functools.cached_property
    def _leads_of(self) -> dict[str, list[Lead]]:
        return {}

    def leads_changed_in(
        self, first: dt.date, last: dt.date, stages: Sequence[str]
    ) -> dict[str, list[Lead]]:
        """Every partner's leads (by partner key, each's by path, as ``leads_of``)
        created or whose stage changed between ``first`` and ``last``, or now at
        one of ``stages``: what a report of that period counts, in one query."""
        found: dict[str, list[Lead]] = {}
        for lead in self.source.classified("lead", changed_in=(first, last), or_status=stages):
            found.setdefault(name_key(lead.partner), []).append(lead)
        return {key: _first_of_each_name(leads) for key, leads in found.items()}

    def leads_at(self, stages: Sequence[str], showing_before: dt.date | None = None) -> list[Lead]:
        """The leads at one of these stages (with a showing before a day), by path."""
        found = self.source.classified("lead", status=stages, day_before=showing_before)
        return _first_of_each_name(found)

    def session_marks(self, partner: str) -> list[SessionMark]:
        """(date, status, path) of a partner's session notes, by date: what a
        scorecard counts, read for every partner in one query, no note decoded."""
        return list(self._marks.get(name_key(partner), ()))

    @functools.cached_property
    def _marks(self) -> dict[str, list[SessionMark]]:
        found: dict[str, list[SessionMark]] = {}
        for key, day, status, path in self.source.session_marks():
            found.setdefault(key, []).append(SessionMark(day, status, path))
        return found

    def latest_session_before(self, partner: str, day: dt.date) -> SessionNote | None:
        earlier = [s for s in self.sessions_of(partner) if s.date < day]
        return earlier[-1] if earlier else None

    def partner(self, name: str) -> Partner:
        try:
            return self.partners[name_key(name)]
        except KeyError:
            raise PpsjError(f"no partner named {name!r} (see 'ppsj partners')") from None

    def lead(self, name: str) -> Lead:
        try:
            return self.leads[name_key(name)]
        except KeyError:
            raise PpsjError(f"no lead named {name!r}") from None

    def namesake(self, name: str, kind: str) -> Any:
        """The ``kind`` ("partner" or "lead") that ``name`` is, as names are typed:
        the same name, else the same case and accents aside (``jose nunez`` is
        José Núñez); None if there is none. What a new note must not double."""
        notes: Mapping[str, Any] = self.partners if kind == "partner" else self.leads
        found = notes.get(name_key(name))
        if found is None:
            same = same_name(name, [n.name for n in notes.values()])
            found = notes.get(name_key(same)) if same is not None else None
        return found

    def check_new_name(self, name: str, kind: str) -> None:
        """Refuse a new ``kind`` ("partner" or "lead") note named as a note of the
        other kind: one name, two notes, and every [[Name]] link is ambiguous."""
        other = "lead" if kind == "partner" else "partner"
        namesake = self.namesake(name, other)
        if namesake is not None:
            raise PpsjError(
                f"{namesake.name} is a {other} ({namesake.path}); give the {kind} another "
                "name (e.g. with a middle initial) so links to each stay clear"
            )

    def booked(self, exclude: str | None = None) -> list:
        """Series that hold slots, optionally leaving one partner out."""
        skip = name_key(exclude) if exclude else None
        return [p.series for p in self.partners.values() if p.booked and p.key != skip and p.series]

    # -- tasks ----------------------------------------------------------------------

    @functools.cached_property
    def tasks(self) -> list[Task]:
        """Every task of the vault, by note path and line (decodes every note's
        tasks: no command needs them all; ask for open, overdue or a partner's)."""
        return self.source.tasks()

    def open_tasks(self, paths: Iterable[str] | None = None) -> list[Task]:
        """Every open task of the vault (or of these notes), by note path and line."""
        return self.source.tasks(state="open", paths=paths)

    def carried_pairs(self) -> list[tuple[str, str]]:
        """(previous session note, the one carried to) where both hold open tasks."""
        return self.source.carried_pairs()

    def open_tasks_of(self, partner: str, tag: str | None = None) -> list[Task]:
        """A partner's open tasks (in their notes, sessions and leads), by path and
        line; with ``tag``, those tagged so (or below it, as Task.has_tag)."""
        return self.source.tasks(state="open", partner_key=name_key(partner), tag=tag)

    def need_lines(self, partner: str, live_since: dt.date) -> list[NeedLine]:
        """A partner's ``#need`` lines in every state (open, done, cancelled,
        carried forward), by path and line, less those done or cancelled that a
        period from ``live_since`` cannot count (``Store.need_lines``); every
        partner's are read in one query."""
        if live_since not in self._needs:
            found: dict[str, list[NeedLine]] = {}
            for key, need in self.source.need_lines(live_since):
                found.setdefault(key, []).append(need)
            self._needs[live_since] = found
        return list(self._needs[live_since].get(name_key(partner), ()))

    @functools.cached_property
    def _needs(self) -> dict[dt.date, dict[str, list[NeedLine]]]:
        return {}

    def prefetch(self, paths: Iterable[str]) -> None:
        """Read the owner and link target of these notes at once, for a long list."""
        for path, (key, partner, shared) in self.source.about(paths).items():
            self._owners[path] = (key, partner or "") if key is not None else None
            self.targets.known[path] = shared

    def overdue(self, today: dt.date, newest: int | None = None) -> list[Task]:
        """Open tasks due before today, oldest due first (then by note path and line).

        ``newest``: only the N most recently due of them.
        """
        found = self.source.tasks(state="open", due_before=today, newest=newest)
        return sorted(found, key=_task_order)

    def count_overdue(self, today: dt.date) -> int:
        return self.source.count_tasks(state="open", due_before=today)

    def due_between(self, first: dt.date, end: dt.date) -> list[Task]:
        """Open tasks due on ``first`` or later and before ``end``, soonest first."""
        found = self.source.tasks(state="open", due_from=first)
        return sorted((t for t in found if t.due is not None and t.due < end), key=_task_order)

    def tasks_with_problems(self) -> list[Task]:
        return self.source.tasks(with_problems=True)

    def task_counts(self, today: dt.date) -> dict[str, tuple[int, int]]:
        """partner key -> (open, overdue) tasks in their notes (one query a day)."""
        if today not in self._counts:
            self._counts[today] = self.source.open_task_counts(today)
        return self._counts[today]

    @functools.cached_property
    def _counts(self) -> dict[dt.date, dict[str, tuple[int, int]]]:
        return {}

    def partner_of_task(self, task: Task) -> str | None:
        """The name of the partner whose note (or session or lead note) holds ``task``."""
        return self.partner_of_note(task.path)

    def partner_of_note(self, path: str) -> str | None:
        if path not in self._owners:
            self._owners[path] = self.source.owner(path)
        owner = self._owners[path]
        if owner is None:
            return None
        p = self.partners.get(owner[0])
        return p.name if p is not None else owner[1]

    @functools.cached_property
    def _owners(self) -> dict[str, tuple[str, str] | None]:
        return {}

    # -- answers ---------------------------------------------------------------------------

    def answers_of(
        self,
        partner: str,
        numbers: Collection[int] | None = None,
        since: dt.date | None = None,
        before: dt.date | None = None,
    ) -> list[Answer]:
        """A partner's non-empty answers in their session notes, newest first
        (``since``: on or after that day; ``before``: before it)."""
        rows = self.source.answers(name_key(partner), numbers, since, before)
        return [Answer(dt.date.fromisoformat(d), p, n, t) for p, d, n, t in rows]

    def last_answers(
        self, partner: str, before: dt.date, numbers: Collection[int]
    ) -> dict[int, Answer | None]:
        """Question number -> the partner's latest non-empty answer to it in a
        session note dated before ``before`` (None: never answered): what the
        next note remembers."""
        last: dict[int, Answer | None] = dict.fromkeys(sorted(numbers))
        for a in self.answers_of(partner, numbers, before=before):
            if last.get(a.number) is None:  # newest first: the first is the last given
                last[a.number] = a
        return last

    def search_answers(self, text: str, partner: str | None = None) -> list[Answer]:
        """The non-empty answers holding every word of ``text``, newest first."""
        key = name_key(partner) if partner is not None else None
        return [
            Answer(dt.date.fromisoformat(d), p, n, t, who)
            for p, d, who, n, _, t in self.source.search(text, key)
        ]

    def search_tasks(
        self, text: str, partner: str | None = None
    ) -> list[tuple[dt.date | None, str | None, Task]]:
        """(session day, partner as written, task) of the tasks whose line holds
        every word of ``text``, any case, by note path and line."""
        key = name_key(partner) if partner is not None else None
        return [
            (dt.date.fromisoformat(d) if d else None, who, t)
            for _, d, who, t in self.source.search_tasks(text, key)
        ]

    # -- every note ----------------------------------------------------------------------

    def notes(self) -> Iterator[Entry]:
        """Every note's entry without its tasks, in path order, read as iterated."""
        return self.source.notes()

    def suspects(self, folder_types: Mapping[str, str], advised: Sequence[str]) -> Iterator[Entry]:
        """The notes doctor must look at (``Store.suspects``), without their tasks."""
        return self.source.suspects(folder_types, advised)

    def notes_named(self, name: str) -> list[tuple[str, bool]]:
        """(path, cannot be read) of every note of that name."""
        return self.source.notes_named(name)

    def leads_named_as_partners(self) -> list[tuple[str, str]]:
        """(lead note, partner note) of each name a lead and a partner share."""
        return self.source.leads_named_as_partners()

    # -- problems and paths ------------------------------------------------------------

    @functools.cached_property
    def problems(self) -> list[Problem]:
        """Every problem: notes that cannot be read or do not classify, second notes
        of one partner or lead, and folders that could not be read."""
        found = [*self.source.problems(), *self.source.second_notes()]
        found.sort(key=lambda p: p.where)
        found.extend(Problem(w, m) for w, m in self.source.walk_errors)
        return found

    @functools.cached_property
    def conflicts(self) -> list[Problem]:
        """Every note holding a git conflict marker (``path:line`` of the first): read
        as it stands, both sides counted, so ``build`` and ``watch`` name it."""
        return self.source.conflicts()

    @functools.cached_property
    def read_problems(self) -> list[Problem]:
        """What makes any reading of the vault incomplete or doubtful: the
        problems, then the notes mid-merge. Every read command names these on
        stderr and exits 3, as build does."""
        return [*self.problems, *self.conflicts]

    @functools.cached_property
    def paths(self) -> list[str]:
        """Every note's path, sorted."""
        return self.source.paths()


def _first_of_each_name(leads: list[Lead]) -> list[Lead]:
    """Leads by path, a second note of one name left out (it is a problem)."""
    seen: set[str] = set()
    found = []
    for lead in leads:
        key = name_key(lead.name)
        if key not in seen:
            seen.add(key)
            found.append(lead)
    return found


def _task_order(t: Task) -> tuple:
    return (t.due, t.path, t.line)


def _by_date(sessions: list[SessionNote]) -> list[SessionNote]:
    return sorted(sessions, key=lambda s: (s.date, s.time or dt.time(0), name_key(s.partner)))

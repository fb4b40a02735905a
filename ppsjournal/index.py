"""The index: every note of the vault, parsed once, as the commands need it.

Reading (``read_entry``) touches the disk through the vault; assembling the
index from entries (``assemble``) is a pure function, so a cache of entries
can stand in for re-reading notes that did not change.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ppsjournal.errors import PpsjError
from ppsjournal.model import (
    Lead,
    Partner,
    SessionNote,
    lead_from_note,
    partner_from_note,
    session_from_note,
)
from ppsjournal.names import name_key
from ppsjournal.note import Note, decode, parse_note
from ppsjournal.tasks import Task, parse_tasks, split_lines
from ppsjournal.vault import FOLLOWUPS, Vault

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

    @property
    def name(self) -> str:
        stem = self.path.rsplit("/", 1)[-1]
        return stem[:-3] if stem.endswith(".md") else stem


def entry_from_bytes(rel: str, data: bytes) -> Entry:
    """Parse one note's bytes into its entry; a bad note becomes an entry with an error."""
    try:
        text = decode(rel, data)
    except PpsjError as exc:
        return Entry(rel, error=Problem.of(exc))
    conflict = _conflict_line(text)
    try:
        note = parse_note(rel, text)
    except PpsjError as exc:
        return Entry(rel, error=Problem.of(exc), conflict_line=conflict)
    tasks = tuple(parse_tasks(rel, note.body, note.body_line))
    return Entry(rel, note.meta, tasks, None, conflict)


def read_entry(vault: Vault, rel: str) -> Entry:
    try:
        data = vault.read_bytes(rel)
    except PpsjError as exc:
        return Entry(rel, error=Problem.of(exc))
    return entry_from_bytes(rel, data)


def _conflict_line(text: str) -> int | None:
    if "<<<<<<< " not in text:
        return None
    for i, line in enumerate(split_lines(text), 1):  # as the editor numbers them
        if line.startswith("<<<<<<< "):
            return i
    return None


class _ByPartner(NamedTuple):
    tasks: dict[str, list[Task]]
    sessions: dict[str, list[SessionNote]]
    leads: dict[str, list[Lead]]


@dataclass
class Index:
    entries: dict[str, Entry]
    partners: dict[str, Partner]  # by name_key
    sessions: list[SessionNote]  # by date, time, partner
    leads: dict[str, Lead]  # by name_key
    tasks: list[Task]
    problems: list[Problem]  # notes that could not be read, in path order
    owner_of: dict[str, str]  # note path -> the partner name its tasks belong to
    # Every note's path, sorted; ``entries`` may hold fewer (see ``assemble``).
    paths: list[str] = field(default_factory=list)
    # The paths whose note name another note has too, when known beforehand
    # (the cache keeps them): else ``followups`` finds them from ``paths``.
    shared: frozenset[str] | None = None

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

    def check_new_name(self, name: str, kind: str) -> None:
        """Refuse a new ``kind`` ("partner" or "lead") note named as a note of the
        other kind: one name, two notes, and every [[Name]] link is ambiguous."""
        other, namesake = (
            ("lead", self.leads.get(name_key(name)))
            if kind == "partner"
            else ("partner", self.partners.get(name_key(name)))
        )
        if namesake is not None:
            raise PpsjError(
                f"{namesake.name} is a {other} ({namesake.path}); give the {kind} another "
                "name (e.g. with a middle initial) so links to each stay clear"
            )

    def partner_of_task(self, task: Task) -> str | None:
        return self.owner_of.get(task.path)

    def tasks_of(self, partner: str) -> list[Task]:
        return list(self._by_partner.tasks.get(name_key(partner), ()))

    def sessions_of(self, partner: str) -> list[SessionNote]:
        return list(self._by_partner.sessions.get(name_key(partner), ()))

    def leads_of(self, partner: str) -> list[Lead]:
        return list(self._by_partner.leads.get(name_key(partner), ()))

    @functools.cached_property
    def _by_partner(self) -> _ByPartner:
        """Tasks, sessions and leads grouped by their partner's name_key, each in
        the index's order: made once, so that a command listing every partner
        does not scan every task once per partner (400 x 80,000 at 20k notes)."""
        owner_key = {path: name_key(owner) for path, owner in self.owner_of.items()}
        grouped = _ByPartner({}, {}, {})
        for t in self.tasks:
            grouped.tasks.setdefault(owner_key.get(t.path, ""), []).append(t)
        for s in self.sessions:
            grouped.sessions.setdefault(name_key(s.partner), []).append(s)
        for lead in self.leads.values():
            grouped.leads.setdefault(name_key(lead.partner), []).append(lead)
        return grouped

    def booked(self, exclude: str | None = None) -> list:
        """Series that hold slots, optionally leaving one partner out."""
        skip = name_key(exclude) if exclude else None
        return [p.series for p in self.partners.values() if p.booked and p.key != skip and p.series]

    def latest_session_before(self, partner: str, day: dt.date) -> SessionNote | None:
        earlier = [s for s in self.sessions_of(partner) if s.date < day]
        return earlier[-1] if earlier else None


def classify(entry: Entry) -> Partner | SessionNote | Lead | Problem | None:
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
            return partner_from_note(note)
        if kind == "session":
            return session_from_note(note)
        return lead_from_note(note)
    except PpsjError as exc:
        return Problem.of(exc)


# path -> (the entry, what ``classify`` made of it): kept by the watcher, so a
# rebuild classifies only the entries that changed (the model objects are frozen).
Classified = dict[str, tuple[Entry, "Partner | SessionNote | Lead | Problem | None"]]


def assemble(
    entries: Iterable[Entry], paths: Iterable[str] | None = None, memo: Classified | None = None
) -> Index:
    """Classify entries by their ``type`` property into the index (pure).

    ``paths``: every note of the vault, when ``entries`` are only some of
    them (the build's: see ``sources.output_sources``). ``memo``: what earlier
    calls made of these very entry objects, reused (and brought up to date).
    """
    by_path: dict[str, Entry] = {}
    partners: dict[str, Partner] = {}
    sessions: list[SessionNote] = []
    leads: dict[str, Lead] = {}
    problems: list[Problem] = []
    for entry in sorted(entries, key=lambda e: e.path):
        by_path[entry.path] = entry
        if memo is None:
            found = classify(entry)
        else:
            known = memo.get(entry.path)
            if known is not None and known[0] is entry:
                found = known[1]
            else:
                found = classify(entry)
                memo[entry.path] = (entry, found)
        if found is None:
            continue
        if isinstance(found, Problem):
            problems.append(found)
        elif isinstance(found, Partner):
            if found.key in partners:
                problems.append(
                    Problem(
                        entry.path,
                        f"a second note for partner {found.name!r} "
                        f"(the first is {partners[found.key].path})",
                    )
                )
            else:
                partners[found.key] = found
        elif isinstance(found, SessionNote):
            sessions.append(found)
        else:
            key = name_key(found.name)
            if key in leads:
                problems.append(Problem(entry.path, f"a second note for lead {found.name!r}"))
            else:
                leads[key] = found
    if memo is not None and len(memo) > len(by_path):
        for path in [p for p in memo if p not in by_path]:
            del memo[path]
    sessions.sort(key=lambda s: (s.date, s.time or dt.time(0), name_key(s.partner)))

    owner_of: dict[str, str] = {}
    for p in partners.values():
        owner_of[p.path] = p.name
    for s in sessions:
        owner_of[s.path] = _canonical(partners, s.partner)
    for lead in leads.values():
        owner_of[lead.path] = _canonical(partners, lead.partner)
    tasks = [t for path in by_path for t in by_path[path].tasks]  # by_path is in path order
    all_paths = list(by_path) if paths is None else sorted(paths)
    return Index(by_path, partners, sessions, leads, tasks, problems, owner_of, all_paths)


def _canonical(partners: dict[str, Partner], name: str) -> str:
    p = partners.get(name_key(name))
    return p.name if p else name


def load_index(vault: Vault, cache: bool = True) -> Index:
    """Every note of the vault in an index, through the cache in .ppsj/ (see cache.py).

    Only notes whose stat changed are parsed again; the cache is written back
    when anything changed (and silently not, where .ppsj/ cannot be written).
    ``cache=False`` reads every note and touches nothing.
    """
    if not cache:
        walk_errors: list[tuple[str, str]] = []
        entries = [
            read_entry(vault, rel)
            for rel in vault.walk_notes(walk_errors)
            if rel != FOLLOWUPS  # generated by ppsj, not a note
        ]
        index = assemble(entries)
        index.problems.extend(Problem(w, m) for w, m in walk_errors)
        return index
    from ppsjournal.cache import load_cache, save_cache

    notes = load_cache(vault)
    changes = notes.refresh(vault)
    save_cache(vault, notes)
    index = assemble(notes.entries.values())
    index.problems.extend(Problem(w, m) for w, m in changes.walk_errors)
    return index

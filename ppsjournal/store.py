"""The store: the vault's index in one SQLite file, ``.ppsj/index.sqlite3``.

The notes are the only truth; the store is a cache of what ppsj read from
them, so that a command parses only the notes that changed and asks for only
what it needs. Deleting ``.ppsj/`` loses nothing.

Refresh (``Store.refresh``) is the whole of indexing, as in zk and khal: one
stat walk, compare each note's (size, mtime_ns, inode) with its row, parse the
notes that are new or changed (or "racy", below), and write their rows and
remove the rows of notes gone, 2,000 notes to a transaction (a refresh after
a change is one). A note is racy (git's "racy clean" rule) when its mtime is
not older than the moment the refresh began by the file system's own clock:
an edit in the same clock tick as our read would leave the stat unchanged,
so such a note is read again next time.

Each note's row keeps what the commands query: its kind (partner, session or
lead, when it reads as one), whose it is, its status and day, its properties
(JSON, never pickle: a vault may come from a stranger), why it cannot be
read, and its tasks (one JSON list). The tasks table indexes each task by
state, due, done and created dates and tags, holds its line folded, no case nor accents (what
``ppsj search`` scans), and holds an open task whole (what every command
reads), and a need whole in any state, and its description apart (the
report follows needs until met, every partner's read from one partial index).
The sections table holds the answers of session notes, full-text
searchable (FTS5, made on the first search) where the interpreter's SQLite
has it. docs/performance.md explains the indexes.

The schema version and a fingerprint of the parsing code are kept in the meta
table: a mismatch, a corrupt file or a missing one starts from nothing. Where
``.ppsj`` cannot be used (a read-only vault, or a ``.ppsj`` that is not a real
folder of the vault: a link a cloned vault carries) the store lives in memory
for the one command, and nothing is written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import operator
import os
import re
import sqlite3
import stat
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ppsjournal import __version__
from ppsjournal.answers import answer
from ppsjournal.errors import PpsjError
from ppsjournal.index import Entry, NeedLine, Problem, classify, parse_entry
from ppsjournal.layout import FOLLOWUPS, PARTNERS, STATE
from ppsjournal.model import Lead, Partner, SessionNote
from ppsjournal.names import fold, name_key, note_name
from ppsjournal.note import CONFLICT_MESSAGE
from ppsjournal.tasks import Task
from ppsjournal.vault import FileStat, Vault

DB_NAME = "index.sqlite3"
SCHEMA_VERSION = 1
# A locked database (another ppsj writing a large refresh) is waited for this long.
LOCK_TIMEOUT = 30.0
REFRESH_CHUNK = 2000  # notes parsed and written per transaction
BATCH = 500  # paths bound to one query: SQLite takes only so many variables

# Run statement by statement, split at ";": none may stand in a comment.
_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE notes(
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
  racy INTEGER NOT NULL,
  name_key TEXT NOT NULL,
  type TEXT,
  kind TEXT,
  partner_key TEXT,
  partner TEXT,
  status TEXT,   -- a partner's status, a session's, a lead's stage
  day TEXT,      -- a session's date, a lead's showing
  meta TEXT NOT NULL,
  error_where TEXT, error TEXT,
  problem_where TEXT, problem TEXT,
  conflict_line INTEGER,
  twice TEXT,
  previous_key TEXT,
  tasks TEXT NOT NULL,
  created TEXT, changed TEXT,  -- a lead's created and stage_changed dates
  shared INTEGER NOT NULL DEFAULT 0  -- another note has its name: linked by path
);
CREATE INDEX notes_kind ON notes(kind, partner_key);
CREATE INDEX notes_status ON notes(kind, status);
CREATE INDEX notes_name ON notes(name_key);
CREATE INDEX notes_partner ON notes(partner_key);
CREATE INDEX notes_shared ON notes(name_key) WHERE shared = 1;
CREATE INDEX notes_problems ON notes(path) WHERE error IS NOT NULL OR problem IS NOT NULL;
CREATE INDEX notes_conflicts ON notes(path) WHERE conflict_line IS NOT NULL;
CREATE TABLE tasks(
  path TEXT NOT NULL,
  line INTEGER NOT NULL,
  state TEXT NOT NULL,
  due TEXT,
  done TEXT,     -- the done date (a need met then)
  created TEXT,  -- the created date (a need opened then)
  has_problems INTEGER NOT NULL,
  tags TEXT,  -- NUL, then each tag as Task.has_tag compares it, each followed by NUL
  data TEXT,  -- an open task or a need, whole (what the commands read), else NULL
  folded TEXT NOT NULL,  -- the line folded (no case, no accents): what ppsj search looks in
  need TEXT,  -- a need's description (Task.is_need), else NULL: what the report reads
  PRIMARY KEY(path, line)
) WITHOUT ROWID;
CREATE INDEX tasks_open ON tasks(state, due);
CREATE INDEX tasks_problems ON tasks(path, line) WHERE has_problems = 1;
CREATE INDEX tasks_needs ON tasks(path, line, state, created, done, need) WHERE need IS NOT NULL;
CREATE TABLE sections(
  path TEXT NOT NULL,
  ord INTEGER NOT NULL,
  number INTEGER NOT NULL,
  heading TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX sections_path ON sections(path, ord);
"""
_FTS = "CREATE VIRTUAL TABLE sections_fts USING fts5(path UNINDEXED, heading, text)"  # on demand

# Modules whose code decides what a row holds: their source is in the
# fingerprint, so a fix to the task grammar drops the rows older code made.
PARSER_MODULES = ("note", "tasks", "names", "properties", "model", "index", "answers", "store")


def parser_fingerprint() -> str:
    h = hashlib.sha256(f"{SCHEMA_VERSION} {__version__}".encode())
    here = Path(__file__).resolve().parent
    for name in PARSER_MODULES:
        try:
            h.update((here / f"{name}.py").read_bytes())
        except OSError:  # not a plain file (a zip): __version__ still guards
            h.update(name.encode())
    return h.hexdigest()[:16]


# -- values to and from the database ----------------------------------------------


def _tagged(v: Any) -> Any:
    """``json.dumps``'s ``default``: a date, date-time or time as a tagged object
    (the C encoder calls it for those alone). Anything else the YAML reader
    let through is text."""
    if isinstance(v, dt.datetime):
        return {"t": v.isoformat()}
    if isinstance(v, dt.date):
        return {"d": v.isoformat()}
    if isinstance(v, dt.time):
        return {"h": v.isoformat()}
    return str(v)


_TAGGED: dict[str, Callable[[str], Any]] = {
    "t": dt.datetime.fromisoformat,
    "d": dt.date.fromisoformat,
    "h": dt.time.fromisoformat,
}


def _untagged(v: Any) -> Any:
    """A property value as ``_tagged`` wrote it: properties are flat, so a
    value that is an object is a tagged date (a list may hold them)."""
    if type(v) is dict:
        ((tag, raw),) = v.items()
        return _TAGGED[tag](raw)
    if type(v) is list:
        return [_untagged(x) for x in v]
    return v


def _dump_meta(meta: dict[str, Any]) -> str:
    return json.dumps(meta, ensure_ascii=False, default=_tagged)


def _load_meta(raw: str) -> dict[str, Any]:
    meta = json.loads(raw)
    for key, value in meta.items():
        if type(value) is dict or type(value) is list:
            meta[key] = _untagged(value)
    return meta


# A note's tasks are kept whole in its row (one JSON list, each task its
# fields in Task's order), and indexed by state and due date in the tasks
# table, for the follow-up queries.
_TASK_FIELDS = tuple(f.name for f in dataclasses.fields(Task))
_task_values = operator.attrgetter(*_TASK_FIELDS)
_DATE_FIELDS = tuple(
    i for i, f in enumerate(dataclasses.fields(Task)) if f.type == "dt.date | None"
)
_TUPLE_FIELDS = tuple(
    i for i, f in enumerate(dataclasses.fields(Task)) if str(f.type).startswith("tuple")
)


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value is not None else None


def _dump_tasks(tasks: Sequence[Task]) -> str:
    # The path is the note's (not repeated); dates go through ``default``:
    # the C encoder calls it for them alone.
    return json.dumps(
        [_task_values(t)[1:] for t in tasks], ensure_ascii=False, default=dt.date.isoformat
    )


def _tag_column(tags: tuple[str, ...]) -> str | None:
    if not tags:
        return None
    return "\0" + "".join(tag.lstrip("#").casefold() + "\0" for tag in tags)


def _load_tasks(path: str, raw: str) -> list[Task]:
    return [_task(path, values) for values in json.loads(raw)]


def _dump_task(t: Task) -> str:
    return json.dumps(_task_values(t)[1:], ensure_ascii=False, default=dt.date.isoformat)


def _task(path: str, values: list[Any]) -> Task:
    """A task from its fields as ``_dump_tasks`` wrote them (without its path)."""
    values.insert(0, path)
    for i in _DATE_FIELDS:
        if values[i] is not None:
            values[i] = dt.date.fromisoformat(values[i])
    for i in _TUPLE_FIELDS:
        values[i] = tuple(values[i])
    return Task(*values)


# -- the sections of a session note ------------------------------------------------

# A heading line, or a code fence (headings inside fenced code are no headings).
_HEADING_OR_FENCE = re.compile(r"^(?:(#{1,6})[ \t]+(.*?)[ \t#]*|[ \t>]*(?:```|~~~).*)$", re.M)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$", re.M)
_NUMBERED = re.compile(r"(\d{1,2})[.)]\s")


def sections(body: str) -> list[tuple[int, str, str]]:
    """(question number, heading, answer) of each numbered heading of a note's
    body (pure): the questions, as the session template writes them (``## 1.
    How are we doing ...``); the text runs to the next heading of its level or
    above (a user's ``### Her team`` is part of the answer, numbered or not),
    less the template's hint and the remembered quote (``answers.answer``).
    ppsj's own lists (carried follow-ups, context) are not answers and are
    left out."""
    if "```" in body or "~~~" in body:
        headings, fence = [], False
        for m in _HEADING_OR_FENCE.finditer(body):
            if m.group(1) is None:
                fence = not fence
            elif not fence:
                headings.append((m.start(), m.end(), len(m.group(1)), m.group(2)))
    else:  # no fence can open: every heading line counts
        headings = [
            (m.start(), m.end(), len(m.group(1)), m.group(2)) for m in _HEADING.finditer(body)
        ]
    found: list[tuple[int, str, str]] = []
    inside = 0  # a question's section runs to this offset of the body
    for i, (start, end, level, heading) in enumerate(headings):
        number = _NUMBERED.match(heading)
        if number is None or start < inside:
            continue
        inside = next((h[0] for h in headings[i + 1 :] if h[2] <= level), len(body))
        found.append((int(number.group(1)), heading, answer(body[end + 1 : inside])))
    return found


# -- what a refresh did -------------------------------------------------------------


@dataclass
class Changes:
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    walk_errors: list[tuple[str, str]] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)  # temp files of writes cut off

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.removed)

    @property
    def paths(self) -> list[str]:
        return sorted({*self.changed, *self.added, *self.removed})


@dataclass(frozen=True)
class Row:
    """One note's row, as ``_row`` makes it from an entry."""

    path: str
    stat: FileStat
    racy: bool
    entry: Entry
    found: Partner | SessionNote | Lead | Problem | None
    sections: list[tuple[int, str, str]]


def _row_values(row: Row) -> tuple:
    e, found = row.entry, row.found
    kind = partner_key = partner = status = day = created = changed = None
    problem = found if isinstance(found, Problem) and e.error is None else None
    if isinstance(found, Partner):
        kind, partner_key, partner, status = "partner", found.key, found.name, found.status
    elif isinstance(found, SessionNote):
        kind, partner_key, status = "session", name_key(found.partner), found.status
        partner = found.partner
        day = found.date.isoformat()
    elif isinstance(found, Lead):
        kind, partner_key, status = "lead", name_key(found.partner), found.stage
        partner = found.partner
        day = found.showing.isoformat() if found.showing else None
        created = found.created and found.created.isoformat()
        changed = found.stage_changed and found.stage_changed.isoformat()
    typ = e.meta.get("type")
    size, mtime_ns, inode = row.stat
    return (
        row.path,
        size,
        mtime_ns,
        inode,
        int(row.racy),
        name_key(e.name),
        typ if isinstance(typ, str) else None,
        kind,
        partner_key,
        partner,
        status,
        day,
        _dump_meta(e.meta),
        e.error.where if e.error else None,
        e.error.message if e.error else None,
        problem.where if problem else None,
        problem.message if problem else None,
        e.conflict_line,
        json.dumps(e.twice) if e.twice else None,
        name_key(found.previous) if isinstance(found, SessionNote) and found.previous else None,
        _dump_tasks(e.tasks),
        created,
        changed,
    )


def read_row(vault: Vault, rel: str, st: FileStat, clock: int | None) -> Row:
    """Read and parse one note into its row (``clock``: when the refresh began)."""
    try:
        entry, body = parse_entry(rel, vault.read_bytes(rel))
    except PpsjError as exc:
        entry, body = Entry(rel, error=Problem.of(exc)), ""
    found = classify(entry)
    parts = sections(body) if isinstance(found, SessionNote) else []
    racy = clock is None or st[1] >= clock
    return Row(rel, st, racy, entry, found, parts)


# -- the store ---------------------------------------------------------------------


class Store:
    """The index of one vault: refreshed from the notes, then queried."""

    def __init__(self, db: sqlite3.Connection, path: Path | None, vault: Vault) -> None:
        self.db = db
        self.path = path  # None: in memory, for this process only
        self.vault = vault
        self.fts = _has_table(db, "sections_fts")
        # What the last refresh found unreadable (folders), for the problems.
        self.walk_errors: list[tuple[str, str]] = self._load_walk_errors()
        # path -> (stat, classified): the watcher's rebuilds decode a note once.
        self._models: dict[str, tuple[tuple, Any]] = {}

    # -- opening --------------------------------------------------------------

    @classmethod
    def open(cls, vault: Vault, memory: bool = False) -> Store:
        """The vault's store: ``.ppsj/index.sqlite3``, made if missing, rebuilt
        if corrupt or from other code; in memory where ``.ppsj`` cannot be used."""
        path = None if memory else _db_path(vault)
        if path is None:
            return cls(_memory(), None, vault)
        try:
            db = _connect(str(path))
            _check_schema(db)
        except sqlite3.DatabaseError as exc:
            if _is_locked(exc):
                raise _locked() from None
            # Corrupt, or not a database: the notes are the truth; start again.
            with contextlib.suppress(NameError, sqlite3.Error):
                db.close()
            _remove_db(path)
            try:
                db = _connect(str(path))
                _check_schema(db)
            except sqlite3.DatabaseError:
                return cls(_memory(), None, vault)
        return cls(db, path, vault)

    def close(self) -> None:
        self.db.close()

    # -- refreshing -------------------------------------------------------------

    def refresh(self, only: Collection[str] | None = None) -> Changes:
        """Bring the rows up to date with the notes; what changed.

        ``only``: just these paths (the watcher's events); else every note.
        A folder that cannot be read keeps the rows of the notes below it.
        """
        vault = self.vault
        changes = Changes()
        if only is None:
            found = vault.scan_notes(changes.walk_errors, changes.leftovers)
            found.pop(FOLLOWUPS, None)  # generated by ppsj: not a note
            known = {p: (size, mtime, ino, racy) for p, size, mtime, ino, racy in self._known()}
            gone = [p for p in known if p not in found and not _below(p, changes.walk_errors)]
        else:
            found = {}
            for rel in only:
                if rel == FOLLOWUPS:
                    continue
                with contextlib.suppress(OSError):
                    found[rel] = vault.note_stat(rel)
            known = {}
            for rel in only:
                r = self.db.execute(_KNOWN + " WHERE path = ?", (rel,)).fetchone()
                if r is not None:
                    known[r[0]] = r[1:]
            gone = [p for p in known if p not in found]
            changes.walk_errors = list(self.walk_errors)
        # A note is stale when its stat differs or it was racy: compared as whole
        # tuples (in C), the racy flag a fourth field that a stat never has.
        current = {p: (*k[:3], 0) for p, k in known.items()} if only is not None else known
        stale = sorted(rel for rel, st in found.items() if current.get(rel) != (*st, 0))
        clock = self._clock() if stale else None
        changes.removed = sorted(gone)
        walk_changed = only is None and changes.walk_errors != self.walk_errors
        # In chunks, each its own transaction: a cold refresh of 100,000 notes
        # holds a chunk's rows in memory, not the vault's, and the write lock a
        # moment at a time (a watcher's rebuild meanwhile waits for one chunk).
        for start in range(0, max(len(stale), 1), REFRESH_CHUNK):
            rows = [
                read_row(vault, rel, found[rel], clock) for rel in stale[start:][:REFRESH_CHUNK]
            ]
            done = Changes()
            for row in rows:
                if row.path not in known:
                    done.added.append(row.path)
                elif not self._same_row(row):
                    # Prose edited around unchanged properties and tasks changes no output.
                    done.changed.append(row.path)
            last = start + REFRESH_CHUNK >= len(stale)
            if last:
                done.removed = changes.removed
            if rows or done.removed or (last and walk_changed):
                self._write(
                    rows,
                    done.removed,
                    changes.walk_errors if last and only is None else None,
                    bool(done) or (last and walk_changed),
                    self._touches_partners(done, rows),
                )
            changes.added += done.added
            changes.changed += done.changed
        if only is None:
            self.walk_errors = changes.walk_errors
        return changes

    def _touches_partners(self, changes: Changes, rows: list[Row]) -> bool:
        """Whether a note that changed was, or is, a partner's (or in Partners/):
        the calendars are made from those alone."""
        new = {r.path: r for r in rows}
        for path in changes.paths:
            if path.startswith(PARTNERS + "/"):
                return True
            row = new.get(path)
            if row is not None and (
                isinstance(row.found, Partner) or row.entry.meta.get("type") == "partner"
            ):
                return True
        for path in [*changes.changed, *changes.removed]:  # what they were: an added note was not
            old = self.db.execute("SELECT kind, type FROM notes WHERE path = ?", (path,))
            if "partner" in (old.fetchone() or ()):
                return True
        return False

    def _known(self) -> list[tuple]:
        return self.db.execute(_KNOWN).fetchall()

    def _same_row(self, row: Row) -> bool:
        """Whether a note read again holds what its row holds (but for its stat)."""
        old = self.db.execute(f"SELECT {_CONTENT} FROM notes WHERE path = ?", (row.path,))
        return old.fetchone() == _row_values(row)[5:]

    def _write(
        self,
        rows: list[Row],
        gone: list[str],
        walk_errors: list[tuple[str, str]] | None,
        changed: bool,
        partners: bool,
    ) -> None:
        try:
            with self._transaction() as db:
                paths = [(r.path,) for r in rows] + [(p,) for p in gone]
                db.executemany("DELETE FROM tasks WHERE path = ?", paths)
                if self.fts:
                    db.executemany(
                        "DELETE FROM sections_fts WHERE rowid IN "
                        "(SELECT rowid FROM sections WHERE path = ?)",
                        paths,
                    )
                db.executemany("DELETE FROM sections WHERE path = ?", paths)
                db.executemany("DELETE FROM notes WHERE path = ?", [(p,) for p in gone])
                values = [_row_values(r) for r in rows]
                db.executemany(_UPSERT, values)
                # A note added or removed may make its name shared, or no longer.
                names = {(name_key(note_name(p)),) for p in gone} | {(r[5],) for r in values}
                db.executemany(
                    "UPDATE notes SET shared = (SELECT count(*) > 1 FROM notes m "
                    "WHERE m.name_key = notes.name_key) WHERE name_key = ?",
                    sorted(names),
                )
                db.executemany(
                    "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            t.path,
                            t.line,
                            t.status,
                            t.due and t.due.isoformat(),
                            t.done and t.done.isoformat(),
                            t.created and t.created.isoformat(),
                            int(bool(t.problems)),
                            _tag_column(t.tags),
                            _dump_task(t) if t.is_open or t.is_need else None,
                            fold(t.text),
                            t.description if t.is_need else None,
                        )
                        for r in rows
                        for t in r.entry.tasks
                    ],
                )
                parts = [(r.path, i, *s) for r in rows for i, s in enumerate(r.sections)]
                db.executemany("INSERT INTO sections VALUES (?, ?, ?, ?, ?)", parts)
                if self.fts:
                    db.executemany(
                        "INSERT INTO sections_fts(rowid, path, heading, text) SELECT rowid, "
                        "path, heading, text FROM sections WHERE path = ?",
                        [(r.path,) for r in rows if r.sections],
                    )
                if changed:
                    db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
                if partners:
                    db.execute("UPDATE meta SET value = value + 1 WHERE key = 'partners'")
                if walk_errors is not None:
                    db.execute(
                        "INSERT OR REPLACE INTO meta VALUES ('walk_errors', ?)",
                        (json.dumps(walk_errors),),
                    )
        except sqlite3.OperationalError as exc:
            if _is_locked(exc):
                raise _locked() from None
            raise PpsjError(f"cannot write the index: {exc}", f"{STATE}/{DB_NAME}") from None
        for path in [*(r.path for r in rows), *gone]:
            self._models.pop(path, None)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()

    def _clock(self) -> int | None:
        """Now by the vault's file-system clock (ns): the database file touched.

        Note mtimes come from that clock, which may be coarser than or differ
        from the system's. None in memory: every note is read again anyway.
        """
        if self.path is None:
            return None
        try:
            os.utime(self.path)
            return os.stat(self.path).st_mtime_ns
        except OSError:
            return None

    def _load_walk_errors(self) -> list[tuple[str, str]]:
        raw = self.get("walk_errors")
        if not raw:
            return []
        try:
            return [(str(w), str(m)) for w, m in json.loads(raw)]
        except (ValueError, TypeError):
            return []

    # -- the meta table (the build stamp) ---------------------------------------

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, value: str | None) -> None:
        with contextlib.suppress(sqlite3.OperationalError), self._transaction() as db:
            if value is None:
                db.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- queries -------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """Bumped by every refresh that found a note changed, added or removed."""
        return int(self.get("generation") or 0)

    @property
    def partner_generation(self) -> int:
        """Bumped by every refresh that found a partner note changed, added or removed."""
        return int(self.get("partners") or 0)

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM notes").fetchone()[0]

    def paths(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT path FROM notes ORDER BY path")]

    def stats(self, paths: Iterable[str]) -> list[tuple]:
        """(path, size, mtime_ns, inode) of these notes, in path order."""
        found = []
        for p in sorted(paths):
            r = self.db.execute(
                "SELECT path, size, mtime_ns, inode FROM notes WHERE path = ?", (p,)
            )
            found.extend(r.fetchall())
        return found

    def entry(self, path: str) -> Entry | None:
        r = self.db.execute(_ENTRY + " WHERE path = ?", (path,)).fetchone()
        return self._entry(r) if r else None

    def entries(self) -> list[Entry]:
        """Every note's entry, in path order (``ppsj doctor``)."""
        return [self._entry(r) for r in self.db.execute(_ENTRY + " ORDER BY path")]

    def notes(self) -> Iterator[Entry]:
        """Every note's entry without its tasks, in path order, as the rows are read."""
        for path, meta, error_where, error, conflict, twice in self.db.execute(
            "SELECT path, meta, error_where, error, conflict_line, twice FROM notes ORDER BY path"
        ):
            problem = Problem(error_where, error) if error is not None else None
            yield Entry(path, _load_meta(meta), (), problem, conflict, _twice(twice))

    def suspects(self, folder_types: Mapping[str, str], advised: Sequence[str]) -> Iterator[Entry]:
        """The notes ``ppsj doctor`` must look at, without their tasks, by path:
        any that cannot be read or does not read as its type, has a key twice
        or a conflict marker, is a partner or lead (their names), lies in a
        typed folder with another type, links a partner or a previous note that
        is not there, or holds a number in a key of ``advised`` (an unquoted
        time). Every other note is one the model read cleanly: nothing to say.
        """
        folders = " OR ".join(
            "(substr(path, 1, ?) = ? AND coalesce(type, '') != ?)" for _ in folder_types
        )
        args: list[Any] = []
        for folder, kind in folder_types.items():
            args += [len(folder) + 1, folder + "/", kind]
        numbers = " OR ".join("json_type(meta, ?) = 'integer'" for _ in advised)
        args += [f'$."{key}"' for key in advised]
        sql = (
            "SELECT path, meta, error_where, error, conflict_line, twice FROM notes WHERE "
            "error IS NOT NULL OR problem IS NOT NULL OR twice IS NOT NULL "
            "OR conflict_line IS NOT NULL OR kind IN ('partner', 'lead') "
            "OR type IN ('partner', 'lead') "
            "OR (kind = 'session' AND previous_key IS NOT NULL "
            "AND previous_key NOT IN (SELECT name_key FROM notes)) "
            "OR (kind IN ('session', 'lead') "
            "AND partner_key NOT IN (SELECT name_key FROM notes WHERE kind = 'partner'))"
            + (f" OR {folders}" if folders else "")
            + (f" OR {numbers}" if numbers else "")
            + " ORDER BY path"
        )
        for path, meta, error_where, error, conflict, twice in self.db.execute(sql, args):
            problem = Problem(error_where, error) if error is not None else None
            yield Entry(path, _load_meta(meta), (), problem, conflict, _twice(twice))

    def carried_pairs(self) -> list[tuple[str, str]]:
        """(previous session note, the session note whose ``previous`` links it)
        where both hold open tasks: where a follow-up may be open twice."""
        return list(
            self.db.execute(
                "SELECT old.path, new.path FROM notes new JOIN notes old "
                "ON old.name_key = new.previous_key AND old.kind = 'session' "
                "WHERE new.kind = 'session' AND old.path != new.path "
                # "+": by each note's key, not by walking every open task (no statistics)
                "AND EXISTS (SELECT 1 FROM tasks t WHERE t.path = new.path AND +t.state = 'open') "
                "AND EXISTS (SELECT 1 FROM tasks t WHERE t.path = old.path AND +t.state = 'open') "
                "ORDER BY old.path, new.path"
            )
        )

    def session_marks(self) -> list[tuple[str, dt.date, str, str]]:
        """(partner key, date, status, path) of every session note, by date and path."""
        return [
            (key, dt.date.fromisoformat(day), status, path)
            for key, day, status, path in self.db.execute(
                "SELECT partner_key, day, status, path FROM notes WHERE kind = 'session' "
                "ORDER BY day, path"
            )
        ]

    def notes_named(self, name: str) -> list[tuple[str, bool]]:
        """(path, cannot be read) of the notes called ``name`` (as name_key compares)."""
        return [
            (path, bool(error))
            for path, error in self.db.execute(
                "SELECT path, error IS NOT NULL FROM notes WHERE name_key = ? ORDER BY path",
                (name_key(name),),
            )
        ]

    def leads_named_as_partners(self) -> list[tuple[str, str]]:
        """(lead note, partner note) where a lead has a partner's name: the first
        lead and the first partner of that name, by path."""
        return list(
            self.db.execute(
                "SELECT min(l.path), min(p.path) FROM notes l JOIN notes p "
                "ON p.name_key = l.name_key AND p.kind = 'partner' "
                "WHERE l.kind = 'lead' GROUP BY l.name_key ORDER BY l.name_key"
            )
        )

    def _entry(self, r: tuple) -> Entry:
        path, meta, error_where, error, conflict, twice, tasks = r
        problem = Problem(error_where, error) if error is not None else None
        found = tuple(_load_tasks(path, tasks))
        return Entry(path, _load_meta(meta), found, problem, conflict, _twice(twice))

    def classified(
        self,
        kind: str,
        partner_key: str | None = None,
        status: Sequence[str] | None = None,
        day_before: dt.date | None = None,
        changed_in: tuple[dt.date, dt.date] | None = None,
        or_status: Sequence[str] = (),
    ) -> list[Any]:
        """The notes that read as ``kind`` (partner, session, lead), in path order,
        as model objects; of one partner, with one of these statuses (a lead's:
        its stage), dated before a day (a session's date, a lead's showing),
        if given. ``changed_in``: the leads created or whose stage changed in
        these days (first and last), or at one of the ``or_status`` stages, or
        whose name another note has (so that the first of a name is the same
        as among all)."""
        sql = "SELECT path, size, mtime_ns, inode, meta FROM notes WHERE kind = ?"
        args: list[Any] = [kind]
        if partner_key is not None:
            sql += " AND partner_key = ?"
            args.append(partner_key)
        if status is not None:
            sql += f" AND status IN ({', '.join('?' * len(status))})"
            args.extend(status)
        if day_before is not None:
            sql += " AND day < ?"
            args.append(day_before.isoformat())
        if changed_in is not None:
            first, last = (day.isoformat() for day in changed_in)
            sql += (
                f" AND (status IN ({', '.join('?' * len(or_status))}) OR shared = 1"
                " OR created BETWEEN ? AND ? OR changed BETWEEN ? AND ?)"
            )
            args += [*or_status, first, last, first, last]
        found = []
        for path, size, mtime_ns, inode, meta in self.db.execute(sql + " ORDER BY path", args):
            key = (size, mtime_ns, inode)
            known = self._models.get(path)
            if known is not None and known[0] == key:
                found.append(known[1])
                continue
            obj = classify(Entry(path, _load_meta(meta)))
            self._models[path] = (key, obj)
            found.append(obj)
        return found

    def problems(self) -> list[Problem]:
        """Each note's reason it cannot be read or does not classify, in path order."""
        return [
            Problem(ew, e) if e is not None else Problem(pw, p)
            for _, _, ew, e, pw, p in self._problem_rows()
        ]

    def _problem_rows(self) -> list[tuple]:
        # The WHERE clause is the partial index's: SQLite reads the index alone.
        return self.db.execute(
            "SELECT path, type, error_where, error, problem_where, problem FROM notes "
            "WHERE error IS NOT NULL OR problem IS NOT NULL ORDER BY path"
        ).fetchall()

    def conflicts(self) -> list[Problem]:
        """Each note holding a git conflict marker, at its first, in path order."""
        return [
            Problem(f"{path}:{line}", CONFLICT_MESSAGE)
            for path, line in self.db.execute(
                "SELECT path, conflict_line FROM notes WHERE conflict_line IS NOT NULL "
                "ORDER BY path"
            )
        ]

    def second_notes(self) -> list[Problem]:
        """Partner and lead notes whose name an earlier note (by path) of the
        same kind has: the first is the partner or lead; these are problems."""
        found = []
        for path, kind, first in self.db.execute(
            "SELECT n.path, n.kind, (SELECT min(m.path) FROM notes m WHERE m.kind = n.kind "
            "AND m.name_key = n.name_key) AS first FROM notes n "
            "WHERE n.shared = 1 AND n.kind IN ('partner', 'lead') AND first < n.path "
            "ORDER BY n.path"
        ):
            name = repr(note_name(path))
            if kind == "partner":
                found.append(
                    Problem(path, f"a second note for partner {name} (the first is {first})")
                )
            else:
                found.append(Problem(path, f"a second note for lead {name}"))
        return found

    def broken(self, folder: str, kind: str) -> list[str]:
        """Notes in ``folder`` or of ``type: kind`` that cannot be read or do not classify."""
        return [
            path
            for path, typ, _, error, _, _ in self._problem_rows()
            if typ == kind or (error is not None and path.startswith(folder + "/"))
        ]

    def about(self, paths: Iterable[str]) -> dict[str, tuple[str | None, str | None, bool]]:
        """path -> (partner key, partner name as written, shares its name) of these
        notes, read a few hundred at a time (a list of 15,000 overdue items)."""
        chosen = sorted(set(paths))
        found: dict[str, tuple[str | None, str | None, bool]] = {}
        for start in range(0, len(chosen), BATCH):
            part = chosen[start : start + BATCH]
            for path, key, partner, shared in self.db.execute(
                "SELECT path, partner_key, partner, shared FROM notes "
                f"WHERE path IN ({', '.join('?' * len(part))})",
                part,
            ):
                found[path] = (key, partner, bool(shared))
        return found

    def owner(self, path: str) -> tuple[str, str] | None:
        """(partner key, partner name as the note writes it) of the partner whose note it is."""
        r = self.db.execute(
            "SELECT partner_key, partner FROM notes WHERE path = ? AND partner_key IS NOT NULL",
            (path,),
        ).fetchone()
        return (r[0], r[1]) if r else None

    def has(self, path: str) -> bool:
        return self.db.execute("SELECT 1 FROM notes WHERE path = ?", (path,)).fetchone() is not None

    def shares_name(self, path: str) -> bool | None:
        """Whether another note has this note's name; None when there is no such note."""
        r = self.db.execute("SELECT shared FROM notes WHERE path = ?", (path,)).fetchone()
        return None if r is None else bool(r[0])

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
    ) -> list[Task]:
        """Tasks, in path and line order, filtered in SQL.

        ``newest``: only the N with the latest due dates (with ``due_before``:
        the most recently overdue), still returned in path order.
        """
        where: list[str] = []
        args: list[Any] = []
        if state is not None:
            # Of one partner's notes, each note's tasks by their key (path, line):
            # "+" keeps SQLite from walking every open task of the vault instead.
            where.append("+t.state = ?" if partner_key is not None else "t.state = ?")
            args.append(state)
        if dated:
            where.append("t.due IS NOT NULL")
        if due_before is not None:
            where.append("t.due < ?")
            args.append(due_before.isoformat())
        if due_from is not None:
            where.append("t.due >= ?")
            args.append(due_from.isoformat())
        if with_problems:
            where.append("t.has_problems = 1")
        if tag is not None:  # the tag, or one below it (#need/urgent), as Task.has_tag
            name = tag.lstrip("#").casefold()
            where.append("(instr(t.tags, ?) OR instr(t.tags, ?))")
            args += [f"\0{name}\0", f"\0{name}/"]
        if partner_key is not None:
            where.append("n.partner_key = ?")
            args.append(partner_key)
        if paths is not None:
            chosen = sorted(set(paths))
            if len(chosen) > BATCH and newest is None:
                return [
                    t
                    for start in range(0, len(chosen), BATCH)
                    for t in self.tasks(
                        state=state,
                        due_before=due_before,
                        due_from=due_from,
                        dated=dated,
                        with_problems=with_problems,
                        partner_key=partner_key,
                        paths=chosen[start : start + BATCH],
                        tag=tag,
                    )
                ]
            where.append(f"t.path IN ({','.join('?' * len(chosen))})")
            args.extend(chosen)
        sql = "SELECT t.path, t.line, t.data FROM tasks t"
        if partner_key is not None:  # the partner's notes first (notes_partner), then theirs
            sql = "SELECT t.path, t.line, t.data FROM notes n CROSS JOIN tasks t ON t.path = n.path"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if newest is not None:
            sql += " ORDER BY t.due DESC, t.path DESC, t.line DESC LIMIT ?"
            args.append(newest)
            found = self._tasks_at(self.db.execute(sql, args).fetchall())
            found.sort(key=lambda t: (t.path, t.line))
            return found
        sql += " ORDER BY t.path, t.line"
        return self._tasks_at(self.db.execute(sql, args).fetchall())

    def need_lines(self, live_since: dt.date) -> list[tuple[str, NeedLine]]:
        """(partner key, line) of every need (``Task.is_need``) in a partner's
        notes, by path and line, in one query: read from the partial index of
        the needs, no task decoded. Of the needs done or cancelled, only those
        done or created on or after ``live_since``, or not in a session note
        dated before it: what a report of a period from that day can count
        (needs.py); the open ones and the ``[>]`` traces are all kept."""
        day = live_since.isoformat()
        return [
            (key, NeedLine(path, line, state, description, _day(created), _day(done)))
            for key, path, line, state, description, created, done in self.db.execute(
                "SELECT n.partner_key, t.path, t.line, t.state, t.need, t.created, t.done "
                "FROM tasks t JOIN notes n ON n.path = t.path "
                "WHERE t.need IS NOT NULL AND n.partner_key IS NOT NULL "
                "AND (t.state IN ('open', 'forwarded') OR t.done >= ? OR t.created >= ? "
                "OR n.kind IS NOT 'session' OR n.day >= ?) ORDER BY t.path, t.line",
                (day, day, day),
            )
        ]

    def _tasks_at(self, where: list[tuple[str, int, str | None]]) -> list[Task]:
        """The tasks at these (path, line, data)s, in that order: an open task from
        its own row, any other from its note's row (read once a note; only the
        tasks asked for are built: a report asks for a few of each note's)."""
        by_path: dict[str, dict[int, list[Any]]] = {}
        notes = sorted({path for path, _, data in where if data is None})
        for start in range(0, len(notes), BATCH):
            chosen = notes[start : start + BATCH]
            for path, raw in self.db.execute(
                f"SELECT path, tasks FROM notes WHERE path IN ({','.join('?' * len(chosen))})",
                chosen,
            ):
                by_path[path] = {values[0]: values for values in json.loads(raw)}
        found = []
        for path, line, data in where:
            if data is not None:
                found.append(_task(path, json.loads(data)))
                continue
            values = by_path.get(path, {}).pop(line, None)
            if values is not None:
                found.append(_task(path, values))
        return found

    def count_tasks(self, *, state: str, due_before: dt.date) -> int:
        return self.db.execute(
            "SELECT count(*) FROM tasks WHERE state = ? AND due < ?",
            (state, due_before.isoformat()),
        ).fetchone()[0]

    def open_task_counts(self, today: dt.date) -> dict[str, tuple[int, int]]:
        """partner key -> (open tasks, overdue tasks) of the notes that are theirs."""
        return {
            key: (n, late)
            for key, n, late in self.db.execute(
                "SELECT n.partner_key, count(*), coalesce(sum(t.due < ?), 0) FROM tasks t "
                "JOIN notes n ON n.path = t.path WHERE t.state = 'open' "
                "AND n.partner_key IS NOT NULL GROUP BY n.partner_key",
                (today.isoformat(),),
            )
        }

    def sections(
        self, path_keys: Iterable[str] | None = None, number: int | None = None
    ) -> list[tuple[str, int, int, str, str]]:
        """(path, ord, number, heading, text) of session notes' sections."""
        sql = "SELECT path, ord, number, heading, text FROM sections"
        where: list[str] = []
        args: list[Any] = []
        if path_keys is not None:
            keys = list(path_keys)
            where.append(f"path IN ({','.join('?' * len(keys))})")
            args.extend(keys)
        if number is not None:
            where.append("number = ?")
            args.append(number)
        if where:
            sql += " WHERE " + " AND ".join(where)
        return list(self.db.execute(sql + " ORDER BY path, ord", args))

    def answers(
        self,
        partner_key: str,
        numbers: Collection[int] | None = None,
        since: dt.date | None = None,
        before: dt.date | None = None,
    ) -> list[tuple[str, str, int, str]]:
        """(path, day, number, answer) of a partner's non-empty answers in their
        session notes (``since`` on or after, ``before`` before a day), newest
        note first, each note's in its order."""
        sql = (
            "SELECT n.path, n.day, s.number, s.text FROM notes n CROSS JOIN sections s "
            "ON s.path = n.path WHERE n.kind = 'session' AND n.partner_key = ? AND s.text != ''"
        )
        args: list[Any] = [partner_key]
        if numbers is not None:
            chosen = sorted(set(numbers))
            sql += f" AND s.number IN ({','.join('?' * len(chosen))})"
            args.extend(chosen)
        if since is not None:
            sql += " AND n.day >= ?"
            args.append(since.isoformat())
        if before is not None:
            sql += " AND n.day < ?"
            args.append(before.isoformat())
        return list(self.db.execute(sql + " ORDER BY n.day DESC, n.path DESC, s.ord", args))

    def search(
        self, text: str, partner_key: str | None = None, limit: int = -1
    ) -> list[tuple[str, str, str, int, str, str]]:
        """(path, day, partner, number, heading, answer) of the non-empty answers
        in session notes holding every word of ``text``, newest first:
        full-text (FTS5) where this SQLite has it, else each word as a
        substring, any case. ``limit``: at most so many (-1: all).

        The full-text index is made on the first search, not by every cold
        refresh (it would cost a cold build a fifth more), then kept in step.
        """
        if not self.fts:
            with contextlib.suppress(sqlite3.OperationalError), self._transaction() as db:
                db.execute(_FTS)
                db.execute(
                    "INSERT INTO sections_fts(rowid, path, heading, text) "
                    "SELECT rowid, path, heading, text FROM sections"
                )
                self.fts = True
        words = text.split()
        if not words:
            return []
        select = (
            "SELECT s.path, n.day, n.partner, s.number, s.heading, s.text FROM sections s "
            "JOIN notes n ON n.path = s.path"
        )
        where = ["n.kind = 'session'", "s.text != ''"]
        args: list[Any] = []
        if self.fts:
            select += " JOIN sections_fts f ON f.rowid = s.rowid"
            where.append("sections_fts MATCH ?")  # the answer's words, not the heading's
            args.append(
                "text : (" + " ".join('"' + w.replace('"', '""') + '"' for w in words) + ")"
            )
        else:
            for w in words:  # any case, no accents, as FTS5's unicode61 reads words
                where.append("instr(fold(s.text), ?)")
                args.append(fold(w))
        if partner_key is not None:
            where.append("n.partner_key = ?")
            args.append(partner_key)
        sql = f"{select} WHERE {' AND '.join(where)} ORDER BY n.day DESC, s.path, s.ord LIMIT ?"
        return list(self.db.execute(sql, [*args, limit]))

    def search_tasks(
        self, text: str, partner_key: str | None = None
    ) -> list[tuple[str, str | None, str | None, Task]]:
        """(path, session day, partner, task) of every task whose line holds each
        word of ``text`` (any case, accents ignored), in path and line order: a scan
        of the tasks' folded lines, only the tasks found decoded."""
        words = [fold(w) for w in text.split()]
        if not words:
            return []
        sql = (
            "SELECT t.path, t.line, t.data, n.kind, n.day, n.partner FROM tasks t "
            "JOIN notes n ON n.path = t.path WHERE "
            + " AND ".join("instr(t.folded, ?)" for _ in words)
        )
        args: list[Any] = list(words)
        if partner_key is not None:
            sql += " AND n.partner_key = ?"
            args.append(partner_key)
        rows = self.db.execute(sql + " ORDER BY t.path, t.line", args).fetchall()
        about = {path: (kind, day, partner) for path, _, _, kind, day, partner in rows}
        found = []
        for t in self._tasks_at([(path, line, data) for path, line, data, *_ in rows]):
            kind, day, partner = about[t.path]
            found.append((t.path, day if kind == "session" else None, partner, t))
        return found


_KNOWN = "SELECT path, size, mtime_ns, inode, racy FROM notes"
# A row's columns but its path, stat and racy flag: what a note holds.
_CONTENT = (
    "name_key, type, kind, partner_key, partner, status, day, meta, "
    "error_where, error, problem_where, problem, conflict_line, twice, previous_key, tasks, "
    "created, changed"
)
_ENTRY = "SELECT path, meta, error_where, error, conflict_line, twice, tasks FROM notes"


def _twice(raw: str | None) -> tuple[tuple[int, str, int], ...]:
    return tuple((int(a), str(b), int(c)) for a, b, c in json.loads(raw)) if raw else ()


_UPSERT = (
    "INSERT OR REPLACE INTO notes (path, size, mtime_ns, inode, racy, "
    f"{_CONTENT}) VALUES ({', '.join('?' * 23)})"
)


def _below(path: str, walk_errors: list[tuple[str, str]]) -> bool:
    """Whether ``path`` lies in a folder the walk could not read (its row is kept)."""
    return any(path.startswith(where.rstrip("/") + "/") or where == "." for where, _ in walk_errors)


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    r = db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return r is not None


def _db_path(vault: Vault) -> Path | None:
    """``.ppsj/index.sqlite3`` if ``.ppsj`` is (or can be made) a real folder of
    the vault and the database no link; else None (the store stays in memory)."""
    state = vault.root / STATE
    try:
        st = os.lstat(state)
    except FileNotFoundError:
        try:
            os.mkdir(state)
        except OSError:
            return None
        st = os.lstat(state)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return None  # a link, or a file: never followed, never replaced
    path = state / DB_NAME
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            if not stat.S_ISREG(os.lstat(f"{path}{suffix}").st_mode):
                return None
        except FileNotFoundError:
            continue
        except OSError:
            return None
    if not os.access(state, os.W_OK):
        return None
    return path


def _connect(target: str) -> sqlite3.Connection:
    db = sqlite3.connect(target, timeout=LOCK_TIMEOUT, isolation_level=None)
    # Any case and no accents, as Python folds (SQLite's lower() folds ASCII only).
    db.create_function("fold", 1, _fold, deterministic=True)
    db.execute(f"PRAGMA busy_timeout = {int(LOCK_TIMEOUT * 1000)}")
    if target != ":memory:":
        db.execute("PRAGMA journal_mode = WAL")
        # A cache: a commit lost to a power cut is read again from the notes, and
        # a file it leaves corrupt is made again (``Store.open``).
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -32768")  # 32 MiB: a cold refresh's indexes
    return db


def _fold(value: Any) -> Any:
    return fold(value) if isinstance(value, str) else value


def _memory() -> sqlite3.Connection:
    db = _connect(":memory:")
    _check_schema(db)
    return db


def _check_schema(db: sqlite3.Connection) -> None:
    """Make the tables, or start again when the schema or the parser differ."""
    want = parser_fingerprint()
    if _has_table(db, "meta"):
        r = db.execute("SELECT value FROM meta WHERE key = 'parser'").fetchone()
        if r is not None and r[0] == want:
            return
    db.execute("BEGIN IMMEDIATE")
    try:
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'sections_fts_%'"
        ).fetchall():
            db.execute(f'DROP TABLE IF EXISTS "{name}"')
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO meta VALUES ('parser', ?)", (want,))
        db.execute("INSERT INTO meta VALUES ('generation', 0)")
        db.execute("INSERT INTO meta VALUES ('partners', 0)")
    except BaseException:
        db.rollback()
        raise
    db.commit()


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            os.unlink(f"{path}{suffix}")


def _is_locked(exc: sqlite3.Error) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _locked() -> PpsjError:
    return PpsjError(
        f"the index is locked by another ppsj (waited {LOCK_TIMEOUT:.0f} s); "
        "try again when it is done",
        f"{STATE}/{DB_NAME}",
    )

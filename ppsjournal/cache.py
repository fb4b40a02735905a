"""The index cache: each note's parsed entry, kept in ``.ppsj/`` so a command
re-parses only the notes that changed.

A note is taken from the cache when its size, mtime_ns and inode are those
recorded AND its mtime is older than the moment the scan that read it began,
by the file system's own clock (git's "racy clean" rule: an edit within the
same mtime tick as our read leaves the stat unchanged, so such a note is
"racy" and read again next time; so is one whose mtime is not older than the
cache file itself). Anything else (a missing, corrupt or truncated cache; one
from another ppsj, another cache format or another shape of Entry) means
starting from nothing: the cache is only ever a shortcut, never the truth.

Three files, all JSON, never pickle (a vault may come from a stranger, and
reading it must not run code): the entry lines, appended to; a base of every
note's row (stat, idle flag, where its line is), rewritten only when many
rows changed; and the header (versions, the build stamp, and the rows that
differ from the base's), rewritten at every save: saving after one change
writes a few rows, not 20,000. Values are converted explicitly both ways
from the dataclasses' own field types, so fields added to Entry or Task later
are carried (and change the schema fingerprint, which drops older caches). A
change to the parsing code itself (a fix to the task grammar, say) changes
the ``parser`` fingerprint, a hash of those modules' source, which drops
older caches too: an entry is only as good as the code that parsed it.

Entries are decoded one by one, when asked for: a build after one change
decodes the entries its outputs read (``idle`` marks those they do not: a
note is flagged as it is read, by the build's own rule, and every build
checks the flags again), not all 100,000.

A folder that cannot be read, or a walk error, never makes the index forget
the notes it did not reach: their cached entries are kept.
"""

from __future__ import annotations

import array
import base64
import contextlib
import dataclasses
import datetime as dt
import gc
import hashlib
import importlib
import itertools
import json
import operator
import os
import secrets
import sys
import types
import typing
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from ppsjournal import __version__
from ppsjournal.errors import PpsjError
from ppsjournal.vault import FOLLOWUPS, MTIME_NS, FileStat, Vault

if TYPE_CHECKING:
    from ppsjournal.index import Entry


def read_entry(vault: Vault, rel: str) -> Entry:
    """``index.read_entry``, imported when first needed: a build that finds
    nothing changed imports no parsing code at all."""
    from ppsjournal.index import read_entry as read

    return read(vault, rel)


FORMAT = 6  # bump when the files' layout changes
CACHE_NAME = "index-cache.json"  # the header: versions, the build stamp, the notes since the base
NOTES_PREFIX = "index-notes-"  # + a random token: the base, every note's stat, flags and offsets
ENTRIES_PREFIX = "index-entries-"  # + a random token: the entry lines, appended to
# The header lists the notes whose row differs from the base's; when more do
# than this (or this share of the notes), a new base is written.
DELTA_MIN, DELTA_SHARE = 1000, 20
# The entries file is rewritten when it holds this much more than twice the
# lines still needed (lines of notes changed since are garbage).
COMPACT_SLACK = 1 << 20
# Fewer notes to parse than this: one process; more: the CPUs share them.
PARALLEL_MIN = 2000
# A cache of fewer notes than this is scanned in this process; of more, in a
# child while this process imports what comes next (``_scan_forked``): below,
# the scan is shorter than the imports, and an "up to date" build would wait.
FORKED_SCAN_MIN = 10_000

# Modules whose code decides what an entry holds: their source is in the
# cache's "parser" fingerprint, so a change to any of them drops old caches.
PARSER_MODULES = ("note", "tasks", "names", "model", "index")
# Modules whose code decides which entries the outputs read (the ``idle``
# flags): a change to them forgets the flags only, not the entries.
OUTPUT_MODULES = ("model", "index", "build", "followups", "calendar", "schedule")


def source_fingerprint(folder: Path, modules: Iterable[str]) -> str:
    """A hash of these modules' source files (``folder/NAME.py``); cheap: a few small reads."""
    h = hashlib.sha256()
    for name in modules:
        try:
            data = (folder / f"{name}.py").read_bytes()
        except OSError:
            data = b"?"  # not a plain file (a zip): __version__ still guards
        h.update(f"{name} {len(data)}\n".encode())
        h.update(data)
    return h.hexdigest()[:16]


_FINGERPRINTS: dict[str, str] = {}


def fingerprint(kind: str) -> str:
    """The "parser" or "outputs" fingerprint of the installed ppsj, computed once."""
    if kind not in _FINGERPRINTS:
        here = Path(__file__).resolve().parent
        modules = PARSER_MODULES if kind == "parser" else OUTPUT_MODULES
        _FINGERPRINTS[kind] = source_fingerprint(here, modules)
    return _FINGERPRINTS[kind]


# -- converting entries to JSON and back ----------------------------------------

Codec = tuple[Callable[[Any], Any] | None, Callable[[Any], Any] | None]  # None: as is


def _encode_any(v: Any) -> Any:
    """A property value (flat YAML: scalars, dates, date-times, lists of them)."""
    t = type(v)
    if t is str or t is int or t is float or t is bool or v is None:
        return v
    if t is dt.datetime:
        return {"t": v.isoformat()}
    if t is dt.date:
        return {"d": v.isoformat()}
    if t is dt.time:
        return {"h": v.isoformat()}
    if t is list or t is tuple:
        return [_encode_any(x) for x in v]
    raise TypeError(f"cannot cache a {t.__name__}")


_TAGGED = {"t": dt.datetime.fromisoformat, "d": dt.date.fromisoformat, "h": dt.time.fromisoformat}


def _decode_any(v: Any) -> Any:
    t = type(v)
    if t is dict:
        ((tag, raw),) = v.items()
        return _TAGGED[tag](raw)
    if t is list:
        return [_decode_any(x) for x in v]
    return v


def _decode_meta(m: dict[str, Any]) -> dict[str, Any]:
    return {k: (_decode_any(v) if type(v) in (dict, list) else v) for k, v in m.items()}


def _encode_meta(m: dict[str, Any]) -> dict[str, Any]:
    return {k: _encode_any(v) for k, v in m.items()}


_SCALARS = (str, int, float, bool, type(None))


def _codec(tp: Any, schema: list[str]) -> Codec:
    """(encode, decode) for values of type ``tp``; None where the value is JSON as it is."""
    schema.append(repr(tp))
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp in _SCALARS:
        return None, None
    if tp is Any:
        return _encode_any, _decode_any
    if tp in (dt.date, dt.datetime, dt.time):
        return (lambda v: v.isoformat()), tp.fromisoformat
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if all(a in _SCALARS for a in inner):
            return None, None
        if len(inner) == 1:
            enc, dec = _codec(inner[0], schema)
            return (
                (lambda v: None if v is None else enc(v)) if enc else None,
                (lambda v: None if v is None else dec(v)) if dec else None,
            )
        raise TypeError(f"cannot cache a field of type {tp!r}")
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        enc, dec = _codec(args[0], schema)
        if dec is None:
            return (list if enc is None else lambda v: [enc(x) for x in v]), tuple
        return (lambda v: [enc(x) for x in v]), (lambda v: tuple(map(dec, v)))
    if origin is dict and args and args[0] is str:
        if args[1] is Any:
            return _encode_meta, _decode_meta
        enc, dec = _codec(args[1], schema)
        return (
            (lambda v: {k: enc(x) for k, x in v.items()}) if enc else dict,
            (lambda v: {k: dec(x) for k, x in v.items()}) if dec else dict,
        )
    if dataclasses.is_dataclass(tp):
        return _dataclass_codec(tp, schema)
    raise TypeError(f"cannot cache a field of type {tp!r}")


def _field_codec(tp: Any, schema: list[str]) -> tuple[Codec, bool]:
    """``_codec`` for a field, and whether its value may be None, which then
    stays as it is: the caller skips it, saving a call per field (most of a
    task's six dates are None: 14,000 calls to decode 1,200 entries)."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 2:
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1 and inner[0] not in _SCALARS:
            schema.append(repr(tp))  # as ``_codec`` records it
            return _codec(inner[0], schema), True
    return _codec(tp, schema), False


def _dataclass_codec(cls: type, schema: list[str]) -> Codec:
    """A dataclass as the list of its fields' values, in field order."""
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    names = [f.name for f in fields]
    schema.append(f"{cls.__module__}.{cls.__qualname__}({','.join(names)})")
    codecs = [_field_codec(hints[f.name], schema) for f in fields]
    encoders = [(i, enc) for i, ((enc, _), opt) in enumerate(codecs) if enc and not opt]
    decoders = [(i, dec) for i, ((_, dec), opt) in enumerate(codecs) if dec and not opt]
    maybe_encoders = [(i, enc) for i, ((enc, _), opt) in enumerate(codecs) if enc and opt]
    maybe_decoders = [(i, dec) for i, ((_, dec), opt) in enumerate(codecs) if dec and opt]
    # Building through __dict__ is several times faster than calling a frozen
    # dataclass's __init__ (one object.__setattr__ per field), which matters
    # for 100,000 notes; a class with __slots__ or __post_init__ is called.
    plain = "__slots__" not in cls.__dict__ and not hasattr(cls, "__post_init__")
    new = object.__new__

    def encode(obj: Any) -> list[Any]:
        row = [getattr(obj, n) for n in names]
        for i, enc in encoders:
            row[i] = enc(row[i])
        for i, enc in maybe_encoders:
            if row[i] is not None:
                row[i] = enc(row[i])
        return row

    def decode(row: list[Any]) -> Any:
        if len(row) != len(names):
            raise ValueError("a cached row does not fit its class")
        for i, dec in decoders:
            row[i] = dec(row[i])
        for i, dec in maybe_decoders:
            if row[i] is not None:
                row[i] = dec(row[i])
        if plain:
            obj = new(cls)
            obj.__dict__.update(zip(names, row, strict=True))
            return obj
        return cls(*row)

    return encode, decode


def _entry_codec() -> tuple[Callable[[Entry], list], Callable[[list], Entry], str]:
    from ppsjournal.index import Entry

    schema: list[str] = []
    enc, dec = _dataclass_codec(Entry, schema)
    digest = hashlib.sha256("\n".join(schema).encode()).hexdigest()[:16]
    return enc, dec, digest


_CODEC: tuple[Callable[[Entry], list], Callable[[list], Entry], str] | None = None


def entry_codec() -> tuple[Callable[[Entry], list], Callable[[list], Entry], str]:
    """(encode, decode, schema fingerprint) for Entry, built once from its fields."""
    global _CODEC
    if _CODEC is None:
        _CODEC = _entry_codec()
    return _CODEC


# -- the cache --------------------------------------------------------------------


class _Scan(NamedTuple):
    """What a full scan found, compared with the cache."""

    stale: dict[str, FileStat]  # notes to read: new, changed, or read racily
    gone: list[str]  # notes no longer there (not those of a folder it could not read)
    walk_errors: list[tuple[str, str]]
    seen: dict[str, FileStat] | None  # every note found; None when a child scanned


@dataclass
class Changes:
    """What one refresh found: paths added, changed (parsed anew) and removed."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reread: int = 0  # notes read (changed, added, or racy ones that turned out the same)
    walk_errors: list[tuple[str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    @property
    def paths(self) -> list[str]:
        return sorted({*self.added, *self.changed, *self.removed})


@dataclass
class NoteCache:
    """Every note's stat and entry, and which were read racily (to read again).

    ``entries`` holds the entries decoded so far: all of them after
    ``load_entries()``, only those asked for after ``entries_of``. The
    others stay in the entries file, found by their offset.
    """

    stats: dict[str, FileStat] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    racy: set[str] = field(default_factory=set)  # mtime not older than the read: not trusted
    dirty: bool = False  # differs from the file on disk
    # What the last build wrote, valid while no note changes (see build.build_vault).
    build_stamp: dict[str, Any] | None = None
    # Notes whose entries no output reads beyond their path (sources.py): as
    # flagged when read (``refresh``'s idle_rule) and checked by every build.
    idle: set[str] = field(default_factory=set)
    # The notes whose name another note has too (``followups.shared_names`` of
    # the paths in ``stats``), kept by a build; None when not known: a note
    # added or removed forgets it. Finding them takes 10 ms at 20,000 notes.
    shared: list[str] | None = None
    # The entries file: its name, its size as the header knows it, and an open
    # handle (held from loading on: another process may replace the file, but
    # these offsets are into this one).
    _file: str | None = None
    _size: int = 0
    _fh: BinaryIO | None = None
    _schema: str | None = None  # the Entry shape the file was written with (checked on use)
    _broken: bool = False  # the entries file is missing or shorter than the header says
    _offsets: dict[str, tuple[int, int]] = field(default_factory=dict)  # rel -> (offset, length)
    # Lines not in the entries file yet (parsed by the workers, or encoded):
    # appended on saving, so that saving after one change writes one line.
    _lines: dict[str, bytes] = field(default_factory=dict)
    # The notes file the header builds on, as written: saving compares with it.
    _base: _Base | None = None

    def _ready(self) -> bool:
        """Whether the cached entries can be read; if not, start from nothing (False)."""
        if self._broken or (self._schema is not None and self._schema != entry_codec()[2]):
            self._forget()
            return False
        return True

    def _forget(self) -> None:
        """Start from nothing, as for any bad cache."""
        self.stats, self.entries, self.racy, self.idle = {}, {}, set(), set()
        self._offsets, self._lines, self._base, self.shared = {}, {}, None, None
        self._schema, self._broken = None, False
        self.build_stamp, self.dirty = None, True

    def _read_line(self, rel: str, whole: bytes | None = None) -> bytes:
        line = self._lines.get(rel)
        if line is not None:
            return line
        offset, length = self._offsets[rel]
        if whole is not None:
            line = whole[offset : offset + length]
        else:
            assert self._fh is not None
            line = _pread(self._fh, length, offset)
        if len(line) != length:
            raise ValueError("an entry line cut short")
        return line

    def _decode(self, paths: Iterable[str]) -> bool:
        """Decode these paths' entries if not yet done; False (and an empty cache) if any is bad."""
        if not self._ready():
            return False
        entries = self.entries
        todo = [rel for rel in paths if rel not in entries]
        with _quiet_gc():
            try:
                whole = None
                if len(todo) * 3 > len(self._offsets) and self._fh is not None:
                    # Most of the file: one read of it beats a read per line
                    # (not for a few: 24 MB at 20,000 notes, to decode 1,200).
                    whole = _pread(self._fh, self._size, 0)
                for i in range(0, len(todo), _DECODE_BATCH):
                    batch = todo[i : i + _DECODE_BATCH]  # their lines held a batch at a time
                    lines = [self._read_line(rel, whole) for rel in batch]
                    for rel, entry in zip(batch, _decode_lines(lines), strict=True):
                        if entry.path != rel:
                            raise ValueError("an entry under another path")
                        entries[rel] = entry
            except (ValueError, TypeError, KeyError, IndexError, AttributeError, OSError):
                # A torn or tampered line: start from nothing, as for any bad cache.
                self._forget()
                return False
        return True

    def load_entries(self) -> None:
        """Decode every entry (``load_cache(lazy=True)`` decodes them as asked for)."""
        if len(self.entries) != len(self.stats):
            self._decode(list(self.stats))

    def entries_of(self, paths: Iterable[str]) -> list[Entry] | None:
        """These notes' entries, decoding only those; None when the cache turned out torn.

        After None the cache is empty: ``refresh`` it to read every note again.
        """
        paths = list(paths)
        if not self._decode(paths):
            return None
        return [self.entries[rel] for rel in paths]

    def line(self, rel: str) -> bytes:
        """One entry's cache line (JSON): as read or parsed, else encoded."""
        if rel in self._lines or rel in self._offsets:
            return self._read_line(rel)
        found = _encode_line(self.entries[rel])
        self._lines[rel] = found
        return found

    def fresh(self, rel: str, st: FileStat) -> bool:
        return rel not in self.racy and self.stats.get(rel) == st

    def refresh(
        self,
        vault: Vault,
        only: Iterable[str] | None = None,
        idle_rule: Callable[[], Callable[[Entry], bool]] | None = None,
        meanwhile: Sequence[str] = (),
    ) -> Changes:
        """Bring the cache up to date with the vault; parse only what changed.

        ``only``: check just these paths (the watcher's events) instead of a
        full scan; a path no longer there is removed. ``idle_rule``: gives
        the test of whether a note just read is idle (``sources.idle_note``),
        called only when there are notes to read (an "up to date" build
        imports no parsing code). Such a note is flagged at once, and when
        read in parallel not even kept decoded (a cold build decodes only the
        few entries its outputs read). Without it a note read again is not
        idle until a build has looked at it.

        ``meanwhile``: modules the caller will want if a note changed,
        imported while a child process scans a large vault (``_scan_forked``).
        """
        with _quiet_gc():
            return self._refresh(vault, only, idle_rule, meanwhile)

    def _scan(self, vault: Vault) -> _Scan:
        """Every note's stat, compared with the cache's: one full scan."""
        errors: list[tuple[str, str]] = []
        seen = vault.scan_notes(errors)
        # ppsj's own output is no note: reading it back would make every
        # build see a change (it just wrote it) and it holds no notes' data.
        seen.pop(FOLLOWUPS, None)
        unreached = [
            where
            for where, message in errors
            if message.startswith("cannot read") and where not in seen
        ]
        gone = [rel for rel in self.stats if rel not in seen and not _under(rel, unreached)]
        racy, stats = self.racy, self.stats  # ``fresh``, inlined: once per note
        stale = {rel: st for rel, st in seen.items() if rel in racy or stats.get(rel) != st}
        return _Scan(dict(sorted(stale.items())), gone, errors, seen)

    def _scan_forked(self, vault: Vault, meanwhile: Sequence[str]) -> _Scan | None:
        """``_scan`` in a forked child, while this process imports ``meanwhile``;
        None when the child could not tell (then scan here).

        The scan is system calls (a ``stat`` per note, 60-80 ms at 20,000 notes),
        the imports are CPU work in this process (jinja2, the parsing code:
        as long again), and a build after one change needs both: on a spare
        CPU they overlap (git's preload-index stats in parallel for the same
        reason). A thread would not do: it needs the GIL after each ``stat``
        while the imports hold it. This process imports only while the child
        scans: when the scan finds nothing changed, a build is "up to date" at
        once, and the modules not yet imported never are.
        """
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the child: scan, send the result, and leave without cleaning up
            status = 1
            try:
                os.close(read_end)
                scan = self._scan(vault)
                with open(write_end, "wb") as out:
                    out.write(json.dumps([scan.stale, scan.gone, scan.walk_errors]).encode())
                status = 0
            finally:  # also on Ctrl-C: no traceback, no atexit, no flushing of the parent's buffers
                os._exit(status)
        os.close(write_end)
        status = None
        try:
            for name in meanwhile:
                done, code = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = code
                    break
                # An import that fails here fails again where it is needed, and says so.
                with contextlib.suppress(Exception):
                    importlib.import_module(name)
            with open(read_end, "rb") as result:
                data = result.read()
        finally:
            if status is None:
                _, status = os.waitpid(pid, 0)
        if status != 0:
            return None
        try:
            stale, gone, errors = json.loads(data)
            return _Scan(
                {rel: (size, mtime, inode) for rel, (size, mtime, inode) in stale.items()},
                [str(rel) for rel in gone],
                [(str(where), str(message)) for where, message in errors],
                None,
            )
        except (ValueError, TypeError):
            return None

    def _refresh(
        self,
        vault: Vault,
        only: Iterable[str] | None,
        idle_rule: Callable[[], Callable[[Entry], bool]] | None,
        meanwhile: Sequence[str],
    ) -> Changes:
        changes = Changes()
        if only is None:
            scan = None
            if meanwhile and len(self.stats) >= FORKED_SCAN_MIN and _spare_cpus() and _can_fork():
                scan = self._scan_forked(vault, meanwhile)
            if scan is None:
                scan = self._scan(vault)
            stale, gone = scan.stale, scan.gone
            changes.walk_errors.extend(scan.walk_errors)
            if (stale or gone) and not self._ready():  # unusable: everything is to read
                if scan.seen is None:
                    scan = self._scan(vault)
                stale, gone = dict(sorted((scan.seen or {}).items())), []
        else:
            seen: dict[str, FileStat] = {}
            gone = []
            for rel in only:
                if rel == FOLLOWUPS:
                    continue
                try:
                    seen[rel] = vault.stat(rel)
                except FileNotFoundError:
                    if rel in self.stats:
                        gone.append(rel)
                except OSError as exc:
                    # Kept as it was: an unreachable note is not a deleted one.
                    changes.walk_errors.append((rel, f"cannot read: {exc.strerror}"))
            stale = {rel: st for rel, st in seen.items() if not self.fresh(rel, st)}
            if (stale or gone) and not self._ready():  # unusable: everything is to read
                stale, gone = seen, []
        for rel in gone:
            del self.stats[rel]
            self.entries.pop(rel, None)
            self._offsets.pop(rel, None)
            self._lines.pop(rel, None)
            self.racy.discard(rel)
            self.idle.discard(rel)
            changes.removed.append(rel)
        if stale:
            # Taken before reading: an edit after this moment within the tick
            # of the mtime we record leaves the stat as it is, so a note whose
            # mtime is not older than this is read again next time.
            stamp = vault.clock()
            idle_test = idle_rule() if idle_rule is not None else None
            entries, lines, idle = read_entries(vault, list(stale), idle_test)
            for rel, entry in zip(stale, entries, strict=True):
                line = lines[rel] if lines is not None else _encode_line(entry)
                new = True
                if rel not in self.stats:
                    changes.added.append(rel)
                elif self._same(rel, line):
                    new = False  # touched, or only its text changed: its entry and flags stand
                else:
                    changes.changed.append(rel)
                if new:
                    if entry is not None and rel not in idle:
                        self.entries[rel] = entry
                    else:  # idle: its line is kept, decoded if ever asked for
                        self.entries.pop(rel, None)
                    self._offsets.pop(rel, None)
                    self._lines[rel] = line
                    if rel in idle:
                        self.idle.add(rel)
                    else:
                        self.idle.discard(rel)
                self.stats[rel] = stale[rel]
                if stale[rel][MTIME_NS] >= stamp:
                    self.racy.add(rel)
                else:
                    self.racy.discard(rel)
            changes.reread = len(stale)
        if changes.added or changes.removed:
            self.shared = None  # of other paths
        if changes:
            self.build_stamp = None  # the notes moved on from the last build
        if stale or gone:
            self.dirty = True
        return changes

    def _same(self, rel: str, line: bytes) -> bool:
        """Whether a note read again gives the entry cached, compared as cache lines.

        Lines, not objects: ``1 == True`` and a task's problems are left out of
        ``==``, but either changes what the outputs say.
        """
        try:
            return self.line(rel) == line
        except (KeyError, ValueError, OSError):
            return False

    # -- the files --------------------------------------------------------------

    def save(self, vault: Vault) -> None:
        """Write the entry lines not in the entries file yet, then the header (under the lock).

        The entries file only grows (lines appended), so a header written by
        another process still points at valid lines; it is rewritten whole
        (under a new name) when most of it is lines no header needs any more,
        or when another process has replaced it.
        """
        self._ready()  # a broken cache is forgotten: an empty one is written
        offsets = dict(self._offsets)  # of notes in ``stats`` only (``refresh`` keeps it so)
        # The notes whose line is not in the entries file: a few, found in C
        # (a loop over 20,000 paths costs milliseconds, at every save).
        new = [
            rel
            for rel in itertools.filterfalse(offsets.__contains__, self.stats)
            if rel in self._lines or rel in self.entries
        ]
        paths = list(self.stats)
        if len(offsets) + len(new) != len(paths):  # a note with no entry at all: not saved
            stored = {*offsets, *new}
            paths = [rel for rel in paths if rel in stored]
        live = sum(map(operator.itemgetter(1), offsets.values()))
        new_lines = [self.line(rel) for rel in new]
        live += sum(len(line) + 1 for line in new_lines)
        name, size = self._file, self._size
        appendable = name is not None and self._fh is not None and not self._broken
        if appendable:
            assert self._fh is not None
            st = os.fstat(self._fh.fileno())
            # Unlinked: another process wrote a new file. Mostly garbage: rewrite.
            appendable = st.st_nlink > 0 and st.st_size <= 2 * live + COMPACT_SLACK
        compacted = not appendable
        if appendable:
            # No new line: the header alone changes (a build stamp, idle notes).
            if new:
                assert name is not None
                with vault.open_state(name, append=True) as fh:
                    # At the end, wherever another process left it (we hold the lock).
                    pos = fh.seek(0, os.SEEK_END)
                    for rel, line in zip(new, new_lines, strict=True):
                        fh.write(line + b"\n")
                        offsets[rel] = (pos, len(line))
                        pos += len(line) + 1
                    size = pos
        else:
            name = f"{ENTRIES_PREFIX}{secrets.token_hex(8)}.jsonl"
            whole = None
            if self._fh is not None and not self._broken and len(paths) > 1000:
                whole = _pread(self._fh, self._size, 0)
            offsets, pos = {}, 0
            # Written line by line (no copy of them all joined: 130 MB at
            # 100,000 notes). Not atomic, and need not be: no header names
            # this new file until it is complete; a crash leaves an orphan
            # that the next rewrite removes.
            with vault.open_state(name, append=True) as fh:
                for rel in paths:
                    line = self._read_line(rel, whole) if rel in self._offsets else self.line(rel)
                    fh.write(line)
                    fh.write(b"\n")
                    offsets[rel] = (pos, len(line))
                    pos += len(line) + 1
            size = pos
        base = self._base
        delta = None
        if base is not None and base.name in vault.state_files(NOTES_PREFIX):
            delta = _delta(base, paths, self.stats, offsets, self.idle)
        if delta is None:  # a new base: the notes as they are now
            base = _Base(
                f"{NOTES_PREFIX}{secrets.token_hex(8)}.json",
                {rel: self.stats[rel] for rel in paths},
                {rel: offsets[rel] for rel in paths},
                frozenset(rel for rel in paths if rel in self.idle),
            )
            columns = _columns(paths, base.stats, base.idle, base.offsets)
            vault.write_state(base.name, json.dumps(columns, **_COMPACT).encode())
            delta = {}, []
        changed, removed = delta
        header = {
            "format": FORMAT,
            "ppsj": __version__,
            "schema": entry_codec()[2],
            "parser": fingerprint("parser"),
            "outputs": fingerprint("outputs"),
            "entries": [name, size],
            "racy": sorted(self.racy),
            "build": self.build_stamp,
            "shared": self.shared,
            "notes": {"base": base.name, "changed": changed, "removed": removed},
        }
        vault.write_state(CACHE_NAME, json.dumps(header, **_COMPACT).encode())
        if base is not self._base:
            _remove_others(vault, NOTES_PREFIX, base.name)
            self._base = base
        if compacted:
            fh = vault.open_state(name)
            if self._fh is not None:
                self._fh.close()
            self._fh = fh
            _remove_others(vault, ENTRIES_PREFIX, name)
        self._file, self._size, self._offsets, self._lines = name, size, offsets, {}
        self._schema, self._broken = entry_codec()[2], False

    @classmethod
    def loads(
        cls, data: bytes, written_ns: int, read_base: Callable[[str], bytes | None]
    ) -> NoteCache:
        """The cache from its header file's bytes and the base it names
        (``read_base(name)``: the notes file's bytes, None when missing);
        ValueError when they are not what this ppsj wrote.

        The entries stay where they are until asked for (``attach``, then
        ``entries_of`` or ``load_entries``).
        """
        try:
            doc = json.loads(data)
            if (
                not isinstance(doc, dict)
                or doc.get("format") != FORMAT
                or doc.get("ppsj") != __version__
                or doc.get("parser") != fingerprint("parser")
            ):
                raise ValueError("another version")
            racy = {str(rel) for rel in doc["racy"]}
            notes = doc["notes"]
            base_name = notes["base"]
            if not _state_name(base_name, NOTES_PREFIX):
                raise ValueError("bad notes file name")
            base_data = read_base(base_name)
            if base_data is None:
                raise ValueError("the notes file is missing")
            stats, offsets, idle = _rows(json.loads(base_data))
            base = _Base(base_name, dict(stats), dict(offsets), frozenset(idle))
            _apply_delta(notes["changed"], notes["removed"], stats, offsets, idle)
            # git's rule: a note not older than the cache file itself may
            # have changed within the same tick, after it was read.
            mtimes = map(operator.itemgetter(MTIME_NS), stats.values())
            racy.update(itertools.compress(stats, map(written_ns.__le__, mtimes)))
            shared = doc.get("shared")
            if type(shared) is not list or not set(map(type, shared)) <= {str}:
                shared = None
            if doc.get("outputs") != fingerprint("outputs"):
                # The outputs read other things now: the next build finds out.
                idle, shared = set(), None
            stamp = doc.get("build")
            if stamp is not None and not isinstance(stamp, dict):
                raise ValueError("bad build stamp")
            name, size = doc["entries"]
            if not _state_name(name, ENTRIES_PREFIX):
                raise ValueError("bad entries file name")
            schema = str(doc["schema"])
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise ValueError(f"not a usable cache: {exc}") from None
        return cls(
            stats,
            {},
            racy,
            build_stamp=stamp,
            idle=idle,
            shared=shared,
            _file=name,
            _size=int(size),
            _schema=schema,
            _offsets=offsets,
            _base=base,
        )

    def close(self) -> None:
        """Let go of the entries file: the end of this cache's use."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            self._broken = True

    def attach(self, vault: Vault) -> None:
        """Open the entries file the header names (a missing or short one: ``_broken``)."""
        if self._file is None:
            return
        try:
            fh = vault.open_state(self._file)
        except OSError:
            self._broken = True
            return
        if os.fstat(fh.fileno()).st_size < self._size:
            fh.close()
            self._broken = True
            return
        self._fh = fh


# The base's per-note data, a column each: the paths a JSON list, and each
# column of numbers 64-bit little-endian integers in base64 (one C call each
# way; JSON's 120,000 numbers at 20,000 notes took 14 ms to load, at every
# command). The inode is unsigned: file systems use all 64 bits.
_COLUMNS = {"size": "q", "mtime_ns": "q", "inode": "Q", "offset": "q", "length": "q", "idle": "q"}


def _pack(values: Iterable[int], code: str) -> str:
    try:
        column = array.array(code, values)
    except OverflowError as exc:  # a value no file system gives: the cache is not written
        raise ValueError(f"not a cache value: {exc}") from None
    if sys.byteorder != "little":  # pragma: no cover - the same bytes on every machine
        column.byteswap()
    return base64.b64encode(column.tobytes()).decode("ascii")


def _unpack(text: Any, code: str, n: int) -> list[int]:
    """A column ``_pack`` wrote, of ``n`` numbers; ValueError unless it is one."""
    if type(text) is not str:
        raise ValueError("a bad column of notes")
    data = base64.b64decode(text, validate=True)  # binascii.Error is a ValueError
    column = array.array(code)
    if len(data) != n * column.itemsize:
        raise ValueError("a column of notes of another length")
    column.frombytes(data)
    if sys.byteorder != "little":  # pragma: no cover
        column.byteswap()
    return column.tolist()


def _columns(
    paths: list[str],
    stats: dict[str, FileStat],
    idle: Collection[str],
    offsets: dict[str, tuple[int, int]],
) -> dict[str, Any]:
    """Each note's path, stat, idle flag (0 or 1) and entry line's offset and length."""
    if not paths:
        return {"path": [], **{name: _pack((), code) for name, code in _COLUMNS.items()}}
    # Column by column, in C (zip, map): a loop per note took 30 ms at 20,000.
    size, mtime, inode = zip(*map(stats.__getitem__, paths), strict=True)
    offset, length = zip(*map(offsets.__getitem__, paths), strict=True)
    flags = map(int, map(idle.__contains__, paths))
    numbers = (size, mtime, inode, offset, length, flags)
    packed = (_pack(c, code) for c, code in zip(numbers, _COLUMNS.values(), strict=True))
    return {"path": paths, **dict(zip(_COLUMNS, packed, strict=True))}


def _rows(
    notes: dict[str, Any],
) -> tuple[dict[str, FileStat], dict[str, tuple[int, int]], set[str]]:
    """``_columns`` read back; ValueError unless every column is as long and well typed."""
    paths = notes["path"]
    if type(paths) is not list or not set(map(type, paths)) <= {str}:
        raise ValueError("a bad column of paths")
    n = len(paths)
    size, mtime, inode, offset, length, idle = (
        _unpack(notes[name], code, n) for name, code in _COLUMNS.items()
    )
    stats = dict(zip(paths, zip(size, mtime, inode, strict=True), strict=True))
    if len(stats) != n:
        raise ValueError("a note listed twice")
    offsets = dict(zip(paths, zip(offset, length, strict=True), strict=True))
    return stats, offsets, set(itertools.compress(paths, idle))


class _Base(NamedTuple):
    """A notes file (the header's base) as written: each note's stat, entry
    line and idle flag. The header lists what differs from it."""

    name: str
    stats: dict[str, FileStat]
    offsets: dict[str, tuple[int, int]]
    idle: frozenset[str]


def _delta(
    base: _Base,
    paths: list[str],
    stats: dict[str, FileStat],
    offsets: dict[str, tuple[int, int]],
    idle: set[str],
) -> tuple[dict[str, list[int]], list[str]] | None:
    """The header's rows for the notes that differ from ``base`` (path ->
    stat, offset, length, idle), and the base's notes no longer there; None
    when there are too many: then a new base is written.

    Saving after one change then writes a header of a few rows, not the
    rows of every note (1.8 MB at 20,000 notes: 30 ms of every build).
    """
    limit = max(DELTA_MIN, len(paths) // DELTA_SHARE)
    kept = stats.keys() if len(paths) == len(stats) else set(paths)
    changed = (
        _differ(base.stats, stats) | _differ(base.offsets, offsets) | (idle ^ base.idle)
    ) & kept
    removed = sorted(base.stats.keys() - kept)
    if len(changed) + len(removed) > limit:
        return None
    rows = {rel: [*stats[rel], *offsets[rel], int(rel in idle)] for rel in sorted(changed)}
    return rows, removed


def _differ(base: dict[str, Any], now: dict[str, Any]) -> set[str]:
    """The keys of ``now`` whose value is not ``base``'s.

    The values are the base's own objects until changed, so identity sorts
    out nearly all of them, in C (1 ms for 20,000, a loop comparing values
    takes 5); those not identical are compared by value.
    """
    maybe = itertools.compress(now, map(operator.is_not, map(base.get, now), now.values()))
    return {key for key in maybe if base.get(key) != now[key]}


def _apply_delta(
    changed: Any,
    removed: Any,
    stats: dict[str, FileStat],
    offsets: dict[str, tuple[int, int]],
    idle: set[str],
) -> None:
    """The header's rows over the base's (``_delta`` read back); ValueError unless well typed."""
    if type(changed) is not dict or type(removed) is not list:
        raise ValueError("bad rows of notes")
    for rel in removed:
        if type(rel) is not str or rel not in stats:
            raise ValueError("a bad note removed")
        del stats[rel]
        del offsets[rel]
        idle.discard(rel)
    for rel, row in changed.items():
        # type() is int: bool (a subclass) and floats are not cache values
        if type(row) is not list or len(row) != 6 or not set(map(type, row)) <= {int}:
            raise ValueError("a bad row of notes")
        size, mtime, inode, offset, length, flag = row
        stats[rel] = (size, mtime, inode)
        offsets[rel] = (offset, length)
        if flag:
            idle.add(rel)
        else:
            idle.discard(rel)


def _remove_others(vault: Vault, prefix: str, keep: str) -> None:
    """Remove the state files of ``prefix`` but ``keep`` (once a header names it):
    files no header names any more, or orphans of a crash. Best effort."""
    for other in vault.state_files(prefix):
        if other != keep:
            with contextlib.suppress(OSError, PpsjError):
                vault.remove_state(other)


def _state_name(name: Any, prefix: str) -> bool:
    """Whether ``name`` is a file name in ``.ppsj/`` that ppsj would have made."""
    if not isinstance(name, str) or not name.startswith(prefix):
        return False
    return "/" not in name and "\\" not in name and "\0" not in name


def _decode_lines(lines: list[bytes]) -> list[Entry]:
    """Entries from their cache lines; ValueError (or the like) for a line that
    is not one entry. A batch of lines is one JSON array: one call into the
    parser, not one per line (half the time of decoding them)."""
    _, decode, _ = entry_codec()
    entries: list[Entry] = []
    for i in range(0, len(lines), _DECODE_BATCH):
        batch = lines[i : i + _DECODE_BATCH]
        rows = json.loads(b"[" + b",".join(batch) + b"]")
        if len(rows) != len(batch):
            raise ValueError("a line that is not one entry")
        entries.extend(map(decode, rows))
    return entries


def _encode_line(entry: Entry) -> bytes:
    """An entry's cache line: compact JSON, UTF-8."""
    return json.dumps(entry_codec()[0](entry), **_COMPACT).encode("utf-8")


def _pread(fh: BinaryIO, length: int, offset: int) -> bytes:
    """``length`` bytes at ``offset`` (one system call where there is ``pread``)."""
    if hasattr(os, "pread"):
        return os.pread(fh.fileno(), length, offset)
    fh.seek(offset)  # Windows
    return fh.read(length)


def _under(rel: str, folders: list[str]) -> bool:
    return any(f in (".", "") or rel == f or rel.startswith(f + "/") for f in folders)


def load_cache(vault: Vault, lazy: bool = False) -> NoteCache:
    """The vault's cache, or an empty one when it is missing, corrupt or another version's.

    ``lazy``: decode the entries only when asked for (``entries_of``, ``load_entries``).
    """

    def read_base(name: str) -> bytes | None:
        found = vault.read_state(name)
        return None if found is None else found[0]

    for attempt in (1, 2):
        found = vault.read_state(CACHE_NAME)
        if found is None:
            return NoteCache()
        data, written_ns = found
        try:
            with _quiet_gc():
                cache = NoteCache.loads(data, written_ns, read_base)
            break
        except ValueError:
            # Once more: another process may have replaced the base and the
            # header between our two reads.
            if attempt == 2:
                return NoteCache(dirty=True)
    cache.attach(vault)
    if not lazy:
        cache.load_entries()
    return cache


@contextlib.contextmanager
def _quiet_gc():
    """No cyclic collection while many cycle-free objects are made (it made loading 3x slower)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What was made lives as long as the index: the collector need not
        # walk it again and again (no cycles; refcounting still frees it).
        gc.freeze()
        if enabled:
            gc.enable()


def save_cache(vault: Vault, cache: NoteCache) -> bool:
    """Write the cache if it changed; False (and nothing raised) if it cannot be written."""
    if not cache.dirty:
        return True
    try:
        with vault.lock(), _quiet_gc():
            cache.save(vault)
    except (OSError, PpsjError, TypeError, ValueError):
        # A read-only vault, a full disk, a value the codec cannot carry: the
        # command still works, it only parses again next time.
        return False
    cache.dirty = False
    return True


# -- reading notes, on every CPU when there are many ----------------------------------


def read_entries(
    vault: Vault, paths: list[str], idle_test: Callable[[Entry], bool] | None = None
) -> tuple[list[Entry | None], dict[str, bytes] | None, set[str]]:
    """Each path's entry, in order, its cache line (None for all when read
    here without ``idle_test``), and the paths ``idle_test`` finds idle.

    An idle note has None for its entry: its line is all the cache needs
    (decoded if ever asked for), and a worker's lines are decoded here only
    when not idle.

    Many notes (a cold start) are shared by this process and worker processes
    (one per other CPU), in chunks each takes when it gets to them, so this
    process starts at once and a CPU slowed by other work takes fewer. A worker
    sends back each entry as its JSON cache line: decoding those is cheaper
    than unpickling the objects, and the lines are saved as they are; the
    chunks read here are encoded here, while the workers work.

    Workers are forked (a spawned interpreter would re-run an unguarded main
    script, and measured no faster): they start at once, but a forked child
    and this process slow each other down at first, as each page they share
    is copied on its first write.
    """
    workers = _spare_cpus()
    if len(paths) < PARALLEL_MIN or workers < 1 or not _can_fork():
        if idle_test is None:  # nothing to let go: the lines are made as they are saved
            return [read_entry(vault, rel) for rel in paths], None, set()
        return _unzip(paths, _read_chunks(vault, paths, idle_test))
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    chunks = [paths[i : i + _CHUNK] for i in range(0, len(paths), _CHUNK)]
    taken = ctx.Value("i", 0)  # the next chunk to take, shared with the workers
    done: dict[int, list[tuple[Entry | None, bytes, bool]]] = {}
    try:
        with ctx.Pool(
            workers,
            initializer=_start_worker,
            initargs=(vault.root, vault.settings, chunks, taken, idle_test),
        ) as pool:
            pending = [pool.apply_async(_read_in_worker) for _ in range(workers)]
            for i in _take_chunks(taken, len(chunks)):
                done[i] = _read_chunk(vault, chunks[i], idle_test)
            if len(done) < len(chunks):  # else no worker got to start: none waited for
                for job in pending:
                    for i, items in job.get():
                        done[i] = [(None, line, is_idle) for line, is_idle in items]
    except (OSError, multiprocessing.ProcessError):
        return _unzip(paths, _read_chunks(vault, paths, idle_test))
    return _unzip(paths, [item for i in range(len(chunks)) for item in done[i]])


def _read_chunk(
    vault: Vault, paths: list[str], idle_test: Callable[[Entry], bool] | None
) -> list[tuple[Entry | None, bytes, bool]]:
    """(entry, cache line, idle) for each of a chunk's notes; an idle note's
    entry is let go with the chunk (a cold build's peak memory is then the
    lines, not the entries). Each step runs over the whole chunk: measured a
    fifth faster than reading, testing and encoding note by note."""
    entries = [read_entry(vault, rel) for rel in paths]
    idle = [idle_test(e) for e in entries] if idle_test is not None else [False] * len(entries)
    lines = list(map(_encode_line, entries))
    return [
        (None if is_idle else entry, line, is_idle)
        for entry, line, is_idle in zip(entries, lines, idle, strict=True)
    ]


def _read_chunks(
    vault: Vault, paths: list[str], idle_test: Callable[[Entry], bool] | None
) -> list[tuple[Entry | None, bytes, bool]]:
    """``_read_chunk`` for any number of notes, a chunk at a time, in this process."""
    return [
        item
        for i in range(0, len(paths), _CHUNK)
        for item in _read_chunk(vault, paths[i : i + _CHUNK], idle_test)
    ]


def _unzip(
    paths: list[str], items: list[tuple[Entry | None, bytes, bool]]
) -> tuple[list[Entry | None], dict[str, bytes], set[str]]:
    """``read_entries``' result from (entry, line, idle) per path; a worker's
    note that is not idle comes as its line alone, decoded here."""
    entries: list[Entry | None] = [entry for entry, _, _ in items]
    lines = {rel: line for rel, (_, line, _) in zip(paths, items, strict=True)}
    idle = {rel for rel, (_, _, is_idle) in zip(paths, items, strict=True) if is_idle}
    sent = [i for i, (entry, _, is_idle) in enumerate(items) if entry is None and not is_idle]
    with _quiet_gc():
        decoded = _decode_lines([items[i][1] for i in sent])
    for i, entry in zip(sent, decoded, strict=True):
        entries[i] = entry
    return entries, lines, idle


_CHUNK = 200  # notes a process takes at a time
_DECODE_BATCH = 1000  # entry lines parsed in one go (their JSON rows live until decoded)


def _spare_cpus() -> int:
    """CPUs beyond this process's that other work is not already using (at most 7).

    A worker costs more CPU in all than it saves (each note it reads is
    encoded there and decoded here, and forking has a price): with no idle
    CPU for it, one process alone finishes sooner (measured on a 2-CPU
    machine whose other CPU was busy: 2.0 s alone, 2.5 s with a worker).
    """
    cpus = os.cpu_count() or 1
    try:
        # Processes running or waiting over the last minute, this one's own
        # recent work included (a command run just before counts too).
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):
        busy = 0.0
    return max(0, min(cpus - 1, 7, int(cpus - busy + 0.5)))


_COMPACT: dict[str, Any] = {"ensure_ascii": False, "separators": (",", ":")}
_WORKER_JOB: tuple[Vault, list[list[str]], Any, Any] | None = None


def _take_chunks(taken: Any, count: int) -> Iterable[int]:
    """Chunk numbers not yet taken by any process, until none is left."""
    while True:
        with taken.get_lock():
            i = taken.value
            taken.value = i + 1
        if i >= count:
            return
        yield i


def _start_worker(
    root: Any, settings: Any, chunks: list[list[str]], taken: Any, idle_test: Any
) -> None:
    global _WORKER_JOB
    gc.disable()  # many objects, no cycles, a short life
    _WORKER_JOB = (Vault(root, settings), chunks, taken, idle_test)


def _read_in_worker() -> list[tuple[int, list[tuple[bytes, bool]]]]:
    """In a worker: take chunks and parse them into cache lines and idle flags."""
    assert _WORKER_JOB is not None
    vault, chunks, taken, idle_test = _WORKER_JOB
    return [
        (i, [(line, is_idle) for _, line, is_idle in _read_chunk(vault, chunks[i], idle_test)])
        for i in _take_chunks(taken, len(chunks))
    ]


def _can_fork() -> bool:
    import threading

    # Forking a process that runs other threads (the watcher's observer) can
    # deadlock in the child on a lock held by another thread.
    return hasattr(os, "fork") and threading.active_count() == 1

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

The file is JSON, never pickle: a vault may come from a stranger, and reading
it must not run code. Values are converted explicitly both ways from the
dataclasses' own field types, so fields added to Entry or Task later are
carried (and change the schema fingerprint, which drops older caches). A
change to the parsing code itself (a fix to the task grammar, say) changes
the ``parser`` fingerprint, a hash of those modules' source, which drops
older caches too: an entry is only as good as the code that parsed it.

Entries are decoded one by one, when asked for: a build after one change
decodes the entries its outputs read (``idle`` marks those they do not,
as the last build found), not all 100,000.

A folder that cannot be read, or a walk error, never makes the index forget
the notes it did not reach: their cached entries are kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import hashlib
import json
import os
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ppsjournal import __version__
from ppsjournal.index import Entry, read_entry
from ppsjournal.vault import FOLLOWUPS, FileStat, Vault

FORMAT = 3  # bump when the file's layout changes
CACHE_NAME = "index-cache.json"
# Fewer notes to parse than this: one process; more: the CPUs share them.
PARALLEL_MIN = 2000

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


def _dataclass_codec(cls: type, schema: list[str]) -> Codec:
    """A dataclass as the list of its fields' values, in field order."""
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    names = [f.name for f in fields]
    schema.append(f"{cls.__module__}.{cls.__qualname__}({','.join(names)})")
    codecs = [_codec(hints[f.name], schema) for f in fields]
    encoders = [(i, enc) for i, (enc, _) in enumerate(codecs) if enc]
    decoders = [(i, dec) for i, (_, dec) in enumerate(codecs) if dec]
    # Building through __dict__ is several times faster than calling a frozen
    # dataclass's __init__ (one object.__setattr__ per field), which matters
    # for 100,000 notes; a class with __slots__ or __post_init__ is called.
    plain = "__slots__" not in cls.__dict__ and not hasattr(cls, "__post_init__")
    new = object.__new__

    def encode(obj: Any) -> list[Any]:
        row = [getattr(obj, n) for n in names]
        for i, enc in encoders:
            row[i] = enc(row[i])
        return row

    def decode(row: list[Any]) -> Any:
        if len(row) != len(names):
            raise ValueError("a cached row does not fit its class")
        for i, dec in decoders:
            row[i] = dec(row[i])
        if plain:
            obj = new(cls)
            obj.__dict__.update(zip(names, row, strict=True))
            return obj
        return cls(*row)

    return encode, decode


def _entry_codec() -> tuple[Callable[[Entry], list], Callable[[list], Entry], str]:
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
    ``load_entries()``, only those asked for after ``entries_of``.
    """

    stats: dict[str, FileStat] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    racy: set[str] = field(default_factory=set)  # mtime not older than the read: not trusted
    dirty: bool = False  # differs from the file on disk
    # What the last build wrote, valid while no note changes (see build.build_vault).
    build_stamp: dict[str, Any] | None = None
    # Notes whose entries no output reads beyond their path, as the last build
    # found (see build.output_sources); a note read again is not idle until
    # a build has looked at it.
    idle: set[str] = field(default_factory=set)
    _rows: bytes | None = None  # the whole file, while its entry lines are not split
    # Each entry's JSON line as read (or encoded): decoded only when asked
    # for, and written back as it is, so that saving after one change encodes
    # one entry, not 100,000.
    _lines: dict[str, bytes] = field(default_factory=dict)

    def _split(self) -> bool:
        """Cut the file's entry lines apart (once); False, and an empty cache, if torn."""
        if self._rows is None:
            return True
        rows, self._rows = self._rows, None
        lines = rows.split(b"\n")[1:]  # after the header line
        if lines and not lines[-1]:
            lines.pop()
        if len(lines) != len(self.stats):
            self._forget()
            return False
        self._lines = dict(zip(self.stats, lines, strict=True))
        return True

    def _forget(self) -> None:
        """Start from nothing, as for any bad cache."""
        self.stats, self.entries, self.racy, self._lines = {}, {}, set(), {}
        self.idle, self._rows = set(), None
        self.build_stamp, self.dirty = None, True

    def _decode(self, paths: Iterable[str]) -> bool:
        """Decode these paths' entries if not yet done; False (and an empty cache) if any is bad."""
        if not self._split():
            return False
        _, decode, _ = entry_codec()
        loads = json.loads
        entries, lines = self.entries, self._lines
        with _quiet_gc():
            try:
                for rel in paths:
                    if rel not in entries:
                        entry = decode(loads(lines[rel]))
                        if entry.path != rel:
                            raise ValueError("an entry under another path")
                        entries[rel] = entry
            except (ValueError, TypeError, KeyError, IndexError, AttributeError):
                # A torn or tampered line: start from nothing, as for any bad cache.
                self._forget()
                return False
        return True

    def load_entries(self) -> None:
        """Decode every entry (they are decoded lazily: ``load_cache(lazy=True)``)."""
        if len(self.entries) != len(self.stats) or self._rows is not None:
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
        """One entry's cache line (JSON), encoded if it was parsed in this process."""
        found = self._lines.get(rel)
        if found is None:
            encode, _, _ = entry_codec()
            row = encode(self.entries[rel])
            found = json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            self._lines[rel] = found
        return found

    def fresh(self, rel: str, st: FileStat) -> bool:
        return rel not in self.racy and self.stats.get(rel) == st

    def refresh(self, vault: Vault, only: Iterable[str] | None = None) -> Changes:
        """Bring the cache up to date with the vault; parse only what changed.

        ``only``: check just these paths (the watcher's events) instead of a
        full scan; a path no longer there is removed.
        """
        with _quiet_gc():
            return self._refresh(vault, only)

    def _refresh(self, vault: Vault, only: Iterable[str] | None) -> Changes:
        changes = Changes()
        if only is None:
            seen = vault.scan_notes(changes.walk_errors)
            # ppsj's own output is no note: reading it back would make every
            # build see a change (it just wrote it) and it holds no notes' data.
            seen.pop(FOLLOWUPS, None)
            unreached = [
                where
                for where, message in changes.walk_errors
                if message.startswith("cannot read") and where not in seen
            ]
            gone = [rel for rel in self.stats if rel not in seen and not _under(rel, unreached)]
        else:
            seen = {}
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
        stale = [rel for rel, st in seen.items() if not self.fresh(rel, st)]
        if stale or gone:
            if not self._split():  # torn: everything is to read
                stale, gone = list(seen), []
            self.build_stamp = None  # the notes moved on from the last build
        for rel in gone:
            del self.stats[rel]
            self.entries.pop(rel, None)
            self._lines.pop(rel, None)
            self.racy.discard(rel)
            self.idle.discard(rel)
            changes.removed.append(rel)
        if stale:
            # Taken before reading: an edit after this moment within the tick
            # of the mtime we record leaves the stat as it is, so a note whose
            # mtime is not older than this is read again next time.
            stamp = vault.clock()
            entries, lines = read_entries(vault, stale)
            for rel, entry in zip(stale, entries, strict=True):
                if rel not in self.stats:
                    changes.added.append(rel)
                else:
                    old = self._old(rel)
                    if old is None or old != entry or old.error != entry.error:
                        changes.changed.append(rel)
                self.stats[rel] = seen[rel]
                self.entries[rel] = entry
                self.idle.discard(rel)
                if lines is None:
                    self._lines.pop(rel, None)
                else:
                    self._lines[rel] = lines[rel]
                if seen[rel].mtime_ns >= stamp:
                    self.racy.add(rel)
                else:
                    self.racy.discard(rel)
            changes.reread = len(stale)
        if stale or gone:
            self.dirty = True
        return changes

    def _old(self, rel: str) -> Entry | None:
        """A note's entry before it was read again; None if its line was unusable."""
        if rel in self.entries:
            return self.entries[rel]
        _, decode, _ = entry_codec()
        try:
            return decode(json.loads(self._lines[rel]))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            return None

    # -- the file -------------------------------------------------------------

    def dumps(self) -> bytes:
        """JSON lines: a header with every note's stat, then one line per entry.

        A command that finds nothing changed decodes the first line only.
        """
        self._split()
        _, _, schema = entry_codec()
        paths = [rel for rel in self.stats if rel in self._lines or rel in self.entries]
        idle = self.idle
        header = {
            "format": FORMAT,
            "ppsj": __version__,
            "schema": schema,
            "parser": fingerprint("parser"),
            "outputs": fingerprint("outputs"),
            "racy": sorted(self.racy),
            "build": self.build_stamp,
            # path, size, mtime_ns, inode, 1 if idle
            "stats": [[rel, *_stat_tuple(self.stats[rel]), int(rel in idle)] for rel in paths],
        }
        out = [json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")]
        out.extend(self.line(rel) for rel in paths)
        out.append(b"")
        return b"\n".join(out)

    @classmethod
    def loads(cls, data: bytes, written_ns: int, lazy: bool = False) -> NoteCache:
        """The cache from its file's bytes; ValueError when it is not one this ppsj wrote."""
        _, _, schema = entry_codec()
        # Not partition(): that would copy the entries' bytes (100 MB at 100,000 notes).
        end = data.find(b"\n")
        head, newline = (data, b"") if end < 0 else (data[:end], b"\n")
        try:
            doc = json.loads(head)
            if (
                not newline
                or not isinstance(doc, dict)
                or doc.get("format") != FORMAT
                or doc.get("ppsj") != __version__
                or doc.get("schema") != schema
                or doc.get("parser") != fingerprint("parser")
            ):
                raise ValueError("another version")
            racy = {str(rel) for rel in doc["racy"]}
            stats: dict[str, FileStat] = {}
            idle: set[str] = set()
            for rel, size, mtime, inode, is_idle in doc["stats"]:
                rel = str(rel)
                stats[rel] = FileStat(int(size), int(mtime), int(inode))
                if is_idle:
                    idle.add(rel)
                # git's rule: a note not older than the cache file itself may
                # have changed within the same tick, after it was read.
                if mtime >= written_ns:
                    racy.add(rel)
            if doc.get("outputs") != fingerprint("outputs"):
                idle = set()  # the outputs read other things now: the next build finds out
            stamp = doc.get("build")
            if stamp is not None and not isinstance(stamp, dict):
                raise ValueError("bad build stamp")
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise ValueError(f"not a usable cache: {exc}") from None
        cache = cls(stats, {}, racy, build_stamp=stamp, idle=idle, _rows=data)
        if not lazy:
            cache.load_entries()
            if not cache.stats and stats:
                raise ValueError("not a usable cache: torn entries")
        return cache


def _stat_tuple(st: FileStat) -> tuple[int, int, int]:
    return (st.size, st.mtime_ns, st.inode)


def _under(rel: str, folders: list[str]) -> bool:
    return any(f in (".", "") or rel == f or rel.startswith(f + "/") for f in folders)


def load_cache(vault: Vault, lazy: bool = False) -> NoteCache:
    """The vault's cache, or an empty one when it is missing, corrupt or another version's.

    ``lazy``: decode the entries only when first needed (``load_entries``).
    """
    found = vault.read_state(CACHE_NAME)
    if found is None:
        return NoteCache()
    data, written_ns = found
    try:
        with _quiet_gc():
            cache = NoteCache.loads(data, written_ns, lazy)
    except ValueError:
        return NoteCache(dirty=True)
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
    from ppsjournal.errors import PpsjError

    if not cache.dirty:
        return True
    try:
        with _quiet_gc():
            data = cache.dumps()
        vault.write_state(CACHE_NAME, data)
    except (OSError, PpsjError, TypeError, ValueError):
        # A read-only vault, a full disk, a value the codec cannot carry: the
        # command still works, it only parses again next time.
        return False
    cache.dirty = False
    return True


# -- reading notes, on every CPU when there are many ----------------------------------


def read_entries(vault: Vault, paths: list[str]) -> tuple[list[Entry], dict[str, bytes] | None]:
    """Each path's entry, in order, and (when parsed in parallel) its cache line.

    Many notes (a cold start) are parsed by forked workers, which send back
    each entry as its JSON cache line: decoding those is cheaper than
    unpickling the objects, and the lines are saved as they are.
    """
    workers = min(os.cpu_count() or 1, 8)
    if len(paths) < PARALLEL_MIN or workers < 2 or not _can_fork():
        return [read_entry(vault, rel) for rel in paths], None
    import multiprocessing

    global _WORKER_VAULT
    _WORKER_VAULT = vault  # inherited by the forked workers
    try:
        ctx = multiprocessing.get_context("fork")
        chunk = max(200, len(paths) // (workers * 4))
        with ctx.Pool(workers) as pool:
            lines = pool.map(_read_in_worker, paths, chunksize=chunk)
    except OSError:
        return [read_entry(vault, rel) for rel in paths], None
    finally:
        _WORKER_VAULT = None
    _, decode, _ = entry_codec()
    with _quiet_gc():
        entries = [decode(json.loads(line)) for line in lines]
    return entries, dict(zip(paths, lines, strict=True))


_WORKER_VAULT: Vault | None = None


def _read_in_worker(rel: str) -> bytes:
    assert _WORKER_VAULT is not None
    encode, _, _ = entry_codec()
    row = encode(read_entry(_WORKER_VAULT, rel))
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _can_fork() -> bool:
    import multiprocessing
    import threading

    # Forking a process that runs other threads (the watcher's observer) can
    # deadlock in the child on a lock held by another thread.
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1

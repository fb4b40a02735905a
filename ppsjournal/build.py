"""The one build: Follow-ups.md and the calendars, rendered from the index.

``ppsj build``, ``ppsj watch`` and the commands that refresh outputs all call
``build``; the watcher only decides when. Outputs are a pure function of the
index, the settings and today, and a file whose bytes would not change is not
rewritten.

Incremental by construction: the outputs read few notes' entries beyond
their paths (partners, leads, planned sessions, notes with open dated or
broken tasks or other problems: ``sources.py``), so a build assembles
its index from those alone and the cache remembers the others as ``idle``;
after one change only the changed note is parsed and only the entries the
outputs read are decoded. The calendars depend on the partners and the
settings only, so when neither changed the files already written are kept
without rendering them. Both shortcuts give the bytes a full build gives
(tests/test_incremental.py checks it over a series of changes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ppsjournal.errors import PpsjError
from ppsjournal.vault import CALENDAR, FOLLOWUPS, PARTNERS, NotOurs, Vault

if TYPE_CHECKING:  # imported when something is to build: "up to date" needs no parsing code
    from ppsjournal.cache import NoteCache
    from ppsjournal.index import Classified, Entry, Index, Problem


@dataclass
class BuildResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # with check=True: what would change
    problems: list[Problem] = field(default_factory=list)
    # Outputs not written: the user's own file is where they go.
    refused: list[PpsjError] = field(default_factory=list)


def render_outputs(
    index: Index, vault: Vault, today: dt.date, calendars: bool = True, followups: bool = True
) -> dict[str, bytes]:
    """Every generated file's vault-relative path and bytes (pure given the index).

    ``calendars=False``, ``followups=False``: leave those out (known current).
    """
    outputs = {}
    if followups:
        from ppsjournal.followups import render_followups

        text = render_followups(index, vault.root, vault.settings, today)
        outputs[FOLLOWUPS] = text.encode("utf-8")
    if calendars:
        from ppsjournal.calendar import calendar_files

        outputs.update(calendar_files(index, vault.settings, today))
    return outputs


def output_index(
    notes: NoteCache, memo: Classified | None = None, names: Collection[str] = ()
) -> tuple[Index, set[str]] | None:
    """The index the outputs are rendered from (every path, and the entries they
    read), and the notes whose entries they read (``sources.output_sources``
    and the notes sharing a name).

    ``names``: also the notes of these names (as ``name_key`` compares them),
    whatever they are: for a command about to create a note of that name.

    Entries flagged idle (when read, or by an earlier build) are not decoded;
    the flags of those decoded are checked again. None when the cache turned
    out torn (it is then empty: refresh it). ``memo``: see ``index.assemble``
    (the watcher's).
    """
    from ppsjournal.followups import paths_named, shared_names
    from ppsjournal.index import assemble
    from ppsjournal.sources import output_sources

    paths = sorted(notes.stats)
    idle = notes.idle
    # A note sharing its name with another may be a second lead of that name:
    # never left out, whatever the last build found.
    shared = frozenset(notes.shared) if notes.shared is not None else shared_names(paths)
    notes.shared = sorted(shared)
    named = paths_named(paths, names) if names else set()
    wanted = sorted((notes.stats.keys() - idle) | shared | named)  # set operations: 100,000 paths
    entries = notes.entries_of(wanted)
    if entries is None:
        return None
    index = assemble(entries, paths, memo)
    index.shared = shared
    sources = output_sources(index)
    now_idle = {rel for rel in wanted if rel not in sources}
    if now_idle - idle or idle & sources:
        idle |= now_idle
        idle -= sources
        notes.dirty = True
    return index, sources | shared


# What the index takes when a note changed (the parsing code, the idle rule,
# the link names), then what writing Follow-ups.md takes, in the order they
# are needed: imported while a child process scans a large vault
# (``NoteCache.refresh``'s ``meanwhile``).
INDEX_MODULES = ("ppsjournal.index", "ppsjournal.sources", "ppsjournal.followups")
BUILD_MODULES = (*INDEX_MODULES, "filelock", "jinja2.sandbox", "ppsjournal.templates")


def idle_rule() -> Callable[[Entry], bool]:
    """``sources.idle_note``, for ``NoteCache.refresh``: imported only when a
    refresh has notes to read, so that an "up to date" build imports no
    parsing code."""
    from ppsjournal.sources import idle_note

    return idle_note


def read_output_index(
    vault: Vault,
    notes: NoteCache,
    walk_errors: list[tuple[str, str]],
    memo: Classified | None = None,
    names: Collection[str] = (),
) -> tuple[Index, set[str], list[tuple[str, str]]]:
    """``output_index`` from a refreshed cache, every note read again if the
    cache turned out torn; with the walk errors (the refresh's, or the new
    one's) among the index's problems, and returned."""
    from ppsjournal.index import Problem

    found = output_index(notes, memo, names)
    if found is None:  # a torn cache line: read every note again
        walk_errors = notes.refresh(vault, idle_rule=idle_rule).walk_errors
        found = output_index(notes, memo, names)
        assert found is not None, "a fresh cache cannot be torn"
    index, read = found
    index.problems.extend(Problem(w, m) for w, m in walk_errors)
    return index, read, walk_errors


def load_output_index(vault: Vault, names: Collection[str] = ()) -> Index:
    """The index the outputs are rendered from (``output_index``: every path,
    and the entries of the notes they read), through the cache.

    For a command that shows what Follow-ups.md shows (``ppsj overdue``), or
    reads partners only: it decodes a few percent of the entries, not all of
    them. ``names``: the notes of these names too, of any kind (``ppsj add``
    and ``ppsj lead`` check that no lead or partner has the new name).
    """
    from ppsjournal.cache import load_cache, save_cache

    notes = load_cache(vault, lazy=True)
    changes = notes.refresh(vault, idle_rule=idle_rule, meanwhile=INDEX_MODULES)
    index, _, _ = read_output_index(vault, notes, changes.walk_errors, names=names)
    save_cache(vault, notes)
    return index


def build(
    vault: Vault,
    today: dt.date,
    index: Index,
    check: bool = False,
    current: Collection[str] = (),
) -> BuildResult:
    """Render every output, then write those whose bytes changed.

    ``current``: outputs known to be as this build would write them (the
    calendar files, all or none, and Follow-ups.md; see ``build_from_cache``):
    not rendered, reported unchanged.

    Rendering happens outside the lock; the whole write phase holds the
    vault's write lock, so a concurrent ``ppsj build``/``week``/``watch``
    waits for it and never interleaves with it (and sees a complete set).
    """
    result = BuildResult(problems=list(index.problems))
    kept = set(current)
    calendars = not any(rel.startswith(CALENDAR + "/") for rel in kept)
    held = broken_partner_notes(index)
    if held:
        # Left out, a partner's series would drop from PPS.ics and their file
        # be removed: every subscriber would see the sessions cancelled over
        # a typo (the watcher builds mid-edit). The calendars wait for the fix.
        from ppsjournal.index import Problem

        calendars = False
        kept.update(vault.list_files(CALENDAR, ".ics"))
        result.problems.append(
            Problem(CALENDAR + "/", f"not updated until {', '.join(held)} can be read again")
        )
    outputs = render_outputs(index, vault, today, calendars, FOLLOWUPS not in kept)
    if check:
        for rel, data in sorted(outputs.items()):
            try:
                current_bytes = vault.abs(rel).read_bytes()
            except FileNotFoundError:
                current_bytes = None
            (result.unchanged if current_bytes == data else result.stale).append(rel)
        result.unchanged = sorted([*result.unchanged, *kept])
        if not held:
            _remove_stale_calendars(vault, outputs.keys() | kept, result, check)
        return result
    with vault.lock():
        for rel, data in sorted(outputs.items()):
            try:
                written = vault.write(rel, data, ours=_generated_test(rel))
            except NotOurs as refused:  # the user's own file: kept, and the build says so
                result.refused.append(refused)
                continue
            (result.written if written else result.unchanged).append(rel)
        result.unchanged = sorted([*result.unchanged, *kept])
        if not held:
            _remove_stale_calendars(vault, outputs.keys() | kept, result, check)
    return result


def broken_partner_notes(index: Index) -> list[str]:
    """Partner notes that cannot be read, sorted (pure): a note in Partners/ or
    of ``type: partner`` whose front-matter or properties are broken. A valid
    second note for a partner is not one of them (the first note counts)."""
    from ppsjournal.index import Problem, classify

    read = {p.path for p in index.partners.values()}
    found = []
    for entry in index.entries.values():
        if entry.path in read:
            continue
        if entry.error is not None:
            if entry.path.startswith(PARTNERS + "/") or entry.meta.get("type") == "partner":
                found.append(entry.path)
        elif entry.meta.get("type") == "partner" and isinstance(classify(entry), Problem):
            found.append(entry.path)
    return sorted(found)


def build_from_cache(
    vault: Vault,
    today: dt.date,
    notes: NoteCache,
    walk_errors: list[tuple[str, str]],
    last_stamp: dict | None,
    check: bool = False,
    memo: Classified | None = None,
) -> BuildResult:
    """Build from a refreshed cache (``ppsj build`` and the watcher).

    ``last_stamp``: the cache's build stamp before the refresh. An output
    is not rendered when what it is made from is what the last build made it
    from (a key of it is in the stamp) and the file is exactly as written: the
    calendars when the partners did not change, Follow-ups.md when no entry
    it reads and no note's path did (an idle note edited stays idle).
    """
    index, read, walk_errors = read_output_index(vault, notes, walk_errors, memo)
    key = _stamp_key(vault, today)
    # What the calendars are rendered from: the stamp key (day, settings, code)
    # and the partners; Follow-ups.md: the key, every note's path (its link
    # name) and the entries it reads.
    partners = sorted(p.path for p in index.partners.values())
    calendars = _content_key(key, notes, partners)
    followups = _content_key(key, notes, sorted(read), index.paths)
    current: list[str] = []
    if not check:
        current += _current_calendars(vault, last_stamp, calendars) or []
        # A walk error is listed in Follow-ups.md: not in the key, so never current.
        if not walk_errors and _current(vault, last_stamp, "followups", followups, FOLLOWUPS):
            current.append(FOLLOWUPS)
    result = build(vault, today, index, check, current)
    if not check:
        record_build(notes, vault, key, result, bool(walk_errors), calendars, followups)
    return result


def build_vault(vault: Vault, today: dt.date, check: bool = False) -> BuildResult:
    """``ppsj build``: the index through the cache, then ``build``.

    When no note, setting, template or output changed since the last build
    for the same day (the "build stamp" kept in the cache), the outputs are
    known to be current and nothing is decoded, assembled or rendered; any
    doubt (a racy note, an output touched, a Calendar file added) builds.
    """
    from ppsjournal.cache import load_cache, save_cache

    notes = load_cache(vault, lazy=True)
    last_stamp = notes.build_stamp
    changes = notes.refresh(vault, idle_rule=idle_rule, meanwhile=BUILD_MODULES)
    key = _stamp_key(vault, today)
    known = _known_result(vault, notes.build_stamp, key) if not (changes or notes.racy) else None
    if known is not None:
        save_cache(vault, notes)
        return known
    result = build_from_cache(vault, today, notes, changes.walk_errors, last_stamp, check)
    save_cache(vault, notes)
    return result


def record_build(
    notes: NoteCache,
    vault: Vault,
    key: str,
    result: BuildResult,
    walk_errors: bool,
    calendars: str | None = None,
    followups: str | None = None,
) -> None:
    """Remember what this build wrote, so a later one that finds nothing changed can stop.

    Not after a walk error: a folder that comes back must be built.
    ``key``: ``_stamp_key`` as it was before rendering (a setting changed
    since makes the next build build); ``calendars``: the key of what the
    calendars were rendered from; ``followups``: of what Follow-ups.md was.
    """
    # Not after a refused output either: the next build must say so again.
    stamp = None if walk_errors or result.refused else _stamp(vault, key, result)
    if stamp is not None and calendars is not None:
        stamp["calendars"] = calendars
    if stamp is not None and followups is not None:
        stamp["followups"] = followups
    notes.build_stamp = stamp
    notes.dirty = True


def _content_key(key: str, notes: NoteCache, rels: list[str], paths: Sequence[str] = ()) -> str:
    """A hash of the stamp key, ``paths`` and these notes' paths and cache lines."""
    import hashlib

    h = hashlib.sha256(key.encode())
    if paths:
        h.update("\n".join(paths).encode("utf-8", "surrogatepass"))
    for rel in rels:
        h.update(b"\n" + rel.encode("utf-8", "surrogatepass") + b"\n" + notes.line(rel))
    return h.hexdigest()


_BAD_STAMP = (OSError, PpsjError, KeyError, TypeError, ValueError, AttributeError)


def _as_written(vault: Vault, stamp: dict, rels: Iterable[str]) -> bool:
    """Whether these outputs are exactly as the build of ``stamp`` wrote them."""
    try:
        written = stamp["outputs"]
        return all(vault.stat(rel) == tuple(written[rel]) for rel in rels)
    except _BAD_STAMP:
        return False


def _stamped_calendars(vault: Vault, stamp: dict) -> set[str] | None:
    """The calendar files the build of ``stamp`` wrote, if the folder holds just
    those (none to remove, none the user dropped there); else None."""
    try:
        calendars = {rel for rel in stamp["outputs"] if rel.startswith(CALENDAR + "/")}
        if set(vault.list_files(CALENDAR, ".ics")) != calendars:
            return None
    except _BAD_STAMP:
        return None
    return calendars


def _current(vault: Vault, stamp: dict | None, part: str, value: str, rel: str) -> bool:
    """Whether output ``rel`` was made from ``value`` (the stamp's ``part``) and is as written."""
    return bool(stamp) and stamp.get(part) == value and _as_written(vault, stamp, [rel])


def _current_calendars(vault: Vault, stamp: dict | None, calendars: str) -> list[str] | None:
    """The calendar files of the last build, if they are what this one would write:
    rendered from the same key and partners, and every file still as written."""
    if not stamp or stamp.get("calendars") != calendars:
        return None
    written = _stamped_calendars(vault, stamp)
    if not written or not _as_written(vault, stamp, written):
        return None
    return sorted(written)


def _stamp_key(vault: Vault, today: dt.date) -> str:
    """What the outputs depend on besides the notes: the day, settings, templates, ppsj itself."""
    import hashlib
    from pathlib import Path

    from ppsjournal import __version__
    from ppsjournal.settings import CONFIG_NAME
    from ppsjournal.templates import packaged_dir
    from ppsjournal.vault import TEMPLATES

    parts = [today.isoformat(), __version__]
    for rel in [CONFIG_NAME, *vault.list_files(TEMPLATES, "")]:
        try:
            parts.append(f"{rel} {vault.stat(rel)}")
        except OSError:
            parts.append(f"{rel} missing")
    # ppsj's own code and packaged templates: an upgrade or an edit in a
    # source checkout must not leave outputs made by older code "up to date".
    here = Path(__file__).resolve().parent
    try:
        own = [*here.glob("*.py"), *here.glob("cli/*.py"), *packaged_dir().glob("*")]
        parts.extend(f"{p.name} {p.stat().st_mtime_ns} {p.stat().st_size}" for p in sorted(own))
    except (OSError, PpsjError):
        parts.append("unknown")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _stamp(vault: Vault, key: str, result: BuildResult) -> dict | None:
    outputs = {}
    for rel in [*result.written, *result.unchanged]:
        try:
            st = vault.stat(rel)
        except OSError:
            return None
        outputs[rel] = list(st)
    problems = [[p.where, p.message] for p in result.problems]
    return {"key": key, "outputs": outputs, "problems": problems}


def _known_result(vault: Vault, stamp: dict | None, key: str) -> BuildResult | None:
    """The last build's result if every output is still exactly as it wrote it."""
    if not stamp or stamp.get("key") != key:
        return None
    if _stamped_calendars(vault, stamp) is None or not _as_written(vault, stamp, stamp["outputs"]):
        return None
    try:
        problems = []
        if stamp["problems"]:
            from ppsjournal.index import Problem

            problems = [Problem(str(w), str(m)) for w, m in stamp["problems"]]
    except _BAD_STAMP:
        return None
    return BuildResult(unchanged=sorted(stamp["outputs"]), problems=problems)


def _generated_test(rel: str) -> Callable[[bytes], bool]:
    """How to tell that the file at an output's place is one ppsj generated."""
    if rel == FOLLOWUPS:
        from ppsjournal.followups import is_generated
    else:
        from ppsjournal.calendar import is_generated
    return is_generated


def _remove_stale_calendars(
    vault: Vault, outputs: Collection[str], result: BuildResult, check: bool
) -> None:
    """Remove Calendar/*.ics that ppsj wrote but no longer produces.

    A partner paused, ended, renamed or deleted loses their file (removed, not
    emptied: an empty file per past partner would pile up forever). Only files
    carrying ppsj's PRODID are touched: an .ics the user put there stays.
    """
    for rel in vault.list_files(CALENDAR, ".ics"):
        if rel in outputs:
            continue
        from ppsjournal.calendar import is_generated  # icalendar: only when there is one to look at

        try:
            data = vault.read_bytes(rel)
        except PpsjError:
            continue
        if not is_generated(data):
            continue
        if check:
            result.stale.append(rel)
        elif vault.remove(rel):
            result.removed.append(rel)

"""The one build: Follow-ups.md and the calendars, rendered from the index.

``ppsj build``, ``ppsj watch`` and the commands that refresh outputs all call
``build``; the watcher only decides when. Outputs are a pure function of the
index, the settings and today, and a file whose bytes would not change is not
rewritten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ppsjournal.errors import PpsjError
from ppsjournal.index import Index, Problem, assemble
from ppsjournal.vault import CALENDAR, FOLLOWUPS, Vault

if TYPE_CHECKING:
    from ppsjournal.cache import NoteCache


@dataclass
class BuildResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # with check=True: what would change
    problems: list[Problem] = field(default_factory=list)


def render_outputs(index: Index, vault: Vault, today: dt.date) -> dict[str, bytes]:
    """Every generated file's vault-relative path and bytes (pure given the index)."""
    from ppsjournal.calendar import calendar_files
    from ppsjournal.followups import render_followups

    outputs = {
        FOLLOWUPS: render_followups(index, vault.root, vault.settings, today).encode("utf-8")
    }
    outputs.update(calendar_files(index, vault.settings, today))
    return outputs


def build(vault: Vault, today: dt.date, index: Index, check: bool = False) -> BuildResult:
    """Render every output, then write those whose bytes changed.

    Rendering happens outside the lock; the whole write phase holds the
    vault's write lock, so a concurrent ``ppsj build``/``week``/``watch``
    waits for it and never interleaves with it (and sees a complete set).
    """
    result = BuildResult(problems=list(index.problems))
    outputs = render_outputs(index, vault, today)
    if check:
        for rel, data in sorted(outputs.items()):
            try:
                current = vault.abs(rel).read_bytes()
            except FileNotFoundError:
                current = None
            (result.unchanged if current == data else result.stale).append(rel)
        _remove_stale_calendars(vault, outputs, result, check)
        return result
    with vault.lock():
        for rel, data in sorted(outputs.items()):
            if vault.write(rel, data):
                result.written.append(rel)
            else:
                result.unchanged.append(rel)
        _remove_stale_calendars(vault, outputs, result, check)
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
    changes = notes.refresh(vault)
    key = _stamp_key(vault, today)
    known = _known_result(vault, notes.build_stamp, key) if not (changes or notes.racy) else None
    if known is not None:
        save_cache(vault, notes)
        return known
    notes.load_entries()
    index = assemble(notes.entries.values())
    index.problems.extend(Problem(w, m) for w, m in changes.walk_errors)
    result = build(vault, today, index, check)
    if not check:
        record_build(notes, vault, today, result, bool(changes.walk_errors))
    save_cache(vault, notes)
    return result


def record_build(
    notes: NoteCache, vault: Vault, today: dt.date, result: BuildResult, walk_errors: bool
) -> None:
    """Remember what this build wrote, so a later one that finds nothing changed can stop.

    Not after a walk error: a folder that comes back must be built.
    """
    notes.build_stamp = None if walk_errors else _stamp(vault, _stamp_key(vault, today), result)
    notes.dirty = True


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
        outputs[rel] = [st.size, st.mtime_ns, st.inode]
    problems = [[p.where, p.message] for p in result.problems]
    return {"key": key, "outputs": outputs, "problems": problems}


def _known_result(vault: Vault, stamp: dict | None, key: str) -> BuildResult | None:
    """The last build's result if every output is still exactly as it wrote it."""
    from ppsjournal.vault import FileStat

    if not stamp or stamp.get("key") != key:
        return None
    try:
        outputs = stamp["outputs"]
        for rel, st in outputs.items():
            if vault.stat(rel) != FileStat(*st):
                return None
        calendars = {rel for rel in outputs if rel.startswith(CALENDAR + "/")}
        if set(vault.list_files(CALENDAR, ".ics")) != calendars:
            return None  # one to remove, or one the user dropped there
        problems = [Problem(str(w), str(m)) for w, m in stamp["problems"]]
    except (OSError, PpsjError, KeyError, TypeError, ValueError):
        return None
    return BuildResult(unchanged=sorted(outputs), problems=problems)


def _remove_stale_calendars(
    vault: Vault, outputs: dict[str, bytes], result: BuildResult, check: bool
) -> None:
    """Remove Calendar/*.ics that ppsj wrote but no longer produces.

    A partner paused, ended, renamed or deleted loses their file (removed, not
    emptied: an empty file per past partner would pile up forever). Only files
    carrying ppsj's PRODID are touched: an .ics the user put there stays.
    """
    from ppsjournal.calendar import is_generated

    for rel in vault.list_files(CALENDAR, ".ics"):
        if rel in outputs:
            continue
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

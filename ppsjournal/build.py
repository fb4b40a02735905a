"""The one build: Follow-ups.md and the calendars, rendered from the index.

``ppsj build``, ``ppsj watch`` and the commands that refresh outputs all call
``build``; the watcher only decides when. Outputs are a pure function of the
index, the settings and today, and a file whose bytes would not change is not
rewritten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ppsjournal.errors import PpsjError
from ppsjournal.index import Index, Problem
from ppsjournal.vault import CALENDAR, FOLLOWUPS, Vault


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

"""The one build: Follow-ups.md and the calendars, rendered from the index.

``ppsj build``, ``ppsj watch`` and the commands that refresh outputs all call
``build``; the watcher only decides when. Outputs are a pure function of the
index, the settings and today, and a file whose bytes would not change is not
rewritten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ppsjournal.index import Index, Problem
from ppsjournal.vault import FOLLOWUPS, Vault


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
    result = BuildResult(problems=list(index.problems))
    for rel, data in sorted(render_outputs(index, vault, today).items()):
        if check:
            try:
                current = vault.abs(rel).read_bytes()
            except FileNotFoundError:
                current = None
            (result.unchanged if current == data else result.stale).append(rel)
        elif vault.write(rel, data):
            result.written.append(rel)
        else:
            result.unchanged.append(rel)
    return result

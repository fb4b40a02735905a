"""A cold start shared by this process and forked workers gives what one process gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ppsjournal import cache
from ppsjournal.index import read_entry
from ppsjournal.vault import Vault
from tests.conftest import write_note


def make_notes(vault: Path, n: int) -> None:
    for i in range(n):
        write_note(
            vault,
            f"Sessions/2026/2026-11-{i % 28 + 1:02d} P{i}.md",
            f'---\ntype: session\npartner: "[[P{i}]]"\ndate: 2026-11-{i % 28 + 1:02d}\n'
            f"week: {i % 12 + 1}\n---\n# Notes\n- [ ] Call P{i} #need 📅 2026-12-0{i % 9 + 1}\n"
            f"- [x] Sent [[P{i}]] the guide ✅ 2026-11-20\n",
        )
    write_note(vault, "Partners/Broken.md", "---\ntype: partner\nstatus: [active\n---\n")


def test_parallel_read_equals_one_process(vault: Path, monkeypatch: pytest.MonkeyPatch):
    make_notes(vault, 60)
    v = Vault.open(vault)
    paths = sorted(v.scan_notes([]))
    monkeypatch.setattr(cache, "PARALLEL_MIN", 10)
    monkeypatch.setattr(cache, "_CHUNK", 3)  # many chunks: both processes take some
    monkeypatch.setattr(cache, "_spare_cpus", lambda: 1)
    if not cache._can_fork():
        pytest.skip("no fork here (or other threads running)")
    entries, lines = cache.read_entries(v, paths)
    expected = [read_entry(v, rel) for rel in paths]
    assert entries == expected
    assert [e.error for e in entries] == [e.error for e in expected]
    assert any(e.error for e in entries) and sum(len(e.tasks) for e in entries) == 120
    # Every note's cache line, whichever process read it, decodes to its entry.
    assert lines is not None and list(lines) == paths
    _, decode, _ = cache.entry_codec()
    assert [decode(json.loads(lines[rel])) for rel in paths] == expected


def test_few_notes_are_read_here(vault: Path):
    make_notes(vault, 3)
    v = Vault.open(vault)
    paths = sorted(v.scan_notes([]))
    entries, lines = cache.read_entries(v, paths)
    assert lines is None and entries == [read_entry(v, rel) for rel in paths]

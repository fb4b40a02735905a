"""A cold start shared by this process and forked workers gives what one process gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ppsjournal import cache
from ppsjournal.index import read_entry
from ppsjournal.sources import idle_note
from ppsjournal.vault import Vault
from tests.conftest import header_rows, write_note


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


def hold_every_third(vault: Path, n: int) -> None:
    """A third of the sessions held with nothing open: idle notes."""
    for i in range(0, n, 3):
        note = vault / f"Sessions/2026/2026-11-{i % 28 + 1:02d} P{i}.md"
        text = note.read_text(encoding="utf-8").replace("- [ ] Call", "- [x] Call")
        note.write_text(text.replace("week:", "status: held\nweek:"), encoding="utf-8")


def test_parallel_read_equals_one_process(vault: Path, monkeypatch: pytest.MonkeyPatch):
    make_notes(vault, 60)
    v = Vault.open(vault)
    paths = sorted(v.scan_notes([]))
    monkeypatch.setattr(cache, "PARALLEL_MIN", 10)
    monkeypatch.setattr(cache, "_CHUNK", 3)  # many chunks: both processes take some
    monkeypatch.setattr(cache, "_spare_cpus", lambda: 1)
    if not cache._can_fork():
        pytest.skip("no fork here (or other threads running)")
    entries, lines, idle = cache.read_entries(v, paths)
    assert idle == set()  # no idle test: every entry comes back decoded
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
    hold_every_third(vault, 3)
    v = Vault.open(vault)
    paths = sorted(v.scan_notes([]))
    expected = {rel: read_entry(v, rel) for rel in paths}
    entries, lines, idle = cache.read_entries(v, paths)
    assert lines is None and idle == set() and entries == list(expected.values())
    # With the idle test: lines made as read, idle notes' entries let go at once
    entries, lines, idle = cache.read_entries(v, paths, idle_note)
    assert idle == {rel for rel, e in expected.items() if idle_note(e)} != set()
    assert [e is None for e in entries] == [rel in idle for rel in paths]
    assert all(e == expected[rel] for rel, e in zip(paths, entries, strict=True) if e)
    _, decode, _ = cache.entry_codec()
    assert lines is not None
    assert {rel: decode(json.loads(lines[rel])) for rel in paths} == expected


def test_workers_send_idle_notes_undecoded(vault: Path, monkeypatch: pytest.MonkeyPatch):
    make_notes(vault, 60)
    hold_every_third(vault, 60)
    v = Vault.open(vault)
    paths = sorted(v.scan_notes([]))
    monkeypatch.setattr(cache, "PARALLEL_MIN", 10)
    monkeypatch.setattr(cache, "_CHUNK", 3)
    monkeypatch.setattr(cache, "_spare_cpus", lambda: 1)
    if not cache._can_fork():
        pytest.skip("no fork here (or other threads running)")
    entries, lines, idle = cache.read_entries(v, paths, idle_note)
    expected = {rel: read_entry(v, rel) for rel in paths}
    assert idle == {rel for rel, e in expected.items() if idle_note(e)}
    assert len(idle) == 20 and "Partners/Broken.md" not in idle
    for rel, entry in zip(paths, entries, strict=True):
        # an entry is None only if idle; whichever process read it, it is the entry
        assert entry == expected[rel] or (entry is None and rel in idle)
    assert any(e is None for e in entries)  # the worker read some idle notes
    _, decode, _ = cache.entry_codec()
    assert lines is not None
    assert {rel: decode(json.loads(lines[rel])) for rel in paths} == expected


def test_a_cold_build_with_workers_writes_what_one_process_writes(
    vault: Path, monkeypatch: pytest.MonkeyPatch
):
    from ppsjournal.build import render_outputs
    from ppsjournal.index import load_index
    from tests.conftest import run_cli

    make_notes(vault, 60)
    hold_every_third(vault, 60)
    write_note(
        vault,
        "Partners/P1.md",
        '---\ntype: partner\nstatus: active\npps_time: "14:40"\npps_start: 2026-11-06\n---\n',
    )
    write_note(vault, "Leads/Sam.md", '---\ntype: lead\npartner: "[[P1]]"\nsource: referral\n'
               "stage: contacted\ncreated: 2026-11-01\n---\n")  # fmt: skip
    monkeypatch.setattr(cache, "PARALLEL_MIN", 10)
    monkeypatch.setattr(cache, "_CHUNK", 3)
    monkeypatch.setattr(cache, "_spare_cpus", lambda: 1)
    if not cache._can_fork():
        pytest.skip("no fork here (or other threads running)")
    result = run_cli(vault, "build", today="2026-11-27")
    assert result.exit_code == 1  # Partners/Broken.md
    assert "Partners/Broken.md" in result.stderr
    v = Vault.open(vault)
    full = render_outputs(load_index(v, cache=False), v, __import__("datetime").date(2026, 11, 27))
    for rel, data in full.items():
        if rel.startswith("Calendar/"):  # held while a partner note is broken
            continue
        assert (vault / rel).read_bytes() == data, rel
    # Every note is in the cache, idle ones read by a worker too (never decoded here)
    head = json.loads((vault / ".ppsj" / cache.CACHE_NAME).read_bytes())
    rows = header_rows(head, vault / ".ppsj")
    assert set(rows) == set(v.scan_notes([])) - {"Follow-ups.md"}
    assert sum(row["idle"] for row in rows.values()) >= 20
    # a second build, told nothing changed, agrees
    again = run_cli(vault, "build", "--check", today="2026-11-27")
    assert "stale Follow-ups.md" not in again.output

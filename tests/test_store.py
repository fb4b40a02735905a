"""The store gives back exactly what parsing the notes gives (ppsjournal/store.py).

The store is a cache of the notes: every entry read back from it (properties
of every type, tasks with every field, problems) equals the entry parsed from
the note's bytes, and its sections are the questions of session notes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ppsjournal.app import Builder
from ppsjournal.index import entry_from_bytes
from ppsjournal.vault import Vault
from tests.conftest import EXAMPLE

EVERY_FIELD = (
    "---\ntype: partner\nstatus: active\ncommitted: 2026-11-27\nwhen: 2026-11-27T14:40:00\n"
    "score: 1.5\nok: true\nnothing:\ntags: [a, 2026-12-04, 3]\n---\n"
    "- [ ] Everything [[Sam Lee]] #need #x/y ⏫ 🔁 every week 🛫 2026-12-01 ⏳ 2026-12-02 "
    "📅 2026-12-03 ➕ 2026-11-30 🆔 abc123 ⛔ def456 ^blk\n"
    "- [x] Done 📅 2026-12-03 ✅ 2026-12-04\n"
    "- [-] Cancelled 📅 2026-12-03 ❌ 2026-12-04\n"
    "  - [ ] Bad date 📅 2026-02-30\n"
    "- [ ] Dataview [due:: 2026-12-09]\n"
)


def test_every_entry_read_back_from_the_store_equals_the_parsed_note(tmp_path: Path):
    root = tmp_path / "v"
    shutil.copytree(EXAMPLE, root)
    (root / "Partners" / "Every Field.md").write_text(EVERY_FIELD, encoding="utf-8")
    (root / "Leads" / "Broken.md").write_text("---\ntype: [\n---\n", encoding="utf-8")
    vault = Vault.open(root)
    for _ in range(2):  # written, then read back by a second process's store
        builder = Builder(vault)
        index = builder.index()
        stored = {e.path: e for e in index.entries.values()}
        parsed = {rel: entry_from_bytes(rel, (root / rel).read_bytes()) for rel in stored}
        assert stored == parsed
        assert {t.problems for t in stored["Partners/Every Field.md"].tasks} != {()}
        builder.close()


def test_the_sections_are_the_answers_to_the_numbered_questions(tmp_path: Path):
    root = tmp_path / "v"
    shutil.copytree(EXAMPLE, root)
    builder = Builder(Vault.open(root))
    builder.refresh()
    rows = builder.store.sections(["Sessions/2026/2026-10-30 Debbie Harper.md"])
    assert [number for _, _, number, _, _ in rows] == [1, 2, 3, 4, 5]
    assert "warrantable buildings" in rows[2][4]
    assert any("warrantable" in text for *_, text in builder.store.search("warrantable"))
    builder.close()


def test_tasks_of_many_notes_are_read_in_chunks(tmp_path: Path):
    """More notes than SQLite takes variables in one query: every open task of
    them, in path and line order, as over the whole vault."""
    root = tmp_path / "v"
    shutil.copytree(EXAMPLE, root)
    for i in range(1200):
        (root / "Inbox").mkdir(exist_ok=True)
        (root / "Inbox" / f"n{i:04d}.md").write_text(
            f"- [ ] Call {i} 📅 2026-12-0{1 + i % 9}\n- [x] Done {i}\n", encoding="utf-8"
        )
    builder = Builder(Vault.open(root))
    index = builder.index()
    every = index.open_tasks()
    chosen = [f"Inbox/n{i:04d}.md" for i in range(0, 1200, 2)] + ["Partners/Debbie Harper.md"]
    assert index.open_tasks(chosen) == [t for t in every if t.path in set(chosen)]
    assert len(index.open_tasks(chosen)) >= 600
    builder.close()

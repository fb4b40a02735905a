"""The index cache in .ppsj/: what changed is seen, nothing else is parsed again."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from ppsjournal import cache as cache_mod
from ppsjournal.cache import CACHE_NAME, NoteCache, entry_codec
from ppsjournal.index import Entry, entry_from_bytes, load_index
from ppsjournal.vault import Vault
from tests.conftest import header_rows

PAST_NS = 1_700_000_000 * 10**9  # 2023: older than any cache this test writes


def note(root: Path, rel: str, text: str, old: bool = True) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if old:  # not "racy": written well before the cache
        os.utime(path, ns=(PAST_NS, PAST_NS))
    return path


def partner(desc: str = "Send the buyer guide") -> str:
    return f"---\ntype: partner\nstatus: prospect\n---\n- [ ] {desc} #need 📅 2026-11-01\n"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the cache parses (so a test can see what was NOT parsed again)."""
    seen: list[str] = []
    real = cache_mod.read_entry

    def counting(vault: Vault, rel: str) -> Entry:
        seen.append(rel)
        return real(vault, rel)

    monkeypatch.setattr(cache_mod, "read_entry", counting)
    return seen


def descriptions(root: Path) -> dict[str, str]:
    index = load_index(Vault.open(root))
    return {t.path: t.description for t in index.tasks}


def test_first_load_writes_the_cache_and_the_second_parses_nothing(vault: Path, reads):
    note(vault, "Partners/Debbie Harper.md", partner())
    note(vault, "Partners/Sam Lee.md", partner("Call Sam"))
    assert descriptions(vault) == {
        "Partners/Debbie Harper.md": "Send the buyer guide #need",
        "Partners/Sam Lee.md": "Call Sam #need",
    }
    assert sorted(reads) == ["Partners/Debbie Harper.md", "Partners/Sam Lee.md"]
    assert (vault / ".ppsj" / CACHE_NAME).is_file()
    reads.clear()
    assert descriptions(vault)["Partners/Sam Lee.md"] == "Call Sam #need"
    assert reads == []


def test_changed_added_deleted_and_renamed_notes_are_seen(vault: Path, reads):
    note(vault, "Partners/A.md", partner("task a"))
    note(vault, "Partners/B.md", partner("task b"))
    note(vault, "Partners/C.md", partner("task c"))
    descriptions(vault)
    reads.clear()
    note(vault, "Partners/A.md", partner("task a, edited"))  # changed (size too)
    note(vault, "Leads/New.md", partner("task new"))  # added
    (vault / "Partners/B.md").unlink()  # deleted
    os.rename(vault / "Partners/C.md", vault / "Partners/C2.md")  # renamed: same inode
    assert descriptions(vault) == {
        "Partners/A.md": "task a, edited #need",
        "Leads/New.md": "task new #need",
        "Partners/C2.md": "task c #need",
    }
    assert sorted(reads) == ["Leads/New.md", "Partners/A.md", "Partners/C2.md"]


def test_the_cache_is_really_used(vault: Path):
    """A same-stat edit of an old note is NOT seen: proof the entry came from the cache."""
    path = note(vault, "Partners/A.md", partner("abc"))
    descriptions(vault)
    with open(path, "r+b") as fh:  # in place: same inode, same size
        data = fh.read()
        fh.seek(0)
        fh.write(data.replace(b"abc", b"xyz"))
    os.utime(path, ns=(PAST_NS, PAST_NS))
    assert descriptions(vault)["Partners/A.md"] == "abc #need"


def test_racy_same_stat_edit_is_seen(vault: Path):
    """A note whose mtime is not older than our read is read again (git's racy rule)."""
    path = note(vault, "Partners/A.md", partner("abc"), old=False)
    future = (dt.datetime.now().timestamp() + 3600) * 10**9  # as an edit in the read's tick
    os.utime(path, ns=(int(future), int(future)))
    assert descriptions(vault)["Partners/A.md"] == "abc #need"
    with open(path, "r+b") as fh:
        data = fh.read()
        fh.seek(0)
        fh.write(data.replace(b"abc", b"xyz"))
    os.utime(path, ns=(int(future), int(future)))  # the very same stat as cached
    assert descriptions(vault)["Partners/A.md"] == "xyz #need"


def test_a_corrupt_cache_is_rebuilt(vault: Path, reads):
    note(vault, "Partners/A.md", partner("abc"))
    descriptions(vault)
    cache_file = vault / ".ppsj" / CACHE_NAME
    for garbage in (b"", b"{not json", b'{"format": 1}', b"[1, 2, 3]", b"\xff\xfe"):
        cache_file.write_bytes(garbage)
        reads.clear()
        assert descriptions(vault) == {"Partners/A.md": "abc #need"}
        assert reads == ["Partners/A.md"]
        assert list(header_rows(header(cache_file))) == ["Partners/A.md"]
    # a torn cache: the header intact, the entries cut short
    entries = entries_file(cache_file)
    entries.write_bytes(entries.read_bytes()[:10])
    reads.clear()
    assert descriptions(vault) == {"Partners/A.md": "abc #need"}
    assert reads == ["Partners/A.md"]


def _tamper_columns(head: dict, how: str) -> None:
    cols = head["notes"]
    if how == "short":
        cols["inode"].pop()
    elif how == "bool":
        cols["size"][0] = True
    elif how == "float":
        cols["offset"][1] = 0.5
    elif how == "twice":
        cols["path"][1] = cols["path"][0]
    elif how == "path-not-text":
        cols["path"][0] = 7
    elif how == "not-a-list":
        cols["length"] = "1,2"
    elif how == "missing":
        del cols["idle"]


@pytest.mark.parametrize(
    "how", ["short", "bool", "float", "twice", "path-not-text", "not-a-list", "missing"]
)
def test_a_header_with_bad_columns_is_rebuilt(vault: Path, reads, how: str):
    note(vault, "Partners/A.md", partner("abc"))
    note(vault, "Partners/B.md", partner("bcd"))
    want = descriptions(vault)
    cache_file = vault / ".ppsj" / CACHE_NAME
    head = header(cache_file)
    _tamper_columns(head, how)
    cache_file.write_text(json.dumps(head))
    reads.clear()
    assert descriptions(vault) == want
    assert sorted(reads) == ["Partners/A.md", "Partners/B.md"]  # started from nothing
    assert set(header_rows(header(cache_file))) == {"Partners/A.md", "Partners/B.md"}


def header(cache_file: Path) -> dict:
    """The cache's header file: format, versions, every note's stat and entry offset."""
    return json.loads(cache_file.read_bytes())


def entries_file(cache_file: Path) -> Path:
    """The file of entry lines the header names."""
    return cache_file.parent / header(cache_file)["entries"][0]


def _poison(cache_file: Path, **fields) -> None:
    """Rewrite the cached task description (same length), and optionally header fields."""
    doc = header(cache_file)
    doc.update(fields)
    entries = entries_file(cache_file)
    entries.write_bytes(entries.read_bytes().replace(b"abc #need", b"POISONED!"))
    cache_file.write_bytes(json.dumps(doc).encode())
    os.utime(cache_file)  # the cache is newer than the note


@pytest.mark.parametrize(
    "header",
    [
        {"ppsj": "0.0.1"},
        {"format": 999},
        {"schema": "another-entry-shape"},
        {"parser": "older-parsing-code"},
    ],
)
def test_a_cache_from_another_version_is_ignored(vault: Path, header):
    note(vault, "Partners/A.md", partner("abc"))
    descriptions(vault)
    cache_file = vault / ".ppsj" / CACHE_NAME
    _poison(cache_file)  # same version: the poisoned entry is used (the control)
    assert descriptions(vault)["Partners/A.md"] == "POISONED!"
    _poison(cache_file, **header)
    assert descriptions(vault)["Partners/A.md"] == "abc #need"


def test_an_unreadable_folder_does_not_forget_its_notes(vault: Path, monkeypatch, reads):
    note(vault, "Partners/A.md", partner("abc"))
    note(vault, "Sessions/2026/2026-12-04 A.md", partner("in a session"))
    descriptions(vault)
    real = os.scandir

    def scandir(path):
        if str(path).endswith("Sessions"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    index = load_index(Vault.open(vault))
    assert {t.path for t in index.tasks} == {"Partners/A.md", "Sessions/2026/2026-12-04 A.md"}
    assert any(p.where == "Sessions" and "cannot read folder" in p.message for p in index.problems)


def test_a_cache_that_cannot_be_written_does_not_fail(vault: Path):
    note(vault, "Partners/A.md", partner("abc"))
    import shutil

    shutil.rmtree(vault / ".ppsj", ignore_errors=True)  # init's lock left one
    (vault / ".ppsj").write_text("not a folder")  # as a read-only vault: writes fail
    assert descriptions(vault) == {"Partners/A.md": "abc #need"}
    assert (vault / ".ppsj").read_text() == "not a folder"


def test_entries_round_trip_through_json():
    text = (
        "---\ntype: lead\ncreated: 2026-11-02\nat: 2026-11-02T14:40:00-06:00\n"
        "naive: 2026-11-02 14:40:00\ndays: [2026-12-25, 2027-01-01]\nvalue: 450000.5\n"
        "n: 3\nok: true\nempty:\nname: Sam\n---\n"
        "- [x] Pre-qual call [[Sam Lee]] #lead 🆔 abc ⛔ x,y 🔼 📅 2026-12-07 ✅ 2026-12-06 ^blk\n"
        "- [ ] bad date 📅 2026-02-30\n"
    )
    entry = entry_from_bytes("Leads/Sam.md", text.encode())
    broken = entry_from_bytes("Leads/Bad.md", b"---\na: [\n---\n")
    assert broken.error is not None
    encode, decode, _ = entry_codec()
    for original in (entry, broken):
        back = decode(json.loads(json.dumps(encode(original))))
        assert back == original
        assert back.meta == original.meta
        assert [t.problems for t in back.tasks] == [t.problems for t in original.tasks]
        assert {k: type(v) for k, v in back.meta.items()} == {
            k: type(v) for k, v in original.meta.items()
        }
    assert entry.tasks[0].due == dt.date(2026, 12, 7)


def test_scan_notes_lists_what_walk_notes_lists(vault: Path, tmp_path: Path):
    note(vault, "Partners/A.md", partner())
    note(vault, "Deep/er/B.md", partner())
    note(vault, ".obsidian/C.md", partner())
    note(vault, ".trash/D.md", partner())
    note(vault, "Partners/.hidden.md", partner())
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "E.md").write_text(partner())
    (vault / "Partners/link-out.md").symlink_to(outside / "E.md")
    (vault / "Partners/link-in.md").symlink_to(vault / "Partners/A.md")
    (vault / "Linked").symlink_to(outside)
    v = Vault.open(vault)
    walk_errors: list = []
    scan_errors: list = []
    listed = list(v.walk_notes(walk_errors))
    assert list(v.scan_notes(scan_errors)) == listed
    assert sorted(scan_errors) == sorted(walk_errors)
    assert "Partners/link-in.md" in listed and "Partners/link-out.md" not in listed


def test_cache_file_is_json_not_pickle(vault: Path):
    note(vault, "Partners/A.md", partner())
    descriptions(vault)
    cache_file = vault / ".ppsj" / CACHE_NAME
    head = header(cache_file)
    assert {"format", "ppsj", "schema", "parser", "racy", "notes", "build"} <= set(head)
    (row,) = entries_file(cache_file).read_bytes().splitlines()
    assert json.loads(row)[0] == "Partners/A.md"  # one line per entry, Entry.path first
    loaded = NoteCache.loads(cache_file.read_bytes(), 2**62)
    loaded.attach(Vault.open(vault))
    loaded.load_entries()
    assert list(loaded.entries) == ["Partners/A.md"]
    loaded.close()

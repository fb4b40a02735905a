"""The index cache in .ppsj/: what changed is seen, nothing else is parsed again."""

from __future__ import annotations

import base64
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
        assert list(header_rows(header(cache_file), cache_file.parent)) == ["Partners/A.md"]
    # a torn cache: the header intact, the entries cut short
    entries = entries_file(cache_file)
    entries.write_bytes(entries.read_bytes()[:10])
    reads.clear()
    assert descriptions(vault) == {"Partners/A.md": "abc #need"}
    assert reads == ["Partners/A.md"]


def _tamper_columns(cols: dict, how: str) -> None:
    if how == "short":
        cols["inode"] = base64.b64encode(base64.b64decode(cols["inode"])[:-8]).decode()
    elif how == "not-base64":
        cols["size"] = "!!" + cols["size"][2:]
    elif how == "numbers-as-a-list":
        cols["offset"] = [0, 10]
    elif how == "twice":
        cols["path"][1] = cols["path"][0]
    elif how == "path-not-text":
        cols["path"][0] = 7
    elif how == "missing":
        del cols["idle"]


@pytest.mark.parametrize(
    "how", ["short", "not-base64", "numbers-as-a-list", "twice", "path-not-text", "missing"]
)
def test_a_base_with_bad_columns_is_rebuilt(vault: Path, reads, how: str):
    note(vault, "Partners/A.md", partner("abc"))
    note(vault, "Partners/B.md", partner("bcd"))
    want = descriptions(vault)
    cache_file = vault / ".ppsj" / CACHE_NAME
    base = cache_file.parent / header(cache_file)["notes"]["base"]
    cols = json.loads(base.read_bytes())
    _tamper_columns(cols, how)
    base.write_text(json.dumps(cols))
    reads.clear()
    assert descriptions(vault) == want
    assert sorted(reads) == ["Partners/A.md", "Partners/B.md"]  # started from nothing
    assert set(header_rows(header(cache_file), cache_file.parent)) == {
        "Partners/A.md",
        "Partners/B.md",
    }


def _tamper_delta(notes: dict, how: str) -> None:
    row = [10, PAST_NS, 99, 0, 10, 0]
    if how == "short-row":
        notes["changed"]["Partners/A.md"] = row[:5]
    elif how == "bool-in-row":
        notes["changed"]["Partners/A.md"] = [True, *row[1:]]
    elif how == "rows-not-a-map":
        notes["changed"] = [row]
    elif how == "removed-unknown":
        notes["removed"] = ["Partners/Nobody.md"]
    elif how == "removed-not-text":
        notes["removed"] = [3]
    elif how == "base-outside":
        notes["base"] = "../../Partners/A.md"
    elif how == "base-missing":
        notes["base"] = "index-notes-0000000000000000.json"


@pytest.mark.parametrize(
    "how",
    [
        "short-row",
        "bool-in-row",
        "rows-not-a-map",
        "removed-unknown",
        "removed-not-text",
        "base-outside",
        "base-missing",
    ],
)
def test_a_header_with_bad_rows_is_rebuilt(vault: Path, reads, how: str):
    note(vault, "Partners/A.md", partner("abc"))
    note(vault, "Partners/B.md", partner("bcd"))
    want = descriptions(vault)
    cache_file = vault / ".ppsj" / CACHE_NAME
    head = header(cache_file)
    _tamper_delta(head["notes"], how)
    cache_file.write_text(json.dumps(head))
    reads.clear()
    assert descriptions(vault) == want
    assert sorted(reads) == ["Partners/A.md", "Partners/B.md"]  # started from nothing


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


@pytest.mark.parametrize("listed", ["by descriptor", "by path"])
def test_an_unreadable_folder_does_not_forget_its_notes(vault: Path, monkeypatch, reads, listed):
    note(vault, "Partners/A.md", partner("abc"))
    note(vault, "Sessions/2026/2026-12-04 A.md", partner("in a session"))
    descriptions(vault)
    if listed == "by descriptor":  # as on Linux and macOS: the folder is opened first
        real_open = os.open

        def opening(path, flags, *args, **kwargs):
            if str(path).endswith("Sessions"):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", opening)
    else:  # as on Windows (and here, with the patched scandir not among supports_fd)
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
    assert sorted(v.scan_notes(scan_errors)) == listed
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
    loaded = NoteCache.loads(
        cache_file.read_bytes(), 2**62, lambda name: (cache_file.parent / name).read_bytes()
    )
    loaded.attach(Vault.open(vault))
    loaded.load_entries()
    assert list(loaded.entries) == ["Partners/A.md"]
    loaded.close()


def _state(vault: Path, prefix: str) -> list[str]:
    return sorted(p.name for p in (vault / ".ppsj").iterdir() if p.name.startswith(prefix))


def _refreshed(vault: Path) -> NoteCache:
    v = Vault.open(vault)
    notes = cache_mod.load_cache(v, lazy=True)
    notes.refresh(v)
    cache_mod.save_cache(v, notes)
    return notes


def test_saving_after_one_change_rewrites_the_header_only(vault: Path, reads):
    for name in "ABCD":
        note(vault, f"Partners/{name}.md", partner(f"task {name}"))
    _refreshed(vault)
    cache_file = vault / ".ppsj" / CACHE_NAME
    (base,) = _state(vault, cache_mod.NOTES_PREFIX)
    before = (vault / ".ppsj" / base).stat()
    assert header(cache_file)["notes"] == {"base": base, "changed": {}, "removed": []}
    note(vault, "Partners/A.md", partner("task A, edited"))
    (vault / "Partners/B.md").unlink()
    _refreshed(vault)
    after = (vault / ".ppsj" / base).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    notes = header(cache_file)["notes"]
    assert (notes["base"], list(notes["changed"]), notes["removed"]) == (
        base,
        ["Partners/A.md"],
        ["Partners/B.md"],
    )
    # Read back: the base's rows and the header's over them, nothing parsed again
    reads.clear()
    assert descriptions(vault) == {
        "Partners/A.md": "task A, edited #need",
        "Partners/C.md": "task C #need",
        "Partners/D.md": "task D #need",
    }
    assert reads == []


def test_a_new_base_when_many_notes_changed(vault: Path, reads, monkeypatch):
    monkeypatch.setattr(cache_mod, "DELTA_MIN", 2)
    for name in "ABCD":
        note(vault, f"Partners/{name}.md", partner(f"task {name}"))
    _refreshed(vault)
    (old,) = _state(vault, cache_mod.NOTES_PREFIX)
    note(vault, "Partners/A.md", partner("task A2"))
    note(vault, "Partners/B.md", partner("task B2"))
    _refreshed(vault)  # two rows: still on the old base
    assert _state(vault, cache_mod.NOTES_PREFIX) == [old]
    note(vault, "Partners/C.md", partner("task C2"))
    _refreshed(vault)  # three rows: a new base, the old one gone
    (new,) = _state(vault, cache_mod.NOTES_PREFIX)
    assert new != old
    notes = header(vault / ".ppsj" / CACHE_NAME)["notes"]
    assert notes == {"base": new, "changed": {}, "removed": []}
    reads.clear()
    assert descriptions(vault)["Partners/C.md"] == "task C2 #need" and reads == []


def test_a_base_another_process_replaced_is_not_named_again(vault: Path, reads):
    """Two processes: one writes a new base (the old one removed) while the
    other still builds on the old; the other's save then writes its own base
    rather than a header naming a file that is gone."""
    for name in "ABCD":
        note(vault, f"Partners/{name}.md", partner(f"task {name}"))
    _refreshed(vault)
    (old,) = _state(vault, cache_mod.NOTES_PREFIX)
    v = Vault.open(vault)
    slow = cache_mod.load_cache(v, lazy=True)  # loaded, not saved yet
    other = cache_mod.load_cache(v, lazy=True)
    other._base, other.dirty = None, True  # as a process that started from nothing
    assert cache_mod.save_cache(v, other)
    (new,) = _state(vault, cache_mod.NOTES_PREFIX)
    assert new != old
    note(vault, "Partners/B.md", partner("task B2"))
    slow.refresh(v)
    assert cache_mod.save_cache(v, slow)
    (base,) = _state(vault, cache_mod.NOTES_PREFIX)
    assert header(vault / ".ppsj" / CACHE_NAME)["notes"]["base"] == base
    reads.clear()
    assert descriptions(vault)["Partners/B.md"] == "task B2 #need"
    assert reads == []  # a usable cache, not one started from nothing


def test_the_base_columns_carry_any_stat_a_file_system_gives():
    paths = ["a.md", "Sessions/é ü.md", "c.md"]
    stats = {
        "a.md": (0, -1_000_000_000, 2**64 - 1),  # before 1970; a 64-bit inode
        "Sessions/é ü.md": (4 * 2**20, 2**62, 1),
        "c.md": (7, 1_764_000_000_123_456_789, 2**63),
    }
    offsets = {"a.md": (0, 10), "Sessions/é ü.md": (11, 2**40), "c.md": (5, 1)}
    columns = cache_mod._columns(paths, stats, {"c.md"}, offsets)
    assert json.loads(json.dumps(columns)) == columns  # plain JSON
    assert cache_mod._rows(columns) == (stats, offsets, {"c.md"})
    with pytest.raises(ValueError):  # no file system's: the cache is not written
        cache_mod._columns(["a.md"], {"a.md": (1, 2, 2**64)}, set(), {"a.md": (0, 1)})


@pytest.mark.parametrize("garbage", [b"1, 2", b"null", b"[1"])
def test_an_entry_line_of_another_shape_is_read_again(vault: Path, reads, garbage: bytes):
    note(vault, "Partners/A.md", partner("abc"))
    note(vault, "Partners/B.md", partner("bcd"))
    want = descriptions(vault)
    entries = entries_file(vault / ".ppsj" / CACHE_NAME)
    first, rest = entries.read_bytes().split(b"\n", 1)
    entries.write_bytes(garbage.ljust(len(first)) + b"\n" + rest)  # the offsets hold
    reads.clear()
    assert descriptions(vault) == want
    assert sorted(reads) == ["Partners/A.md", "Partners/B.md"]  # started from nothing

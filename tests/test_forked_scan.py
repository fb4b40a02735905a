"""The full scan of a large vault, done in a forked child while ppsj imports
what comes next, finds what a scan in this process finds."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ppsjournal import cache
from ppsjournal.build import BUILD_MODULES
from ppsjournal.cache import NoteCache, load_cache, save_cache
from ppsjournal.vault import Vault
from tests.conftest import run_cli, write_note

PAST_NS = 1_700_000_000 * 10**9


def session(i: int, task: str = "Call back") -> str:
    return (
        f'---\ntype: session\npartner: "[[P{i}]]"\ndate: 2026-11-{i % 28 + 1:02d}\n---\n'
        f"- [ ] {task} {i} #need 📅 2026-11-20\n"
    )


def make_vault(vault: Path, n: int = 12) -> None:
    for i in range(n):
        write_note(vault, f"Sessions/2026/S{i}.md", session(i))
        os.utime(vault / f"Sessions/2026/S{i}.md", ns=(PAST_NS, PAST_NS))
    write_note(vault, "Partners/P1.md", "---\ntype: partner\nstatus: active\n---\n")
    os.utime(vault / "Partners/P1.md", ns=(PAST_NS, PAST_NS))


def warm_cache(vault: Path) -> NoteCache:
    v = Vault.open(vault)
    notes = load_cache(v, lazy=True)
    notes.refresh(v)
    save_cache(v, notes)
    return load_cache(v, lazy=True)


def edit_the_vault(vault: Path) -> None:
    write_note(vault, "Sessions/2026/S1.md", session(1, "Call again"))  # changed
    write_note(vault, "Leads/New.md", "---\ntype: lead\nstage: new\n---\n")  # added
    (vault / "Sessions/2026/S2.md").unlink()  # deleted
    os.rename(vault / "Sessions/2026/S3.md", vault / "Sessions/2026/S3b.md")  # renamed
    (vault / "Sessions/2026/bad").symlink_to("/etc")  # a walk error: a link outside


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    if not cache._can_fork():
        pytest.skip("no fork here (or other threads running)")
    monkeypatch.setattr(cache, "FORKED_SCAN_MIN", 1)
    monkeypatch.setattr(cache, "_spare_cpus", lambda: 1)


def test_a_forked_scan_finds_what_a_scan_here_finds(vault: Path, forking: None):
    make_vault(vault)
    notes = warm_cache(vault)
    edit_the_vault(vault)
    v = Vault.open(vault)
    here = notes._scan(v)
    there = notes._scan_forked(v, ())
    assert there is not None and there.seen is None  # it came from the child
    assert (there.stale, there.gone, there.walk_errors) == (here.stale, here.gone, here.walk_errors)
    assert sorted(there.stale) == ["Leads/New.md", "Sessions/2026/S1.md", "Sessions/2026/S3b.md"]
    assert there.gone == ["Sessions/2026/S2.md", "Sessions/2026/S3.md"]
    assert there.walk_errors == [("Sessions/2026/bad", "links outside the vault; not followed")]
    assert all(type(st) is tuple and len(st) == 3 for st in there.stale.values())


def test_refresh_through_a_forked_scan(vault: Path, forking: None, monkeypatch):
    make_vault(vault)
    warm_cache(vault)
    edit_the_vault(vault)
    forked: list[bool] = []
    real = NoteCache._scan_forked

    def spy(self: NoteCache, vault: Vault, meanwhile: tuple[str, ...]) -> cache._Scan | None:
        found = real(self, vault, meanwhile)
        forked.append(found is not None)
        return found

    monkeypatch.setattr(NoteCache, "_scan_forked", spy)
    v = Vault.open(vault)
    notes = load_cache(v, lazy=True)
    changes = notes.refresh(v, meanwhile=("json",))
    assert forked == [True]
    assert changes.added == ["Leads/New.md", "Sessions/2026/S3b.md"]
    assert changes.changed == ["Sessions/2026/S1.md"]
    assert sorted(changes.removed) == ["Sessions/2026/S2.md", "Sessions/2026/S3.md"]
    assert "Sessions/2026/S3b.md" in notes.stats and "Sessions/2026/S3.md" not in notes.stats
    # Nothing to import: the scan is done here (no child for nothing to overlap).
    forked.clear()
    load_cache(v, lazy=True).refresh(v)
    assert forked == []


def test_a_child_that_fails_leaves_the_scan_to_this_process(
    vault: Path, forking: None, monkeypatch: pytest.MonkeyPatch
):
    make_vault(vault)
    warm_cache(vault)
    edit_the_vault(vault)
    parent = os.getpid()
    real = NoteCache._scan

    def fails_in_the_child(self: NoteCache, vault: Vault) -> cache._Scan:
        if os.getpid() != parent:
            raise OSError("the child cannot scan")
        return real(self, vault)

    monkeypatch.setattr(NoteCache, "_scan", fails_in_the_child)
    v = Vault.open(vault)
    notes = load_cache(v, lazy=True)
    assert notes._scan_forked(v, ()) is None
    changes = notes.refresh(v, meanwhile=("json",))
    assert changes.changed == ["Sessions/2026/S1.md"]
    assert sorted(changes.removed) == ["Sessions/2026/S2.md", "Sessions/2026/S3.md"]


def test_imports_stop_when_the_child_is_done(
    vault: Path, forking: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """This process imports while the child scans, not after: an "up to date"
    build never waits for modules it does not need."""
    make_vault(vault)
    notes = warm_cache(vault)
    done = tmp_path / "scanned"
    real = NoteCache._scan

    def scan(self: NoteCache, vault: Vault) -> cache._Scan:
        found = real(self, vault)
        done.touch()  # in the child, once it has scanned
        return found

    monkeypatch.setattr(NoteCache, "_scan", scan)
    modules = tmp_path / "modules"
    modules.mkdir()
    # The first import lasts until the child has scanned (and a moment for it to exit).
    (modules / "ppsj_test_slow.py").write_text(
        "import pathlib, time\n"
        f"done = pathlib.Path({str(done)!r})\n"
        "for _ in range(1000):\n"
        "    if done.exists():\n"
        "        break\n"
        "    time.sleep(0.01)\n"
        "time.sleep(0.5)\n"
    )
    (modules / "ppsj_test_next.py").write_text("")
    monkeypatch.syspath_prepend(str(modules))
    for name in ("ppsj_test_slow", "ppsj_test_next"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    scan_result = notes._scan_forked(Vault.open(vault), ("ppsj_test_slow", "ppsj_test_next"))
    assert scan_result is not None and scan_result.stale == {} and scan_result.gone == []
    assert done.exists()
    assert "ppsj_test_slow" in sys.modules and "ppsj_test_next" not in sys.modules


def test_the_modules_a_build_prefetches_exist():
    import importlib

    for name in BUILD_MODULES:
        assert importlib.import_module(name).__name__ == name


def test_a_build_after_one_change_writes_the_same_with_a_forked_scan(
    vault: Path, forking: None, monkeypatch: pytest.MonkeyPatch
):
    make_vault(vault)
    assert run_cli(vault, "build").exit_code == 0
    write_note(vault, "Sessions/2026/S5.md", session(5, "Send the rate sheet"))
    calls: list[tuple[str, ...]] = []
    real = NoteCache._scan_forked

    def spy(self: NoteCache, vault: Vault, meanwhile: tuple[str, ...]) -> cache._Scan | None:
        calls.append(meanwhile)
        return real(self, vault, meanwhile)

    monkeypatch.setattr(NoteCache, "_scan_forked", spy)
    result = run_cli(vault, "build")
    assert result.exit_code == 0, result.output
    assert calls == [BUILD_MODULES]
    forked = (vault / "Follow-ups.md").read_bytes()
    assert b"Send the rate sheet 5" in forked
    # The same vault built from nothing, in this process alone
    monkeypatch.setattr(cache, "FORKED_SCAN_MIN", 10**9)
    (vault / "Follow-ups.md").unlink()
    for f in (vault / ".ppsj").glob("index-*"):
        f.unlink()
    assert run_cli(vault, "build").exit_code == 0
    assert (vault / "Follow-ups.md").read_bytes() == forked

"""Incremental builds give the bytes a full build gives, after every kind of change.

`ppsj build` decodes only the cache entries its outputs read (the others are
"idle") and keeps the calendars it wrote when the partners and settings did
not change; the watcher keeps entries in memory between rebuilds. After each
step of a sequence of edits (session, partner and lead notes edited, added,
deleted and renamed; a broken note and its fix; a settings change; a new
day), the outputs on disk must equal what a build from nothing renders.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from ppsjournal.app import load_index, render_outputs
from ppsjournal.calendar import is_generated
from ppsjournal.vault import Vault
from ppsjournal.watch import Batch, Watcher
from tests.conftest import run_cli

BASE_NS = 1_700_000_000 * 10**9  # 2023: older than any cache written here


class Notes:
    """Writes notes with distinct old mtimes, so that the cache (not the racy rule) is used."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tick = 0

    def age(self, path: Path) -> None:
        self.tick += 1
        ns = BASE_NS + self.tick * 10**9
        os.utime(path, ns=(ns, ns))

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        self.age(path)

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, (rel, old)
        self.write(rel, text.replace(old, new, 1))

    def delete(self, rel: str) -> None:
        (self.root / rel).unlink()

    def rename(self, rel: str, to: str) -> None:
        (self.root / to).parent.mkdir(parents=True, exist_ok=True)
        os.rename(self.root / rel, self.root / to)

    def partner(self, name: str, **keys: str) -> None:
        lines = "".join(f"{k}: {v}\n" for k, v in keys.items())
        self.write(f"Partners/{name}.md", f"---\ntype: partner\n{lines}---\n# {name}\n")

    def lead(self, name: str, partner: str, **keys: str) -> None:
        lines = "".join(f"{k}: {v}\n" for k, v in keys.items())
        self.write(f"Leads/{name}.md", f'---\ntype: lead\npartner: "[[{partner}]]"\n{lines}---\n')

    def session(self, day: str, name: str, status: str, body: str = "") -> str:
        rel = f"Sessions/{day[:4]}/{day} {name}.md"
        self.write(
            rel,
            f'---\ntype: session\npartner: "[[{name}]]"\ndate: {day}\ntime: "14:40"\n'
            f"status: {status}\n---\n## Follow-ups\n{body}",
        )
        return rel


def seed(n: Notes) -> None:
    n.partner("Debbie Harper", status="active", committed="2026-11-06",
              referral_expected="2026-11-20", pps_time='"14:40"', pps_start="2026-09-18",
              email="debbie@realty.example")  # fmt: skip
    n.partner("Carl Ortiz", status="active", pps_time='"13:00"', pps_start="2026-11-06",
              pps_skip="[2026-12-18]")  # fmt: skip
    n.partner("Fay Future", status="prospect", committed="2026-11-20",
              referral_expected="2026-11-25")  # fmt: skip
    for week in range(6):
        day = f"2026-10-{2 + week * 7:02d}" if week < 5 else "2026-11-06"
        n.session(day, "Debbie Harper", "held",
                  f"- [x] Done task {week} 📅 2026-10-20 ✅ 2026-10-21\n"
                  f"- [-] Cancelled {week} 📅 2026-10-20\n"
                  "Answers to the five questions, nothing to follow up.\n")  # fmt: skip
    n.session("2026-11-13", "Debbie Harper", "held",
              "- [ ] Send the buyer guide #commitment 📅 2026-11-18 ^guide\n"
              "- [ ] Flyer for the open house #need 📅 2026-11-30\n")  # fmt: skip
    n.session("2026-11-20", "Debbie Harper", "planned")
    n.session("2026-11-20", "Carl Ortiz", "held", "- [x] Postcard 📅 2026-11-21 ✅ 2026-11-21\n")
    n.lead("Sam Lee", "Debbie Harper", source="lost-lead", stage="new", created="2026-11-20")
    n.lead("Ana Ruiz", "Carl Ortiz", source="showing", stage="contacted",
           created="2026-11-01", showing="2026-12-03")  # fmt: skip
    n.write("Inbox/Ideas.md", "Plain note.\n- [ ] Untyped open task 📅 2026-11-26\n")


def outputs_on_disk(root: Path) -> dict[str, bytes]:
    found = {"Follow-ups.md": (root / "Follow-ups.md").read_bytes()}
    for path in sorted((root / "Calendar").glob("*.ics")):
        data = path.read_bytes()
        if is_generated(data):
            found[f"Calendar/{path.name}"] = data
    return found


def full_build(root: Path, today) -> dict[str, bytes]:
    """What a build from nothing renders: every note parsed, no cache at all."""
    vault = Vault.open(root)
    return render_outputs(load_index(vault, memory=True), vault, today)


def _session_day(day: str) -> str:
    return f"Sessions/2026/2026-{day} Debbie Harper.md"


# Each step changes the vault; the day it builds for is the second item.
# fmt: off
STEPS: list[tuple[str, str, Callable[[Notes], None]]] = [
    ("nothing", "2026-11-27", lambda n: None),
    ("check off an open task", "2026-11-27",
     lambda n: n.edit(_session_day("11-13"), "- [ ] Send", "- [x] Send")),
    ("edit an idle session's text", "2026-11-27",
     lambda n: n.edit(_session_day("10-02"), "Done task 0", "Done task zero")),
    ("an idle session gets an open task", "2026-11-27",
     lambda n: n.edit(_session_day("10-09"), "Answers", "- [ ] Call back 📅 2026-11-01\nAnswers")),
    ("add a session with an overdue task", "2026-11-27",
     lambda n: n.session("2026-11-27", "Carl Ortiz", "planned",
                         "- [ ] Late task #need 📅 2026-11-02\n")),
    ("write up a planned session", "2026-11-27",
     lambda n: n.edit(_session_day("11-20"), "status: planned", "status: held")),
    ("delete a session with an open task", "2026-11-27",
     lambda n: n.delete(_session_day("11-13"))),
    ("rename an idle session to a partner's name (links by path)", "2026-11-27",
     lambda n: n.rename(_session_day("10-16"), "Sessions/2026/Carl Ortiz.md")),
    ("rename it back", "2026-11-27",
     lambda n: n.rename("Sessions/2026/Carl Ortiz.md", _session_day("10-16"))),
    ("a broken task date in an idle session", "2026-11-27",
     lambda n: n.edit(_session_day("10-23"), "Answers", "- [ ] Bad 📅 2026-02-30\nAnswers")),
    ("another broken date: only the task's problem differs", "2026-11-27",
     lambda n: n.edit(_session_day("10-23"), "2026-02-30", "2026-02-31")),
    ("a broken note", "2026-11-27",
     lambda n: n.edit(_session_day("10-30"), "type: session", "type: [session")),
    ("another change while it is broken", "2026-11-27",
     lambda n: n.edit(_session_day("10-02"), "Done task zero", "Done task 0")),
    ("the broken note fixed", "2026-11-27",
     lambda n: n.edit(_session_day("10-30"), "type: [session", "type: session")),
    ("a second note for a partner", "2026-11-27",
     lambda n: n.write("Other/Debbie Harper.md", "---\ntype: partner\nstatus: prospect\n---\n")),
    ("another change while there are two", "2026-11-27",
     lambda n: n.edit(_session_day("10-02"), "Done task 0", "Done task zero")),
    ("partner: skip a session", "2026-11-27",
     lambda n: n.edit("Partners/Debbie Harper.md", "pps_time", "pps_skip: [2026-11-27]\npps_time")),
    ("partner paused (its calendar removed)", "2026-11-27",
     lambda n: n.edit("Partners/Carl Ortiz.md", "status: active", "status: paused")),
    ("partner renamed", "2026-11-27",
     lambda n: n.rename("Partners/Debbie Harper.md", "Partners/Debbie Stone.md")),
    ("a referral lead from the partner", "2026-11-27",
     lambda n: n.lead("Rita Ref", "Fay Future", source="referral", stage="new",
                      created="2026-11-21")),
    ("a lead's value", "2026-11-27",
     lambda n: n.edit("Leads/Sam Lee.md", "stage: new", "stage: new\nvalue: 1")),
    ("the value as true: equal in Python (1 == True), not to ppsj", "2026-11-27",
     lambda n: n.edit("Leads/Sam Lee.md", "value: 1", "value: true")),
    ("lead stage moves on", "2026-11-27",
     lambda n: n.edit("Leads/Sam Lee.md", "stage: new", "stage: contacted")),
    ("lead deleted", "2026-11-27", lambda n: n.delete("Leads/Ana Ruiz.md")),
    ("a settled lead", "2026-11-27",
     lambda n: n.lead("Old Lead", "Carl Ortiz", source="lost-lead", stage="closed")),
    ("another change (the settled lead is idle now)", "2026-11-27",
     lambda n: n.edit(_session_day("10-02"), "Done task zero", "Done task 0")),
    ("a second lead of that name, in another folder", "2026-11-27",
     lambda n: n.write("Leads/2025/Old Lead.md",
                       '---\ntype: lead\npartner: "[[Carl Ortiz]]"\n'
                       "source: showing\nstage: lost\n---\n")),
    ("another change while there are two leads", "2026-11-27",
     lambda n: n.edit(_session_day("10-02"), "Done task 0", "Done task zero")),
    ("the partner back under its name", "2026-11-27",
     lambda n: n.rename("Partners/Debbie Stone.md", "Partners/Debbie Harper.md")),
    ("settings: a new owner name", "2026-11-27",
     lambda n: n.edit("ppsj.toml", 'name = "Alex Rivera"', 'name = "Alex Q. Rivera"')),
    ("settings: holidays", "2026-11-27",
     lambda n: n.edit("ppsj.toml", "holidays = []", "holidays = [2026-12-25]")),
    ("a partner added", "2026-11-27",
     lambda n: n.partner("Gil New", status="active", pps_time='"15:00"',
                         pps_start="2026-11-13")),
    ("a partner deleted (its referral lead now names no partner)", "2026-11-27",
     lambda n: n.delete("Partners/Fay Future.md")),
    ("a new day", "2026-12-02", lambda n: None),
    ("a paused partner active again, another day", "2026-12-05",
     lambda n: n.edit("Partners/Carl Ortiz.md", "status: paused", "status: active")),
    ("an untyped note's task done", "2026-12-05",
     lambda n: n.edit("Inbox/Ideas.md", "- [ ] Untyped", "- [x] Untyped")),
]
# fmt: on


def _dates(today: str):
    import datetime as dt

    return dt.date.fromisoformat(today)


def counted_builds(vault: Path, monkeypatch, module, name: str):
    """A `ppsj build` runner that returns how often ``module.name`` rendered (a list
    of 1s), after checking the outputs equal a full build's."""
    rendered: list[int] = []
    real = getattr(module, name)

    def counting(*args):
        rendered.append(1)
        return real(*args)

    monkeypatch.setattr(module, name, counting)

    def build(today: str = "2026-11-27") -> list[int]:
        rendered.clear()
        result = run_cli(vault, "build", today=today)
        assert result.exit_code == 0, result.output
        seen = list(rendered)
        assert outputs_on_disk(vault) == full_build(vault, _dates(today))
        return seen

    return build


def test_ppsj_build_after_each_change_equals_a_full_build(vault: Path) -> None:
    notes = Notes(vault)
    seed(notes)
    for what, today, change in STEPS:
        change(notes)
        result = run_cli(vault, "build", today=today)
        # A note that cannot be read is named on stderr, and build exits 3.
        assert result.exit_code == (3 if result.stderr else 0), (what, result.output)
        if what in ("a broken note", "another change while it is broken"):
            assert "front-matter is not valid YAML" in result.stderr, what
        assert outputs_on_disk(vault) == full_build(vault, _dates(today)), what
        if "two leads" in what:  # the step is what it says
            assert "a second note for lead 'Old Lead'" in result.output
        again = run_cli(vault, "build", "--check", today=today)
        assert "up to date" in again.stdout, what
        assert again.exit_code == (3 if again.stderr else 0), what


def test_calendars_are_rendered_only_when_partners_settings_or_the_day_change(
    vault: Path, monkeypatch
) -> None:
    from ppsjournal import calendar as calendar_mod

    notes = Notes(vault)
    seed(notes)
    build = counted_builds(vault, monkeypatch, calendar_mod, "calendar_files")

    assert build() == [1]
    notes.edit(_session_day("11-13"), "- [ ] Flyer", "- [x] Flyer")
    assert build() == []  # Follow-ups.md changed, the calendars are kept
    notes.edit("Partners/Carl Ortiz.md", "status: active", "status: paused")
    assert build() == [1]
    notes.edit("ppsj.toml", "reminder = 15", "reminder = 10")
    assert build() == [1]
    notes.edit(_session_day("10-02"), "Done task 0", "Done task zero")
    assert build("2026-11-28") == [1]  # another day
    # A calendar file touched by hand is rewritten, not trusted.
    feed = vault / "Calendar" / "PPS.ics"
    feed.write_bytes(feed.read_bytes().replace(b"END:VEVENT", b"X-EDITED:by hand\r\nEND:VEVENT"))
    notes.edit(_session_day("10-02"), "Done task zero", "Done task 0")
    assert build("2026-11-28") == [1]


def test_the_watcher_after_each_change_equals_a_full_build(vault: Path) -> None:
    notes = Notes(vault)
    seed(notes)
    day = {"today": _dates(STEPS[0][1])}
    lines: list[str] = []
    watcher = Watcher(
        Vault.open(vault), lambda: day["today"], day_fixed=True, log=lines.append,
        warn=lines.append,
    )  # fmt: skip
    watcher.rebuild(Batch(full_scan=True), "start")
    for what, today, change in STEPS:
        before = set(watcher.builder.store.paths())
        change(notes)
        day["today"] = _dates(today)
        after = {p.relative_to(vault).as_posix() for p in vault.rglob("*.md")}
        after -= {"Follow-ups.md"}
        after = {p for p in after if not p.startswith((".", "Templates/"))}
        # The events a watcher would get: the paths that changed, and ppsj.toml.
        batch = Batch(notes=before ^ after | _touched(vault, watcher), settings=True)
        watcher.rebuild(batch, "change" if today == STEPS[0][1] else "day")
        assert outputs_on_disk(vault) == full_build(vault, _dates(today)), what


def _touched(vault: Path, watcher: Watcher) -> set[str]:
    """Notes whose stat differs from the watcher's store (what inotify would report)."""
    v = Vault.open(vault)
    known = {p: (size, mtime, ino) for p, size, mtime, ino in watcher.builder.store.stats(
        watcher.builder.store.paths())}  # fmt: skip
    return {rel for rel, st in v.scan_notes().items() if known.get(rel) != st}


def test_a_note_whose_text_alone_changed_leaves_the_outputs_up_to_date(vault: Path, monkeypatch):
    """Text that changes no property or task (the lines stay put) changes no output."""
    from ppsjournal import app

    notes = Notes(vault)
    seed(notes)
    assert run_cli(vault, "build").exit_code == 0
    rendered: list[int] = []
    real = app.render_outputs

    def counting(*args, **kwargs):
        rendered.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(app, "render_outputs", counting)
    notes.edit(_session_day("11-13"), "## Follow-ups", "## Follow-ups we agreed on")
    result = run_cli(vault, "build")
    assert result.exit_code == 0 and "up to date" in result.output
    assert rendered == []
    # A change of the same size that changes a value is a change.
    notes.edit(_session_day("11-13"), "2026-11-30", "2026-11-29")
    result = run_cli(vault, "build")
    assert result.exit_code == 0 and "wrote Follow-ups.md" in result.output
    assert rendered == [1]
    assert outputs_on_disk(vault) == full_build(vault, _dates("2026-11-27"))


def _db(vault: Path) -> Path:
    return vault / ".ppsj" / "index.sqlite3"


def test_a_deleted_store_is_made_again_from_the_notes(vault: Path) -> None:
    notes = Notes(vault)
    seed(notes)
    assert run_cli(vault, "build").exit_code == 0
    shutil.rmtree(vault / ".ppsj")
    notes.edit(_session_day("11-13"), "- [ ] Flyer", "- [x] Flyer")
    assert run_cli(vault, "build").exit_code == 0
    assert _db(vault).is_file()
    assert outputs_on_disk(vault) == full_build(vault, _dates("2026-11-27"))
    assert "Flyer" not in (vault / "Follow-ups.md").read_text(encoding="utf-8")  # the edit is seen


@pytest.mark.parametrize(
    "garbage", [b"", b"not a database at all" * 100, b"SQLite format 3\0" + b"\xff" * 5000]
)
def test_a_corrupt_store_is_made_again_from_the_notes(vault: Path, garbage: bytes) -> None:
    notes = Notes(vault)
    seed(notes)
    assert run_cli(vault, "build").exit_code == 0
    expected = run_cli(vault, "overdue", "--json").stdout
    for suffix in ("-wal", "-shm"):
        (vault / ".ppsj" / f"index.sqlite3{suffix}").unlink(missing_ok=True)
    _db(vault).write_bytes(garbage)
    again = run_cli(vault, "overdue", "--json")
    assert again.exit_code == 0, again.output
    assert again.stdout == expected
    assert run_cli(vault, "build").exit_code == 0
    assert outputs_on_disk(vault) == full_build(vault, _dates("2026-11-27"))


def test_a_store_deleted_while_a_watcher_holds_it(vault: Path) -> None:
    notes = Notes(vault)
    seed(notes)
    lines: list[str] = []
    watcher = Watcher(Vault.open(vault), lambda: _dates("2026-11-27"), day_fixed=True,
                      log=lines.append, warn=lines.append)  # fmt: skip
    watcher.rebuild(Batch(full_scan=True), "start")
    shutil.rmtree(vault / ".ppsj")
    notes.edit(_session_day("11-13"), "- [ ] Flyer", "- [x] Flyer")
    watcher.rebuild(Batch(notes={_session_day("11-13")}), "change")
    assert outputs_on_disk(vault) == full_build(vault, _dates("2026-11-27"))
    assert run_cli(vault, "build").exit_code == 0  # another process makes its own store
    assert outputs_on_disk(vault) == full_build(vault, _dates("2026-11-27"))
    watcher.builder.close()


def test_a_locked_store_is_waited_for_then_named(vault: Path, monkeypatch) -> None:
    import sqlite3
    import threading

    from ppsjournal import store

    notes = Notes(vault)
    seed(notes)
    assert run_cli(vault, "build").exit_code == 0
    notes.edit(_session_day("11-13"), "- [ ] Flyer", "- [x] Flyer")  # a refresh must write
    holder = sqlite3.connect(_db(vault), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(store, "LOCK_TIMEOUT", 0.3)
    locked = run_cli(vault, "build")
    assert locked.exit_code == 1
    assert "the index is locked by another ppsj" in locked.stderr
    assert "Traceback" not in locked.output
    # Released while a command waits: it goes on.
    monkeypatch.setattr(store, "LOCK_TIMEOUT", 10.0)
    threading.Timer(0.5, holder.rollback).start()
    waited = run_cli(vault, "build")
    assert waited.exit_code == 0, waited.output
    assert outputs_on_disk(vault) == full_build(vault, _dates("2026-11-27"))
    holder.close()


def test_a_store_from_other_parsing_code_is_made_again(vault: Path) -> None:
    import sqlite3

    notes = Notes(vault)
    seed(notes)
    assert run_cli(vault, "build").exit_code == 0
    db = sqlite3.connect(_db(vault), isolation_level=None)
    db.execute("UPDATE meta SET value = 'older' WHERE key = 'parser'")
    db.execute("UPDATE notes SET meta = '{}'")  # what older code would have read
    db.close()
    assert run_cli(vault, "build").exit_code == 0
    assert outputs_on_disk(vault) == full_build(vault, _dates("2026-11-27"))
    db = sqlite3.connect(_db(vault))
    assert db.execute("SELECT count(*) FROM notes WHERE meta = '{}'").fetchone()[0] < 3
    db.close()


def test_a_name_shared_then_unshared_is_linked_by_path_then_by_name(vault: Path) -> None:
    notes = Notes(vault)
    seed(notes)

    def build() -> str:
        assert run_cli(vault, "build").exit_code == 0
        assert outputs_on_disk(vault) == full_build(vault, _dates("2026-11-27"))
        return (vault / "Follow-ups.md").read_text(encoding="utf-8")

    assert "[[Sam Lee]]" in build()
    notes.write("Inbox/Sam Lee.md", "A plain note that shares the lead's name.\n")
    assert "[[Leads/Sam Lee]]" in build()
    notes.edit(_session_day("11-13"), "buyer guide", "buyer's guide")  # nothing added
    assert "[[Leads/Sam Lee]]" in build()
    notes.delete("Inbox/Sam Lee.md")
    text = build()
    assert "[[Sam Lee]]" in text and "[[Leads/Sam Lee]]" not in text

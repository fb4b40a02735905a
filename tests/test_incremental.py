"""Incremental builds give the bytes a full build gives, after every kind of change.

`ppsj build` decodes only the cache entries its outputs read (the others are
"idle") and keeps the calendars it wrote when the partners and settings did
not change; the watcher keeps entries in memory between rebuilds. After each
step of a sequence of edits (session, partner and lead notes edited, added,
deleted and renamed; a broken note and its fix; a settings change; a new
day), the outputs on disk must equal what a build from nothing renders.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from ppsjournal import cache as cache_mod
from ppsjournal.build import render_outputs
from ppsjournal.cache import CACHE_NAME, source_fingerprint
from ppsjournal.calendar import is_generated
from ppsjournal.index import load_index
from ppsjournal.vault import Vault
from ppsjournal.watch import Batch, Watcher
from tests.conftest import header_rows, run_cli

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
    return render_outputs(load_index(vault, cache=False), vault, today)


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
        # A note that cannot be read is named on stderr, and build exits 1.
        assert result.exit_code == (1 if result.stderr else 0), (what, result.output)
        if what in ("a broken note", "another change while it is broken"):
            assert "front-matter is not valid YAML" in result.stderr, what
        assert outputs_on_disk(vault) == full_build(vault, _dates(today)), what
        if "two leads" in what:  # the step is what it says
            assert "a second note for lead 'Old Lead'" in result.output
        again = run_cli(vault, "build", "--check", today=today)
        assert again.exit_code == 0 and "up to date" in again.output, what


def test_ppsj_overdue_from_the_notes_the_outputs_read_equals_a_full_index(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ppsj overdue` decodes only what Follow-ups.md reads: after each change
    (builds in between flag idle notes) it says what a full index says."""
    from ppsjournal.cli import Runtime

    notes = Notes(vault)
    seed(notes)
    lean_index, full_index = Runtime.output_index, Runtime.index
    for what, today, change in STEPS:
        change(notes)
        if what.startswith("partner"):
            run_cli(vault, "build", today=today)  # flags set by a build, too
        monkeypatch.setattr(Runtime, "output_index", lean_index)
        lean = run_cli(vault, "overdue", "--json", today=today)
        monkeypatch.setattr(Runtime, "output_index", full_index)
        full = run_cli(vault, "overdue", "--json", today=today)
        assert (lean.exit_code, lean.stdout, lean.stderr) == (
            full.exit_code,
            full.stdout,
            full.stderr,
        ), what
    assert json.loads(full.stdout)["count"] > 0  # the steps left something overdue


def header(vault: Path) -> dict:
    return json.loads((vault / ".ppsj" / CACHE_NAME).read_bytes())


def entries_file(vault: Path) -> Path:
    return vault / ".ppsj" / header(vault)["entries"][0]


def test_the_cache_marks_idle_notes_and_decodes_only_the_others(vault: Path, monkeypatch):
    notes = Notes(vault)
    seed(notes)
    assert run_cli(vault, "build").exit_code == 0
    head = header(vault)
    idle = {path for path, row in header_rows(head, vault / ".ppsj").items() if row["idle"]}
    # Held sessions with no open dated task are idle; partners, leads, the
    # planned session and the notes with open dated tasks are not.
    assert _session_day("10-02") in idle and _session_day("11-06") in idle
    assert not idle & {
        "Partners/Debbie Harper.md",
        "Leads/Sam Lee.md",
        _session_day("11-13"),
        _session_day("11-20"),
        "Inbox/Ideas.md",
    }
    decoded: list[str] = []
    real = cache_mod.NoteCache._decode

    def spy(self, paths):
        paths = list(paths)
        decoded.extend(p for p in paths if p not in self.entries)
        return real(self, paths)

    monkeypatch.setattr(cache_mod.NoteCache, "_decode", spy)
    notes.edit(_session_day("11-13"), "- [ ] Flyer", "- [x] Flyer")
    assert run_cli(vault, "build").exit_code == 0
    assert decoded and not set(decoded) & idle
    assert outputs_on_disk(vault) == full_build(vault, _dates("2026-11-27"))


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
        before = set(watcher.cache.stats)
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
    """Notes whose stat differs from the watcher's cache (what inotify would report)."""
    v = Vault.open(vault)
    return {rel for rel, st in v.scan_notes().items() if watcher.cache.stats.get(rel) != st}


def test_a_torn_cache_line_is_read_again(vault: Path) -> None:
    notes = Notes(vault)
    seed(notes)
    assert run_cli(vault, "build").exit_code == 0
    row = header_rows(header(vault), vault / ".ppsj")["Leads/Sam Lee.md"]
    offset, length = row["offset"], row["length"]
    with open(entries_file(vault), "r+b") as fh:  # the line garbled in place
        fh.seek(offset)
        fh.write(b"\0" * length)
    notes.edit(_session_day("11-13"), "- [ ] Flyer", "- [x] Flyer")  # a change: not up to date
    result = run_cli(vault, "build")
    assert result.exit_code == 0, result.output
    assert outputs_on_disk(vault) == full_build(vault, _dates("2026-11-27"))


def test_a_torn_cache_line_is_read_again_by_the_lean_commands(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ppsjournal.cli import Runtime

    notes = Notes(vault)
    seed(notes)
    assert run_cli(vault, "build").exit_code == 0
    expected = run_cli(vault, "overdue", "--json")
    row = header_rows(header(vault), vault / ".ppsj")["Leads/Sam Lee.md"]
    with open(entries_file(vault), "r+b") as fh:  # the line garbled in place
        fh.seek(row["offset"])
        fh.write(b"\0" * row["length"])
    reads: list[str] = []
    real = cache_mod.read_entry
    monkeypatch.setattr(cache_mod, "read_entry", lambda v, rel: reads.append(rel) or real(v, rel))
    lean = run_cli(vault, "overdue", "--json")
    assert (lean.exit_code, lean.stdout) == (expected.exit_code, expected.stdout)
    assert "Leads/Sam Lee.md" in reads and len(reads) == len(
        header_rows(header(vault), vault / ".ppsj")
    )
    monkeypatch.setattr(Runtime, "output_index", Runtime.index)  # the full index agrees
    assert run_cli(vault, "overdue", "--json").stdout == expected.stdout


def test_the_parser_fingerprint_follows_the_parsing_code(tmp_path: Path) -> None:
    src = Path(cache_mod.__file__).parent
    copy = tmp_path / "pkg"
    copy.mkdir()
    for name in cache_mod.PARSER_MODULES:
        shutil.copy(src / f"{name}.py", copy / f"{name}.py")
    before = source_fingerprint(copy, cache_mod.PARSER_MODULES)
    assert before == cache_mod.fingerprint("parser")  # the installed code's
    assert source_fingerprint(copy, cache_mod.PARSER_MODULES) == before  # stable
    with open(copy / "tasks.py", "a", encoding="utf-8") as fh:
        fh.write("\n# a fix to the task grammar\n")
    assert source_fingerprint(copy, cache_mod.PARSER_MODULES) != before


@pytest.mark.parametrize("kind", ["parser", "outputs"])
def test_a_cache_from_other_parsing_or_output_code(vault: Path, kind: str) -> None:
    notes = Notes(vault)
    seed(notes)
    assert run_cli(vault, "build").exit_code == 0
    cache_file = vault / ".ppsj" / CACHE_NAME
    doc = header(vault)
    assert doc[kind] == cache_mod.fingerprint(kind)
    doc[kind] = "older-code"
    # Poison a cached task (same length: the offsets hold): used only if the cache is trusted.
    rows = entries_file(vault).read_bytes()
    entries_file(vault).write_bytes(rows.replace(b"Flyer for the open house", b"POISONED" * 3))
    cache_file.write_bytes(json.dumps(doc).encode())
    notes.edit(_session_day("10-02"), "Done task 0", "Done task zero")  # something to build
    assert run_cli(vault, "build").exit_code == 0
    text = (vault / "Follow-ups.md").read_text(encoding="utf-8")
    if kind == "parser":  # every note parsed again
        assert "POISONED" not in text and "Flyer for the open house" in text
    else:  # entries kept, idle flags forgotten: every entry looked at again
        assert "POISONED" * 3 in text
        head = header(vault)
        assert head["outputs"] == cache_mod.fingerprint("outputs")
        assert any(row["idle"] for row in header_rows(head, vault / ".ppsj").values())


def _cache(vault: Path) -> cache_mod.NoteCache:
    return cache_mod.load_cache(Vault.open(vault), lazy=True)


def test_saving_after_a_change_appends_one_line(vault: Path) -> None:
    notes = Notes(vault)
    seed(notes)
    assert run_cli(vault, "build").exit_code == 0
    first = entries_file(vault)
    before = first.read_bytes()
    notes.edit(_session_day("10-02"), "Done task 0", "Done task zero")
    assert run_cli(vault, "build").exit_code == 0
    after = entries_file(vault)
    assert after == first  # the same file, grown by the changed note's line
    data = after.read_bytes()
    assert data.startswith(before)
    (line,) = data[len(before) :].splitlines()
    assert json.loads(line)[0] == _session_day("10-02")
    assert outputs_on_disk(vault) == full_build(vault, _dates("2026-11-27"))


def test_the_entries_file_is_rewritten_when_mostly_garbage(vault: Path, monkeypatch) -> None:
    monkeypatch.setattr(cache_mod, "COMPACT_SLACK", 0)
    notes = Notes(vault)
    seed(notes)
    assert run_cli(vault, "build").exit_code == 0
    names = set()
    for i in range(20):  # 40 lines appended: more than twice the ~15 lines needed
        notes.edit(_session_day("10-02"), f"Cancelled 0{'!' * i}", f"Cancelled 0{'!' * (i + 1)}")
        notes.edit(_session_day("10-09"), f"Cancelled 1{'!' * i}", f"Cancelled 1{'!' * (i + 1)}")
        assert run_cli(vault, "build").exit_code == 0
        names.add(entries_file(vault).name)
    assert len(names) > 1  # rewritten under a new name...
    assert [p.name for p in (vault / ".ppsj").glob("index-entries-*")] == [
        entries_file(vault).name
    ]  # ...and the old one removed
    cache = _cache(vault)
    cache.load_entries()
    assert set(cache.entries) == set(cache.stats)
    assert outputs_on_disk(vault) == full_build(vault, _dates("2026-11-27"))
    cache.close()


def test_two_processes_saving_one_cache(vault: Path, monkeypatch) -> None:
    """Each writes a valid cache whatever the other did: appended lines or a new file."""
    notes = Notes(vault)
    seed(notes)
    assert run_cli(vault, "build").exit_code == 0
    v = Vault.open(vault)
    a, b = _cache(vault), _cache(vault)
    notes.edit(_session_day("10-02"), "Done task 0", "Done task zero")
    notes.edit("Leads/Sam Lee.md", "stage: new", "stage: contacted")
    a.refresh(v)
    b.refresh(v)
    # a rewrites the entries file (and removes the old one) while b holds offsets into it
    monkeypatch.setattr(cache_mod, "COMPACT_SLACK", -(1 << 30))
    assert cache_mod.save_cache(v, a)
    monkeypatch.setattr(cache_mod, "COMPACT_SLACK", 1 << 20)
    assert cache_mod.save_cache(v, b)
    for cache in (a, b):
        cache.close()
    fresh = _cache(vault)
    fresh.load_entries()
    assert set(fresh.entries) == set(fresh.stats) == set(b.stats)
    assert fresh.entries["Leads/Sam Lee.md"].meta["stage"] == "contacted"
    index = load_index(v)
    assert index.leads["sam lee"].stage == "contacted"
    fresh.close()


def test_a_note_whose_text_alone_changed_leaves_the_outputs_up_to_date(vault: Path, monkeypatch):
    """Text that changes no property or task (the lines stay put) changes no entry."""
    from ppsjournal import build as build_mod

    notes = Notes(vault)
    seed(notes)
    assert run_cli(vault, "build").exit_code == 0
    rendered: list[int] = []
    real = build_mod.render_outputs

    def counting(*args, **kwargs):
        rendered.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(build_mod, "render_outputs", counting)
    notes.edit(_session_day("11-13"), "## Follow-ups", "## Follow-ups we agreed on")
    result = run_cli(vault, "build")
    assert result.exit_code == 0 and "up to date" in result.output
    assert rendered == []
    # The new stat is kept: the next build reads nothing again.
    cache = _cache(vault)
    assert cache.stats[_session_day("11-13")] == Vault.open(vault).stat(_session_day("11-13"))
    cache.close()
    # A change of the same size that changes a value is a change.
    notes.edit(_session_day("11-13"), "2026-11-30", "2026-11-29")
    result = run_cli(vault, "build")
    assert result.exit_code == 0 and "wrote Follow-ups.md" in result.output
    assert rendered == [1]
    assert outputs_on_disk(vault) == full_build(vault, _dates("2026-11-27"))


def test_follow_ups_is_rendered_only_when_what_it_reads_changed(vault: Path, monkeypatch) -> None:
    from ppsjournal import followups as followups_mod

    notes = Notes(vault)
    seed(notes)
    assert run_cli(vault, "build").exit_code == 0
    build = counted_builds(vault, monkeypatch, followups_mod, "render_followups")

    # An idle note's entry changes (lines moved, a done task edited): it stays idle.
    notes.edit(_session_day("10-02"), "## Follow-ups", "## Follow-ups\nA line above")
    assert build() == []
    notes.edit(_session_day("10-02"), "Done task 0", "Done task zero")
    assert build() == []
    # An open dated task: the note is read now.
    notes.edit(_session_day("10-02"), "- [-] Cancelled 0", "- [ ] Open again")
    assert build() == [1]
    notes.write("Inbox/Another.md", "Just a note.\n")  # a new path: links may change
    assert build() == [1]
    notes.edit("Leads/Sam Lee.md", "stage: new", "stage: contacted")  # an entry it reads
    assert build() == [1]
    assert build("2026-11-28") == [1]  # another day
    notes.edit(_session_day("10-09"), "Done task 1", "Done task one")
    with (vault / "Follow-ups.md").open("a", encoding="utf-8") as f:
        f.write("edited by hand\n")
    assert build("2026-11-28") == [1]  # rewritten, not trusted


def test_the_shared_names_are_kept_until_a_note_is_added_or_removed(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ppsjournal import followups

    notes = Notes(vault)
    seed(notes)
    counted = []
    real = followups.shared_names
    monkeypatch.setattr(followups, "shared_names", lambda paths: counted.append(1) or real(paths))

    def build() -> str:
        counted.clear()
        assert run_cli(vault, "build").exit_code == 0
        assert outputs_on_disk(vault) == full_build(vault, _dates("2026-11-27"))
        return (vault / "Follow-ups.md").read_text(encoding="utf-8")

    assert "[[Sam Lee]]" in build() and header(vault)["shared"] == []
    notes.write("Inbox/Sam Lee.md", "A plain note that shares the lead's name.\n")
    assert "[[Leads/Sam Lee]]" in build() and counted == [1]
    assert header(vault)["shared"] == ["Inbox/Sam Lee.md", "Leads/Sam Lee.md"]
    notes.edit(_session_day("11-13"), "buyer guide", "buyer's guide")  # nothing added
    assert "[[Leads/Sam Lee]]" in build() and counted == []  # the kept names
    notes.delete("Inbox/Sam Lee.md")
    text = build()
    assert "[[Sam Lee]]" in text and "[[Leads/Sam Lee]]" not in text and counted == [1]
    assert header(vault)["shared"] == []

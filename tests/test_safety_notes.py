"""The vault defends itself, note by note: one bad note is named in one line and
left out, the rest is built, and the exit status is 3 ("done, but the vault has
problems"). The notes here once stopped `build`, `week` or the watcher for
everyone (docs/vault.md, "Safety promises").
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from ppsjournal import templates
from ppsjournal.vault import Vault
from ppsjournal.watch import Batch, Watcher
from tests.conftest import DAY, ok, partner_note, run_cli

# Names ppsj would refuse to create (names.check_name), each a valid file name here.
BAD_NAMES = [
    "New\nLine",
    "Carriage\rReturn",
    "CON",
    "Hash#Tag",
    "Pipe|Name",
    "Bracket[Name",
    "Trailing Dot.",
    " Leading Space",
    "Back\\slash",
    "Right\u202eLeft",
]
# How a name is shown in a one-line message (no line break, no bidi override).
SHOWN = {
    "New\nLine": "New\\nLine",
    "Carriage\rReturn": "Carriage\\rReturn",
    "Right\u202eLeft": "Right\\u202eLeft",
}


def booked_copy(vault: Path, name: str, time: str = "15:20") -> Path:
    """A partner note named ``name``, booked as Debbie Harper is but at ``time``."""
    text = partner_note(vault, "Debbie Harper").read_text(encoding="utf-8")
    path = vault / "Partners" / f"{name}.md"
    path.write_text(text.replace('"14:40"', f'"{time}"'), encoding="utf-8")
    return path


@pytest.fixture
def debbie(vault: Path) -> Path:
    ok(run_cli(vault, "add", "Debbie Harper", "--at", "14:40"))
    return vault


def problem_lines(output: str, needle: str) -> list[str]:
    return [line for line in output.splitlines() if needle in line]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_a_partner_note_with_a_name_ppsj_refuses_is_named_and_left_out(
    debbie: Path, name: str
) -> None:
    booked_copy(debbie, name)
    shown = f"Partners/{SHOWN.get(name, name)}.md"

    built = run_cli(debbie, "build", today=DAY)
    assert built.exit_code == 3, built.output
    (line,) = problem_lines(built.output, shown)
    assert line.startswith(f"ppsj: {shown}: partner name ")
    assert "Traceback" not in built.output and "internal error" not in built.output
    # The rest is built; the refused name gets no calendar file, nor a place in the feed.
    assert sorted(os.listdir(debbie / "Calendar")) == ["Debbie Harper.ics", "PPS.ics"]
    feed = (debbie / "Calendar" / "PPS.ics").read_bytes()
    assert b"Debbie Harper" in feed and b"15:20" not in feed and b"T152000" not in feed
    assert (debbie / "Follow-ups.md").is_file()

    week = run_cli(debbie, "week", today=DAY)
    assert week.exit_code == 3, week.output
    (line,) = problem_lines(week.output, shown)
    assert line.startswith(f"ppsj: {shown}: partner name ")
    sessions = sorted(os.listdir(debbie / "Sessions" / "2026"))
    assert sessions == ["2026-12-04 Debbie Harper.md"], sessions


def test_a_task_indented_with_a_no_break_space_is_carried(debbie: Path) -> None:
    ok(run_cli(debbie, "add", "Marcus Bell", "--at", "13:00"))
    ok(run_cli(debbie, "week", today=DAY))
    old = debbie / "Sessions/2026/2026-12-04 Debbie Harper.md"
    with old.open("a", encoding="utf-8") as fh:
        fh.write("\u00a0- [ ] Call back about the open house 📅 2026-12-09\n")

    result = run_cli(debbie, "week", today="2026-12-11")
    assert "internal error" not in result.output and result.exit_code in (0, 3), result.output
    new = (debbie / "Sessions/2026/2026-12-11 Debbie Harper.md").read_text(encoding="utf-8")
    assert "\n- [ ] Call back about the open house 📅 2026-12-09\n" in new
    assert "\u00a0- [>] Call back" in old.read_text(encoding="utf-8")
    assert (debbie / "Sessions/2026/2026-12-11 Marcus Bell.md").is_file()  # everyone served


def stray_dates(lines: int) -> str:
    """A note of task lines each holding many stray date fields (one problem each)."""
    line = "- [ ] x " + "📅\ufe0f x " * 100
    return "---\ntype: note\n---\n" + (line + "\n") * lines


def test_a_note_of_stray_date_fields_keeps_follow_ups_bounded(
    debbie: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 40,000 problems, against a limit lowered to 1 MiB (the real note is 3.9 MB
    # against 32 MiB: the same overflow, ten times slower to test).
    monkeypatch.setitem(templates.OUTPUT_LIMITS, "follow-ups.md.j2", 1024 * 1024)
    (debbie / "Stray.md").write_text(stray_dates(400), encoding="utf-8")

    result = run_cli(debbie, "build", today=DAY)
    assert result.exit_code == 0, result.output
    assert "wrote Calendar/PPS.ics" in result.output
    assert sorted(os.listdir(debbie / "Calendar")) == ["Debbie Harper.ics", "PPS.ics"]
    text = (debbie / "Follow-ups.md").read_text(encoding="utf-8")
    assert len(text) < 100_000
    assert text.count("- [[Stray]] line ") == 200
    assert "And 39800 more: see `ppsj doctor`." in text


def test_a_conflict_marked_note_is_named_by_build(debbie: Path) -> None:
    note = partner_note(debbie, "Debbie Harper")
    with note.open("a", encoding="utf-8") as fh:
        fh.write("<<<<<<< HEAD\n- [ ] ours\n=======\n- [ ] theirs\n>>>>>>> origin/main\n")
    lines = note.read_text(encoding="utf-8").split("\n")
    at = lines.index("<<<<<<< HEAD") + 1

    for _ in range(2):  # and again, when the build finds nothing changed
        result = run_cli(debbie, "build", today=DAY)
        assert result.exit_code == 3, result.output
        (line,) = problem_lines(result.output, "conflict")
        assert line.startswith(f"ppsj: Partners/Debbie Harper.md:{at}: git conflict marker")
    assert (debbie / "Calendar" / "Debbie Harper.ics").is_file()


def test_the_time_zone_localtime_is_refused_naming_the_key(debbie: Path) -> None:
    config = debbie / "ppsj.toml"
    config.write_text(
        config.read_text().replace('"America/Chicago"', '"localtime"'), encoding="utf-8"
    )
    result = run_cli(debbie, "build", today=DAY)
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        "ppsj: ppsj.toml: owner.timezone: unknown time zone 'localtime': "
        "use an IANA name such as 'America/Chicago'"
    ]


def night_window(vault: Path) -> None:
    """Sessions on Sundays, 01:00-04:00: the hours US clocks change in."""
    config = vault / "ppsj.toml"
    text = config.read_text()
    text = text.replace('weekday = "friday"', 'weekday = "sunday"')
    text = text.replace('window = "13:00-16:00"', 'window = "01:00-04:00"')
    config.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("at", "start", "day", "why"),
    [
        # Clocks go from 02:00 to 03:00 on Sunday 2027-03-14 in Chicago.
        ("02:20", "2027-02-21", "2027-03-14", "does not exist"),
        # ... and from 02:00 back to 01:00 on Sunday 2026-11-01: 01:20 happens twice.
        ("01:20", "2026-10-18", "2026-11-01", "happens twice"),
    ],
)
def test_a_slot_in_the_night_of_a_clock_change_is_refused(
    vault: Path, at: str, start: str, day: str, why: str
) -> None:
    night_window(vault)
    result = run_cli(vault, "add", "Night Owl", "--at", at, "--start", start, today="2026-10-01")
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert day in line and why in line, line
    assert f"{int(at[:2])}:{at[3:]} AM on {day}" in line  # on the owner's clock
    assert not partner_note(vault, "Night Owl").exists()

    # Booked an hour earlier, the series cannot be moved into that hour either.
    ok(run_cli(vault, "add", "Night Owl", "--at", "03:20", "--start", start, today="2026-10-01"))
    moved = run_cli(vault, "move", "Night Owl", day, "--to", f"{day} {at}", today="2026-10-01")
    assert moved.exit_code == 1, moved.output
    (line,) = moved.output.strip().splitlines()
    assert day in line and why in line, line


def test_partners_named_pps_and_pps_partner_get_their_own_calendar_files(debbie: Path) -> None:
    booked_copy(debbie, "PPS", "13:00")
    booked_copy(debbie, "pps (Partner)", "13:20")
    booked_copy(debbie, "PPS (partner) (partner)", "13:40")
    ok(run_cli(debbie, "build", today=DAY))
    files = sorted(os.listdir(debbie / "Calendar"))
    assert files == [
        "Debbie Harper.ics",
        "PPS (partner) (partner) (partner).ics",
        "PPS (partner).ics",
        "PPS.ics",
        "pps (Partner) (partner).ics",
    ], files
    feed = (debbie / "Calendar" / "PPS.ics").read_bytes()
    assert feed.count(b"BEGIN:VEVENT") == 4  # the owner's feed: every series, its own file


def test_a_state_folder_replaced_by_a_file_is_named_and_nothing_written(debbie: Path) -> None:
    """ppsj's lock lives in .ppsj/; a file there (or a link) is never touched,
    and no lock is taken elsewhere (outside the vault): writes are refused in
    one line, commands that only read still work."""
    ok(run_cli(debbie, "build", today=DAY))
    shutil.rmtree(debbie / ".ppsj")
    (debbie / ".ppsj").write_text("not a folder", encoding="utf-8")
    (debbie / "Follow-ups.md").unlink()
    result = run_cli(debbie, "build", today=DAY)
    assert result.exit_code == 1, result.output
    (line,) = problem_lines(result.output, ".ppsj")
    assert line.startswith("ppsj: .ppsj: is a link or a file, not a folder of the vault")
    assert "Traceback" not in result.output
    assert not (debbie / "Follow-ups.md").exists()
    assert (debbie / ".ppsj").read_text(encoding="utf-8") == "not a folder"
    assert run_cli(debbie, "partners", today=DAY).exit_code == 0


# -- the watcher --------------------------------------------------------------------


class Log(list):
    def __call__(self, line: str) -> None:
        self.append(line)


def test_the_watcher_survives_every_bad_note_and_a_lost_state_folder(debbie: Path) -> None:
    log = Log()
    w = Watcher(Vault.open(debbie), lambda: dt.date(2026, 12, 4), day_fixed=True, log=log, warn=log)
    try:
        w.rebuild(Batch(full_scan=True), "start")
        assert any(" built: " in line for line in log), log
        bad: list[Path] = []

        seen: list[str] = []

        def rebuild(note: Path, needle: str) -> None:
            seen.extend(log)
            del log[:]
            (debbie / "Follow-ups.md").unlink(missing_ok=True)
            (debbie / "Calendar" / "Debbie Harper.ics").unlink()
            w.rebuild(Batch(notes={note.relative_to(debbie).as_posix()}), "change")
            assert (debbie / "Follow-ups.md").is_file(), log
            assert (debbie / "Calendar" / "Debbie Harper.ics").is_file(), log
            assert any(needle in line for line in log), (needle, log)
            assert not any("internal error" in line for line in log), log

        for i, name in enumerate(BAD_NAMES):
            note = booked_copy(debbie, name)
            bad.append(note)
            rebuild(note, f"Partners/{SHOWN.get(name, name)}.md: partner name ")
            if i == 3:  # the state folder becomes a file while the watcher runs
                shutil.rmtree(debbie / ".ppsj")
                (debbie / ".ppsj").write_text("not a folder", encoding="utf-8")
                del log[:]
                (debbie / "Follow-ups.md").unlink()  # something to write
                w.rebuild(Batch(full_scan=True), "change")  # refused in one line, goes on
                seen.extend(log)
                assert not any("internal error" in line for line in log), log
                (debbie / ".ppsj").unlink()  # the user removes it: ppsj makes it again
        stray = debbie / "Stray.md"
        stray.write_text(stray_dates(10), encoding="utf-8")
        rebuild(stray, "rebuilt: ")
        conflicted = debbie / "Conflicted.md"
        conflicted.write_text("<<<<<<< HEAD\na\n=======\nb\n>>>>>>> x\n", encoding="utf-8")
        rebuild(conflicted, "Conflicted.md:1: git conflict marker")
        assert [p for p in bad if not p.exists()] == []
        assert "ppsj: .ppsj: is a link or a file, not a folder" in "\n".join(seen), seen
    finally:
        w.builder.close()

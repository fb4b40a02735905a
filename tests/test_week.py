"""ppsj week: the week's notes, carrying forward, the agenda; run as a user would."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from ppsjournal.app import load_index
from ppsjournal.note import parse_note
from ppsjournal.vault import Vault
from tests.conftest import ok, partner_note, set_key

QUESTIONS = (
    "## 1. How are we doing together - your team, my team, and what we produce for your buyers?",
    "## 2. What can we do to produce more volume this week - for you and for me?",
    "## 3. What needs do you have, or expect in the next months or year, that my team and I "
    "should start solving for you?",
    "## 4. Who have you met in the last seven days who may not use you to buy or sell?",
    "## 5. Who are you showing property to in the next seven days that I have not had a "
    "pre-qualification conversation with?",
)

# Debbie's first session note (2026-12-04), as the LO left it after the call.
WEEK1 = (
    "---\n"
    "type: session\n"
    'partner: "[[Debbie Harper]]"\n'
    "date: 2026-12-04\n"
    'time: "14:40"\n'
    "week: 1\n"
    "weeks: 12\n"
    "status: held\n"
    "---\n"
    "# PPS with Debbie Harper\n"
    "\n"
    "She met the Lees at an open house.\n"
    "\n"
    "- [ ] Send the buyer guide to the Lees #commitment 📅 2026-12-08\n"
    "- [x] Pre-qual call with [[Sam Lee]] #lead 📅 2026-12-07 ✅ 2026-12-06\n"
    "- [-] Print flyers for the open house\n"
    "- [ ] Bilingual open-house flyer #need ⏳ 2027-01-10\n"
    "- [>] Something carried long ago\n"
    "- [/] Half-done market report #need\n"
    "\n"
    "```\n"
    "- [ ] not a task: in a code block\n"
    "```\n"
)
OPEN_LINES = (
    "- [ ] Send the buyer guide to the Lees #commitment 📅 2026-12-08",
    "- [ ] Bilingual open-house flyer #need ⏳ 2027-01-10",
    "- [/] Half-done market report #need",
)
WEEK1_PATH = "Sessions/2026/2026-12-04 Debbie Harper.md"
WEEK2_PATH = "Sessions/2026/2026-12-11 Debbie Harper.md"


def snapshot(root: Path) -> dict[str, str]:
    """Every file of the vault (not .ppsj/, the lock) and the hash of its bytes."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".ppsj" not in p.relative_to(root).parts
    }


def session_notes(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / "Sessions").rglob("*.md"))


def note(root: Path, rel: str):
    return parse_note(rel, (root / rel).read_text(encoding="utf-8"))


@pytest.fixture
def partners(vault: Path, ppsj: Callable[..., Result]) -> Path:
    """Three booked partners (series from Fri 2026-12-04), one prospect, one paused."""
    ok(ppsj("add", "Debbie Harper", "--at", "14:40", "--expect-referral", "2026-12-11"))
    ok(ppsj("add", "Joe Park", "--at", "13:00", "--company", "Park & Co"))
    ok(ppsj("add", "Ana Ruiz", "--at", "15:20"))
    ok(ppsj("add", "Pat Prospect"))
    ok(ppsj("add", "Paul Paused", "--at", "13:40"))
    ok(ppsj("pause", "Paul Paused"))
    return vault


@pytest.fixture
def week2(partners: Path) -> Path:
    """Debbie's week 1 note written up by hand, as the LO leaves it."""
    path = partners / WEEK1_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(WEEK1, encoding="utf-8")
    return partners


def test_a_friday_gets_a_note_for_each_active_partner(partners: Path, ppsj) -> None:
    result = ok(ppsj("week", "--date", "2026-12-04"))
    assert session_notes(partners) == [
        "Sessions/2026/2026-12-04 Ana Ruiz.md",
        "Sessions/2026/2026-12-04 Debbie Harper.md",
        "Sessions/2026/2026-12-04 Joe Park.md",
    ]  # no note for the prospect (no series) nor the paused partner
    n = note(partners, "Sessions/2026/2026-12-04 Debbie Harper.md")
    assert n.meta == {
        "type": "session",
        "partner": "[[Debbie Harper]]",
        "date": dt.date(2026, 12, 4),
        "time": "14:40",
        "week": 1,
        "weeks": 12,
        "status": "planned",
    }
    raw = (partners / "Sessions/2026/2026-12-04 Debbie Harper.md").read_text(encoding="utf-8")
    assert 'time: "14:40"\n' in raw  # quoted: Obsidian keeps `time` a text property
    for question in QUESTIONS:
        assert question + "\n" in n.body
    assert "First referral expected by 2026-12-11" in n.body
    # The agenda: time order, week n of N, the expected referral.
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("Fri ")]
    assert [r[2:5] for r in rows] == [
        ["1:00", "PM", "Joe"],
        ["2:40", "PM", "Debbie"],
        ["3:20", "PM", "Ana"],
    ]
    assert rows[1][6:10] == ["1", "of", "12", "0"] and rows[1][-1] == "2026-12-11"
    assert "wrote        Sessions/2026/2026-12-04 Joe Park.md" in result.stdout
    # A new note holds no open task: the example follow-up is no task.
    index = load_index(Vault.open(partners))
    assert [t for t in index.tasks if t.path.startswith("Sessions/")] == []


def test_second_run_changes_no_byte(week2: Path, ppsj) -> None:
    ok(ppsj("week", "--date", "2026-12-11", today="2026-12-11"))
    before = snapshot(week2)
    assert WEEK2_PATH in before
    result = ok(ppsj("week", "--date", "2026-12-11", today="2026-12-11"))
    assert snapshot(week2) == before
    assert f"exists       {WEEK2_PATH} (not touched)" in result.stdout
    assert "carried" not in result.stdout


def test_dry_run_writes_nothing_and_says_what_it_would(week2: Path, ppsj) -> None:
    before = snapshot(week2)
    result = ok(ppsj("week", "--date", "2026-12-11", "--dry-run", today="2026-12-11"))
    assert snapshot(week2) == before
    assert f"would write  {WEEK2_PATH}" in result.stdout
    assert f"carried 3 open follow-ups from {WEEK1_PATH} (would mark [>] there)" in result.stdout


def test_two_week_migration_leaves_one_open_copy(week2: Path, ppsj) -> None:
    def open_counts() -> dict[str, int]:
        data = json.loads(ok(ppsj("partners", "--json", today="2026-12-11")).stdout)
        return {p["name"]: p["open_followups"] for p in data["partners"]}

    assert open_counts()["Debbie Harper"] == 3
    result = ok(ppsj("week", "--date", "2026-12-11", today="2026-12-11"))
    assert f"carried 3 open follow-ups from {WEEK1_PATH} (marked [>] there)" in result.stdout

    # The old note: only the status characters of the open lines changed.
    expected = WEEK1
    for line in OPEN_LINES:
        expected = expected.replace(line, "- [>]" + line[5:])
    assert (week2 / WEEK1_PATH).read_text(encoding="utf-8") == expected

    # The new note: the open lines as written, and nothing else of the old note's tasks.
    new = note(week2, WEEK2_PATH)
    assert new.meta["previous"] == "[[2026-12-04 Debbie Harper]]"
    assert new.meta["week"] == 2
    carried = [line for line in new.body.splitlines() if line.startswith("- [")]
    assert carried == list(OPEN_LINES)
    assert open_counts()["Debbie Harper"] == 3  # moved, not copied twice

    index = load_index(Vault.open(week2))
    guide = [t for t in index.tasks if "buyer guide" in t.description]
    assert sorted((t.path, t.status) for t in guide) == [
        (WEEK1_PATH, "forwarded"),
        (WEEK2_PATH, "open"),
    ]
    assert guide[0].due == guide[1].due == dt.date(2026, 12, 8)
    # The overdue count of the agenda: 📅 2026-12-08 is before 2026-12-11.
    debbie = next(r for r in result.stdout.splitlines() if "Debbie Harper" in r and "Fri" in r)
    assert debbie.split()[6:12] == ["2", "of", "12", "3", "1", "2026-12-11"]

    # Week 3 carries from week 2 (the latest), not again from week 1.
    ok(ppsj("week", "--date", "2026-12-18", today="2026-12-18"))
    week3 = note(week2, "Sessions/2026/2026-12-18 Debbie Harper.md")
    assert week3.meta["previous"] == "[[2026-12-11 Debbie Harper]]"
    assert [ln for ln in week3.body.splitlines() if ln.startswith("- [")] == list(OPEN_LINES)
    assert (week2 / WEEK1_PATH).read_text(encoding="utf-8") == expected
    assert open_counts()["Debbie Harper"] == 3


def test_subtasks_quotes_crlf_and_bom(partners: Path, ppsj) -> None:
    old = (
        '\ufeff---\r\ntype: session\r\npartner: "[[Joe Park]]"\r\ndate: 2026-12-04\r\n---\r\n'
        "- [x] Done parent\r\n"
        "    - [ ] Orphan child\r\n"
        "- [ ] Open parent 📅 2026-12-20\r\n"
        "  - [ ] Open child\r\n"
        "  - [x] Done child\r\n"
        "> [!todo] In a callout\r\n"
        "> - [ ] Quoted task\r\n"
    ).encode("utf-8")
    path = partners / "Sessions/2026/2026-12-04 Joe Park.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(old)
    ok(ppsj("week", "--date", "2026-12-11", today="2026-12-11"))
    assert path.read_bytes() == (
        old.replace(b"    - [ ] Orphan", b"    - [>] Orphan")
        .replace(b"- [ ] Open parent", b"- [>] Open parent")
        .replace(b"  - [ ] Open child", b"  - [>] Open child")
        .replace(b"> - [ ] Quoted", b"> - [>] Quoted")
    )
    new = (partners / "Sessions/2026/2026-12-11 Joe Park.md").read_text(encoding="utf-8")
    # An orphan subtask stands on its own (four spaces after a heading would be code);
    # a child under its carried parent keeps its place.
    carried = (
        "\n- [ ] Orphan child\n"
        "- [ ] Open parent 📅 2026-12-20\n"
        "  - [ ] Open child\n"
        "> - [ ] Quoted task\n"
    )
    assert carried in new
    assert "\r" not in new


def test_skips_holidays_and_a_moved_session(partners: Path, ppsj, vault: Path) -> None:
    config = vault / "ppsj.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("holidays = []", "holidays = [2026-12-25]"),
        encoding="utf-8",
    )
    assert "2026-12-25" in config.read_text(encoding="utf-8")
    ok(ppsj("skip", "Debbie Harper", "2026-12-11"))
    ok(ppsj("move", "Joe Park", "2026-12-18", "--to", "2026-12-16 14:00"))

    # Fri 12-11 to Thu 12-17: Debbie skipped; Joe's 12-18 session, moved to Wednesday
    # the 16th, counts in this week, after his own Friday (its note once that is past).
    result = ok(ppsj("week", "--date", "2026-12-11", today="2026-12-11"))
    assert session_notes(vault) == [
        "Sessions/2026/2026-12-11 Ana Ruiz.md",
        "Sessions/2026/2026-12-11 Joe Park.md",
    ]
    assert "deferred     Joe Park 2026-12-16: written once the 2026-12-11" in result.stdout
    ok(ppsj("week", today="2026-12-14"))
    moved = note(vault, "Sessions/2026/2026-12-16 Joe Park.md")
    assert (moved.meta["date"], moved.meta["time"], moved.meta["week"]) == (
        dt.date(2026, 12, 16),
        "14:00",
        3,
    )
    assert moved.meta["previous"] == "[[2026-12-11 Joe Park]]"
    assert "moved from 2026-12-18" in moved.body
    days = [line[:14] for line in result.stdout.splitlines() if line[:3] in ("Fri", "Wed")]
    assert days == ["Fri 2026-12-11", "Fri 2026-12-11", "Wed 2026-12-16"]

    # Fri 12-18: Joe's session moved out of it; Debbie's week 3 (the skip keeps its number).
    ok(ppsj("week", "--date", "2026-12-18", today="2026-12-18"))
    assert "Sessions/2026/2026-12-18 Joe Park.md" not in session_notes(vault)
    assert note(vault, "Sessions/2026/2026-12-18 Debbie Harper.md").meta["week"] == 3
    assert "Sessions/2026/2026-12-18 Ana Ruiz.md" in session_notes(vault)

    # A week whose only Friday is a holiday: no sessions.
    result = ok(ppsj("week", "--date", "2026-12-19", today="2026-12-18"))
    assert "Sessions Sat 2026-12-19 to Fri 2026-12-25: none" in result.stdout
    assert not any("2026-12-25" in p for p in session_notes(vault))


def test_json_agenda(week2: Path, ppsj) -> None:
    result = ok(ppsj("week", "--date", "2026-12-11", "--json", today="2026-12-11"))
    data = json.loads(result.stdout)
    assert (data["from"], data["to"], data["dry_run"]) == ("2026-12-11", "2026-12-17", False)
    assert [(s["time"], s["partner"]) for s in data["sessions"]] == [
        ("13:00", "Joe Park"),
        ("14:40", "Debbie Harper"),
        ("15:20", "Ana Ruiz"),
    ]
    debbie = data["sessions"][1]
    assert debbie["note"] == WEEK2_PATH and debbie["action"] == "written"
    assert (debbie["week"], debbie["weeks"], debbie["open_followups"], debbie["overdue"]) == (
        2,
        12,
        3,
        1,
    )
    assert debbie["referral_expected"] == "2026-12-11"
    assert debbie["carried_from"] == WEEK1_PATH
    assert debbie["carried"] == list(OPEN_LINES)


def test_context_shows_partner_tasks_and_open_leads_without_copying(week2: Path, ppsj) -> None:
    partner = week2 / "Partners/Debbie Harper.md"
    partner.write_text(
        partner.read_text(encoding="utf-8") + "- [ ] Coffee with her team lead #need\n",
        encoding="utf-8",
    )
    ok(ppsj("lead", "Sam Lee", "--partner", "Debbie Harper", "--source", "lost-lead"))
    ok(ppsj("lead", "Kim Closed", "--partner", "Debbie Harper", "--source", "referral"))
    ok(ppsj("stage", "Kim Closed", "closed"))
    ok(ppsj("week", "--date", "2026-12-11", today="2026-12-11"))
    body = note(week2, WEEK2_PATH).body
    assert "- In [[Debbie Harper]]: Coffee with her team lead `#need`\n" in body
    assert "- Lead [[Sam Lee]]: lost-lead, stage `new`" in body
    assert "Lead [[Kim Closed]]" not in body  # closed: not an open lead
    # ...but the referral the partner promised arrived: said instead of "No referral date yet".
    assert "- Referral received 2026-11-27 ([[Kim Closed]]).\n" in body
    assert "No referral date yet" not in body
    index = load_index(Vault.open(week2))
    coffee = [t for t in index.tasks if "Coffee" in t.description]
    assert [t.path for t in coffee] == ["Partners/Debbie Harper.md"]  # shown, not copied


def test_an_existing_note_is_never_overwritten(week2: Path, ppsj) -> None:
    mine = week2 / WEEK2_PATH
    mine.write_text("my own notes, no front-matter\n- [ ] my task\n", encoding="utf-8")
    before = snapshot(week2)
    result = ok(ppsj("week", "--date", "2026-12-11", today="2026-12-11"))
    assert mine.read_text(encoding="utf-8") == "my own notes, no front-matter\n- [ ] my task\n"
    assert (week2 / WEEK1_PATH).read_text(encoding="utf-8") == WEEK1  # nothing carried
    assert f"exists       {WEEK2_PATH} (not touched)" in result.stdout
    changed = {k for k in snapshot(week2).keys() ^ before.keys()}
    assert changed == {
        "Sessions/2026/2026-12-11 Ana Ruiz.md",
        "Sessions/2026/2026-12-11 Joe Park.md",
    }


def test_old_note_changed_meanwhile_is_refused_and_nothing_written(
    week2: Path, ppsj, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ppsjournal import templates

    real = templates.render
    old = week2 / WEEK1_PATH

    def render_then_edit(*args, **kwargs):
        # The LO types in the old note (Obsidian saves) while ppsj renders.
        out = real(*args, **kwargs)
        with old.open("a", encoding="utf-8") as fh:
            fh.write("- [ ] typed just now\n")
        return out

    monkeypatch.setattr(templates, "render", render_then_edit)
    before = session_notes(week2)
    result = ppsj("week", "--date", "2026-12-11", today="2026-12-11")
    assert result.exit_code == 1
    assert result.stderr.strip().startswith(f"ppsj: {WEEK1_PATH}: the note changed on disk")
    assert "\n" not in result.stderr.strip()
    assert session_notes(week2) == before  # no new note for anyone
    text = old.read_text(encoding="utf-8")
    assert "[>]" not in text.replace("- [>] Something carried long ago", "")
    assert text.endswith("- [ ] typed just now\n")


def test_unreadable_previous_note_blocks_carrying(week2: Path, ppsj) -> None:
    (week2 / WEEK1_PATH).write_text("---\ntype: [session\n---\n- [ ] open\n", encoding="utf-8")
    result = ppsj("week", "--date", "2026-12-11", today="2026-12-11")
    assert result.exit_code == 1
    assert f"not written  {WEEK2_PATH}: {WEEK1_PATH} cannot be read" in result.stdout
    assert WEEK2_PATH not in session_notes(week2)
    assert "Sessions/2026/2026-12-11 Joe Park.md" in session_notes(week2)  # the others are


def test_week_help_has_an_example(ppsj) -> None:
    result = ok(ppsj("week", "--help"))
    assert "Example:" in result.stdout and "ppsj week --date" in result.stdout


def test_old_note_changed_in_the_last_instant_takes_back_the_new_note(
    week2: Path, ppsj, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Vault.create
    old = week2 / WEEK1_PATH

    def create_then_edit(self, rel, data):
        real(self, rel, data)
        if rel == WEEK2_PATH:  # after the checks, before the old lines are marked
            with old.open("a", encoding="utf-8") as fh:
                fh.write("- [ ] typed just now\n")

    monkeypatch.setattr(Vault, "create", create_then_edit)
    result = ppsj("week", "--date", "2026-12-11", today="2026-12-11")
    assert result.exit_code == 1
    assert "the note changed on disk" in result.stderr
    assert not (week2 / WEEK2_PATH).exists()  # no follow-up open in two notes
    assert old.read_text(encoding="utf-8") == WEEK1 + "- [ ] typed just now\n"


@pytest.mark.parametrize("odd", ["\u2028", "\x85", "\x0c", "\x1e"])
def test_a_task_line_holding_an_odd_line_break_is_carried_whole(
    partners: Path, ppsj, odd: str
) -> None:
    # Pasted from a web page: a character str.splitlines breaks at, editors and
    # the Tasks plugin do not. The task is one line, and every line after it
    # keeps the number the editor shows.
    task = f"- [ ] Call Sam{odd}about the flyer #need 📅 2026-12-08"
    old = (
        '---\ntype: session\npartner: "[[Joe Park]]"\ndate: 2026-12-04\nstatus: held\n---\n'
        f"{task}\n"
        "- [ ] Second 📅 2026-12-01\n"
    ).encode()
    path = partners / "Sessions/2026/2026-12-04 Joe Park.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(old)
    overdue = json.loads(ppsj("overdue", "--json", today="2026-12-04").output)
    assert [(t["line"], t["description"]) for t in overdue["overdue"]] == [(8, "Second")]
    ok(ppsj("week", "--date", "2026-12-11", today="2026-12-11"))
    assert path.read_bytes() == old.replace(b"- [ ]", b"- [>]")
    new = (partners / "Sessions/2026/2026-12-11 Joe Park.md").read_text(encoding="utf-8")
    assert f"\n{task}\n" in new  # the whole line, the text after the odd break too


def test_a_lead_sharing_its_name_with_another_note_is_linked_by_path(partners: Path, ppsj) -> None:
    leads = partners / "Leads"
    leads.mkdir(exist_ok=True)
    (leads / "Sam Lee.md").write_text(
        '---\ntype: lead\npartner: "[[Debbie Harper]]"\nsource: showing\nstage: new\n---\n',
        encoding="utf-8",
    )
    (partners / "Archive").mkdir()
    (partners / "Archive" / "sam lee.md").write_text("Someone else\n", encoding="utf-8")
    (leads / "Kim Park.md").write_text(
        '---\ntype: lead\npartner: "[[Debbie Harper]]"\nsource: referral\nstage: new\n---\n',
        encoding="utf-8",
    )
    ok(ppsj("week", today="2026-12-04"))
    text = (partners / "Sessions/2026/2026-12-04 Debbie Harper.md").read_text(encoding="utf-8")
    # as Follow-ups.md links them: the path where two notes share a name
    assert "- Lead [[Leads/Sam Lee]]: showing" in text
    assert "- Lead [[Kim Park]]: referral" in text


def test_week_and_doctor_with_two_sessions_of_one_partner_on_one_day(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("add", "Marcus Bell", "--at", "13:00"))
    # As a hand edit (or a merge) could leave it: the 12-11 session moved onto 12-18.
    set_key(partner_note(vault, "Debbie Harper"), "pps_moved", '["2026-12-11 -> 2026-12-18 15:40"]')
    doctor = ppsj("doctor")
    assert doctor.exit_code == 1
    assert "Partners/Debbie Harper.md: two sessions of Debbie Harper on 2026-12-18" in (
        doctor.output
    )
    result = ppsj("week", "--date", "2026-12-18", "--json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.output)
    actions = [(s["partner"], s["time"], s["action"]) for s in doc["sessions"]]
    assert actions == [
        ("Marcus Bell", "13:00", "written"),
        ("Debbie Harper", "14:40", "written"),
        ("Debbie Harper", "15:40", "blocked"),
    ]
    assert "two sessions on 2026-12-18" in doc["sessions"][2]["reason"]
    assert (vault / "Sessions/2026/2026-12-18 Debbie Harper.md").is_file()
    assert (vault / "Sessions/2026/2026-12-18 Marcus Bell.md").is_file()


def test_week_names_an_unreadable_note_and_exits_3_after_writing(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    (vault / "Leads").mkdir(exist_ok=True)
    (vault / "Leads" / "Broken.md").write_text("---\ntype: [lead\n---\n", encoding="utf-8")
    result = ppsj("week", "--date", "2026-12-04")
    assert result.exit_code == 3, result.output
    assert "ppsj: Leads/Broken.md:" in result.output
    assert (vault / "Sessions/2026/2026-12-04 Debbie Harper.md").is_file()


# -- a run stopped between writing the new note and marking the old one --------

# ppsj, killed (SIGKILL: no cleanup runs) right after it wrote the new session
# note, before it marked the carried lines [>] in the old one.
KILLED_BEFORE_MARKING = """
import os, signal
from ppsjournal.vault import Vault
Vault.replace = lambda self, *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
from ppsjournal.cli import main
main()
"""


def test_a_run_killed_before_marking_is_finished_by_the_next(week2: Path, ppsj) -> None:
    args = ["--vault", str(week2), "--today", "2026-12-11", "week", "--date", "2026-12-11"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_BEFORE_MARKING, *args], env=env, capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # The crash: the follow-ups are open in the new note and still in the old.
    old, new = week2 / WEEK1_PATH, week2 / WEEK2_PATH
    assert old.read_text(encoding="utf-8") == WEEK1
    written = new.read_bytes()
    carried = [ln for ln in note(week2, WEEK2_PATH).body.splitlines() if ln.startswith("- [")]
    assert carried == list(OPEN_LINES)

    # doctor names each follow-up open twice, where it should be [>].
    result = ppsj("doctor", today="2026-12-11")
    assert result.exit_code == 1
    for line in OPEN_LINES:
        number = WEEK1.splitlines().index(line) + 1
        assert (
            f"{WEEK1_PATH}:{number}: follow-up open twice: carried to {WEEK2_PATH}"
        ) in result.stdout, result.stdout

    # Running week again finishes the marking; the new note is not touched.
    result = ok(ppsj("week", "--date", "2026-12-11", today="2026-12-11"))
    assert f"exists       {WEEK2_PATH} (not touched)" in result.stdout
    assert f"  marked [>] 3 follow-ups carried from {WEEK1_PATH}" in result.stdout
    expected = WEEK1
    for line in OPEN_LINES:
        expected = expected.replace(line, "- [>]" + line[5:])
    assert old.read_text(encoding="utf-8") == expected
    assert new.read_bytes() == written
    assert "open twice" not in ppsj("doctor", today="2026-12-11").stdout
    # And once finished, a run changes nothing.
    before = snapshot(week2)
    result = ok(ppsj("week", "--date", "2026-12-11", today="2026-12-11"))
    assert "marked" not in result.stdout and snapshot(week2) == before


def test_only_exact_carried_copies_are_marked_when_finishing(week2: Path, ppsj) -> None:
    ok(ppsj("week", "--date", "2026-12-11", today="2026-12-11"))
    old = week2 / WEEK1_PATH
    # Lines typed in the old note since: one that is no copy, one that is.
    marked = old.read_text(encoding="utf-8")
    typed = marked + "- [ ] Call the Lees again\n- [ ] Send the buyer guide\n"
    old.write_text(typed, encoding="utf-8")
    new = week2 / WEEK2_PATH
    new.write_text(new.read_text(encoding="utf-8") + "- [ ] Send the buyer guide\n")
    result = ok(ppsj("week", "--date", "2026-12-11", today="2026-12-11"))
    assert "marked [>] 1 follow-up carried" in result.stdout
    assert old.read_text(encoding="utf-8") == typed.replace(
        "- [ ] Send the buyer guide\n", "- [>] Send the buyer guide\n"
    )


THURSDAY_PATH = "Sessions/2026/2026-12-17 Debbie Harper.md"
DEFERRED = (
    "deferred     Debbie Harper 2026-12-17: written once the 2026-12-11 session is past "
    "(run ppsj week from 2026-12-12 to 2026-12-17)"
)


@pytest.mark.parametrize("later", ["2026-12-12", "2026-12-17"])
def test_a_second_session_in_the_week_waits_for_the_first(week2: Path, ppsj, later: str) -> None:
    # Debbie's session of Fri 12-18 moved to Thu 12-17: two of hers from Fri 12-11.
    ok(ppsj("move", "Debbie Harper", "2026-12-18", "--to", "2026-12-17 14:40"))
    friday = ok(ppsj("week", today="2026-12-11"))
    assert DEFERRED in friday.stdout.splitlines()
    assert session_notes(week2) == [
        "Sessions/2026/2026-12-04 Debbie Harper.md",
        "Sessions/2026/2026-12-11 Ana Ruiz.md",
        "Sessions/2026/2026-12-11 Debbie Harper.md",
        "Sessions/2026/2026-12-11 Joe Park.md",
    ]
    assert [ln for ln in note(week2, WEEK2_PATH).body.splitlines() if ln.startswith("- [")] == (
        list(OPEN_LINES)
    )
    # Friday again, as a dry run and as JSON: still deferred, nothing changes.
    before = snapshot(week2)
    assert DEFERRED in ok(ppsj("week", today="2026-12-11")).stdout.splitlines()
    assert DEFERRED in ok(ppsj("week", "--dry-run", today="2026-12-11")).stdout.splitlines()
    doc = json.loads(ok(ppsj("week", "--json", today="2026-12-11")).stdout)
    thursday = [s for s in doc["sessions"] if s["date"] == "2026-12-17"]
    assert [(s["partner"], s["action"], s["waits_for"]) for s in thursday] == [
        ("Debbie Harper", "deferred", "2026-12-11")
    ]
    assert thursday[0]["reason"] == DEFERRED.split(": ", 1)[1]
    assert snapshot(week2) == before

    # The Friday call: the buyer guide sent, a new promise made.
    friday_note = week2 / WEEK2_PATH
    promise = "- [ ] Call the Lees about the inspection #commitment 📅 2026-12-16"
    text = friday_note.read_text(encoding="utf-8")
    text = text.replace(OPEN_LINES[0], "- [x]" + OPEN_LINES[0][5:] + " ✅ 2026-12-11")
    friday_note.write_text(text + promise + "\n", encoding="utf-8")

    result = ok(ppsj("week", today=later))
    assert f"wrote        {THURSDAY_PATH}" in result.stdout
    assert f"carried 3 open follow-ups from {WEEK2_PATH} (marked [>] there)" in result.stdout
    thursday_note = note(week2, THURSDAY_PATH)
    assert thursday_note.meta["previous"] == "[[2026-12-11 Debbie Harper]]"
    carried = [ln for ln in thursday_note.body.splitlines() if ln.startswith("- [")]
    assert carried == [*OPEN_LINES[1:], promise]
    assert "- [>]" + promise[5:] in friday_note.read_text(encoding="utf-8")
    assert "deferred" not in result.stdout

    before = snapshot(week2)
    again = ok(ppsj("week", today=later))
    assert snapshot(week2) == before
    assert f"exists       {THURSDAY_PATH} (not touched)" in again.stdout


def test_held_writes_a_deferred_note_carrying_from_the_session_before(week2: Path, ppsj) -> None:
    ok(ppsj("move", "Debbie Harper", "2026-12-18", "--to", "2026-12-17 14:40"))
    assert DEFERRED in ok(ppsj("week", today="2026-12-11")).stdout.splitlines()
    friday_note = week2 / WEEK2_PATH
    promise = "- [ ] Call the Lees about the inspection #commitment 📅 2026-12-16"
    friday_note.write_text(friday_note.read_text(encoding="utf-8") + promise + "\n", "utf-8")
    # No week run since: the Thursday call is recorded, and its note written, by held.
    result = ok(ppsj("held", "debbie", today="2026-12-17"))
    assert result.stdout.splitlines() == [
        f"wrote {THURSDAY_PATH}: status held",
        f"  carried 4 open follow-ups from {WEEK2_PATH} (marked [>] there)",
    ]
    thursday_note = note(week2, THURSDAY_PATH)
    assert thursday_note.meta["previous"] == "[[2026-12-11 Debbie Harper]]"
    carried = [ln for ln in thursday_note.body.splitlines() if ln.startswith("- [")]
    assert carried == [*OPEN_LINES, promise]
    assert "open twice" not in ok(ppsj("doctor", today="2026-12-17")).stdout


def test_held_for_a_past_session_before_a_later_note_carries_nothing(week2: Path, ppsj) -> None:
    # Fri 12-11 got no note; one of 12-18 was written by hand: the follow-ups of
    # 12-04 stay open there (the next week carries from the latest note).
    later = week2 / "Sessions/2026/2026-12-18 Debbie Harper.md"
    later.write_text(
        '---\ntype: session\npartner: "[[Debbie Harper]]"\ndate: 2026-12-18\n---\n', "utf-8"
    )
    week1 = (week2 / WEEK1_PATH).read_bytes()
    result = ok(ppsj("held", "debbie", "--date", "2026-12-11", today="2026-12-18"))
    assert result.stdout == f"wrote {WEEK2_PATH}: status held\n"
    assert (week2 / WEEK1_PATH).read_bytes() == week1
    assert not [ln for ln in note(week2, WEEK2_PATH).body.splitlines() if ln.startswith("- [")]

"""ppsj overdue: open tasks due before today, oldest first, with partner and note."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli, write_note

note = write_note


def fill(vault: Path) -> None:
    note(
        vault,
        "Partners/Debbie Harper.md",
        """\
        ---
        type: partner
        status: active
        ---
        - [ ] Bilingual flyer #need 📅 2026-11-20
        - [ ] Due today is not overdue 📅 2026-11-27
        """,
    )
    note(
        vault,
        "Sessions/2026/2026-11-13 Debbie Harper.md",
        """\
        ---
        type: session
        partner: "[[Debbie Harper]]"
        date: 2026-11-13
        status: held
        ---
        - [>] Carried forward, not counted twice 📅 2026-11-10
        - [ ] Send the buyer guide to the Lees #commitment 📅 2026-11-20
        - [x] Done 📅 2026-11-01 ✅ 2026-11-02
        - [-] Cancelled 📅 2026-11-01
        - [/] In progress counts 📅 2026-11-24
        """,
    )
    note(
        vault,
        "Leads/Sam Lee.md",
        """\
        ---
        type: lead
        partner: "[[Debbie Harper]]"
        source: showing
        ---
        - [ ] Pre-qual call with Sam #lead 📅 2026-11-12
        """,
    )
    note(vault, "Inbox.md", "- [ ] Not a partner's task [due:: 2026-11-25]\n")


def test_overdue_json_oldest_first_with_partner_and_note(vault: Path) -> None:
    fill(vault)
    result = run_cli(vault, "overdue", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["today"] == "2026-11-27"
    got = [(r["due"], r["path"], r["line"], r["partner"], r["note"]) for r in doc["overdue"]]
    assert got == [
        ("2026-11-12", "Leads/Sam Lee.md", 6, "Debbie Harper", "Sam Lee"),
        # Same due date: by path, then line.
        ("2026-11-20", "Partners/Debbie Harper.md", 5, "Debbie Harper", "Debbie Harper"),
        (
            "2026-11-20",
            "Sessions/2026/2026-11-13 Debbie Harper.md",
            8,
            "Debbie Harper",
            "2026-11-13 Debbie Harper",
        ),
        (
            "2026-11-24",
            "Sessions/2026/2026-11-13 Debbie Harper.md",
            11,
            "Debbie Harper",
            "2026-11-13 Debbie Harper",
        ),
        ("2026-11-25", "Inbox.md", 1, None, "Inbox"),
    ]
    assert doc["count"] == 5
    first = doc["overdue"][0]
    assert first["days_overdue"] == 15
    assert first["description"] == "Pre-qual call with Sam #lead"
    assert first["tags"] == ["#lead"]
    assert first["text"] == "- [ ] Pre-qual call with Sam #lead 📅 2026-11-12"


def test_overdue_text_names_partner_note_path_and_line(vault: Path) -> None:
    fill(vault)
    result = run_cli(vault, "overdue")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "2026-11-12  15 days late  Debbie Harper"
    assert lines[1] == "  Pre-qual call with Sam #lead"
    assert lines[2] == "  [[Sam Lee]]  Leads/Sam Lee.md:6"
    assert "  [[Inbox]]  Inbox.md:1" in lines
    assert "(no partner)" in result.stdout
    assert lines[-1] == "5 overdue follow-ups as of 2026-11-27"
    assert "Carried forward" not in result.stdout and "Due today" not in result.stdout


def test_overdue_moves_with_today(vault: Path) -> None:
    fill(vault)
    doc = json.loads(run_cli(vault, "overdue", "--json", today="2026-11-13").stdout)
    assert [r["due"] for r in doc["overdue"]] == ["2026-11-12"]
    assert doc["overdue"][0]["days_overdue"] == 1
    assert "1 day late" in run_cli(vault, "overdue", today="2026-11-13").stdout


def test_nothing_overdue_exits_0(vault: Path) -> None:
    result = run_cli(vault, "overdue")
    assert result.exit_code == 0
    assert result.stdout == "nothing overdue (as of 2026-11-27)\n"
    assert json.loads(run_cli(vault, "overdue", "--json").stdout)["overdue"] == []


def test_a_shared_note_name_is_linked_by_path(vault: Path) -> None:
    note(vault, "Partners/Sam Lee.md", "---\ntype: partner\n---\n")
    note(
        vault,
        "Leads/Sam Lee.md",
        '---\ntype: lead\npartner: "[[Sam Lee]]"\nsource: referral\n---\n'
        "- [ ] Call 📅 2026-11-01\n",
    )
    doc = json.loads(run_cli(vault, "overdue", "--json").stdout)
    assert doc["overdue"][0]["note"] == "Leads/Sam Lee"


def test_bad_dates_are_named_on_stderr_and_the_rest_still_works(vault: Path) -> None:
    fill(vault)
    note(vault, "Partners/Broken.md", "---\ntype: partner\n---\n- [ ] Oops 📅 2026-11-31\n")
    note(vault, "Partners/Unreadable.md", "---\ntype: [partner\n---\n")
    result = run_cli(vault, "overdue", "--json")
    # The list is complete but for the note that cannot be read: exit 3 says so.
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["count"] == 5
    assert [p.split(":")[0] for p in doc["problems"]] == ["Partners/Unreadable.md"]
    assert "Partners/Broken.md:4: 📅 2026-11-31 is not a real date; ignored" in result.stderr
    assert "Partners/Unreadable.md" in result.stderr
    # A bad task date alone is reported and ignored: exit 0.
    (vault / "Partners/Unreadable.md").unlink()
    assert run_cli(vault, "overdue").exit_code == 0


def test_overdue_help_has_an_example(vault: Path) -> None:
    result = run_cli(vault, "overdue", "--help")
    assert result.exit_code == 0 and "Example:" in result.output

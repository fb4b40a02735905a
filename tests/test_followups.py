"""Follow-ups.md as `ppsj build` writes it: every section, stable bytes, no needless rewrite."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import ok, partner_note, run_cli, write_note

TITLES = [
    "Overdue follow-ups",
    "Due in the next 7 days",
    "Commitments: referral expected, none received",
    "Sessions not written up",
    "Series ending within 14 days: renew?",
    "Leads still new after 2 days",
    "Showings with no pre-qualification",
]


note = write_note


def partner(vault: Path, name: str, **keys: str) -> None:
    lines = "".join(f"{k}: {v}\n" for k, v in keys.items())
    note(vault, f"Partners/{name}.md", f"---\ntype: partner\n{lines}---\n# {name}\n")


def lead(vault: Path, name: str, partner_name: str, body: str = "", **keys: str) -> None:
    lines = "".join(f"{k}: {v}\n" for k, v in keys.items())
    note(
        vault,
        f"Leads/{name}.md",
        f'---\ntype: lead\npartner: "[[{partner_name}]]"\n{lines}---\n{body}',
    )


def session(vault: Path, day: str, name: str, status: str, body: str = "") -> None:
    note(
        vault,
        f"Sessions/{day[:4]}/{day} {name}.md",
        f'---\ntype: session\npartner: "[[{name}]]"\ndate: {day}\ntime: "14:40"\n'
        f"status: {status}\n---\n{body}",
    )


def sections(text: str) -> dict[str, list[str]]:
    """Follow-ups.md's sections: title -> its item lines ('- ...'), or ['Nothing.']."""
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = line[3:]
            found[current] = []
        elif current and (line.startswith("- ") or line == "Nothing."):
            found[current].append(line)
    return found


@pytest.fixture
def friday(vault: Path) -> Path:
    """A vault with something for every section on Friday 2026-11-27, and near misses."""
    # Commitments
    partner(
        vault,
        "Debbie Harper",
        status="active",
        committed="2026-11-06",
        referral_expected="2026-11-20",
        pps_time='"14:40"',
        pps_start="2026-09-18",  # 12 weeks: last session 2026-12-04
    )
    partner(
        vault,
        "Carl Ortiz",
        status="active",
        committed="2026-11-01",
        referral_expected="2026-11-15",
        pps_time='"13:00"',
        pps_start="2026-11-06",  # ends 2027-01-22: not yet
    )
    lead(vault, "Rita Ref", "Carl Ortiz", source="referral", stage="application",
         created="2026-11-10")  # fmt: skip
    partner(vault, "Eve Old", status="ended", committed="2026-06-01",
            referral_expected="2026-07-01")  # fmt: skip
    partner(vault, "Fay Future", status="prospect", committed="2026-11-20",
            referral_expected="2026-12-11")  # fmt: skip
    partner(vault, "Gil Before", status="prospect", committed="2026-11-20",
            referral_expected="2026-11-25")  # fmt: skip
    # A referral from before Gil committed does not keep the promise.
    lead(vault, "Old Ref", "Gil Before", source="referral", stage="closed", created="2026-11-10")
    # Renewals
    partner(vault, "Hal Done", status="active", pps_time='"15:00"', pps_start="2026-08-28")
    # 12 weeks from 2026-10-02 end 2026-12-18, but that last week is skipped.
    partner(vault, "Ivy Skip", status="active", pps_time='"15:20"', pps_start="2026-10-02",
            pps_skip="[2026-12-18]")  # fmt: skip
    partner(vault, "Jo Paused", status="paused", pps_time='"15:40"', pps_start="2026-09-18")
    # Sessions
    session(vault, "2026-11-20", "Debbie Harper", "planned")
    session(vault, "2026-11-20", "Carl Ortiz", "held")
    session(vault, "2026-11-27", "Debbie Harper", "planned")  # today: not passed yet
    # Tasks
    session(
        vault,
        "2026-11-13",
        "Debbie Harper",
        "held",
        "- [>] Carried forward 📅 2026-11-18\n"
        "- [ ] Send the buyer guide to the Lees #commitment 📅 2026-11-18 ^guide\n"
        "- [x] Done already 📅 2026-11-18\n",
    )
    note(
        vault,
        "Partners/Carl Ortiz.md",
        "---\ntype: partner\nstatus: active\ncommitted: 2026-11-01\n"
        'referral_expected: 2026-11-15\npps_time: "13:00"\npps_start: 2026-11-06\n---\n'
        "- [ ] Open-house flyer #need 📅 2026-11-27\n"
        "- [ ] Co-branded postcard 📅 2026-12-03\n"
        "- [ ] A week out is not this week 📅 2026-12-04\n",
    )
    # Leads
    lead(vault, "Sam Lee", "Debbie Harper", source="lost-lead", stage="new", created="2026-11-25")
    lead(vault, "Tom New", "Debbie Harper", source="lost-lead", stage="new", created="2026-11-26")
    lead(vault, "Ana Ruiz", "Carl Ortiz", source="showing", stage="contacted",
         created="2026-11-01", showing="2026-12-03")  # fmt: skip
    lead(vault, "Ben Far", "Carl Ortiz", source="showing", stage="new", created="2026-11-27",
         showing="2026-12-04")  # fmt: skip
    lead(vault, "Cy Past", "Carl Ortiz", source="showing", stage="new", created="2026-11-19",
         showing="2026-11-20")  # fmt: skip
    lead(vault, "Dee Ready", "Carl Ortiz", source="showing", stage="prequalified",
         created="2026-11-19", showing="2026-11-30")  # fmt: skip
    return vault


def build(vault: Path, *args: str, today: str = "2026-11-27", status: int = 0) -> str:
    result = run_cli(vault, "build", *args, today=today)
    assert result.exit_code == status, result.output
    return (vault / "Follow-ups.md").read_text(encoding="utf-8")


def test_every_section(friday: Path) -> None:
    s = sections(build(friday))
    assert list(s) == TITLES
    assert s["Overdue follow-ups"] == [
        "- **Wed 2026-11-18** (9 days late) "
        "[[2026-11-13 Debbie Harper#^guide|2026-11-13 Debbie Harper]] · [[Debbie Harper]]: "
        "Send the buyer guide to the Lees `#commitment`",
    ]
    assert s["Due in the next 7 days"] == [
        "- **Fri 2026-11-27** (today) [[Carl Ortiz]]: Open-house flyer `#need`",
        "- **Thu 2026-12-03** (in 6 days) [[Carl Ortiz]]: Co-branded postcard",
    ]
    commitments = s["Commitments: referral expected, none received"]
    assert [line.split(")", 1)[1].split(":", 1)[0].strip() for line in commitments] == [
        "[[Debbie Harper]]",
        "[[Gil Before]]",
    ]
    assert commitments[0].startswith("- **Fri 2026-11-20** (7 days ago)")
    assert "committed 2026-11-06" in commitments[0]
    assert s["Sessions not written up"] == [
        "- **Fri 2026-11-20** (7 days ago) [[2026-11-20 Debbie Harper]] · [[Debbie Harper]]: "
        "still `planned`: write it up and set its status (held, missed, cancelled)",
    ]
    renew = s["Series ending within 14 days: renew?"]
    assert [line.split(")", 1)[0] for line in renew] == [
        "- **Fri 2026-11-13** (14 days ago",
        "- **Fri 2026-12-04** (in 7 days",
        "- **Fri 2026-12-11** (in 14 days",
    ]
    assert "[[Hal Done]]" in renew[0] and "the series is over" in renew[0]
    assert "[[Debbie Harper]]" in renew[1] and "week 12 of 12" in renew[1]
    assert "[[Ivy Skip]]" in renew[2] and "week 11 of 12" in renew[2]
    assert 'ppsj renew "Ivy Skip"' in renew[2]
    assert s["Leads still new after 2 days"] == [
        "- **Thu 2026-11-19** (8 days old) [[Cy Past]] · [[Carl Ortiz]]: "
        "buyer at a showing, still `new`: make the first call",
        "- **Wed 2026-11-25** (2 days old) [[Sam Lee]] · [[Debbie Harper]]: "
        "lost lead, still `new`: make the first call",
    ]
    assert s["Showings with no pre-qualification"] == [
        "- **Fri 2026-11-20** (7 days ago) [[Cy Past]] · [[Carl Ortiz]]: "
        "the showing passed at stage `new`: pre-qualify, or move the stage on",
        "- **Thu 2026-12-03** (in 6 days) [[Ana Ruiz]] · [[Carl Ortiz]]: "
        "showing, stage `contacted`: pre-qualify before it",
    ]


def test_header_says_generated_and_when_items_leave(friday: Path) -> None:
    text = build(friday)
    head = text.split("\n## ", 1)[0]
    assert head.startswith("# Follow-ups\n")
    assert "Generated by `ppsj build`" in head and "as of Friday 2026-11-27" in head
    assert "Do not edit this file" in head
    assert (
        "1 overdue · 2 due this week · 2 commitments passed · 1 session to write up · "
        "3 series to renew · 2 new leads waiting · 2 showings to pre-qualify" in head
    )
    # Each non-empty section says when an item leaves it.
    for title in TITLES:
        block = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
        assert "Leaves" in block or "leaves" in block or title.startswith("Due"), title
    # No task lines: the Tasks plugin must not count this file's copies twice.
    assert "- [ ]" not in text and "- [x]" not in text
    # Tags are shown as code, so Obsidian does not count them as uses either.
    assert " #need" not in text and "`#need`" in text


def test_an_empty_vault_says_so(vault: Path) -> None:
    text = build(vault)
    assert "Nothing to follow up." in text
    assert sections(text) == {title: ["Nothing."] for title in TITLES}


def test_items_leave_when_the_notes_change(friday: Path) -> None:
    build(friday)
    # Check the overdue task off, write up the session, record a referral, move leads on.
    path = friday / "Sessions/2026/2026-11-13 Debbie Harper.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- [ ] Send the buyer", "- [x] Send the buyer"), "utf-8")
    path = friday / "Sessions/2026/2026-11-20 Debbie Harper.md"
    path.write_text(path.read_text("utf-8").replace("status: planned", "status: held"), "utf-8")
    assert run_cli(friday, "lead", "Rex Ref", "--partner", "debbie harper",
                   "--source", "referral").exit_code == 0  # fmt: skip
    assert run_cli(friday, "stage", "Sam Lee", "contacted").exit_code == 0
    assert run_cli(friday, "stage", "Cy Past", "prequalified").exit_code == 0
    s = sections(build(friday))
    assert s["Overdue follow-ups"] == ["Nothing."]
    assert s["Sessions not written up"] == ["Nothing."]
    commitments = "\n".join(s["Commitments: referral expected, none received"])
    assert "[[Debbie Harper]]" not in commitments and "[[Gil Before]]" in commitments
    leads = "\n".join(s["Leads still new after 2 days"])
    assert "Sam Lee" not in leads and "Cy Past" not in leads
    showings = "\n".join(s["Showings with no pre-qualification"])
    assert "Cy Past" not in showings and "Ana Ruiz" in showings
    # Rex's first call is due tomorrow: it shows in this week's list.
    assert any("[[Rex Ref]]" in line for line in s["Due in the next 7 days"])


def test_same_vault_elsewhere_gives_the_same_bytes(friday: Path, tmp_path: Path) -> None:
    first = build(friday).encode("utf-8")
    other = tmp_path / "elsewhere" / "copy of vault"
    shutil.copytree(friday, other)
    (other / "Follow-ups.md").unlink()
    # Other mtimes, and a walk that meets the files in another order on disk.
    for i, path in enumerate(sorted(other.rglob("*.md"), reverse=True)):
        os.utime(path, (1_000_000_000 + i * 7919, 1_000_000_000 + i * 7919))
    second = build(other).encode("utf-8")
    assert first == second
    assert str(tmp_path) not in first.decode() and "copy of vault" not in second.decode()


def test_unchanged_output_is_not_rewritten(friday: Path) -> None:
    build(friday)
    out = friday / "Follow-ups.md"
    os.utime(out, (1_000_000_000, 1_000_000_000))
    before = out.stat().st_mtime_ns
    result = run_cli(friday, "build")
    assert result.exit_code == 0
    assert "Follow-ups.md" not in result.stdout and "up to date" in result.stdout
    assert out.stat().st_mtime_ns == before
    # A new day changes "N days late": then it is rewritten.
    result = run_cli(friday, "build", today="2026-11-28")
    assert "wrote Follow-ups.md" in result.stdout
    assert out.stat().st_mtime_ns != before


def test_check_says_stale_and_writes_nothing(friday: Path) -> None:
    build(friday)
    ok = run_cli(friday, "build", "--check")
    assert ok.exit_code == 0 and "up to date" in ok.stdout
    out = friday / "Follow-ups.md"
    before = out.read_bytes()
    path = friday / "Partners/Carl Ortiz.md"
    path.write_text(path.read_text("utf-8").replace("- [ ] Open-house", "- [-] Open-house"))
    stale = run_cli(friday, "build", "--check")
    assert stale.exit_code == 1
    assert "stale Follow-ups.md" in stale.stdout
    assert out.read_bytes() == before
    after = build(friday)
    assert "Open-house flyer" not in after
    assert run_cli(friday, "build", "--check").exit_code == 0


def test_a_vault_template_wins(friday: Path) -> None:
    note(
        friday,
        "Templates/follow-ups.md.j2",
        "# Mine {{ today }}, by ppsj build\n"
        "{% for s in sections %}{{ s.key }}={{ s.count }}\n{% endfor %}",
    )
    text = build(friday)
    assert text == (
        "# Mine 2026-11-27, by ppsj build\n"
        "overdue=1\ndue=2\ncommitments=2\nsessions=1\nrenew=3\nleads=2\nshowings=2\n"
    )


def test_a_broken_vault_template_is_refused_and_nothing_written(friday: Path) -> None:
    build(friday)
    before = (friday / "Follow-ups.md").read_bytes()
    note(friday, "Templates/follow-ups.md.j2", "line one\n{% for x in %}\n")
    result = run_cli(friday, "build", today="2026-11-28")
    assert result.exit_code == 1
    assert "Templates/follow-ups.md.j2:2" in result.stderr
    assert (friday / "Follow-ups.md").read_bytes() == before
    note(friday, "Templates/follow-ups.md.j2", "{{ ''.__class__.__mro__ }}\n")
    result = run_cli(friday, "build", today="2026-11-28")
    assert result.exit_code == 1 and "Templates/follow-ups.md.j2" in result.stderr
    assert (friday / "Follow-ups.md").read_bytes() == before


def test_unreadable_notes_and_bad_dates_are_listed(friday: Path) -> None:
    note(friday, "Leads/Broken.md", "---\ntype: lead\npartner: [[x\n---\n")
    note(friday, "Inbox.md", "# Inbox\n\n- [ ] Typo 📅 2026-11-31\n")
    text = build(friday, status=3)  # an unreadable note: built, exit 3
    problems = sections(text)["Problems in the notes"]
    assert problems[0].startswith("- [[Inbox]] line 3: 📅 2026-11-31 is not a real date")
    # YAML notices the unclosed link on the line after it.
    assert problems[1].startswith("- [[Broken]] line 4: front-matter is not valid YAML")


def test_control_characters_from_notes_reach_follow_ups_as_replacement_characters(vault, ppsj):
    import re

    write_note(
        vault,
        "Partners/Debbie Harper.md",
        "---\ntype: partner\nstatus: active\n---\n"
        "- [ ] Call \x1b[31mthe Lees\x1b[0m, C1 \x9b and DEL \x7f here\u2028too 📅 2026-11-20\n",
    )
    # YAML's escapes put an OSC sequence and a newline into the lead's partner name.
    write_note(
        vault,
        "Leads/Sam Lee.md",
        '---\ntype: lead\npartner: "[[Deb\\e]2;pwned\\aby\\nName]]"\nsource: referral\n'
        "stage: new\ncreated: 2026-11-01\n---\n",
    )
    assert ppsj("build").exit_code == 0
    text = (vault / "Follow-ups.md").read_text(encoding="utf-8")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", text)
    [task] = [line for line in text.splitlines() if "Call" in line]
    # (U+2028 is whitespace: a description's runs of it are one space)
    assert task.endswith(": Call \ufffd[31mthe Lees\ufffd[0m, C1 \ufffd and DEL \ufffd here too")
    [lead] = [line for line in text.splitlines() if "[[Sam Lee]]" in line]
    assert "[[Deb\ufffd]2;pwned\ufffdby\ufffdName]]" in lead
    assert lead.endswith("make the first call")
    # The same vault, the same bytes.
    assert ppsj("build", "--check").exit_code == 0


def test_a_large_follow_ups_list_is_built_not_refused(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    note = partner_note(vault, "Debbie Harper")
    tasks = "".join(
        f"- [ ] Call back buyer number {i} about the listing on Main Street #lead 📅 2026-11-01\n"
        for i in range(10000)
    )
    note.write_text(note.read_text(encoding="utf-8") + tasks, encoding="utf-8")
    result = ok(ppsj("build"))
    assert "wrote Follow-ups.md" in result.output
    followups = (vault / "Follow-ups.md").read_text(encoding="utf-8")
    # The most recent 200 are listed, the rest counted (docs/followups.md)
    assert followups.count("Call back buyer number") == 200
    assert "10000 overdue" in followups
    assert "And 9800 older, not listed here: `ppsj overdue` lists every one." in followups
    assert (vault / "Calendar" / "PPS.ics").is_file()
    listed = json.loads(ok(ppsj("overdue", "--json")).output)
    assert listed["count"] == 10000

"""ppsj doctor: one line per finding, with the file (and line); exit 1 when anything is found."""

from __future__ import annotations

from pathlib import Path

import pytest

from ppsjournal.doctor import property_findings
from ppsjournal.errors import PpsjError
from ppsjournal.index import Entry
from ppsjournal.model import lead_from_note, partner_from_note, session_from_note
from ppsjournal.note import Note
from ppsjournal.properties import KINDS
from tests.conftest import DAY, HOSTILE_NOTES, ok, partner_note, run_cli, set_key, write_note

note = write_note


def clean(vault: Path) -> None:
    """A small vault ppsj has nothing to say about."""
    note(
        vault,
        "Partners/Debbie Harper.md",
        """\
        ---
        type: partner
        email: debbie@sunrise.example
        phone: "+1 555 0100"
        status: active
        committed: 2026-11-27
        referral_expected: 2026-12-11
        pps_time: "14:40"
        pps_start: 2026-12-04
        pps_weeks: 12
        pps_skip: [2026-12-25]
        pps_moved: ["2027-01-01 -> 2026-12-31 14:40"]
        pps_sequence: 0
        tags: [partner]
        ---
        - [ ] Flyer #need 📅 2026-12-08
        """,
    )
    note(
        vault,
        "Partners/Carl Ortiz.md",
        '---\ntype: partner\nstatus: active\npps_time: "14:00"\npps_start: 2026-12-04\n---\n',
    )
    note(
        vault,
        "Sessions/2026/2026-12-04 Debbie Harper.md",
        '---\ntype: session\npartner: "[[Debbie Harper]]"\ndate: 2026-12-04\ntime: "14:40"\n'
        "week: 1\nweeks: 12\nstatus: planned\n---\n```\n- [ ] code 📅 2026-99-99\n```\n",
    )
    note(
        vault,
        "Leads/Sam Lee.md",
        '---\ntype: lead\npartner: "[[Debbie Harper]]"\nsource: showing\nstage: new\n'
        "created: 2026-11-27\nshowing: 2026-12-05\nvalue: 350000\n---\n",
    )
    note(vault, "Daily/2026-11-27.md", "Just a note. ✅ Called Debbie.\n")


def doctor(vault: Path) -> tuple[int, list[str]]:
    result = run_cli(vault, "doctor")
    return result.exit_code, result.stdout.splitlines()


def test_a_clean_vault_exits_0(vault: Path) -> None:
    clean(vault)
    code, lines = doctor(vault)
    assert (code, lines) == (0, ["vault is clean: 5 notes checked"])


def test_an_empty_new_vault_is_clean(vault: Path) -> None:
    assert doctor(vault) == (0, ["vault is clean: 0 notes checked"])


@pytest.mark.parametrize(
    ("rel", "text", "finding"),
    [
        # unreadable front-matter
        (
            "Partners/Bad Yaml.md",
            "---\ntype: partner\nstatus: [active\n---\n",
            "Partners/Bad Yaml.md:4: front-matter is not valid YAML",
        ),
        (
            "Partners/Unclosed.md",
            "---\ntype: partner\n",
            "Partners/Unclosed.md:1: front-matter is not closed by a '---' line",
        ),
        # missing and mistyped required keys
        (
            "Sessions/2026/2026-12-04 X.md",
            "---\ntype: session\ndate: 2026-12-04\n---\n",
            "Sessions/2026/2026-12-04 X.md: missing property 'partner'",
        ),
        (
            "Sessions/2026/2026-12-11 Debbie Harper.md",
            '---\ntype: session\npartner: "[[Debbie Harper]]"\ndate: next friday\n---\n',
            "Sessions/2026/2026-12-11 Debbie Harper.md: property 'date' must be a date",
        ),
        (
            "Leads/Kim.md",
            '---\ntype: lead\npartner: "[[Debbie Harper]]"\nsource: cold-call\n---\n',
            "Leads/Kim.md: property 'source' must be one of lost-lead, showing, referral, "
            "got 'cold-call'",
        ),
        (
            "Leads/Kim.md",
            '---\ntype: lead\npartner: "[[Debbie Harper]]"\nsource: referral\nvalue: lots\n---\n',
            "Leads/Kim.md: property 'value' must be an amount of dollars (e.g. 420000, "
            "$420,000, 420k, 1.2m, $250.50), got 'lots'",
        ),
        (
            "Partners/Unquoted.md",
            "---\ntype: partner\npps_time: 14:40\npps_start: 2026-12-04\n---\n",
            "Partners/Unquoted.md: property 'pps_time' must be a time as HH:MM in quotes, "
            'like "14:40"',
        ),
        (
            "Partners/Half.md",
            "---\ntype: partner\npps_start: 2026-12-04\n---\n",
            "Partners/Half.md: a series needs both 'pps_time' and 'pps_start'",
        ),
        (
            "Partners/Status.md",
            "---\ntype: partner\nstatus: retired\n---\n",
            "Partners/Status.md: property 'status' must be one of prospect, active, paused, ended",
        ),
        # git conflict markers
        (
            "Partners/Merged.md",
            "---\ntype: partner\n---\n<<<<<<< HEAD\n- [ ] mine\n=======\n- [ ] theirs\n>>>>>>> x\n",
            "Partners/Merged.md:4: git conflict marker",
        ),
        # links to partners that do not exist
        (
            "Leads/Orphan.md",
            '---\ntype: lead\npartner: "[[Nobody]]"\nsource: referral\n---\n',
            "Leads/Orphan.md: unknown partner [[Nobody]]: there is no partner note "
            "Partners/Nobody.md",
        ),
        (
            "Sessions/2026/2026-12-04 Nobody.md",
            '---\ntype: session\npartner: "[[Nobody]]"\ndate: 2026-12-04\n---\n',
            "Sessions/2026/2026-12-04 Nobody.md: session of an unknown partner [[Nobody]]",
        ),
        (
            "Leads/Via Lead.md",
            '---\ntype: lead\npartner: "[[Sam Lee]]"\nsource: referral\n---\n',
            "Leads/Via Lead.md: unknown partner [[Sam Lee]]: Leads/Sam Lee.md is not a partner",
        ),
        (
            "Sessions/2026/2026-12-04 Debbie Harper b.md",
            '---\ntype: session\npartner: "[[Debbie Harper]]"\ndate: 2026-12-04\n'
            'previous: "[[2026-11-27 Debbie Harper]]"\n---\n',
            "'previous' links [[2026-11-27 Debbie Harper]], which is no note",
        ),
        # a note in a ppsj folder without its type
        (
            "Partners/No Type.md",
            "# No Type\n",
            "Partners/No Type.md: in Partners/ but it has no 'type' property",
        ),
        # malformed task dates
        (
            "Daily/2026-11-28.md",
            "# Friday\n\n- [ ] Call Sam 📅 2026-11-31\n",
            "Daily/2026-11-28.md:3: 📅 2026-11-31 is not a real date; ignored",
        ),
        (
            "Daily/2026-11-29.md",
            "- [ ] Call Sam 📅 2026-12-1\n",
            "Daily/2026-11-29.md:1: 📅 2026-12-1 is not a date YYYY-MM-DD; ignored",
        ),
        # a second note for one partner
        (
            "Archive/Debbie Harper.md",
            "---\ntype: partner\n---\n",
            "a second note for partner 'Debbie Harper'",
        ),
    ],
)
def test_each_finding(vault: Path, rel: str, text: str, finding: str) -> None:
    clean(vault)
    note(vault, rel, text)
    code, lines = doctor(vault)
    assert code == 1
    problems = lines[:-1]
    assert any(line.startswith(finding) or finding in line for line in problems), lines
    assert lines[-1].endswith("found in 6 notes")


def test_obsidian_templates_are_not_checked_for_dates(vault: Path) -> None:
    clean(vault)
    note(vault, "Templates/Daily.md", "- [ ] Review {{title}} 📅 {{date:YYYY-MM-DD}}\n")
    assert doctor(vault) == (0, ["vault is clean: 6 notes checked"])


def test_double_booked_series(vault: Path) -> None:
    clean(vault)
    # 14:50 overlaps Debbie's 14:40 (20-minute sessions) from 2027-01-08 on.
    note(
        vault,
        "Partners/Zed Late.md",
        '---\ntype: partner\nstatus: active\npps_time: "14:50"\npps_start: 2027-01-08\n---\n',
    )
    # Paused: holds no slot, so no finding for it.
    note(
        vault,
        "Partners/Pat Paused.md",
        '---\ntype: partner\nstatus: paused\npps_time: "14:40"\npps_start: 2026-12-04\n---\n',
    )
    code, lines = doctor(vault)
    assert code == 1
    assert lines[:-1] == [
        # Seven weeks overlap: 2027-01-08 to 2027-02-19, Debbie's last.
        "Partners/Debbie Harper.md: double-booked: Debbie Harper (2:40 PM) and Zed Late "
        "(2:50 PM, Partners/Zed Late.md) overlap on 2027-01-08 and 6 more; "
        "move or skip one (ppsj move / ppsj skip)"
    ]


def test_a_moved_session_can_clash(vault: Path) -> None:
    clean(vault)
    # Carl holds 14:00; moving Debbie's 2026-12-11 session to 14:10 lands on it.
    path = vault / "Partners/Debbie Harper.md"
    text = path.read_text().replace(
        'pps_moved: ["2027-01-01 -> 2026-12-31 14:40"]',
        'pps_moved: ["2026-12-11 -> 2026-12-11 14:10"]',
    )
    path.write_text(text)
    code, lines = doctor(vault)
    assert code == 1
    assert lines[0].startswith(
        "Partners/Carl Ortiz.md: double-booked: Carl Ortiz (2:00 PM) and Debbie Harper (2:10 PM, "
        "Partners/Debbie Harper.md) overlap on 2026-12-11;"
    )
    assert len(lines) == 2  # that one week only, and the summary


def test_all_bad_properties_of_a_note_at_once(vault: Path) -> None:
    note(
        vault,
        "Leads/Messy.md",
        "---\ntype: lead\nstage: won\ncreated: someday\nemail: not-an-address\n---\n",
    )
    code, lines = doctor(vault)
    assert code == 1
    assert lines == [
        "Leads/Messy.md: missing property 'partner'",
        "Leads/Messy.md: missing property 'source'",
        "Leads/Messy.md: property 'created' must be a date as YYYY-MM-DD, got 'someday'",
        "Leads/Messy.md: property 'email' not an e-mail address: 'not-an-address'",
        "Leads/Messy.md: property 'stage' must be one of new, contacted, prequalified, "
        "application, closed, lost, got 'won'",
        "5 problems found in 1 notes",
    ]


def test_doctor_help_has_an_example(vault: Path) -> None:
    result = run_cli(vault, "doctor", "--help")
    assert result.exit_code == 0 and "Example:" in result.output


def test_doctor_names_every_broken_note(hostile: Path) -> None:
    result = run_cli(hostile, "doctor", today=DAY)
    assert result.exit_code == 1
    for rel in HOSTILE_NOTES:
        assert f"{rel}" in result.output, rel
    assert "Partners/Secret.md: links outside the vault" in result.output


@pytest.mark.parametrize("folder,name", [("Partners", "Debbie Harper"), ("Leads", "Sam Lee")])
def test_doctor_names_a_type_that_is_a_list(ppsj, vault, folder, name):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("lead", "Sam Lee", "--partner", "Debbie Harper", "--source", "showing"))
    note = vault / folder / f"{name}.md"
    set_key(note, "type", f"[{folder[:-1].lower()}]")
    result = ppsj("doctor")
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    assert f"{folder}/{name}.md: in {folder}/ but its type is" in result.output


def test_doctor_flags_a_sequence_no_calendar_can_hold(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    set_key(partner_note(vault, "Debbie Harper"), "pps_sequence", str(2**31))
    result = ppsj("doctor")
    assert result.exit_code == 1
    assert (
        "Partners/Debbie Harper.md: property 'pps_sequence' must be a whole number "
        f"<= {2**31 - 1}, got {2**31}"
    ) in result.output


def test_doctor_reports_a_lead_named_as_a_partner(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("add", "Marcus Bell"))
    ok(ppsj("lead", "Sam Lee", "--partner", "Debbie Harper", "--source", "showing"))
    (vault / "Leads" / "Sam Lee.md").rename(vault / "Leads" / "Marcus Bell.md")
    result = ppsj("doctor")
    assert result.exit_code == 1
    assert "Leads/Marcus Bell.md: has the name of the partner note Partners/Marcus Bell.md" in (
        result.output
    )


def test_a_note_date_in_another_iso_form_is_reported(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    set_key(partner_note(vault, "Debbie Harper"), "committed", '"20261127"')
    result = ppsj("doctor")
    assert result.exit_code == 1
    assert "property 'committed' must be a date as YYYY-MM-DD, got '20261127'" in result.output


def test_doctor_names_notes_ppsj_would_not_have_named_so(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("lead", "Sam Lee", "--partner", "Debbie Harper", "--source", "showing"))
    partners, leads = vault / "Partners", vault / "Leads"
    (partners / "Debbie Harper.md").rename(partners / "CON.md")
    (leads / "Sam Lee.md").rename(leads / "Sam\x1b[31mLee.md")
    result = ppsj("doctor")
    assert result.exit_code == 1
    assert "Partners/CON.md: partner name 'CON' is a reserved file name on Windows" in (
        result.output
    )
    assert "Leads/Sam\\x1b[31mLee.md: lead name" in result.output
    assert "\x1b" not in result.output


def test_doctor_names_a_property_written_twice(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    note = partner_note(vault, "Debbie Harper")
    # What a merge of two devices' edits can leave: both lines, no conflict marker.
    text = note.read_text(encoding="utf-8").replace(
        "status: active\n", "status: active\nstatus: paused\n"
    )
    note.write_text(text, encoding="utf-8")
    result = ppsj("doctor")
    assert result.exit_code == 1
    assert "Partners/Debbie Harper.md:4: property 'status' is written twice (also on line 3)" in (
        result.output
    )
    assert note.read_text(encoding="utf-8") == text


def test_doctor_names_a_follow_up_open_in_a_note_and_the_one_it_was_carried_to(vault):
    # What `ppsj week` stopped between writing the new note and marking the old one leaves.
    clean(vault)
    old = "Sessions/2026/2026-12-04 Debbie Harper.md"
    new = "Sessions/2026/2026-12-11 Debbie Harper.md"
    line = "- [ ] Send the buyer guide #commitment 📅 2026-12-08"
    with (vault / old).open("a", encoding="utf-8") as fh:
        fh.write(f"{line}\n- [ ] Only here\n")
    session = (
        '---\ntype: session\npartner: "[[Debbie Harper]]"\ndate: {day}\ntime: "14:40"\n'
        "week: {week}\nweeks: 12\nstatus: planned\n{previous}---\n{line}\n"
    )
    note(
        vault,
        new,
        session.format(
            day="2026-12-11",
            week=2,
            previous='previous: "[[2026-12-04 Debbie Harper]]"\n',
            line=line,
        ),
    )
    # The same text in a note that names no previous note is no carried copy.
    note(
        vault,
        "Sessions/2026/2026-12-18 Debbie Harper.md",
        session.format(day="2026-12-18", week=3, previous="", line="- [ ] Only here"),
    )
    code, lines = doctor(vault)
    assert code == 1
    assert lines[:-1] == [
        f"{old}:13: follow-up open twice: carried to {new} (line 11) but still open here; "
        "mark it [>] here (ppsj week does, rerun for that week)"
    ]
    text = (vault / old).read_text(encoding="utf-8")
    (vault / old).write_text(text.replace("- [ ] Send", "- [>] Send"), encoding="utf-8")
    assert doctor(vault)[0] == 0


# -- one declaration of the properties, read by the model and by doctor ----------------

GOOD_NOTES = {
    # Every declared key of each kind, with a good value.
    "partner": {
        "type": "partner",
        "email": "debbie@sunrise.example",
        "phone": "+1 555 0100",
        "company": "Sunrise Realty",
        "status": "active",
        "committed": "2026-11-27",
        "referral_expected": "2026-12-11",
        "pps_time": "14:40",
        "pps_start": "2026-12-04",
        "pps_weeks": 12,
        "pps_skip": ["2026-12-25"],
        "pps_moved": ["2027-01-01 -> 2026-12-31 14:40"],
        "pps_reschedules": ["2027-01-08: friday 15:20"],
        "pps_sequence": 0,
        "pps_holidays": ["2027-01-15"],
        "pps_invited_sequence": 0,
        "pps_invited_on": "2026-11-28",
        "tags": ["partner"],
    },
    "session": {
        "type": "session",
        "partner": "[[Debbie Harper]]",
        "date": "2026-12-04",
        "time": "14:40",
        "week": 1,
        "weeks": 12,
        "status": "held",
        "previous": "[[2026-11-27 Debbie Harper]]",
    },
    "lead": {
        "type": "lead",
        "partner": "[[Debbie Harper]]",
        "source": "showing",
        "stage": "new",
        "created": "2026-11-27",
        "stage_changed": "2026-11-28",
        "phone": "+1 312 555 0133",
        "email": "sam@lee.example",
        "showing": "2026-12-05",
        "value": 350000,
        "direction": "in",
        "lost_reason": "Went with a credit union",
    },
}
BAD_VALUES = (0.5, [{"a": 1}], "no good", -1)  # for each key, one of these is bad


def _read(meta: dict) -> object:
    read = {"partner": partner_from_note, "session": session_from_note, "lead": lead_from_note}
    return read[meta["type"]](Note("X.md", meta, "", 1, True))


def _doctor(meta: dict) -> list[str]:
    return [f.message for f in property_findings(Entry("X.md", meta))]


def _bad(meta: dict, key: str) -> object:
    """A value of ``key`` the model refuses (the declared type's, whatever it is)."""
    for value in BAD_VALUES:
        try:
            _read({**meta, key: value})
        except PpsjError:
            return value
    raise AssertionError(f"the model takes every value of {key!r}: is it read at all?")


@pytest.mark.parametrize("kind", sorted(GOOD_NOTES))
def test_the_model_and_doctor_share_each_key(kind: str) -> None:
    good = GOOD_NOTES[kind]
    declared = [prop.key for prop in KINDS[kind].props]
    assert sorted(declared) == sorted(k for k in good if k != "type")
    _read(good)
    assert _doctor(good) == []
    for key in declared:
        bad = {**good, key: _bad(good, key)}
        with pytest.raises(PpsjError) as raised:
            _read(bad)
        assert raised.value.message.startswith(f"property {key!r} ")
        # doctor says the same, and says it of this key only
        assert _doctor(bad) == [raised.value.message]
        if KINDS[kind].props[declared.index(key)].required:
            missing = {k: v for k, v in good.items() if k != key}
            with pytest.raises(PpsjError, match=f"missing property {key!r}"):
                _read(missing)
            assert _doctor(missing) == [f"missing property {key!r}"]


def test_doctor_looks_only_at_suspect_notes_and_misses_nothing(hostile: Path, monkeypatch):
    """doctor reads only the notes the store finds suspect (tests/test_store.py's
    rule in SQL); over every note it must find exactly the same."""
    from ppsjournal.index import Index

    for rel, text in [
        ("Partners/Real One.md", "---\ntype: partner\nstatus: prospect\n---\n"),
        ("Sessions/2026/2026-12-04 Unquoted.md",
         '---\ntype: session\npartner: "[[Real One]]"\ndate: 2026-12-04\ntime: 14:40\n---\n'),
        ("Sessions/2026/2026-12-11 Prev.md",
         '---\ntype: session\npartner: "[[Real One]]"\ndate: 2026-12-11\n'
         'previous: "[[Gone]]"\n---\n'),
        ("Leads/Kim.md", '---\ntype: lead\npartner: "[[Nobody]]"\nsource: referral\n---\n'),
        ("Partners/Typed Other.md", "---\ntype: lead\n---\n"),
    ]:  # fmt: skip
        write_note(hostile, rel, text)
    suspects = run_cli(hostile, "doctor", today=DAY)
    monkeypatch.setattr(Index, "suspects", lambda self, *a: self.notes())
    every = run_cli(hostile, "doctor", today=DAY)
    assert suspects.exit_code == every.exit_code == 1
    assert suspects.output == every.output
    for needle in (
        "Unquoted.md: property 'time'",
        "Prev.md: 'previous' links [[Gone]]",
        "Leads/Kim.md: unknown partner [[Nobody]]",
        "Typed Other.md: in Partners/",
    ):
        assert needle in suspects.output

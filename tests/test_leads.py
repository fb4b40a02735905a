"""ppsj lead and ppsj stage: lead notes made and moved along as a user would."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ppsjournal.index import entry_from_bytes
from ppsjournal.leads import first_due
from tests.conftest import ok, one_line_error, run_cli

D = dt.date.fromisoformat


@pytest.fixture
def debbie(vault: Path) -> Path:
    (vault / "Partners" / "Debbie Harper.md").write_text(
        "---\ntype: partner\nstatus: active\n---\n# Debbie Harper\n", encoding="utf-8"
    )
    return vault


def test_lead_writes_the_note_of_product_md(debbie: Path) -> None:
    result = run_cli(
        debbie,
        "lead",
        "Sam Lee",
        "--partner",
        "[[debbie harper]]",  # any case, even as a link: the partner's own spelling is written
        "--source",
        "showing",
        "--showing",
        "2026-12-05",
        "--phone",
        "+1 555 0199",
        "--email",
        "sam@lee.example",
        "--value",
        "350000",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "wrote Leads/Sam Lee.md: showing from Debbie Harper, first follow-up due 2026-12-04\n"
    )
    text = (debbie / "Leads" / "Sam Lee.md").read_text(encoding="utf-8")
    assert text.startswith(
        "---\n"
        "type: lead\n"
        'partner: "[[Debbie Harper]]"\n'
        "source: showing\n"
        "stage: new\n"
        "created: 2026-11-27\n"
        "stage_changed: 2026-11-27\n"
        'phone: "+1 555 0199"\n'
        "email: sam@lee.example\n"
        "showing: 2026-12-05\n"
        "value: 350000\n"
        "---\n"
        "# Sam Lee\n"
    )
    assert "- [ ] Pre-qualification call with Sam Lee #lead 📅 2026-12-04\n" in text
    # The note reads back as a lead of Debbie's, with the properties' types intact.
    entry = entry_from_bytes("Leads/Sam Lee.md", text.encode())
    assert entry.meta["showing"] == D("2026-12-05") and entry.meta["value"] == 350000
    assert [t.due for t in entry.tasks] == [D("2026-12-04")]


def test_a_lead_without_a_showing_is_called_tomorrow(debbie: Path) -> None:
    assert run_cli(debbie, "lead", "Ana Ruiz", "--partner", "Debbie Harper",
                   "--source", "referral").exit_code == 0  # fmt: skip
    text = (debbie / "Leads" / "Ana Ruiz.md").read_text(encoding="utf-8")
    assert (
        "- [ ] First call with Ana Ruiz, referred by [[Debbie Harper]] #referral 📅 2026-11-28"
        in text
    )
    assert "phone:" not in text and "showing:" not in text and "value:" not in text
    # The next day it is due; the day after, it is overdue and names Debbie.
    doc = json.loads(run_cli(debbie, "overdue", "--json", today="2026-11-29").stdout)
    assert [(r["note"], r["partner"]) for r in doc["overdue"]] == [("Ana Ruiz", "Debbie Harper")]


@pytest.mark.parametrize(
    ("today", "showing", "due"),
    [
        ("2026-11-27", None, "2026-11-28"),
        ("2026-11-27", "2026-12-05", "2026-12-04"),
        ("2026-11-27", "2026-11-28", "2026-11-27"),  # tomorrow: today
        ("2026-11-27", "2026-11-27", "2026-11-27"),  # today: today, not yesterday
        ("2026-11-27", "2026-11-20", "2026-11-27"),  # already past: today
    ],
)
def test_first_due(today: str, showing: str | None, due: str) -> None:
    assert first_due(D(today), D(showing) if showing else None) == D(due)


def test_a_lost_lead_gets_reach_out_task(debbie: Path) -> None:
    assert run_cli(debbie, "lead", "Kim Park", "--partner", "Debbie Harper",
                   "--source", "LOST-LEAD").exit_code == 0  # fmt: skip
    text = (debbie / "Leads" / "Kim Park.md").read_text(encoding="utf-8")
    assert "source: lost-lead\n" in text
    assert "- [ ] Reach out to Kim Park on [[Debbie Harper]]'s behalf #lead 📅 2026-11-28" in text


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["Sam Lee", "--partner", "Nobody", "--source", "showing"], "no partner named 'Nobody'", 1),
        (["Sam Lee", "--partner", "Debbie Harper", "--source", "cold-call"],
         "unknown source 'cold-call': use one of lost-lead, showing, referral", 2),
        (["../Sam", "--partner", "Debbie Harper", "--source", "showing"], "contains /", 2),
        ([".hidden", "--partner", "Debbie Harper", "--source", "showing"], "starts with a dot", 2),
        (["Sam Lee", "--partner", "Debbie Harper", "--source", "showing", "--email", "sam at x"],
         "--email: not an e-mail address", 2),
        (["Sam Lee", "--partner", "Debbie Harper", "--source", "showing", "--phone", "1\n2"],
         "--phone must be one line", 2),
        (["Sam Lee", "--partner", "Debbie Harper", "--source", "showing", "--showing", "soon"],
         "ppsj: --showing: 'soon' is not a date (YYYY-MM-DD,", 2),
        (["Sam Lee", "--partner", "Debbie Harper", "--source", "showing", "--value", "-5"],
         "--value", 2),
        (["Sam Lee", "--source", "showing"], "Missing option '--partner'", 2),
    ],
)  # fmt: skip
def test_lead_refuses_bad_input(debbie: Path, args: list[str], message: str, code: int) -> None:
    result = run_cli(debbie, "lead", *args)
    assert result.exit_code == code, result.output
    assert message in result.stderr
    # a value typed wrong is bad usage (2), as for `ppsj add`; a vault state is 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("ppsj: ")
    assert not (debbie / "Leads").exists() or not any((debbie / "Leads").iterdir())


def test_lead_never_overwrites(debbie: Path) -> None:
    args = ["--partner", "Debbie Harper", "--source", "showing"]
    assert run_cli(debbie, "lead", "Sam Lee", *args).exit_code == 0
    path = debbie / "Leads" / "Sam Lee.md"
    path.write_text(path.read_text("utf-8") + "My notes.\n", encoding="utf-8")
    before = path.read_bytes()
    for name in ("Sam Lee", "sam lee"):
        result = run_cli(debbie, "lead", name, *args)
        assert result.exit_code == 1
        assert "already" in result.stderr
    assert path.read_bytes() == before


def test_stage_changes_only_its_two_lines(debbie: Path) -> None:
    path = debbie / "Leads" / "Sam Lee.md"
    path.parent.mkdir(exist_ok=True)
    original = (
        "---\n"
        "type: lead\n"
        "# a comment the user wrote\n"
        'partner: "[[Debbie Harper]]"\n'
        "source: showing\n"
        "stage: new\n"
        "created: 2026-11-20\n"
        "stage_changed: 2026-11-20\n"
        "showing: 2026-12-05\n"
        "---\n"
        "Body text\r\nwith odd line ends\n"
    )
    path.write_bytes(original.encode())
    result = run_cli(debbie, "stage", "sam lee", "PREQUALIFIED", today="2026-11-30")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Sam Lee: new -> prequalified (stage_changed 2026-11-30) in Leads/Sam Lee.md\n"
    )
    expected = original.replace("stage: new\n", "stage: prequalified\n").replace(
        "stage_changed: 2026-11-20\n", "stage_changed: 2026-11-30\n"
    )
    assert path.read_bytes() == expected.encode()
    # Again: nothing to do, nothing written.
    again = run_cli(debbie, "stage", "Sam Lee", "prequalified", today="2026-12-01")
    assert again.exit_code == 0 and "already at stage prequalified" in again.stdout
    assert path.read_bytes() == expected.encode()


def test_stage_adds_stage_changed_when_missing(debbie: Path) -> None:
    path = debbie / "Leads" / "Kim.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        '---\ntype: lead\npartner: "[[Debbie Harper]]"\nsource: referral\nstage: new\n---\nx\n'
    )
    assert run_cli(debbie, "stage", "Kim", "contacted").exit_code == 0
    assert path.read_text() == (
        '---\ntype: lead\npartner: "[[Debbie Harper]]"\nsource: referral\nstage: contacted\n'
        "stage_changed: 2026-11-27\n---\nx\n"
    )


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["Sam Lee", "won"], "unknown stage 'won': use one of new, contacted, prequalified", 2),
        (["Nobody", "contacted"], "no lead named 'Nobody'", 1),
    ],
)
def test_stage_refuses_bad_input(debbie: Path, args: list[str], message: str, code: int) -> None:
    run_cli(debbie, "lead", "Sam Lee", "--partner", "Debbie Harper", "--source", "showing")
    before = (debbie / "Leads" / "Sam Lee.md").read_bytes()
    result = run_cli(debbie, "stage", *args)
    assert result.exit_code == code
    assert message in result.stderr and len(result.stderr.splitlines()) == 1
    assert (debbie / "Leads" / "Sam Lee.md").read_bytes() == before


def test_stage_names_what_is_wrong_with_an_unreadable_lead(debbie: Path) -> None:
    path = debbie / "Leads" / "Sam Lee.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text("---\ntype: lead\nstage: [new\n---\n")
    result = run_cli(debbie, "stage", "Sam Lee", "contacted")
    assert result.exit_code == 1
    assert "Leads/Sam Lee.md" in result.stderr and "not valid YAML" in result.stderr


def test_a_lead_template_in_the_vault_wins(debbie: Path) -> None:
    (debbie / "Templates" / "lead.md.j2").write_text(
        "Lead {{ lead.name }} via {{ lead.partner }}, call by {{ lead.due }}\n"
    )
    assert run_cli(debbie, "lead", "Sam Lee", "--partner", "Debbie Harper",
                   "--source", "referral").exit_code == 0  # fmt: skip
    text = (debbie / "Leads" / "Sam Lee.md").read_text()
    assert text.endswith("---\nLead Sam Lee via Debbie Harper, call by 2026-11-28\n")


@pytest.mark.parametrize("command", ["lead", "stage"])
def test_help_has_an_example(vault: Path, command: str) -> None:
    result = run_cli(vault, command, "--help")
    assert result.exit_code == 0 and "Example:" in result.output


def test_lead_refuses_the_name_of_a_partner(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("add", "Tom Okafor"))
    line = one_line_error(
        ppsj("lead", "debbie harper", "--partner", "Tom Okafor", "--source", "referral")
    )
    assert "Debbie Harper is a partner (Partners/Debbie Harper.md)" in line
    assert not (vault / "Leads").exists() or not list((vault / "Leads").iterdir())


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("nan", "must be an amount of dollars"),
        ("inf", "must be an amount of dollars"),
        ("1e308", "must be an amount of dollars"),
        ("1000000000000", "must be less than $1,000,000,000,000"),
        ("$1.2345", "must be whole cents"),
    ],
)
def test_lead_refuses_a_value_it_could_not_read_back(ppsj, vault, value, said):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    args = ["lead", "Sam Lee", "--partner", "Debbie Harper", "--source", "referral"]
    line = one_line_error(ppsj(*args, "--value", value), code=2)
    assert f"--value: {said}" in line and f"got {value!r}" in line
    assert not (vault / "Leads" / "Sam Lee.md").exists()
    ok(ppsj(*args, "--value", "385000"))
    ok(ppsj("doctor"))


def _lead_note(vault: Path, name: str, body: str) -> Path:
    path = vault / "Leads" / f"{name}.md"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(
        (
            '---\ntype: lead\npartner: "[[Debbie Harper]]"\nsource: showing\nstage: new\n'
            "created: 2026-11-20\nstage_changed: 2026-11-20\n---\n" + body
        ).encode()
    )
    return path


def test_stage_ticks_the_task_it_fulfils_and_nothing_else(debbie: Path) -> None:
    body = (
        "# Sam Lee\r\n\r\n## Follow-ups\n\n"
        "- [x] Pre-qualification call with Sam Lee #lead 📅 2026-11-01 ✅ 2026-11-01\n"
        "- [ ] Send the guide #lead 📅 2026-11-28\n"
        "- [ ] Pre-qualification call with Sam Lee #lead 📅 2026-11-28 ^pq1\r\n"
        "- [ ] Pre-qualification call with Sam Lee again #lead 📅 2026-11-29\n"
        "\n## Notes\n"
    )
    path = _lead_note(debbie, "Sam Lee", body)
    before = path.read_bytes().decode()
    result = ok(run_cli(debbie, "stage", "Sam Lee", "prequalified", today="2026-11-30"))
    assert result.stdout.splitlines()[1] == (
        "ticked: - [x] Pre-qualification call with Sam Lee #lead 📅 2026-11-28 ✅ 2026-11-30 ^pq1"
    )
    expected = (
        before.replace("stage: new\n", "stage: prequalified\n")
        .replace("stage_changed: 2026-11-20\n", "stage_changed: 2026-11-30\n")
        .replace(
            "- [ ] Pre-qualification call with Sam Lee #lead 📅 2026-11-28 ^pq1\r\n",
            "- [x] Pre-qualification call with Sam Lee #lead 📅 2026-11-28 ✅ 2026-11-30 ^pq1\r\n",
        )
    )
    assert path.read_bytes() == expected.encode()


@pytest.mark.parametrize(
    ("source", "stage", "ticked"),
    [
        ("referral", "contacted", True),
        ("referral", "application", True),
        ("lost-lead", "contacted", True),
        ("showing", "contacted", False),  # a pre-qualification call is not done by a first call
        ("showing", "prequalified", True),
        ("referral", "lost", False),
    ],
)
def test_stage_ticks_the_task_ppsj_lead_wrote(
    debbie: Path, source: str, stage: str, ticked: bool
) -> None:
    ok(run_cli(debbie, "lead", "Ana Ruiz", "--partner", "Debbie Harper", "--source", source))
    path = debbie / "Leads" / "Ana Ruiz.md"
    before = path.read_text(encoding="utf-8")
    result = ok(run_cli(debbie, "stage", "Ana", stage, today="2026-11-28"))
    after = path.read_text(encoding="utf-8")
    assert ("ticked:" in result.stdout) is ticked
    assert ("- [x] " in after and "✅ 2026-11-28\n" in after) is ticked
    assert ("- [ ] " in after) is not ticked
    # Only the task line (and the two properties) changed.
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 2 + ticked


def test_a_lead_typed_without_accents_is_not_a_second_lead(debbie: Path) -> None:
    args = ("--partner", "Debbie Harper", "--source", "lost-lead")
    ok(run_cli(debbie, "lead", "Zoë Müller", *args))
    line = one_line_error(run_cli(debbie, "lead", "zoe muller", *args))
    assert line == "ppsj: Zoë Müller is already a lead (Leads/Zoë Müller.md)"
    line = one_line_error(run_cli(debbie, "refer", "ZOE MULLER", "--to", "Debbie Harper"))
    assert "Zoë Müller is already a lead" in line
    # Nor a partner of a lead's name, accents aside.
    line = one_line_error(run_cli(debbie, "add", "Zoe Muller"))
    assert line.startswith("ppsj: Zoë Müller is a lead (Leads/Zoë Müller.md)")
    assert sorted(p.name for p in (debbie / "Leads").iterdir()) == ["Zoë Müller.md"]
    assert not (debbie / "Partners" / "Zoe Muller.md").exists()

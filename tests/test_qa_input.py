"""Bad input found in a QA pass: each is one clear line, a non-zero exit, no traceback,
and the note it is about is left as it was.

Today is 2026-11-27 (a Friday); a series booked on it starts 2026-12-04.
"""

from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

import pytest
from conftest import run_cli


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def one_line_error(result, code: int = 1) -> str:
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    return lines[0]


def partner_note(vault: Path, name: str) -> Path:
    return vault / "Partners" / f"{name}.md"


def set_key(path: Path, key: str, value: str) -> str:
    lines = path.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        if line.startswith(f"{key}:"):
            lines[i] = f"{key}: {value}"
            break
    else:
        lines.insert(1, f"{key}: {value}")
    text = "\n".join(lines)
    path.write_text(text, encoding="utf-8")
    return text


# -- e-mail addresses that the quick check passed but no header can hold ----------


@pytest.mark.parametrize(
    "address",
    [r"debbie@sunrise\example", "deb(bie)@sunrise.example", "debbie@sunrise.", "debbie@.example"],
)
def test_an_address_no_header_can_hold_is_named_not_an_internal_error(ppsj, vault, address):
    ok(ppsj("add", "Debbie Harper", "--email", "debbie@sunrise.example", "--at", "14:40"))
    note = partner_note(vault, "Debbie Harper")
    text = set_key(note, "email", address)
    line = one_line_error(ppsj("invite", "Debbie Harper", "--out", str(vault / "x.eml")))
    assert "Partners/Debbie Harper.md" in line and "not an e-mail address" in line
    assert note.read_text(encoding="utf-8") == text
    assert not (vault / "x.eml").exists()
    doctor = ppsj("doctor")
    assert doctor.exit_code == 1
    assert "Partners/Debbie Harper.md: property 'email' not an e-mail address" in doctor.output


def test_add_refuses_an_address_with_a_backslash(ppsj, vault):
    line = one_line_error(ppsj("add", "Zed", "--email", r"zed@x\y.example"), code=2)
    assert "--email" in line
    assert not partner_note(vault, "Zed").exists()


def test_an_international_domain_goes_in_the_invite_as_idna(ppsj, vault, tmp_path):
    ok(ppsj("add", "Debbie Harper", "--email", "debbie@exämple.com", "--at", "14:40"))
    out = tmp_path / "invite.eml"
    ok(ppsj("invite", "Debbie Harper", "--out", str(out)))
    msg = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == "debbie@xn--exmple-cua.com"
    assert "=?" not in out.read_bytes().decode("ascii").split("\r\n\r\n", 1)[0]


def test_a_non_ascii_local_part_is_a_clear_error_for_invite(ppsj, vault, tmp_path):
    ok(ppsj("add", "Debbie Harper", "--email", "zoë@example.com", "--at", "14:40"))
    out = tmp_path / "invite.eml"
    line = one_line_error(ppsj("invite", "Debbie Harper", "--out", str(out)))
    assert "Partners/Debbie Harper.md" in line and "non-ASCII" in line
    assert not out.exists()


# -- doctor on properties of the wrong shape ------------------------------------------


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


# -- one name, two notes ------------------------------------------------------------------


def test_lead_refuses_the_name_of_a_partner(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("add", "Tom Okafor"))
    line = one_line_error(
        ppsj("lead", "debbie harper", "--partner", "Tom Okafor", "--source", "referral")
    )
    assert "Debbie Harper is a partner (Partners/Debbie Harper.md)" in line
    assert not (vault / "Leads").exists() or not list((vault / "Leads").iterdir())


def test_add_refuses_the_name_of_a_lead(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("lead", "Sam Lee", "--partner", "Debbie Harper", "--source", "showing"))
    line = one_line_error(ppsj("add", "SAM LEE"))
    assert "Sam Lee is a lead (Leads/Sam Lee.md)" in line
    assert not partner_note(vault, "SAM LEE").exists()


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


# -- series edits -----------------------------------------------------------------------------


def test_renew_refuses_a_series_longer_than_a_note_may_hold(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    note = partner_note(vault, "Debbie Harper")
    text = set_key(note, "pps_weeks", "1000")
    line = one_line_error(ppsj("renew", "Debbie Harper", "--weeks", "104"))
    assert "1104 weeks, more than the 1040" in line
    assert note.read_text(encoding="utf-8") == text
    ok(ppsj("renew", "Debbie Harper", "--weeks", "40"))
    ok(ppsj("partners"))  # the note still reads


def test_skip_leaves_the_other_moves_as_written(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    note = partner_note(vault, "Debbie Harper")
    moved = 'pps_moved:\n  - "2026-12-18 -> 2026-12-17 14:40"   # her closing\n'
    text = note.read_text(encoding="utf-8").replace("pps_moved: []\n", moved)
    note.write_text(text, encoding="utf-8")
    ok(ppsj("skip", "Debbie Harper", "2026-12-11"))
    after = note.read_text(encoding="utf-8")
    assert moved in after
    assert "pps_skip: [2026-12-11]\n" in after
    # Skipping the moved session itself drops its move.
    ok(ppsj("skip", "Debbie Harper", "2026-12-17"))
    assert "pps_moved: []" in note.read_text(encoding="utf-8")


@pytest.mark.parametrize("value", ["a\x1b[31mb", "1\u20282", "a\u200bb", "a\tb"])
@pytest.mark.parametrize("option", ["--phone", "--company"])
def test_add_refuses_control_and_invisible_characters(ppsj, vault, option, value):
    line = one_line_error(ppsj("add", "Zed", option, value), code=2)
    assert f"{option} must be one line of text" in line
    assert not partner_note(vault, "Zed").exists()


# -- dates and names ------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["20261127", "2026-W48-5", "2026-331"])
def test_today_must_be_written_yyyy_mm_dd(vault, day):
    line = one_line_error(run_cli(vault, "partners", today=day), code=2)
    assert f"--today: '{day}' is not a date (YYYY-MM-DD)" in line


def test_a_note_date_in_another_iso_form_is_reported(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    set_key(partner_note(vault, "Debbie Harper"), "committed", '"20261127"')
    result = ppsj("doctor")
    assert result.exit_code == 1
    assert "property 'committed' must be a date as YYYY-MM-DD, got '20261127'" in result.output


@pytest.mark.parametrize("name", ["COM¹", "lpt²", "CONIN$", "conout$.md"])
def test_more_windows_device_names_are_refused(ppsj, vault, name):
    line = one_line_error(ppsj("add", name), code=2)
    assert "reserved file name on Windows" in line
    assert not any((vault / "Partners").glob("*.md"))


def test_json_of_every_command_is_strict_json(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("lead", "Sam Lee", "--partner", "Debbie Harper", "--source", "showing"))

    def refuse(constant):
        raise ValueError(constant)

    for args in (["slots"], ["partners"], ["week", "--dry-run"], ["overdue"], ["report"]):
        first = ok(ppsj(*args, "--json", today="2026-12-04")).output
        json.loads(first, parse_constant=refuse)
        assert ppsj(*args, "--json", today="2026-12-04").output == first


# -- text from a vault that came through git ------------------------------------------------


def test_escape_sequences_in_notes_do_not_reach_the_terminal(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    note = partner_note(vault, "Debbie Harper")
    with note.open("a", encoding="utf-8") as fh:
        fh.write("- [ ] \x1b[2Jcall \x1b]0;pwned\x07back #need 📅 2026-11-01\n")
        fh.write("- [ ] bad date \x1b[31m 📅 2026-02-30\n")
    result = ppsj("overdue")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b[2Jcall \\x1b]0;pwned\\x07back #need" in result.output
    assert "\x1b" not in ppsj("doctor").output
    assert "\x1b" not in ppsj("partners").output


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


def test_init_in_a_folder_with_its_own_gitignore_says_what_it_lacks(tmp_path):
    root = tmp_path / "pps"
    root.mkdir()
    (root / ".gitignore").write_text("node_modules/\n")
    args = ["init", str(root), "--name", "A B", "--email", "a@b.example", "--timezone", "UTC"]
    result = ok(run_cli(None, *args, today=None))
    assert (root / ".gitignore").read_text() == "node_modules/\n"  # never clobbered
    assert "add the line '.ppsj/'" in result.output
    assert "created .gitattributes" in result.output
    assert ".gitattributes was left" not in result.output


def test_init_gives_no_advice_when_the_gitignore_has_it(tmp_path):
    root = tmp_path / "pps"
    root.mkdir()
    (root / ".gitignore").write_text("# mine\n.ppsj/\n")
    args = ["init", str(root), "--name", "A B", "--email", "a@b.example", "--timezone", "UTC"]
    assert "note:" not in ok(run_cli(None, *args, today=None)).output


# -- one session a day per partner (a session note is named by its day) ---------------------


def test_move_refuses_a_day_the_partner_already_has_a_session(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    note = partner_note(vault, "Debbie Harper")
    before = note.read_bytes()
    line = one_line_error(ppsj("move", "Debbie Harper", "2026-12-11", "--to", "2026-12-18 15:40"))
    assert "Debbie Harper already has a session on 2026-12-18 (at 14:40)" in line
    assert note.read_bytes() == before


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


def test_a_bad_ppsj_today_is_named_as_the_variable(vault, monkeypatch):
    monkeypatch.setenv("PPSJ_TODAY", "tomorrow")
    line = one_line_error(run_cli(vault, "partners", today=None), code=2)
    assert "$PPSJ_TODAY: 'tomorrow' is not a date (YYYY-MM-DD)" in line
    # --today wins over the variable, and an empty --today is an error, not "the clock".
    ok(run_cli(vault, "partners", today="2026-11-27"))
    line = one_line_error(run_cli(vault, "partners", today=""), code=2)
    assert "--today: '' is not a date (YYYY-MM-DD)" in line


@pytest.mark.parametrize(
    "args",
    [
        ["lead", "Sam Lee", "--partner", "debbie harper", "--source", "referral"],
        ["report", "--partner", "[[Debbie Harper]]"],
        ["invite", "Debbie Harper", "--out", "x.eml"],
    ],
)
def test_a_partner_whose_note_does_not_read_is_named_not_unknown(ppsj, vault, args):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    note = partner_note(vault, "Debbie Harper")
    text = note.read_text(encoding="utf-8").replace("status: active", "status: [active")
    note.write_text(text, encoding="utf-8")
    result = ppsj(*args)
    assert result.exit_code == 1, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("ppsj: Partners/Debbie Harper.md:")
    assert "fix the note first; see 'ppsj doctor'" in last
    assert "no partner named" not in result.output
    assert note.read_text(encoding="utf-8") == text
    assert not (vault / "Leads" / "Sam Lee.md").exists()


def test_a_password_in_the_settings_is_refused_with_the_way_to_give_it(ppsj, vault):
    toml = vault / "ppsj.toml"
    toml.write_text(toml.read_text() + '\n[smtp]\nhost = "smtp.x.example"\npassword = "hunter2"\n')
    line = one_line_error(ppsj("partners"))
    assert "ppsj.toml: unknown key smtp.password" in line
    assert "$PPSJ_SMTP_PASSWORD" in line and "hunter2" not in line


def test_week_names_an_unreadable_note_and_exits_3_after_writing(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    (vault / "Leads").mkdir(exist_ok=True)
    (vault / "Leads" / "Broken.md").write_text("---\ntype: [lead\n---\n", encoding="utf-8")
    result = ppsj("week", "--date", "2026-12-04")
    assert result.exit_code == 3, result.output
    assert "ppsj: Leads/Broken.md:" in result.output
    assert (vault / "Sessions/2026/2026-12-04 Debbie Harper.md").is_file()


@pytest.mark.parametrize("value", ["nan", "inf", "1e308"])
def test_lead_refuses_a_value_it_could_not_read_back(ppsj, vault, value):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    args = ["lead", "Sam Lee", "--partner", "Debbie Harper", "--source", "referral"]
    line = one_line_error(ppsj(*args, "--value", value), code=2)
    assert "--value must be a number of dollars from 0 to 1,000,000,000,000" in line
    assert not (vault / "Leads" / "Sam Lee.md").exists()
    ok(ppsj(*args, "--value", "385000"))
    ok(ppsj("doctor"))


# -- an output that is not UTF-8 (a Windows code page, LANG=C) ---------------------------------


def test_json_is_valid_on_an_output_that_is_not_utf8(vault):
    run_cli(vault, "add", "Zoë Ärger", "--at", "14:40")
    note = partner_note(vault, "Zoë Ärger")
    with note.open("a", encoding="utf-8") as fh:
        fh.write("- [ ] Café flyer for Zoë #need 📅 2026-11-20\n")
    from click.testing import CliRunner

    from ppsjournal.cli import cli

    runner = CliRunner(charset="cp1252")
    for args in (["overdue"], ["partners"], ["report"]):
        argv = ["--vault", str(vault), "--today", "2026-11-27", *args, "--json"]
        result = runner.invoke(cli, argv, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert result.stdout_bytes.isascii()
        # Valid JSON, and the names come back as written.
        assert "Zoë Ärger" in json.dumps(json.loads(result.stdout_bytes), ensure_ascii=False)


def test_text_output_on_a_code_page_shows_escapes_instead_of_failing(vault):
    import os
    import subprocess
    import sys

    run_cli(vault, "add", "Zoë Ärger", "--at", "14:40")
    with partner_note(vault, "Zoë Ärger").open("a", encoding="utf-8") as fh:
        fh.write("- [ ] Flyer → Zoë 🏠 #need 📅 2026-11-20\n")
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "PPSJ_TODAY": "2026-11-27"}
    for args in (["overdue"], ["report"], ["overdue", "--json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "ppsjournal", "--vault", str(vault), *args],
            capture_output=True,
            env=env,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert b"internal error" not in proc.stderr
    text = subprocess.run(
        [sys.executable, "-m", "ppsjournal", "--vault", str(vault), "overdue"],
        capture_output=True,
        env=env,
        check=True,
    ).stdout.decode("cp1252")
    assert "Flyer \\u2192 Zoë \\U0001f3e0 #need" in text


def test_an_edited_note_keeps_its_file_mode(ppsj, vault):
    import stat

    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    note = partner_note(vault, "Debbie Harper")
    note.chmod(0o600)  # kept private: client names are in it
    ok(ppsj("skip", "Debbie Harper", "2026-12-11"))
    assert stat.S_IMODE(note.stat().st_mode) == 0o600
    ok(ppsj("add", "Marcus Bell"))
    assert stat.S_IMODE(partner_note(vault, "Marcus Bell").stat().st_mode) == 0o644


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("status: active\n", "status: active\nstatus: active\n"),
        lambda t: t.replace("status: active\n", '"status": active\n'),
    ],
    ids=["twice", "quoted-key"],
)
def test_an_edit_that_would_not_take_is_refused(ppsj, vault, edit):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    note = partner_note(vault, "Debbie Harper")
    text = edit(note.read_text(encoding="utf-8"))
    note.write_text(text, encoding="utf-8")
    line = one_line_error(ppsj("pause", "Debbie Harper"))
    assert "Partners/Debbie Harper.md: property 'status' is written twice or in quotes" in line
    assert note.read_text(encoding="utf-8") == text
    assert "active" in ppsj("partners").output.splitlines()[1]


@pytest.mark.parametrize("value", ["123", "yes", "null", "2026-01-01", "a: b", "#x", "1e3", "~"])
def test_text_that_looks_like_another_type_still_books_a_prospect(ppsj, vault, value):
    ok(ppsj("add", "Lena Ortiz"))
    ok(ppsj("add", "Lena Ortiz", "--at", "13:20", "--company", value, "--phone", value))
    doc = json.loads(ok(ppsj("partners", "--json")).output)
    assert doc["partners"][0]["company"] == value


def test_an_apostrophe_before_the_at_is_a_real_address(ppsj, vault, tmp_path):
    ok(ppsj("add", "Sean O'Brien", "--email", "o'brien@x.example", "--at", "15:40"))
    out = tmp_path / "invite.eml"
    ok(ppsj("invite", "Sean O'Brien", "--out", str(out)))
    msg = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == "o'brien@x.example"
    ok(ppsj("doctor"))
    one_line_error(ppsj("add", "Zed", "--email", "zed@o'x.example"), code=2)


def test_move_refuses_a_holiday(ppsj, vault):
    toml = vault / "ppsj.toml"
    toml.write_text(toml.read_text().replace("holidays = []", "holidays = [2026-12-25]"))
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    note = partner_note(vault, "Debbie Harper")
    before = note.read_bytes()
    line = one_line_error(ppsj("move", "Debbie Harper", "2026-12-18", "--to", "2026-12-25 13:00"))
    assert "2026-12-25 is a holiday in ppsj.toml" in line
    assert note.read_bytes() == before
    ok(ppsj("move", "Debbie Harper", "2026-12-18", "--to", "2026-12-24 13:00"))


def test_settings_saved_with_a_byte_order_mark_and_crlf_are_read(ppsj, vault):
    toml = vault / "ppsj.toml"
    text = toml.read_text(encoding="utf-8").replace("\n", "\r\n")
    toml.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # as Windows Notepad saves it
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    assert "Debbie Harper" in ok(ppsj("partners")).output


def test_a_template_saved_with_a_byte_order_mark_and_crlf(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    (vault / "Templates").mkdir(exist_ok=True)
    body = "# PPS with {{ partner.name }}\r\n\r\n## Notes\r\n"
    (vault / "Templates" / "session.md.j2").write_bytes(b"\xef\xbb\xbf" + body.encode())
    ok(ppsj("week", "--date", "2026-12-04"))
    note = (vault / "Sessions/2026/2026-12-04 Debbie Harper.md").read_bytes()
    assert "\ufeff".encode() not in note and b"\r" not in note
    assert b"\n---\n# PPS with Debbie Harper\n\n## Notes\n" in note


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


def test_a_template_that_drops_the_carried_follow_ups_is_refused(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("week", "--date", "2026-12-04"))
    old = vault / "Sessions/2026/2026-12-04 Debbie Harper.md"
    with old.open("a", encoding="utf-8") as fh:
        fh.write("- [ ] Send the buyer guide to the Lees #commitment 📅 2026-12-08\n")
    before = old.read_bytes()
    (vault / "Templates").mkdir(exist_ok=True)
    (vault / "Templates" / "session.md.j2").write_text("# {{ partner.name }}\n\n## Notes\n")
    line = one_line_error(ppsj("week", "--date", "2026-12-11"))
    assert line.startswith("ppsj: Templates/session.md.j2: the session template does not write")
    assert "Sessions/2026/2026-12-04 Debbie Harper.md" in line
    assert old.read_bytes() == before  # the task is still open there: nothing lost
    assert not (vault / "Sessions/2026/2026-12-11 Debbie Harper.md").exists()

"""Partners and their series: slots, add, partners, skip, move, pause, resume, renew.

Today is 2026-11-27 (a Friday) unless a test says otherwise; a series booked on
it starts a week later, 2026-12-04, and its 12th session is 2027-02-19.
The vault's sessions are 20 minutes (the default is 15: see test_times.py), the
grid these tests' slots are on, and its clock is 24-hour (the default 12-hour
one is test_times.py's too).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys

import pytest

from ppsjournal.cli.types import TYPED_DATE as TYPED
from ppsjournal.cli.types import TYPED_TIME
from ppsjournal.note import parse_note
from tests.conftest import ok, one_line_error, partner_note, set_key


@pytest.fixture
def vault(vault):
    """The fixture vault (conftest's), with sessions of 20 minutes and a 24-hour clock."""
    toml = vault / "ppsj.toml"
    text = toml.read_text().replace("length = 15", "length = 20")
    toml.write_text(text.replace('clock = "12h"', 'clock = "24h"'))
    return vault


ALL_SLOTS = ["13:00", "13:20", "13:40", "14:00", "14:20", "14:40", "15:00", "15:20", "15:40"]


def slots(ppsj, *args, today="2026-11-27") -> dict:
    result = ppsj("slots", "--json", *args, today=today)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def free(ppsj, *args, **kw) -> list[str]:
    return [s["time"] for s in slots(ppsj, *args, **kw)["slots"] if s["free"]]


def meta(vault, name: str) -> dict:
    path = f"Partners/{name}.md"
    return parse_note(path, (vault / path).read_text(encoding="utf-8")).meta


def set_holidays(vault, days: str) -> None:
    toml = vault / "ppsj.toml"
    text = re.sub(r"(?m)^holidays = \[.*?\]", f"holidays = [{days}]", toml.read_text())
    toml.write_text(text)


# -- slots -------------------------------------------------------------------


def test_slots_are_the_window_start_then_every_length_that_fits(ppsj, vault):
    doc = slots(ppsj)
    assert (doc["start"], doc["weeks"], doc["weekday"]) == ("2026-12-04", 12, "friday")
    assert [s["time"] for s in doc["slots"]] == ALL_SLOTS  # 13:00..15:40; 16:00 would end late
    toml = vault / "ppsj.toml"
    toml.write_text(toml.read_text().replace("length = 20", "length = 25"))
    # 13:00 + 25 min steps: 15:30 ends 15:55 (fits), 15:55 would end 16:20
    assert free(ppsj) == ["13:00", "13:25", "13:50", "14:15", "14:40", "15:05", "15:30"]


def test_slots_text_output(ppsj):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    out = ok(ppsj("slots")).output.splitlines()
    assert out[0] == "Fridays 13:00-16:00, 12 weeks from 2026-12-04: 8 of 9 slots free"
    assert "  14:40  free" not in out
    out = ok(ppsj("slots", "--all")).output.splitlines()
    assert "  14:40  taken by Debbie Harper" in out


def test_a_booking_takes_its_slot_in_every_week(ppsj):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    doc = slots(ppsj)
    taken = {s["time"]: s["taken_by"] for s in doc["slots"] if not s["free"]}
    assert taken == {"14:40": ["Debbie Harper"]}
    # A series starting after Debbie's last session (2027-02-19) has the slot free.
    assert "14:40" in free(ppsj, "--start", "2027-02-26")
    assert "14:40" not in free(ppsj, "--start", "2027-02-19")


def test_an_off_grid_session_blocks_both_slots_it_overlaps(ppsj):
    ok(ppsj("add", "Debbie Harper", "--at", "13:10"))  # 13:10-13:30
    assert free(ppsj) == [t for t in ALL_SLOTS if t not in ("13:00", "13:20")]


def test_skips_moves_and_holidays_count(ppsj, vault):
    # Debbie's two sessions, 11-27 and 12-04, meet the new series (from 12-04) only on 12-04.
    ok(ppsj("add", "Debbie Harper", "--at", "14:40", "--start", "2026-11-27", "--weeks", "2"))
    assert "14:40" not in free(ppsj)
    ok(ppsj("skip", "Debbie Harper", "2026-12-04"))
    assert "14:40" in free(ppsj)
    # Her first session moved into the new series' weeks takes that slot there.
    ok(ppsj("move", "Debbie Harper", "2026-11-27", "--to", "2027-01-08 13:00"))
    assert "13:00" not in free(ppsj)
    assert "13:00" in free(ppsj, "--start", "2027-01-15")
    # A holiday: the new series does not meet that day, so nothing clashes there.
    set_holidays(vault, "2027-01-08")
    assert "13:00" in free(ppsj)
    ok(ppsj("add", "Tom Okafor", "--at", "15:00", "--start", "2026-11-27", "--weeks", "2"))
    assert "15:00" not in free(ppsj)
    set_holidays(vault, "2026-12-04")
    assert "15:00" in free(ppsj)


def test_paused_and_prospect_partners_hold_no_slot(ppsj):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("add", "Tom Okafor"))
    ok(ppsj("pause", "Debbie Harper"))
    assert free(ppsj) == ALL_SLOTS


def test_slots_start_must_be_the_pps_weekday(ppsj):
    result = ppsj("slots", "--start", "2026-12-05")
    assert result.exit_code == 2
    assert "--start 2026-12-05 is a Saturday; sessions are on Fridays" in result.output


# -- add ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "start"),
    [
        # today (weekday)         first Friday at least 7 days later
        ("2026-11-23", "2026-12-04"),  # Monday: +7 is Mon 11-30, then Friday
        ("2026-11-24", "2026-12-04"),  # Tuesday
        ("2026-11-25", "2026-12-04"),  # Wednesday
        ("2026-11-26", "2026-12-04"),  # Thursday: +7 is Thu 12-03
        ("2026-11-27", "2026-12-04"),  # Friday: exactly a week
        ("2026-11-28", "2026-12-11"),  # Saturday: Fri 12-04 is only 6 days out
        ("2026-11-29", "2026-12-11"),  # Sunday
        ("2026-12-28", "2027-01-08"),  # Monday, across the new year
    ],
)
def test_add_starts_the_series_on_the_first_pps_day_a_week_out(ppsj, vault, today, start):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40", today=today))
    m = meta(vault, "Debbie Harper")
    assert m["pps_start"] == dt.date.fromisoformat(start)
    assert m["committed"] == dt.date.fromisoformat(today)
    assert slots(ppsj, today=today)["start"] == start  # slots offers the same weeks


def test_add_start_on_another_pps_weekday(ppsj, vault):
    toml = vault / "ppsj.toml"
    toml.write_text(toml.read_text().replace('weekday = "friday"', 'weekday = "monday"'))
    ok(ppsj("add", "Debbie Harper", "--at", "14:40", today="2026-11-30"))  # a Monday
    assert meta(vault, "Debbie Harper")["pps_start"] == dt.date(2026, 12, 7)


def test_add_writes_the_partner_note_of_the_contract(ppsj, vault):
    result = ok(
        ppsj(
            "add",
            "Debbie Harper",
            "--email",
            "debbie@sunrise.example",
            "--phone",
            "+1 555 0100",
            "--company",
            "Sunrise Realty",
            "--at",
            "14:40",
            "--expect-referral",
            "2026-12-11",
        )
    )
    assert "booked Debbie Harper: Fridays at 14:40, 12 weeks, 2026-12-04 to 2027-02-19" in (
        result.output
    )
    text = (vault / "Partners" / "Debbie Harper.md").read_text()
    front = text.split("---\n")[1]
    assert front == (
        "type: partner\n"
        "email: debbie@sunrise.example\n"
        'phone: "+1 555 0100"\n'
        "company: Sunrise Realty\n"
        "status: active\n"
        "committed: 2026-11-27\n"
        "referral_expected: 2026-12-11\n"
        'pps_time: "14:40"\n'
        "pps_start: 2026-12-04\n"
        "pps_weeks: 12\n"
        "pps_skip: []\n"
        "pps_moved: []\n"
        "pps_sequence: 0\n"
        "tags: [partner]\n"
    )
    assert "# Debbie Harper" in text


def test_add_with_start_and_weeks(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "13:00", "--start", "2027-01-08", "--weeks", "6"))
    m = meta(vault, "Debbie Harper")
    assert (m["pps_start"], m["pps_weeks"]) == (dt.date(2027, 1, 8), 6)


def test_add_refuses_a_taken_slot_naming_who_holds_it(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    for at in ("14:40", "14:30", "14:50"):  # the same slot, or overlapping it
        result = ppsj("add", "Tom Okafor", "--at", at)
        assert result.exit_code == 1
        assert "is taken by Debbie Harper" in result.output
        assert "2026-12-04" in result.output
    assert not (vault / "Partners" / "Tom Okafor.md").exists()
    ok(ppsj("add", "Tom Okafor", "--at", "15:00"))  # 14:40-15:00 ends as 15:00 begins


def test_add_refuses_a_slot_taken_only_in_a_later_week(ppsj):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40", "--start", "2027-02-12", "--weeks", "2"))
    result = ppsj("add", "Tom Okafor", "--at", "14:40")  # 2026-12-04 .. 2027-02-19
    assert result.exit_code == 1
    assert "14:40 on 2027-02-12 is taken by Debbie Harper (and 1 more session)" in result.output


def test_add_refuses_times_outside_the_window(ppsj):
    for at in ("12:40", "15:50", "16:00"):
        result = ppsj("add", "Tom Okafor", "--at", at)
        assert result.exit_code == 1
        assert "outside the PPS window 13:00-16:00" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "25:00"], f"ppsj: --at: '25:00' is not a time ({TYPED_TIME})"),
        (["--at", "noon"], f"ppsj: --at: 'noon' is not a time ({TYPED_TIME})"),
        (["--at", "13:00", "--start", "2026-12-32"], "--start: '2026-12-32' is not a date"),
        (["--at", "13:00", "--start", "2026-12-05"], "is a Saturday"),
        (["--at", "13:00", "--weeks", "0"], "Invalid value for '--weeks'"),
        (["--expect-referral", "soon"], f"--expect-referral: 'soon' is not a date ({TYPED})"),
        (["--start", "2026-12-04"], "--start and --weeks go with --at"),
    ],
)
def test_add_usage_errors(ppsj, vault, args, message):
    result = ppsj("add", "Tom Okafor", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (vault / "Partners" / "Tom Okafor.md").exists()


def test_dates_at_the_end_of_the_calendar_are_refused(ppsj, vault):
    """Year 9999 dates would overflow the series' arithmetic: refused, never a traceback."""
    result = ppsj("slots", "--start", "9999-12-31")
    assert (result.exit_code, "out of range" in result.output) == (2, True)
    result = ppsj("add", "Tom Okafor", "--at", "13:00", today="8999-12-31")  # starts in 9000
    assert result.exit_code == 1
    assert "9000-01-10 is out of range" in result.output
    assert not (vault / "Partners" / "Tom Okafor.md").exists()
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    result = ppsj("move", "Debbie Harper", "2026-12-11", "--to", "9999-12-31 13:00")
    assert result.exit_code == 2
    (vault / "Partners" / "Far.md").write_text(
        '---\ntype: partner\npps_time: "13:00"\npps_start: 9999-12-31\n---\n'
    )
    result = ppsj("partners")
    assert result.exit_code == 3
    assert "ppsj: Partners/Far.md: property 'pps_start' 9999-12-31 is out of range" in result.output


def test_a_prospect_then_booked_with_at(ppsj, vault):
    result = ok(ppsj("add", "Tom Okafor", "--email", "tom@harbor.example"))
    assert "a prospect" in result.output
    m = meta(vault, "Tom Okafor")
    assert m["status"] == "prospect"
    assert "pps_time" not in m and "committed" not in m
    assert free(ppsj) == ALL_SLOTS

    ok(
        ppsj(
            "add",
            "tom okafor",
            "--at",
            "13:40",
            "--expect-referral",
            "2026-12-18",
            today="2026-12-01",
        )
    )
    m = meta(vault, "Tom Okafor")
    assert m["status"] == "active"
    assert m["committed"] == dt.date(2026, 12, 1)
    assert m["pps_start"] == dt.date(2026, 12, 11)
    assert m["pps_time"] == "13:40"
    assert m["referral_expected"] == dt.date(2026, 12, 18)
    assert m["email"] == "tom@harbor.example"
    assert m["pps_sequence"] == 1
    assert "13:40" not in free(ppsj, today="2026-12-01")

    result = ppsj("add", "Tom Okafor", "--at", "15:00")
    assert result.exit_code == 1
    assert "Tom Okafor is already a partner (Partners/Tom Okafor.md)" in result.output


def test_a_prospect_cannot_take_a_taken_slot(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("add", "Tom Okafor"))
    before = (vault / "Partners" / "Tom Okafor.md").read_bytes()
    result = ppsj("add", "Tom Okafor", "--at", "14:40")
    assert result.exit_code == 1
    assert "taken by Debbie Harper" in result.output
    assert (vault / "Partners" / "Tom Okafor.md").read_bytes() == before


# -- partners ----------------------------------------------------------------


def test_partners_lists_status_slot_week_next_and_followups(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40", "--company", "Sunrise Realty"))
    ok(ppsj("add", "Tom Okafor"))
    with open(vault / "Partners" / "Debbie Harper.md", "a") as fh:
        fh.write("- [ ] Send the buyer guide #commitment 📅 2026-12-08\n")
        fh.write("- [ ] Call back 📅 2026-12-14\n")
        fh.write("- [x] Done already 📅 2026-12-01 ✅ 2026-12-01\n")
    doc = json.loads(ok(ppsj("partners", "--json", today="2026-12-11")).output)
    assert doc["today"] == "2026-12-11"
    assert doc["problems"] == []
    debbie, tom = doc["partners"]
    assert debbie == {
        "name": "Debbie Harper",
        "status": "active",
        "company": "Sunrise Realty",
        "slot": "14:40",
        "week": 2,  # 12-04 and 12-11 (today) are behind or now
        "weeks": 12,
        "next_session": "2026-12-11T14:40:00-06:00",
        "series_end": "2027-02-19",
        "open_followups": 2,
        "overdue": 1,
        "referral_expected": None,
        "note": "Partners/Debbie Harper.md",
    }
    assert (tom["status"], tom["slot"], tom["next_session"]) == ("prospect", None, None)
    text = ok(ppsj("partners", today="2026-12-11")).output.splitlines()
    assert text[0].split() == [
        "PARTNER",
        "STATUS",
        "SLOT",
        "WEEK",
        "NEXT",
        "OPEN",
        "OVERDUE",
        "REFERRAL",
        "BY",
    ]
    assert text[1].split() == [
        "Debbie",
        "Harper",
        "active",
        "14:40",
        "2/12",
        "2026-12-11",
        "14:40",
        "2",
        "1",
        "-",
    ]


def test_partners_next_session_follows_skips_and_moves(ppsj):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("skip", "Debbie Harper", "2026-12-04"))
    ok(ppsj("move", "Debbie Harper", "2026-12-11", "--to", "2026-12-10 09:30"))
    row = json.loads(ok(ppsj("partners", "--json", today="2026-12-01")).output)["partners"][0]
    assert row["next_session"] == "2026-12-10T09:30:00-06:00"


def test_partners_on_an_empty_vault(ppsj):
    assert ok(ppsj("partners")).output == "no partners yet: ppsj add NAME\n"


# -- skip, move --------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2026-12-05", "Debbie Harper has no session on 2026-12-05"),  # a Saturday
        ("2026-11-27", "has no session on 2026-11-27"),  # before the series
        ("2027-02-26", "has no session on 2027-02-26"),  # after its 12th week
        ("2026-12-25", "2026-12-25 is a holiday in ppsj.toml"),
    ],
)
def test_skip_and_move_refuse_a_date_that_is_not_a_session(ppsj, vault, day, message):
    set_holidays(vault, "2026-12-25")
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    before = (vault / "Partners" / "Debbie Harper.md").read_bytes()
    for command in (
        ["skip", "Debbie Harper", day],
        ["move", "Debbie Harper", day, "--to", "2027-03-01 10:00"],
    ):
        result = ppsj(*command)
        assert result.exit_code == 1
        assert message in result.output
    assert (vault / "Partners" / "Debbie Harper.md").read_bytes() == before


def test_skip_twice_and_skip_a_moved_session(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("skip", "Debbie Harper", "2026-12-11"))
    result = ppsj("skip", "Debbie Harper", "2026-12-11")
    assert result.exit_code == 1
    assert "already skipped" in result.output
    ok(ppsj("move", "Debbie Harper", "2027-01-01", "--to", "2026-12-31 14:40"))
    ok(ppsj("skip", "Debbie Harper", "2026-12-31"))  # named by where it was moved to
    m = meta(vault, "Debbie Harper")
    assert m["pps_skip"] == [dt.date(2026, 12, 11), dt.date(2027, 1, 1)]
    assert m["pps_moved"] == []
    assert m["pps_sequence"] == 3


def test_move_writes_the_contract_form_and_back_again(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    result = ok(ppsj("move", "Debbie Harper", "2027-01-01", "--to", "2026-12-31 14:40"))
    assert "moved Debbie Harper's session of 2027-01-01 to 2026-12-31 14:40" in result.output
    assert (
        'pps_moved: ["2027-01-01 -> 2026-12-31 14:40"]'
        in (vault / "Partners" / "Debbie Harper.md").read_text()
    )
    # A time alone keeps the day: --to with the date only keeps the slot's time.
    ok(ppsj("move", "Debbie Harper", "2026-12-31", "--to", "2026-12-30"))
    assert meta(vault, "Debbie Harper")["pps_moved"] == ["2027-01-01 -> 2026-12-30 14:40"]
    ok(ppsj("move", "Debbie Harper", "2026-12-30", "--to", "2027-01-01 14:40"))
    assert meta(vault, "Debbie Harper")["pps_moved"] == []
    result = ppsj("move", "Debbie Harper", "2027-01-01", "--to", "2027-01-01 14:40")
    assert result.exit_code == 1
    assert "already at 2027-01-01 14:40" in result.output


def test_move_refuses_a_taken_time_naming_who_holds_it(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("add", "Tom Okafor", "--at", "13:00"))
    result = ppsj("move", "Debbie Harper", "2026-12-11", "--to", "2026-12-11 13:10")
    assert result.exit_code == 1
    assert "13:00 on 2026-12-11 is taken by Tom Okafor" in result.output
    # Nor onto another of her own sessions.
    result = ppsj("move", "Debbie Harper", "2026-12-11", "--to", "2026-12-18 14:40")
    assert result.exit_code == 1
    assert "taken by Debbie Harper" in result.output


@pytest.mark.parametrize("to", ["x", "2026-12-11 25:00", "2026-12-11 14:40 extra", ""])
def test_move_bad_to_is_a_usage_error(ppsj, to):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    result = ppsj("move", "Debbie Harper", "2026-12-11", "--to", to)
    assert result.exit_code == 2
    message = f"ppsj: --to: {to!r} is not a date and time (YYYY-MM-DD HH:MM)"
    assert result.output.strip() == message


def test_unknown_partner(ppsj):
    for command in (["skip", "Nobody", "2026-12-04"], ["pause", "Nobody"], ["renew", "Nobody"]):
        result = ppsj(*command)
        assert result.exit_code == 1
        assert "no partner named 'Nobody'" in result.output


def test_skip_a_prospect_has_no_series(ppsj):
    ok(ppsj("add", "Tom Okafor"))
    result = ppsj("skip", "Tom Okafor", "2026-12-04")
    assert result.exit_code == 1
    assert "Tom Okafor has no booked series" in result.output


# -- pause, resume, renew ----------------------------------------------------


def test_pause_frees_the_slot_and_resume_takes_it_back(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("pause", "Debbie Harper"))
    assert meta(vault, "Debbie Harper")["status"] == "paused"
    assert "already paused" in ppsj("pause", "Debbie Harper").output
    ok(ppsj("resume", "Debbie Harper"))
    assert meta(vault, "Debbie Harper")["status"] == "active"
    assert "already active" in ppsj("resume", "Debbie Harper").output
    assert meta(vault, "Debbie Harper")["pps_sequence"] == 2


def test_resume_refused_when_the_slot_was_taken_meanwhile(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("pause", "Debbie Harper"))
    ok(ppsj("add", "Tom Okafor", "--at", "14:40", today="2027-01-01"))  # from 2027-01-08
    result = ppsj("resume", "Debbie Harper", today="2027-01-01")
    assert result.exit_code == 1
    assert "cannot resume: 14:40 on 2027-01-08 is taken by Tom Okafor" in result.output
    assert 'ppsj reschedule "Debbie Harper" --at TIME --from 2027-01-08' in result.output
    assert meta(vault, "Debbie Harper")["status"] == "paused"
    # As the refusal says: a new slot from that day, then the series resumes.
    ok(ppsj("reschedule", "Debbie Harper", "--at", "15:00", "--from", "2027-01-08"))
    ok(ppsj("resume", "Debbie Harper", today="2027-01-01"))


def test_resume_ignores_clashes_already_behind(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("pause", "Debbie Harper"))
    # Tom takes 14:40 for two weeks while Debbie is paused: 12-04 and 12-11.
    ok(ppsj("add", "Tom Okafor", "--at", "14:40", "--start", "2026-12-04", "--weeks", "2"))
    assert ppsj("resume", "Debbie Harper", today="2026-12-11").exit_code == 1
    ok(ppsj("resume", "Debbie Harper", today="2026-12-12"))


def test_resume_a_prospect_is_refused(ppsj):
    ok(ppsj("add", "Tom Okafor"))
    result = ppsj("resume", "Tom Okafor")
    assert result.exit_code == 1
    assert "has no series to resume" in result.output
    result = ppsj("pause", "Tom Okafor")
    assert result.exit_code == 1
    assert "Tom Okafor is prospect; only an active partner can be paused" in result.output


def test_renew_extends_a_running_series(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    result = ok(ppsj("renew", "Debbie Harper", today="2027-02-05"))
    assert "extended to 24 weeks, last session 2027-05-14" in result.output
    m = meta(vault, "Debbie Harper")
    assert (m["pps_start"], m["pps_weeks"], m["pps_sequence"]) == (dt.date(2026, 12, 4), 24, 1)
    ok(ppsj("renew", "Debbie Harper", "--weeks", "4", today="2027-02-05"))
    assert meta(vault, "Debbie Harper")["pps_weeks"] == 28


def test_renew_an_ended_series_starts_a_new_one(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("skip", "Debbie Harper", "2026-12-11"))
    result = ok(ppsj("renew", "Debbie Harper", "--weeks", "6", today="2027-03-03"))
    assert "a new series of 6 weeks from 2027-03-12" in result.output
    m = meta(vault, "Debbie Harper")
    assert (m["pps_start"], m["pps_weeks"], m["pps_skip"]) == (dt.date(2027, 3, 12), 6, [])


def test_renew_refused_when_the_weeks_after_are_taken(ppsj):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("add", "Tom Okafor", "--at", "14:40", "--start", "2027-02-26", "--weeks", "4"))
    result = ppsj("renew", "Debbie Harper", today="2027-02-05")
    assert result.exit_code == 1
    assert "14:40 on 2027-02-26 is taken by Tom Okafor" in result.output


# -- every editing command keeps the user's text byte for byte ----------------

USER_NOTE = (
    "---\n"
    "type: partner\n"
    "# Met at the Sunrise open house; prefers texts.\n"
    "email: debbie@sunrise.example\n"
    'phone: "+1 555 0100"\n'
    "company: Sunrise Realty   # since 2019\n"
    "status: active\n"
    "committed: 2026-11-20\n"
    'pps_time: "14:40"              # the slot\n'
    "pps_start: 2026-12-04\n"
    "pps_weeks: 12\n"
    "pps_skip: []\n"
    "pps_moved: []\n"
    "pps_sequence: 0                # bumped whenever the series changes\n"
    "favourite_coffee: flat white\n"
    "aliases: [Deb, D. Harper]\n"
    "tags: [partner, luxury]\n"
    "---\n"
    "# Debbie Harper\n"
    "\n"
    "Her team: Ana (TC), Marco (buyer's agent).\n"
    "pps_sequence: 7   <- body text that looks like a property\n"
    "\n"
    "- [ ] Send the buyer guide to the Lees #commitment 📅 2026-12-08\n"
    "---\n"
    "A horizontal rule above, and trailing spaces here:   \n"
)

EDITS = [
    (["skip", "Debbie Harper", "2026-12-25"], {"pps_skip", "pps_sequence"}),
    (
        ["move", "Debbie Harper", "2027-01-01", "--to", "2026-12-31 14:40"],
        {"pps_moved", "pps_sequence"},
    ),
    (["pause", "Debbie Harper"], {"status", "pps_sequence"}),
    (["renew", "Debbie Harper", "--weeks", "4"], {"pps_weeks", "pps_sequence"}),
]


def _without(text: str, keys: set[str]) -> list[str]:
    """The note's lines minus the front-matter lines of ``keys``."""
    head, body = text.split("---", 2)[1:], None
    front, body = head
    kept = [line for line in front.splitlines(keepends=True) if line.split(":")[0] not in keys]
    return ["---", *kept, "---", body]


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize(("command", "owned"), EDITS, ids=[c[0] for c, _ in EDITS])
def test_editing_commands_keep_everything_else_byte_for_byte(ppsj, vault, command, owned, newline):
    path = vault / "Partners" / "Debbie Harper.md"
    original = USER_NOTE.replace("\n", newline)
    path.write_bytes(original.encode("utf-8"))
    ok(ppsj(*command))
    new = path.read_bytes().decode("utf-8")
    assert _without(new, owned) == _without(original, owned)
    if newline == "\r\n":
        assert "\n" not in new.replace("\r\n", "")
    m = parse_note("p", new).meta
    assert m["pps_sequence"] == 1
    # The comment after the sequence survives its change.
    assert f"pps_sequence: 1                # bumped whenever the series changes{newline}" in new
    # Owned keys keep their place in the order.
    keys = [k for k in m]
    assert keys == [k for k in parse_note("p", original).meta]


def test_a_byte_order_mark_is_kept(ppsj, vault):
    path = vault / "Partners" / "Debbie Harper.md"
    path.write_bytes(b"\xef\xbb\xbf" + USER_NOTE.encode("utf-8"))
    ok(ppsj("skip", "Debbie Harper", "2026-12-25"))
    new = path.read_bytes()
    assert new.startswith(b"\xef\xbb\xbf---\ntype: partner\n")
    assert b"pps_skip: [2026-12-25]\n" in new


def test_resume_and_booking_a_prospect_keep_the_text(ppsj, vault):
    path = vault / "Partners" / "Debbie Harper.md"
    paused = USER_NOTE.replace("status: active", "status: paused")
    path.write_text(paused)
    ok(ppsj("resume", "Debbie Harper"))
    assert _without(path.read_text(), {"status", "pps_sequence"}) == _without(
        paused, {"status", "pps_sequence"}
    )

    prospect = "\n".join(
        line for line in USER_NOTE.split("\n") if not line.startswith(("pps_", "committed"))
    ).replace("status: active", "status: prospect")
    path.write_text(prospect)
    ok(ppsj("add", "Debbie Harper", "--at", "13:00"))
    new = path.read_text()
    booked = {"status", "committed", "pps_time", "pps_start", "pps_weeks", "pps_skip"}
    booked |= {"pps_moved", "pps_sequence"}
    assert _without(new, booked) == _without(prospect, booked)
    m = parse_note("p", new).meta
    assert (m["status"], m["pps_time"], m["pps_sequence"]) == ("active", "13:00", 1)
    # New keys go at the end of the front-matter, after the user's own, in the contract's order.
    assert list(m)[list(m).index("tags") + 1 :] == [
        "committed",
        "pps_time",
        "pps_start",
        "pps_weeks",
        "pps_skip",
        "pps_moved",
        "pps_sequence",
    ]


def test_a_note_changed_meanwhile_is_not_overwritten(ppsj, vault, monkeypatch):
    """The edit is refused when the file changed between reading and writing."""
    from ppsjournal import vault as vault_module

    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    path = vault / "Partners" / "Debbie Harper.md"
    real_replace = vault_module.Vault.replace

    def racing_replace(self, rel, old, new):
        path.write_bytes(old + b"typed in Obsidian meanwhile\n")
        return real_replace(self, rel, old, new)

    monkeypatch.setattr(vault_module.Vault, "replace", racing_replace)
    result = ppsj("skip", "Debbie Harper", "2026-12-11")
    assert result.exit_code == 1
    assert "changed on disk while ppsj was working; nothing written" in result.output
    assert path.read_bytes().endswith(b"typed in Obsidian meanwhile\n")
    assert "pps_skip: []" in path.read_text()


def test_add_refuses_the_name_of_a_lead(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("lead", "Sam Lee", "--partner", "Debbie Harper", "--source", "showing"))
    line = one_line_error(ppsj("add", "SAM LEE"))
    assert "Sam Lee is a lead (Leads/Sam Lee.md)" in line
    assert not partner_note(vault, "SAM LEE").exists()


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


def test_move_refuses_a_day_the_partner_already_has_a_session(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    note = partner_note(vault, "Debbie Harper")
    before = note.read_bytes()
    line = one_line_error(ppsj("move", "Debbie Harper", "2026-12-11", "--to", "2026-12-18 15:40"))
    assert "Debbie Harper already has a session on 2026-12-18 (at 14:40)" in line
    assert note.read_bytes() == before


@pytest.mark.parametrize("value", ["123", "yes", "null", "2026-01-01", "a: b", "#x", "1e3", "~"])
def test_text_that_looks_like_another_type_still_books_a_prospect(ppsj, vault, value):
    ok(ppsj("add", "Lena Ortiz"))
    ok(ppsj("add", "Lena Ortiz", "--at", "13:20", "--company", value, "--phone", value))
    doc = json.loads(ok(ppsj("partners", "--json")).output)
    assert doc["partners"][0]["company"] == value


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


# -- two bookings at once ----------------------------------------------------


# ppsj, its note writes slowed down: a process that checked the slot is still
# writing when the others check it. Written under the vault's write lock, the
# checks wait; written after an unlocked check, they all pass.
SLOW_WRITES = """
import sys, time
from ppsjournal.vault import Vault
for name in ("create", "update_keys"):
    def slow(self, *args, _write=getattr(Vault, name), **kwargs):
        time.sleep(0.5)
        return _write(self, *args, **kwargs)
    setattr(Vault, name, slow)
from ppsjournal.cli import main
main()
"""


DAY0 = "2026-11-27"


def _at_once(vault, *commands: list[str]) -> list[tuple[int, str]]:
    """Start every command as its own ppsj process, together; (exit, output) of each."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SLOW_WRITES, "--vault", str(vault), "--today", DAY0, *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        for command in commands
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    return [(p.returncode, out) for p, out in zip(procs, outputs, strict=True)]


def test_simultaneous_adds_book_one_slot_once(ppsj, vault):
    ok(ppsj("slots"))  # the store exists: every process starts from the same cache
    results = _at_once(vault, *[["add", f"P{i}", "--at", "14:40"] for i in range(6)])
    booked = [(code, out) for code, out in results if out.startswith("booked")]
    assert len(booked) == 1, results
    assert booked[0][0] == 0
    holder = booked[0][1].split(":")[0].removeprefix("booked ")
    for code, out in results:
        if not out.startswith("booked"):
            assert code == 1, out
            assert out == (
                "ppsj: slot refused: 14:40 on 2026-12-04 is taken by "
                f"{holder} (and 11 more sessions); see 'ppsj slots'\n"
            )
    # Only the holder's note was written; the slot is held once.
    assert sorted(p.stem for p in (vault / "Partners").glob("P*.md")) == [holder]
    assert "14:40" not in free(ppsj)


def test_simultaneous_moves_onto_one_slot_move_one(ppsj, vault):
    names = [f"Partner {i}" for i in range(5)]
    for name, slot in zip(names, ALL_SLOTS, strict=False):
        ok(ppsj("add", name, "--at", slot))
    to = ["2026-12-04", "--to", "2026-12-04 15:00"]
    results = _at_once(vault, *[["move", name, *to] for name in names])
    moved = [out for code, out in results if code == 0]
    assert len(moved) == 1, results
    mover = moved[0].split("moved ")[1].split("'s")[0]
    for code, out in results:
        if code != 0:
            assert code == 1 and f"15:00 on 2026-12-04 is taken by {mover}" in out, out
    for name in names:
        expected = ["2026-12-04 -> 2026-12-04 15:00"] if name == mover else []
        assert meta(vault, name)["pps_moved"] == expected

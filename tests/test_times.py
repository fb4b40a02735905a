"""Times as people say them: 14:40, 2:40pm, 2:40 PM, 2pm, and 2:40 read in the window."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ppsjournal.dates import parse_typed_time
from ppsjournal.errors import PpsjError
from tests.conftest import ok, one_line_error, partner_note, run_cli

WINDOW = (dt.time(13, 0), dt.time(16, 0))


@pytest.mark.parametrize(
    ("typed", "time"),
    [
        ("14:40", "14:40"),
        ("2:40pm", "14:40"),
        ("2:40 PM", "14:40"),
        ("2:40 p.m.", "14:40"),
        ("2pm", "14:00"),
        ("2 PM", "14:00"),
        ("12pm", "12:00"),
        ("12:30am", "00:30"),
        ("9am", "09:00"),
        ("02:40", "02:40"),  # a leading zero: the 24-hour clock
        ("10:30", "10:30"),
        ("2:40", "14:40"),  # one reading in the window
        ("1:00", "13:00"),
        (" 3:45 ", "15:45"),
    ],
)
def test_typed_times(typed, time):
    assert parse_typed_time(typed, WINDOW) == dt.time.fromisoformat(time)


def test_a_bare_hour_is_read_in_any_window_given():
    assert parse_typed_time("9:30", (dt.time(8, 0), dt.time(12, 0))) == dt.time(9, 30)
    assert parse_typed_time("2:40", (dt.time(1, 0), dt.time(4, 0))) == dt.time(2, 40)


@pytest.mark.parametrize(
    ("typed", "window", "message"),
    [
        ("9:30", WINDOW, "neither 9:30 AM nor 9:30 PM is in the PPS window 1:00 PM-4:00 PM"),
        ("2:40", (dt.time(1, 0), dt.time(23, 0)), "both 2:40 AM and 2:40 PM are in"),
        ("2:40", None, "'2:40' could be 2:40 AM or 2:40 PM: write 2:40am or 2:40pm"),
        ("14:40pm", WINDOW, "is not a time"),
        ("13pm", WINDOW, "is not a time"),
        ("24:00", WINDOW, "is not a time"),
        ("2:60", WINDOW, "is not a time"),
        ("2", WINDOW, "is not a time"),
        ("noon", WINDOW, "is not a time"),
    ],
)
def test_typed_times_refused(typed, window, message):
    with pytest.raises(PpsjError) as exc:
        parse_typed_time(typed, window)
    assert message in exc.value.message


def test_the_seed_slots_book_in_the_default_window(ppsj, vault):
    """'I've got a two o'clock slot, a 2:40 slot and a 3:45 slot.'"""
    ok(ppsj("add", "Ann Avery", "--at", "2:00pm"))
    ok(ppsj("add", "Ben Brooks", "--at", "2:40pm"))
    ok(ppsj("add", "Cal Cruz", "--at", "3:45pm"))
    for name, time in (("Ann Avery", "14:00"), ("Ben Brooks", "14:40"), ("Cal Cruz", "15:45")):
        assert f'pps_time: "{time}"' in partner_note(vault, name).read_text()


@pytest.mark.parametrize("typed", ["2:40", "2:40 PM", "2:40pm", "14:40"])
def test_add_at_as_people_say_it(ppsj, vault, typed):
    result = ok(ppsj("add", "Debbie Harper", "--at", typed))
    assert "Fridays at 2:40 PM" in result.output
    assert 'pps_time: "14:40"' in partner_note(vault, "Debbie Harper").read_text()


def test_add_at_outside_the_window_is_one_line(ppsj):
    line = one_line_error(ppsj("add", "Debbie Harper", "--at", "9:30"), 2)
    assert line.startswith("ppsj: --at: '9:30'")
    assert "neither 9:30 AM nor 9:30 PM is in the PPS window 1:00 PM-4:00 PM" in line
    assert line.endswith("write 9:30am or 9:30pm")


def test_a_time_the_window_cannot_settle_is_named_on_the_owners_clock(ppsj, vault):
    set_toml(vault, 'weekday = "friday"', "")
    set_toml(
        vault, 'window = "13:00-16:00"', 'windows = ["friday 13:00-16:00", "friday 01:00-02:00"]'
    )
    line = one_line_error(ppsj("add", "Debbie Harper", "--at", "1:30"), 2)
    assert (
        "both 1:30 AM and 1:30 PM are in any PPS window (1:00 PM-4:00 PM, 1:00 AM-2:00 AM)" in line
    )
    assert "13:" not in line
    set_toml(vault, 'clock = "12h"', 'clock = "24h"')
    line = one_line_error(ppsj("add", "Debbie Harper", "--at", "1:30"), 2)
    assert "both 01:30 and 13:30 are in any PPS window (13:00-16:00, 01:00-02:00)" in line
    assert line.endswith("write 01:30 or 13:30")


def test_move_to_a_time_as_said(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("move", "Debbie Harper", "2026-12-11", "--to", "2026-12-11 3:20pm"))
    assert "2026-12-11 -> 2026-12-11 15:20" in partner_note(vault, "Debbie Harper").read_text()


def test_without_a_vault_only_unambiguous_times(tmp_path):
    result = run_cli(tmp_path / "none", "add", "Debbie Harper", "--at", "2:40")
    line = one_line_error(result, 2)
    assert "could be 2:40 AM or 2:40 PM" in line


def test_ten_partners_fit_the_default_window(ppsj):
    doc = json.loads(ok(ppsj("slots", "--json")).output)
    assert len(doc["slots"]) >= 10 and doc["slots"][1]["time"] == "13:15"


# -- times shown as [owner] clock says -----------------------------------------


def set_toml(vault, old: str, new: str) -> None:
    toml = vault / "ppsj.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new))


def test_times_are_shown_on_the_12_hour_clock_and_stored_24_hour(ppsj, vault):
    assert 'clock = "12h"' in (vault / "ppsj.toml").read_text()  # init writes the default
    ok(ppsj("add", "Debbie Harper", "--at", "14:40", "--email", "d@sunrise.example"))
    note = partner_note(vault, "Debbie Harper").read_text()
    assert 'pps_time: "14:40"' in note and "Fridays at 2:40 PM, 12 weeks" in note
    row = ok(ppsj("partners")).output.splitlines()[1]
    assert "  2:40 PM  " in row and row.split()[6:9] == ["2026-12-04", "2:40", "PM"]
    assert json.loads(ok(ppsj("partners", "--json")).output)["partners"][0]["slot"] == "14:40"
    ok(ppsj("week", "--date", "2026-12-04"))
    session = (vault / "Sessions/2026/2026-12-04 Debbie Harper.md").read_text()
    assert 'time: "14:40"' in session
    assert "# PPS with Debbie Harper: Friday 2026-12-04 2:40 PM (week 1 of 12)" in session
    ok(ppsj("invite", "Debbie Harper", "--out", str(vault / "inv.eml")))
    assert (
        "When:      Fridays, 2:40 PM to 2:55 PM (America/Chicago time)"
        in (vault / "inv.eml").read_text()
    )


def test_the_24_hour_clock(ppsj, vault):
    set_toml(vault, 'clock = "12h"', 'clock = "24h"')
    assert "Fridays at 14:40," in ok(ppsj("add", "Debbie Harper", "--at", "2:40pm")).output
    assert "  14:40  " in ok(ppsj("partners")).output
    taken = one_line_error(ppsj("add", "Tom Okafor", "--at", "14:45"))
    assert "14:40 on 2026-12-04 is taken by Debbie Harper" in taken


def test_a_taken_slot_is_named_on_the_owners_clock(ppsj):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    line = one_line_error(ppsj("add", "Tom Okafor", "--at", "2:45pm"))
    assert "slot refused: 2:40 PM on 2026-12-04 is taken by Debbie Harper" in line


def test_a_bad_clock_names_the_key(ppsj, vault):
    set_toml(vault, 'clock = "12h"', 'clock = "12"')
    line = one_line_error(ppsj("partners"))
    assert line == "ppsj: ppsj.toml: owner.clock: must be one of 12h, 24h, got '12'"


def test_a_template_shows_a_time_with_the_clock_filter(ppsj, vault):
    (vault / "Templates").mkdir(exist_ok=True)
    (vault / "Templates" / "session.md.j2").write_text(
        "At {{ session.time | clock }} ({{ session.time }}, {{ clock }})\n"
    )
    ok(ppsj("add", "Debbie Harper", "--at", "1:05pm", "--weekday", "friday"))
    ok(ppsj("week", "--date", "2026-12-04"))
    body = (vault / "Sessions/2026/2026-12-04 Debbie Harper.md").read_text()
    assert body.endswith("At 1:05 PM (13:05, 12h)\n")


# -- slots: every free start, gaps, the next free week ----------------------------


def test_slots_offers_every_free_start_not_only_the_grid(ppsj):
    """The seed's 2:00, 2:40 and 3:45 taken: 2:15 and 2:20 are free starts too."""
    for name, at in (("Ann Avery", "2:00pm"), ("Ben Brooks", "2:40pm"), ("Cal Cruz", "3:45pm")):
        ok(ppsj("add", name, "--at", at))
    doc = json.loads(ok(ppsj("slots", "--json")).output)
    assert doc["step"] == 5 and doc["length"] == 15
    starts = doc["free_starts"]
    assert {"14:15", "14:20", "14:25", "13:45", "14:55"} <= set(starts)
    assert not {"14:00", "14:10", "14:30", "14:45", "15:35", "15:45"} & set(starts)
    assert doc["gaps"] == [
        {"first": "13:00", "last": "13:45", "end": "14:00"},
        {"first": "14:15", "last": "14:25", "end": "14:40"},
        {"first": "14:55", "last": "15:30", "end": "15:45"},
    ]
    assert [s["time"] for s in doc["slots"] if s["free"]][:4] == [
        "13:00",
        "13:15",
        "13:30",
        "13:45",
    ]
    out = ok(ppsj("slots")).output.splitlines()
    assert out[0] == "Fridays 1:00 PM-4:00 PM, 12 weeks from 2026-12-04: 8 of 12 slots free"
    assert "  1:00 PM-2:00 PM free (any start 1:00 PM to 1:45 PM)" in out
    assert "  2:15 PM-2:40 PM free (any start 2:15 PM to 2:25 PM)" in out
    assert "  1:15 PM  free" in out and "  2:00 PM  free" not in out
    # An off-grid start that the gaps offer books.
    ok(ppsj("add", "Dee Diaz", "--at", "2:20pm"))
    line = one_line_error(ppsj("add", "Eve Eng", "--at", "2:30pm"))
    assert "2:20 PM on 2026-12-04 is taken by Dee Diaz" in line


def test_a_full_window_shows_the_first_week_a_series_fits(ppsj, vault):
    set_toml(vault, 'window = "13:00-16:00"', 'window = "13:00-13:30"')
    ok(ppsj("add", "Ann Avery", "--at", "13:00", "--weeks", "3"))  # 12-04, 12-11, 12-18
    ok(ppsj("add", "Ben Brooks", "--at", "13:15"))
    doc = json.loads(ok(ppsj("slots", "--json")).output)
    assert doc["free_starts"] == [] and doc["gaps"] == []
    assert doc["next_free"] == {
        "start": "2026-12-25",
        "gaps": [{"first": "13:00", "last": "13:00", "end": "13:15"}],
    }
    out = ok(ppsj("slots")).output.splitlines()
    assert out[0].endswith(": 0 of 2 slots free")
    assert "  no start is free in all 12 weeks" in out
    assert "  next free: a series from 2026-12-25:" in out
    assert "    1:00 PM-1:15 PM free (start at 1:00 PM)" in out


# -- a second PPS window -------------------------------------------------------------

WINDOWS = 'windows = ["friday 13:00-16:00", "thursday 09:00-11:00"]'


def two_windows(vault) -> None:
    set_toml(vault, 'weekday = "friday"\nwindow = "13:00-16:00"', WINDOWS)


def test_a_second_window_books_on_its_day(ppsj, vault):
    two_windows(vault)
    result = ok(ppsj("add", "Debbie Harper", "--at", "9:30", "--weekday", "thursday"))
    assert "booked Debbie Harper: Thursdays at 9:30 AM, 12 weeks, 2026-12-10" in result.output
    note = partner_note(vault, "Debbie Harper").read_text()
    assert 'pps_time: "09:30"' in note and "pps_start: 2026-12-10" in note
    assert "Thursdays at 9:30 AM" in note
    # Friday stays the main day.
    assert "Fridays at 2:40 PM" in ok(ppsj("add", "Tom Okafor", "--at", "2:40")).output
    doc = json.loads(ok(ppsj("slots", "--json")).output)
    assert [(w["weekday"], w["window"], w["start"]) for w in doc["windows"]] == [
        ("friday", "13:00-16:00", "2026-12-04"),
        ("thursday", "09:00-11:00", "2026-12-10"),
    ]
    assert "09:30" not in doc["windows"][1]["free_starts"]
    assert "09:45" in doc["windows"][1]["free_starts"]
    out = ok(ppsj("slots", "--weekday", "thu")).output.splitlines()
    assert out[0] == "Thursdays 9:00 AM-11:00 AM, 12 weeks from 2026-12-10: 7 of 8 slots free"


def test_a_time_outside_every_window_is_refused_naming_them(ppsj, vault):
    two_windows(vault)
    line = one_line_error(ppsj("add", "Debbie Harper", "--at", "09:30"))
    assert line == (
        "ppsj: 9:30 AM on a Friday is outside a PPS window "
        "(Fridays 1:00 PM-4:00 PM, Thursdays 9:00 AM-11:00 AM; a session is 15 minutes); "
        "it fits Thursdays (--weekday thursday)"
    )
    # The session must end inside the window: 10:50 would end 11:05.
    line = one_line_error(ppsj("add", "Debbie Harper", "--at", "10:50", "--weekday", "thu"))
    assert line.startswith("ppsj: 10:50 AM on a Thursday is outside a PPS window (")
    line = one_line_error(ppsj("add", "Debbie Harper", "--at", "9:30", "--weekday", "monday"), 2)
    assert (
        "there is no PPS window on Mondays (Fridays 1:00 PM-4:00 PM, Thursdays 9:00 AM-11:00 AM"
        in line
    )
    line = one_line_error(ppsj("add", "Debbie Harper", "--at", "7pm", "--weekday", "thursday"))
    assert "7:00 PM on a Thursday is outside a PPS window" in line
    assert not partner_note(vault, "Debbie Harper").exists()


def test_the_window_check_reschedule_can_reuse():
    from ppsjournal.schedule import check_in_window, window_for
    from ppsjournal.settings import parse_settings

    s = parse_settings(
        f'[owner]\nname = "A"\nemail = "a@b.example"\ntimezone = "UTC"\n[sessions]\n{WINDOWS}\n'
    ).sessions
    assert str(window_for(s, 3, dt.time(10, 45))) == "thursday 09:00-11:00"
    assert window_for(s, 3, dt.time(10, 50)) is None  # would end 11:05
    assert window_for(s, 4, dt.time(9, 30)) is None
    assert check_in_window(dt.time(13, 0), s, 4).weekday == 4
    with pytest.raises(PpsjError):
        check_in_window(dt.time(13, 0), s, 3)


# -- the session note shows what the agenda shows ------------------------------------


def test_the_session_note_shows_overdue_lead_tasks_and_the_referral(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40", "--expect-referral", "2026-12-11"))
    ok(ppsj("lead", "Sam Lee", "--partner", "Debbie Harper", "--source", "lost-lead"))
    ok(ppsj("week", "--date", "2026-12-04", today="2026-12-04"))
    first = (vault / "Sessions/2026/2026-12-04 Debbie Harper.md").read_text()
    assert "- First referral expected by 2026-12-11." in first
    # Sam's first follow-up (due 11-28) is overdue on the session's day, as the agenda counts it.
    assert "- Overdue in [[Sam Lee]]: Reach out to Sam Lee" in first
    ok(
        ppsj(
            "lead",
            "Kim Cho",
            "--partner",
            "Debbie Harper",
            "--source",
            "referral",
            today="2026-12-08",
        )
    )
    result = ok(ppsj("week", "--date", "2026-12-11", today="2026-12-10"))
    agenda = next(line for line in result.output.splitlines() if "Debbie Harper" in line)
    assert agenda.split()[-2] == "2"  # OVERDUE on 12-10: Sam's (due 11-28) and Kim's (12-09)
    second = (vault / "Sessions/2026/2026-12-11 Debbie Harper.md").read_text()
    assert "- Referral received 2026-12-08 ([[Kim Cho]])." in second
    assert "First referral expected" not in second and "No referral date yet" not in second
    assert "- Overdue in [[Sam Lee]]" in second and "- Overdue in [[Kim Cho]]" in second

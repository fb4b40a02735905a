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
        ("9:30", WINDOW, "neither 09:30 nor 21:30 is in the PPS window 13:00-16:00"),
        ("2:40", (dt.time(1, 0), dt.time(23, 0)), "both 02:40 and 14:40 are in"),
        ("2:40", None, "'2:40' could be 02:40 or 14:40"),
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
    assert "neither 09:30 nor 21:30 is in the PPS window 13:00-16:00" in line


def test_move_to_a_time_as_said(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("move", "Debbie Harper", "2026-12-11", "--to", "2026-12-11 3:20pm"))
    assert "2026-12-11 -> 2026-12-11 15:20" in partner_note(vault, "Debbie Harper").read_text()


def test_without_a_vault_only_unambiguous_times(tmp_path):
    result = run_cli(tmp_path / "none", "add", "Debbie Harper", "--at", "2:40")
    line = one_line_error(result, 2)
    assert "could be 02:40 or 14:40" in line


def test_ten_partners_fit_the_default_window(ppsj):
    doc = json.loads(ok(ppsj("slots", "--json")).output)
    assert len(doc["slots"]) >= 10 and doc["slots"][1]["time"] == "13:15"

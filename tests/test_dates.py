"""Dates as people type them on the command line: 12/25, Dec 25, 12/25/2026."""

from __future__ import annotations

import datetime as dt

import pytest

from ppsjournal.dates import parse_typed_date
from ppsjournal.errors import PpsjError
from tests.conftest import ok, one_line_error, partner_note

TYPED = "YYYY-MM-DD, MM/DD/YYYY, MM/DD or Dec 25"


@pytest.mark.parametrize(
    ("typed", "today", "start"),
    [
        ("2026-12-04", "2026-11-27", "2026-12-04"),
        ("12/04/2026", "2026-11-27", "2026-12-04"),
        ("12/4", "2026-11-27", "2026-12-04"),
        ("Dec 4", "2026-11-27", "2026-12-04"),
        ("december 4", "2026-11-27", "2026-12-04"),
        ("DECEMBER 04", "2026-11-27", "2026-12-04"),
        # A day without a year: the next one on or after today.
        ("1/1", "2026-11-27", "2027-01-01"),
        ("Jan 1", "2026-11-27", "2027-01-01"),
    ],
)
def test_start_as_typed_is_written_iso(ppsj, vault, typed, today, start):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40", "--start", typed, today=today))
    assert f"pps_start: {start}\n" in partner_note(vault, "Debbie Harper").read_text()


def test_a_day_without_a_year_follows_the_today_option(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40", "--start", "2026-11-27", "--weeks", "3"))
    ok(ppsj("skip", "Debbie Harper", "dec 4", today="2026-11-27"))
    assert "pps_skip: [2026-12-04]" in partner_note(vault, "Debbie Harper").read_text()


def test_typed_date_and_time_for_move(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40", "--start", "2026-11-27", "--weeks", "3"))
    ok(ppsj("move", "Debbie Harper", "Dec 4", "--to", "Dec 3 13:00"))
    assert "2026-12-03" in partner_note(vault, "Debbie Harper").read_text()


@pytest.mark.parametrize(
    ("typed", "line"),
    [
        ("2/30", "--start: '2/30' is not a date: February has no day 30"),
        ("13/01/2026", "--start: '13/01/2026' is not a date: there is no month 13"),
        ("Feb 29 2027", "--start: 'Feb 29 2027' is not a date: February 2027 has no day 29"),
        ("4/31", "--start: '4/31' is not a date: April has no day 31"),
        ("Smarch 3", f"--start: 'Smarch 3' is not a date ({TYPED})"),
    ],
)
def test_an_impossible_date_is_one_line(ppsj, vault, typed, line):
    got = one_line_error(ppsj("add", "Debbie Harper", "--at", "14:40", "--start", typed), 2)
    assert got.startswith(f"ppsj: {line}")
    assert not partner_note(vault, "Debbie Harper").exists()


def test_parser_is_pure_with_today_a_parameter():
    today = dt.date(2027, 3, 1)
    assert parse_typed_date("Feb 29", today) == dt.date(2028, 2, 29)
    assert parse_typed_date("Mar 1", today) == dt.date(2027, 3, 1)
    assert parse_typed_date("Sept 9", today) == dt.date(2027, 9, 9)
    with pytest.raises(PpsjError):
        parse_typed_date("2/30", today)


def test_a_day_of_the_past_without_a_year_is_the_latest_such_day(example):
    """held, missed, history --since, report --since, spend: the day has happened."""
    from tests.conftest import DAY, run_cli

    out = ok(run_cli(example, "held", "marcus", "--date", "11/20", today=DAY)).stdout
    assert out == "Sessions/2026/2026-11-20 Marcus Bell.md: status held\n"
    ok(run_cli(example, "missed", "marcus", "--date", "Nov 20", today=DAY))
    assert "status: missed" in (example / "Sessions/2026/2026-11-20 Marcus Bell.md").read_text()
    out = ok(run_cli(example, "history", "debbie", "--since", "Nov 20", today=DAY)).stdout
    assert "since 2026-11-20" in out
    out = ok(
        run_cli(example, "report", "--since", "11/1", "--until", "11/30", "--json", today=DAY)
    ).stdout
    assert '"since": "2026-11-01"' in out and '"until": "2026-11-30"' in out
    ok(run_cli(example, "spend", "debbie", "250", "--for", "Flyers", "--date", "Dec 1", today=DAY))
    ledger = (example / "Ledger" / "Co-marketing.md").read_text(encoding="utf-8")
    assert "2026-12-01" in ledger
    # Today itself, and a date with its year, are as typed.
    out = ok(run_cli(example, "held", "debbie", "--date", "12/4", today=DAY)).stdout
    assert "2026-12-04 Debbie Harper.md" in out

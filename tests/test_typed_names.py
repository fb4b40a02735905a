"""Names as people type them: any case, no accents, a first name or a start."""

from __future__ import annotations

import pytest

from ppsjournal.errors import PpsjError
from ppsjournal.names import match_name
from tests.conftest import ok, one_line_error, partner_note

PARTNERS = ("Debbie Harper", "José Núñez", "Dee Lawson", "Erin Walsh", "Erin Walsh-Moore")


@pytest.fixture
def booked(ppsj, vault):
    for i, name in enumerate(PARTNERS):
        ok(ppsj("add", name, "--at", f"{13 + i // 3}:{(i % 3) * 20:02d}", "--start", "2026-12-04"))
    return vault


@pytest.mark.parametrize(
    ("typed", "partner"),
    [
        ("debbie harper", "Debbie Harper"),
        ("DEBBIE", "Debbie Harper"),
        ("debbie", "Debbie Harper"),
        ("deb", "Debbie Harper"),
        ("jose nunez", "José Núñez"),
        ("José", "José Núñez"),
        ("erin walsh", "Erin Walsh"),  # the whole name wins over a longer one
    ],
)
def test_skip_takes_a_name_as_typed(ppsj, booked, typed, partner):
    result = ok(ppsj("skip", typed, "2026-12-11"))
    assert partner in result.output
    assert "pps_skip: [2026-12-11]" in partner_note(booked, partner).read_text(encoding="utf-8")


def test_an_ambiguous_name_lists_the_candidates(ppsj, booked):
    line = one_line_error(ppsj("skip", "de", "2026-12-11"))
    assert line == (
        "ppsj: 'de' could be more than one partner: Debbie Harper, Dee Lawson "
        "(type more of the name)"
    )
    line = one_line_error(ppsj("skip", "erin", "2026-12-11"))
    assert "Erin Walsh, Erin Walsh-Moore" in line


def test_an_unknown_name_suggests_the_closest(ppsj, booked):
    line = one_line_error(ppsj("skip", "Debbi Harpr", "2026-12-11"))
    assert line == "ppsj: no partner named 'Debbi Harpr' (did you mean 'Debbie Harper'?)"
    line = one_line_error(ppsj("skip", "Zed", "2026-12-11"))
    assert line == "ppsj: no partner named 'Zed' (see 'ppsj partners')"


def test_lead_partner_option_and_stage_take_names_as_typed(ppsj, booked):
    ok(ppsj("lead", "Zoë Ávila", "--partner", "jose", "--source", "showing"))
    text = (booked / "Leads" / "Zoë Ávila.md").read_text(encoding="utf-8")
    assert "[[José Núñez]]" in text
    ok(ppsj("lead", "Sam Lee", "--partner", "Erin Walsh-", "--source", "referral"))
    assert "[[Erin Walsh-Moore]]" in (booked / "Leads" / "Sam Lee.md").read_text(encoding="utf-8")
    result = ok(ppsj("stage", "zoe avila", "contacted"))
    assert "Zoë Ávila: new -> contacted" in result.output
    ok(ppsj("stage", "sam", "contacted"))
    line = one_line_error(ppsj("stage", "Zoe Avilla", "prequalified"))
    assert line == "ppsj: no lead named 'Zoe Avilla' (did you mean 'Zoë Ávila'?)"


def test_match_name_is_a_pure_rule():
    names = ["Debbie Harper", "Dee Lawson"]
    assert match_name(" debbie   HARPER ", names) == "Debbie Harper"
    with pytest.raises(PpsjError, match="could be more than one lead"):
        match_name("d", names, "lead")
    with pytest.raises(PpsjError, match="did you mean 'Debbie Harper'"):
        match_name("debie", names)

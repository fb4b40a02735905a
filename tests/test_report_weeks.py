"""The report's week grid: calendar weeks labelled by the partner's session day,
a moved session in the week it moved to, no empty weeks before the first session.

The series, skip, move and session notes are made by ppsj itself (add, skip,
move, week, held, missed); the expected cells are counted from those steps.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import TODAY, ok, run_cli

FRIDAYS = ["Oct 9", "Oct 16", "Oct 23", "Oct 30", "Nov 6", "Nov 13", "Nov 20", "Nov 27", "Dec 4"]
THURSDAYS = ["Oct 8", "Oct 15", "Oct 22", "Oct 29", "Nov 5", "Nov 12", "Nov 19", "Nov 26", "Dec 3"]
MONDAYS = [
    "2026-10-05",
    "2026-10-12",
    "2026-10-19",
    "2026-10-26",
    "2026-11-02",
    "2026-11-09",
    "2026-11-16",
    "2026-11-23",
    "2026-11-30",
]


@pytest.fixture(scope="module")
def weeks_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Made once for the module: the tests only read it."""
    vault = tmp_path_factory.mktemp("weeks") / "vault"
    ok(run_cli(None, "init", str(vault), "--name", "Alex Rivera", "--email", "alex@lender.example",
               "--timezone", "America/Chicago", today=None))  # fmt: skip

    def ppsj(*args: str, today: str = TODAY):
        return run_cli(vault, *args, today=today)

    # Cy: Fridays at 14:00 from 10-09; 11-20 skipped; 11-13 moved to Monday 11-16,
    # into the week of the skipped Friday.
    ok(ppsj("add", "Cy Moss", "--at", "14:00", "--start", "2026-10-09", today="2026-10-01"))
    ok(ppsj("skip", "Cy Moss", "2026-11-20", today="2026-10-01"))
    ok(ppsj("move", "Cy Moss", "2026-11-13", "--to", "2026-11-16 10:00", today="2026-10-01"))
    # Di was booked while the PPS day was Thursday: her series keeps its Thursdays.
    toml = vault / "ppsj.toml"
    friday = toml.read_text(encoding="utf-8")
    assert 'weekday = "friday"' in friday
    toml.write_text(friday.replace('weekday = "friday"', 'weekday = "thursday"'))
    ok(ppsj("add", "Di Lane", "--at", "15:00", "--start", "2026-10-15", today="2026-10-01"))
    toml.write_text(friday)
    for saturday in ("10-03", "10-10", "10-17", "10-24", "10-31", "11-07", "11-14", "11-21"):
        ok(ppsj("week", "--date", f"2026-{saturday}"))  # Sat .. Fri: Di's Thursday, Cy's Friday
    ok(ppsj("held", "Cy Moss", "--date", "2026-10-16"))
    ok(ppsj("missed", "Cy Moss", "--date", "2026-10-23"))
    ok(ppsj("held", "Cy Moss", "--date", "2026-11-16"))
    ok(ppsj("held", "Di Lane", "--date", "2026-10-29"))
    return vault


@pytest.fixture
def ppsj(weeks_vault: Path):
    def invoke(*args: str, today: str = "2026-11-30"):
        return run_cli(weeks_vault, *args, today=today)

    return invoke


def report(ppsj, *args: str) -> dict:
    return json.loads(ok(ppsj("report", "--json", *args)).stdout)


def test_weeks_start_at_the_first_session_and_are_labelled_by_the_session_day(weeks_vault, ppsj):
    # The period starts five weeks before Cy's first session: no empty weeks are shown.
    data = report(ppsj, "--since", "2026-09-01")
    assert [w["start"] for w in data["weeks"]] == MONDAYS
    assert [w["label"] for w in data["weeks"]] == [f"Fri {d}" for d in FRIDAYS]
    assert data["weeks"][0] == {"start": "2026-10-05", "day": "2026-10-09", "label": "Fri Oct 9"}
    cy, di = data["partners"]
    assert [w["label"] for w in cy["weeks"]] == [f"Fri {d}" for d in FRIDAYS]
    assert [w["label"] for w in di["weeks"]] == [f"Thu {d}" for d in THURSDAYS]
    assert [w["day"] for w in di["weeks"]][:2] == ["2026-10-08", "2026-10-15"]
    assert [w["start"] for w in di["weeks"]] == MONDAYS
    assert [w["status"] for w in cy["weeks"]] == [
        "planned",  # 10-09, never marked
        "held",  # 10-16
        "missed",  # 10-23
        "planned",  # 10-30
        "planned",  # 11-06
        None,  # 11-13 moved out of its week
        "held",  # moved to Monday 11-16: the week of the skipped Friday 11-20
        "planned",  # 11-27
        None,  # the week of --until (11-30); its Friday has no note yet
    ]
    assert [w["status"] for w in di["weeks"]] == [
        None,  # Di starts 10-15
        "planned",
        "planned",
        "held",  # 10-29
        "planned",
        "planned",
        "planned",
        "planned",  # 11-26
        None,
    ]


def test_the_first_week_follows_the_period(weeks_vault, ppsj):
    # From 10-20 the first session note is Di's Thursday 10-22: the week of Monday 10-19.
    data = report(ppsj, "--since", "2026-10-20", "--until", "2026-11-10")
    assert [w["label"] for w in data["weeks"]] == [
        "Fri Oct 23",
        "Fri Oct 30",
        "Fri Nov 6",
        "Fri Nov 13",
    ]
    cy = data["partners"][0]
    # Cy's 10-23 (missed) and the rest; 11-13 moved away: nothing in its week
    assert [w["status"] for w in cy["weeks"]] == ["missed", "planned", "planned", None]


def test_a_period_without_sessions_has_no_weeks(weeks_vault, ppsj, tmp_path):
    data = report(ppsj, "--since", "2026-01-01", "--until", "2026-03-31")
    assert data["weeks"] == []
    assert all(p["weeks"] == [] for p in data["partners"])
    page = tmp_path / "r.html"
    ok(ppsj("report", "--since", "2026-01-01", "--until", "2026-03-31", "--html", str(page)))
    assert "No session notes in the period." in page.read_text(encoding="utf-8")


def test_the_html_grid_labels_each_cell(weeks_vault, ppsj, tmp_path):
    page = tmp_path / "r.html"
    ok(ppsj("report", "--since", "2026-09-01", "--html", str(page)))
    html = page.read_text(encoding="utf-8")
    assert 'title="Cy Moss, week of Fri Nov 20: held"' in html
    assert 'title="Cy Moss, week of Fri Nov 13: no note"' in html
    assert 'title="Di Lane, week of Thu Oct 29: held"' in html
    assert '<span class="wk">Fri Oct 9</span>' in html
    assert "Oct 2<" not in html  # no week before the first session
    assert html.count('role="cell"') == 2 * 9

"""Needs over time in `ppsj report`: opened and met in the period, per partner and
in total, what was met, and never a raw `#need` tag in what people read.

The series and session notes are written by ppsj (add, week, lead), so needs
are carried forward by ppsj's own carry; the need lines are typed into the
notes as a user would. The expected figures are counted from the steps below.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ok, run_cli

TODAY = "2026-12-04"
NOVEMBER = ("--since", "2026-11-01", "--until", "2026-11-30")


def append(vault: Path, rel: str, text: str) -> None:
    path = vault / rel
    assert path.exists(), rel
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


def replace(vault: Path, rel: str, old: str, new: str) -> None:
    path = vault / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (rel, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def session(day: str, name: str) -> str:
    return f"Sessions/2026/{day} {name}.md"


@pytest.fixture(scope="module")
def needs_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Made once for the module: the tests only read it."""
    vault = tmp_path_factory.mktemp("needs") / "vault"
    ok(run_cli(None, "init", str(vault), "--name", "Alex Rivera", "--email", "alex@lender.example",
               "--timezone", "America/Chicago", today=None))  # fmt: skip

    def ppsj(*args: str, today: str = "2026-10-01") -> None:
        ok(run_cli(vault, *args, today=today))

    ana, bo = "Ana Diaz", "Bo Ek"
    ppsj("add", ana, "--at", "14:00", "--start", "2026-10-23")
    append(
        vault,
        f"Partners/{ana}.md",
        "\n- [ ] Spanish flyer #need ➕ 2026-11-03\n"  # opened 11-03, open
        "- [ ] Old undated need #need\n"  # no ➕, not in a session note: opened in no period
        "- [x] Rate sheet #need ➕ 2026-10-20 ✅ 2026-11-10\n"  # opened 10-20, met 11-10
        "- [x] Done without a date #need\n"  # no ✅: met in no period; no ➕ either
        "- [ ] Needle work #needle\n"  # another tag: no need
        "- [x] Called the Lees #lead ✅ 2026-11-05\n",  # no need
    )
    ppsj("week", "--date", "2026-10-17", today="2026-10-17")  # writes Ana 10-23
    append(
        vault,
        session("2026-10-23", ana),
        "\n- [ ] Condo list #need 📅 2026-12-11\n"  # opened 10-23, carried ever after
        "- [ ] Inspector who speaks Spanish #need/spanish\n",  # opened 10-23
    )
    ppsj("week", "--date", "2026-10-24", today="2026-10-24")  # 10-30: both carried forward
    replace(
        vault,
        session("2026-10-30", ana),
        "- [ ] Inspector who speaks Spanish #need/spanish",
        "- [x] Inspector who speaks Spanish #need/spanish ✅ 2026-11-02",  # met 11-02
    )
    ppsj("week", "--date", "2026-10-31", today="2026-10-31")  # 11-06
    append(vault, session("2026-11-06", ana), "\n- [-] Staging photos #need\n")  # opened 11-06
    ppsj("week", "--date", "2026-11-07", today="2026-11-07")  # 11-13
    append(vault, session("2026-11-13", ana), "\n- [ ] Lender letter #need\n")  # opened 11-13
    ppsj("lead", "Sam Lee", "--partner", ana, "--source", "referral", today="2026-11-20")
    append(
        vault,
        "Leads/Sam Lee.md",
        "\n- [x] Spanish pre-approval letter #need ➕ 2026-11-20 ✅ 2026-11-25\n",
    )

    ppsj("add", bo, "--at", "15:00", "--start", "2026-11-20", today="2026-11-01")
    append(vault, f"Partners/{bo}.md", "\n- [x] Jumbo sheet #need ✅ 2026-11-10\n")  # met 11-10
    ppsj("week", "--date", "2026-11-14", today="2026-11-14")  # 11-20 of both; Ana's carried
    append(vault, session("2026-11-20", bo), "\n- [ ] Open-house signs #need\n")  # opened 11-20
    ppsj("week", "--date", "2026-11-21", today="2026-11-21")  # 11-27: carried again
    ppsj("week", "--date", "2026-11-28", today="2026-11-28")  # 12-04: and again
    append(vault, session("2026-12-04", bo), "\n- [ ] Late need #need\n")  # opened 12-04
    replace(
        vault,
        session("2026-12-04", ana),  # the live line, carried to the latest note
        "- [ ] Lender letter #need",
        "- [x] Lender letter #need ✅ 2026-12-01",  # met 12-01: after November
    )
    return vault


@pytest.fixture
def ppsj(needs_vault: Path):
    def invoke(*args: str):
        return run_cli(needs_vault, *args, today=TODAY)

    return invoke


def report(ppsj, *args: str) -> dict:
    return json.loads(ok(ppsj("report", "--json", *args)).stdout)


def test_the_needs_were_carried_by_ppsj(needs_vault):
    """The ground truth: the condo list lives in the latest note, a [>] trace in each before."""
    for day in ("2026-10-23", "2026-10-30", "2026-11-06", "2026-11-13", "2026-11-20", "2026-11-27"):
        text = (needs_vault / session(day, "Ana Diaz")).read_text(encoding="utf-8")
        assert "- [>] Condo list #need 📅 2026-12-11" in text, day
    latest = (needs_vault / session("2026-12-04", "Ana Diaz")).read_text(encoding="utf-8")
    assert "- [ ] Condo list #need 📅 2026-12-11" in latest
    signs = (needs_vault / session("2026-12-04", "Bo Ek")).read_text(encoding="utf-8")
    assert "- [ ] Open-house signs #need" in signs


def test_needs_opened_and_met_in_november(ppsj):
    data = report(ppsj, *NOVEMBER)
    ana, bo = data["partners"]
    keys = ("needs_open", "needs_met", "needs_open_now")
    # Ana opened: Spanish flyer (➕ 11-03), staging photos (11-06), lender letter
    # (11-13), pre-approval letter (➕ 11-20, in the lead note). Not: the condo list
    # and the inspector (first written 10-23), the rate sheet (➕ 10-20), the two
    # with no date at all. Met: inspector 11-02, rate sheet 11-10, pre-approval
    # 11-25 (not the lender letter, 12-01; not the cancelled photos).
    # Open now: Spanish flyer, old undated need, condo list.
    assert [ana[k] for k in keys] == [4, 3, 3]
    # Bo opened the signs (11-20; carried to 11-27 and 12-04), met the jumbo sheet
    # (11-10); the late need is of 12-04. Open now: signs, late need.
    assert [bo[k] for k in keys] == [1, 1, 2]
    assert [data["totals"][k] for k in keys] == [5, 4, 5]
    assert ana["met_needs"] == [
        {"date": "2026-11-02", "need": "Inspector who speaks Spanish"},
        {"date": "2026-11-10", "need": "Rate sheet"},
        {"date": "2026-11-25", "need": "Spanish pre-approval letter"},
    ]
    assert bo["met_needs"] == [{"date": "2026-11-10", "need": "Jumbo sheet"}]
    assert data["met_needs"] == [
        {"date": "2026-11-02", "partner": "Ana Diaz", "need": "Inspector who speaks Spanish"},
        {"date": "2026-11-10", "partner": "Ana Diaz", "need": "Rate sheet"},
        {"date": "2026-11-10", "partner": "Bo Ek", "need": "Jumbo sheet"},
        {"date": "2026-11-25", "partner": "Ana Diaz", "need": "Spanish pre-approval letter"},
    ]
    assert ana["needs"] == ["Spanish flyer", "Old undated need", "Condo list"]
    assert bo["needs"] == ["Open-house signs", "Late need"]


def test_needs_of_the_default_period(ppsj):
    data = report(ppsj)  # 2026-09-12 .. 2026-12-04
    ana, bo = data["partners"]
    # Ana opened 7: all but the two undated; met 4: the lender letter (12-01) too
    assert (ana["needs_open"], ana["needs_met"]) == (7, 4)
    # Bo opened the signs and the late need (12-04)
    assert (bo["needs_open"], bo["needs_met"]) == (2, 1)
    assert (data["totals"]["needs_open"], data["totals"]["needs_met"]) == (9, 5)
    assert [n["need"] for n in data["met_needs"]][-1] == "Lender letter"


def test_no_raw_need_tag_anywhere_people_read(ppsj, tmp_path):
    page = tmp_path / "r.html"
    text = ok(ppsj("report", *NOVEMBER, "--html", str(page), "--json")).stdout
    html = page.read_text(encoding="utf-8")
    assert "#need" not in text and "#need" not in html
    assert "<li>Old undated need</li>" in html
    assert '<span class="when">2026-11-25</span> <strong>Ana Diaz</strong>: ' in html
    assert "Spanish pre-approval letter</li>" in html
    plain = ok(ppsj("report", *NOVEMBER)).stdout
    assert "#need" not in plain
    assert "Needs met in the period" in plain
    assert "  2026-11-10  Bo Ek: Jumbo sheet" in plain.splitlines()
    ana = next(line.split() for line in plain.splitlines() if line.startswith("  Ana Diaz   "))
    assert ana  # the discipline row
    rows = [line.split() for line in plain.splitlines() if line.startswith("  Total")]
    assert rows[1][1:] == ["5", "4", "5"]  # the needs table: opened, met, open now


def test_an_old_notes_needs_count_by_their_own_dates(tmp_path):
    """Needs in a note written before the period: the store leaves out those that
    cannot count (done or given up before it), never one done or created in it."""
    vault = tmp_path / "vault"
    ok(run_cli(None, "init", str(vault), "--name", "Alex Rivera", "--email", "alex@lender.example",
               "--timezone", "America/Chicago", today=None))  # fmt: skip
    add = ("add", "Cy Fox", "--at", "14:00", "--start", "2026-10-02")
    ok(run_cli(vault, *add, today="2026-09-20"))
    ok(run_cli(vault, "week", "--date", "2026-09-26", today="2026-09-26"))  # writes 10-02
    append(
        vault,
        session("2026-10-02", "Cy Fox"),
        "\n- [x] Met long ago #need ✅ 2026-10-05\n"  # opened 10-02, met 10-05
        "- [-] Given up #need\n"  # opened 10-02, never met
        "- [x] Ticked in November #need ✅ 2026-11-12\n"  # opened 10-02, met 11-12
        "- [-] Dated later #need ➕ 2026-11-05\n",  # opened 11-05, never met
    )

    def cy(*period: str) -> dict:
        (only,) = report(lambda *a: run_cli(vault, *a, today=TODAY), *period)["partners"]
        return only

    november = cy(*NOVEMBER)
    assert (november["needs_open"], november["needs_met"], november["needs_open_now"]) == (1, 1, 0)
    assert november["met_needs"] == [{"date": "2026-11-12", "need": "Ticked in November"}]
    autumn = cy("--since", "2026-10-01")
    assert (autumn["needs_open"], autumn["needs_met"]) == (4, 2)


def test_a_need_reads_as_written_and_one_partner_as_in_all(tmp_path):
    """The store reads a need's description in SQL (not from its decoded task):
    quotes, a backslash, accents and an emoji come back as typed, a tag in
    capitals is a need; a partner's row of the whole report (every partner's
    needs and leads read at once) is the row of a report of that partner alone."""
    vault = tmp_path / "vault"
    ok(run_cli(None, "init", str(vault), "--name", "Alex Rivera", "--email", "alex@lender.example",
               "--timezone", "America/Chicago", today=None))  # fmt: skip
    ok(
        run_cli(
            vault, "add", "Cy Fox", "--at", "14:00", "--start", "2026-11-06", today="2026-11-01"
        )
    )
    ok(run_cli(vault, "add", "Di Ng", "--at", "15:00", today="2026-11-01"))
    ok(run_cli(vault, "lead", "Ed Po", "--partner", "Cy Fox", "--source", "referral",
               today="2026-11-10"))  # fmt: skip
    written = 'Flyer "se habla español" ½ C:\\docs 🏡'
    append(vault, "Partners/Cy Fox.md", f"\n- [ ] {written} #NEED/Urgent ➕ 2026-11-03\n")
    append(vault, "Leads/Ed Po.md", "\n- [x] Letter #need ➕ 2026-11-10 ✅ 2026-11-12\n")

    def rows(*args: str) -> dict:
        data = report(lambda *a: run_cli(vault, *a, today=TODAY), *NOVEMBER, *args)
        return {p["name"]: p for p in data["partners"]}

    every = rows()
    cy = every["Cy Fox"]
    assert cy["needs"] == [written]
    assert (cy["needs_open"], cy["needs_met"], cy["needs_open_now"]) == (2, 1, 1)
    assert cy["leads"]["total"] == 1 and every["Di Ng"]["leads"]["total"] == 0
    assert rows("--partner", "Cy Fox") == {"Cy Fox": cy}
    assert rows("--partner", "Di Ng") == {"Di Ng": every["Di Ng"]}

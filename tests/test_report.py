"""ppsj report: every number of the scorecard, from a vault whose notes are written by hand.

The vault below is the test's ground truth: the expected figures are counted
from the notes written here (see the comments), never copied from the output.
Today is Friday 2026-11-27; the default period is 2026-09-05 .. 2026-11-27.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ppsjournal.cli.types import TYPED_DATE as TYPED
from tests.conftest import DAY, ok, run_cli

TODAY = "2026-11-27"  # as the ppsj fixture takes it
COMMISSION = 12500  # set in ppsj.toml below, so the default 12000 would show up as wrong

DEBBIE_SESSIONS = [
    ("2026-09-04", "held"),  # before the default period: counts for nothing but --until tests
    ("2026-09-11", "held"),
    ("2026-09-18", "held"),
    ("2026-09-25", "missed"),
    ("2026-10-02", "held"),
    ("2026-10-09", "cancelled"),
    ("2026-10-16", "held"),
    # 2026-10-23: no note (a skipped week): neither counts nor breaks the streak
    ("2026-10-30", "held"),
    ("2026-11-06", "held"),
    ("2026-11-13", "held"),
    ("2026-11-20", "held"),
    ("2026-11-27", "planned"),  # today: not yet past, passed over by the streak
    ("2026-12-04", "planned"),  # after the period
]
MARCO_SESSIONS = [
    ("2026-10-30", "held"),
    ("2026-11-06", "missed"),
    ("2026-11-13", "held"),
    ("2026-11-20", "planned"),  # past and never marked held: ends Marco's streak
]
# name: (partner, source, stage, created, stage_changed)
LEADS = {
    "Sam Lee": ("Debbie Harper", "lost-lead", "closed", "2026-09-20", "2026-11-10"),
    "Ana Ruiz": ("Debbie Harper", "showing", "prequalified", "2026-10-05", "2026-10-08"),
    "Bo Chen": ("Debbie Harper", "referral", "application", "2026-10-12", "2026-11-02"),
    "Cy Dunn": ("Debbie Harper", "lost-lead", "contacted", "2026-11-01", "2026-11-03"),
    "Di Ek": ("Debbie Harper", "lost-lead", "new", "2026-11-25", "2026-11-25"),
    # created before the period, closed in it: a closing, not a lead of the period
    "Ed Old": ("Debbie Harper", "referral", "closed", "2026-07-01", "2026-09-10"),
    "Fay Lost": ("Debbie Harper", "showing", "lost", "2026-10-20", "2026-10-25"),
    "Gus Future": ("Debbie Harper", "lost-lead", "new", "2026-12-01", "2026-12-01"),
    "Hal Ito": ("Marco Diaz", "referral", "closed", "2026-10-31", "2026-11-24"),
    "Ivy Jo": ("Marco Diaz", "showing", "prequalified", "2026-08-01", "2026-08-15"),
}
XSS_NEED = "<img src=x onerror=alert(1)> staging photos"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def session(vault: Path, partner: str, day: str, status: str, week: int, body: str = "") -> None:
    write(
        vault / "Sessions" / day[:4] / f"{day} {partner}.md",
        f'---\ntype: session\npartner: "[[{partner}]]"\ndate: {day}\ntime: "14:40"\n'
        f"week: {week}\nweeks: 24\nstatus: {status}\n---\n# PPS with {partner}\n\n{body}",
    )


@pytest.fixture
def scored(vault: Path) -> Path:
    return build_scored_vault(vault)


def build_scored_vault(vault: Path) -> Path:
    """Write the partners, sessions, leads and tasks the expected figures are counted from."""
    toml = vault / "ppsj.toml"
    text = toml.read_text(encoding="utf-8")
    assert "commission_per_side = 12000" in text
    toml.write_text(
        text.replace("commission_per_side = 12000", f"commission_per_side = {COMMISSION}")
    )

    write(
        vault / "Partners" / "Debbie Harper.md",
        "---\ntype: partner\nemail: debbie@sunrise.example\ncompany: Sunrise Realty\n"
        'status: active\ncommitted: 2026-08-28\npps_time: "14:40"\npps_start: 2026-09-04\n'
        "pps_weeks: 24\npps_skip: [2026-10-23]\ntags: [partner]\n---\n# Debbie Harper\n\n"
        "- [ ] Send the buyer guide #commitment 📅 2026-11-20\n"  # open, overdue
        "- [ ] Bilingual open-house flyer #need ⏳ 2027-01-10\n"  # open need
        "- [x] Pre-qual call #lead 📅 2026-11-01 ✅ 2026-11-01\n"  # done
        "- [>] An old follow-up 📅 2026-10-01\n",  # carried forward: not open
    )
    write(
        vault / "Partners" / "Marco Diaz.md",
        "---\ntype: partner\ncompany: <b>Bold & Co</b>\nstatus: active\n"
        'pps_time: "15:20"\npps_start: 2026-10-30\n---\n# Marco Diaz\n\n'
        f"- [ ] {XSS_NEED} #need 📅 2026-12-15\n"  # open need, not overdue
        "- [-] A cancelled idea 📅 2026-11-01\n",
    )
    write(vault / "Partners" / "Pat Prospect.md", "---\ntype: partner\nstatus: prospect\n---\n")
    for week, (day, status) in enumerate(DEBBIE_SESSIONS, 1):
        body = ""
        if day == "2026-11-20":
            body = (
                "- [ ] Call the Lees #lead 📅 2026-11-30\n"  # open, not yet due
                "- [ ] Find a Spanish-speaking inspector #need 📅 2026-11-25\n"  # need, overdue
            )
        session(vault, "Debbie Harper", day, status, week, body)
    for week, (day, status) in enumerate(MARCO_SESSIONS, 1):
        session(vault, "Marco Diaz", day, status, week)
    for name, (partner, source, stage, created, changed) in LEADS.items():
        write(
            vault / "Leads" / f"{name}.md",
            f'---\ntype: lead\npartner: "[[{partner}]]"\nsource: {source}\nstage: {stage}\n'
            f"created: {created}\nstage_changed: {changed}\n---\n# {name}\n",
        )
    return vault


def report_json(ppsj, *args: str, **kwargs) -> dict:
    result = ppsj("report", "--json", *args, **kwargs)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def by_name(data: dict) -> dict[str, dict]:
    return {p["name"]: p for p in data["partners"]}


def test_default_period_is_the_twelve_weeks_ending_today(scored, ppsj):
    data = report_json(ppsj)
    assert (data["since"], data["until"]) == ("2026-09-05", "2026-11-27")
    # twelve calendar weeks, from the first with a session (Monday 09-07) to the
    # week of today, each labelled by its Friday (the PPS weekday, Debbie's too)
    weeks = data["partners"][0]["weeks"]
    assert weeks[:2] == [
        {"start": "2026-09-07", "day": "2026-09-11", "label": "Fri Sep 11", "status": "held"},
        {"start": "2026-09-14", "day": "2026-09-18", "label": "Fri Sep 18", "status": "held"},
    ]
    assert len(weeks) == 12
    assert data["weeks"][-1] == {"start": "2026-11-23", "day": "2026-11-27", "label": "Fri Nov 27"}
    assert [w["label"] for w in data["weeks"]] == [w["label"] for w in weeks]


def test_every_number_of_the_json(scored, ppsj):
    data = report_json(ppsj)
    assert [p["name"] for p in data["partners"]] == ["Debbie Harper", "Marco Diaz", "Pat Prospect"]
    p = by_name(data)
    debbie = {k: p["Debbie Harper"][k] for k in EXPECTED_DEBBIE}
    assert debbie == EXPECTED_DEBBIE
    marco = {k: p["Marco Diaz"][k] for k in EXPECTED_MARCO}
    assert marco == EXPECTED_MARCO
    pat = p["Pat Prospect"]
    assert pat["leads"] == {"lost-lead": 0, "showing": 0, "referral": 0, "total": 0}
    assert all(pat[k] == 0 for k in EXPECTED_MARCO if k != "leads")

    totals = dict(data["totals"])
    assert totals.pop("partners") == 3
    assert totals == {
        "sessions_held": 8 + 2,
        "sessions_missed": 1 + 1,
        "sessions_planned": 1 + 1,
        "sessions_cancelled": 1,
        "streak": 6,  # the longest current streak, not a sum
        "open_followups": 4 + 1,
        "overdue": 2,
        "needs_open": 1 + 0,
        "needs_met": 0,
        "needs_open_now": 2 + 1,
        "leads": {"lost-lead": 3, "showing": 2, "referral": 2, "total": 7},
        "prequalified": 4 + 1,
        "referrals": 1 + 1,
        "closings": 2 + 1,
        "commission": 3 * COMMISSION,
        # Fay, lost on 10-25 with no reason written; the rest of the money: tests/test_money.py
        "lost": 1,
        "lost_reasons": [
            {"lead": "Fay Lost", "partner": "Debbie Harper", "date": "2026-10-25", "reason": None}
        ],
        "referrals_sent": 0,
        "volume": 0,  # no lead here has a value
        "pipeline": 0,
        "lo_income": 0,
        "spend": 0,
        "income_per_dollar_spent": None,  # nothing spent
    }
    # The cohort of the 7 leads created in the period: Sam closed, Ana prequalified,
    # Bo application, Cy contacted, Di new, Fay lost, Hal closed.
    assert data["funnel"] == [
        {"stage": "passed on", "count": 7},
        {"stage": "contacted", "count": 5},
        {"stage": "prequalified", "count": 4},
        {"stage": "application", "count": 3},
        {"stage": "closed", "count": 2},
    ]
    potential = data["potential"]
    assert potential["active_partners"] == 2  # Pat is a prospect
    assert potential["commission_per_side"] == COMMISSION
    assert potential["per_partner_year"] == 12 * COMMISSION
    assert potential["year"] == 2 * 12 * COMMISSION
    assert potential["period"] == round(2 * COMMISSION * 84 * 12 / 365)


EXPECTED_DEBBIE = {
    "status": "active",
    "company": "Sunrise Realty",
    # held 09-11, 09-18, 10-02, 10-16, 10-30, 11-06, 11-13, 11-20 (09-04 is before the period)
    "sessions_held": 8,
    "sessions_missed": 1,  # 09-25
    "sessions_planned": 1,  # 11-27 (12-04 is after the period)
    "sessions_cancelled": 1,  # 10-09
    # back from 11-27 (planned today: passed over): 11-20, 11-13, 11-06, 10-30, (no note
    # 10-23), 10-16, (cancelled 10-09), 10-02, then 09-25 missed ends it
    "streak": 6,
    "open_followups": 4,  # buyer guide, flyer, call the Lees, inspector
    "overdue": 2,  # buyer guide (11-20), inspector (11-25)
    # opened in the period: the inspector (written in the 11-20 session note); the
    # flyer of the partner note has no ➕ date, so no known opening day
    "needs_open": 1,
    "needs_met": 0,
    "needs_open_now": 2,  # flyer, inspector
    # created in the period: Sam, Cy, Di (lost-lead); Ana, Fay (showing); Bo (referral)
    "leads": {"lost-lead": 3, "showing": 2, "referral": 1, "total": 6},
    "prequalified": 4,  # Sam (closed), Ana, Bo (application), Ed (closed 09-10)
    "referrals": 1,  # Bo (Ed was created before the period)
    "closings": 2,  # Sam, Ed
    "commission": 2 * COMMISSION,
    "needs": ["Bilingual open-house flyer", "Find a Spanish-speaking inspector"],
    "met_needs": [],
}
EXPECTED_MARCO = {
    "sessions_held": 2,
    "sessions_missed": 1,
    "sessions_planned": 1,  # 11-20, past but still planned: counted as planned
    "sessions_cancelled": 0,
    "streak": 0,  # the latest, 11-20, was never marked held
    "open_followups": 1,
    "overdue": 0,
    "needs_open": 0,  # the staging photos are in the partner note, with no ➕ date
    "needs_met": 0,
    "needs_open_now": 1,
    "leads": {"lost-lead": 0, "showing": 0, "referral": 1, "total": 1},  # Hal; Ivy is older
    "prequalified": 1,  # Hal
    "referrals": 1,
    "closings": 1,
    "commission": COMMISSION,
}


def test_the_weeks_grid_of_a_partner(scored, ppsj):
    weeks = by_name(report_json(ppsj))["Debbie Harper"]["weeks"]
    statuses = [w["status"] for w in weeks]
    # Fridays 09-11 .. 11-27, one per calendar week
    assert [w["label"] for w in weeks][5:7] == ["Fri Oct 16", "Fri Oct 23"]
    assert statuses == [
        "held",
        "held",
        "missed",
        "held",
        "cancelled",
        "held",
        None,
        "held",
        "held",
        "held",
        "held",
        "planned",
    ]


def test_a_period_of_october(scored, ppsj):
    data = report_json(ppsj, "--since", "2026-10-01", "--until", "2026-10-31")
    p = by_name(data)
    d, m = p["Debbie Harper"], p["Marco Diaz"]
    # Debbie: 10-02 held, 10-09 cancelled, 10-16 held, 10-30 held
    assert (d["sessions_held"], d["sessions_missed"], d["sessions_planned"]) == (3, 0, 0)
    assert d["sessions_cancelled"] == 1
    assert d["streak"] == 3  # 10-30, 10-16, 10-02, then 09-25 missed
    assert d["leads"] == {"lost-lead": 0, "showing": 2, "referral": 1, "total": 3}
    assert (d["prequalified"], d["referrals"], d["closings"], d["commission"]) == (1, 1, 0, 0)
    assert d["open_followups"] == 4  # open tasks are what the vault holds now
    assert d["overdue"] == 0  # as of 10-31 nothing was due yet
    assert (m["sessions_held"], m["streak"], m["referrals"], m["prequalified"]) == (1, 1, 1, 0)
    assert data["totals"]["closings"] == 0
    # Ana prequalified, Bo application, Fay lost, Hal closed
    assert [f["count"] for f in data["funnel"]] == [4, 3, 3, 2, 1]


def test_a_since_without_a_year_is_the_last_such_day(scored, ppsj):
    # Today is 2026-11-27: "10/01" is 2026-10-01, not 2027-10-01 (after --until).
    data = report_json(ppsj, "--since", "10/01", "--until", "2026-10-31")
    assert (data["since"], data["until"]) == ("2026-10-01", "2026-10-31")


def test_until_alone_takes_the_twelve_weeks_before_it(scored, ppsj):
    data = report_json(ppsj, "--until", "2026-11-14")
    assert (data["since"], data["until"]) == ("2026-08-23", "2026-11-14")
    d = by_name(data)["Debbie Harper"]
    # 09-04, 09-11, 09-18, 10-02, 10-16, 10-30, 11-06, 11-13
    assert d["sessions_held"] == 8
    assert d["streak"] == 5  # 11-13, 11-06, 10-30, 10-16, 10-02
    assert d["overdue"] == 0  # as of 11-14: the buyer guide is due 11-20


def test_one_partner(scored, ppsj):
    data = report_json(ppsj, "--partner", "debbie harper")
    assert [p["name"] for p in data["partners"]] == ["Debbie Harper"]
    assert data["totals"]["commission"] == 2 * COMMISSION
    assert data["totals"]["leads"]["total"] == 6
    # Debbie's cohort: Sam closed, Ana prequalified, Bo application, Cy contacted, Di, Fay
    assert [f["count"] for f in data["funnel"]] == [6, 4, 3, 2, 1]
    assert data["potential"]["active_partners"] == 1


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--partner", "Nobody"], 1, "no partner named 'Nobody'"),
        (["--since", "2026-11-01", "--until", "2026-10-01"], 2, "is after --until"),
        (["--since", "2026-13-01"], 2, f"ppsj: --since: '2026-13-01' is not a date ({TYPED})"),
        (["--until", "soon"], 2, f"ppsj: --until: 'soon' is not a date ({TYPED})"),
    ],
)
def test_errors_are_one_line(scored, ppsj, args, code, message):
    result = ppsj("report", *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bad_note_is_named_and_the_rest_is_reported(scored, ppsj):
    write(scored / "Leads" / "Broken.md", '---\ntype: lead\npartner: "[[Debbie Harper]]"\n---\n')
    result = ppsj("report", "--json")
    assert result.exit_code == 3
    assert "Leads/Broken.md" in result.stderr
    assert json.loads(result.stdout)["totals"]["closings"] == 3


def test_terminal_table_piped_is_plain_text(scored, ppsj):
    result = ppsj("report")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "\x1b[" not in out
    assert "2026-09-05 to 2026-11-27" in out
    debbie = [line for line in out.splitlines() if line.strip().startswith("Debbie Harper")]
    # the discipline row, the needs row (opened, met, open now), then the results row
    assert debbie[0].split()[2:] == ["8", "1", "1", "6", "4", "2"]
    assert debbie[1].split()[2:] == ["1", "0", "2"]
    assert debbie[2].split()[2:] == ["3", "2", "1", "6", "4", "2", "$25,000"]
    total = [line.split() for line in out.splitlines() if line.strip().startswith("Total")]
    assert total[1][1:] == ["1", "0", "3"]
    assert total[2][-1] == "$37,500"
    assert "Potential (the method's promise, not a forecast)" in out
    assert "$150,000 a year per partner" in out


def _run_in_a_terminal(vault: Path, env: dict[str, str]) -> str:
    """Run ppsj with its stdout on a pseudo-terminal, as in an interactive shell."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ppsjournal", "--vault", str(vault), "--today", TODAY, "report"],
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO once the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    return b"".join(chunks).decode("utf-8")


def test_a_terminal_gets_color_unless_no_color(scored):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(COLUMNS="120", LINES="40", TERM="xterm-256color")
    colored = _run_in_a_terminal(scored, env)
    assert "\x1b[" in colored
    assert "Debbie Harper" in colored
    plain = _run_in_a_terminal(scored, {**env, "NO_COLOR": "1"})
    assert "\x1b[" not in plain
    assert "Debbie Harper" in plain
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored).split() == plain.split()


def test_html_page_holds_the_figures_and_no_url(scored, ppsj, tmp_path):
    page = tmp_path / "report.html"
    result = ppsj("report", "--html", str(page))
    assert result.exit_code == 0, result.output
    assert f"wrote {page}" in result.stdout
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    for key, figure in {
        "sessions_held": "10",
        "sessions_missed": "2",
        "streak": "6",
        "overdue": "2",
        "leads": "7",
        "prequalified": "5",
        "referrals": "2",
        "closings": "3",
        "commission": "$37,500",
    }.items():
        assert f'data-total="{key}">{figure}<' in html
    for stage, n in {"passed on": 7, "contacted": 5, "prequalified": 4, "closed": 2}.items():
        assert f'data-funnel="{stage}">{n}<' in html
    assert html.count('<article class="card"') == 3
    assert "$300,000" in html  # the potential a year for two active partners
    assert "Potential, not a forecast" in html
    assert_self_contained(html)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def assert_self_contained(html: str) -> None:
    """No URL of any kind and nothing that could fetch: the page works offline."""
    assert not re.search(r"https?:|ftp:|file:|data:|@import|url\(", html, re.I)
    parser = _Tags()
    parser.feed(html)
    tags = {tag for tag, _ in parser.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "image", "use"}
    for tag, attrs in parser.tags:
        for name, value in attrs:
            assert name not in ("src", "href", "xlink:href", "action", "srcset"), tag
            assert "//" not in (value or ""), (tag, name, value)


def test_html_escapes_note_text(scored, ppsj, tmp_path):
    page = tmp_path / "report.html"
    assert ppsj("report", "--html", str(page)).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "<b>Bold" not in html
    assert "&lt;b&gt;Bold &amp; Co&lt;/b&gt;" in html
    assert "<img" not in html
    assert "<li>&lt;img src=x onerror=alert(1)&gt; staging photos</li>" in html


def test_html_is_deterministic_and_json_too(scored, ppsj, tmp_path):
    one, two = tmp_path / "one.html", tmp_path / "two.html"
    assert ppsj("report", "--html", str(one)).exit_code == 0
    assert ppsj("report", "--html", str(two), "--json").exit_code == 0
    assert one.read_bytes() == two.read_bytes()
    assert str(tmp_path) not in one.read_text(encoding="utf-8")


def test_an_empty_vault(ppsj, tmp_path):
    data = report_json(ppsj)
    assert data["partners"] == []
    assert data["totals"]["commission"] == 0
    assert "No partners yet" in ppsj("report").stdout
    page = tmp_path / "empty.html"
    assert ppsj("report", "--html", str(page)).exit_code == 0
    assert "No partners yet" in page.read_text(encoding="utf-8")


def test_leads_made_and_moved_by_ppsj_itself(ppsj):
    """The report reads what `ppsj add`, `ppsj lead` and `ppsj stage` write."""
    assert ppsj("add", "Debbie Harper", "--at", "14:40").exit_code == 0
    for name, source in (("Sam Lee", "lost-lead"), ("Ana Ruiz", "referral")):
        result = ppsj("lead", name, "--partner", "Debbie Harper", "--source", source)
        assert result.exit_code == 0, result.output
    assert ppsj("stage", "Sam Lee", "closed", today="2026-12-10").exit_code == 0
    assert ppsj("stage", "Ana Ruiz", "prequalified", today="2026-12-11").exit_code == 0
    data = report_json(ppsj, today="2026-12-11")
    debbie = by_name(data)["Debbie Harper"]
    assert debbie["leads"] == {"lost-lead": 1, "showing": 0, "referral": 1, "total": 2}
    assert (debbie["prequalified"], debbie["referrals"], debbie["closings"]) == (2, 1, 1)
    assert debbie["commission"] == 12000  # the default commission_per_side
    # Closed on 12-10: outside a period that ends the day before.
    before = by_name(report_json(ppsj, "--until", "2026-12-09", today="2026-12-11"))
    assert before["Debbie Harper"]["closings"] == 0


@pytest.mark.parametrize(
    "target", ["Partners/Debbie Harper.md", "ppsj.toml", "Sessions/2026/new.MD"]
)
def test_report_html_never_replaces_a_note_or_the_settings(example, target):
    path = example / target
    before = path.read_bytes() if path.exists() else None
    result = run_cli(example, "report", "--html", str(path), today=DAY)
    assert result.exit_code == 2, result.output
    assert "refusing to overwrite it" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (path.read_bytes() if path.exists() else None) == before


def test_report_html_and_invite_out_still_write_their_files(example, tmp_path):
    ok(run_cli(example, "report", "--html", str(tmp_path / "card.html"), today=DAY))
    assert (tmp_path / "card.html").read_text().startswith("<!DOCTYPE html>")
    ok(run_cli(example, "invite", "Marcus Bell", "--out", str(tmp_path / "m.eml"), today=DAY))
    assert b"METHOD:REQUEST" in (tmp_path / "m.eml").read_bytes()


def test_leads_at_the_edges_of_the_period(tmp_path):
    """The store reads only the leads a period can count (open now, or created or
    changed in it): those on its first and last days, and an old open one, count
    as in a report of the one partner (which reads all of theirs)."""
    vault = tmp_path / "vault"
    ok(run_cli(None, "init", str(vault), "--name", "Alex Rivera", "--email", "alex@lender.example",
               "--timezone", "America/Chicago", today=None))  # fmt: skip
    ok(run_cli(vault, "add", "Cy Fox", "--at", "14:00", today="2026-10-01"))
    ok(run_cli(vault, "add", "Di Ng", "--at", "15:00", today="2026-10-01"))
    leads = {
        "Closed Before": "stage: closed\ncreated: 2025-01-05\nstage_changed: 2026-10-31\n",
        "Closed First Day": "stage: closed\ncreated: 2025-01-05\nstage_changed: 2026-11-01\n",
        "Lost Last Day": "stage: lost\ncreated: 2025-01-05\nstage_changed: 2026-11-30\n",
        "Made Last Day": "stage: closed\ncreated: 2026-11-30\n",
        "Old Open": "stage: application\ncreated: 2024-01-01\n",
        "Sent First Day": "stage: closed\ncreated: 2026-11-01\ndirection: out\n",
    }
    for name, front in leads.items():
        (vault / "Leads" / f"{name}.md").write_text(
            f'---\ntype: lead\npartner: "[[Cy Fox]]"\nsource: referral\n{front}value: 200000\n'
            f"---\n# {name}\n",
            encoding="utf-8",
        )

    def rows(*args: str) -> dict:
        out = ok(run_cli(vault, "report", "--json", "--since", "2026-11-01",
                         "--until", "2026-11-30", *args, today="2026-12-04")).stdout  # fmt: skip
        return {p["name"]: p for p in json.loads(out)["partners"]}

    cy = rows()["Cy Fox"]
    got = [cy[k] for k in ("closings", "lost", "referrals_sent")] + [cy["leads"]["total"]]
    assert got == [1, 1, 1, 1]
    assert cy["pipeline"] == cy["volume"] != 0  # the old open lead's value, the closing's
    assert rows("--partner", "Cy Fox") == {"Cy Fox": cy}

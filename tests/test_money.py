"""The money of the report (issue 16, items 4-6): lead values, lost leads, referrals
sent back to the partner and the co-marketing ledger.

The vault is made through the CLI (ppsj lead, stage, refer, spend) plus two
lead notes written by hand; every expected figure is counted from it in the
comments, never copied from the output. Today is 2026-11-27; the default
period is 2026-09-05 .. 2026-11-27. lo_bps is 87.5 (0.875% of the loan).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import TODAY, ok, one_line_error, run_cli, write_note

LEDGER = "Ledger/Co-marketing.md"
COMMISSION = 12500


def _leads(ppsj) -> None:
    lead = ["--source"]
    # Debbie: Sam closes ($420,000), Ana is prequalified (385k), Bo is lost (1.2m)
    # with a reason, Cy reaches application with no value.
    ok(ppsj("lead", "Sam Lee", "--partner", "Debbie", *lead, "referral", "--value", "$420,000"))
    ok(ppsj("lead", "Ana Ruiz", "--partner", "Debbie", *lead, "showing", "--value", "385k"))
    ok(ppsj("lead", "Bo Chen", "--partner", "Debbie", *lead, "lost-lead", "--value", "1.2m"))
    ok(ppsj("lead", "Cy Dunn", "--partner", "Debbie", *lead, "lost-lead"))
    ok(ppsj("stage", "Sam Lee", "closed"))
    ok(ppsj("stage", "Ana Ruiz", "prequalified"))
    ok(ppsj("stage", "Bo Chen", "lost", "--reason", "Went with his credit union"))
    ok(ppsj("stage", "Cy Dunn", "application"))
    # Marco: Hal closes (300000), Ivy is lost with no reason written.
    ok(ppsj("lead", "Hal Ito", "--partner", "Marco", *lead, "referral", "--value", "300000"))
    ok(ppsj("lead", "Ivy Jo", "--partner", "Marco", *lead, "showing", "--value", "$275,000"))
    ok(ppsj("stage", "Hal Ito", "closed"))
    ok(ppsj("stage", "Ivy Jo", "lost"))


@pytest.fixture
def money(vault: Path, ppsj) -> Path:
    toml = vault / "ppsj.toml"
    text = toml.read_text(encoding="utf-8")
    assert "commission_per_side = 12000" in text and "\nlo_bps = 0 " in text
    text = text.replace("commission_per_side = 12000", f"commission_per_side = {COMMISSION}")
    toml.write_text(text.replace("\nlo_bps = 0 ", "\nlo_bps = 87.5 "), encoding="utf-8")
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("add", "Marco Diaz", "--at", "15:20"))
    _leads(ppsj)
    # By hand: Ed closed before the period (not in its volume); Fay, created
    # before it and still open, is in the pipeline, her value typed as text.
    write_note(
        vault,
        "Leads/Ed Old.md",
        """\
        ---
        type: lead
        partner: "[[Debbie Harper]]"
        source: referral
        stage: closed
        created: 2026-06-01
        stage_changed: 2026-08-01
        value: 500000
        ---
        """,
    )
    write_note(
        vault,
        "Leads/Fay Open.md",
        """\
        ---
        type: lead
        partner: "[[Debbie Harper]]"
        source: lost-lead
        stage: contacted
        created: 2026-06-01
        stage_changed: 2026-06-02
        value: "$310,500.50"
        ---
        """,
    )
    # Sent to the partners: one to Debbie (worth 650k: not the loan officer's
    # pipeline), two to Marco.
    ok(ppsj("refer", "Gia Out", "--to", "Debbie", "--value", "650k", "--note", "Selling her condo"))
    ok(ppsj("refer", "Jo Back", "--to", "Marco Diaz"))
    ok(ppsj("refer", "Kai Back", "--to", "marco"))
    # Spent with Debbie: 250 on 11-20 (half the cost), 1,000.50 today, 99 before the period.
    ok(ppsj("spend", "Debbie", "250", "--for", "Open house flyers", "--split", "50",
            "--date", "2026-11-20", "--invoice", "INV-12"))  # fmt: skip
    ok(ppsj("spend", "Debbie Harper", "$1,000.50", "--for", "Lunch and learn"))
    ok(ppsj("spend", "Debbie", "99", "--for", "Coffee", "--date", "2026-08-01"))
    return vault


def report(ppsj, *args: str) -> dict:
    result = ppsj("report", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


MONEY_KEYS = (
    "volume",
    "pipeline",
    "lo_income",
    "commission",
    "lost",
    "lost_reasons",
    "referrals",
    "referrals_sent",
    "spend",
    "income_per_dollar_spent",
    "leads",
    "closings",
)
BO = {"lead": "Bo Chen", "partner": "Debbie Harper", "date": TODAY}
IVY = {"lead": "Ivy Jo", "partner": "Marco Diaz", "date": TODAY}


def test_every_money_figure_of_the_json(money, ppsj):
    data = report(ppsj)
    assert data["lo_bps"] == 87.5
    partners = {p["name"]: {k: p[k] for k in MONEY_KEYS} for p in data["partners"]}
    assert partners["Debbie Harper"] == {
        "volume": 420000,  # Sam (Ed closed before the period)
        "pipeline": 385000 + 310500.5,  # Ana, Fay; Cy has no value, Gia was sent out
        "lo_income": 3675,  # 420000 x 87.5 / 10000
        "commission": COMMISSION,  # one closing
        "lost": 1,
        "lost_reasons": [{**BO, "reason": "Went with his credit union"}],
        "referrals": 1,  # Sam (Ed was created before the period; Gia is sent, not received)
        "referrals_sent": 1,  # Gia
        "spend": 1250.5,  # 250 + 1000.50 (the 99 is before the period)
        "income_per_dollar_spent": 2.94,  # 3675 / 1250.50 = 2.9388
        "leads": {"lost-lead": 2, "showing": 1, "referral": 1, "total": 4},  # no Gia
        "closings": 1,
    }
    assert partners["Marco Diaz"] == {
        "volume": 300000,  # Hal
        "pipeline": 0,
        "lo_income": 2625,  # 300000 x 87.5 / 10000
        "commission": COMMISSION,
        "lost": 1,
        "lost_reasons": [{**IVY, "reason": None}],
        "referrals": 1,  # Hal
        "referrals_sent": 2,  # Jo, Kai
        "spend": 0,
        "income_per_dollar_spent": None,  # nothing spent: no ratio
        "leads": {"lost-lead": 0, "showing": 1, "referral": 1, "total": 2},
        "closings": 1,
    }
    totals = {k: data["totals"][k] for k in MONEY_KEYS}
    assert totals == {
        "volume": 720000,
        "pipeline": 695500.5,
        "lo_income": 6300,
        "commission": 2 * COMMISSION,
        "lost": 2,
        "lost_reasons": [
            {**BO, "reason": "Went with his credit union"},
            {**IVY, "reason": None},
        ],
        "referrals": 2,
        "referrals_sent": 3,
        "spend": 1250.5,
        "income_per_dollar_spent": 5.04,  # 6300 / 1250.50 = 5.0380
        "leads": {"lost-lead": 2, "showing": 2, "referral": 2, "total": 6},
        "closings": 2,
    }
    # The funnel is the loan officer's leads only: the 6 created in the period.
    assert data["funnel"][0] == {"stage": "passed on", "count": 6}


def test_a_period_counts_what_falls_in_it(money, ppsj):
    data = report(ppsj, "--since", "2026-07-01", "--until", "2026-08-31")
    debbie = data["partners"][0]
    # Ed closed on 08-01 (500000 x 0.875% = 4375); the 99 coffee on 08-01.
    assert (debbie["volume"], debbie["lo_income"], debbie["spend"]) == (500000, 4375, 99)
    assert debbie["income_per_dollar_spent"] == 44.19  # 4375 / 99 = 44.19
    assert debbie["referrals_sent"] == 0 and debbie["lost"] == 0
    assert data["totals"]["pipeline"] == 695500.5  # the open leads as the vault holds them now


def test_the_text_report_shows_the_money(money, ppsj):
    out = ok(ppsj("report")).stdout
    assert "Money" in out and "Lost, and why:" in out
    money_total = [line for line in out.split("\nMoney\n")[1].splitlines() if "Total" in line]
    assert money_total[0].split() == [
        "Total", "2", "3", "2", "$720,000", "$695,500.50", "$6,300", "$1,250.50", "$5.04"
    ]  # fmt: skip
    assert f"{TODAY}  Bo Chen (Debbie Harper): Went with his credit union" in out
    assert f"{TODAY}  Ivy Jo (Marco Diaz): no reason written" in out


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("420000", "420000"),
        ("$420,000", "420000"),
        ("420k", "420000"),
        ("420K", "420000"),
        ("1.2m", "1200000"),
        ("$1,250.50", "1250.5"),
        (" $ 385,000 ", "385000"),
    ],
)
def test_a_value_as_people_type_it(vault, ppsj, typed, written):
    ok(ppsj("add", "Debbie Harper"))
    ok(ppsj("lead", "Sam Lee", "--partner", "Debbie", "--source", "referral", "--value", typed))
    assert f"\nvalue: {written}\n" in (vault / "Leads" / "Sam Lee.md").read_text()
    ok(ppsj("doctor"))


def test_a_bad_value_in_a_note_is_one_problem(vault, ppsj):
    ok(ppsj("add", "Debbie Harper"))
    for name, value in (("Ann", '"420 thousand"'), ("Bea", "-5"), ("Cat", '"$250k"')):
        write_note(
            vault,
            f"Leads/{name}.md",
            f'---\ntype: lead\npartner: "[[Debbie Harper]]"\nsource: referral\n'
            f"stage: application\nvalue: {value}\n---\n",
        )
    result = ppsj("doctor")
    assert result.exit_code == 1
    assert "Leads/Ann.md: property 'value' must be an amount of dollars" in result.output
    assert "Leads/Bea.md: property 'value' must not be negative" in result.output
    assert "Leads/Cat.md" not in result.output  # $250k is 250000
    data = json.loads(ppsj("report", "--json").stdout)
    assert data["totals"]["pipeline"] == 250000  # the other two are left out, named


def test_lost_reason_is_a_key_line_edit(vault, ppsj):
    ok(ppsj("add", "Debbie Harper"))
    ok(ppsj("lead", "Sam Lee", "--partner", "Debbie", "--source", "showing"))
    path = vault / "Leads" / "Sam Lee.md"
    before = path.read_text()
    line = one_line_error(ppsj("stage", "Sam Lee", "application", "--reason", "x"), code=2)
    assert "--reason is for stage lost" in line and path.read_text() == before
    ok(ppsj("stage", "Sam Lee", "lost", "--reason", "Rate: too high", today="2026-11-28"))
    after = path.read_text()
    assert after == before.replace("stage: new\n", "stage: lost\n").replace(
        "stage_changed: 2026-11-27\n",
        'stage_changed: 2026-11-28\nlost_reason: "Rate: too high"\n',
    )
    # Already lost: the reason alone changes, stage_changed stays.
    out = ok(ppsj("stage", "Sam Lee", "lost", "--reason", "Moved away")).output
    assert "still lost" in out
    assert path.read_text() == after.replace('"Rate: too high"', "Moved away")


def test_refer_writes_an_out_lead_that_nags_nobody(vault, ppsj):
    ok(ppsj("add", "Debbie Harper", "--expect-referral", "2026-11-28"))
    out = ok(ppsj("refer", "Gia Out", "--to", "debbie", "--note", "Selling her condo")).output
    assert "wrote Leads/Gia Out.md: referral sent to Debbie Harper" in out
    text = (vault / "Leads" / "Gia Out.md").read_text()
    assert text.startswith(
        '---\ntype: lead\npartner: "[[Debbie Harper]]"\nsource: referral\nstage: new\n'
        "created: 2026-11-27\nstage_changed: 2026-11-27\ndirection: out\n---\n# Gia Out\n"
    )
    assert "Selling her condo" in text and "- [ ]" not in text
    # Days later: no "still new" nag for it, and it does not answer Debbie's
    # expected referral (that is business she sends, not business sent to her).
    ok(ppsj("build", today="2026-12-04"))
    followups = (vault / "Follow-ups.md").read_text()
    assert "Gia Out" not in followups
    assert "no referral lead since" in followups
    ok(ppsj("doctor"))
    # A second note of one name is refused, as for ppsj lead.
    line = one_line_error(ppsj("refer", "gia out", "--to", "Debbie"))
    assert "Gia Out is already a lead (Leads/Gia Out.md)" in line
    assert "no partner" in one_line_error(ppsj("refer", "Hu", "--to", "Nobody"))


@pytest.mark.parametrize(
    ("amount", "said"),
    [
        ("-250", "AMOUNT: must not be negative"),
        ("$-5", "AMOUNT: must not be negative"),
        ("-$5", "AMOUNT: must not be negative"),
        ("abc", "AMOUNT: must be an amount of dollars"),
        ("12,34", "AMOUNT: must be an amount of dollars"),
        ("0", "AMOUNT must be more than $0"),
    ],
)
def test_spend_refuses_a_bad_amount(vault, ppsj, amount, said):
    ok(ppsj("add", "Debbie Harper"))
    line = one_line_error(ppsj("spend", "Debbie", amount, "--for", "Flyers"), code=2)
    assert said in line
    assert not (vault / "Ledger").exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--split", "150"], "--split must be a percent more than 0, at most 100"),
        (["--split", "half"], "--split must be a percent from 0 to 100"),
        (["--invoice", "A \u00b7 B"], "--invoice may not hold a middle dot"),
        # The ledger would read these back as the invoice or the split, not what it paid for.
        (["--for", "Invoice 77"], "--for 'Invoice 77' would read as an invoice"),
        (["--for", "split 50%"], "--for 'split 50%' would read as a split"),
    ],
)
def test_spend_refuses_bad_options(vault, ppsj, args, said):
    ok(ppsj("add", "Debbie Harper"))
    line = one_line_error(ppsj("spend", "Debbie", "250", "--for", "Flyers", *args), code=2)
    assert said in line
    assert not (vault / "Ledger").exists()
    line = one_line_error(ppsj("spend", "Debbie", "250"), code=2)
    assert "--for is required" in line


def test_spend_appends_and_keeps_the_users_lines(vault, ppsj):
    ok(ppsj("add", "Debbie Harper"))
    ok(ppsj("add", "Marco Diaz"))
    ok(ppsj("spend", "Debbie", "250", "--for", "Open house flyers", "--split", "50",
            "--invoice", "INV-12"))  # fmt: skip
    path = vault / LEDGER
    first = path.read_bytes()
    assert first.endswith(
        "- 2026-11-27 \u00b7 [[Debbie Harper]] \u00b7 $250.00 \u00b7 split 50% \u00b7 "
        "Open house flyers \u00b7 invoice INV-12\n".encode()
    )
    # The user's own lines, Windows line ends and no final line end: all kept.
    mine = (
        first.replace(b"\n", b"\r\n")
        + b"\r\nMy note: the flyers were reprinted.\r\n"
        + ("- 2026-11-20 \u00b7 [[Marco Diaz]] \u00b7 $40 \u00b7 Coffee".encode())
    )
    path.write_bytes(mine)
    ok(ppsj("spend", "Marco", "1.2k", "--for", "Sponsored webinar", "--date", "2026-11-26"))
    assert (
        path.read_bytes()
        == mine
        + (
            "\r\n- 2026-11-26 \u00b7 [[Marco Diaz]] \u00b7 $1,200.00 \u00b7 Sponsored webinar\r\n"
        ).encode()
    )
    data = json.loads(ok(ppsj("report", "--json")).stdout)
    spend = {p["name"]: p["spend"] for p in data["partners"]}
    assert spend == {"Debbie Harper": 250, "Marco Diaz": 1240}
    ok(ppsj("doctor"))


def test_a_bad_ledger_line_is_one_problem_and_the_rest_count(vault, ppsj):
    ok(ppsj("add", "Debbie Harper"))
    ok(ppsj("spend", "Debbie", "250", "--for", "Flyers"))
    path = vault / LEDGER
    with path.open("a", encoding="utf-8") as fh:
        fh.write("- 2026-11-26 lunch with Debbie, $40\n")  # line 12: no fields
        fh.write("- 2026-11-26 \u00b7 [[Debbie Harper]] \u00b7 forty \u00b7 Lunch\n")  # 13
        fh.write("- 2026-11-26 \u00b7 [[Nobody]] \u00b7 $40 \u00b7 Lunch\n")  # 14
        fh.write("- 2026-11-26 \u00b7 [[Debbie Harper]] \u00b7 $60 \u00b7 Lunch\n")  # 15
        fh.write("- a list item of my own\n")
    lines = path.read_text().splitlines()
    assert lines[11].startswith("- 2026-11-26 lunch") and lines[14].endswith("$60 \u00b7 Lunch")
    result = ppsj("doctor")
    assert result.exit_code == 1
    found = result.output.splitlines()[:-1]
    assert [line.split(": ", 1)[0] for line in found] == [f"{LEDGER}:{n}" for n in (12, 13, 14)]
    assert "the amount must be an amount of dollars" in found[1]
    assert "no partner named 'Nobody'" in found[2]
    result = ppsj("report", "--json")
    assert result.exit_code == 3  # done, but a line could not be read
    assert f"ppsj: {LEDGER}:12: ledger line:" in result.stderr
    assert json.loads(result.stdout)["totals"]["spend"] == 310  # 250 + 60


def test_spend_csv_is_a_read_only_export(vault, ppsj):
    ok(ppsj("add", "Debbie Harper"))
    ok(ppsj("add", "Marco Diaz"))
    ok(ppsj("spend", "Marco", "40", "--for", "=HYPERLINK(1)", "--date", "2026-11-26"))
    ok(ppsj("spend", "Debbie", "250", "--for", "Flyers, color", "--split", "40",
            "--invoice", "INV-12", "--date", "2026-11-20"))  # fmt: skip
    ok(ppsj("spend", "Debbie", "99.99", "--for", "Coffee", "--date", "2026-10-01"))
    before = (vault / LEDGER).stat()
    index = vault / ".ppsj"
    out = ok(ppsj("spend", "--csv", "--since", "2026-11-01")).stdout
    assert out == (
        "date,partner,amount,split_percent,total_cost,partner_share,for,invoice,line\n"
        '2026-11-20,Debbie Harper,250.00,40,625.00,375.00,"Flyers, color",INV-12,12\n'
        "2026-11-26,Marco Diaz,40.00,,,,'=HYPERLINK(1),,11\n"
    )
    assert (vault / LEDGER).stat().st_mtime_ns == before.st_mtime_ns
    assert index.is_dir()
    out = ok(ppsj("spend", "Debbie", "--csv")).stdout
    assert [line.split(",")[0] for line in out.splitlines()] == ["date", "2026-10-01", "2026-11-20"]
    assert "--csv takes only" in one_line_error(ppsj("spend", "--csv", "--for", "x"), code=2)


def test_spend_csv_of_an_empty_ledger(vault, ppsj):
    out = ok(ppsj("spend", "--csv")).stdout
    assert out == "date,partner,amount,split_percent,total_cost,partner_share,for,invoice,line\n"
    assert not (vault / "Ledger").exists()


@pytest.mark.parametrize("value", ["-1", "10001", '"1%"', "true"])
def test_lo_bps_is_checked(vault, value):
    toml = vault / "ppsj.toml"
    toml.write_text(toml.read_text().replace("\nlo_bps = 0 ", f"\nlo_bps = {value} "))
    line = one_line_error(run_cli(vault, "report"))
    assert "ppsj.toml: money.lo_bps: must be basis points" in line


def test_amounts_are_exact_to_the_cent():
    from ppsjournal.money import dollars, parse_amount

    total = sum((parse_amount("$0.10") for _ in range(3)), Decimal(0))
    assert dollars(total) == 0.3 and parse_amount("1.2m") == 1200000
    assert dollars(parse_amount(0.1) * 3) == 0.3


def test_the_html_report_shows_the_money(money, ppsj, tmp_path):
    page = tmp_path / "report.html"
    ok(ppsj("report", "--html", str(page)))
    html = page.read_text(encoding="utf-8")
    for key, figure in {
        "referrals_sent": "3",
        "lost": "2",
        "volume": "$720,000",
        "pipeline": "$695,500.50",
        "lo_income": "$6,300",
        "spend": "$1,250.50",
        "income_per_dollar_spent": "$5.04",
    }.items():
        assert f'data-total="{key}">{figure}<' in html
    assert '<td>Referrals received / sent</td><td class="n">1 / 2</td>' in html  # Marco


def test_a_spend_is_recorded_once_paid(vault, ppsj):
    ok(ppsj("add", "Debbie Harper"))
    line = one_line_error(
        ppsj("spend", "Debbie", "250", "--for", "Flyers", "--date", "2026-11-28"), code=2
    )
    assert "--date 2026-11-28 is after today (2026-11-27)" in line
    assert not (vault / "Ledger").exists()


def test_a_ledger_that_cannot_be_read_is_named_and_the_report_goes_on(vault, ppsj, tmp_path):
    ok(ppsj("add", "Debbie Harper"))
    outside = tmp_path / "outside.md"
    outside.write_text("- 2026-11-20 · [[Debbie Harper]] · $999 · Not in the vault\n")
    (vault / "Ledger").mkdir()
    (vault / LEDGER).symlink_to(outside)
    result = ppsj("report", "--json")
    assert result.exit_code == 3
    assert f"ppsj: {LEDGER}: links outside the vault; not read" in result.stderr
    assert json.loads(result.stdout)["totals"]["spend"] == 0
    line = one_line_error(ppsj("spend", "Debbie", "5", "--for", "Coffee"))
    assert line == f"ppsj: {LEDGER}: links outside the vault; not read"
    assert outside.read_text().count("\n") == 1


def test_a_spend_day_without_a_year_is_the_last_such_day(vault, ppsj):
    ok(ppsj("add", "Debbie Harper"))
    # Today is 2026-11-27: "11/20" is a week ago, not next year (refused as after today).
    ok(ppsj("spend", "Debbie", "40", "--for", "Coffee", "--date", "11/20"))
    ok(ppsj("spend", "Debbie", "50", "--for", "Lunch", "--date", "Dec 1"))  # 2025-12-01
    ok(ppsj("spend", "Debbie", "60", "--for", "Flyers", "--date", "11/27"))  # today
    lines = (vault / LEDGER).read_text(encoding="utf-8").splitlines()
    assert [line[2:12] for line in lines[-3:]] == ["2026-11-20", "2025-12-01", "2026-11-27"]
    out = ok(ppsj("spend", "--csv", "--since", "Jan 1")).stdout
    assert [line.split(",")[0] for line in out.splitlines()] == ["date", "2026-11-20", "2026-11-27"]

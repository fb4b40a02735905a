"""The example vault stays valid (issue 2) and clean (issue 4) as features are added.

The example vault is copied to a temporary folder first: tests never touch the repo's.
"""

from __future__ import annotations

import json

from tests.conftest import DAY, ok, run_cli


def test_the_example_vault_is_clean(example):
    result = ok(run_cli(example, "doctor", today=DAY))
    assert result.output.startswith("vault is clean")


def test_every_read_command_works_on_the_example_vault(example):
    partners = json.loads(ok(run_cli(example, "partners", "--json", today=DAY)).output)
    names = {p["name"]: p["status"] for p in partners["partners"]}
    assert {"active", "paused", "prospect"} <= set(names.values())
    overdue = json.loads(ok(run_cli(example, "overdue", "--json", today=DAY)).output)
    assert overdue["overdue"], "the walk-through needs overdue follow-ups on its day"
    report = json.loads(ok(run_cli(example, "report", "--json", today=DAY)).output)
    assert report["totals"]["sessions_held"] > 0
    ok(run_cli(example, "slots", "--json", today=DAY))


def test_week_then_build_on_the_example_vault(example):
    before = {p: p.read_bytes() for p in example.rglob("*.md")}
    week = json.loads(ok(run_cli(example, "week", "--json", today=DAY)).output)
    written = [s for s in week["sessions"] if s["action"] == "written"]
    assert written and all(s["carried_from"] for s in written)
    # Only the status characters of the carried lines changed in the old notes.
    for s in written:
        old = example / s["carried_from"]
        a, b = before[old].decode().splitlines(), old.read_text().splitlines()
        changed = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        assert changed and all(y == x.replace("[ ]", "[>]", 1) for x, y in changed)
    ok(run_cli(example, "build", today=DAY))
    ok(run_cli(example, "build", "--check", today=DAY))
    ok(run_cli(example, "doctor", today=DAY))


def test_the_money_of_the_example_vault(example):
    report = json.loads(ok(run_cli(example, "report", "--json", today=DAY)).output)
    money = ("volume", "pipeline", "lo_income", "lost", "referrals", "referrals_sent", "spend")
    totals = {k: report["totals"][k] for k in money}
    assert totals == {
        "volume": 315000,  # Ava Chen, closed 2026-12-01
        "pipeline": 420000 + 385000,  # Sam Lee (contacted), Nora Quinn (prequalified)
        "lo_income": 3150,  # lo_bps = 100: 1% of the volume
        "lost": 1,  # Kevin Ng
        "referrals": 1,  # Nora Quinn, from Priya
        "referrals_sent": 1,  # Luis Romero, to Priya
        "spend": 580,  # the ledger: $180 with Debbie, $400 with Priya
    }
    assert report["totals"]["income_per_dollar_spent"] == 5.43  # 3150 / 580
    assert report["totals"]["lost_reasons"] == [
        {
            "lead": "Kevin Ng",
            "partner": "Marcus Bell",
            "date": "2026-11-24",
            "reason": "Bought with cash from a family gift",
        }
    ]
    csv = ok(run_cli(example, "spend", "--csv", today=DAY)).output.splitlines()
    assert [line.split(",")[:3] for line in csv[1:]] == [
        ["2026-11-06", "Debbie Harper", "180.00"],
        ["2026-11-20", "Priya Shah", "400.00"],
    ]

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

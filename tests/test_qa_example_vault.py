"""The example vault stays valid (issue 2) and clean (issue 4) as features are added;
and --html/--out never replace a note or the settings.

The example vault is copied to a temporary folder first: tests never touch the repo's.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli

EXAMPLE = Path(__file__).resolve().parent.parent / "example-vault"
DAY = "2026-12-04"  # the Friday the example vault is "as of"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE, root)
    return root


def ok(result):
    assert result.exit_code == 0, result.output
    return result


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


def test_invite_out_never_replaces_a_note(example):
    path = example / "Partners" / "Marcus Bell.md"
    before = path.read_bytes()
    result = run_cli(example, "invite", "Marcus Bell", "--out", str(path), today=DAY)
    assert result.exit_code == 2, result.output
    assert "--out" in result.output and "refusing to overwrite it" in result.output
    assert path.read_bytes() == before


def test_report_html_and_invite_out_still_write_their_files(example, tmp_path):
    ok(run_cli(example, "report", "--html", str(tmp_path / "card.html"), today=DAY))
    assert (tmp_path / "card.html").read_text().startswith("<!DOCTYPE html>")
    ok(run_cli(example, "invite", "Marcus Bell", "--out", str(tmp_path / "m.eml"), today=DAY))
    assert b"METHOD:REQUEST" in (tmp_path / "m.eml").read_bytes()

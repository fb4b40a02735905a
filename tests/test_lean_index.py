"""Commands that read the lean index (partners, what Follow-ups.md reads, and the
notes they name) see what a full index would show them, also after a build has
marked most notes idle (their entries are then not even decoded)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ppsjournal.cache import CACHE_NAME
from tests.conftest import header_rows, run_cli, write_note

DAY = "2026-11-27"
PAST_NS = 1_700_000_000 * 10**9  # older than any cache written here: never "racy"


@pytest.fixture
def built(vault: Path) -> Path:
    """A partner and two settled leads, one outside Leads/: a build marks the leads idle."""
    assert run_cli(vault, "add", "Debbie Harper", "--at", "14:40", today=DAY).exit_code == 0
    write_note(
        vault,
        "Leads/Sam Lee.md",
        """
        ---
        type: lead
        partner: "[[Debbie Harper]]"
        source: showing
        stage: closed
        created: 2026-10-01
        ---
        """,
    )
    write_note(
        vault,
        "Archive/Ana Ruiz.md",  # a lead outside Leads/: known by its type
        """
        ---
        type: lead
        partner: "[[Debbie Harper]]"
        source: lost-lead
        stage: lost
        ---
        """,
    )
    for path in vault.rglob("*.md"):
        os.utime(path, ns=(PAST_NS, PAST_NS))
    assert run_cli(vault, "build", today=DAY).exit_code == 0
    rows = header_rows(json.loads((vault / ".ppsj" / CACHE_NAME).read_bytes()), vault / ".ppsj")
    assert rows["Leads/Sam Lee.md"]["idle"] and rows["Archive/Ana Ruiz.md"]["idle"]
    return vault


@pytest.mark.parametrize("name", ["Sam Lee", "sam lee", "Ana Ruiz"])
def test_add_refuses_the_name_of_an_idle_lead(built: Path, name: str) -> None:
    result = run_cli(built, "add", name, today=DAY)
    assert result.exit_code == 1, result.output
    assert "is a lead" in result.stderr
    assert not (built / "Partners" / f"{name}.md").exists()


@pytest.mark.parametrize("name", ["Sam Lee", " Sam Lee ", "SAM LEE"])
def test_lead_refuses_the_name_of_an_idle_lead(built: Path, name: str) -> None:
    before = (built / "Leads" / "Sam Lee.md").read_bytes()
    result = run_cli(
        built, "lead", name, "--partner", "Debbie Harper", "--source", "showing", today=DAY
    )
    assert result.exit_code == 1, result.output
    assert "is already a lead (Leads/Sam Lee.md)" in result.stderr
    assert (built / "Leads" / "Sam Lee.md").read_bytes() == before


def test_stage_finds_an_idle_lead(built: Path) -> None:
    result = run_cli(built, "stage", "Ana Ruiz", "contacted", today=DAY)
    assert result.exit_code == 0, result.output
    assert "Ana Ruiz: lost -> contacted" in result.stdout
    assert "stage: contacted\n" in (built / "Archive" / "Ana Ruiz.md").read_text("utf-8")


def test_skip_and_slots_see_every_partner(built: Path) -> None:
    # Carl's series holds 15:20: a second partner there is refused, whatever is idle.
    assert run_cli(built, "add", "Carl Ortiz", "--at", "15:20", today=DAY).exit_code == 0
    assert run_cli(built, "build", today=DAY).exit_code == 0
    slots = run_cli(built, "slots", "--json", "--all", today=DAY)
    assert slots.exit_code == 0, slots.output
    taken = run_cli(built, "add", "Eve Park", "--at", "15:20", today=DAY)
    assert taken.exit_code == 1 and "Carl Ortiz" in taken.stderr
    skipped = run_cli(built, "skip", "Debbie Harper", "2026-12-11", today=DAY)
    assert skipped.exit_code == 0, skipped.output

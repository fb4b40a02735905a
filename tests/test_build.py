"""ppsj build: unchanged outputs keep their mtime; a crash mid-write leaves no half file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PAST_NS = 1_700_000_000 * 10**9

PARTNER = (
    "---\ntype: partner\nstatus: active\nemail: debbie@sunrise.example\n"
    'pps_time: "14:40"\npps_start: 2026-12-04\npps_weeks: 12\n---\n'
    "- [ ] Send the buyer guide #need 📅 2026-11-20\n"
)


@pytest.fixture
def partner(vault: Path) -> Path:
    path = vault / "Partners" / "Debbie Harper.md"
    path.write_text(PARTNER, encoding="utf-8")
    return path


def test_unchanged_outputs_keep_their_mtime(vault: Path, partner: Path, ppsj):
    first = ppsj("build")
    assert first.exit_code == 0, first.output
    outputs = [vault / "Follow-ups.md", vault / "Calendar" / "PPS.ics"]
    assert "wrote Follow-ups.md" in first.output
    for path in outputs:
        os.utime(path, ns=(PAST_NS, PAST_NS))  # a rewrite would move it to now
    second = ppsj("build")
    assert second.exit_code == 0, second.output
    assert "up to date" in second.output
    assert [p.stat().st_mtime_ns for p in outputs] == [PAST_NS, PAST_NS]
    # and a real change is written
    partner.write_text(PARTNER.replace("buyer guide", "seller guide"), encoding="utf-8")
    third = ppsj("build")
    assert "wrote Follow-ups.md" in third.output
    assert "seller guide" in (vault / "Follow-ups.md").read_text(encoding="utf-8")
    assert (vault / "Calendar" / "PPS.ics").stat().st_mtime_ns == PAST_NS


def test_a_crash_mid_write_leaves_no_half_written_file(
    vault: Path, partner: Path, ppsj, monkeypatch: pytest.MonkeyPatch
):
    assert ppsj("build").exit_code == 0
    before = (vault / "Follow-ups.md").read_bytes()
    partner.write_text(PARTNER.replace("buyer guide", "seller guide"), encoding="utf-8")

    def crash(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", crash)
    result = ppsj("build")
    assert result.exit_code == 1
    assert "Follow-ups.md: cannot write: Input/output error" in result.output
    assert "Traceback" not in result.output
    assert (vault / "Follow-ups.md").read_bytes() == before
    leftovers = [p for p in vault.rglob("*") if p.name.startswith(".ppsj-")]
    assert leftovers == []
    monkeypatch.undo()
    assert "wrote Follow-ups.md" in ppsj("build").output
    assert b"seller guide" in (vault / "Follow-ups.md").read_bytes()


def test_check_writes_nothing(vault: Path, partner: Path, ppsj):
    result = ppsj("build", "--check")
    assert result.exit_code == 1
    assert "stale Follow-ups.md" in result.output
    assert not (vault / "Follow-ups.md").exists()
    assert ppsj("build").exit_code == 0
    assert ppsj("build", "--check").output.strip() == "up to date"


def test_build_reads_through_the_cache(vault: Path, partner: Path, ppsj):
    assert ppsj("build").exit_code == 0
    assert (vault / ".ppsj" / "index-cache.json").is_file()
    # an edit after the cache was written is seen by the next build
    partner.write_text(PARTNER.replace("2026-11-20", "2026-11-21"), encoding="utf-8")
    assert ppsj("build").exit_code == 0
    assert "2026-11-21" in (vault / "Follow-ups.md").read_text(encoding="utf-8")

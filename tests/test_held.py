"""ppsj held and ppsj missed: a session's status recorded in its note."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DAY, ok, one_line_error, run_cli

DEBBIE = "Sessions/2026/2026-12-04 Debbie Harper.md"
MARCUS = "Sessions/2026/2026-11-20 Marcus Bell.md"


def test_held_writes_the_note_week_did_not(example: Path) -> None:
    previous = example / "Sessions/2026/2026-11-20 Debbie Harper.md"
    open_before = [
        ln for ln in previous.read_text(encoding="utf-8").split("\n") if ln[:5] == "- [ ]"
    ]
    result = ok(run_cli(example, "held", "debbie", "--note", "Two showings Saturday.", today=DAY))
    assert result.stdout == (
        f"wrote {DEBBIE}: status held, note added\n"
        "  carried 4 open follow-ups from Sessions/2026/2026-11-20 Debbie Harper.md "
        "(marked [>] there)\n"
    )
    text = (example / DEBBIE).read_text(encoding="utf-8")
    assert "\nstatus: held\n" in text
    assert text.endswith("\n\nTwo showings Saturday.\n")
    # Carried as week carries: the open lines copied, [>] in the old note.
    assert len(open_before) == 4
    assert all(f"\n{line}\n" in text for line in open_before)
    after = previous.read_text(encoding="utf-8")
    assert all(line.replace("- [ ]", "- [>]", 1) in after for line in open_before)
    ok(run_cli(example, "doctor", today=DAY))
    # week finds it written and leaves it alone.
    assert f"exists       {DEBBIE} (not touched)" in ok(run_cli(example, "week", today=DAY)).stdout


def test_held_changes_only_the_status_of_an_existing_note(example: Path) -> None:
    path = example / MARCUS
    before = path.read_text(encoding="utf-8").replace("status: held", "status: planned")
    path.write_text(before, encoding="utf-8")
    result = ok(
        run_cli(example, "held", "Marcus", "--date", "2026-11-20", "--note", "Good.", today=DAY)
    )
    assert result.stdout == f"{MARCUS}: status held, note added\n"
    after = before.replace("status: planned", "status: held")
    after += ("" if after.endswith("\n") else "\n") + "\nGood.\n"
    assert path.read_text(encoding="utf-8") == after


def test_missed_defaults_to_the_latest_session_on_or_before_today(example: Path) -> None:
    path = example / MARCUS
    before = path.read_text(encoding="utf-8")
    # Marcus's series has no session after 11-20 by today 11-26; his note of 11-20 is the latest.
    result = ok(run_cli(example, "missed", "Marcus Bell", today="2026-11-26"))
    assert result.stdout == f"{MARCUS}: status missed\n"
    status = next(line for line in before.splitlines() if line.startswith("status:"))
    assert path.read_text(encoding="utf-8") == before.replace(status, "status: missed")


def test_a_day_without_a_session_is_refused(example: Path) -> None:
    before = sorted(p.name for p in (example / "Sessions").rglob("*.md"))
    message = one_line_error(run_cli(example, "held", "Marcus", "--date", "2026-11-21", today=DAY))
    assert message == "ppsj: Marcus Bell has no session on 2026-11-21"
    assert sorted(p.name for p in (example / "Sessions").rglob("*.md")) == before


@pytest.mark.parametrize("value", ["Held", "MISSED", "Planned"])
def test_status_is_read_in_any_case(example: Path, value: str) -> None:
    path = example / MARCUS
    text = path.read_text(encoding="utf-8")
    status = next(line for line in text.splitlines() if line.startswith("status:"))
    path.write_text(text.replace(status, f"status: {value}"), encoding="utf-8")
    ok(run_cli(example, "doctor", today=DAY))
    report = ok(run_cli(example, "report", "--json", today=DAY))
    assert report.exit_code == 0


@pytest.mark.parametrize("command", ["held", "missed"])
def test_a_session_still_ahead_is_refused(example: Path, command: str) -> None:
    """Priya's session of 2026-12-11 has not happened on 2026-12-04: nothing is written."""
    before = sorted(p.name for p in (example / "Sessions").rglob("*.md"))
    message = one_line_error(run_cli(example, command, "priya", "--date", "2026-12-11", today=DAY))
    assert message == (
        "ppsj: Priya Shah's session on 2026-12-11 is still ahead (today is 2026-12-04); "
        "to call it off, use 'ppsj skip'"
    )
    assert sorted(p.name for p in (example / "Sessions").rglob("*.md")) == before

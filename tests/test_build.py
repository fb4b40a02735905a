"""ppsj build: unchanged outputs keep their mtime; a crash mid-write leaves no half file."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ppsjournal import app
from tests.conftest import DAY, run_cli

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


def test_build_reads_through_the_store(vault: Path, partner: Path, ppsj):
    assert ppsj("build").exit_code == 0
    assert (vault / ".ppsj" / "index.sqlite3").is_file()
    # an edit after the cache was written is seen by the next build
    partner.write_text(PARTNER.replace("2026-11-20", "2026-11-21"), encoding="utf-8")
    assert ppsj("build").exit_code == 0
    assert "2026-11-21" in (vault / "Follow-ups.md").read_text(encoding="utf-8")


def test_nothing_changed_still_notices_outputs_settings_templates_and_the_day(
    vault: Path, partner: Path, ppsj
):
    """The "up to date" shortcut never hides a change to what the outputs depend on."""
    os.utime(partner, ns=(PAST_NS, PAST_NS))
    assert ppsj("build").exit_code == 0
    assert ppsj("build").output.strip() == "up to date"
    followups = vault / "Follow-ups.md"

    # edited by hand below its banner: still ppsj's file, so rebuilt
    with followups.open("a", encoding="utf-8") as f:
        f.write("edited by hand\n")
    assert "wrote Follow-ups.md" in ppsj("build").output
    assert "edited by hand" not in followups.read_text(encoding="utf-8")
    assert "Send the buyer guide" in followups.read_text(encoding="utf-8")

    (vault / "Calendar" / "Debbie Harper.ics").unlink()
    assert "wrote Calendar/Debbie Harper.ics" in ppsj("build").output

    # a later day: the task is no longer due in 7 days but overdue by more
    later = ppsj("build", today="2026-12-20")
    assert "wrote Follow-ups.md" in later.output

    (vault / "Templates" / "follow-ups.md.j2").write_text(
        "# Custom {{ today }} (ppsj build)\n", encoding="utf-8"
    )
    assert "wrote Follow-ups.md" in ppsj("build", today="2026-12-20").output
    assert followups.read_text(encoding="utf-8") == "# Custom 2026-12-20 (ppsj build)\n"
    assert ppsj("build", today="2026-12-20").output.strip() == "up to date"


def test_a_broken_note_is_reported_on_every_build(
    vault: Path, partner: Path, ppsj, monkeypatch: pytest.MonkeyPatch
):
    bad = vault / "Leads" / "Sam Lee.md"
    bad.write_text("---\ntype: [\n---\n", encoding="utf-8")
    for path in (bad, partner):  # older than the cache: not "racy"
        os.utime(path, ns=(PAST_NS, PAST_NS))
    first = ppsj("build")
    assert first.exit_code == 3, first.output  # built, but the vault has a problem
    assert (partner.parent.parent / "Follow-ups.md").exists()  # the rest is built
    assert re.search(r"Leads/Sam Lee\.md:\d+: front-matter is not valid YAML", first.output)

    def no_render(*args):
        raise AssertionError("nothing changed: nothing should be rendered")

    monkeypatch.setattr(app, "render_outputs", no_render)
    second = ppsj("build")
    assert second.exit_code == 3, second.output
    assert "up to date" in second.output
    assert re.search(r"Leads/Sam Lee\.md:\d+: front-matter is not valid YAML", second.output)


UP_TO_DATE_IMPORTS = """
import sys
from ppsjournal.cli import main
sys.argv = ["ppsj", "--vault", sys.argv[1], "--today", "2026-11-27", "build"]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
loaded = sorted(m for m in ("jinja2", "icalendar", "ppsjournal.calendar")
                if m in sys.modules)
print(" ".join(loaded) or "none")
"""


def test_an_up_to_date_build_imports_no_rendering_code(vault: Path, partner: Path):
    import subprocess
    import sys

    os.utime(partner, ns=(PAST_NS, PAST_NS))  # older than the store: not "racy"
    argv = [sys.executable, "-c", UP_TO_DATE_IMPORTS, str(vault)]
    first = subprocess.run(argv, capture_output=True, text=True, check=True)
    assert "jinja2" in first.stdout  # the first build renders
    second = subprocess.run(argv, capture_output=True, text=True, check=True)
    assert second.stdout.split("\n")[-2] == "none", second.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("writer", [False, True])
def test_a_fifo_named_like_a_note_never_hangs_a_build(vault: Path, writer: bool) -> None:
    import subprocess
    import sys

    assert (
        run_cli(vault, "add", "Debbie Harper", "--at", "14:40", today="2026-11-27").exit_code == 0
    )
    fifo = vault / "Leads" / "Pipe.md"
    fifo.parent.mkdir(exist_ok=True)
    os.mkfifo(fifo)
    # A writer that holds the pipe open and writes nothing: a read would wait forever.
    held = os.open(fifo, os.O_RDWR | os.O_NONBLOCK) if writer else None
    try:
        argv = [sys.executable, "-m", "ppsjournal", "--vault", str(vault), "--today", DAY]
        result = subprocess.run(
            [*argv, "build"], capture_output=True, text=True, timeout=60, check=False
        )
    finally:
        if held is not None:
            os.close(held)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if writer:
        assert result.returncode == 3, result.stderr
        assert "Leads/Pipe.md: cannot read" in result.stderr
    else:  # no writer: an empty note, which is no lead (no type)
        assert result.returncode == 0, result.stderr
    assert (vault / "Calendar" / "Debbie Harper.ics").is_file()  # the rest is built
    followups = (vault / "Follow-ups.md").read_text(encoding="utf-8")
    assert ("- [[Pipe]]: cannot read" in followups) == writer

"""Two ppsj processes never interleave writes: the vault lock in .ppsj/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ppsjournal.errors import PpsjError
from ppsjournal.vault import Vault

PARTNER = (
    "---\ntype: partner\nstatus: active\nemail: p{i}@sunrise.example\n"
    'pps_time: "{slot}"\npps_start: 2026-12-04\npps_weeks: 12\n---\n'
    "- [ ] Send the buyer guide {i} #need 📅 2026-11-20\n"
)
HOLDER = """
import os, sys
from pathlib import Path
from ppsjournal.vault import Vault
vault = Vault.open(Path(sys.argv[1]))
with vault.lock():
    print("held", flush=True)
    sys.stdin.readline()           # hold until the test says so
    marker = vault.root / ".ppsj" / "released"
    marker.write_text("x")
    print(os.stat(marker).st_mtime_ns, flush=True)
"""


def ppsj_process(vault: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ppsjournal", "--vault", str(vault), "--today", "2026-11-27", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def partners(vault: Path) -> Path:
    for i in range(6):
        slot = f"{13 + i // 3}:{(i % 3) * 20:02d}"
        (vault / "Partners" / f"Partner {i}.md").write_text(
            PARTNER.format(i=i, slot=slot), encoding="utf-8"
        )
    return vault


def test_a_held_lock_makes_build_wait_then_succeed(partners: Path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(partners)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        build = ppsj_process(partners, "build")
        holder.stdin.write("go\n")
        holder.stdin.flush()
        released_ns = int(holder.stdout.readline())
        out, _ = build.communicate(timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert build.returncode == 0, out
    assert "wrote Follow-ups.md" in out
    # Ordering, not timing: the build wrote only after the holder let go.
    assert (partners / "Follow-ups.md").stat().st_mtime_ns >= released_ns


def test_waiting_too_long_is_one_clear_error(partners: Path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(partners)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        vault = Vault.open(partners)
        with pytest.raises(PpsjError) as err, vault.lock(timeout=0.2):
            pass
        assert "another ppsj is writing this vault" in str(err.value)
        assert ".ppsj/write.lock" in str(err.value)
    finally:
        holder.kill()
        holder.wait()


def test_concurrent_builds_and_writes_never_interleave(partners: Path):
    """Several builds at once (as a watcher and a command would): all succeed, one result."""
    procs = [ppsj_process(partners, "build") for _ in range(4)]
    outs = [p.communicate(timeout=180)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outs
    expected = {}
    for rel in ("Follow-ups.md", "Calendar/PPS.ics", "Calendar/Partner 0.ics"):
        expected[rel] = (partners / rel).read_bytes()
    # A clean build from scratch gives the very same bytes: nothing was torn.
    for rel in expected:
        (partners / rel).unlink()
    solo = ppsj_process(partners, "build")
    assert solo.communicate(timeout=120)[1] is None and solo.returncode == 0
    for rel, data in expected.items():
        assert (partners / rel).read_bytes() == data
    assert [p for p in partners.rglob("*") if p.name.startswith(".ppsj-")] == []
    assert b"BEGIN:VCALENDAR" in expected["Calendar/PPS.ics"]
    assert os.path.getsize(partners / "Follow-ups.md") > 0

"""Every command on a hostile vault: no internal error, exit 0/1/2, broken notes untouched.

The vault holds, beside healthy partners, a note of every kind of damage a
vault from git can bring: bad YAML, an unclosed front-matter, a list for a
type, nan and huge numbers, a NUL byte, invalid UTF-8, a conflict marker,
escape sequences, a link out of the vault and a folder link out of it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import run_cli

DAY = "2026-12-04"

BROKEN = {
    "Partners/Bad Yaml.md": b"---\ntype: partner\n  status: : x\n---\nbody\n",
    "Partners/Unclosed.md": b'---\ntype: partner\npps_time: "15:00"\n',
    "Partners/Listed.md": b"---\ntype: [partner]\nstatus: active\n---\n",
    "Partners/Nan.md": b"---\ntype: partner\npps_weeks: .nan\ncommitted: 2026-02-30\n---\n",
    "Partners/Nul.md": b"---\ntype: partner\n---\n\x00\n",
    "Partners/Latin.md": b"---\ntype: partner\ncompany: Caf\xe9\n---\n",
    "Partners/Conflict.md": (
        b"---\ntype: partner\n---\n<<<<<<< HEAD\n- [ ] a \xf0\x9f\x93\x85 2026-11-01\n"
        b"=======\n>>>>>>> theirs\n"
    ),
    "Sessions/2026/2026-11-27 Nobody.md": (
        b'---\ntype: session\npartner: "[[Nobody]]"\ndate: 2026-11-27\nweek: -1\n---\n'
        b"- [ ] \x1b[2Jescape \xf0\x9f\x93\x85 2026-11-01\n- [ ] bad \xf0\x9f\x93\x85 2026-13-01\n"
    ),
    "Leads/Odd.md": (
        b'---\ntype: lead\npartner: "[[Debbie Harper]]"\nsource: referral\nstage: won\n'
        b"value: .inf\n---\n"
    ),
}

COMMANDS = [
    ["partners"],
    ["partners", "--json"],
    ["slots"],
    ["slots", "--json", "--all"],
    ["overdue"],
    ["overdue", "--json"],
    ["doctor"],
    ["week", "--dry-run"],
    ["week", "--json", "--dry-run"],
    ["report"],
    ["report", "--json"],
    ["build", "--check"],
    ["build"],
    ["week"],
    ["skip", "Debbie Harper", "2026-12-11"],
    ["move", "Debbie Harper", "2026-12-18", "--to", "2026-12-17 14:40"],
    ["pause", "Debbie Harper"],
    ["resume", "Debbie Harper"],
    ["renew", "Debbie Harper", "--weeks", "4"],
    ["add", "Marcus Bell", "--at", "13:00"],
    ["lead", "Sam Lee", "--partner", "Debbie Harper", "--source", "showing"],
    ["stage", "Sam Lee", "prequalified"],
    ["stage", "Odd", "closed"],
    # The broken notes by name: each is named, never rewritten.
    ["skip", "Bad Yaml", "2026-12-11"],
    ["pause", "Unclosed"],
    ["renew", "Listed"],
    ["invite", "Listed", "--out", "listed.eml"],
    ["move", "Nan", "2026-12-11", "--to", "2026-12-10"],
    ["lead", "Ann", "--partner", "Latin", "--source", "referral"],
    ["report", "--partner", "Conflict"],
]


@pytest.fixture
def hostile(vault: Path, tmp_path: Path) -> Path:
    assert (
        run_cli(vault, "add", "Debbie Harper", "--at", "14:40", today="2026-11-27").exit_code == 0
    )
    for rel, data in BROKEN.items():
        path = vault / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("---\ntype: partner\n---\n")
    os.symlink(outside / "secret.md", vault / "Partners" / "Secret.md")
    os.symlink(outside, vault / "Sessions" / "elsewhere")
    # Names that are not UTF-8 (a file from an old zip): a note, and a folder.
    root = os.fsencode(vault)
    with open(root + b"/Partners/Caf\xe9 Owner.md", "wb") as fh:
        fh.write(b"---\ntype: partner\nstatus: active\n---\n")
    os.mkdir(root + b"/Sessions/Vieux \xe9t\xe9")
    with open(root + b"/Sessions/Vieux \xe9t\xe9/2026-11-20 X.md", "wb") as fh:
        fh.write(b"---\ntype: session\n---\n- [ ] x \xf0\x9f\x93\x85 2026-11-01\n")
    return vault


def test_every_command_on_a_hostile_vault(hostile: Path, monkeypatch) -> None:
    monkeypatch.chdir(hostile.parent)  # relative --out files land beside the vault
    for args in COMMANDS:
        result = run_cli(hostile, *args, today=DAY)
        shown = " ".join(args)
        assert result.exit_code in (0, 1, 2, 3), f"{shown}: {result.output}"
        assert "internal error" not in result.output, f"{shown}: {result.output}"
        assert "Traceback" not in result.output, f"{shown}: {result.output}"
        assert "\x1b" not in result.output, f"{shown}: an escape reached the terminal"
        for rel, data in BROKEN.items():
            assert (hostile / rel).read_bytes() == data, f"{shown} rewrote {rel}"
    # The healthy partner was served all along.
    assert (hostile / "Sessions/2026/2026-12-04 Debbie Harper.md").is_file()
    assert (hostile / "Leads/Sam Lee.md").is_file()
    assert (hostile.parent / "outside" / "secret.md").read_text() == "---\ntype: partner\n---\n"


def test_doctor_names_every_broken_note(hostile: Path) -> None:
    result = run_cli(hostile, "doctor", today=DAY)
    assert result.exit_code == 1
    for rel in BROKEN:
        assert f"{rel}" in result.output, rel
    assert "Partners/Secret.md: links outside the vault" in result.output


def test_a_sequence_beyond_a_calendars_range_is_a_clear_error(vault: Path) -> None:
    assert run_cli(vault, "add", "Debbie Harper", "--at", "14:40").exit_code == 0
    note = vault / "Partners" / "Debbie Harper.md"
    text = note.read_text().replace("pps_sequence: 0", "pps_sequence: 99999999999999999999")
    note.write_text(text)
    for args in (["build"], ["invite", "Debbie Harper", "--out", str(vault / "x.eml")]):
        result = run_cli(vault, *args, today=DAY)
        assert "internal error" not in result.output, result.output
        # build leaves the note out and builds the rest (3); invite is refused (1)
        assert result.exit_code == (3 if args == ["build"] else 1)
        assert "Partners/Debbie Harper.md" in result.output


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


def test_a_name_that_is_not_utf8_is_named_and_skipped(hostile: Path) -> None:
    for args in (["build"], ["overdue"], ["week", "--dry-run"], ["doctor"]):
        result = run_cli(hostile, *args, today=DAY)
        # done, the vault has problems (3); doctor's findings are its verdict (1)
        assert result.exit_code == (1 if args == ["doctor"] else 3), (args, result.output)
        # on stderr (doctor: in its report)
        assert "Partners/Caf\\xe9 Owner.md: name is not valid UTF-8" in result.output, args
        assert "Sessions/Vieux \\xe9t\\xe9/2026-11-20 X.md: name is not valid UTF-8" in (
            result.output
        ), args
    text = (hostile / "Follow-ups.md").read_text(encoding="utf-8")
    assert "[[Bad Yaml]]" in text and "[[2026-11-27 Nobody]]" in text  # the rest is built

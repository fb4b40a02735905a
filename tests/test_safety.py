"""The vault defends itself: hostile notes (see HOSTILE_NOTES in conftest.py) and
hostile text never give an internal error, never reach the terminal, and broken
notes are named and left untouched while the rest is served.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DAY, HOSTILE_NOTES, ok, partner_note, run_cli

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


def test_every_command_on_a_hostile_vault(hostile: Path, monkeypatch) -> None:
    monkeypatch.chdir(hostile.parent)  # relative --out files land beside the vault
    for args in COMMANDS:
        result = run_cli(hostile, *args, today=DAY)
        shown = " ".join(args)
        assert result.exit_code in (0, 1, 2, 3), f"{shown}: {result.output}"
        assert "internal error" not in result.output, f"{shown}: {result.output}"
        assert "Traceback" not in result.output, f"{shown}: {result.output}"
        assert "\x1b" not in result.output, f"{shown}: an escape reached the terminal"
        for rel, data in HOSTILE_NOTES.items():
            assert (hostile / rel).read_bytes() == data, f"{shown} rewrote {rel}"
    # The healthy partner was served all along.
    assert (hostile / "Sessions/2026/2026-12-04 Debbie Harper.md").is_file()
    assert (hostile / "Leads/Sam Lee.md").is_file()
    assert (hostile.parent / "outside" / "secret.md").read_text() == "---\ntype: partner\n---\n"


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


def test_escape_sequences_in_notes_do_not_reach_the_terminal(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    note = partner_note(vault, "Debbie Harper")
    with note.open("a", encoding="utf-8") as fh:
        fh.write("- [ ] \x1b[2Jcall \x1b]0;pwned\x07back #need 📅 2026-11-01\n")
        fh.write("- [ ] bad date \x1b[31m 📅 2026-02-30\n")
    result = ppsj("overdue")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b[2Jcall \\x1b]0;pwned\\x07back #need" in result.output
    assert "\x1b" not in ppsj("doctor").output
    assert "\x1b" not in ppsj("partners").output


# -- links a cloned vault carries -----------------------------------------------------

# What ppsj reads only: it may write into .ppsj/ (its own index), nothing else.
READ_ONLY = [
    ["partners"],
    ["partners", "--json"],
    ["slots"],
    ["slots", "--json", "--all"],
    ["overdue"],
    ["report"],
    ["report", "--json"],
    ["doctor"],
    ["week", "--dry-run"],
    ["build", "--check"],
]
# Every command that writes (init aside; watch is build in a loop).
WRITERS = [
    ["build"],
    ["week"],
    ["add", "Marcus Bell", "--at", "13:00"],
    ["skip", "Debbie Harper", "2026-12-11"],
    ["move", "Debbie Harper", "2026-12-18", "--to", "2026-12-17 14:40"],
    ["pause", "Debbie Harper"],
    ["resume", "Debbie Harper"],
    ["renew", "Debbie Harper", "--weeks", "4"],
    ["lead", "Sam Lee", "--partner", "Debbie Harper", "--source", "showing"],
    ["stage", "Sam Lee", "prequalified"],
    ["invite", "Debbie Harper"],
    ["invite", "Debbie Harper", "--out", "{vault}/out.eml"],
    ["invite", "Debbie Harper", "--cancel"],
    ["report", "--html", "{vault}/scorecard.html"],
    ["week", "--dry-run"],
    ["build"],
]

# Each variant: vault path -> where its link leads in the sibling folder
# "outside" (a trailing "/" makes the target a folder; "missing/..." a link
# to nothing yet, which a write through it would create).
LINK_VARIANTS = {
    "state": {
        ".ppsj": "state/",
        "Calendar/Debbie Harper invite.eml": "invite.eml",
    },
    "folders": {
        "Follow-ups.md": "Follow-ups.md",
        "Calendar": "Calendar/",
        "Sessions": "Sessions/",  # Sessions/2026 does not exist yet
        "Leads": "Leads/",
        "Templates": "Templates/",
        "scorecard.html": "scorecard.html",
        "out.eml": "out.eml",
    },
    "files": {
        ".ppsj/write.lock": "write.lock",
        ".ppsj/index.sqlite3": "index.sqlite3",
        "Calendar/PPS.ics": "PPS.ics",
        "Calendar/Debbie Harper.ics": "Debbie Harper.ics",
        "Calendar/Debbie Harper invite.eml": "invite.eml",
        "Calendar/Debbie Harper cancel.eml": "cancel.eml",
        "Sessions/2026": "2026/",
        "Partners/Marcus Bell.md": "Marcus Bell.md",
        "Templates/session.md": "session.md",
        "Follow-ups.md": "Follow-ups.md",
    },
    "dangling": {
        ".ppsj": "missing/state",
        "Follow-ups.md": "missing/Follow-ups.md",
        "Calendar": "missing/Calendar",
        "Sessions/2026": "missing/2026",
        "Leads": "missing/Leads",
        "Partners/Marcus Bell.md": "missing/Marcus Bell.md",
        "scorecard.html": "missing/scorecard.html",
    },
    "lock": {".ppsj/write.lock": "missing/write.lock"},
    "partners": {
        "Partners": "Partners/",
        "Sessions": "Sessions/",
        "Calendar/PPS.ics": "missing/PPS.ics",
    },
}


def _tree(root: Path, skip: str | None = None) -> dict[str, tuple]:
    """Every name under ``root`` (links not followed): its kind, bytes, mtime."""
    found: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        if skip is not None:
            dirnames[:] = [d for d in dirnames if d != skip]
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            st = path.lstat()
            if path.is_symlink():
                found[str(path.relative_to(root))] = ("link", os.readlink(path))
            elif path.is_dir():
                found[str(path.relative_to(root))] = ("dir", st.st_mtime_ns)
            else:
                data = path.read_bytes()
                found[str(path.relative_to(root))] = ("file", data, st.st_mtime_ns, st.st_mode)
    return found


def _plant_links(vault: Path, outside: Path, links: dict[str, str]) -> None:
    for rel, target in links.items():
        dest = outside / target.rstrip("/")
        if target.endswith("/"):
            dest.mkdir(parents=True, exist_ok=True)
            (dest / "kept.txt").write_text("outside\n")
        elif not target.startswith("missing/"):
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text("outside\n")
        link = vault / rel
        if link.is_symlink() or link.is_file():
            link.unlink()
        elif link.is_dir():
            shutil.rmtree(link)
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(dest, link)
    # Links of old can never be "touched" by accident: their mtimes are in the past.
    for path in outside.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000), follow_symlinks=False)


@pytest.mark.parametrize("variant", sorted(LINK_VARIANTS))
def test_no_command_writes_outside_the_vault_through_its_links(
    variant: str, vault: Path, tmp_path: Path
) -> None:
    ok(run_cli(vault, "add", "Debbie Harper", "--at", "14:40", "--email", "d@x.example"))
    ok(run_cli(vault, "build"))  # .ppsj, Follow-ups.md, Calendar/ as a used vault has them
    outside = tmp_path / "outside"
    outside.mkdir()
    _plant_links(vault, outside, LINK_VARIANTS[variant])
    before = _tree(outside)

    for args in READ_ONLY:
        in_vault = _tree(vault, skip=".ppsj")
        result = run_cli(vault, *args, today=DAY)
        shown = f"{variant}: ppsj {' '.join(args)}"
        assert result.exit_code in (0, 1, 3), f"{shown}: {result.output}"
        assert "Traceback" not in result.output, f"{shown}: {result.output}"
        assert "internal error" not in result.output, f"{shown}: {result.output}"
        assert _tree(vault, skip=".ppsj") == in_vault, f"{shown} wrote in the vault"
        assert _tree(outside) == before, f"{shown} wrote outside the vault"
    for args in WRITERS:
        args = [a.format(vault=vault) for a in args]
        result = run_cli(vault, *args, today=DAY)
        shown = f"{variant}: ppsj {' '.join(args)}"
        assert result.exit_code in (0, 1, 3), f"{shown}: {result.output}"
        assert "Traceback" not in result.output, f"{shown}: {result.output}"
        assert "internal error" not in result.output, f"{shown}: {result.output}"
        assert _tree(outside) == before, f"{shown} wrote outside the vault"


# -- leftovers of a write cut off ----------------------------------------------------


def test_build_removes_the_temp_files_of_a_killed_write(vault: Path, tmp_path: Path) -> None:
    ok(run_cli(vault, "add", "Debbie Harper", "--at", "14:40"))
    ok(run_cli(vault, "week", today=DAY))  # Sessions/2026/ exists
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / ".ppsj-abcdefgh.tmp").write_text("outside\n")
    old = 1_000_000_000  # 2001: long before any write in progress
    stale = [
        "Calendar/.ppsj-k2x_9qab.tmp",
        "Sessions/2026/.ppsj-0a1b2c3d.tmp",
        "Partners/.ppsj-zzzzzzzz.tmp",
        ".ppsj-q1w2e3r4.tmp",  # Follow-ups.md's
    ]
    kept = [
        "Calendar/.ppsj-notmine.tmp.bak",  # not ppsj's name
        "Calendar/.ppsj-toolongname.tmp",
        "Calendar/ppsj-abcdefgh.tmp",
        "Sessions/2026/.my-own.tmp",
    ]
    for rel in [*stale, *kept]:
        (vault / rel).write_bytes(b"half a file")
        os.utime(vault / rel, (old, old))
    fresh = vault / "Calendar" / ".ppsj-inflight.tmp"  # a write in progress right now
    fresh.write_bytes(b"being written")
    # Never through a link: neither the link (even named like ours) nor a folder linked out.
    os.symlink(outside / ".ppsj-abcdefgh.tmp", vault / "Calendar" / ".ppsj-linkedxx.tmp")
    os.symlink(outside, vault / "Sessions" / "elsewhere")
    before = _tree(outside)

    # Commands that only read, and build --check, remove nothing.
    for args in (["partners"], ["overdue"], ["doctor"], ["build", "--check"]):
        run_cli(vault, *args, today=DAY)
        assert all((vault / rel).exists() for rel in stale), args
    result = run_cli(vault, "build", today=DAY)
    assert result.exit_code in (0, 3), result.output
    for rel in stale:
        assert not (vault / rel).exists(), rel
        assert f"removed {rel} (left by a write that was cut off)" in result.output
    for rel in kept:
        assert (vault / rel).read_bytes() == b"half a file", rel
    assert fresh.read_bytes() == b"being written"
    assert (vault / "Calendar" / ".ppsj-linkedxx.tmp").is_symlink()
    assert _tree(outside) == before
    # Once gone, the next build has nothing to say about them.
    assert "left by a write" not in run_cli(vault, "build", today=DAY).output


def test_gitignore_keeps_temp_files_out_of_git(tmp_path: Path) -> None:
    owner = ["--name", "A B", "--email", "a@b.example", "--timezone", "UTC"]
    fresh = tmp_path / "fresh"
    ok(run_cli(None, "init", str(fresh), *owner, today=None))
    assert ".ppsj-*.tmp" in (fresh / ".gitignore").read_text().splitlines()
    (fresh / "Calendar" / ".ppsj-abcdefgh.tmp").write_text("half")
    subprocess.run(["git", "init", "-q", str(fresh)], check=True)
    status = subprocess.run(
        ["git", "-C", str(fresh), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".ppsj-abcdefgh.tmp" not in status and "ppsj.toml" in status
    # An existing .gitignore is left as it is, and init says what it lacks.
    own = tmp_path / "own"
    own.mkdir()
    (own / ".gitignore").write_text(".ppsj/\n")
    result = ok(run_cli(None, "init", str(own), *owner, today=None))
    assert (own / ".gitignore").read_text() == ".ppsj/\n"
    assert "add the line '.ppsj-*.tmp'" in result.output
    assert "add the line '.ppsj/'" not in result.output

"""Shared fixtures: a fresh vault made by the real `ppsj init`, and the CLI runner."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result

from ppsjournal.cli import cli

TODAY = "2026-11-27"  # a Friday; the first series booked on it starts 2026-12-04
DAY = "2026-12-04"  # that first session's Friday; the day the example vault is "as of"
EXAMPLE = Path(__file__).resolve().parent.parent / "example-vault"


def run_cli(vault: Path | None, *args: str, today: str | None = TODAY, **kwargs) -> Result:
    """Run `ppsj` in-process as a user would, with --vault and --today."""
    argv: list[str] = []
    if vault is not None:
        argv += ["--vault", str(vault)]
    if today is not None:
        argv += ["--today", today]
    return CliRunner().invoke(cli, [*argv, *args], catch_exceptions=False, **kwargs)


def write_note(vault: Path, rel: str, text: str) -> None:
    """Write a note as a user's editor would, from an indented triple-quoted text."""
    path = vault / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def ok(result: Result) -> Result:
    """The result of a command that must have succeeded."""
    assert result.exit_code == 0, result.output
    return result


def one_line_error(result: Result, code: int = 1) -> str:
    """The one line of a refused command: exit ``code``, no traceback."""
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    return lines[0]


def partner_note(vault: Path, name: str) -> Path:
    return vault / "Partners" / f"{name}.md"


def set_key(path: Path, key: str, value: str) -> str:
    """Set a property's line as a hand edit would (added after the fence if absent)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        if line.startswith(f"{key}:"):
            lines[i] = f"{key}: {value}"
            break
    else:
        lines.insert(1, f"{key}: {value}")
    text = "\n".join(lines)
    path.write_text(text, encoding="utf-8")
    return text


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """An empty vault, created by `ppsj init`."""
    root = tmp_path / "vault"
    result = run_cli(
        None,
        "init",
        str(root),
        "--name",
        "Alex Rivera",
        "--email",
        "alex@lender.example",
        "--timezone",
        "America/Chicago",
        today=None,
    )
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def ppsj(vault: Path) -> Callable[..., Result]:
    """`ppsj(*args, today=...)` on the fixture vault."""

    def invoke(*args: str, today: str | None = TODAY, **kwargs) -> Result:
        return run_cli(vault, *args, today=today, **kwargs)

    return invoke


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the repo's example vault: tests never touch the repo's."""
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE, root)
    return root


# Every kind of damage a vault from git can bring: bad YAML, an unclosed
# front-matter, a list for a type, nan and huge numbers, a NUL byte, invalid
# UTF-8, a conflict marker, escape sequences.
HOSTILE_NOTES = {
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


@pytest.fixture
def hostile(vault: Path, tmp_path: Path) -> Path:
    """A vault holding, beside the healthy partner Debbie Harper, every note of
    HOSTILE_NOTES, a link out of the vault and a folder link out of it, and
    names that are not UTF-8."""
    assert (
        run_cli(vault, "add", "Debbie Harper", "--at", "14:40", today="2026-11-27").exit_code == 0
    )
    for rel, data in HOSTILE_NOTES.items():
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


def header_rows(head: dict, state: Path) -> dict[str, dict]:
    """Every note's row of the cache as path -> {size, mtime_ns, ..., idle}:
    the base's columns (the notes file in ``state`` the header names: paths,
    then numbers as base64 of 64-bit little-endian integers), then the
    header's rows over them."""
    columns = json.loads((state / head["notes"]["base"]).read_bytes())
    paths = columns.pop("path")
    numbers = {}
    for name, text in columns.items():
        fmt = "<" + ("Q" if name == "inode" else "q") * len(paths)
        numbers[name] = struct.unpack(fmt, base64.b64decode(text))
    rows = {path: {name: numbers[name][i] for name in numbers} for i, path in enumerate(paths)}
    for path in head["notes"]["removed"]:
        del rows[path]
    for path, row in head["notes"]["changed"].items():
        rows[path] = dict(zip(numbers, row, strict=True))
    return rows


# -- SMTP: a real server on loopback (aiosmtpd) --------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """Start an aiosmtpd server on loopback: ``start(**controller_kwargs) -> (inbox, port)``."""
    started: list[Controller] = []

    def start(**kwargs) -> tuple[Inbox, int]:
        inbox = Inbox()
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        started.append(controller)
        return inbox, port

    yield start
    for controller in started:
        controller.stop()


def configure(vault: Path, port: int, security: str = "none", username: str | None = None):
    extra = f'username = "{username}"\n' if username else ""
    with open(vault / "ppsj.toml", "a", encoding="utf-8") as fh:
        fh.write(f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "{security}"\n{extra}')

"""Shared fixtures: a fresh vault made by the real `ppsj init`, and the CLI runner."""

from __future__ import annotations

import base64
import json
import struct
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ppsjournal.cli import cli

TODAY = "2026-11-27"  # a Friday; the first series booked on it starts 2026-12-04


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

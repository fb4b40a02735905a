"""The wheel: `pip install .` into a fresh venv, then ppsj from another folder.

Slow (it builds the wheel and installs its dependencies), so it runs only when
PPSJ_TEST_PACKAGING=1 is set:  PPSJ_TEST_PACKAGING=1 pytest tests/test_packaging.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    os.environ.get("PPSJ_TEST_PACKAGING") != "1", reason="slow; set PPSJ_TEST_PACKAGING=1"
)


def run(*args: str | Path, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PPSJ_", "PYTHON"))}
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_installed_wheel_runs_from_another_folder(tmp_path):
    venv.create(tmp_path / "venv", with_pip=True)
    bin_dir = tmp_path / "venv" / ("Scripts" if sys.platform == "win32" else "bin")
    run(bin_dir / "python", "-m", "pip", "install", "-q", ROOT, cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ppsj = bin_dir / "ppsj"

    # The installed package, not the checkout, is what runs.
    where = run(
        bin_dir / "python", "-c", "import ppsjournal; print(ppsjournal.__file__)", cwd=elsewhere
    )
    assert str(ROOT) not in where

    doc = json.loads(
        run(
            ppsj,
            "--vault",
            ROOT / "example-vault",
            "--today",
            "2026-12-04",
            "partners",
            "--json",
            cwd=elsewhere,
        )
    )
    assert len(doc["partners"]) >= 4
    assert doc["problems"] == []

    # Templates come from the wheel: adding a partner renders partner.md.j2.
    run(
        ppsj,
        "init",
        "v",
        "--name",
        "Alex Rivera",
        "--email",
        "alex@lender.example",
        "--timezone",
        "America/Chicago",
        cwd=elsewhere,
    )
    out = run(
        ppsj,
        "--vault",
        "v",
        "--today",
        "2026-11-27",
        "add",
        "Debbie Harper",
        "--at",
        "14:40",
        cwd=elsewhere,
    )
    assert "booked Debbie Harper" in out
    note = (elsewhere / "v" / "Partners" / "Debbie Harper.md").read_text()
    assert "## Partnership Planning Sessions" in note
    assert run(bin_dir / "python", "-m", "ppsjournal", "--version", cwd=elsewhere).startswith(
        "ppsj"
    )

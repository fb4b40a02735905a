"""What ppsj prints: strict JSON, and output on a terminal that is not UTF-8."""

from __future__ import annotations

import json

from tests.conftest import ok, partner_note, run_cli


def test_json_of_every_command_is_strict_json(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("lead", "Sam Lee", "--partner", "Debbie Harper", "--source", "showing"))

    def refuse(constant):
        raise ValueError(constant)

    for args in (["slots"], ["partners"], ["week", "--dry-run"], ["overdue"], ["report"]):
        first = ok(ppsj(*args, "--json", today="2026-12-04")).output
        json.loads(first, parse_constant=refuse)
        assert ppsj(*args, "--json", today="2026-12-04").output == first


def test_json_is_valid_on_an_output_that_is_not_utf8(vault):
    run_cli(vault, "add", "Zoë Ärger", "--at", "14:40")
    note = partner_note(vault, "Zoë Ärger")
    with note.open("a", encoding="utf-8") as fh:
        fh.write("- [ ] Café flyer for Zoë #need 📅 2026-11-20\n")
    from click.testing import CliRunner

    from ppsjournal.cli import cli

    runner = CliRunner(charset="cp1252")
    for args in (["overdue"], ["partners"], ["report"]):
        argv = ["--vault", str(vault), "--today", "2026-11-27", *args, "--json"]
        result = runner.invoke(cli, argv, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert result.stdout_bytes.isascii()
        # Valid JSON, and the names come back as written.
        assert "Zoë Ärger" in json.dumps(json.loads(result.stdout_bytes), ensure_ascii=False)


def test_text_output_on_a_code_page_shows_escapes_instead_of_failing(vault):
    import os
    import subprocess
    import sys

    run_cli(vault, "add", "Zoë Ärger", "--at", "14:40")
    with partner_note(vault, "Zoë Ärger").open("a", encoding="utf-8") as fh:
        fh.write("- [ ] Flyer → Zoë 🏠 #need 📅 2026-11-20\n")
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "PPSJ_TODAY": "2026-11-27"}
    for args in (["overdue"], ["report"], ["overdue", "--json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "ppsjournal", "--vault", str(vault), *args],
            capture_output=True,
            env=env,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert b"internal error" not in proc.stderr
    text = subprocess.run(
        [sys.executable, "-m", "ppsjournal", "--vault", str(vault), "overdue"],
        capture_output=True,
        env=env,
        check=True,
    ).stdout.decode("cp1252")
    assert "Flyer \\u2192 Zoë \\U0001f3e0 #need" in text


def test_a_reader_that_stops_early_gets_no_error(vault):
    """`ppsj slots | head -1`: the rest of the output has nowhere to go; nothing to say."""
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)  # the reader is gone before ppsj writes a line
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ppsjournal", "--vault", str(vault), "slots", "--all"],
            stdout=write,
            stderr=subprocess.PIPE,
            env={**os.environ, "PPSJ_TODAY": "2026-11-27"},
            check=False,
        )
    finally:
        os.close(write)
    assert proc.stderr == b""
    assert proc.returncode == 1

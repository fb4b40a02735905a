"""Finding the vault (--vault, $PPSJ_VAULT, walking up) and today (--today, $PPSJ_TODAY)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from ppsjournal.cli import COMMANDS
from ppsjournal.cli.types import TYPED_DATE as TYPED
from ppsjournal.cli.types import TYPED_TIME
from tests.conftest import ok, one_line_error, run_cli


@pytest.fixture
def two_vaults(tmp_path):
    """Two vaults told apart by their one partner."""
    roots = {}
    for name in ("Ann", "Ben"):
        root = tmp_path / f"vault-{name}"
        result = run_cli(
            None,
            "init",
            str(root),
            "--name",
            "Alex",
            "--email",
            "alex@lender.example",
            "--timezone",
            "America/Chicago",
            today=None,
        )
        assert result.exit_code == 0
        assert run_cli(root, "add", name).exit_code == 0
        roots[name] = root
    return roots


def names(result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [p["name"] for p in json.loads(result.output)["partners"]]


def test_vault_option_wins_over_env_and_cwd(two_vaults, monkeypatch):
    monkeypatch.chdir(two_vaults["Ann"])
    monkeypatch.setenv("PPSJ_VAULT", str(two_vaults["Ann"]))
    assert names(run_cli(two_vaults["Ben"], "partners", "--json")) == ["Ben"]


def test_vault_option_after_the_command(two_vaults, monkeypatch):
    monkeypatch.chdir(two_vaults["Ann"])
    result = run_cli(None, "partners", "--json", "--vault", str(two_vaults["Ben"]))
    assert names(result) == ["Ben"]


def test_env_wins_over_cwd(two_vaults, monkeypatch):
    monkeypatch.chdir(two_vaults["Ann"])
    monkeypatch.setenv("PPSJ_VAULT", str(two_vaults["Ben"]))
    assert names(run_cli(None, "partners", "--json")) == ["Ben"]


def test_walks_up_from_a_subfolder(two_vaults, monkeypatch):
    monkeypatch.delenv("PPSJ_VAULT", raising=False)
    deep = two_vaults["Ann"] / "Sessions" / "2026" / "deeper"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert names(run_cli(None, "partners", "--json")) == ["Ann"]


def test_the_nearest_vault_up_wins(two_vaults, monkeypatch):
    """A vault inside another (a folder of the first with its own ppsj.toml) is its own."""
    monkeypatch.delenv("PPSJ_VAULT", raising=False)
    inner = two_vaults["Ann"] / "Archive"
    inner.mkdir()
    (inner / "ppsj.toml").write_text((two_vaults["Ann"] / "ppsj.toml").read_text())
    monkeypatch.chdir(inner)
    assert names(run_cli(None, "partners", "--json")) == []


def test_no_vault_found(tmp_path, monkeypatch):
    monkeypatch.delenv("PPSJ_VAULT", raising=False)
    monkeypatch.chdir(tmp_path)
    result = run_cli(None, "partners")
    assert result.exit_code == 1
    out = result.output.strip()
    assert out.startswith("ppsj: no vault found")
    assert "--vault" in out and "PPSJ_VAULT" in out and "ppsj init" in out
    assert len(out.splitlines()) == 1


@pytest.mark.parametrize("how", ["option", "env"])
def test_a_given_path_without_ppsj_toml_is_an_error(tmp_path, monkeypatch, how):
    monkeypatch.chdir(tmp_path)
    empty = tmp_path / "not-a-vault"
    empty.mkdir()
    if how == "env":
        monkeypatch.setenv("PPSJ_VAULT", str(empty))
        result = run_cli(None, "partners")
    else:
        result = run_cli(empty, "partners")
    assert result.exit_code == 1
    assert f"no ppsj.toml in {empty}" in result.output


def test_today_from_option_and_env(ppsj, monkeypatch):
    assert ppsj("add", "Debbie Harper", "--at", "14:40").exit_code == 0
    # Thursday 2026-12-10: the next session is Friday the 11th, week 1 behind it.
    row = json.loads(ppsj("partners", "--json", today="2026-12-10").output)["partners"][0]
    assert (row["week"], row["next_session"]) == (1, "2026-12-11T14:40:00-06:00")
    monkeypatch.setenv("PPSJ_TODAY", "2027-01-08")
    row = json.loads(ppsj("partners", "--json", today=None).output)["partners"][0]
    assert row["next_session"].startswith("2027-01-08")
    # --today wins over $PPSJ_TODAY
    row = json.loads(ppsj("partners", "--json", today="2026-12-10").output)["partners"][0]
    assert row["next_session"].startswith("2026-12-11")


@pytest.mark.parametrize("bad", ["2026-02-30", "tomorrow", "2026-1-1", "2026/12/04"])
def test_bad_today_is_a_usage_error(ppsj, bad):
    result = ppsj("partners", today=bad)
    assert result.exit_code == 2
    assert result.output.strip() == f"ppsj: --today: {bad!r} is not a date ({TYPED})"


@pytest.mark.parametrize("far", ["0001-01-01", "1899-12-31", "9000-01-01", "9999-12-31"])
def test_today_far_from_now_is_refused_not_an_overflow(ppsj, far):
    result = ppsj("slots", today=far)
    assert result.exit_code == 2
    assert result.output.strip() == f"ppsj: --today: {far} is out of range (1900 to 8999)"


def test_bad_today_from_env_is_a_usage_error(ppsj, monkeypatch):
    monkeypatch.setenv("PPSJ_TODAY", "someday")
    result = ppsj("slots", today=None)
    assert result.exit_code == 2
    assert result.output.strip() == f"ppsj: $PPSJ_TODAY: 'someday' is not a date ({TYPED})"


def test_dot_folders_are_never_read_as_notes(ppsj, vault):
    assert ppsj("add", "Debbie Harper").exit_code == 0
    for folder in (".git", ".obsidian", ".trash", ".ppsj", ".hidden"):
        (vault / folder).mkdir(exist_ok=True)
        (vault / folder / "Ghost.md").write_text("---\ntype: partner\nstatus: [broken\n---\n")
    (vault / "Partners" / ".Ghost.md").write_text("---\ntype: partner\n---\n")
    result = ppsj("partners", "--json")
    assert names(result) == ["Debbie Harper"]
    assert json.loads(result.output)["problems"] == []


# -- the command line's surface ------------------------------------------------


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_help_has_an_example(command):
    result = run_cli(None, *([command] if command else []), "--help", today=None)
    assert result.exit_code == 0
    assert "Example:" in result.output
    example = result.output.split("Example:", 1)[1].strip().splitlines()[0]
    assert example.startswith("ppsj ") or example.startswith("PPSJ_")


@pytest.mark.parametrize(
    "args",
    [
        ["bogus"],
        ["--bogus"],
        ["add"],
        ["move", "Debbie Harper", "2026-12-04"],
        ["slots", "--weeks", "many"],
    ],
)
def test_usage_errors_are_one_line_with_exit_2(ppsj, args):
    result = ppsj(*args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ppsj: ")
    assert "--help" in lines[0]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["slots", "--start", "2026-13-01"], f"--start: '2026-13-01' is not a date ({TYPED})"),
        (["add", "Tom", "--at", "noon"], f"--at: 'noon' is not a time ({TYPED_TIME})"),
        (["add", "Tom", "--at", "13:00", "--start", "2026-12-32"],
         f"--start: '2026-12-32' is not a date ({TYPED})"),
        (["add", "Tom", "--expect-referral", "soon"],
         f"--expect-referral: 'soon' is not a date ({TYPED})"),
        (["skip", "Debbie Harper", "someday"], f"DATE: 'someday' is not a date ({TYPED})"),
        (["move", "Debbie Harper", "2026/12/04", "--to", "2026-12-03"],
         f"DATE: '2026/12/04' is not a date ({TYPED})"),
        (["move", "Debbie Harper", "2026-12-04", "--to", "2026-12-03 noon"],
         "--to: '2026-12-03 noon' is not a date and time (YYYY-MM-DD HH:MM)"),
        (["week", "--date", "monday"], f"--date: 'monday' is not a date ({TYPED})"),
        (["lead", "Sam", "--partner", "Tom", "--source", "showing", "--showing", "2026-1-5"],
         f"--showing: '2026-1-5' is not a date ({TYPED})"),
        (["report", "--since", "2026-02-30"], f"--since: '2026-02-30' is not a date ({TYPED})"),
        (["report", "--until", "now"], f"--until: 'now' is not a date ({TYPED})"),
        (["partners", "--today", "tomorrow"], f"--today: 'tomorrow' is not a date ({TYPED})"),
        (["--today", "9999-01-01", "partners"],
         "--today: 9999-01-01 is out of range (1900 to 8999)"),
    ],
)  # fmt: skip
def test_every_date_and_time_is_refused_alike(ppsj, vault, args, line):
    """One format for a date or time that does not parse, whichever option took it: exit 2."""
    result = ppsj(*args, today=None)
    assert result.exit_code == 2
    assert result.output.strip() == f"ppsj: {line}"
    assert not (vault / "Partners" / "Tom.md").exists()


@pytest.mark.parametrize(
    ("command", "metavar"),
    [("slots", "--start YYYY-MM-DD"), ("add", "--at HH:MM"), ("week", "--date YYYY-MM-DD"),
     ("move", '--to "YYYY-MM-DD [HH:MM]"'), ("report", "--until YYYY-MM-DD"),
     ("partners", "--today YYYY-MM-DD")],
)  # fmt: skip
def test_help_shows_how_to_write_a_date_or_time(command, metavar):
    result = run_cli(None, command, "--help", today=None)
    assert metavar in result.output


# -- exit status: 0 done, 1 refused or failed, 2 usage, 3 done but the vault has problems


def test_exit_codes_are_named_once():
    from ppsjournal import errors

    codes = (errors.EXIT_OK, errors.EXIT_FAILED, errors.EXIT_USAGE, errors.EXIT_PROBLEMS)
    assert codes == (0, 1, 2, 3)
    assert errors.PpsjError.exit_code == errors.EXIT_FAILED
    assert errors.UsageError.exit_code == errors.EXIT_USAGE


@pytest.mark.parametrize(
    ("args", "code", "stdout"),
    [
        (["partners"], 3, "Debbie Harper"),
        (["overdue", "--json"], 3, '"overdue"'),
        (["report", "--json"], 3, '"totals"'),
        (["week", "--date", "2026-12-04", "--dry-run"], 3, "Debbie Harper"),
        (["build"], 3, "wrote Follow-ups.md"),
        (["build", "--check"], 3, "up to date"),
        (["doctor"], 1, "Leads/Broken.md"),  # finding problems is doctor's verdict
        (["build", "Follow-ups.md"], 1, "wrote Calendar/PPS.ics"),  # a file of mine: refused
    ],
)
def test_done_but_the_vault_has_problems_is_exit_3(ppsj, vault, args, code, stdout):
    """The output is produced and the note that cannot be read is named on stderr: exit 3.

    A refused output (a file of the user's where Follow-ups.md goes) is still 1.
    """
    args = list(args)
    assert ppsj("add", "Debbie Harper", "--at", "14:40").exit_code == 0
    (vault / "Leads").mkdir(exist_ok=True)
    (vault / "Leads" / "Broken.md").write_text("---\ntype: [lead\n---\n", encoding="utf-8")
    if args == ["build", "--check"]:
        assert ppsj("build").exit_code == 3
    if args == ["build", "Follow-ups.md"]:
        (vault / args.pop()).write_text("# my own list\n", encoding="utf-8")
    result = ppsj(*args)
    assert result.exit_code == code, result.output
    assert stdout in result.stdout
    if args != ["doctor"]:
        assert "ppsj: Leads/Broken.md:" in result.stderr


# -- every command documented in docs/commands.md ----------------------------------------

DOCS = Path(__file__).parent.parent / "docs" / "commands.md"
NOT_DOCUMENTED_PER_COMMAND = {"help", "vault", "today"}  # every command's; said once, on top


def _doc_sections() -> list[tuple[str, str]]:
    """(heading, text) of each section of docs/commands.md, a heading running to the next."""
    sections: list[tuple[str, str]] = []
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            sections.append((line, ""))
        elif sections:
            heading, text = sections[-1]
            sections[-1] = (heading, text + line + "\n")
    return sections


def _section_of(command: str) -> str:
    found = [
        heading + "\n" + text
        for heading, text in _doc_sections()
        if heading.startswith("### ") and re.search(rf"`ppsj {command}[ `]", heading)
    ]
    assert found, f"docs/commands.md has no '### `ppsj {command} ...`' heading"
    return "\n".join(found)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_and_option_is_documented(command):
    from ppsjournal.cli import cli

    section = _section_of(command)
    ctx = click.Context(cli)
    params = cli.get_command(ctx, command).params  # type: ignore[union-attr]
    missing = []
    for param in params:
        if param.name in NOT_DOCUMENTED_PER_COMMAND:
            continue
        if isinstance(param, click.Argument):
            names = [param.human_readable_name.strip("[].")]  # "[DIR]" is DIR
        else:
            names = [opt for opt in param.opts if opt.startswith("--")]
        if not any(re.search(rf"{re.escape(n)}\b", section) for n in names):
            missing.append(names[0])
    assert not missing, f"docs/commands.md, `ppsj {command}`: {missing} not documented"


@pytest.mark.parametrize("day", ["20261127", "2026-W48-5", "2026-331"])
def test_today_must_be_written_yyyy_mm_dd(vault, day):
    line = one_line_error(run_cli(vault, "partners", today=day), code=2)
    assert f"--today: '{day}' is not a date ({TYPED})" in line


def test_a_bad_ppsj_today_is_named_as_the_variable(vault, monkeypatch):
    monkeypatch.setenv("PPSJ_TODAY", "tomorrow")
    line = one_line_error(run_cli(vault, "partners", today=None), code=2)
    assert f"$PPSJ_TODAY: 'tomorrow' is not a date ({TYPED})" in line
    # --today wins over the variable, and an empty --today is an error, not "the clock".
    ok(run_cli(vault, "partners", today="2026-11-27"))
    line = one_line_error(run_cli(vault, "partners", today=""), code=2)
    assert f"--today: '' is not a date ({TYPED})" in line

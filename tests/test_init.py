"""ppsj init: a new vault, and never clobbering an old one."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

from ppsjournal.settings import parse_settings
from tests.conftest import ok, one_line_error, run_cli

OWNER = ["--name", "Alex Rivera", "--email", "alex@lender.example", "--timezone", "America/Chicago"]


def init(root: Path, *args: str, **kwargs):
    return run_cli(None, "init", str(root), *args, today=None, **kwargs)


def test_init_creates_settings_folders_and_git_files(tmp_path):
    root = tmp_path / "pps"
    result = init(root, *OWNER)
    assert result.exit_code == 0, result.output
    for folder in ("Partners", "Sessions", "Leads", "Templates", "Calendar"):
        assert (root / folder).is_dir()
        assert f"created {folder}/" in result.output
    settings = parse_settings((root / "ppsj.toml").read_text())
    assert settings.owner.name == "Alex Rivera"
    assert settings.owner.email == "alex@lender.example"
    assert str(settings.tz) == "America/Chicago"
    # The defaults of product.md section 2, written out so the user sees them.
    s = settings.sessions
    assert (s.weekday_name, s.window, s.length, s.weeks, s.reminder) == (
        "friday",
        "13:00-16:00",
        15,
        12,
        15,
    )
    assert settings.money.commission_per_side == 12000
    gitignore = (root / ".gitignore").read_text().splitlines()
    assert ".ppsj/" in gitignore
    assert "*.ics -text" in (root / ".gitattributes").read_text().splitlines()


def test_init_gitignore_keeps_the_cache_out_of_git(tmp_path):
    root = tmp_path / "pps"
    assert init(root, *OWNER).exit_code == 0
    assert run_cli(root, "add", "Debbie Harper", "--at", "14:40").exit_code == 0
    assert (root / ".ppsj").is_dir()  # the lock lives there
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    ignored = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Partners/Debbie Harper.md" in ignored
    assert ".ppsj" not in ignored


def test_init_refuses_an_existing_vault_and_changes_nothing(tmp_path):
    root = tmp_path / "pps"
    assert init(root, *OWNER).exit_code == 0
    toml = root / "ppsj.toml"
    toml.write_text(toml.read_text().replace("weeks = 12", "weeks = 8"))
    before = toml.read_bytes()
    result = init(root, "--name", "Someone Else", "--email", "x@y.example", "--timezone", "UTC")
    assert result.exit_code == 1
    assert "ppsj.toml already exists; not overwritten" in result.output
    assert toml.read_bytes() == before


def test_init_leaves_existing_git_files_alone(tmp_path):
    root = tmp_path / "notes"
    root.mkdir()
    (root / ".gitignore").write_text("my-own-rule\n")
    (root / "Partners").mkdir()
    (root / "Partners" / "Old.md").write_text("kept\n")
    result = init(root, *OWNER, "--here")
    assert result.exit_code == 0, result.output
    assert (root / ".gitignore").read_text() == "my-own-rule\n"
    assert "created .gitignore" not in result.output
    assert "created Partners/" not in result.output
    assert (root / "Partners" / "Old.md").read_text() == "kept\n"
    assert (root / ".gitattributes").is_file()


def test_init_in_the_current_folder_and_by_prompts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli(
        None, "init", today=None, input="Alex Rivera\nalex@lender.example\nEurope/Paris\n"
    )
    assert result.exit_code == 0, result.output
    settings = parse_settings((tmp_path / "ppsj.toml").read_text())
    assert settings.owner.timezone == "Europe/Paris"


def test_init_quotes_the_name_in_toml(tmp_path):
    root = tmp_path / "pps"
    name = 'Alex "AJ" Rivera \\ Team'
    assert init(root, "--name", name, "--email", "a@b.example", "--timezone", "UTC").exit_code == 0
    assert tomllib.loads((root / "ppsj.toml").read_text())["owner"]["name"] == name


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--email", "alex", "--email: not an e-mail address"),
        ("--email", "alex@lender.example\r\nBcc: x@y.example", "--email: not an e-mail address"),
        ("--timezone", "Mars/Olympus", "--timezone: unknown time zone 'Mars/Olympus'"),
        ("--timezone", "../../etc/passwd", "--timezone: unknown time zone"),
        ("--timezone", "Factory", "--timezone: unknown time zone 'Factory'"),
        ("--timezone", "localtime", "--timezone: unknown time zone 'localtime'"),
        ("--name", "Alex\nRivera", "--name: must be one line"),
        ("--name", "  ", "--name: must be non-empty text"),
    ],
)
def test_init_refuses_bad_owner_options(tmp_path, option, value, message):
    root = tmp_path / "pps"
    args = dict(zip(OWNER[::2], OWNER[1::2], strict=True))
    args[option] = value
    result = init(root, *[x for kv in args.items() for x in kv])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not root.exists()


def test_init_into_a_file_is_a_usage_error(tmp_path):
    (tmp_path / "file").write_text("x")
    result = init(tmp_path / "file", *OWNER)
    assert result.exit_code == 2
    assert "is a file" in result.output


def test_init_in_a_folder_with_its_own_gitignore_says_what_it_lacks(tmp_path):
    root = tmp_path / "pps"
    root.mkdir()
    (root / ".gitignore").write_text("node_modules/\n")
    args = ["init", str(root), "--name", "A B", "--email", "a@b.example", "--timezone", "UTC"]
    result = ok(run_cli(None, *args, today=None))
    assert (root / ".gitignore").read_text() == "node_modules/\n"  # never clobbered
    assert "add the line '.ppsj/'" in result.output
    assert "created .gitattributes" in result.output
    assert ".gitattributes was left" not in result.output


def test_init_gives_no_advice_when_the_gitignore_has_it(tmp_path):
    root = tmp_path / "pps"
    root.mkdir()
    (root / ".gitignore").write_text("# mine\n.ppsj/\n.ppsj-*.tmp\n")
    args = ["init", str(root), "--name", "A B", "--email", "a@b.example", "--timezone", "UTC"]
    assert "note:" not in ok(run_cli(None, *args, today=None)).output


def test_init_creates_the_vault_that_vault_option_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "pps"
    ok(run_cli(root, "init", *OWNER, today=None))
    assert (root / "ppsj.toml").is_file()
    assert not (tmp_path / "ppsj.toml").exists()


def test_init_creates_the_vault_that_ppsj_vault_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "from-env"
    ok(run_cli(None, "init", *OWNER, today=None, env={"PPSJ_VAULT": str(root)}))
    assert (root / "ppsj.toml").is_file()
    assert not (tmp_path / "ppsj.toml").exists()


def test_init_dir_and_a_different_vault_option_are_refused(tmp_path):
    result = run_cli(tmp_path / "a", "init", str(tmp_path / "b"), *OWNER, today=None)
    assert one_line_error(result, 2).startswith("ppsj: DIR ")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_init_refuses_a_vault_inside_a_vault(tmp_path):
    outer = tmp_path / "pps"
    ok(init(outer, *OWNER))
    inner = outer / "Sessions" / "nested"
    line = one_line_error(init(inner, *OWNER))
    assert f"is inside the vault {outer}" in line and "--here" in line
    assert not inner.exists()
    ok(init(inner, *OWNER, "--here"))


def test_init_refuses_a_folder_of_notes_without_here(tmp_path):
    root = tmp_path / "notes"
    (root / "Journal").mkdir(parents=True)
    (root / "Journal" / "Monday.md").write_text("my notes\n")
    line = one_line_error(init(root, *OWNER))
    assert "already holds Markdown notes (Journal/Monday.md)" in line and "--here" in line
    assert not (root / "ppsj.toml").exists()
    ok(init(root, *OWNER, "--here"))
    assert (root / "Journal" / "Monday.md").read_text() == "my notes\n"
